/*
 * The forward of a stride-1 convolution with very few output channels (the discriminators' last layer, 128 > 1),
 * without im2col: over the zero-padded input laid out with its padded row width wp, output pixel (oy, ox) sits at
 * q = oy * wp + ox and every tap (ci, ky, kx) reads the input at q + ky * wp + kx, so each tap is one contiguous
 *   y[co][0 ..< ho * wp] += w[co][ci][ky][kx] · xp[ci][ky * wp + kx ...]
 * whose columns ox >= wo are junk the caller drops. Through im2col a 6x6 map's 2048 rows of 7 pixels cost a call and
 * its bookkeeping per row, for a product with one output row: most of a patch discriminator's last layer.
 *
 * Plain C loops, compiled for AVX-512, AVX2 and baseline x86-64 and picked by the ISA level (CISA).
 */
#include "CGemm.h"
#include "CISA.h"

static inline __attribute__((always_inline)) void few_outputs_body(long cout, long cin, long kh, long kw, const float *xp,
                                                                   long plane, long wp, const float *w, long ho, float *y) {
    long n = ho * wp;
    for (long co = 0; co < cout; co++) {
        float *yc = y + co * n;
        for (long q = 0; q < n; q++) yc[q] = 0;
        for (long ci = 0; ci < cin; ci++)
            for (long ky = 0; ky < kh; ky++)
                for (long kx = 0; kx < kw; kx++) {
                    float t = w[((co * cin + ci) * kh + ky) * kw + kx];
                    const float *x = xp + ci * plane + ky * wp + kx;
                    for (long q = 0; q < n; q++) yc[q] += t * x[q];
                }
    }
}

#if defined(__x86_64__)
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma"))) static void few_outputs_avx512(
    long cout, long cin, long kh, long kw, const float *xp, long plane, long wp, const float *w, long ho, float *y) {
    few_outputs_body(cout, cin, kh, kw, xp, plane, wp, w, ho, y);
}
__attribute__((target("avx2,fma"))) static void few_outputs_avx2(long cout, long cin, long kh, long kw, const float *xp,
                                                                 long plane, long wp, const float *w, long ho, float *y) {
    few_outputs_body(cout, cin, kh, kw, xp, plane, wp, w, ho, y);
}
#endif

void mpx_conv_few_outputs(long cout, long cin, long kh, long kw, const float *xp, long plane, long wp, const float *w,
                          long ho, float *y) {
#if defined(__x86_64__)
    int isa = mpx_isa();
    if (isa >= MPX_ISA_AVX512) { few_outputs_avx512(cout, cin, kh, kw, xp, plane, wp, w, ho, y); return; }
    if (isa == MPX_ISA_AVX2) { few_outputs_avx2(cout, cin, kh, kw, xp, plane, wp, w, ho, y); return; }
#endif
    few_outputs_body(cout, cin, kh, kw, xp, plane, wp, w, ho, y);
}
