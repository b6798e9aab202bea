/* activate_neon.c - the activation epilogue on its own, for AArch64 NEON. */
#include <arm_neon.h>
#include <string.h>

#include "act_neon.h"
#include "kernels.h"

static inline __attribute__((always_inline)) void activate(size_t n, const float *x, int act,
                                                           float *y)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        vst1q_f32(y + i, act4(vld1q_f32(x + i), act));
    if (i < n) {
        /* 1-3 elements through a zero-padded local copy */
        float t[4] = {0};
        memcpy(t, x + i, (n - i) * sizeof(float));
        vst1q_f32(t, act4(vld1q_f32(t), act));
        memcpy(y + i, t, (n - i) * sizeof(float));
    }
}

/* Contract: kernels.h, f32_activate. Nothing past n-1 is touched. */
void simdnorm_f32_activate_neon(size_t n, const float *x, int act, float *y)
{
    SIMDNORM_WITH_CONST_ACT(act, A, activate(n, x, A, y))
}
