/*
 * AVX-512 and AVX2 GEMMs in the Goto/BLIS shape: op(B) is packed into panels of NR columns (K-major, zero-padded),
 * op(A) into panels of MR rows, and an MR x NR register tile accumulates a whole KC slice before C is touched. One
 * blocking loop (gemm_f32) serves both f32 paths, given the path's NR, B packer and micro-kernels; MR, KC, MC and NC
 * are the same on both, so a packed A (mpx_gemm_pack_a) is valid whichever path (MONOPIX_ISA, CISA.h) runs it.
 *
 * Blocking (Zen 5: 48 KB L1d, 1 MB L2 per core): one B micro-panel (KC x NR floats, 32 KB at KC = 256) stays in
 * L1 while the micro-kernel walks every A micro-panel of the MC x KC block (up to 288 KB), which stays in L2 beside
 * the KC x NC block of B (512 KB). For bf16 the same bytes hold twice the K (pairs of bf16 per 32-bit lane), so KC
 * doubles. Single-threaded min-of-7 on this machine, Winograd-shaped products (M = out, K = in channels) with A
 * packed once: ~255 GFLOP/s f32 and ~500 bf16 against OpenBLAS Haswell's ~120.
 *
 * The micro-kernel broadcasts one A value per row and multiplies it into the NR/16 vectors of a B row. Its 6 x 32
 * tile is summed in two chains, even k and odd k, added at the end: 24 zmm accumulators like a 12 x 32 tile in one
 * chain, as fast here (two B loads and six broadcasts per twelve FMAs), and the split sum's rounding is ~25% below
 * one sequential chain's (and OpenBLAS's), which matters after the F(4x4) Winograd output transform amplifies it.
 * Two chains also keep >= 8 independent accumulators (4-cycle FMA latency, two pipes) in every edge tile.
 *
 * The AVX2 micro-kernel (Haswell, Zen 1-3: 16 ymm registers) is the classic 6 x 16 tile in one chain: 12 accumulators,
 * two B loads and six broadcasts per twelve FMAs; a second chain would need 24 registers. Its sums are in OpenBLAS's
 * order and rounding, which is what an AVX2 machine ran before.
 *
 * Everything here is compiled for AVX-512 or AVX2 through function attributes only (one binary for every x86-64 CPU);
 * the entry points ask CISA for the level and return 0 where no kernel may run (baseline, other architectures), so
 * the caller falls back to cblas_sgemm.
 */
#include "CGemm.h"
#include "CISA.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local int thread_serial;
int mpx_thread_serial(void) { return thread_serial; }
void mpx_set_thread_serial(int serial) { thread_serial = serial; }

#if defined(__linux__)
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
/* Both kept per thread, so that the kept workers can ask on every job and the render entry points on every frame
 * without a system call once the thread has been lowered. */
static _Thread_local long thread_id;
static _Thread_local int thread_lowered_to;
long mpx_thread_id(void) {
    if (thread_id == 0) thread_id = (long)syscall(SYS_gettid);
    return thread_id;
}
int mpx_lower_thread_priority(int nice) {
    if (thread_lowered_to >= nice) return 0;
    id_t tid = (id_t)mpx_thread_id();
    int now = getpriority(PRIO_PROCESS, tid);
    int status = now >= nice ? 0 : setpriority(PRIO_PROCESS, tid, nice);
    if (status == 0) thread_lowered_to = nice;
    return status;
}
#else
long mpx_thread_id(void) { return 0; }
int mpx_lower_thread_priority(int nice) { (void)nice; return 0; }
#endif

#if defined(__GLIBC__)
#include <malloc.h>
void mpx_keep_freed_memory(void) {
    mallopt(M_MMAP_THRESHOLD, 32 << 20); /* glibc's most: larger buffers are still mapped afresh */
    mallopt(M_TRIM_THRESHOLD, 0x7fffffff);
    mallopt(M_TOP_PAD, 64 << 20);
}
#else
void mpx_keep_freed_memory(void) {}
#endif

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>

#define MR 6
#define NR 32
#ifndef KC
#define KC 256
#endif
#define KC_BF16 512
#ifndef MC
#define MC 288
#endif
#ifndef NC
#define NC 512
#endif

#define ATTR __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))
#define ATTR_AVX2 __attribute__((target("avx2,fma")))
#define ATTR_BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,fma")))
#define INLINE static inline __attribute__((always_inline))

int mpx_gemm_native_available(void) { return mpx_isa() >= MPX_ISA_AVX2; }
int mpx_gemm_bf16_available(void) { return mpx_isa_bf16(); }
int mpx_gemm_mr(void) { return MR; }

/* Per-thread packing buffers, grown on demand and kept: our callers run the GEMM on a few long-lived workers. */
static _Thread_local void *tl_a, *tl_b;
static _Thread_local size_t tl_a_size, tl_b_size;

static void *buffer(void **p, size_t *have, size_t bytes) {
    if (*have < bytes) {
        free(*p);
        bytes = (bytes + 4095) & ~(size_t)4095;
        *p = aligned_alloc(64, bytes);
        *have = *p ? bytes : 0;
    }
    return *p;
}

static inline long min_l(long a, long b) { return a < b ? a : b; }

/* Rows of A per block: at most MC, in equal blocks of whole panels (M = 256 as one block, not 240 + 16: a thin last
 * block streams every B panel again from L2/L3 for a few rows of work). */
static long m_step(long m) {
    long blocks = (m + MC - 1) / MC;
    long rows = (m + blocks - 1) / blocks;
    return (rows + MR - 1) / MR * MR;
}

INLINE __mmask16 lane_mask(long count) {
    return count >= 16 ? (__mmask16)0xFFFF : count <= 0 ? (__mmask16)0 : (__mmask16)((1u << count) - 1);
}

/* ---------------------------------------------------------------- f32 ---------------------------------------- */

/* A panel: ap[k * MR + i] = op(A)(i0 + i, k0 + k) for i < mr (rows past mr are zeros). Plain C, shared by both
 * paths (it makes the one packed layout); A is packed once per MC x KC block and reused for every column panel,
 * so this costs 1/N of the products. */
static void pack_a_f32(int trans, const float *a, long lda, long i0, long mr, long k0, long kc, float *ap) {
    if (trans) {
        /* op(A)(i, k) = a[k * lda + i]: the MR values of a k step are contiguous. */
        for (long k = 0; k < kc; k++) {
            const float *src = a + (k0 + k) * lda + i0;
            for (long i = 0; i < MR; i++) ap[k * MR + i] = i < mr ? src[i] : 0;
        }
        return;
    }
    /* Rows are contiguous in k: a strided copy. */
    long i = 0;
    for (; i < mr; i++) {
        const float *src = a + (i0 + i) * lda + k0;
        float *dst = ap + i;
        long k = 0;
        for (; k + 4 <= kc; k += 4) {
            dst[k * MR] = src[k]; dst[(k + 1) * MR] = src[k + 1];
            dst[(k + 2) * MR] = src[k + 2]; dst[(k + 3) * MR] = src[k + 3];
        }
        for (; k < kc; k++) dst[k * MR] = src[k];
    }
    for (; i < MR; i++) for (long k = 0; k < kc; k++) ap[k * MR + i] = 0;
}

/* B panel of `width` columns from a transposed B, op(B)(k, j) = b[j * ldb + k]: bp[k * width + j], zeros past nr. */
static void pack_b_f32_transposed(long width, const float *b, long ldb, long k0, long kc, long j0, long nr, float *bp) {
    /* Column by column: each reads one contiguous row of b (a k-inner loop over `width` rows at once misses a line
     * per value); the panel being written is KC x width floats, in L1. */
    for (long j = 0; j < width; j++) {
        const float *src = b + (j0 + j) * ldb + k0;
        if (j < nr) for (long k = 0; k < kc; k++) bp[k * width + j] = src[k];
        else for (long k = 0; k < kc; k++) bp[k * width + j] = 0;
    }
}

/* B panel: bp[k * NR + j] = op(B)(k0 + k, j0 + j) for j < nr, zeros past nr. */
ATTR static void pack_b_f32(int trans, const float *b, long ldb, long k0, long kc, long j0, long nr, float *bp) {
    if (trans) { pack_b_f32_transposed(NR, b, ldb, k0, kc, j0, nr, bp); return; }
    __mmask16 m0 = lane_mask(nr), m1 = lane_mask(nr - 16);
    for (long k = 0; k < kc; k++) {
        const float *src = b + (k0 + k) * ldb + j0;
        _mm512_store_ps(bp + k * NR, _mm512_maskz_loadu_ps(m0, src));
        _mm512_store_ps(bp + k * NR + 16, _mm512_maskz_loadu_ps(m1, src + 16));
    }
}

/* C tile (mr x nr) = alpha * acc + beta * C; beta == 0 never reads C (it may be uninitialized). */
#define STORE_TILE(acc)                                                                                             \
    do {                                                                                                            \
        __mmask16 m0 = lane_mask(nr), m1 = lane_mask(nr - 16);                                                      \
        __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);                                               \
        for (int i = 0; i < R; i++) {                                                                               \
            float *ci = c + i * ldc;                                                                                \
            __m512 r0 = _mm512_mul_ps(acc[i][0], va), r1 = _mm512_mul_ps(acc[i][1], va);                            \
            if (beta != 0) {                                                                                        \
                r0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m0, ci), vb, r0);                                        \
                r1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m1, ci + 16), vb, r1);                                   \
            }                                                                                                       \
            _mm512_mask_storeu_ps(ci, m0, r0);                                                                      \
            _mm512_mask_storeu_ps(ci + 16, m1, r1);                                                                 \
        }                                                                                                           \
    } while (0)

INLINE ATTR void kernel_f32(const int R, long kc, const float *restrict ap, const float *restrict bp, long bs, float *c,
                            long ldc, long nr, float alpha, float beta) {
    __m512 acc[MR][2], odd[MR][2];
    for (int i = 0; i < R; i++) { acc[i][0] = _mm512_setzero_ps(); acc[i][1] = _mm512_setzero_ps(); }
    long k = 0;
    for (int i = 0; i < R; i++) { odd[i][0] = _mm512_setzero_ps(); odd[i][1] = _mm512_setzero_ps(); }
    for (; k + 2 <= kc; k += 2) {
        __m512 b0 = _mm512_loadu_ps(bp), b1 = _mm512_loadu_ps(bp + 16);
        __m512 c0 = _mm512_loadu_ps(bp + bs), c1 = _mm512_loadu_ps(bp + bs + 16);
        for (int i = 0; i < R; i++) {
            __m512 ai = _mm512_set1_ps(ap[i]);
            acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
        }
        for (int i = 0; i < R; i++) {
            __m512 ai = _mm512_set1_ps(ap[MR + i]);
            odd[i][0] = _mm512_fmadd_ps(ai, c0, odd[i][0]);
            odd[i][1] = _mm512_fmadd_ps(ai, c1, odd[i][1]);
        }
        ap += 2 * MR;
        bp += 2 * bs;
    }
    for (; k < kc; k++) {
        __m512 b0 = _mm512_loadu_ps(bp), b1 = _mm512_loadu_ps(bp + 16);
        for (int i = 0; i < R; i++) {
            __m512 ai = _mm512_set1_ps(ap[i]);
            acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
        }
        ap += MR;
        bp += bs;
    }
    for (int i = 0; i < R; i++) { acc[i][0] = _mm512_add_ps(acc[i][0], odd[i][0]); acc[i][1] = _mm512_add_ps(acc[i][1], odd[i][1]); }
    STORE_TILE(acc);
}

/* ---- AVX2: NR2 = 16 columns, two ymm per B row ---- */
#define NR2 16

/* The first `count` of 8 lanes, as vmaskmovps masks. */
INLINE ATTR_AVX2 __m256i lane_mask8(long count) {
    long n = count < 0 ? 0 : count > 8 ? 8 : count;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

ATTR_AVX2 static void pack_b_f32_avx2(int trans, const float *b, long ldb, long k0, long kc, long j0, long nr, float *bp) {
    if (trans) { pack_b_f32_transposed(NR2, b, ldb, k0, kc, j0, nr, bp); return; }
    __m256i m0 = lane_mask8(nr), m1 = lane_mask8(nr - 8);
    for (long k = 0; k < kc; k++) {
        const float *src = b + (k0 + k) * ldb + j0;
        _mm256_store_ps(bp + k * NR2, _mm256_maskload_ps(src, m0));
        _mm256_store_ps(bp + k * NR2 + 8, _mm256_maskload_ps(src + 8, m1));
    }
}

INLINE ATTR_AVX2 void kernel_f32_avx2(const int R, long kc, const float *restrict ap, const float *restrict bp, long bs,
                                      float *c, long ldc, long nr, float alpha, float beta) {
    __m256 acc[MR][2];
    for (int i = 0; i < R; i++) { acc[i][0] = _mm256_setzero_ps(); acc[i][1] = _mm256_setzero_ps(); }
    long k = 0;
    if (R <= 3) {
        /* 2R accumulators are fewer chains than two FMA pipes of 4-cycle latency keep busy (a layer with 8 output
         * channels runs its last 2 rows here): even and odd k into separate sums, as the AVX-512 kernel does. */
        __m256 odd[3][2];
        for (int i = 0; i < R; i++) { odd[i][0] = _mm256_setzero_ps(); odd[i][1] = _mm256_setzero_ps(); }
        for (; k + 2 <= kc; k += 2) {
            __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
            __m256 c0 = _mm256_loadu_ps(bp + bs), c1 = _mm256_loadu_ps(bp + bs + 8);
            for (int i = 0; i < R; i++) {
                __m256 ai = _mm256_broadcast_ss(ap + i);
                acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
                acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
            }
            for (int i = 0; i < R; i++) {
                __m256 ai = _mm256_broadcast_ss(ap + MR + i);
                odd[i][0] = _mm256_fmadd_ps(ai, c0, odd[i][0]);
                odd[i][1] = _mm256_fmadd_ps(ai, c1, odd[i][1]);
            }
            ap += 2 * MR;
            bp += 2 * bs;
        }
        for (int i = 0; i < R; i++) { acc[i][0] = _mm256_add_ps(acc[i][0], odd[i][0]); acc[i][1] = _mm256_add_ps(acc[i][1], odd[i][1]); }
    }
    for (; k < kc; k++) {
        __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
        for (int i = 0; i < R; i++) {
            __m256 ai = _mm256_broadcast_ss(ap + i);
            acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
        }
        ap += MR;
        bp += bs;
    }
    /* C tile = alpha * acc + beta * C as STORE_TILE does; full tiles skip the masks. */
    __m256i m0 = lane_mask8(nr), m1 = lane_mask8(nr - 8);
    __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
    for (int i = 0; i < R; i++) {
        float *ci = c + i * ldc;
        __m256 r0 = _mm256_mul_ps(acc[i][0], va), r1 = _mm256_mul_ps(acc[i][1], va);
        if (nr == NR2) {
            if (beta != 0) {
                r0 = _mm256_fmadd_ps(_mm256_loadu_ps(ci), vb, r0);
                r1 = _mm256_fmadd_ps(_mm256_loadu_ps(ci + 8), vb, r1);
            }
            _mm256_storeu_ps(ci, r0);
            _mm256_storeu_ps(ci + 8, r1);
        } else {
            if (beta != 0) {
                r0 = _mm256_fmadd_ps(_mm256_maskload_ps(ci, m0), vb, r0);
                r1 = _mm256_fmadd_ps(_mm256_maskload_ps(ci + 8, m1), vb, r1);
            }
            _mm256_maskstore_ps(ci, m0, r0);
            _mm256_maskstore_ps(ci + 8, m1, r1);
        }
    }
}

/* One function per row count R (the loops over R unroll into straight code), for each path. */
#define KERNEL_F32(R)                                                                                               \
    ATTR static void kernel_f32_##R(long kc, const float *ap, const float *bp, long bs, float *c, long ldc, long nr,  \
                                    float alpha, float beta) {                                                      \
        kernel_f32(R, kc, ap, bp, bs, c, ldc, nr, alpha, beta);                                                     \
    }                                                                                                               \
    ATTR_AVX2 static void kernel_f32_avx2_##R(long kc, const float *ap, const float *bp, long bs, float *c, long ldc, \
                                              long nr, float alpha, float beta) {                                   \
        kernel_f32_avx2(R, kc, ap, bp, bs, c, ldc, nr, alpha, beta);                                                \
    }
KERNEL_F32(1) KERNEL_F32(2) KERNEL_F32(3) KERNEL_F32(4) KERNEL_F32(5) KERNEL_F32(6)

typedef void (*kernel_f32_fn)(long, const float *, const float *, long, float *, long, long, float, float);
typedef void (*pack_b_f32_fn)(int, const float *, long, long, long, long, long, float *);

/* What the blocking loop needs of a path: its panel width, B packer and micro-kernel per row count. */
typedef struct {
    long nr;
    pack_b_f32_fn pack_b;
    kernel_f32_fn kernels[MR + 1];
} f32_path;

static const f32_path path_avx512 = {
    NR, pack_b_f32, {0, kernel_f32_1, kernel_f32_2, kernel_f32_3, kernel_f32_4, kernel_f32_5, kernel_f32_6},
};
static const f32_path path_avx2 = {
    NR2, pack_b_f32_avx2,
    {0, kernel_f32_avx2_1, kernel_f32_avx2_2, kernel_f32_avx2_3, kernel_f32_avx2_4, kernel_f32_avx2_5, kernel_f32_avx2_6},
};

/* The f32 path for the level now, or NULL (baseline: cblas). */
static const f32_path *f32_path_now(void) {
    int isa = mpx_isa();
    return isa >= MPX_ISA_AVX512 ? &path_avx512 : isa == MPX_ISA_AVX2 ? &path_avx2 : NULL;
}

int mpx_gemm_nr(void) {
    const f32_path *p = f32_path_now();
    return p ? (int)p->nr : 0;
}

/* `packed`, when not NULL, is op(A) as mpx_gemm_pack_a laid it out (then `a` is not read). */
static void gemm_f32(const f32_path *path, int ta, int tb, long m, long n, long k, float alpha, const float *a, long lda,
                     const float *packed, const float *b, long ldb, float beta, float *c, long ldc) {
    const long pnr = path->nr;
    long mpad = (m + MR - 1) / MR * MR;
    long mstep = m_step(m), ncap = min_l(n, NC), kcap = min_l(k, KC), mcap = min_l(m, mstep);
    float *bbuf = buffer(&tl_b, &tl_b_size, sizeof(float) * (size_t)kcap * (size_t)((ncap + pnr - 1) / pnr * pnr));
    float *abuf = buffer(&tl_a, &tl_a_size, sizeof(float) * (size_t)kcap * (size_t)((mcap + MR - 1) / MR * MR));
    if (!abuf || !bbuf) abort();
    for (long jc = 0; jc < n; jc += NC) {
        long nc = min_l(NC, n - jc);
        for (long pc = 0; pc < k; pc += KC) {
            long kc = min_l(KC, k - pc);
            float bet = pc == 0 ? beta : 1;
            if (m <= mstep) {
                /* One block of rows uses each B panel once: packed right before its products, the panel (16 KB at
                 * KC 256) is still in L1 when the kernels stream it, instead of coming back from the L2 copy of all of
                 * them; with at most two row tiles it is not copied at all (below). One thread of a Zen 5, 6 rows x
                 * 4096 x 256: AVX2 46 -> 69 GFLOPS, AVX-512 71 -> 106; 16 rows and more: unchanged. */
                const float *ablock = abuf;
                if (packed) ablock = packed + pc * mpad;
                else for (long ir = 0; ir < m; ir += MR) pack_a_f32(ta, a, lda, ir, min_l(MR, m - ir), pc, kc, abuf + ir * kc);
                for (long jr = 0; jr < nc; jr += pnr) {
                    long nr = min_l(pnr, nc - jr);
                    /* A whole panel of a row-major B is read where it lies when it feeds at most two row tiles: a copy
                     * would cost about as much as those products (three tiles measured slower than a copy). */
                    const float *bp = bbuf;
                    long bs = pnr;
                    if (!tb && nr == pnr && m <= 2 * MR) { bp = b + pc * ldb + jc + jr; bs = ldb; }
                    else path->pack_b(tb, b, ldb, pc, kc, jc + jr, nr, bbuf);
                    for (long ir = 0; ir < m; ir += MR)
                        path->kernels[min_l(MR, m - ir)](kc, ablock + ir * kc, bp, bs, c + ir * ldc + jc + jr, ldc, nr, alpha, bet);
                }
                continue;
            }
            for (long jr = 0; jr < nc; jr += pnr)
                path->pack_b(tb, b, ldb, pc, kc, jc + jr, min_l(pnr, nc - jr), bbuf + jr * kc);
            for (long ic = 0; ic < m; ic += mstep) {
                long mc = min_l(mstep, m - ic);
                const float *ablock = abuf;
                if (packed) ablock = packed + pc * mpad + ic * kc;
                else for (long ir = 0; ir < mc; ir += MR)
                    pack_a_f32(ta, a, lda, ic + ir, min_l(MR, mc - ir), pc, kc, abuf + ir * kc);
                for (long jr = 0; jr < nc; jr += pnr) {
                    long nr = min_l(pnr, nc - jr);
                    const float *bp = bbuf + jr * kc;
                    for (long ir = 0; ir < mc; ir += MR) {
                        long mr = min_l(MR, mc - ir);
                        path->kernels[mr](kc, ablock + ir * kc, bp, pnr, c + (ic + ir) * ldc + jc + jr, ldc, nr, alpha, bet);
                    }
                }
            }
        }
    }
}
/* ---------------------------------------------------------------- bf16 --------------------------------------- */

/* Both operands hold pairs of consecutive k per 32-bit lane (k even in the low half), as vdpbf16ps multiplies them:
 * lane j of the product adds a[2j] * b[2j] + a[2j+1] * b[2j+1]. An odd K is padded with a zero k. */

ATTR_BF16 static inline uint32_t bf16_pair(float lo, float hi) {
    __m128 v = _mm_set_ps(0, 0, hi, lo);
    __m128bh h = _mm_cvtneps_pbh(v);
    uint32_t r;
    memcpy(&r, &h, 4);
    return r;
}

/* A panel: ap[p * MR + i] = pair(op(A)(i, 2p), op(A)(i, 2p + 1)). */
ATTR_BF16 static void pack_a_bf16(int trans, const float *a, long lda, long i0, long mr, long k0, long kc, uint32_t *ap) {
    long pairs = (kc + 1) / 2;
    if (!trans) {
        /* Each row converts 32 k at a time into 16 pairs, which go to 16 consecutive k-pair slots of the panel. */
        for (long i = 0; i < MR; i++) {
            if (i >= mr) { for (long p = 0; p < pairs; p++) ap[p * MR + i] = 0; continue; }
            const float *src = a + (i0 + i) * lda + k0;
            for (long p0 = 0; p0 < pairs; p0 += 16) {
                long k = 2 * p0;
                __m512 lo = _mm512_maskz_loadu_ps(lane_mask(kc - k), src + k);
                __m512 hi = _mm512_maskz_loadu_ps(lane_mask(kc - k - 16), src + k + 16);
                __m512i v = (__m512i)_mm512_cvtne2ps_pbh(hi, lo);
                uint32_t tmp[16];
                _mm512_storeu_si512(tmp, v);
                long count = min_l(16, pairs - p0);
                for (long t = 0; t < count; t++) ap[(p0 + t) * MR + i] = tmp[t];
            }
        }
        return;
    }
    for (long p = 0; p < pairs; p++) {
        long k = k0 + 2 * p;
        for (long i = 0; i < MR; i++) {
            float lo = 0, hi = 0;
            if (i < mr) {
                lo = a[k * lda + i0 + i];
                if (2 * p + 1 < kc) hi = a[(k + 1) * lda + i0 + i];
            }
            ap[p * MR + i] = bf16_pair(lo, hi);
        }
    }
}

/* B panel: 64 bf16 per k pair: columns 0..15 interleaved (row 2p, row 2p+1), then columns 16..31. */
ATTR_BF16 static void pack_b_bf16(int trans, const float *b, long ldb, long k0, long kc, long j0, long nr, uint16_t *bp) {
    long pairs = (kc + 1) / 2;
    if (!trans) {
        const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                                                    23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
        __mmask16 m0 = lane_mask(nr), m1 = lane_mask(nr - 16);
        for (long p = 0; p < pairs; p++) {
            const float *r0 = b + (k0 + 2 * p) * ldb + j0;
            int has1 = 2 * p + 1 < kc;
            const float *r1 = r0 + ldb;
            __m512 a0 = _mm512_maskz_loadu_ps(m0, r0), a1 = _mm512_maskz_loadu_ps(m1, r0 + 16);
            __m512 b0 = has1 ? _mm512_maskz_loadu_ps(m0, r1) : _mm512_setzero_ps();
            __m512 b1 = has1 ? _mm512_maskz_loadu_ps(m1, r1 + 16) : _mm512_setzero_ps();
            __m512i v0 = _mm512_permutexvar_epi16(interleave, (__m512i)_mm512_cvtne2ps_pbh(b0, a0));
            __m512i v1 = _mm512_permutexvar_epi16(interleave, (__m512i)_mm512_cvtne2ps_pbh(b1, a1));
            _mm512_store_si512(bp + p * 64, v0);
            _mm512_store_si512(bp + p * 64 + 32, v1);
        }
        return;
    }
    uint32_t *out = (uint32_t *)bp;
    for (long p = 0; p < pairs; p++) {
        for (long j = 0; j < NR; j++) {
            float lo = 0, hi = 0;
            if (j < nr) {
                const float *col = b + (j0 + j) * ldb + k0 + 2 * p;
                lo = col[0];
                if (2 * p + 1 < kc) hi = col[1];
            }
            /* Lane j of the first vector is column j for j < 16; columns 16..31 are the second vector. */
            out[p * NR + j] = bf16_pair(lo, hi);
        }
    }
}

INLINE ATTR_BF16 void kernel_bf16(const int R, long pairs, const uint32_t *restrict ap, const uint16_t *restrict bp,
                                  float *c, long ldc, long nr, float alpha, float beta) {
    __m512 acc[MR][2], odd[MR][2];
    for (int i = 0; i < R; i++) {
        acc[i][0] = _mm512_setzero_ps(); acc[i][1] = _mm512_setzero_ps();
        odd[i][0] = _mm512_setzero_ps(); odd[i][1] = _mm512_setzero_ps();
    }
    long p = 0;
    for (; p + 2 <= pairs; p += 2) {
        __m512bh b0 = (__m512bh)_mm512_load_si512(bp), b1 = (__m512bh)_mm512_load_si512(bp + 32);
        __m512bh c0 = (__m512bh)_mm512_load_si512(bp + 64), c1 = (__m512bh)_mm512_load_si512(bp + 96);
        for (int i = 0; i < R; i++) {
            __m512bh ai = (__m512bh)_mm512_set1_epi32((int)ap[i]);
            acc[i][0] = _mm512_dpbf16_ps(acc[i][0], ai, b0);
            acc[i][1] = _mm512_dpbf16_ps(acc[i][1], ai, b1);
        }
        for (int i = 0; i < R; i++) {
            __m512bh ai = (__m512bh)_mm512_set1_epi32((int)ap[MR + i]);
            odd[i][0] = _mm512_dpbf16_ps(odd[i][0], ai, c0);
            odd[i][1] = _mm512_dpbf16_ps(odd[i][1], ai, c1);
        }
        ap += 2 * MR;
        bp += 4 * NR;
    }
    for (; p < pairs; p++) {
        __m512bh b0 = (__m512bh)_mm512_load_si512(bp), b1 = (__m512bh)_mm512_load_si512(bp + 32);
        for (int i = 0; i < R; i++) {
            __m512bh ai = (__m512bh)_mm512_set1_epi32((int)ap[i]);
            acc[i][0] = _mm512_dpbf16_ps(acc[i][0], ai, b0);
            acc[i][1] = _mm512_dpbf16_ps(acc[i][1], ai, b1);
        }
        ap += MR;
        bp += 2 * NR;
    }
    for (int i = 0; i < R; i++) { acc[i][0] = _mm512_add_ps(acc[i][0], odd[i][0]); acc[i][1] = _mm512_add_ps(acc[i][1], odd[i][1]); }
    STORE_TILE(acc);
}

#define KERNEL_BF16(R)                                                                                              \
    ATTR_BF16 static void kernel_bf16_##R(long pairs, const uint32_t *ap, const uint16_t *bp, float *c, long ldc,   \
                                          long nr, float alpha, float beta) {                                       \
        kernel_bf16(R, pairs, ap, bp, c, ldc, nr, alpha, beta);                                                     \
    }
KERNEL_BF16(1) KERNEL_BF16(2) KERNEL_BF16(3) KERNEL_BF16(4) KERNEL_BF16(5) KERNEL_BF16(6)

typedef void (*kernel_bf16_fn)(long, const uint32_t *, const uint16_t *, float *, long, long, float, float);
static const kernel_bf16_fn kernels_bf16[MR + 1] = {
    0, kernel_bf16_1, kernel_bf16_2, kernel_bf16_3, kernel_bf16_4, kernel_bf16_5, kernel_bf16_6,
};

ATTR_BF16 static void gemm_bf16(int ta, int tb, long m, long n, long k, float alpha, const float *a, long lda,
                                const uint32_t *packed, const float *b, long ldb, float beta, float *c, long ldc) {
    long mpad = (m + MR - 1) / MR * MR;
    long mstep = m_step(m), ncap = min_l(n, NC), kcap = min_l(k, KC_BF16), mcap = min_l(m, mstep);
    long pcap = (kcap + 1) / 2;
    uint16_t *bbuf = buffer(&tl_b, &tl_b_size, 4 * (size_t)pcap * (size_t)((ncap + NR - 1) / NR * NR));
    uint32_t *abuf = buffer(&tl_a, &tl_a_size, 4 * (size_t)pcap * (size_t)((mcap + MR - 1) / MR * MR));
    if (!abuf || !bbuf) abort();
    for (long jc = 0; jc < n; jc += NC) {
        long nc = min_l(NC, n - jc);
        for (long pc = 0; pc < k; pc += KC_BF16) {
            long kc = min_l(KC_BF16, k - pc), pairs = (kc + 1) / 2;
            float bet = pc == 0 ? beta : 1;
            for (long jr = 0; jr < nc; jr += NR)
                pack_b_bf16(tb, b, ldb, pc, kc, jc + jr, min_l(NR, nc - jr), bbuf + jr * 2 * pairs);
            for (long ic = 0; ic < m; ic += mstep) {
                long mc = min_l(mstep, m - ic);
                const uint32_t *ablock = abuf;
                if (packed) ablock = packed + pc / 2 * mpad + ic * pairs;
                else for (long ir = 0; ir < mc; ir += MR)
                    pack_a_bf16(ta, a, lda, ic + ir, min_l(MR, mc - ir), pc, kc, abuf + ir * pairs);
                for (long jr = 0; jr < nc; jr += NR) {
                    long nr = min_l(NR, nc - jr);
                    const uint16_t *bp = bbuf + jr * 2 * pairs;
                    for (long ir = 0; ir < mc; ir += MR) {
                        long mr = min_l(MR, mc - ir);
                        kernels_bf16[mr](pairs, ablock + ir * pairs, bp, c + (ic + ir) * ldc + jc + jr, ldc, nr, alpha, bet);
                    }
                }
            }
        }
    }
}

/* ---------------------------------------------------------------- entry points -------------------------------- */

/* Nothing to multiply: C = beta * C (k == 0), as BLAS defines it. */
static int degenerate(long m, long n, long k, float beta, float *c, long ldc) {
    if (m <= 0 || n <= 0) return 1;
    if (k > 0) return 0;
    for (long i = 0; i < m; i++)
        for (long j = 0; j < n; j++) c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j];
    return 1;
}

int mpx_sgemm(int trans_a, int trans_b, long m, long n, long k, float alpha, const float *a, long lda,
              const float *b, long ldb, float beta, float *c, long ldc) {
    const f32_path *path = f32_path_now();
    if (!path) return 0;
    if (degenerate(m, n, k, beta, c, ldc)) return 1;
    gemm_f32(path, trans_a, trans_b, m, n, k, alpha, a, lda, NULL, b, ldb, beta, c, ldc);
    return 1;
}

int mpx_sgemm_bf16(int trans_a, int trans_b, long m, long n, long k, float alpha, const float *a, long lda,
                   const float *b, long ldb, float beta, float *c, long ldc) {
    if (!mpx_isa_bf16()) return 0;
    if (degenerate(m, n, k, beta, c, ldc)) return 1;
    gemm_bf16(trans_a, trans_b, m, n, k, alpha, a, lda, NULL, b, ldb, beta, c, ldc);
    return 1;
}

/* Packed A: for each K block (KC, or KC_BF16 k in pairs), all of M in MR-row panels, zero-padded to a multiple of
 * MR rows: block `pc` starts at pc * mpad floats (f32) or pc / 2 * mpad pairs (bf16), its panel `ir` at + ir * kc
 * (f32) or + ir * pairs (bf16): what gemm_f32/gemm_bf16 index. */
long mpx_gemm_packed_a_size(int bf16, long m, long k) {
    long mpad = (m + MR - 1) / MR * MR;
    return bf16 ? 4 * mpad * ((k + 1) / 2) : 4 * mpad * k;
}

int mpx_gemm_pack_a(int bf16, int trans_a, long m, long k, const float *a, long lda, void *packed) {
    if (bf16 ? !mpx_isa_bf16() : !f32_path_now()) return 0;
    if (m <= 0 || k <= 0) return 1;
    long mpad = (m + MR - 1) / MR * MR;
    if (bf16) {
        for (long pc = 0; pc < k; pc += KC_BF16) {
            long kc = min_l(KC_BF16, k - pc), pairs = (kc + 1) / 2;
            uint32_t *block = (uint32_t *)packed + pc / 2 * mpad;
            for (long ir = 0; ir < m; ir += MR) pack_a_bf16(trans_a, a, lda, ir, min_l(MR, m - ir), pc, kc, block + ir * pairs);
        }
    } else {
        for (long pc = 0; pc < k; pc += KC) {
            long kc = min_l(KC, k - pc);
            float *block = (float *)packed + pc * mpad;
            for (long ir = 0; ir < m; ir += MR) pack_a_f32(trans_a, a, lda, ir, min_l(MR, m - ir), pc, kc, block + ir * kc);
        }
    }
    return 1;
}

int mpx_sgemm_packed(int bf16, const void *packed_a, int trans_b, long m, long n, long k, float alpha,
                     const float *b, long ldb, float beta, float *c, long ldc) {
    const f32_path *path = f32_path_now();
    if (bf16 ? !mpx_isa_bf16() : !path) return 0;
    if (degenerate(m, n, k, beta, c, ldc)) return 1;
    if (bf16) gemm_bf16(0, trans_b, m, n, k, alpha, NULL, 0, packed_a, b, ldb, beta, c, ldc);
    else gemm_f32(path, 0, trans_b, m, n, k, alpha, NULL, 0, packed_a, b, ldb, beta, c, ldc);
    return 1;
}

#else

int mpx_gemm_native_available(void) { return 0; }
int mpx_gemm_bf16_available(void) { return 0; }
int mpx_gemm_mr(void) { return 0; }
int mpx_gemm_nr(void) { return 0; }
int mpx_sgemm(int trans_a, int trans_b, long m, long n, long k, float alpha, const float *a, long lda,
              const float *b, long ldb, float beta, float *c, long ldc) {
    (void)trans_a; (void)trans_b; (void)m; (void)n; (void)k; (void)alpha; (void)a; (void)lda; (void)b; (void)ldb;
    (void)beta; (void)c; (void)ldc;
    return 0;
}
int mpx_sgemm_bf16(int trans_a, int trans_b, long m, long n, long k, float alpha, const float *a, long lda,
                   const float *b, long ldb, float beta, float *c, long ldc) {
    return mpx_sgemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
long mpx_gemm_packed_a_size(int bf16, long m, long k) { (void)bf16; (void)m; (void)k; return 0; }
int mpx_gemm_pack_a(int bf16, int trans_a, long m, long k, const float *a, long lda, void *packed) {
    (void)bf16; (void)trans_a; (void)m; (void)k; (void)a; (void)lda; (void)packed;
    return 0;
}
int mpx_sgemm_packed(int bf16, const void *packed_a, int trans_b, long m, long n, long k, float alpha,
                     const float *b, long ldb, float beta, float *c, long ldc) {
    (void)bf16; (void)packed_a; (void)trans_b; (void)m; (void)n; (void)k; (void)alpha; (void)b; (void)ldb; (void)beta;
    (void)c; (void)ldc;
    return 0;
}

#endif
