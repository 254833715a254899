/* setjmp-protected libjpeg(-turbo) decoding; see include/CImageCodecs.h. */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h>
#include <jerror.h>
#include "common.h"

struct mpx_jpeg_reader {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_error_mgr jerr;
    jmp_buf jump;
    FILE *fp;
    mpx_error *err;
};

static void mpx_jpeg_error_exit(j_common_ptr cinfo) {
    mpx_jpeg_reader *r = (mpx_jpeg_reader *)cinfo->client_data;
    char buffer[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, buffer);
    mpx_set_message(r->err, buffer);
    r->err->codec_code = cinfo->err->msg_code;
    longjmp(r->jump, 1);
}

/* Warnings (level -1) are recorded, trace messages ignored; nothing is ever printed. The end of the data stops
 * decoding at once: libjpeg would pad every remaining row with gray, which for a small file declaring a huge image
 * costs seconds and gigabytes, and the caller refuses a truncated image anyway. */
static void mpx_jpeg_emit_message(j_common_ptr cinfo, int level) {
    if (level >= 0) return;
    mpx_jpeg_reader *r = (mpx_jpeg_reader *)cinfo->client_data;
    if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
        r->err->truncated = 1;
        longjmp(r->jump, 1);
    }
    char buffer[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, buffer);
    mpx_add_warning(r->err, buffer);
    cinfo->err->num_warnings++;
}

static void mpx_jpeg_output_message(j_common_ptr cinfo) { (void)cinfo; }

void mpx_jpeg_close(mpx_jpeg_reader *r) {
    if (!r) return;
    jpeg_destroy_decompress(&r->cinfo); /* safe on a never-created (zeroed) struct */
    if (r->fp) fclose(r->fp);
    free(r);
}

/* Its own function so the setjmp frame holds no locals. */
static int mpx_jpeg_read_header(mpx_jpeg_reader *r) {
    if (setjmp(r->jump)) return -1;
    jpeg_create_decompress(&r->cinfo);
    jpeg_stdio_src(&r->cinfo, r->fp);
    jpeg_read_header(&r->cinfo, TRUE);
    return 0;
}

mpx_jpeg_reader *mpx_jpeg_open(const char *path, mpx_jpeg_info *info, mpx_error *err) {
    mpx_clear(err);
    memset(info, 0, sizeof *info);
    mpx_jpeg_reader *r = (mpx_jpeg_reader *)calloc(1, sizeof *r);
    if (!r) {
        mpx_set_message(err, "out of memory");
        return NULL;
    }
    r->err = err;
    r->fp = fopen(path, "rb");
    if (!r->fp) {
        err->sys_errno = errno;
        mpx_set_message(err, strerror(errno));
        free(r);
        return NULL;
    }
    r->cinfo.err = jpeg_std_error(&r->jerr);
    r->jerr.error_exit = mpx_jpeg_error_exit;
    r->jerr.emit_message = mpx_jpeg_emit_message;
    r->jerr.output_message = mpx_jpeg_output_message;
    r->cinfo.client_data = r; /* jpeg_create_decompress keeps err and client_data */
    int failed = mpx_jpeg_read_header(r);
    info->width = r->cinfo.image_width; /* see the header on failures */
    info->height = r->cinfo.image_height;
    if (failed) {
        mpx_jpeg_close(r);
        return NULL;
    }
    info->components = r->cinfo.num_components;
    info->color_space = (int)r->cinfo.jpeg_color_space;
    info->saw_adobe_marker = r->cinfo.saw_Adobe_marker;
    info->progressive = r->cinfo.progressive_mode;
    return r;
}

int mpx_jpeg_read(mpx_jpeg_reader *r, int out_color_space, void *pixels, size_t pixels_size, size_t row_stride,
                  int *components, mpx_error *err) {
    mpx_clear(err);
    r->err = err;
    if (setjmp(r->jump)) return -1;
    r->cinfo.out_color_space = (J_COLOR_SPACE)out_color_space;
    r->cinfo.dct_method = JDCT_ISLOW; /* libjpeg's default, stated so nobody wonders */
    jpeg_start_decompress(&r->cinfo);
    size_t rowbytes = (size_t)r->cinfo.output_width * (size_t)r->cinfo.output_components;
    size_t height = r->cinfo.output_height;
    if (row_stride < rowbytes || (height && pixels_size / row_stride < height)) {
        mpx_set_message(err, "pixel buffer too small");
        return -1;
    }
    while (r->cinfo.output_scanline < r->cinfo.output_height) {
        JSAMPROW row = (JSAMPROW)pixels + (size_t)r->cinfo.output_scanline * row_stride;
        jpeg_read_scanlines(&r->cinfo, &row, 1);
    }
    jpeg_finish_decompress(&r->cinfo);
    *components = r->cinfo.output_components;
    if (ferror(r->fp)) { /* libjpeg's stdio source treats a read error like the end of the file */
        err->sys_errno = EIO;
        mpx_set_message(err, strerror(EIO));
        return -1;
    }
    return 0;
}
