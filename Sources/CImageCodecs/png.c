/* setjmp-protected libpng reading and writing; see include/CImageCodecs.h. */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <png.h>
#include "common.h"

/* The most memory a chunk's decompressed contents may take. */
#define MPX_PNG_CHUNK_MAX 8000000

/* The error/io pointer libpng hands back to the callbacks below. */
typedef struct mpx_png_io {
    FILE *fp;
    mpx_error *err;
} mpx_png_io;

struct mpx_png_reader {
    mpx_png_io io;
    png_structp png;
    png_infop info;
};

static void mpx_png_on_error(png_structp png, png_const_charp message) {
    mpx_png_io *io = (mpx_png_io *)png_get_error_ptr(png);
    mpx_set_message(io->err, message);
    png_longjmp(png, 1);
}

static void mpx_png_on_warning(png_structp png, png_const_charp message) {
    mpx_png_io *io = (mpx_png_io *)png_get_error_ptr(png);
    mpx_add_warning(io->err, message);
}

static void mpx_png_read_data(png_structp png, png_bytep data, size_t length) {
    mpx_png_io *io = (mpx_png_io *)png_get_io_ptr(png);
    if (fread(data, 1, length, io->fp) == length) return;
    if (ferror(io->fp)) {
        io->err->sys_errno = errno ? errno : EIO;
        png_error(png, strerror(io->err->sys_errno));
    }
    png_error(png, "unexpected end of file");
}

static void mpx_png_write_data(png_structp png, png_bytep data, size_t length) {
    mpx_png_io *io = (mpx_png_io *)png_get_io_ptr(png);
    if (fwrite(data, 1, length, io->fp) == length) return;
    io->err->sys_errno = errno ? errno : EIO;
    png_error(png, strerror(io->err->sys_errno));
}

static void mpx_png_flush_data(png_structp png) {
    mpx_png_io *io = (mpx_png_io *)png_get_io_ptr(png);
    if (fflush(io->fp) == 0) return;
    io->err->sys_errno = errno ? errno : EIO;
    png_error(png, strerror(io->err->sys_errno));
}

void mpx_png_close(mpx_png_reader *r) {
    if (!r) return;
    if (r->png) png_destroy_read_struct(&r->png, r->info ? &r->info : NULL, NULL);
    if (r->io.fp) fclose(r->io.fp);
    free(r);
}

/* Signature and chunks up to the first IDAT; its own function so the setjmp frame holds no locals. */
static int mpx_png_read_header(mpx_png_reader *r) {
    if (setjmp(png_jmpbuf(r->png))) return -1;
    /* Size limits are ImageIO's (Swift) business: lift libpng's own 1,000,000-pixel default so an oversized
     * header reaches Swift with its dimensions instead of failing here as "Invalid IHDR data". */
    png_set_user_limits(r->png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
    /* Caps what a compressed text or ICC chunk may inflate to (libpng's own suggested 8 MB; beyond it the chunk
     * is skipped with a warning): a 64 KB zTXt can otherwise grow to 64 MB. Declared chunk lengths beyond the
     * file are refused before libpng runs (PNGReader.checkChunkLengths): this cap does not stop those. */
    png_set_chunk_malloc_max(r->png, MPX_PNG_CHUNK_MAX);
    png_set_read_fn(r->png, &r->io, mpx_png_read_data);
    png_read_info(r->png, r->info);
    return 0;
}

mpx_png_reader *mpx_png_open(const char *path, mpx_png_info *info, mpx_error *err) {
    mpx_clear(err);
    memset(info, 0, sizeof *info);
    mpx_png_reader *r = (mpx_png_reader *)calloc(1, sizeof *r);
    if (!r) {
        mpx_set_message(err, "out of memory");
        return NULL;
    }
    r->io.err = err;
    r->io.fp = fopen(path, "rb");
    if (!r->io.fp) {
        err->sys_errno = errno;
        mpx_set_message(err, strerror(errno));
        free(r);
        return NULL;
    }
    r->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r->io, mpx_png_on_error, mpx_png_on_warning);
    if (r->png) r->info = png_create_info_struct(r->png);
    if (!r->png || !r->info) {
        mpx_set_message(err, "out of memory");
        mpx_png_close(r);
        return NULL;
    }
    if (mpx_png_read_header(r) != 0) {
        mpx_png_close(r);
        return NULL;
    }
    info->width = png_get_image_width(r->png, r->info);
    info->height = png_get_image_height(r->png, r->info);
    info->bit_depth = png_get_bit_depth(r->png, r->info);
    info->color_type = png_get_color_type(r->png, r->info);
    info->interlaced = png_get_interlace_type(r->png, r->info) == PNG_INTERLACE_ADAM7;
    info->has_trns = png_get_valid(r->png, r->info, PNG_INFO_tRNS) != 0;
    return r;
}

int mpx_png_prepare(mpx_png_reader *r, unsigned t, int *channels, int *bit_depth, size_t *rowbytes,
                    mpx_error *err) {
    mpx_clear(err);
    r->io.err = err;
    if (setjmp(png_jmpbuf(r->png))) return -1;
    if (t & MPX_PNG_PALETTE_TO_RGB) png_set_palette_to_rgb(r->png);
    if (t & MPX_PNG_EXPAND_GRAY_TO_8) png_set_expand_gray_1_2_4_to_8(r->png);
    if (t & MPX_PNG_TRNS_TO_ALPHA) png_set_tRNS_to_alpha(r->png);
    if (t & MPX_PNG_STRIP_ALPHA) png_set_strip_alpha(r->png);
    if (t & MPX_PNG_GRAY_TO_RGB) png_set_gray_to_rgb(r->png);
    if (t & MPX_PNG_SCALE_16) png_set_scale_16(r->png);
    if (t & MPX_PNG_SWAP_16) png_set_swap(r->png);
    (void)png_set_interlace_handling(r->png);
    png_read_update_info(r->png, r->info);
    *channels = png_get_channels(r->png, r->info);
    *bit_depth = png_get_bit_depth(r->png, r->info);
    *rowbytes = png_get_rowbytes(r->png, r->info);
    return 0;
}

int mpx_png_read(mpx_png_reader *r, void *pixels, size_t pixels_size, size_t row_stride, mpx_error *err) {
    mpx_clear(err);
    r->io.err = err;
    png_uint_32 height = png_get_image_height(r->png, r->info);
    if (row_stride < png_get_rowbytes(r->png, r->info) || (height && pixels_size / row_stride < height)) {
        mpx_set_message(err, "pixel buffer too small");
        return -1;
    }
    png_bytep *rows = (png_bytep *)malloc((height ? height : 1) * sizeof *rows);
    if (!rows) {
        mpx_set_message(err, "out of memory");
        return -1;
    }
    for (png_uint_32 y = 0; y < height; y++) rows[y] = (png_bytep)pixels + (size_t)y * row_stride;
    if (setjmp(png_jmpbuf(r->png))) {
        free(rows);
        return -1;
    }
    png_read_image(r->png, rows);
    png_read_end(r->png, r->info);
    free(rows);
    return 0;
}

int mpx_png_text_count(mpx_png_reader *r) {
    png_textp text = NULL;
    int count = 0;
    png_get_text(r->png, r->info, &text, &count);
    return count;
}

int mpx_png_text_at(mpx_png_reader *r, int index, const char **key, const char **text, size_t *length,
                    int *utf8) {
    png_textp all = NULL;
    int count = 0;
    png_get_text(r->png, r->info, &all, &count);
    if (index < 0 || index >= count) return -1;
    png_textp t = &all[index];
    *key = t->key;
    *text = t->text ? t->text : "";
    *utf8 = t->compression >= PNG_ITXT_COMPRESSION_NONE;
    *length = t->text ? (*utf8 ? t->itxt_length : t->text_length) : 0;
    return 0;
}

/* A PNG being written a band of rows at a time: a photo's outputs never exist whole. Each call below sets its own
 * setjmp frame, since libpng's errors longjmp to the frame of the call that raised them. */
struct mpx_png_stream {
    mpx_png_io io;
    png_structp png;
    png_infop info;
    uint32_t width, height, written;
};

static void mpx_png_stream_free(mpx_png_stream *s) {
    if (!s) return;
    if (s->png) png_destroy_write_struct(&s->png, s->info ? &s->info : NULL);
    if (s->io.fp) fclose(s->io.fp);
    free(s);
}

void mpx_png_stream_abort(mpx_png_stream *s) { mpx_png_stream_free(s); }

mpx_png_stream *mpx_png_stream_begin(int fd, uint32_t width, uint32_t height, int bit_depth, int color_type,
                                     const mpx_png_text *texts, int text_count, mpx_error *err) {
    mpx_clear(err);
    mpx_png_stream *s = (mpx_png_stream *)calloc(1, sizeof *s);
    png_textp ptexts = (png_textp)calloc(text_count > 0 ? (size_t)text_count : 1, sizeof *ptexts);
    if (!s || !ptexts) {
        mpx_set_message(err, "out of memory");
        free(s);
        free(ptexts);
        return NULL;
    }
    s->io.err = err;
    s->width = width;
    s->height = height;
    int copy = dup(fd);
    if (copy < 0 || !(s->io.fp = fdopen(copy, "wb"))) {
        err->sys_errno = errno;
        mpx_set_message(err, strerror(errno));
        if (copy >= 0) close(copy);
        free(ptexts);
        mpx_png_stream_free(s);
        return NULL;
    }
    s->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &s->io, mpx_png_on_error, mpx_png_on_warning);
    s->info = s->png ? png_create_info_struct(s->png) : NULL;
    if (!s->png || !s->info) {
        mpx_set_message(err, "out of memory");
        free(ptexts);
        mpx_png_stream_free(s);
        return NULL;
    }
    for (int i = 0; i < text_count; i++) {
        ptexts[i].compression = texts[i].utf8 ? PNG_ITXT_COMPRESSION_NONE : PNG_TEXT_COMPRESSION_NONE;
        ptexts[i].key = (png_charp)texts[i].key;
        ptexts[i].text = (png_charp)texts[i].text;
        if (texts[i].utf8) ptexts[i].itxt_length = texts[i].length;
        else ptexts[i].text_length = texts[i].length;
    }
    if (setjmp(png_jmpbuf(s->png))) {
        free(ptexts);
        mpx_png_stream_free(s);
        return NULL;
    }
    png_set_write_fn(s->png, &s->io, mpx_png_write_data, mpx_png_flush_data);
    png_set_IHDR(s->png, s->info, width, height, bit_depth, color_type, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (text_count > 0) png_set_text(s->png, s->info, ptexts, text_count);
    png_write_info(s->png, s->info);
    free(ptexts);
    return s;
}

int mpx_png_stream_rows(mpx_png_stream *s, const void *pixels, size_t row_stride, uint32_t count, mpx_error *err) {
    mpx_clear(err);
    s->io.err = err;
    if (count > s->height - s->written) {
        mpx_set_message(err, "more rows than the image has");
        return -1;
    }
    if (setjmp(png_jmpbuf(s->png))) return -1;
    for (uint32_t y = 0; y < count; y++) png_write_row(s->png, (png_const_bytep)pixels + (size_t)y * row_stride);
    s->written += count;
    return 0;
}

int mpx_png_stream_end(mpx_png_stream *s, mpx_error *err) {
    mpx_clear(err);
    s->io.err = err;
    int status = 0;
    if (s->written != s->height) {
        mpx_set_message(err, "the image ended before its last row");
        status = -1;
    } else if (setjmp(png_jmpbuf(s->png))) {
        status = -1;
    } else {
        png_write_end(s->png, s->info);
        if (fflush(s->io.fp) != 0 || ferror(s->io.fp)) {
            err->sys_errno = errno ? errno : EIO;
            mpx_set_message(err, strerror(err->sys_errno));
            status = -1;
        }
    }
    png_destroy_write_struct(&s->png, &s->info);
    FILE *fp = s->io.fp;
    s->io.fp = NULL;
    if (fclose(fp) != 0 && status == 0) {
        err->sys_errno = errno ? errno : EIO;
        mpx_set_message(err, strerror(err->sys_errno));
        status = -1;
    }
    free(s);
    return status;
}

int mpx_png_write_fd(int fd, uint32_t width, uint32_t height, int bit_depth, int color_type,
                     const void *pixels, size_t row_stride, const mpx_png_text *texts, int text_count,
                     mpx_error *err) {
    mpx_png_stream *s = mpx_png_stream_begin(fd, width, height, bit_depth, color_type, texts, text_count, err);
    if (!s) return -1;
    if (mpx_png_stream_rows(s, pixels, row_stride, height, err) != 0) {
        mpx_png_stream_abort(s);
        return -1;
    }
    return mpx_png_stream_end(s, err);
}

int mpx_png_encode_rgb(uint32_t width, uint32_t height, const void *pixels, size_t row_stride, int level,
                       unsigned char **out, size_t *out_size, mpx_error *err) {
    mpx_clear(err);
    *out = NULL;
    *out_size = 0;
    char *buffer = NULL;
    size_t size = 0;
    mpx_png_io io = {open_memstream(&buffer, &size), err};
    if (!io.fp) {
        err->sys_errno = errno;
        mpx_set_message(err, strerror(errno));
        return -1;
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &io, mpx_png_on_error, mpx_png_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    png_bytep *rows = (png_bytep *)malloc((height ? height : 1) * sizeof *rows);
    if (!png || !info || !rows) {
        mpx_set_message(err, "out of memory");
        goto fail;
    }
    for (uint32_t y = 0; y < height; y++) rows[y] = (png_bytep)pixels + (size_t)y * row_stride;
    if (setjmp(png_jmpbuf(png))) goto fail;
    png_set_write_fn(png, &io, mpx_png_write_data, mpx_png_flush_data);
    png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, level);
    /* At the fast levels the adaptive filter search costs more than it saves; SUB alone suits photographs. */
    if (level <= 3) png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB);
    png_write_info(png, info);
    png_write_image(png, rows);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(rows);
    if (fclose(io.fp) != 0) {
        err->sys_errno = errno ? errno : EIO;
        mpx_set_message(err, strerror(err->sys_errno));
        free(buffer);
        return -1;
    }
    *out = (unsigned char *)buffer;
    *out_size = size;
    return 0;

fail:
    if (png) png_destroy_write_struct(&png, info ? &info : NULL);
    free(rows);
    fclose(io.fp);
    free(buffer);
    return -1;
}

void mpx_free(void *p) { free(p); }
