/* moments_exact_avx512.c - the exact (double) reduction kernels for AVX-512. */
#include <immintrin.h>

#include "kernels.h"
#include "lanes_avx512.h"

/* Contract: kernels.h, f32_moments_exact. Four 8-float loads per 32 elements, each
 * widened to double; the tail uses masked loads (no access past x[n-1]) and
 * zeroes d in absent lanes, which leaves those accumulators unchanged. */
void simdnorm_f32_moments_exact_avx512(size_t n, const float *x, float shift,
                                 double out[2])
{
    const __m512d k = _mm512_set1_pd((double)shift);
    __m512d s0 = _mm512_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
    __m512d q0 = s0, q1 = s0, q2 = s0, q3 = s0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m512d d0 = _mm512_sub_pd(_mm512_cvtps_pd(_mm256_loadu_ps(x + i)), k);
        const __m512d d1 = _mm512_sub_pd(_mm512_cvtps_pd(_mm256_loadu_ps(x + i + 8)), k);
        const __m512d d2 = _mm512_sub_pd(_mm512_cvtps_pd(_mm256_loadu_ps(x + i + 16)), k);
        const __m512d d3 = _mm512_sub_pd(_mm512_cvtps_pd(_mm256_loadu_ps(x + i + 24)), k);
        s0 = _mm512_add_pd(s0, d0);
        s1 = _mm512_add_pd(s1, d1);
        s2 = _mm512_add_pd(s2, d2);
        s3 = _mm512_add_pd(s3, d3);
        q0 = _mm512_fmadd_pd(d0, d0, q0);
        q1 = _mm512_fmadd_pd(d1, d1, q1);
        q2 = _mm512_fmadd_pd(d2, d2, q2);
        q3 = _mm512_fmadd_pd(d3, d3, q3);
    }
    if (i < n) {
        const uint32_t m = (uint32_t)((1ull << (n - i)) - 1);
        const __mmask8 m0 = (__mmask8)m, m1 = (__mmask8)(m >> 8);
        const __mmask8 m2 = (__mmask8)(m >> 16), m3 = (__mmask8)(m >> 24);
        const __m512d d0 = _mm512_maskz_sub_pd(m0, _mm512_cvtps_pd(_mm256_maskz_loadu_ps(m0, x + i)), k);
        const __m512d d1 = _mm512_maskz_sub_pd(m1, _mm512_cvtps_pd(_mm256_maskz_loadu_ps(m1, x + i + 8)), k);
        const __m512d d2 = _mm512_maskz_sub_pd(m2, _mm512_cvtps_pd(_mm256_maskz_loadu_ps(m2, x + i + 16)), k);
        const __m512d d3 = _mm512_maskz_sub_pd(m3, _mm512_cvtps_pd(_mm256_maskz_loadu_ps(m3, x + i + 24)), k);
        s0 = _mm512_add_pd(s0, d0);
        s1 = _mm512_add_pd(s1, d1);
        s2 = _mm512_add_pd(s2, d2);
        s3 = _mm512_add_pd(s3, d3);
        q0 = _mm512_fmadd_pd(d0, d0, q0);
        q1 = _mm512_fmadd_pd(d1, d1, q1);
        q2 = _mm512_fmadd_pd(d2, d2, q2);
        q3 = _mm512_fmadd_pd(d3, d3, q3);
    }
    out[0] = fold_lanes_avx512(s0, s1, s2, s3);
    out[1] = fold_lanes_avx512(q0, q1, q2, q3);
}

/* Contract: kernels.h, f32_sumsq_exact. Same lane map as the moments kernel. */
double simdnorm_f32_sumsq_exact_avx512(size_t n, const float *x)
{
    __m512d q0 = _mm512_setzero_pd(), q1 = q0, q2 = q0, q3 = q0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m512d v0 = _mm512_cvtps_pd(_mm256_loadu_ps(x + i));
        const __m512d v1 = _mm512_cvtps_pd(_mm256_loadu_ps(x + i + 8));
        const __m512d v2 = _mm512_cvtps_pd(_mm256_loadu_ps(x + i + 16));
        const __m512d v3 = _mm512_cvtps_pd(_mm256_loadu_ps(x + i + 24));
        q0 = _mm512_fmadd_pd(v0, v0, q0);
        q1 = _mm512_fmadd_pd(v1, v1, q1);
        q2 = _mm512_fmadd_pd(v2, v2, q2);
        q3 = _mm512_fmadd_pd(v3, v3, q3);
    }
    if (i < n) {
        const uint32_t m = (uint32_t)((1ull << (n - i)) - 1);
        /* Masked-off floats load as +0, and fma(0, 0, q) == q since q >= +0. */
        const __m512d v0 = _mm512_cvtps_pd(_mm256_maskz_loadu_ps((__mmask8)m, x + i));
        const __m512d v1 = _mm512_cvtps_pd(_mm256_maskz_loadu_ps((__mmask8)(m >> 8), x + i + 8));
        const __m512d v2 = _mm512_cvtps_pd(_mm256_maskz_loadu_ps((__mmask8)(m >> 16), x + i + 16));
        const __m512d v3 = _mm512_cvtps_pd(_mm256_maskz_loadu_ps((__mmask8)(m >> 24), x + i + 24));
        q0 = _mm512_fmadd_pd(v0, v0, q0);
        q1 = _mm512_fmadd_pd(v1, v1, q1);
        q2 = _mm512_fmadd_pd(v2, v2, q2);
        q3 = _mm512_fmadd_pd(v3, v3, q3);
    }
    return fold_lanes_avx512(q0, q1, q2, q3);
}
