/*
 * Single-threaded speed of the Winograd data transforms (CWinograd) at each vector width on the same data, on the
 * generator's layer shapes: input transform of every input channel and output transform (with bias, LeakyReLU and
 * the folded norm) of every output channel over all blocks of one layer, blocks cut as WinogradPlan cuts them for one
 * worker, buffers 64-byte aligned, as the engine runs them. Min of 7 interleaved rounds, so a busy machine still
 * compares; also checks that 8 and 16 lanes agree bitwise (where both store the blocks alike: see stored()).
 *
 *   clang -O2 -ISources/CWinograd/include Sources/CWinograd/winograd.c Benchmarks/wino_transforms.c \
 *       -o /tmp/wino_transforms && /tmp/wino_transforms
 */
#include "CWinograd.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static long point_stride(long floats) { return (floats + 15) / 16 * 16 + 16; }

typedef struct { int m, cin, cout, h, w; } Shape;
typedef struct { int y, x, bh, bw; } Block;

/* WinogradPlan.storedColumns: 16 for the 16-lane kernels where that adds at most 1/8, else 4. */
static int stored(int count, int sixteen) {
    int by4 = (count + 3) / 4 * 4, by16 = (count + 15) / 16 * 16;
    return sixteen && by16 * 8 <= count * 9 ? by16 : by4;
}

/* WinogradPlan for one worker: blocks of about 512K floats of V + M, at least 64 tiles. */
static int plan(Shape s, int sixteen, Block *blocks, int *band_out, int *seg_out) {
    int m = s.m, ty = (s.h + m - 1) / m, tx = (s.w + m - 1) / m;
    int per = (m + 2) * (m + 2) * (s.cin + s.cout);
    int target = 512 * 1024 / per; if (target < 64) target = 64;
    int seg, band;
    if (tx >= target) {
        int segs = (tx + target - 1) / target;
        seg = stored((tx + segs - 1) / segs, sixteen); band = 1;
    } else {
        seg = stored(tx, sixteen);
        int wanted = target / seg; if (wanted > ty) wanted = ty; if (wanted < 1) wanted = 1;
        int bands = (ty + wanted - 1) / wanted; band = (ty + bands - 1) / bands;
    }
    int n = 0;
    for (int y = 0; y < ty; y += band)
        for (int x = 0; x < tx; x += seg)
            blocks[n++] = (Block){y, x, y + band < ty ? band : ty - y, x + seg < tx ? seg : tx - x};
    *band_out = band; *seg_out = seg;
    return n;
}

static float *floats(long count) {
    float *p = aligned_alloc(64, (count * sizeof(float) + 63) / 64 * 64);
    memset(p, 0, count * sizeof(float));
    return p;
}

static float rnd(void) { return rand() / (float)RAND_MAX * 2 - 1; }

int main(void) {
    Shape shapes[] = {
        {4, 32, 32, 256, 256}, {4, 64, 32, 256, 256}, {4, 64, 64, 128, 128}, {4, 128, 64, 128, 128},
        {4, 32, 32, 512, 512}, {4, 64, 64, 256, 256}, {4, 128, 128, 64, 64}, {4, 256, 256, 32, 32},
        {4, 30, 29, 67, 93}, {2, 64, 64, 64, 64}, {2, 32, 32, 127, 131},
    };
    int widths[] = {4, 8, 16}, nw = 0;
    for (int i = 0; i < 3; i++) { mpx_wino_limit_lanes(widths[i]); if (mpx_wino_lanes() == widths[i]) nw = i + 1; }
    printf("single thread, min of 7 interleaved rounds, ms per layer (input transform / output transform)\n");
    printf("  m   in  out     h x w   ");
    for (int i = 0; i < nw; i++) printf("   %2d lanes in/out  ", widths[i]);
    printf(" 8->16 in/out   same bits\n");
    int all_same = 1;
    for (unsigned si = 0; si < sizeof shapes / sizeof *shapes; si++) {
        Shape s = shapes[si];
        int m = s.m, pts = (m + 2) * (m + 2);
        Block *blocks[3];
        int nb[3], band[3], seg[3];
        long maxn = 0, phase_floats = 0;
        for (int k = 0; k < nw; k++) {
            blocks[k] = malloc(sizeof(Block) * 65536);
            nb[k] = plan(s, widths[k] == 16, blocks[k], &band[k], &seg[k]);
            long n = (long)band[k] * seg[k], ph = (long)(band[k] * m + 2) * m * mpx_wino_phase_stride(seg[k]);
            if (n > maxn) maxn = n;
            if (ph > phase_floats) phase_floats = ph;
        }
        float *src = floats((long)s.cin * s.h * s.w);
        for (long i = 0; i < (long)s.cin * s.h * s.w; i++) src[i] = rnd();
        float *phases = floats(phase_floats), *line = floats(phase_floats);
        long vcap = pts * point_stride(s.cin * maxn), mcap = pts * point_stride(s.cout * maxn);
        float *v[3], *prods = floats(mcap), *out[3];
        for (long i = 0; i < mcap; i++) prods[i] = rnd();
        for (int k = 0; k < nw; k++) {
            v[k] = floats(vcap);
            out[k] = floats((long)s.cout * s.h * s.w);
        }
        float *bias = floats(s.cout), *scale = floats(s.cout), *shift = floats(s.cout);
        double best[3][2] = {{1e9, 1e9}, {1e9, 1e9}, {1e9, 1e9}};
        int same = 1;
        for (int round = 0; round < 7; round++) {
            for (int k = 0; k < nw; k++) {
                mpx_wino_limit_lanes(widths[k]);
                /* The V of the last block stays in v[k] for the comparison; every block's output goes to out[k]. */
                double t = now();
                for (int b = 0; b < nb[k]; b++) {
                    Block bl = blocks[k][b];
                    int bwp = stored(bl.bw, widths[k] == 16);
                    long n = (long)bl.bh * bwp, vs = point_stride(s.cin * n);
                    for (int c = 0; c < s.cin; c++)
                        mpx_wino_input(m, src + (long)c * s.h * s.w, s.h, s.w, bl.y * m - 1, bl.x * m - 1, bl.bh, bwp,
                                       phases, line, v[k] + c * n, vs);
                }
                t = now() - t; if (t < best[k][0]) best[k][0] = t;
                t = now();
                for (int b = 0; b < nb[k]; b++) {
                    Block bl = blocks[k][b];
                    int bwp = stored(bl.bw, widths[k] == 16);
                    long n = (long)bl.bh * bwp, ms = point_stride(s.cout * n);
                    int limit = (bl.x + bl.bw) * m < s.w ? (bl.x + bl.bw) * m : s.w;
                    for (int c = 0; c < s.cout; c++)
                        mpx_wino_output(m, prods + c * n, ms, bl.bh, bwp, out[k] + (long)c * s.h * s.w, s.h, s.w,
                                        bl.y * m, bl.x * m, limit, bias[c], 1, 0.2f, scale[c], shift[c]);
                }
                t = now() - t; if (t < best[k][1]) best[k][1] = t;
            }
        }
        if (nw == 3 && seg[1] == seg[2]) {
            same = memcmp(v[1], v[2], sizeof(float) * vcap) == 0 &&
                   memcmp(out[1], out[2], sizeof(float) * s.cout * s.h * s.w) == 0;
            all_same &= same;
        }
        printf("  %d %4d %4d %4d x %-4d", m, s.cin, s.cout, s.h, s.w);
        for (int k = 0; k < nw; k++) printf("   %7.3f / %7.3f", best[k][0] * 1e3, best[k][1] * 1e3);
        if (nw == 3) printf("   %4.2fx / %4.2fx   %s", best[1][0] / best[2][0], best[1][1] / best[2][1],
                            seg[1] != seg[2] ? "n/a (16-wide)" : same ? "yes" : "NO");
        printf("\n");
        for (int k = 0; k < nw; k++) { free(v[k]); free(out[k]); free(blocks[k]); }
        free(src); free(phases); free(line); free(prods); free(bias); free(scale); free(shift);
    }
    return all_same ? 0 : 1;
}
