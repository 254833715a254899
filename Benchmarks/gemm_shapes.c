/*
 * Single-threaded GEMM speed on the shapes the generator's convolutions give (Winograd products: M = output channels,
 * K = input channels, N = tiles per block; then im2col of conv1_1 and a large product) and on training's (a 4x4
 * stride-2 discriminator layer's forward im2col product and its two backward products, with op(B) or op(A)
 * transposed): OpenBLAS beside CGemm on every ISA path this CPU runs (MONOPIX_ISA levels, CISA.h), f32 with A packed
 * per call and once, and bf16 where it exists. Min of 7 interleaved rounds, so a busy machine still compares.
 *
 *   clang -O2 -ISources/CGemm/include -ISources/CISA/include Sources/CGemm/gemm.c Sources/CISA/isa.c \
 *       Benchmarks/gemm_shapes.c -o /tmp/gemm_shapes $(pkg-config --cflags --libs openblas) && /tmp/gemm_shapes
 */
#include "CGemm.h"
#include "CISA.h"
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

/* m, n, k, transpose A, transpose B. */
static const int shapes[][5] = {
    {32, 1024, 64, 0, 0}, {64, 1024, 32, 0, 0}, {32, 1024, 32, 0, 0}, {64, 1024, 64, 0, 0}, {128, 512, 64, 0, 0},
    {512, 16, 512, 0, 0}, {256, 64, 512, 0, 0}, {256, 64, 256, 0, 0}, {128, 256, 256, 0, 0}, {64, 512, 128, 0, 0},
    {32, 8192, 36, 0, 0}, {256, 4096, 576, 0, 0},
    /* Discriminator 64 -> 128, 4x4 stride 2 on 64x64 (32x32 out): forward W * col, dW = dY * col^T, dcol = W^T dY. */
    {128, 1024, 1024, 0, 0}, {128, 1024, 1024, 0, 1}, {1024, 1024, 128, 1, 0},
};

int main(void) {
    openblas_set_num_threads(1);
    printf("single thread, min of 7 interleaved rounds, GFLOP/s; OpenBLAS core %s\n", openblas_get_corename());
    printf(" isa       M     N     K  tA tB  openblas  native  native+packedA  bf16+packedA\n");
    for (int level = mpx_isa_supported(); level >= MPX_ISA_AVX2; level--) {
        mpx_isa_cap(level);
        for (int s = 0; s < (int)(sizeof shapes / sizeof shapes[0]); s++) {
            long m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
            int ta = shapes[s][3], tb = shapes[s][4];
            long lda = ta ? m : k, ldb = tb ? k : n;
            float *a = malloc(4 * m * k), *b = malloc(4 * k * n), *c = malloc(4 * m * n);
            for (long i = 0; i < m * k; i++) a[i] = rand() / (float)RAND_MAX;
            for (long i = 0; i < k * n; i++) b[i] = rand() / (float)RAND_MAX;
            void *pa = aligned_alloc(64, (mpx_gemm_packed_a_size(0, m, k) + 63) / 64 * 64);
            void *pb = aligned_alloc(64, (mpx_gemm_packed_a_size(1, m, k) + 63) / 64 * 64);
            int packed = mpx_gemm_pack_a(0, ta, m, k, a, lda, pa), bf16 = mpx_gemm_pack_a(1, ta, m, k, a, lda, pb);
            double fl = 2.0 * m * n * k, best[4] = {1e9, 1e9, 1e9, 1e9};
            int reps = (int)(3e8 / fl) + 1;
            for (int r = 0; r < 7; r++) {
                double t = now();
                for (int i = 0; i < reps; i++)
                    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1,
                                a, lda, b, ldb, 0, c, n);
                if ((t = (now() - t) / reps) < best[0]) best[0] = t;
                t = now();
                for (int i = 0; i < reps; i++) mpx_sgemm(ta, tb, m, n, k, 1, a, lda, b, ldb, 0, c, n);
                if ((t = (now() - t) / reps) < best[1]) best[1] = t;
                t = now();
                for (int i = 0; i < reps && packed; i++) mpx_sgemm_packed(0, pa, tb, m, n, k, 1, b, ldb, 0, c, n);
                if ((t = (now() - t) / reps) < best[2]) best[2] = t;
                t = now();
                for (int i = 0; i < reps && bf16; i++) mpx_sgemm_packed(1, pb, tb, m, n, k, 1, b, ldb, 0, c, n);
                if ((t = (now() - t) / reps) < best[3]) best[3] = t;
            }
            printf("%-7s %4ld %5ld %5ld  %d  %d   %7.1f  %7.1f  %10.1f  ", mpx_isa_name(level), m, n, k, ta, tb,
                   fl / best[0] / 1e9, fl / best[1] / 1e9, fl / best[2] / 1e9);
            if (bf16) printf("%12.1f\n", fl / best[3] / 1e9); else printf("%12s\n", "-");
            free(a); free(b); free(c); free(pa); free(pb);
        }
    }
}
