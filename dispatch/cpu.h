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
};

/* What each ISA needs (kernels/isa_list.h). FMA instructions are
 * VEX-encoded: they need the OS to save the YMM state too. */
#define SIMDNORM_CPU_LEVEL_AVX2                                               \
    (SIMDNORM_CPU_AVX | SIMDNORM_CPU_FMA | SIMDNORM_CPU_AVX2 | SIMDNORM_CPU_F16C | SIMDNORM_CPU_OS_YMM)
#define SIMDNORM_CPU_LEVEL_AVX512                                             \
    (SIMDNORM_CPU_LEVEL_AVX2 | SIMDNORM_CPU_AVX512F | SIMDNORM_CPU_AVX512BW | \
     SIMDNORM_CPU_AVX512DQ | SIMDNORM_CPU_AVX512VL | SIMDNORM_CPU_OS_ZMM)
#define SIMDNORM_CPU_LEVEL_NEON SIMDNORM_CPU_NEON
#define SIMDNORM_CPU_LEVEL_FMA (SIMDNORM_CPU_AVX | SIMDNORM_CPU_FMA | SIMDNORM_CPU_OS_YMM)

/* The raw detection for this architecture (cpu_x86.c, cpu_arm.c). */
unsigned simdnorm_cpu_detect_arch(void);

/* Detected once; the same value on every call. */
unsigned simdnorm_cpu_features(void);

/* Names of the feature bits, for printing: index = bit number. */
extern const char *const simdnorm_cpu_feature_names[11];

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
