/* cpu.h - CPU feature detection and ISA selection state, for the dispatcher
 * and for tools/simdnorm-info (not part of the public API). */
#ifndef SIMDNORM_CPU_H
#define SIMDNORM_CPU_H

#include "simdnorm.h"

/* Feature bits found by simdnorm_cpu_features(). OS_YMM / OS_ZMM: the OS
 * saves that register state across context switches (XCR0), without which
 * the instructions must not be used even if cpuid lists them. */
enum {
    SIMDNORM_CPU_AVX = 1u << 0,
    SIMDNORM_CPU_FMA = 1u << 1,
    SIMDNORM_CPU_AVX2 = 1u << 2,
    SIMDNORM_CPU_AVX512F = 1u << 3,
    SIMDNORM_CPU_AVX512BW = 1u << 4,
    SIMDNORM_CPU_AVX512DQ = 1u << 5,
    SIMDNORM_CPU_AVX512VL = 1u << 6,
    SIMDNORM_CPU_OS_YMM = 1u << 7,
    SIMDNORM_CPU_OS_ZMM = 1u << 8,
    SIMDNORM_CPU_NEON = 1u << 9,
    SIMDNORM_CPU_F16C = 1u << 10, /* the 16-bit conversions of the AVX2 kernels */
    /* Not an ISA level: the CPU executes 512-bit operations as two 256-bit
     * halves (AMD Zen 4: family 19h with AVX-512F; simdnorm_x86_zmm_split).
     * A speed rule of the dispatcher (dispatch/rows.c, row_norm_kernels)
     * measured on such a CPU applies there only. */
    SIMDNORM_CPU_ZMM_SPLIT = 1u << 11,
    /* AVX512-BF16 (cpuid leaf 7 subleaf 1, eax bit 5): vcvtne2ps2bf16, the
     * bf16 narrowing of the avx512bf16 kernels (vec_avx512.h). */
    SIMDNORM_CPU_AVX512BF16 = 1u << 12,
};

/* What each ISA needs (kernels/isa_list.h). FMA instructions are
 * VEX-encoded: they need the OS to save the YMM state too. */
#define SIMDNORM_CPU_LEVEL_AVX2                                               \
    (SIMDNORM_CPU_AVX | SIMDNORM_CPU_FMA | SIMDNORM_CPU_AVX2 | SIMDNORM_CPU_F16C | SIMDNORM_CPU_OS_YMM)
#define SIMDNORM_CPU_LEVEL_AVX512                                             \
    (SIMDNORM_CPU_LEVEL_AVX2 | SIMDNORM_CPU_AVX512F | SIMDNORM_CPU_AVX512BW | \
     SIMDNORM_CPU_AVX512DQ | SIMDNORM_CPU_AVX512VL | SIMDNORM_CPU_OS_ZMM)
#define SIMDNORM_CPU_LEVEL_AVX512BF16 (SIMDNORM_CPU_LEVEL_AVX512 | SIMDNORM_CPU_AVX512BF16)
#define SIMDNORM_CPU_LEVEL_NEON SIMDNORM_CPU_NEON
#define SIMDNORM_CPU_LEVEL_FMA (SIMDNORM_CPU_AVX | SIMDNORM_CPU_FMA | SIMDNORM_CPU_OS_YMM)

/* The raw detection for this architecture (cpu_x86.c, cpu_arm.c). */
unsigned simdnorm_cpu_detect_arch(void);

/* Detected once; the same value on every call. */
unsigned simdnorm_cpu_features(void);

/* Names of the feature bits, for printing: index = bit number. */
extern const char *const simdnorm_cpu_feature_names[13];

/* x86: whether a CPU splits 512-bit operations (SIMDNORM_CPU_ZMM_SPLIT),
 * from cpuid leaf 0's vendor (ebx, edx, ecx: "AuthenticAMD" is 0x68747541,
 * 0x69746e65, 0x444d4163), leaf 1's eax (the family) and the features
 * detected otherwise: AMD family 19h with AVX-512F, which is Zen 4 (Zen 3,
 * also family 19h, has no AVX-512; Zen 5 is family 1Ah and runs 512-bit
 * operations whole on most parts). A pure function, for the tests. */
int simdnorm_x86_zmm_split(unsigned ebx0, unsigned edx0, unsigned ecx0, unsigned eax1,
                           unsigned features);

/* How many ISAs the list has (kernels/isa_list.h); simdnorm_isa values
 * are 0 .. simdnorm_isa_count() - 1. */
int simdnorm_isa_count(void);

/* Whether the ISA is compiled in and the features allow it. */
int simdnorm_isa_runnable(simdnorm_isa isa, unsigned features);

/* Why the active ISA was chosen: "default", "SIMDNORM_ISA",
 * "simdnorm_set_isa", or "SIMDNORM_ISA not available, default used" /
 * "SIMDNORM_ISA unknown, default used" when the variable named an ISA that
 * could not be used (tools/simdnorm-info prints these as they are). */
const char *simdnorm_isa_reason(void);

/* The raw value of SIMDNORM_ISA seen at first use, or NULL if unset. */
const char *simdnorm_isa_env(void);

#endif /* SIMDNORM_CPU_H */
