/* Tile kernels for one vector type; included by winograd.c once per (VT, LANES, SFX, ATTR). No include guard. */

#define LD(p) (*(const VT *)(p))
#define ST(p, x) (*(VT *)(p) = (x))

/* One-dimensional transforms. */
#define INPUT_F2(d0, d1, d2, d3, o0, o1, o2, o3) do { \
    o0 = (d0) - (d2); o1 = (d1) + (d2); o2 = (d2) - (d1); o3 = (d1) - (d3); } while (0)
#define OUTPUT_F2(m0, m1, m2, m3, y0, y1) do { y0 = (m0) + (m1) + (m2); y1 = (m1) - (m2) - (m3); } while (0)
/* F(4,3)'s input transform in two halves (outputs 0-2 from d0-d4, 3-5 from d1-d5) that share nothing, so that a
 * kernel can run one half at a time with the same expressions (and the same FMA contractions) as the whole. */
#define INPUT_F4_LO(d0, d1, d2, d3, d4, o0, o1, o2) do { \
    o0 = ((d4) - 5.0f * (d2)) + 4.0f * (d0); \
    o1 = ((d3) + (d4)) - 4.0f * ((d1) + (d2)); \
    o2 = ((d4) - (d3)) + 4.0f * ((d1) - (d2)); } while (0)
#define INPUT_F4_HI(d1, d2, d3, d4, d5, o3, o4, o5) do { \
    VT a_ = (d4) - (d2), b_ = (d3) - (d1); \
    o3 = a_ + 2.0f * b_; \
    o4 = a_ - 2.0f * b_; \
    o5 = ((d5) - 5.0f * (d3)) + 4.0f * (d1); } while (0)
#define INPUT_F4(d0, d1, d2, d3, d4, d5, o0, o1, o2, o3, o4, o5) do { \
    INPUT_F4_LO(d0, d1, d2, d3, d4, o0, o1, o2); \
    INPUT_F4_HI(d1, d2, d3, d4, d5, o3, o4, o5); } while (0)
/* F(4,3)'s output transform in two halves, as the input's: outputs 0 and 2 from m0-m4, 1 and 3 from m1-m5. */
#define OUTPUT_F4_EVEN(m0, m1, m2, m3, m4, y0, y2) do { \
    VT p12_ = (m1) + (m2), p34_ = (m3) + (m4); \
    y0 = ((m0) + p12_) + p34_; \
    y2 = p12_ + 4.0f * p34_; } while (0)
#define OUTPUT_F4_ODD(m1, m2, m3, m4, m5, y1, y3) do { \
    VT d12_ = (m1) - (m2), d34_ = (m3) - (m4); \
    y1 = d12_ + 2.0f * d34_; \
    y3 = (d12_ + (m5)) + 8.0f * d34_; } while (0)
#define OUTPUT_F4(m0, m1, m2, m3, m4, m5, y0, y1, y2, y3) do { \
    OUTPUT_F4_EVEN(m0, m1, m2, m3, m4, y0, y2); \
    OUTPUT_F4_ODD(m1, m2, m3, m4, m5, y1, y3); } while (0)

#if LANES != 16
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
#endif

#if LANES == 16
/* The phase split of one input row read straight from the plane (`src` = the row at the block's first column x0):
 * masked loads give zeros outside columns lo ... hi-1 of the block (the padding, and the image's right edge), so
 * the row is never copied to a padded line first (a copy, and loads that span its stores, cost about as much as
 * the transform). wq is a multiple of 16 (mpx_wino_phase_stride). */
ATTR static inline VT CAT(load_part, SFX)(const float *src, int at, int lo, int hi) {
    if (at >= lo && at + 16 <= hi) return LD(src + at);
    int a = lo - at, b = hi - at;
    a = a < 0 ? 0 : a > 16 ? 16 : a;
    b = b < 0 ? 0 : b > 16 ? 16 : b;
    return (VT)_mm512_maskz_loadu_ps((__mmask16)(((1u << b) - 1) & ~((1u << a) - 1)), src + at);
}

ATTR static inline void CAT(split_row4, SFX)(const float *src, int lo, int hi, int wq, float *prow) {
    for (int q = 0; q < wq; q += 16) {
        const int at = 4 * q;
        VT a = CAT(load_part, SFX)(src, at, lo, hi), b = CAT(load_part, SFX)(src, at + 16, lo, hi);
        VT c = CAT(load_part, SFX)(src, at + 32, lo, hi), d = CAT(load_part, SFX)(src, at + 48, lo, hi);
        VT t0 = __builtin_shufflevector(a, b, 0, 4, 8, 12, 16, 20, 24, 28, 1, 5, 9, 13, 17, 21, 25, 29);
        VT t1 = __builtin_shufflevector(a, b, 2, 6, 10, 14, 18, 22, 26, 30, 3, 7, 11, 15, 19, 23, 27, 31);
        VT t2 = __builtin_shufflevector(c, d, 0, 4, 8, 12, 16, 20, 24, 28, 1, 5, 9, 13, 17, 21, 25, 29);
        VT t3 = __builtin_shufflevector(c, d, 2, 6, 10, 14, 18, 22, 26, 30, 3, 7, 11, 15, 19, 23, 27, 31);
        ST(prow + q, __builtin_shufflevector(t0, t2, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23));
        ST(prow + wq + q, __builtin_shufflevector(t0, t2, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31));
        ST(prow + 2 * wq + q, __builtin_shufflevector(t1, t3, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23));
        ST(prow + 3 * wq + q, __builtin_shufflevector(t1, t3, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31));
    }
}

ATTR static inline void CAT(split_row2, SFX)(const float *src, int lo, int hi, int wq, float *prow) {
    for (int q = 0; q < wq; q += 16) {
        const int at = 2 * q;
        VT a = CAT(load_part, SFX)(src, at, lo, hi), b = CAT(load_part, SFX)(src, at + 16, lo, hi);
        ST(prow + q, __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30));
        ST(prow + wq + q, __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31));
    }
}
#endif

#if LANES == 16
/* The phase vector one tile on, p[1 ... 16], from the line-aligned p[0 ...] and p[16 ...] (phase rows are 64-byte
 * aligned and 16 floats apart, and run at least 16 past the last 16-tile group): a load at p + 1 would split two
 * cache lines on every 16-lane vector. F(2x2) only: in F(4x4)'s register-bound kernel the extra loads and shuffles
 * cost more than the split loads (measured). */
ATTR static inline VT CAT(next_column, SFX)(const float *p) {
    return (VT)_mm512_alignr_epi32((__m512i)LD(p + 16), (__m512i)LD(p), 1);
}
#endif

/* Input transform of LANES tiles; `rows` points at the tiles' first phase-split row (rows row_stride apart, phases
 * stride apart), already offset to the first tile. */
ATTR static inline void CAT(input_tiles_f2, SFX)(const float *rows, long row_stride, long stride, float *v, long ps) {
    VT hh[16];
    for (int r = 0; r < 4; r++) {
        const float *row = rows + r * row_stride;
#if LANES == 16
        INPUT_F2(LD(row), LD(row + stride), CAT(next_column, SFX)(row), CAT(next_column, SFX)(row + stride),
                 hh[4 * r], hh[4 * r + 1], hh[4 * r + 2], hh[4 * r + 3]);
#else
        INPUT_F2(LD(row), LD(row + stride), LD(row + 1), LD(row + stride + 1), hh[4 * r], hh[4 * r + 1], hh[4 * r + 2], hh[4 * r + 3]);
#endif
    }
    for (int j = 0; j < 4; j++) {
        VT u0, u1, u2, u3;
        INPUT_F2(hh[j], hh[4 + j], hh[8 + j], hh[12 + j], u0, u1, u2, u3);
        ST(v + j * ps, u0); ST(v + (4 + j) * ps, u1); ST(v + (8 + j) * ps, u2); ST(v + (12 + j) * ps, u3);
    }
}

ATTR static inline void CAT(input_tiles_f4, SFX)(const float *rows, long row_stride, long stride, float *v, long ps) {
#if LANES == 16
    /* The 36 row-transformed vectors of the two-pass form do not fit the 32 registers, and spilling them doubles the
     * stores, which bound this kernel (two 256-bit stores cost what one 512-bit store does): a half of the columns
     * at a time keeps 18 live, for a few more loads (5 of each row's 6 inputs per half). */
    for (int half = 0; half < 2; half++) {
        VT hh[18];
        for (int r = 0; r < 6; r++) {
            const float *row = rows + r * row_stride;
            VT d1 = LD(row + stride), d2 = LD(row + 2 * stride), d3 = LD(row + 3 * stride), d4 = LD(row + 1);
            if (half == 0) INPUT_F4_LO(LD(row), d1, d2, d3, d4, hh[3 * r], hh[3 * r + 1], hh[3 * r + 2]);
            else INPUT_F4_HI(d1, d2, d3, d4, LD(row + stride + 1), hh[3 * r], hh[3 * r + 1], hh[3 * r + 2]);
        }
        for (int k = 0; k < 3; k++) {
            const int j = 3 * half + k;
            VT u0, u1, u2, u3, u4, u5;
            INPUT_F4(hh[k], hh[3 + k], hh[6 + k], hh[9 + k], hh[12 + k], hh[15 + k], u0, u1, u2, u3, u4, u5);
            ST(v + j * ps, u0); ST(v + (6 + j) * ps, u1); ST(v + (12 + j) * ps, u2);
            ST(v + (18 + j) * ps, u3); ST(v + (24 + j) * ps, u4); ST(v + (30 + j) * ps, u5);
        }
    }
#else
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
#endif
}

/* v = acc + bias; LeakyReLU; v * scale + shift: every path runs this one definition, so the widths agree bitwise. */
ATTR static inline VT CAT(epilogue1, SFX)(VT acc, float bias, int has_slope, float slope, float scale, float shift) {
    VT x = acc + bias;
    if (has_slope) {
        VTI positive = x > 0.0f;
        VT negative = x * slope;
        x = (VT)((positive & (VTI)x) | (~positive & (VTI)negative));
    }
    return x * scale + shift;
}

ATTR static inline void CAT(epilogue, SFX)(VT *y, int count, float bias, int has_slope, float slope, float scale, float shift) {
    for (int k = 0; k < count; k++) y[k] = CAT(epilogue1, SFX)(y[k], bias, has_slope, slope, scale, shift);
}

#if LANES == 16
/* The first `count` floats of x at dst (all 16 when count >= 16): a right edge of the image or of the block cuts a
 * 16-tile group more often than a narrower one, and a masked store keeps that off the stack. */
ATTR static inline void CAT(store_cols, SFX)(float *dst, VT x, int count) {
    if (count >= 16) ST(dst, x);
    else if (count > 0) _mm512_mask_storeu_ps(dst, (__mmask16)((1u << count) - 1), (__m512)x);
}

/* One output row of 16 tiles, columns 0 and 1 in a and b (store_f2's layout), at row[x ...], below limit. The row
 * stores take vectors, not store_f2's array: a loop indexing that array sends it through the stack. */
ATTR static inline void CAT(store_row2, SFX)(float *row, int x, int limit, VT a, VT b) {
    CAT(store_cols, SFX)(row + x, __builtin_shufflevector(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), limit - x);
    CAT(store_cols, SFX)(row + x + 16, __builtin_shufflevector(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31), limit - x - 16);
}

ATTR static inline void CAT(store_row4, SFX)(float *row, int x, int limit, VT y0, VT y1, VT y2, VT y3) {
    VT u0 = __builtin_shufflevector(y0, y1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    VT u1 = __builtin_shufflevector(y0, y1, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    VT w0 = __builtin_shufflevector(y2, y3, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    VT w1 = __builtin_shufflevector(y2, y3, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    CAT(store_cols, SFX)(row + x, __builtin_shufflevector(u0, w0, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23), limit - x);
    CAT(store_cols, SFX)(row + x + 16, __builtin_shufflevector(u0, w0, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31), limit - x - 16);
    CAT(store_cols, SFX)(row + x + 32, __builtin_shufflevector(u1, w1, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23), limit - x - 32);
    CAT(store_cols, SFX)(row + x + 48, __builtin_shufflevector(u1, w1, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31), limit - x - 48);
}
#endif

#if LANES != 16
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
#endif

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
#if LANES == 16
    CAT(store_row2, SFX)(out + (long)oy * wo, x, limit, y[0], y[1]);
    if (oy + 1 < ho) CAT(store_row2, SFX)(out + (long)(oy + 1) * wo, x, limit, y[2], y[3]);
#else
    CAT(store_f2, SFX)(y, out, wo, oy, ho, x, limit);
#endif
}

ATTR static inline void CAT(output_tiles_f4, SFX)(const float *p, long ps, float *out, int wo, int oy, int ho, int x, int limit,
                                                 float bias, int has_slope, float slope, float scale, float shift) {
#if LANES == 16
    /* As the input transform: the 24 row-pass vectors and 16 results of the two-pass form spill from 32 registers,
     * so the row pass runs in halves (output columns 0 and 2, then 1 and 3), 12 vectors each. */
    VT y[16];
#pragma clang loop unroll(full)
    for (int half = 0; half < 2; half++) {
        VT s[12];
#pragma clang loop unroll(full)
        for (int i = 0; i < 6; i++) {
            const float *q = p + 6 * i * ps;
            VT m1 = LD(q + ps), m2 = LD(q + 2 * ps), m3 = LD(q + 3 * ps), m4 = LD(q + 4 * ps);
            if (half == 0) OUTPUT_F4_EVEN(LD(q), m1, m2, m3, m4, s[2 * i], s[2 * i + 1]);
            else OUTPUT_F4_ODD(m1, m2, m3, m4, LD(q + 5 * ps), s[2 * i], s[2 * i + 1]);
        }
#pragma clang loop unroll(full)
        for (int k = 0; k < 2; k++) {
            const int c = half + 2 * k;
            OUTPUT_F4(s[k], s[2 + k], s[4 + k], s[6 + k], s[8 + k], s[10 + k], y[c], y[4 + c], y[8 + c], y[12 + c]);
#pragma clang loop unroll(full)
            for (int i = 0; i < 4; i++) y[4 * i + c] = CAT(epilogue1, SFX)(y[4 * i + c], bias, has_slope, slope, scale, shift);
        }
        /* Otherwise the compiler keeps the first half's loads of m1-m4 for the second, and spills. */
        __asm__ __volatile__("" ::: "memory");
    }
    float *row = out + (long)oy * wo;
    CAT(store_row4, SFX)(row, x, limit, y[0], y[1], y[2], y[3]);
    if (oy + 1 < ho) CAT(store_row4, SFX)(row + wo, x, limit, y[4], y[5], y[6], y[7]);
    if (oy + 2 < ho) CAT(store_row4, SFX)(row + 2 * wo, x, limit, y[8], y[9], y[10], y[11]);
    if (oy + 3 < ho) CAT(store_row4, SFX)(row + 3 * wo, x, limit, y[12], y[13], y[14], y[15]);
#else
    VT s[24], y[16];
    for (int i = 0; i < 6; i++) {
        const float *q = p + 6 * i * ps;
        OUTPUT_F4(LD(q), LD(q + ps), LD(q + 2 * ps), LD(q + 3 * ps), LD(q + 4 * ps), LD(q + 5 * ps),
                  s[4 * i], s[4 * i + 1], s[4 * i + 2], s[4 * i + 3]);
    }
    for (int c = 0; c < 4; c++) OUTPUT_F4(s[c], s[4 + c], s[8 + c], s[12 + c], s[16 + c], s[20 + c], y[c], y[4 + c], y[8 + c], y[12 + c]);
    CAT(epilogue, SFX)(y, 16, bias, has_slope, slope, scale, shift);
    CAT(store_f4, SFX)(y, out, wo, oy, ho, x, limit);
#endif
}

#undef LD
#undef ST
#undef INPUT_F2
#undef OUTPUT_F2
#undef INPUT_F4
#undef INPUT_F4_LO
#undef INPUT_F4_HI
#undef OUTPUT_F4
#undef OUTPUT_F4_EVEN
#undef OUTPUT_F4_ODD
