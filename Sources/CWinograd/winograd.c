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
#include <string.h>

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

typedef float v4 __attribute__((vector_size(16), aligned(4)));
typedef int v4i __attribute__((vector_size(16), aligned(4)));
typedef float v8 __attribute__((vector_size(32), aligned(4)));
typedef int v8i __attribute__((vector_size(32), aligned(4)));

/* Groups of m columns per phase-split row: the block's columns plus one for the overlap, rounded to 8. */
int mpx_wino_phase_stride(int bwp) { return (bwp + 1 + 7) / 8 * 8; }

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
/* ---- 4 lanes with VEX encoding, for the 8-lane loops' last group ---- */
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
#undef TAIL_SFX
#undef ATTR
#else
#define HAVE_WIDE 0
#endif

static int narrow_forced = 0;

int mpx_wino_wide(void) {
#if HAVE_WIDE
    static int supported = -1;
    if (supported < 0) {
        __builtin_cpu_init();
        supported = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return supported && !narrow_forced;
#else
    return 0;
#endif
}

void mpx_wino_force_narrow(int narrow) { narrow_forced = narrow; }

void mpx_wino_input(int m, const float *plane, int h, int w, int y0, int x0, int bh, int bwp,
                    float *phases, float *line, float *v, long point_stride) {
#if HAVE_WIDE
    if (mpx_wino_wide()) { input_block_w(m, plane, h, w, y0, x0, bh, bwp, phases, line, v, point_stride); return; }
#endif
    input_block_n(m, plane, h, w, y0, x0, bh, bwp, phases, line, v, point_stride);
}

void mpx_wino_output(int m, const float *prods, long point_stride, int bh, int bwp,
                     float *out, int ho, int wo, int oy0, int ox0, int column_limit,
                     float bias, int has_slope, float slope, float scale, float shift) {
#if HAVE_WIDE
    if (mpx_wino_wide()) {
        output_block_w(m, prods, point_stride, bh, bwp, out, ho, wo, oy0, ox0, column_limit, bias, has_slope, slope, scale, shift);
        return;
    }
#endif
    output_block_n(m, prods, point_stride, bh, bwp, out, ho, wo, oy0, ox0, column_limit, bias, has_slope, slope, scale, shift);
}
