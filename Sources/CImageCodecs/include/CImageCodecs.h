/*
 * CImageCodecs: the only C in MonoPix's image I/O.
 *
 * libpng and libjpeg report fatal errors by longjmp, which Swift cannot survive. Every function here that
 * calls into a codec sets up its own setjmp frame, so a codec error comes back as a return value and a
 * message in `mpx_error` instead of unwinding through Swift frames or exiting the process.
 *
 * Nothing here decides anything: which transforms to apply, what limits to enforce, how to name errors,
 * where to write (temp file, fsync, rename) is all done by the Swift module ImageIO. The C only opens,
 * reads headers, decodes into a caller-allocated buffer, and encodes from one.
 *
 * The header is self-contained (no <png.h>/<jpeglib.h>) so that Swift sees only these few declarations.
 */
#ifndef CIMAGECODECS_H
#define CIMAGECODECS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What went wrong in the last call. `sys_errno` is non-zero when the cause was the operating system
 * (open/read/write failed) rather than the data; `message` is the codec's own text (or strerror). */
typedef struct mpx_error {
    int sys_errno;
    /* libjpeg's message code of a fatal error (J_MESSAGE_CODE), 0 for libpng or none. */
    int codec_code;
    /* libjpeg only: the data ended before the EOI marker (decoding stops there and fails). */
    int truncated;
    /* Number of non-fatal codec warnings, and the first one's text. */
    int warning_count;
    char first_warning[200];
    char message[256];
} mpx_error;

/* ---------------------------------------------------------------- PNG read */

typedef struct mpx_png_reader mpx_png_reader;

typedef struct mpx_png_info {
    uint32_t width;
    uint32_t height;
    int bit_depth;  /* as stored: 1, 2, 4, 8 or 16 */
    int color_type; /* as stored: 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA */
    int interlaced; /* 1 for Adam7 */
    int has_trns;   /* a tRNS chunk is present */
} mpx_png_info;

/* One bit per libpng input transformation; each maps to exactly one png_set_* call. */
enum {
    MPX_PNG_PALETTE_TO_RGB = 1 << 0,   /* png_set_palette_to_rgb */
    MPX_PNG_EXPAND_GRAY_TO_8 = 1 << 1, /* png_set_expand_gray_1_2_4_to_8 */
    MPX_PNG_TRNS_TO_ALPHA = 1 << 2,    /* png_set_tRNS_to_alpha */
    MPX_PNG_STRIP_ALPHA = 1 << 3,      /* png_set_strip_alpha */
    MPX_PNG_GRAY_TO_RGB = 1 << 4,      /* png_set_gray_to_rgb */
    MPX_PNG_SCALE_16 = 1 << 5,         /* png_set_scale_16 (rounding 16 -> 8) */
    MPX_PNG_SWAP_16 = 1 << 6           /* png_set_swap (16-bit samples in little-endian order) */
};

/* Opens `path`, checks the signature and reads every chunk up to the first IDAT. Returns NULL on failure
 * (err filled). No pixel memory is allocated. */
mpx_png_reader *mpx_png_open(const char *path, mpx_png_info *info, mpx_error *err);

/* Applies `transforms` (MPX_PNG_* bits) and reports the decoded layout. Returns 0, or -1 with err. */
int mpx_png_prepare(mpx_png_reader *reader, unsigned transforms, int *channels, int *bit_depth,
                    size_t *rowbytes, mpx_error *err);

/* Decodes the whole image (every interlace pass) into `pixels`, `row_stride` bytes per row, which must
 * hold at least height rows of the prepared rowbytes; then reads the chunks after the image up to IEND.
 * Returns 0, or -1 with err. */
int mpx_png_read(mpx_png_reader *reader, void *pixels, size_t pixels_size, size_t row_stride, mpx_error *err);

/* Text chunks (tEXt, zTXt, iTXt) seen so far, before and after the image data. */
int mpx_png_text_count(mpx_png_reader *reader);
/* `*utf8` is 1 for iTXt (UTF-8 text), 0 for tEXt/zTXt (Latin-1). Keys are always Latin-1. Returns 0 or -1. */
int mpx_png_text_at(mpx_png_reader *reader, int index, const char **key, const char **text, size_t *length,
                    int *utf8);

void mpx_png_close(mpx_png_reader *reader);

/* ---------------------------------------------------------------- PNG write */

typedef struct mpx_png_text {
    const char *key;  /* Latin-1, 1-79 bytes, NUL-terminated */
    const char *text; /* Latin-1 (utf8 == 0, written as tEXt) or UTF-8 (utf8 == 1, written as iTXt) */
    size_t length;
    int utf8;
} mpx_png_text;

/* Encodes a non-interlaced PNG into the open file descriptor `fd` (which stays open; the caller syncs and
 * closes it). `pixels` holds `height` rows of `row_stride` bytes in PNG sample order (16-bit samples big
 * endian). Text chunks go before the image data. Returns 0, or -1 with err. */
int mpx_png_write_fd(int fd, uint32_t width, uint32_t height, int bit_depth, int color_type,
                     const void *pixels, size_t row_stride, const mpx_png_text *texts, int text_count,
                     mpx_error *err);

/* Writing a band of rows at a time: begin (IHDR and text), rows in order (count at a time), then end, which fails
 * unless every row was written; abort frees a stream that is given up. On failure rows and end free nothing and
 * nothing more may be written: call abort (after a failed end, the stream is already freed). */
typedef struct mpx_png_stream mpx_png_stream;

mpx_png_stream *mpx_png_stream_begin(int fd, uint32_t width, uint32_t height, int bit_depth, int color_type,
                                     const mpx_png_text *texts, int text_count, mpx_error *err);
int mpx_png_stream_rows(mpx_png_stream *stream, const void *pixels, size_t row_stride, uint32_t count, mpx_error *err);
int mpx_png_stream_end(mpx_png_stream *stream, mpx_error *err);
void mpx_png_stream_abort(mpx_png_stream *stream);

/* Encodes 8-bit RGB as a PNG in memory with zlib level `level` (0-9), for terminals that take PNG images. On
 * success *out holds *out_size bytes the caller releases with mpx_free. Returns 0, or -1 with err. */
int mpx_png_encode_rgb(uint32_t width, uint32_t height, const void *pixels, size_t row_stride, int level,
                       unsigned char **out, size_t *out_size, mpx_error *err);
void mpx_free(void *p);

/* ---------------------------------------------------------------- JPEG read */

typedef struct mpx_jpeg_reader mpx_jpeg_reader;

typedef struct mpx_jpeg_info {
    uint32_t width;
    uint32_t height;
    int components;       /* in the file */
    int color_space;      /* libjpeg's J_COLOR_SPACE guessed from the header (JCS_YCbCr, JCS_CMYK, ...) */
    int saw_adobe_marker; /* Adobe APP14 present (CMYK stored inverted, as Photoshop writes it) */
    int progressive;
} mpx_jpeg_info;

/* Opens `path` and reads the JPEG header (up to the first SOS). Returns NULL on failure (err filled); then
 * info->width/height hold whatever libjpeg had parsed, meaningful when err->codec_code is JERR_IMAGE_TOO_BIG
 * (libjpeg refuses sides over 65500) and garbage or 0 otherwise. */
mpx_jpeg_reader *mpx_jpeg_open(const char *path, mpx_jpeg_info *info, mpx_error *err);

/* Decodes with libjpeg's defaults (JDCT_ISLOW, fancy upsampling) into `out_color_space` (a J_COLOR_SPACE).
 * `pixels` gets height rows of `row_stride` bytes; `*components` is the output component count. Warnings are
 * counted in err even when 0 is returned; a premature end of data fails at once with `err->truncated` set. */
int mpx_jpeg_read(mpx_jpeg_reader *reader, int out_color_space, void *pixels, size_t pixels_size,
                  size_t row_stride, int *components, mpx_error *err);

void mpx_jpeg_close(mpx_jpeg_reader *reader);

#ifdef __cplusplus
}
#endif

#endif
