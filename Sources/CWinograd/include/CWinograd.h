/*
 * CWinograd: the data transforms of the Winograd convolutions (Sources/Kernels/Winograd.swift), in C so that one
 * binary can run them on 16-lane AVX-512 or 8-lane AVX2/FMA where the CPU has them and on 4-lane SSE/NEON vectors
 * elsewhere (Swift compiles for the baseline ISA and has no per-function target attribute).
 *
 * Nothing here decides anything: block shapes, layouts, threading and the GEMMs are the Swift side's. Each call
 * does one channel of one block of tiles; see winograd.c for the layouts.
 */
#ifndef CWINOGRAD_H
#define CWINOGRAD_H

#ifdef __cplusplus
extern "C" {
#endif

/* Input transform of one input channel of a block of `bh` x `bwp` tiles (bwp a multiple of 4) of F(m x m, 3 x 3),
 * m = 2 or 4. `plane` is the channel's h x w plane; the block's first input row is `y0` and first column `x0`
 * (either may be negative: zero padding). `phases` holds (bh*m + 2) * m * wq floats and `line` wq * m, where wq is
 * `mpx_wino_phase_stride(bwp)`. Writes the (m+2)^2 planes: point p, tile t at v[p * point_stride + t], with
 * t = row * bwp + column. */
void mpx_wino_input(int m, const float *plane, int h, int w, int y0, int x0, int bh, int bwp,
                    float *phases, float *line, float *v, long point_stride);

/* Output transform of one output channel of a block: reads products at prods[p * point_stride + t], writes rows
 * oy0 ... of `out` (an ho x wo plane) from column ox0 up to `column_limit` (exclusive), after the epilogue
 * v = acc + bias; v = v > 0 ? v : v * slope (if has_slope); v = v * scale + shift. */
void mpx_wino_output(int m, const float *prods, long point_stride, int bh, int bwp,
                     float *out, int ho, int wo, int oy0, int ox0, int column_limit,
                     float bias, int has_slope, float slope, float scale, float shift);

/* The phase-split row length for a block `bwp` tiles wide. */
int mpx_wino_phase_stride(int bwp);

/* U = G g G^T for output channels [co_begin, co_end) of a 3x3 layer (weight [out][in][3][3]), G the alpha x 3
 * matrix `g` (row-major, double), in double and rounded once to float: u[(i * alpha + j) * out * in + co * in + ci]. */
void mpx_wino_filters(int alpha, const double *g, const float *weight, long out_channels, long in_channels,
                      long co_begin, long co_end, float *u);

/* The lanes of the kernels that run: 16 (AVX-512), 8 (AVX2/FMA) or 4, the widest the ISA level (mpx_isa, CISA.h:
 * the CPU's under MONOPIX_ISA) allows, up to a second cap of these transforms' own. `mpx_wino_limit_lanes(n)` sets
 * that cap for every later call (tests compare the widths); it starts at MONOPIX_WINO_LANES if set, else 16. The
 * 16- and 8-lane kernels give bitwise the same results. */
int mpx_wino_lanes(void);
void mpx_wino_limit_lanes(int lanes);

#ifdef __cplusplus
}
#endif
#endif
