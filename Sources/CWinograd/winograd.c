/*
 * Winograd F(m x m, 3 x 3) data transforms, m = 2 or 4, with the tiles of one tile row across the vector lanes.
 *
 * Matrices (Lavin & Gray 2015), for the correlation y_k = sum_c g_c d_(k+c); y = A^T [(G g) . (B^T d)]:
 *
 *     F(2,3), points 0, 1, -1, inf          F(4,3), points 0, 1, -1, 2, -2, inf
 *     B^T = [1  0 -1  0]                    B^T = [4  0 -5  0  1  0]
 *           [0  1  1  0]                          [0 -4 -4  1  1  0]
 *           [0 -1  1  0]                          [0  4 -4 -1  1  0]
 *           [0  1  0 -1]                          [0 -2 -1  2  1  0]
 *                                                 [0  2 -1 -2  1  0]
 *                                                 [0  4  0 -5  0  1]
 *     A^T = [1  1  1  0]                    A^T = [1  1  1  1  1  0]
 *           [0  1 -1 -1]                          [0  1 -1  2 -2  0]
 *                                                 [0  1  1  4  4  0]
 *                                                 [0  1 -1  8 -8  1]
 *
 * G g G^T is applied once per layer, in double, on the Swift side.
 *
 * Layout. Tile (row r, column q) of a block reads input rows y0 + r*m ... + m+1 and columns x0 + q*m ... + m+1.
 * Each input row of the block is first split by phase (x - x0) mod m: phase k of the row holds columns
 * x0 + q*m + k for q = 0, 1, ...; so column c of tile q is phase c mod m at index q + c / m, and a vector load at
 * index q gives that column for tiles q ... q+lanes-1. Every transform is then plain vector arithmetic; the only
 * shuffles are the phase split (a small transpose per group of lanes) and its inverse on the output rows.
 */
#include "CWinograd.h"
#include "CISA.h"
#include <stdlib.h>
#include <string.h>

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

typedef float v4 __attribute__((vector_size(16), aligned(4)));
typedef int v4i __attribute__((vector_size(16), aligned(4)));
typedef float v8 __attribute__((vector_size(32), aligned(4)));
typedef int v8i __attribute__((vector_size(32), aligned(4)));

/* Groups of m columns per phase-split row: the block's columns plus one for the overlap, rounded to 16, so that
 * the 16-lane row split has no partial group and (on a 64-byte aligned buffer) every phase row starts on a line. */
int mpx_wino_phase_stride(int bwp) { return (bwp + 1 + 15) / 16 * 16; }

/* ---- 4 lanes, baseline ISA ---- */
#define VT v4
#define VTI v4i
#define LANES 4
#define SFX _n
#define ATTR
#include "winograd_tiles.h"
#include "winograd_loops.h"
#undef VT
#undef VTI
#undef LANES
#undef SFX
#undef ATTR

#if defined(__x86_64__) && defined(__clang__)
#define HAVE_WIDE 1
#include <immintrin.h>
typedef float v16 __attribute__((vector_size(64), aligned(4)));
typedef int v16i __attribute__((vector_size(64), aligned(4)));
/* ---- 4 lanes with VEX encoding, for the wide loops' last group ---- */
#define VT v4
#define VTI v4i
#define LANES 4
#define SFX _w4
#define ATTR __attribute__((target("avx2,fma")))
#include "winograd_tiles.h"
#undef VT
#undef VTI
#undef LANES
#undef SFX
/* ---- 8 lanes, AVX2 + FMA ---- */
#define VT v8
#define VTI v8i
#define LANES 8
#define SFX _w
#define TAIL_SFX _w4
#include "winograd_tiles.h"
#include "winograd_loops.h"
#undef VT
#undef VTI
#undef LANES
#undef SFX
#undef ATTR
/* ---- 16 lanes, AVX-512 ---- The last groups of 8 and 4 tiles reuse the AVX2 kernels (inlined: their features are a
 * subset), so every lane goes through the same operations as on the AVX2 path, FMAs included: results are bitwise
 * those of the 8-lane kernels. */
#define VT v16
#define VTI v16i
#define LANES 16
#define SFX _x
#define MID_SFX _w
#define ATTR __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,fma")))
#include "winograd_tiles.h"
#include "winograd_loops.h"
#undef VT
#undef VTI
#undef LANES
#undef SFX
#undef MID_SFX
#undef TAIL_SFX
#undef ATTR
#else
#define HAVE_WIDE 0
#endif

/* The widest kernels the ISA level (CISA: the CPU's, capped by MONOPIX_ISA) allows: 16, 8 or 4 lanes. */
static int isa_lanes(void) {
#if HAVE_WIDE
    int isa = mpx_isa();
    return isa >= MPX_ISA_AVX512 ? 16 : isa == MPX_ISA_AVX2 ? 8 : 4;
#else
    return 4;
#endif
}

/* 0: no cap yet; read from MONOPIX_WINO_LANES on first use, so that one binary can be benchmarked at each width.
 * A finer cap than MONOPIX_ISA's (it leaves the GEMMs alone); the narrower of the two applies. */
static int lanes_cap = 0;

int mpx_wino_lanes(void) {
    if (lanes_cap == 0) {
        const char *e = getenv("MONOPIX_WINO_LANES");
        int cap = e ? atoi(e) : 16;
        lanes_cap = cap >= 16 ? 16 : cap >= 8 ? 8 : 4;
    }
    int s = isa_lanes();
    return s < lanes_cap ? s : lanes_cap;
}

void mpx_wino_limit_lanes(int lanes) { lanes_cap = lanes >= 16 ? 16 : lanes >= 8 ? 8 : 4; }

void mpx_wino_input(int m, const float *plane, int h, int w, int y0, int x0, int bh, int bwp,
                    float *phases, float *line, float *v, long point_stride) {
#if HAVE_WIDE
    switch (mpx_wino_lanes()) {
    case 16: input_block_x(m, plane, h, w, y0, x0, bh, bwp, phases, line, v, point_stride); return;
    case 8: input_block_w(m, plane, h, w, y0, x0, bh, bwp, phases, line, v, point_stride); return;
    }
#endif
    input_block_n(m, plane, h, w, y0, x0, bh, bwp, phases, line, v, point_stride);
}

void mpx_wino_output(int m, const float *prods, long point_stride, int bh, int bwp,
                     float *out, int ho, int wo, int oy0, int ox0, int column_limit,
                     float bias, int has_slope, float slope, float scale, float shift) {
#if HAVE_WIDE
    switch (mpx_wino_lanes()) {
    case 16:
        /* Blocks that are not a multiple of 16 tiles wide (small maps: the plan stores 16-wide where that is cheap)
         * run faster on the 8-lane loop than on the 16-lane one with its 8- and 4-tile tails (measured, e.g. 8 tiles
         * wide: 1.15x-1.5x); the results are the same bits either way. */
        if (bwp % 16 == 0) {
            output_block_x(m, prods, point_stride, bh, bwp, out, ho, wo, oy0, ox0, column_limit, bias, has_slope, slope, scale, shift);
            return;
        }
        __attribute__((fallthrough));
    case 8:
        output_block_w(m, prods, point_stride, bh, bwp, out, ho, wo, oy0, ox0, column_limit, bias, has_slope, slope, scale, shift);
        return;
    }
#endif
    output_block_n(m, prods, point_stride, bh, bwp, out, ho, wo, oy0, ox0, column_limit, bias, has_slope, slope, scale, shift);
}
