/*
 * C += A · Bᵀ for long, thin operands: A is m x k and B is n x k, both row-major, so every element of C is the dot
 * product of a row of A and a row of B. This is a convolution's weight gradient (dW += dY · colᵀ: m = output
 * channels, n = input channels x taps, k = pixels) where the layer has few channels and the maps are large. The
 * blocked GEMM (gemm.c) packs the k x n operand for so few rows of A that packing costs as much as the products (23
 * GFLOPS at 8 channels on Zen 3, against ~75 at 64); here both operands stream along k, unpacked, in chunks that stay
 * in L1, into 2 x 4 register tiles of vector partial sums.
 *
 * AVX-512 and AVX2 by function attributes (one binary for every x86-64 CPU, the level from CISA); the baseline (and
 * every other architecture) is plain C that the compiler vectorises.
 */
#include "CGemm.h"
#include "CISA.h"

/* k per chunk: the chunk's rows of A (m of them) and the tile's 4 rows of B stay in L1 while the tiles walk them. */
#define ABT_CHUNK 256

static void abt_scalar(long m, long n, long k, const float *a, long lda, const float *b, long ldb, float *c, long ldc) {
    for (long i = 0; i < m; i++)
        for (long j = 0; j < n; j++) {
            const float *x = a + i * lda, *y = b + j * ldb;
            float s = 0;
            for (long p = 0; p < k; p++) s += x[p] * y[p];
            c[i * ldc + j] += s;
        }
}

#if defined(__x86_64__)
#include <immintrin.h>
#include "vector_sum.h"
#define ABT_AVX2 __attribute__((target("avx2,fma")))
#define ABT_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))
#define ABT_INLINE static inline __attribute__((always_inline))


/* One R x S tile (R <= 2 rows of A, S <= 4 rows of B) over k0..k0+kc: C tile += the dot products. */
ABT_INLINE ABT_AVX2 void tile_avx2(const int R, const int S, long kc, const float *a, long lda, const float *b, long ldb,
                                   float *c, long ldc) {
    __m256 acc[2][4];
    for (int i = 0; i < R; i++) for (int j = 0; j < S; j++) acc[i][j] = _mm256_setzero_ps();
    long p = 0;
    for (; p + 8 <= kc; p += 8) {
        __m256 x[2], y[4];
        for (int i = 0; i < R; i++) x[i] = _mm256_loadu_ps(a + i * lda + p);
        for (int j = 0; j < S; j++) y[j] = _mm256_loadu_ps(b + j * ldb + p);
        for (int i = 0; i < R; i++) for (int j = 0; j < S; j++) acc[i][j] = _mm256_fmadd_ps(x[i], y[j], acc[i][j]);
    }
    for (int i = 0; i < R; i++)
        for (int j = 0; j < S; j++) {
            float s = mpx_hsum8(acc[i][j]);
            for (long q = p; q < kc; q++) s += a[i * lda + q] * b[j * ldb + q];
            c[i * ldc + j] += s;
        }
}

#define ABT_TILES(NAME, TILE, ATTR)                                                                                 \
    ATTR static void NAME(long m, long n, long k, const float *a, long lda, const float *b, long ldb, float *c,    \
                          long ldc) {                                                                               \
        for (long p0 = 0; p0 < k; p0 += ABT_CHUNK) {                                                                \
            long kc = k - p0 < ABT_CHUNK ? k - p0 : ABT_CHUNK;                                                      \
            for (long j = 0; j < n; j += 4) {                                                                       \
                long s = n - j < 4 ? n - j : 4;                                                                     \
                const float *bj = b + j * ldb + p0;                                                                 \
                for (long i = 0; i < m; i += 2) {                                                                   \
                    const float *ai = a + i * lda + p0;                                                             \
                    float *cij = c + i * ldc + j;                                                                   \
                    if (m - i >= 2) {                                                                               \
                        if (s == 4) TILE(2, 4, kc, ai, lda, bj, ldb, cij, ldc);                                     \
                        else if (s == 3) TILE(2, 3, kc, ai, lda, bj, ldb, cij, ldc);                                \
                        else if (s == 2) TILE(2, 2, kc, ai, lda, bj, ldb, cij, ldc);                                \
                        else TILE(2, 1, kc, ai, lda, bj, ldb, cij, ldc);                                            \
                    } else {                                                                                        \
                        if (s == 4) TILE(1, 4, kc, ai, lda, bj, ldb, cij, ldc);                                     \
                        else if (s == 3) TILE(1, 3, kc, ai, lda, bj, ldb, cij, ldc);                                \
                        else if (s == 2) TILE(1, 2, kc, ai, lda, bj, ldb, cij, ldc);                                \
                        else TILE(1, 1, kc, ai, lda, bj, ldb, cij, ldc);                                            \
                    }                                                                                               \
                }                                                                                                   \
            }                                                                                                       \
        }                                                                                                           \
    }

ABT_TILES(abt_avx2, tile_avx2, ABT_AVX2)

ABT_INLINE ABT_AVX512 void tile_avx512(const int R, const int S, long kc, const float *a, long lda, const float *b,
                                       long ldb, float *c, long ldc) {
    __m512 acc[2][4];
    for (int i = 0; i < R; i++) for (int j = 0; j < S; j++) acc[i][j] = _mm512_setzero_ps();
    long p = 0;
    for (; p + 16 <= kc; p += 16) {
        __m512 x[2], y[4];
        for (int i = 0; i < R; i++) x[i] = _mm512_loadu_ps(a + i * lda + p);
        for (int j = 0; j < S; j++) y[j] = _mm512_loadu_ps(b + j * ldb + p);
        for (int i = 0; i < R; i++) for (int j = 0; j < S; j++) acc[i][j] = _mm512_fmadd_ps(x[i], y[j], acc[i][j]);
    }
    if (p < kc) {
        __mmask16 mask = (__mmask16)((1u << (kc - p)) - 1);
        __m512 x[2], y[4];
        for (int i = 0; i < R; i++) x[i] = _mm512_maskz_loadu_ps(mask, a + i * lda + p);
        for (int j = 0; j < S; j++) y[j] = _mm512_maskz_loadu_ps(mask, b + j * ldb + p);
        for (int i = 0; i < R; i++) for (int j = 0; j < S; j++) acc[i][j] = _mm512_fmadd_ps(x[i], y[j], acc[i][j]);
    }
    for (int i = 0; i < R; i++) for (int j = 0; j < S; j++) c[i * ldc + j] += _mm512_reduce_add_ps(acc[i][j]);
}

ABT_TILES(abt_avx512, tile_avx512, ABT_AVX512)
#endif

void mpx_sgemm_abt(long m, long n, long k, const float *a, long lda, const float *b, long ldb, float *c, long ldc) {
    if (m <= 0 || n <= 0 || k <= 0) return;
#if defined(__x86_64__)
    int isa = mpx_isa();
    if (isa >= MPX_ISA_AVX512) { abt_avx512(m, n, k, a, lda, b, ldb, c, ldc); return; }
    if (isa == MPX_ISA_AVX2) { abt_avx2(m, n, k, a, lda, b, ldb, c, ldc); return; }
#endif
    abt_scalar(m, n, k, a, lda, b, ldb, c, ldc);
}
