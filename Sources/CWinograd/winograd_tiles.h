/* Tile kernels for one vector type; included by winograd.c once per (VT, LANES, SFX, ATTR). No include guard. */

#define LD(p) (*(const VT *)(p))
#define ST(p, x) (*(VT *)(p) = (x))

/* One-dimensional transforms. */
#define INPUT_F2(d0, d1, d2, d3, o0, o1, o2, o3) do { \
    o0 = (d0) - (d2); o1 = (d1) + (d2); o2 = (d2) - (d1); o3 = (d1) - (d3); } while (0)
#define OUTPUT_F2(m0, m1, m2, m3, y0, y1) do { y0 = (m0) + (m1) + (m2); y1 = (m1) - (m2) - (m3); } while (0)
#define INPUT_F4(d0, d1, d2, d3, d4, d5, o0, o1, o2, o3, o4, o5) do { \
    VT a_ = (d4) - (d2), b_ = (d3) - (d1); \
    o0 = ((d4) - 5.0f * (d2)) + 4.0f * (d0); \
    o1 = ((d3) + (d4)) - 4.0f * ((d1) + (d2)); \
    o2 = ((d4) - (d3)) + 4.0f * ((d1) - (d2)); \
    o3 = a_ + 2.0f * b_; \
    o4 = a_ - 2.0f * b_; \
    o5 = ((d5) - 5.0f * (d3)) + 4.0f * (d1); } while (0)
#define OUTPUT_F4(m0, m1, m2, m3, m4, m5, y0, y1, y2, y3) do { \
    VT p12_ = (m1) + (m2), d12_ = (m1) - (m2), p34_ = (m3) + (m4), d34_ = (m3) - (m4); \
    y0 = ((m0) + p12_) + p34_; \
    y1 = d12_ + 2.0f * d34_; \
    y2 = p12_ + 4.0f * p34_; \
    y3 = (d12_ + (m5)) + 8.0f * d34_; } while (0)

/* Splits LANES groups of m columns at `src` into phase vectors at phases[k * stride]. */
ATTR static inline void CAT(deinterleave4, SFX)(const float *src, float *phases, long stride) {
#if LANES == 8
    VT a = LD(src), b = LD(src + 8), c = LD(src + 16), d = LD(src + 24);
    VT t0 = __builtin_shufflevector(a, b, 0, 4, 8, 12, 1, 5, 9, 13);
    VT t1 = __builtin_shufflevector(a, b, 2, 6, 10, 14, 3, 7, 11, 15);
    VT t2 = __builtin_shufflevector(c, d, 0, 4, 8, 12, 1, 5, 9, 13);
    VT t3 = __builtin_shufflevector(c, d, 2, 6, 10, 14, 3, 7, 11, 15);
    ST(phases, __builtin_shufflevector(t0, t2, 0, 1, 2, 3, 8, 9, 10, 11));
    ST(phases + stride, __builtin_shufflevector(t0, t2, 4, 5, 6, 7, 12, 13, 14, 15));
    ST(phases + 2 * stride, __builtin_shufflevector(t1, t3, 0, 1, 2, 3, 8, 9, 10, 11));
    ST(phases + 3 * stride, __builtin_shufflevector(t1, t3, 4, 5, 6, 7, 12, 13, 14, 15));
#else
    VT a = LD(src), b = LD(src + 4), c = LD(src + 8), d = LD(src + 12);
    VT t0 = __builtin_shufflevector(a, b, 0, 4, 1, 5), t1 = __builtin_shufflevector(a, b, 2, 6, 3, 7);
    VT t2 = __builtin_shufflevector(c, d, 0, 4, 1, 5), t3 = __builtin_shufflevector(c, d, 2, 6, 3, 7);
    ST(phases, __builtin_shufflevector(t0, t2, 0, 1, 4, 5));
    ST(phases + stride, __builtin_shufflevector(t0, t2, 2, 3, 6, 7));
    ST(phases + 2 * stride, __builtin_shufflevector(t1, t3, 0, 1, 4, 5));
    ST(phases + 3 * stride, __builtin_shufflevector(t1, t3, 2, 3, 6, 7));
#endif
}

ATTR static inline void CAT(deinterleave2, SFX)(const float *src, float *phases, long stride) {
    VT a = LD(src), b = LD(src + LANES);
#if LANES == 8
    ST(phases, __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14));
    ST(phases + stride, __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15));
#else
    ST(phases, __builtin_shufflevector(a, b, 0, 2, 4, 6));
    ST(phases + stride, __builtin_shufflevector(a, b, 1, 3, 5, 7));
#endif
}

/* Input transform of LANES tiles; `rows` points at the tiles' first phase-split row (rows row_stride apart, phases
 * stride apart), already offset to the first tile. */
ATTR static inline void CAT(input_tiles_f2, SFX)(const float *rows, long row_stride, long stride, float *v, long ps) {
    VT hh[16];
    for (int r = 0; r < 4; r++) {
        const float *row = rows + r * row_stride;
        INPUT_F2(LD(row), LD(row + stride), LD(row + 1), LD(row + stride + 1), hh[4 * r], hh[4 * r + 1], hh[4 * r + 2], hh[4 * r + 3]);
    }
    for (int j = 0; j < 4; j++) {
        VT u0, u1, u2, u3;
        INPUT_F2(hh[j], hh[4 + j], hh[8 + j], hh[12 + j], u0, u1, u2, u3);
        ST(v + j * ps, u0); ST(v + (4 + j) * ps, u1); ST(v + (8 + j) * ps, u2); ST(v + (12 + j) * ps, u3);
    }
}

ATTR static inline void CAT(input_tiles_f4, SFX)(const float *rows, long row_stride, long stride, float *v, long ps) {
    VT hh[36];
    for (int r = 0; r < 6; r++) {
        const float *row = rows + r * row_stride;
        VT d0 = LD(row), d1 = LD(row + stride), d2 = LD(row + 2 * stride), d3 = LD(row + 3 * stride);
        VT d4 = LD(row + 1), d5 = LD(row + stride + 1);
        INPUT_F4(d0, d1, d2, d3, d4, d5, hh[6 * r], hh[6 * r + 1], hh[6 * r + 2], hh[6 * r + 3], hh[6 * r + 4], hh[6 * r + 5]);
    }
    for (int j = 0; j < 6; j++) {
        VT u0, u1, u2, u3, u4, u5;
        INPUT_F4(hh[j], hh[6 + j], hh[12 + j], hh[18 + j], hh[24 + j], hh[30 + j], u0, u1, u2, u3, u4, u5);
        ST(v + j * ps, u0); ST(v + (6 + j) * ps, u1); ST(v + (12 + j) * ps, u2);
        ST(v + (18 + j) * ps, u3); ST(v + (24 + j) * ps, u4); ST(v + (30 + j) * ps, u5);
    }
}

/* v = acc + bias; LeakyReLU; v * scale + shift, on `count` vectors. */
ATTR static inline void CAT(epilogue, SFX)(VT *y, int count, float bias, int has_slope, float slope, float scale, float shift) {
    for (int k = 0; k < count; k++) {
        VT x = y[k] + bias;
        if (has_slope) {
            VTI positive = x > 0.0f;
            VT negative = x * slope;
            x = (VT)((positive & (VTI)x) | (~positive & (VTI)negative));
        }
        y[k] = x * scale + shift;
    }
}

/* Output rows of LANES tiles: y[r * m + c] holds output row r, column c of each tile (lanes = tiles). Writes rows
 * oy ... (below ho) of `out`, columns x ... (below limit). */
ATTR static inline void CAT(store_f2, SFX)(const VT *y, float *out, int wo, int oy, int ho, int x, int limit) {
    for (int i = 0; i < 2 && oy + i < ho; i++) {
        float *row = out + (long)(oy + i) * wo;
        VT a = y[2 * i], b = y[2 * i + 1];
        if (x + 2 * LANES <= limit) {
#if LANES == 8
            ST(row + x, __builtin_shufflevector(a, b, 0, 8, 1, 9, 2, 10, 3, 11));
            ST(row + x + 8, __builtin_shufflevector(a, b, 4, 12, 5, 13, 6, 14, 7, 15));
#else
            ST(row + x, __builtin_shufflevector(a, b, 0, 4, 1, 5));
            ST(row + x + 4, __builtin_shufflevector(a, b, 2, 6, 3, 7));
#endif
        } else {
            for (int k = 0; k < 2 * LANES && x + k < limit; k++) row[x + k] = (k % 2 == 0 ? a : b)[k / 2];
        }
    }
}

ATTR static inline void CAT(store_f4, SFX)(const VT *y, float *out, int wo, int oy, int ho, int x, int limit) {
    for (int i = 0; i < 4 && oy + i < ho; i++) {
        float *row = out + (long)(oy + i) * wo;
        VT y0 = y[4 * i], y1 = y[4 * i + 1], y2 = y[4 * i + 2], y3 = y[4 * i + 3];
        if (x + 4 * LANES <= limit) {
#if LANES == 8
            VT u0 = __builtin_shufflevector(y0, y1, 0, 8, 1, 9, 2, 10, 3, 11);
            VT u1 = __builtin_shufflevector(y0, y1, 4, 12, 5, 13, 6, 14, 7, 15);
            VT w0 = __builtin_shufflevector(y2, y3, 0, 8, 1, 9, 2, 10, 3, 11);
            VT w1 = __builtin_shufflevector(y2, y3, 4, 12, 5, 13, 6, 14, 7, 15);
            ST(row + x, __builtin_shufflevector(u0, w0, 0, 1, 8, 9, 2, 3, 10, 11));
            ST(row + x + 8, __builtin_shufflevector(u0, w0, 4, 5, 12, 13, 6, 7, 14, 15));
            ST(row + x + 16, __builtin_shufflevector(u1, w1, 0, 1, 8, 9, 2, 3, 10, 11));
            ST(row + x + 24, __builtin_shufflevector(u1, w1, 4, 5, 12, 13, 6, 7, 14, 15));
#else
            VT t0 = __builtin_shufflevector(y0, y1, 0, 4, 1, 5), t1 = __builtin_shufflevector(y0, y1, 2, 6, 3, 7);
            VT t2 = __builtin_shufflevector(y2, y3, 0, 4, 1, 5), t3 = __builtin_shufflevector(y2, y3, 2, 6, 3, 7);
            ST(row + x, __builtin_shufflevector(t0, t2, 0, 1, 4, 5));
            ST(row + x + 4, __builtin_shufflevector(t0, t2, 2, 3, 6, 7));
            ST(row + x + 8, __builtin_shufflevector(t1, t3, 0, 1, 4, 5));
            ST(row + x + 12, __builtin_shufflevector(t1, t3, 2, 3, 6, 7));
#endif
        } else {
            for (int k = 0; k < 4 * LANES && x + k < limit; k++) row[x + k] = y[4 * i + k % 4][k / 4];
        }
    }
}

/* Output transform of LANES tiles with the epilogue, written to the output rows. */
ATTR static inline void CAT(output_tiles_f2, SFX)(const float *p, long ps, float *out, int wo, int oy, int ho, int x, int limit,
                                                 float bias, int has_slope, float slope, float scale, float shift) {
    VT s[8], y[4];
    for (int i = 0; i < 4; i++) {
        const float *q = p + 4 * i * ps;
        OUTPUT_F2(LD(q), LD(q + ps), LD(q + 2 * ps), LD(q + 3 * ps), s[2 * i], s[2 * i + 1]);
    }
    for (int c = 0; c < 2; c++) OUTPUT_F2(s[c], s[2 + c], s[4 + c], s[6 + c], y[c], y[2 + c]);
    CAT(epilogue, SFX)(y, 4, bias, has_slope, slope, scale, shift);
    CAT(store_f2, SFX)(y, out, wo, oy, ho, x, limit);
}

ATTR static inline void CAT(output_tiles_f4, SFX)(const float *p, long ps, float *out, int wo, int oy, int ho, int x, int limit,
                                                 float bias, int has_slope, float slope, float scale, float shift) {
    VT s[24], y[16];
    for (int i = 0; i < 6; i++) {
        const float *q = p + 6 * i * ps;
        OUTPUT_F4(LD(q), LD(q + ps), LD(q + 2 * ps), LD(q + 3 * ps), LD(q + 4 * ps), LD(q + 5 * ps),
                  s[4 * i], s[4 * i + 1], s[4 * i + 2], s[4 * i + 3]);
    }
    for (int c = 0; c < 4; c++) OUTPUT_F4(s[c], s[4 + c], s[8 + c], s[12 + c], s[16 + c], s[20 + c], y[c], y[4 + c], y[8 + c], y[12 + c]);
    CAT(epilogue, SFX)(y, 16, bias, has_slope, slope, scale, shift);
    CAT(store_f4, SFX)(y, out, wo, oy, ho, x, limit);
}

#undef LD
#undef ST
#undef INPUT_F2
#undef OUTPUT_F2
#undef INPUT_F4
#undef OUTPUT_F4
