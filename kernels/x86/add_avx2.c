/* add_avx2.c - the residual add h = (x + r) + b for AVX2. */
#include <immintrin.h>
#include <string.h>

#include "kernels.h"

static inline __attribute__((always_inline)) __m256 add8(__m256 v, __m256 r, __m256 b,
                                                         int has_r, int has_b)
{
    if (has_r)
        v = _mm256_add_ps(v, r);
    if (has_b)
        v = _mm256_add_ps(v, b);
    const __m256 nan = _mm256_cmp_ps(v, v, _CMP_UNORD_Q);
    return _mm256_blendv_ps(v, _mm256_castsi256_ps(_mm256_set1_epi32((int)SIMDNORM_CANONICAL_NAN_BITS)), nan);
}

static inline __attribute__((always_inline)) void add_span(size_t n, const float *x,
                                                           const float *r, const float *b,
                                                           float *h, int has_r, int has_b)
{
    const __m256 zero = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(h + i, add8(_mm256_loadu_ps(x + i), has_r ? _mm256_loadu_ps(r + i) : zero,
                                     has_b ? _mm256_loadu_ps(b + i) : zero, has_r, has_b));
    if (i < n) {
        /* 1-7 elements through zeroed local copies (see normalize_avx2.c) */
        const size_t k = n - i;
        float xt[8] = {0}, rt[8] = {0}, bt[8] = {0};
        memcpy(xt, x + i, k * sizeof(float));
        if (has_r)
            memcpy(rt, r + i, k * sizeof(float));
        if (has_b)
            memcpy(bt, b + i, k * sizeof(float));
        _mm256_storeu_ps(xt, add8(_mm256_loadu_ps(xt), _mm256_loadu_ps(rt), _mm256_loadu_ps(bt),
                                  has_r, has_b));
        memcpy(h + i, xt, k * sizeof(float));
    }
}

/* Contract: kernels.h, f32_add. Nothing past n-1 is touched; each vector
 * is loaded before it is stored, so h == x or h == r works. */
void simdnorm_f32_add_avx2(size_t n, const float *x, const float *r, const float *b, float *h)
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
