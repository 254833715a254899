/* The Winograd filter transform U = G g G^T of every (out, in) pair, in double, rounded once to float: what
 * Convolution.winogradFilters stores, [point][out][in]. The AVX-512 path transforms sixteen input channels at once
 * (AVX2: four) with the scalar path's operations in the scalar path's order (separate multiplies and adds, no FMA), so both give
 * the same bits, and so does every CPU. */
#include "CWinograd.h"
#include "CISA.h"

/* GCC has no block-scope form of filters_scalar's no-contraction pragma: the whole file (the AVX-512 path's
 * intrinsics are unaffected). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif

#if defined(__x86_64__)
#include <immintrin.h>
#endif

/* Output channels [co_begin, co_end), input channels from ci_begin. */
static void filters_scalar(int alpha, const double *g, const float *weight, long out_channels, long in_channels,
                           long co_begin, long co_end, long ci_begin, float *u) {
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
    const long plane = out_channels * in_channels;
    double t[6 * 3];
    for (long co = co_begin; co < co_end; co++) {
        for (long ci = ci_begin; ci < in_channels; ci++) {
            const float *f = weight + (co * in_channels + ci) * 9;
            for (int i = 0; i < alpha; i++)
                for (int c = 0; c < 3; c++)
                    t[3 * i + c] = g[3 * i] * (double)f[c] + g[3 * i + 1] * (double)f[3 + c] + g[3 * i + 2] * (double)f[6 + c];
            for (int i = 0; i < alpha; i++)
                for (int j = 0; j < alpha; j++)
                    u[(i * alpha + j) * plane + co * in_channels + ci] =
                        (float)(t[3 * i] * g[3 * j] + t[3 * i + 1] * g[3 * j + 1] + t[3 * i + 2] * g[3 * j + 2]);
        }
    }
}

#if defined(__x86_64__)
__attribute__((target("avx512f")))
static void filters_avx512(int alpha, const double *g, const float *weight, long out_channels, long in_channels,
                           long co_begin, long co_end, float *u) {
    const long plane = out_channels * in_channels;
    const __m256i nine = _mm256_setr_epi32(0, 9, 18, 27, 36, 45, 54, 63);
    __m512d gv[18];
    for (int k = 0; k < 3 * alpha; k++) gv[k] = _mm512_set1_pd(g[k]);
    for (long co = co_begin; co < co_end; co++) {
        long ci = 0;
        /* Sixteen input channels a step, as two halves of eight: each point's store is then a whole cache line. */
        for (; ci + 16 <= in_channels; ci += 16) {
            const float *base = weight + (co * in_channels + ci) * 9;
            __m512d f[2][9];
            for (int h = 0; h < 2; h++)
                for (int k = 0; k < 9; k++) f[h][k] = _mm512_cvtps_pd(_mm256_i32gather_ps(base + 72 * h + k, nine, 4));
            __m512d t[2][6 * 3];
            for (int h = 0; h < 2; h++)
                for (int i = 0; i < alpha; i++)
                    for (int c = 0; c < 3; c++)
                        t[h][3 * i + c] = _mm512_add_pd(_mm512_add_pd(_mm512_mul_pd(gv[3 * i], f[h][c]),
                                                                      _mm512_mul_pd(gv[3 * i + 1], f[h][3 + c])),
                                                        _mm512_mul_pd(gv[3 * i + 2], f[h][6 + c]));
            float *dst = u + co * in_channels + ci;
            for (int i = 0; i < alpha; i++)
                for (int j = 0; j < alpha; j++)
                    for (int h = 0; h < 2; h++) {
                        __m512d v = _mm512_add_pd(_mm512_add_pd(_mm512_mul_pd(t[h][3 * i], gv[3 * j]),
                                                                _mm512_mul_pd(t[h][3 * i + 1], gv[3 * j + 1])),
                                                  _mm512_mul_pd(t[h][3 * i + 2], gv[3 * j + 2]));
                        _mm256_storeu_ps(dst + (i * alpha + j) * plane + 8 * h, _mm512_cvtpd_ps(v));
                    }
        }
        /* The row's last input channels, one at a time. */
        if (ci < in_channels) filters_scalar(alpha, g, weight, out_channels, in_channels, co, co + 1, ci, u);
    }
}

/* The AVX2 path: four input channels a step in double lanes, the same operations in the same order. */
__attribute__((target("avx2")))
static void filters_avx2(int alpha, const double *g, const float *weight, long out_channels, long in_channels,
                         long co_begin, long co_end, float *u) {
    const long plane = out_channels * in_channels;
    const __m128i nine = _mm_setr_epi32(0, 9, 18, 27);
    __m256d gv[18];
    for (int k = 0; k < 3 * alpha; k++) gv[k] = _mm256_set1_pd(g[k]);
    for (long co = co_begin; co < co_end; co++) {
        long ci = 0;
        for (; ci + 4 <= in_channels; ci += 4) {
            const float *base = weight + (co * in_channels + ci) * 9;
            __m256d f[9];
            for (int k = 0; k < 9; k++) f[k] = _mm256_cvtps_pd(_mm_i32gather_ps(base + k, nine, 4));
            __m256d t[6 * 3];
            for (int i = 0; i < alpha; i++)
                for (int c = 0; c < 3; c++)
                    t[3 * i + c] = _mm256_add_pd(_mm256_add_pd(_mm256_mul_pd(gv[3 * i], f[c]), _mm256_mul_pd(gv[3 * i + 1], f[3 + c])),
                                                 _mm256_mul_pd(gv[3 * i + 2], f[6 + c]));
            float *dst = u + co * in_channels + ci;
            for (int i = 0; i < alpha; i++)
                for (int j = 0; j < alpha; j++) {
                    __m256d v = _mm256_add_pd(_mm256_add_pd(_mm256_mul_pd(t[3 * i], gv[3 * j]), _mm256_mul_pd(t[3 * i + 1], gv[3 * j + 1])),
                                              _mm256_mul_pd(t[3 * i + 2], gv[3 * j + 2]));
                    _mm_storeu_ps(dst + (i * alpha + j) * plane, _mm256_cvtpd_ps(v));
                }
        }
        if (ci < in_channels) filters_scalar(alpha, g, weight, out_channels, in_channels, co, co + 1, ci, u);
    }
}
#endif

void mpx_wino_filters(int alpha, const double *g, const float *weight, long out_channels, long in_channels,
                      long co_begin, long co_end, float *u) {
#if defined(__x86_64__)
    if (alpha <= 6 && mpx_isa() >= MPX_ISA_AVX512) {
        filters_avx512(alpha, g, weight, out_channels, in_channels, co_begin, co_end, u);
        return;
    }
    if (alpha <= 6 && mpx_isa() == MPX_ISA_AVX2) {
        filters_avx2(alpha, g, weight, out_channels, in_channels, co_begin, co_end, u);
        return;
    }
#endif
    filters_scalar(alpha, g, weight, out_channels, in_channels, co_begin, co_end, 0, u);
}
