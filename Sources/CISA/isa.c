#include "CISA.h"
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* -1: not read yet. Atomic because the workers read it while a test's thread may set it between products. */
static atomic_int cap = -1;
static atomic_int cpu_level = -1, cpu_bf16 = -1;

static void detect(void) {
    if (atomic_load_explicit(&cpu_level, memory_order_relaxed) >= 0) return;
    int level = MPX_ISA_BASELINE, bf16 = 0;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) level = MPX_ISA_AVX2;
    if (level == MPX_ISA_AVX2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) level = MPX_ISA_AVX512;
    bf16 = level == MPX_ISA_AVX512 && __builtin_cpu_supports("avx512bf16");
#endif
    atomic_store_explicit(&cpu_bf16, bf16, memory_order_relaxed);
    atomic_store_explicit(&cpu_level, level, memory_order_relaxed);
}

static int clamp(int level) { return level < MPX_ISA_BASELINE ? MPX_ISA_BASELINE : level > MPX_ISA_AVX512 ? MPX_ISA_AVX512 : level; }

const char *mpx_isa_name(int level) {
    static const char *names[] = {"baseline", "avx2", "avx512"};
    return names[clamp(level)];
}

/* MONOPIX_ISA, or no cap. An unknown value is reported once and ignored rather than silently taken for a level. */
static int environment_cap(void) {
    const char *e = getenv("MONOPIX_ISA");
    if (!e || !*e) return MPX_ISA_AVX512;
    for (int level = MPX_ISA_BASELINE; level <= MPX_ISA_AVX512; level++)
        if (strcmp(e, mpx_isa_name(level)) == 0) return level;
    fprintf(stderr, "monopix: MONOPIX_ISA=%s is not avx512, avx2 or baseline; ignored\n", e);
    return MPX_ISA_AVX512;
}

int mpx_isa_supported(void) {
    detect();
    return atomic_load_explicit(&cpu_level, memory_order_relaxed);
}

int mpx_isa(void) {
    int c = atomic_load_explicit(&cap, memory_order_relaxed);
    if (c < 0) {
        int expected = -1;
        atomic_compare_exchange_strong(&cap, &expected, environment_cap());
        c = atomic_load_explicit(&cap, memory_order_relaxed);
    }
    int s = mpx_isa_supported();
    return s < c ? s : c;
}

int mpx_isa_bf16(void) {
    return mpx_isa() == MPX_ISA_AVX512 && atomic_load_explicit(&cpu_bf16, memory_order_relaxed);
}

void mpx_isa_cap(int level) { atomic_store_explicit(&cap, clamp(level), memory_order_relaxed); }
