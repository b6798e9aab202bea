/* fpenv.h - the floating-point control state every computation runs under
 * (DESIGN §4.1: the caller's floating-point environment never changes a
 * result).
 *
 *   simdnorm_fpenv saved = simdnorm_fpenv_enter();
 *   ... compute ...
 *   simdnorm_fpenv_leave(saved);
 *
 * enter() reads the calling thread's control register and, only when it
 * differs from the canonical state, switches to it: round-to-nearest-even,
 * no flush-to-zero / denormals-are-zero, every exception masked (so the
 * kernels' internal Inf/NaN handling never traps). leave() writes the
 * caller's control state back, again only when enter() had to change it.
 * The common case (a caller already in the canonical state) costs one read
 * of the register and a compare.
 *
 * Each thread has its own control register: every OpenMP worker enters and
 * leaves around its share of the work, as the public entry points do around
 * the whole call.
 *
 * What is restored: every control bit. The sticky exception status flags
 * (x86 MXCSR bits 0-5, Arm FPSR) raised inside a call are unspecified: they
 * may or may not remain set afterwards; flags the caller had set before the
 * call stay set.
 *
 * x86-64: MXCSR (SSE, baseline x86-64, no -m flags). Control bits: RC
 * 0x6000, FTZ 0x8000, DAZ 0x0040, exception masks 0x1F80; canonical is
 * masks all set, the rest clear (0x1F80, the power-on value).
 * AArch64: FPCR. Canonical: FZ (bit 24), RMode (bits 22-23), FZ16 (bit 19)
 * and the trap enables (bits 8-12, 15) clear, and the FEAT_AFP controls
 * FIZ (bit 0), AH (bit 1) and NEP (bit 2) clear (they flush inputs, change
 * the flush/NaN behaviour, and change what the upper lanes of scalar SIMD
 * results hold). DN, AHP and the other bits stay as the caller had them.
 * Other architectures: the C99 rounding mode (fegetround/fesetround). */
#ifndef SIMDNORM_FPENV_H
#define SIMDNORM_FPENV_H

#include <stdint.h>

#if defined(__x86_64__)

#include <xmmintrin.h>

typedef unsigned int simdnorm_fpenv;

#define SIMDNORM_MXCSR_FLAGS 0x003Fu   /* sticky status flags: not ours to keep */
#define SIMDNORM_MXCSR_CONTROL 0xFFC0u /* DAZ, masks, RC, FTZ */
#define SIMDNORM_MXCSR_CANONICAL 0x1F80u

static inline __attribute__((always_inline)) simdnorm_fpenv simdnorm_fpenv_enter(void)
{
    const unsigned int csr = _mm_getcsr();
    if (__builtin_expect((csr & SIMDNORM_MXCSR_CONTROL) != SIMDNORM_MXCSR_CANONICAL, 0))
        _mm_setcsr((csr & SIMDNORM_MXCSR_FLAGS) | SIMDNORM_MXCSR_CANONICAL);
    __asm__ __volatile__("" ::: "memory");
    return csr;
}

static inline __attribute__((always_inline)) void simdnorm_fpenv_leave(simdnorm_fpenv saved)
{
    __asm__ __volatile__("" ::: "memory");
    if (__builtin_expect((saved & SIMDNORM_MXCSR_CONTROL) != SIMDNORM_MXCSR_CANONICAL, 0))
        /* the caller's control bits; its flags and the ones raised since */
        _mm_setcsr((saved & ~SIMDNORM_MXCSR_FLAGS) |
                   ((saved | _mm_getcsr()) & SIMDNORM_MXCSR_FLAGS));
}

#elif defined(__aarch64__)

typedef uint64_t simdnorm_fpenv;

/* FZ, RMode, FZ16, IDE, IXE, UFE, OFE, DZE, IOE, NEP, AH, FIZ */
#define SIMDNORM_FPCR_CLEAR                                                                  \
    ((UINT64_C(1) << 24) | (UINT64_C(3) << 22) | (UINT64_C(1) << 19) | (UINT64_C(1) << 15) | \
     (UINT64_C(0x1F) << 8) | UINT64_C(7))

static inline __attribute__((always_inline)) simdnorm_fpenv simdnorm_fpenv_enter(void)
{
    uint64_t fpcr;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(fpcr) : : "memory");
    if (__builtin_expect((fpcr & SIMDNORM_FPCR_CLEAR) != 0, 0))
        __asm__ __volatile__("msr fpcr, %0" : : "r"(fpcr & ~SIMDNORM_FPCR_CLEAR) : "memory");
    return fpcr;
}

static inline __attribute__((always_inline)) void simdnorm_fpenv_leave(simdnorm_fpenv saved)
{
    if (__builtin_expect((saved & SIMDNORM_FPCR_CLEAR) != 0, 0))
        __asm__ __volatile__("msr fpcr, %0" : : "r"(saved) : "memory");
    else
        __asm__ __volatile__("" ::: "memory");
}

#else /* other architectures: the rounding mode, where C99 names it */

#include <fenv.h>

typedef int simdnorm_fpenv;

static inline simdnorm_fpenv simdnorm_fpenv_enter(void)
{
#ifdef FE_TONEAREST
    const int mode = fegetround();
    if (mode != FE_TONEAREST)
        fesetround(FE_TONEAREST);
    return mode;
#else
    return 0;
#endif
}

static inline void simdnorm_fpenv_leave(simdnorm_fpenv saved)
{
#ifdef FE_TONEAREST
    if (saved != FE_TONEAREST)
        fesetround(saved);
#else
    (void)saved;
#endif
}

#endif

#endif /* SIMDNORM_FPENV_H */
