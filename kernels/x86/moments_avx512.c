/* moments_avx512.c - the fast reduction kernels for AVX-512 (F, BW, DQ, VL). */
#include <immintrin.h>

#include "kernels.h"
#include "lanes_avx512.h"

/* Contract: kernels.h, f32_moments. The 32 float lanes are two zmm (p0: lanes
 * 0-15, p1: 16-31) per sum; each round of 8 steps of 32 elements is flushed
 * into four zmm of doubles. The last step of the span uses masked loads (no
 * access past x[n-1]) and zeroes d in absent lanes: adding +0 leaves a lane
 * sum unchanged (a sum that starts at +0 is never -0). */
void simdnorm_f32_moments_avx512(size_t n, const float *x, float shift, double out[2])
{
    const __m512 k = _mm512_set1_ps(shift);
    __m512d s0 = _mm512_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
    __m512d q0 = s0, q1 = s0, q2 = s0, q3 = s0;
    size_t i = 0;
    while (i < n) {
        const size_t end = n - i < SIMDNORM_LANES * SIMDNORM_ROUND
                               ? n : i + SIMDNORM_LANES * SIMDNORM_ROUND;
        __m512 p0 = _mm512_setzero_ps(), p1 = p0, r0 = p0, r1 = p0;
        for (; i + 32 <= end; i += 32) {
            const __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(x + i), k);
            const __m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(x + i + 16), k);
            p0 = _mm512_add_ps(p0, d0);
            p1 = _mm512_add_ps(p1, d1);
            r0 = _mm512_fmadd_ps(d0, d0, r0);
            r1 = _mm512_fmadd_ps(d1, d1, r1);
        }
        if (i < end) {
            const uint32_t m = (uint32_t)((1ull << (end - i)) - 1);
            const __mmask16 m0 = (__mmask16)m, m1 = (__mmask16)(m >> 16);
            const __m512 d0 = _mm512_maskz_sub_ps(m0, _mm512_maskz_loadu_ps(m0, x + i), k);
            const __m512 d1 = _mm512_maskz_sub_ps(m1, _mm512_maskz_loadu_ps(m1, x + i + 16), k);
            p0 = _mm512_add_ps(p0, d0);
            p1 = _mm512_add_ps(p1, d1);
            r0 = _mm512_fmadd_ps(d0, d0, r0);
            r1 = _mm512_fmadd_ps(d1, d1, r1);
            i = end;
        }
        flush16_avx512(p0, &s0, &s1);
        flush16_avx512(p1, &s2, &s3);
        flush16_avx512(r0, &q0, &q1);
        flush16_avx512(r1, &q2, &q3);
    }
    out[0] = fold_lanes_avx512(s0, s1, s2, s3);
    out[1] = fold_lanes_avx512(q0, q1, q2, q3);
}

/* Contract: kernels.h, f32_sumsq. Same lane map and rounds; masked-off
 * floats load as +0 and fmaf(0, 0, r) == r since r >= +0. */
double simdnorm_f32_sumsq_avx512(size_t n, const float *x)
{
    __m512d q0 = _mm512_setzero_pd(), q1 = q0, q2 = q0, q3 = q0;
    size_t i = 0;
    while (i < n) {
        const size_t end = n - i < SIMDNORM_LANES * SIMDNORM_ROUND
                               ? n : i + SIMDNORM_LANES * SIMDNORM_ROUND;
        __m512 r0 = _mm512_setzero_ps(), r1 = r0;
        for (; i + 32 <= end; i += 32) {
            const __m512 v0 = _mm512_loadu_ps(x + i), v1 = _mm512_loadu_ps(x + i + 16);
            r0 = _mm512_fmadd_ps(v0, v0, r0);
            r1 = _mm512_fmadd_ps(v1, v1, r1);
        }
        if (i < end) {
            const uint32_t m = (uint32_t)((1ull << (end - i)) - 1);
            const __m512 v0 = _mm512_maskz_loadu_ps((__mmask16)m, x + i);
            const __m512 v1 = _mm512_maskz_loadu_ps((__mmask16)(m >> 16), x + i + 16);
            r0 = _mm512_fmadd_ps(v0, v0, r0);
            r1 = _mm512_fmadd_ps(v1, v1, r1);
            i = end;
        }
        flush16_avx512(r0, &q0, &q1);
        flush16_avx512(r1, &q2, &q3);
    }
    return fold_lanes_avx512(q0, q1, q2, q3);
}
