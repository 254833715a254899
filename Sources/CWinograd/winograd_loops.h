/* The per-channel block loops for one main vector width; included by winograd.c with the tile kernels of SFX, of
 * MID_SFX (8 lanes) for a last group of 8 when LANES is 16, and of TAIL_SFX (4 lanes) for a last group of 4 when
 * LANES is above 4: blocks may be any multiple of 4 tiles wide whatever the width. No include guard. */

ATTR static void CAT(input_block, SFX)(int m, const float *plane, int h, int w, int y0, int x0, int bh, int bwp,
                                       float *phases, float *line, float *v, long ps) {
    const int wq = mpx_wino_phase_stride(bwp);
    const long row_stride = (long)m * wq;
    const int line_length = wq * m;
    const int lo = x0 < 0 ? -x0 : 0;
    const int hi = line_length < w - x0 ? line_length : w - x0;
    for (int r = 0; r < bh * m + 2; r++) {
        const int iy = y0 + r;
        float *prow = phases + r * row_stride;
        if (iy < 0 || iy >= h || hi <= lo) {
            memset(prow, 0, sizeof(float) * row_stride);
            continue;
        }
        const float *src = plane + (long)iy * w + x0;
#if LANES == 16
        (void)line;
        if (m == 4) CAT(split_row4, SFX)(src, lo, hi, wq, prow);
        else CAT(split_row2, SFX)(src, lo, hi, wq, prow);
#else
        if (lo > 0 || hi < line_length) {
            if (lo > 0) memset(line, 0, sizeof(float) * lo);
            memcpy(line + lo, src + lo, sizeof(float) * (hi - lo));
            if (hi < line_length) memset(line + hi, 0, sizeof(float) * (line_length - hi));
            src = line;
        }
        if (m == 4) {
            for (int q = 0; q < wq; q += LANES) CAT(deinterleave4, SFX)(src + 4 * q, prow + q, wq);
        } else {
            for (int q = 0; q < wq; q += LANES) CAT(deinterleave2, SFX)(src + 2 * q, prow + q, wq);
        }
#endif
    }
    for (int r = 0; r < bh; r++) {
        const float *rows = phases + (long)r * m * row_stride;
        float *out = v + (long)r * bwp;
        int q = 0;
        if (m == 4) {
            for (; q + LANES <= bwp; q += LANES) CAT(input_tiles_f4, SFX)(rows + q, row_stride, wq, out + q, ps);
#ifdef MID_SFX
            for (; q + 8 <= bwp; q += 8) CAT(input_tiles_f4, MID_SFX)(rows + q, row_stride, wq, out + q, ps);
#endif
#ifdef TAIL_SFX
            for (; q < bwp; q += 4) CAT(input_tiles_f4, TAIL_SFX)(rows + q, row_stride, wq, out + q, ps);
#endif
        } else {
            for (; q + LANES <= bwp; q += LANES) CAT(input_tiles_f2, SFX)(rows + q, row_stride, wq, out + q, ps);
#ifdef MID_SFX
            for (; q + 8 <= bwp; q += 8) CAT(input_tiles_f2, MID_SFX)(rows + q, row_stride, wq, out + q, ps);
#endif
#ifdef TAIL_SFX
            for (; q < bwp; q += 4) CAT(input_tiles_f2, TAIL_SFX)(rows + q, row_stride, wq, out + q, ps);
#endif
        }
    }
}

ATTR static void CAT(output_block, SFX)(int m, const float *prods, long ps, int bh, int bwp,
                                        float *out, int ho, int wo, int oy0, int ox0, int limit,
                                        float bias, int has_slope, float slope, float scale, float shift) {
    for (int r = 0; r < bh; r++) {
        const float *p = prods + (long)r * bwp;
        const int oy = oy0 + r * m;
        int q = 0;
        if (m == 4) {
            for (; q + LANES <= bwp; q += LANES)
                CAT(output_tiles_f4, SFX)(p + q, ps, out, wo, oy, ho, ox0 + 4 * q, limit, bias, has_slope, slope, scale, shift);
#ifdef MID_SFX
            for (; q + 8 <= bwp; q += 8)
                CAT(output_tiles_f4, MID_SFX)(p + q, ps, out, wo, oy, ho, ox0 + 4 * q, limit, bias, has_slope, slope, scale, shift);
#endif
#ifdef TAIL_SFX
            for (; q < bwp; q += 4)
                CAT(output_tiles_f4, TAIL_SFX)(p + q, ps, out, wo, oy, ho, ox0 + 4 * q, limit, bias, has_slope, slope, scale, shift);
#endif
        } else {
            for (; q + LANES <= bwp; q += LANES)
                CAT(output_tiles_f2, SFX)(p + q, ps, out, wo, oy, ho, ox0 + 2 * q, limit, bias, has_slope, slope, scale, shift);
#ifdef MID_SFX
            for (; q + 8 <= bwp; q += 8)
                CAT(output_tiles_f2, MID_SFX)(p + q, ps, out, wo, oy, ho, ox0 + 2 * q, limit, bias, has_slope, slope, scale, shift);
#endif
#ifdef TAIL_SFX
            for (; q < bwp; q += 4)
                CAT(output_tiles_f2, TAIL_SFX)(p + q, ps, out, wo, oy, ho, ox0 + 2 * q, limit, bias, has_slope, slope, scale, shift);
#endif
        }
    }
}
