/* cpu_x86.c - x86-64 feature detection with cpuid and xgetbv. */
#include "cpu.h"

/* Contract: cpu.h. Outside the #if: the tests call it on every build. */
int simdnorm_x86_zmm_split(unsigned ebx0, unsigned edx0, unsigned ecx0, unsigned eax1,
                           unsigned features)
{
    const int amd = ebx0 == 0x68747541u && edx0 == 0x69746e65u && ecx0 == 0x444d4163u;
    const unsigned base = (eax1 >> 8) & 0xfu;
    const unsigned family = base == 0xfu ? base + ((eax1 >> 20) & 0xffu) : base;
    return amd && family == 0x19u && (features & SIMDNORM_CPU_AVX512F) != 0;
}

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <stdint.h>

static uint64_t read_xcr0(void)
{
    uint32_t lo, hi;
    /* xgetbv with ecx = 0; encoded as bytes so no -mxsave flag is needed. */
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

unsigned simdnorm_cpu_detect_arch(void)
{
    unsigned a, b, c, d, f = 0, eax1;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return 0;
    eax1 = a;
    const int osxsave = (c >> 27) & 1;
    if ((c >> 28) & 1)
        f |= SIMDNORM_CPU_AVX;
    if ((c >> 12) & 1)
        f |= SIMDNORM_CPU_FMA;
    if ((c >> 29) & 1)
        f |= SIMDNORM_CPU_F16C;
    if (osxsave) {
        const uint64_t xcr0 = read_xcr0();
        if ((xcr0 & 0x6) == 0x6) /* SSE and AVX (YMM upper) state */
            f |= SIMDNORM_CPU_OS_YMM;
        if ((xcr0 & 0xe6) == 0xe6) /* plus opmask, ZMM_Hi256, Hi16_ZMM */
            f |= SIMDNORM_CPU_OS_ZMM;
    }
    if (__get_cpuid_max(0, 0) >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        const unsigned subleaves = a;
        if ((b >> 5) & 1)
            f |= SIMDNORM_CPU_AVX2;
        if ((b >> 16) & 1)
            f |= SIMDNORM_CPU_AVX512F;
        if ((b >> 17) & 1)
            f |= SIMDNORM_CPU_AVX512DQ;
        if ((b >> 30) & 1)
            f |= SIMDNORM_CPU_AVX512BW;
        if ((b >> 31) & 1)
            f |= SIMDNORM_CPU_AVX512VL;
        if (subleaves >= 1) {
            __cpuid_count(7, 1, a, b, c, d);
            if ((a >> 5) & 1)
                f |= SIMDNORM_CPU_AVX512BF16;
        }
    }
    __cpuid(0, a, b, c, d);
    if (simdnorm_x86_zmm_split(b, d, c, eax1, f))
        f |= SIMDNORM_CPU_ZMM_SPLIT;
    return f;
}
#endif
