/* The horizontal sum of an AVX2 vector, for the kernels that keep vector partial sums (gemm_abt.c,
 * conv_weight_gradient.c). */
#ifndef MPX_VECTOR_SUM_H
#define MPX_VECTOR_SUM_H
#if defined(__x86_64__)
#include <immintrin.h>
static inline __attribute__((always_inline, target("avx2,fma"))) float mpx_hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
#endif
#endif
