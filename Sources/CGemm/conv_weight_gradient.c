/*
 * The weight gradient of a stride-1 convolution computed in place of im2col + GEMM:
 *   dW[co][ci][ky][kx] += Σ_{oy, ox} dY[co][oy][ox] · Xp[ci][oy + ky][ox + kx]
 * where Xp is the zero-padded input. Through im2col every input pixel is copied k² times into a matrix that is
 * then streamed (and, by the blocked GEMM, packed again); here each (input channel, kernel row) pass reads one row
 * of Xp per output row, loads it at the k column shifts, and multiplies each load by R output channels' dY rows:
 * R·k register accumulators of vector partial sums along ox. A generator layer with 8 channels on a 128x128 map
 * spends most of its backward in those copies, at ~20 GFLOPS.
 *
 * AVX-512 and AVX2 by function attributes (one binary for every x86-64 CPU, the level from CISA); the baseline (and
 * every other architecture) is plain C.
 */
#include "CGemm.h"
#include "CISA.h"

static void dw_scalar(long cout, long ci0, long ci1, long cin, long k, const float *xp, long hp, long wp,
                      const float *dy, long ho, long wo, float *dw) {
    for (long ci = ci0; ci < ci1; ci++)
        for (long co = 0; co < cout; co++)
            for (long ky = 0; ky < k; ky++)
                for (long kx = 0; kx < k; kx++) {
                    float s = 0;
                    for (long oy = 0; oy < ho; oy++) {
                        const float *d = dy + (co * ho + oy) * wo, *x = xp + (ci * hp + oy + ky) * wp + kx;
                        for (long ox = 0; ox < wo; ox++) s += d[ox] * x[ox];
                    }
                    dw[((co * cin + ci) * k + ky) * k + kx] += s;
                }
}

#if defined(__x86_64__)
#include <immintrin.h>
#include "vector_sum.h"
#define DW_AVX2 __attribute__((target("avx2,fma")))
#define DW_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))
#define DW_INLINE static inline __attribute__((always_inline))


/* R output channels from co, one input channel's kernel row ky (K taps): the R x K block of dW. Lanes past the row's
 * end are masked on every load, so no read leaves Xp or dY. */
DW_INLINE DW_AVX512 void block_avx512(const int R, const int K, const float *x, long wp, const float *d, long plane,
                                      long ho, long wo, float *out, long ldo) {
    __m512 acc[8][4];
    for (int r = 0; r < R; r++) for (int j = 0; j < K; j++) acc[r][j] = _mm512_setzero_ps();
    for (long oy = 0; oy < ho; oy++) {
        const float *xr = x + oy * wp, *dr = d + oy * wo;
        for (long ox = 0; ox < wo; ox += 16) {
            __mmask16 m = wo - ox >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (wo - ox)) - 1);
            __m512 xv[4];
            for (int j = 0; j < K; j++) xv[j] = _mm512_maskz_loadu_ps(m, xr + ox + j);
            for (int r = 0; r < R; r++) {
                __m512 dv = _mm512_maskz_loadu_ps(m, dr + r * plane + ox);
                for (int j = 0; j < K; j++) acc[r][j] = _mm512_fmadd_ps(dv, xv[j], acc[r][j]);
            }
        }
    }
    for (int r = 0; r < R; r++) for (int j = 0; j < K; j++) out[r * ldo + j] += _mm512_reduce_add_ps(acc[r][j]);
}

DW_INLINE DW_AVX2 void block_avx2(const int R, const int K, const float *x, long wp, const float *d, long plane,
                                  long ho, long wo, float *out, long ldo) {
    __m256 acc[4][4];
    for (int r = 0; r < R; r++) for (int j = 0; j < K; j++) acc[r][j] = _mm256_setzero_ps();
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (long oy = 0; oy < ho; oy++) {
        const float *xr = x + oy * wp, *dr = d + oy * wo;
        long ox = 0;
        for (; ox + 8 <= wo; ox += 8) {
            __m256 xv[4];
            for (int j = 0; j < K; j++) xv[j] = _mm256_loadu_ps(xr + ox + j);
            for (int r = 0; r < R; r++) {
                __m256 dv = _mm256_loadu_ps(dr + r * plane + ox);
                for (int j = 0; j < K; j++) acc[r][j] = _mm256_fmadd_ps(dv, xv[j], acc[r][j]);
            }
        }
        if (ox < wo) {
            __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(wo - ox)), lanes);
            __m256 xv[4];
            for (int j = 0; j < K; j++) xv[j] = _mm256_maskload_ps(xr + ox + j, m);
            for (int r = 0; r < R; r++) {
                __m256 dv = _mm256_maskload_ps(dr + r * plane + ox, m);
                for (int j = 0; j < K; j++) acc[r][j] = _mm256_fmadd_ps(dv, xv[j], acc[r][j]);
            }
        }
    }
    for (int r = 0; r < R; r++) for (int j = 0; j < K; j++) out[r * ldo + j] += mpx_hsum8(acc[r][j]);
}

/* One kernel row's block for every R below the path's most (the remainder of the output channels). */
#define DW_DISPATCH_R(BLOCK, RMAX, K, r, ...)                                                                       \
    switch (r) {                                                                                                    \
    case 1: BLOCK(1, K, __VA_ARGS__); break;                                                                        \
    case 2: if (RMAX >= 2) BLOCK(2, K, __VA_ARGS__); break;                                                         \
    case 3: if (RMAX >= 3) BLOCK(3, K, __VA_ARGS__); break;                                                         \
    case 4: if (RMAX >= 4) BLOCK(4, K, __VA_ARGS__); break;                                                         \
    case 5: if (RMAX >= 5) BLOCK(5 > RMAX ? RMAX : 5, K, __VA_ARGS__); break;                                       \
    case 6: if (RMAX >= 6) BLOCK(6 > RMAX ? RMAX : 6, K, __VA_ARGS__); break;                                       \
    case 7: if (RMAX >= 7) BLOCK(7 > RMAX ? RMAX : 7, K, __VA_ARGS__); break;                                       \
    default: if (RMAX >= 8) BLOCK(8 > RMAX ? RMAX : 8, K, __VA_ARGS__); break;                                      \
    }

/* Over output channels in blocks of RMAX, input channels [ci0, ci1) and kernel rows: the whole layer's dW. The taps
 * of one (co, ci, ky) are the K consecutive floats of dW's last axis, so a block writes R rows of K, cin·K·K apart. */
#define DW_LAYER(NAME, BLOCK, ATTR, RMAX, K)                                                                        \
    ATTR static void NAME(long cout, long ci0, long ci1, long cin, const float *xp, long hp, long wp,               \
                          const float *dy, long ho, long wo, float *dw) {                                           \
        for (long ci = ci0; ci < ci1; ci++)                                                                         \
            for (long ky = 0; ky < K; ky++)                                                                         \
                for (long co = 0; co < cout; co += RMAX) {                                                          \
                    long r = cout - co < RMAX ? cout - co : RMAX;                                                   \
                    const float *x = xp + (ci * hp + ky) * wp, *d = dy + co * ho * wo;                              \
                    float *out = dw + ((co * cin + ci) * K + ky) * K;                                               \
                    DW_DISPATCH_R(BLOCK, RMAX, K, r, x, wp, d, ho * wo, ho, wo, out, cin * K * K)                   \
                }                                                                                                   \
    }

DW_LAYER(dw_avx512_k2, block_avx512, DW_AVX512, 8, 2)
DW_LAYER(dw_avx512_k3, block_avx512, DW_AVX512, 8, 3)
DW_LAYER(dw_avx512_k4, block_avx512, DW_AVX512, 6, 4)
DW_LAYER(dw_avx2_k2, block_avx2, DW_AVX2, 4, 2)
DW_LAYER(dw_avx2_k3, block_avx2, DW_AVX2, 3, 3)
DW_LAYER(dw_avx2_k4, block_avx2, DW_AVX2, 2, 4)
#endif

int mpx_conv_weight_gradient_available(long k) {
#if defined(__x86_64__)
    return mpx_isa() >= MPX_ISA_AVX2 && k >= 2 && k <= 4;
#else
    (void)k;
    return 0;
#endif
}

void mpx_conv_weight_gradient(long cout, long cin, long ci0, long ci1, long k, const float *xp, long hp, long wp,
                              const float *dy, long ho, long wo, float *dw) {
    if (cout <= 0 || ci1 <= ci0 || ho <= 0 || wo <= 0) return;
#if defined(__x86_64__)
    int isa = mpx_isa();
    if (isa >= MPX_ISA_AVX512) {
        if (k == 2) { dw_avx512_k2(cout, ci0, ci1, cin, xp, hp, wp, dy, ho, wo, dw); return; }
        if (k == 3) { dw_avx512_k3(cout, ci0, ci1, cin, xp, hp, wp, dy, ho, wo, dw); return; }
        if (k == 4) { dw_avx512_k4(cout, ci0, ci1, cin, xp, hp, wp, dy, ho, wo, dw); return; }
    } else if (isa == MPX_ISA_AVX2) {
        if (k == 2) { dw_avx2_k2(cout, ci0, ci1, cin, xp, hp, wp, dy, ho, wo, dw); return; }
        if (k == 3) { dw_avx2_k3(cout, ci0, ci1, cin, xp, hp, wp, dy, ho, wo, dw); return; }
        if (k == 4) { dw_avx2_k4(cout, ci0, ci1, cin, xp, hp, wp, dy, ho, wo, dw); return; }
    }
#endif
    dw_scalar(cout, ci0, ci1, cin, k, xp, hp, wp, dy, ho, wo, dw);
}
