/*
 * CISA: the one instruction-set switch of the C kernels (CGemm, CWinograd, CElementwise). Every dispatcher asks
 * mpx_isa() for the widest path it may take, so that one AVX-512 machine can run (and the tests can check) the paths
 * AVX2-only and baseline x86-64 CPUs take.
 *
 * The level is the CPU's, capped by MONOPIX_ISA=avx512|avx2|baseline (read on first use) or by mpx_isa_cap (tests
 * set it between calls; a call in flight keeps the path it chose). Off x86-64 it is always baseline: portable C.
 */
#ifndef CISA_H
#define CISA_H

#ifdef __cplusplus
extern "C" {
#endif

enum {
    MPX_ISA_BASELINE = 0, /* no vector extension beyond the ABI's (SSE2 on x86-64, NEON on aarch64) */
    MPX_ISA_AVX2 = 1,     /* AVX2 + FMA (Haswell, Zen 1-3) */
    MPX_ISA_AVX512 = 2,   /* AVX-512 F, BW, VL, DQ (Skylake-X, Zen 4/5) */
};

/* The level the kernels dispatch to now: the CPU's, capped. */
int mpx_isa(void);
/* The widest level this CPU runs, whatever the cap. */
int mpx_isa_supported(void);
/* 1 when the CPU has AVX512_BF16 and the level is AVX512. */
int mpx_isa_bf16(void);
/* Caps every later dispatch at `level` (clamped to the MPX_ISA_ values; a cap above the CPU's changes nothing). */
void mpx_isa_cap(int level);
/* "avx512", "avx2" or "baseline": the spelling MONOPIX_ISA takes. */
const char *mpx_isa_name(int level);

#ifdef __cplusplus
}
#endif
#endif
