#include "CElementwise.h"
#include "CISA.h"

/* No fused multiply-adds: the same IEEE operations in the same order as the Swift these loops replaced, so every
 * result (and every model trained with them) keeps its bits, on every path. */
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

/* Each loop is an always-inline body compiled three times, for AVX-512, AVX2 and baseline x86-64, and a dispatcher
 * that takes the variant mpx_isa() allows (not target_clones: that picks by CPU alone, and MONOPIX_ISA and the tests
 * must be able to force the narrower ones). Off x86-64 the body is the function. */
#define BODY static inline __attribute__((always_inline))
#if defined(__x86_64__)
#define DISPATCH(name, params, args)                                                                                \
    __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq"))) static void name##_avx512 params { name##_body args; } \
    __attribute__((target("avx2"))) static void name##_avx2 params { name##_body args; }                          \
    static void name##_baseline params { name##_body args; }                                                      \
    void name params {                                                                                              \
        switch (mpx_isa()) {                                                                                        \
        case MPX_ISA_AVX512: name##_avx512 args; return;                                                            \
        case MPX_ISA_AVX2: name##_avx2 args; return;                                                                \
        default: name##_baseline args; return;                                                                      \
        }                                                                                                           \
    }
#else
#define DISPATCH(name, params, args) void name params { name##_body args; }
#endif

BODY void mpx_tanh_body(const float *src, float *dst, long count) {
    for (long i = 0; i < count; i++) {
        float v = src[i];
        float x = v < -7.90531110763549805f ? -7.90531110763549805f : v;
        x = x > 7.90531110763549805f ? 7.90531110763549805f : x;
        float x2 = x * x;
        float p = -2.76076847742355e-16f;
        p = p * x2 + 2.00018790482477e-13f;
        p = p * x2 - 8.60467152213735e-11f;
        p = p * x2 + 5.12229709037114e-08f;
        p = p * x2 + 1.48572235717979e-05f;
        p = p * x2 + 6.37261928875436e-04f;
        p = p * x2 + 4.89352455891786e-03f;
        float q = 1.19825839466702e-06f;
        q = q * x2 + 1.18534705686654e-04f;
        q = q * x2 + 2.26843463243900e-03f;
        q = q * x2 + 4.89352518554385e-03f;
        float ax = x < 0 ? -x : x;
        dst[i] = ax < 0.0004f ? x : x * p / q;
    }
}

DISPATCH(mpx_tanh, (const float *src, float *dst, long count), (src, dst, count))

/* Swift.max(x, y) is `y >= x ? y : x`: kept, so that NaN handling is what it was. */
static inline float max2(float x, float y) { return y >= x ? y : x; }

/* Both pools: `average` is a constant in each caller, so each clone compiles one straight loop. */
static inline __attribute__((always_inline)) void pool2(const float *src, long h, long w, float *dst, int average) {
    const long ho = h / 2, wo = w / 2;
    for (long oy = 0; oy < ho; oy++) {
        const float *r0 = src + 2 * oy * w, *r1 = r0 + w;
        float *q = dst + oy * wo;
        for (long ox = 0; ox < wo; ox++) {
            const float a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1];
            q[ox] = average ? (a + b + c + d) / 4 : max2(max2(a, b), max2(c, d));
        }
    }
}

BODY void mpx_max_pool2_body(const float *src, long h, long w, float *dst) { pool2(src, h, w, dst, 0); }
DISPATCH(mpx_max_pool2, (const float *src, long h, long w, float *dst), (src, h, w, dst))

BODY void mpx_average_pool2_body(const float *src, long h, long w, float *dst) { pool2(src, h, w, dst, 1); }
DISPATCH(mpx_average_pool2, (const float *src, long h, long w, float *dst), (src, h, w, dst))

BODY void mpx_upsample2_pairs_body(const float *r, long pairs, float *out) {
    for (long p = 0; p < pairs; p++) {
        float a = r[p], b = r[p + 1];
        out[2 * p] = 0.75f * a + 0.25f * b;
        out[2 * p + 1] = 0.25f * a + 0.75f * b;
    }
}

DISPATCH(mpx_upsample2_pairs, (const float *r, long pairs, float *out), (r, pairs, out))

BODY void mpx_blend_rows_body(const float *a, const float *b, float h0, float h1, float *out, long count) {
    for (long i = 0; i < count; i++) out[i] = h0 * a[i] + h1 * b[i];
}
DISPATCH(mpx_blend_rows, (const float *a, const float *b, float h0, float h1, float *out, long count),
         (a, b, h0, h1, out, count))

/* LeakyReLU's backward from its output: dx = dy where y > 0, else dy * slope (NaN counts as not positive). Branch-free,
 * so it vectorises: the signs of a layer's outputs are too mixed to predict. */
BODY void mpx_leaky_relu_backward_body(const float *dy, const float *y, float slope, float *dx, long count) {
    for (long i = 0; i < count; i++) {
        float g = dy[i];
        dx[i] = y[i] > 0 ? g : g * slope;
    }
}
DISPATCH(mpx_leaky_relu_backward, (const float *dy, const float *y, float slope, float *dx, long count), (dy, y, slope, dx, count))

/* A convolution's epilogue on one output channel: p[i] = leaky(p[i] + bias) (slope 0: ReLU). */
BODY void mpx_bias_leaky_relu_body(float *p, long count, float bias, float slope) {
    for (long i = 0; i < count; i++) {
        float v = p[i] + bias;
        p[i] = v > 0 ? v : v * slope;
    }
}
DISPATCH(mpx_bias_leaky_relu, (float *p, long count, float bias, float slope), (p, count, bias, slope))

/* The reductions of batch norm. Summing a plane in one double (what the Swift did) is one add a cycle; here 16
 * independent float lanes run over blocks of 1024 values (a block's partial sums stay exact to float rounding) and the
 * blocks are added in double, so a 128x128 plane keeps ~1e-7 relative accuracy at vector speed. Every path gives the
 * same bits: each lane's additions happen in the same order. */
#define MOMENT_LANES 16
#define MOMENT_BLOCK 1024

/* Σ p[i] (squares == 0) or Σ (p[i] - mean)² (squares != 0). */
BODY double mpx_plane_sum_body(const float *p, long count, float mean, int squares) {
    double total = 0;
    for (long b = 0; b < count; b += MOMENT_BLOCK) {
        long end = count - b < MOMENT_BLOCK ? count : b + MOMENT_BLOCK;
        float lane[MOMENT_LANES] = {0};
        long i = b;
        if (squares) {
            for (; i + MOMENT_LANES <= end; i += MOMENT_LANES)
                for (int j = 0; j < MOMENT_LANES; j++) { float d = p[i + j] - mean; lane[j] += d * d; }
            for (; i < end; i++) { float d = p[i] - mean; lane[0] += d * d; }
        } else {
            for (; i + MOMENT_LANES <= end; i += MOMENT_LANES)
                for (int j = 0; j < MOMENT_LANES; j++) lane[j] += p[i + j];
            for (; i < end; i++) lane[0] += p[i];
        }
        for (int j = 0; j < MOMENT_LANES; j++) total += lane[j];
    }
    return total;
}
#if defined(__x86_64__)
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq"))) static double mpx_plane_sum_avx512(const float *p, long count, float mean, int squares) { return mpx_plane_sum_body(p, count, mean, squares); }
__attribute__((target("avx2"))) static double mpx_plane_sum_avx2(const float *p, long count, float mean, int squares) { return mpx_plane_sum_body(p, count, mean, squares); }
#endif
double mpx_plane_sum(const float *p, long count, float mean, int squares) {
#if defined(__x86_64__)
    switch (mpx_isa()) {
    case MPX_ISA_AVX512: return mpx_plane_sum_avx512(p, count, mean, squares);
    case MPX_ISA_AVX2: return mpx_plane_sum_avx2(p, count, mean, squares);
    default: break;
    }
#endif
    return mpx_plane_sum_body(p, count, mean, squares);
}

/* Σ g[i] and Σ g[i] · (x[i] - mean) · inv: batch norm's backward sums of one plane, in the same blocks. */
BODY void mpx_plane_gradient_sums_body(const float *g, const float *x, long count, float mean, float inv, double *sums) {
    double a = 0, c = 0;
    for (long b = 0; b < count; b += MOMENT_BLOCK) {
        long end = count - b < MOMENT_BLOCK ? count : b + MOMENT_BLOCK;
        float la[MOMENT_LANES] = {0}, lc[MOMENT_LANES] = {0};
        long i = b;
        for (; i + MOMENT_LANES <= end; i += MOMENT_LANES)
            for (int j = 0; j < MOMENT_LANES; j++) { la[j] += g[i + j]; lc[j] += g[i + j] * ((x[i + j] - mean) * inv); }
        for (; i < end; i++) { la[0] += g[i]; lc[0] += g[i] * ((x[i] - mean) * inv); }
        for (int j = 0; j < MOMENT_LANES; j++) { a += la[j]; c += lc[j]; }
    }
    sums[0] += a;
    sums[1] += c;
}
DISPATCH(mpx_plane_gradient_sums, (const float *g, const float *x, long count, float mean, float inv, double *sums),
         (g, x, count, mean, inv, sums))

/* out[i] = row[2 i] for i < count: the stride-2 convolutions' im2col rows (the discriminators' 4x4 layers), where a
 * scalar gather was a tenth of a training step. The loop vectoriser turns the even-index loads into two loads and a
 * shuffle per vector. */
BODY void mpx_gather_even_body(const float *row, long count, float *out) {
    for (long i = 0; i < count; i++) out[i] = row[2 * i];
}
DISPATCH(mpx_gather_even, (const float *row, long count, float *out), (row, count, out))

/* row[2 i] += src[i] for i < count: the adjoint of mpx_gather_even (col2im of a stride-2 layer). */
BODY void mpx_scatter_add_even_body(const float *src, long count, float *row) {
    for (long i = 0; i < count; i++) row[2 * i] += src[i];
}
DISPATCH(mpx_scatter_add_even, (const float *src, long count, float *row), (src, count, row))

/* The backward of one plane's 2x2 max pool: each output gradient goes to the first maximum of its window in scan
 * order (PyTorch's CPU kernel; a NaN wins), the window's other three get 0; dx is h x w, and odd trailing rows and
 * columns are left as they are (the caller zeroes them). Branch-free selects, so the loop vectorises. */
BODY void mpx_max_pool2_backward_body(const float *x, long h, long w, const float *dy, float *dx) {
    long ho = h / 2, wo = w / 2;
    for (long oy = 0; oy < ho; oy++) {
        const float *r0 = x + 2 * oy * w, *r1 = r0 + w;
        float *d0 = dx + 2 * oy * w, *d1 = d0 + w;
        const float *g = dy + oy * wo;
        for (long ox = 0; ox < wo; ox++) {
            float a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1];
            /* best index 0..3 and its value, as the scan `if v > best || isnan(v)` keeps it */
            int i = 0; float m = a;
            int tb = (b > m) | (b != b); i = tb ? 1 : i; m = tb ? b : m;
            int tc = (c > m) | (c != c); i = tc ? 2 : i; m = tc ? c : m;
            int td = (d > m) | (d != d); i = td ? 3 : i;
            float v = g[ox];
            d0[2 * ox] = i == 0 ? v : 0;
            d0[2 * ox + 1] = i == 1 ? v : 0;
            d1[2 * ox] = i == 2 ? v : 0;
            d1[2 * ox + 1] = i == 3 ? v : 0;
        }
    }
}
DISPATCH(mpx_max_pool2_backward, (const float *x, long h, long w, const float *dy, float *dx), (x, h, w, dy, dx))
