/*
 * CGemm: single-precision matrix multiplies on AVX-512 or AVX2+FMA and bf16 ones on AVX512_BF16, for the CPUs where
 * OpenBLAS is held to its AVX2 kernels (OPENBLAS_CORETYPE=Haswell on Zen 4/5, whose AVX-512 older OpenBLAS builds
 * mis-detect) and for the AVX2 ones, where packing a layer's weights once and our worker split beat it. The path is
 * the ISA level's (mpx_isa, CISA.h: the CPU's, capped by MONOPIX_ISA). The Swift side (Sources/Kernels/GEMM.swift)
 * decides which backend runs; these calls are single-threaded and return 0 without touching C at the baseline level
 * (and off x86-64), so the caller falls back to cblas_sgemm.
 *
 * All matrices are row-major: op(A) is m x k, op(B) is k x n, C is m x n; lda/ldb/ldc are the row strides as
 * stored (before any transposition). C = alpha * op(A) * op(B) + beta * C; with beta == 0, C is not read.
 */
#ifndef CGEMM_H
#define CGEMM_H

#ifdef __cplusplus
extern "C" {
#endif

/* A spin-wait hint (PAUSE on x86): a worker spinning for its next job leaves the core's resources to the
 * other thread and costs less power. */
static inline void mpx_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* 1 when the f32 kernels (AVX-512 or AVX2+FMA) can run at the ISA level now. */
int mpx_gemm_native_available(void);
/* Whether the calling thread runs its kernels alone (inside ThreadPolicy.perSample): a thread-local flag. */
int mpx_thread_serial(void);
void mpx_set_thread_serial(int serial);
/* The calling thread's kernel id, and raising its nice value to at least `nice` (a thread may always lower its own
 * priority; raising it back needs privileges, so callers only ever lower). 0 on success. */
long mpx_thread_id(void);
int mpx_lower_thread_priority(int nice);
/* glibc keeps freed memory for reuse (mmap threshold at its most, no trimming) instead of returning it to the
 * kernel: see AllocatorPolicy (Sources/Kernels/AllocatorPolicy.swift). Nothing elsewhere. */
void mpx_keep_freed_memory(void);
/* 1 when the bf16 kernels (AVX512_BF16) can run at the ISA level now. */
int mpx_gemm_bf16_available(void);

/* f32 in, f32 accumulate, f32 out. Returns 1 when done, 0 when no f32 kernel may run. */
int mpx_sgemm(int trans_a, int trans_b, long m, long n, long k, float alpha, const float *a, long lda,
              const float *b, long ldb, float beta, float *c, long ldc);

/* A and B rounded to bf16 (to nearest even) as they are packed, products accumulated in f32, f32 out.
 * Returns 1 when done, 0 when the bf16 kernels may not run. */
int mpx_sgemm_bf16(int trans_a, int trans_b, long m, long n, long k, float alpha, const float *a, long lda,
                   const float *b, long ldb, float beta, float *c, long ldc);

/* A constant left operand (a layer's weights) packed once: mpx_gemm_packed_a_size bytes (bf16 != 0: the bf16
 * layout), filled by mpx_gemm_pack_a (returns 0 where that kernel cannot run), then used by mpx_sgemm_packed in place
 * of op(A) for the same m and k (the f32 layout is the same on the AVX-512 and AVX2 paths). Packing costs about one pass over A per call otherwise, which is most of the time
 * of a product with few columns (a Winograd layer on a 16 x 16 map). */
long mpx_gemm_packed_a_size(int bf16, long m, long k);
int mpx_gemm_pack_a(int bf16, int trans_a, long m, long k, const float *a, long lda, void *packed);
int mpx_sgemm_packed(int bf16, const void *packed_a, int trans_b, long m, long n, long k, float alpha,
                     const float *b, long ldb, float beta, float *c, long ldc);

/* C += A · Bᵀ with A m x k and B n x k row-major (every C element a dot product of two rows), unpacked: for long k
 * and few rows (a weight gradient of a layer with few channels). Runs on every level (baseline: plain C). */
void mpx_sgemm_abt(long m, long n, long k, const float *a, long lda, const float *b, long ldb, float *c, long ldc);

/* The weight gradient of a stride-1 convolution with a k x k kernel, without im2col: for input channels [ci0, ci1),
 * dw[co][ci][ky][kx] += Σ dy[co][oy][ox] · xp[ci][oy + ky][ox + kx] over the ho x wo output, where xp holds cin
 * zero-padded input planes of hp x wp (hp = ho + k - 1, wp >= wo + k - 1) and dy cout planes of ho x wo. Channel ranges
 * write disjoint parts of dw, so workers may split them. Runs on every level (baseline: plain C);
 * mpx_conv_weight_gradient_available says whether a vector path serves this k now. */
int mpx_conv_weight_gradient_available(long k);
void mpx_conv_weight_gradient(long cout, long cin, long ci0, long ci1, long k, const float *xp, long hp, long wp,
                              const float *dy, long ho, long wo, float *dw);

/* The forward of a stride-1 convolution (kh x kw taps) with few output channels, without im2col: y[co][q] for
 * q < ho * wp, output pixel (oy, ox) at q = oy * wp + ox (columns ox >= wp - kw + 1 are junk), from xp: cin zero-padded
 * input planes `plane` floats apart, rows wp wide, with kw - 1 readable floats after the last plane. No bias. */
void mpx_conv_few_outputs(long cout, long cin, long kh, long kw, const float *xp, long plane, long wp, const float *w,
                          long ho, float *y);

/* The register tile of the path now: rows of A per micro-kernel call (6 on both) and columns of B (32 on AVX-512,
 * 16 on AVX2, 0 where no kernel may run). */
int mpx_gemm_mr(void);
int mpx_gemm_nr(void);

#ifdef __cplusplus
}
#endif
#endif
