/* normalize_avx2.c - the normalize-scale-shift kernel for AVX2 + FMA. */
#include <immintrin.h>

#include "kernels.h"

/* Lanes j < r of an 8-float group are all-ones: the mask for vmaskmov,
 * which neither reads nor faults on masked-off elements. */
static inline __m256i lane_mask8(size_t r)
{
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)r), idx);
}

/* t = x - shift, u = fma(t, scale, offset), the affine part chosen by the
 * constant flags, NaN lanes replaced by the canonical NaN. */
static inline __m256 normalize8(__m256 v, __m256 shift, __m256 scale,
                                __m256 offset, __m256 g, __m256 b,
                                int has_gamma, int has_beta)
{
    const __m256 u = _mm256_fmadd_ps(_mm256_sub_ps(v, shift), scale, offset);
    __m256 r = u;
    if (has_gamma && has_beta)
        r = _mm256_fmadd_ps(u, g, b);
    else if (has_gamma)
        r = _mm256_mul_ps(u, g);
    else if (has_beta)
        r = _mm256_add_ps(u, b);
    const __m256 nan = _mm256_cmp_ps(r, r, _CMP_UNORD_Q);
    return _mm256_blendv_ps(r, _mm256_castsi256_ps(_mm256_set1_epi32((int)SIMDNORM_CANONICAL_NAN_BITS)), nan);
}

static inline void normalize_span(size_t n, const float *x, float shift_s,
                                  float scale_s, float offset_s,
                                  const float *gamma, const float *beta,
                                  float *y, int has_gamma, int has_beta)
{
    const __m256 shift = _mm256_set1_ps(shift_s), scale = _mm256_set1_ps(scale_s);
    const __m256 offset = _mm256_set1_ps(offset_s), zero = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 g = has_gamma ? _mm256_loadu_ps(gamma + i) : zero;
        const __m256 b = has_beta ? _mm256_loadu_ps(beta + i) : zero;
        _mm256_storeu_ps(y + i, normalize8(_mm256_loadu_ps(x + i), shift, scale,
                                           offset, g, b, has_gamma, has_beta));
    }
    if (i < n) {
        const __m256i m = lane_mask8(n - i);
        const __m256 g = has_gamma ? _mm256_maskload_ps(gamma + i, m) : zero;
        const __m256 b = has_beta ? _mm256_maskload_ps(beta + i, m) : zero;
        _mm256_maskstore_ps(y + i, m, normalize8(_mm256_maskload_ps(x + i, m), shift,
                                                 scale, offset, g, b, has_gamma, has_beta));
    }
}

/* Contract: kernels.h, f32_normalize. 8 floats per step; the tail uses
 * vmaskmovps, so nothing past element n-1 is read or written. */
void simdnorm_f32_normalize_avx2(size_t n, const float *x, float shift,
                                 float scale, float offset,
                                 const float *gamma, const float *beta,
                                 float *y)
{
    if (gamma && beta)
        normalize_span(n, x, shift, scale, offset, gamma, beta, y, 1, 1);
    else if (gamma)
        normalize_span(n, x, shift, scale, offset, gamma, beta, y, 1, 0);
    else if (beta)
        normalize_span(n, x, shift, scale, offset, gamma, beta, y, 0, 1);
    else
        normalize_span(n, x, shift, scale, offset, gamma, beta, y, 0, 0);
}
