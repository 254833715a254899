#ifndef MPX_COMMON_H
#define MPX_COMMON_H
#include <string.h>
#include "CImageCodecs.h"

static inline void mpx_clear(mpx_error *err) { memset(err, 0, sizeof *err); }

static inline void mpx_copy(char *dst, size_t size, const char *src) {
    if (size == 0) return;
    size_t n = src ? strlen(src) : 0;
    if (n >= size) n = size - 1;
    if (n) memcpy(dst, src, n);
    dst[n] = '\0';
}

static inline void mpx_set_message(mpx_error *err, const char *message) {
    mpx_copy(err->message, sizeof err->message, message);
}

static inline void mpx_add_warning(mpx_error *err, const char *message) {
    if (err->warning_count++ == 0) mpx_copy(err->first_warning, sizeof err->first_warning, message);
}
#endif
