/* activate_avx512.c - the activation epilogue on its own, for AVX-512. */
#include <immintrin.h>

#include "act_avx512.h"
#include "kernels.h"

static inline __attribute__((always_inline)) void activate(size_t n, const float *x, int act,
                                                           float *y)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(y + i, act16(_mm512_loadu_ps(x + i), act));
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(y + i, m, act16(_mm512_maskz_loadu_ps(m, x + i), act));
    }
}

/* Contract: kernels.h, f32_activate. Masked tail: nothing past n-1 is
 * touched. */
void simdnorm_f32_activate_avx512(size_t n, const float *x, int act, float *y)
{
    SIMDNORM_WITH_CONST_ACT(act, A, activate(n, x, A, y))
}
