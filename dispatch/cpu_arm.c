/* cpu_arm.c - AArch64 feature detection with getauxval(AT_HWCAP). */
#include "cpu.h"

#if defined(__aarch64__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1 << 1)
#endif

unsigned simdnorm_cpu_detect_arch(void)
{
    return (getauxval(AT_HWCAP) & HWCAP_ASIMD) ? SIMDNORM_CPU_NEON : 0;
}
#endif
