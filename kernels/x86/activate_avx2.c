/* activate_avx2.c - the activation epilogue on its own, for AVX2 + FMA. */
#include <immintrin.h>
#include <string.h>

#include "act_avx2.h"
#include "kernels.h"

static inline __attribute__((always_inline)) void activate(size_t n, const float *x, int act,
                                                           float *y)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, act8(_mm256_loadu_ps(x + i), act));
    if (i < n) {
        /* 1-7 elements through a zeroed local copy (see normalize_avx2.c) */
        float t[8] = {0};
        memcpy(t, x + i, (n - i) * sizeof(float));
        _mm256_storeu_ps(t, act8(_mm256_loadu_ps(t), act));
        memcpy(y + i, t, (n - i) * sizeof(float));
    }
}

/* Contract: kernels.h, f32_activate. Nothing past n-1 is touched. */
void simdnorm_f32_activate_avx2(size_t n, const float *x, int act, float *y)
{
    SIMDNORM_WITH_CONST_ACT(act, A, activate(n, x, A, y))
}
