/* add_avx512.c - the residual add h = (x + r) + b for AVX-512. */
#include <immintrin.h>

#include "kernels.h"

static inline __attribute__((always_inline)) __m512 add16(__m512 v, const float *r,
                                                          const float *b, __mmask16 m,
                                                          int has_r, int has_b)
{
    if (has_r)
        v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, r));
    if (has_b)
        v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, b));
    const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    return _mm512_mask_mov_ps(v, nan, _mm512_castsi512_ps(_mm512_set1_epi32((int)SIMDNORM_CANONICAL_NAN_BITS)));
}

static inline __attribute__((always_inline)) void add_span(size_t n, const float *x,
                                                           const float *r, const float *b,
                                                           float *h, int has_r, int has_b)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(h + i, add16(_mm512_loadu_ps(x + i), has_r ? r + i : r,
                                      has_b ? b + i : b, 0xffff, has_r, has_b));
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(h + i, m, add16(_mm512_maskz_loadu_ps(m, x + i), has_r ? r + i : r,
                                              has_b ? b + i : b, m, has_r, has_b));
    }
}

/* Contract: kernels.h, f32_add. Masked tail: nothing past n-1 is touched;
 * each vector is loaded before it is stored, so h == x or h == r works. */
void simdnorm_f32_add_avx512(size_t n, const float *x, const float *r, const float *b,
                             float *h)
{
    if (r && b)
        add_span(n, x, r, b, h, 1, 1);
    else if (r)
        add_span(n, x, r, b, h, 1, 0);
    else if (b)
        add_span(n, x, r, b, h, 0, 1);
    else
        add_span(n, x, r, b, h, 0, 0);
}
