/*
 * CElementwise: the element passes of the generator (tanh, 2x2 pools, bilinear x2) as plain C loops, each compiled for AVX-512,
 * AVX2 and baseline x86-64 and picked per call by the ISA level (mpx_isa, CISA.h: the CPU's under MONOPIX_ISA), so
 * one binary runs everywhere; every variant gives the same bits. Swift compiles for baseline x86-64 only, where these
 * loops ran on 4-wide SSE (tanh ~3 cycles a value).
 */
#ifndef CELEMENTWISE_H
#define CELEMENTWISE_H

#ifdef __cplusplus
extern "C" {
#endif

/* dst[i] = tanh(src[i]) as a 13/6 rational function (Eigen's float fit), within 3e-7 of libm; src may equal dst. */
void mpx_tanh(const float *src, float *dst, long count);

/* One plane's 2x2 stride-2 pool (PyTorch's MaxPool2d(2) / AvgPool2d(2)): h x w in, (h/2) x (w/2) out, odd trailing
 * rows and columns dropped. The max propagates NaN as Swift.max(Swift.max(a, b), Swift.max(c, d)) did. */
void mpx_max_pool2(const float *src, long h, long w, float *dst);
void mpx_average_pool2(const float *src, long h, long w, float *dst);

/* The backward of mpx_max_pool2 on one plane: dy (h/2) x (w/2) to the first maximum of each window (NaN wins), 0 to
 * the rest of the window; dx's odd trailing row and column are not written. */
void mpx_max_pool2_backward(const float *x, long h, long w, const float *dy, float *dx);

/* The bilinear x2 upsample's inner loops (Sources/Kernels/Upsampling.swift): out[2p] = 0.75 r[p] + 0.25 r[p + 1] and
 * out[2p + 1] = 0.25 r[p] + 0.75 r[p + 1] for p < pairs (a source row's interior, interpolated along x); and
 * out[i] = h0 a[i] + h1 b[i] for i < count (two interpolated rows blended along y). */
void mpx_upsample2_pairs(const float *r, long pairs, float *out);
void mpx_blend_rows(const float *a, const float *b, float h0, float h1, float *out, long count);

/* dx[i] = y[i] > 0 ? dy[i] : dy[i] * slope (dx may equal dy). */
void mpx_leaky_relu_backward(const float *dy, const float *y, float slope, float *dx, long count);
/* p[i] = v > 0 ? v : v * slope for v = p[i] + bias. */
void mpx_bias_leaky_relu(float *p, long count, float bias, float slope);

/* Batch norm's reductions over one plane, float lanes in blocks of 1024 added in double: Σ p[i] (squares == 0) or
 * Σ (p[i] - mean)² (squares != 0); and sums[0] += Σ g[i], sums[1] += Σ g[i] (x[i] - mean) inv. */
double mpx_plane_sum(const float *p, long count, float mean, int squares);
void mpx_plane_gradient_sums(const float *g, const float *x, long count, float mean, float inv, double *sums);

/* Stride-2 rows of im2col and its adjoint: out[i] = row[2 i], and row[2 i] += src[i], for i < count. */
void mpx_gather_even(const float *row, long count, float *out);
void mpx_scatter_add_even(const float *src, long count, float *row);

#ifdef __cplusplus
}
#endif
#endif
