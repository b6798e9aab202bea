/* moments_avx512.c - the fast reduction kernels for AVX-512 (F, BW, DQ, VL). */
#include <immintrin.h>

#include "kernels.h"
#include "lanes_avx512.h"

/* Flush a round's float lane sums p0 (lanes 0-15) and p1 (16-31) into the
 * double accumulators a[0..3]; the first round assigns (0 + v == v exactly:
 * a lane sum that starts at +0 is never -0). */
static inline void flush_round(__m512 p0, __m512 p1, __m512d a[4], int first)
{
    const __m512d w0 = _mm512_cvtps_pd(_mm512_castps512_ps256(p0));
    const __m512d w1 = _mm512_cvtps_pd(_mm512_extractf32x8_ps(p0, 1));
    const __m512d w2 = _mm512_cvtps_pd(_mm512_castps512_ps256(p1));
    const __m512d w3 = _mm512_cvtps_pd(_mm512_extractf32x8_ps(p1, 1));
    if (first) {
        a[0] = w0, a[1] = w1, a[2] = w2, a[3] = w3;
    } else {
        a[0] = _mm512_add_pd(a[0], w0), a[1] = _mm512_add_pd(a[1], w1);
        a[2] = _mm512_add_pd(a[2], w2), a[3] = _mm512_add_pd(a[3], w3);
    }
}

/* One row's moments up to the first two halvings: *v1, *v2 hold lanes 0-7 of
 * sum d and sum d^2. The 32 float lanes are two zmm per sum; each round of 8
 * steps of 32 elements is flushed into four zmm of doubles. The last step
 * uses masked loads (no access past x[n-1]) and zeroes d in absent lanes:
 * adding +0 leaves a lane sum unchanged (it starts at +0, so it is never -0). */
static inline void moments_to8(size_t n, const float *x, float shift, __m512d *v1, __m512d *v2)
{
    const __m512 k = _mm512_set1_ps(shift);
    __m512d s[4] = {_mm512_setzero_pd()}, q[4] = {_mm512_setzero_pd()}; /* n >= 1 assigns them */
    size_t i = 0;
    for (int first = 1; i < n; first = 0) {
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
        flush_round(p0, p1, s, first);
        flush_round(r0, r1, q, first);
    }
    *v1 = fold_to8_avx512(s[0], s[1], s[2], s[3]);
    *v2 = fold_to8_avx512(q[0], q[1], q[2], q[3]);
}

/* One row's sum of squares up to the first two halvings (same lanes, rounds
 * and tails; masked-off floats load as +0, and fmaf(0, 0, r) == r). */
static inline __m512d sumsq_to8(size_t n, const float *x)
{
    __m512d q[4] = {_mm512_setzero_pd()}; /* n >= 1 assigns them */
    size_t i = 0;
    for (int first = 1; i < n; first = 0) {
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
        flush_round(r0, r1, q, first);
    }
    return fold_to8_avx512(q[0], q[1], q[2], q[3]);
}

/* Contract: kernels.h, f32_moments. */
void simdnorm_f32_moments_avx512(size_t n, const float *x, float shift, double out[2])
{
    __m512d v1, v2;
    moments_to8(n, x, shift, &v1, &v2);
    out[0] = fold8_avx512(v1);
    out[1] = fold8_avx512(v2);
}

/* Contract: kernels.h, f32_sumsq. */
double simdnorm_f32_sumsq_avx512(size_t n, const float *x)
{
    return fold8_avx512(sumsq_to8(n, x));
}

/* Contract: kernels.h, f32_moments_rows. Groups of eight rows share the last
 * three halvings (fold8x8_avx512), the part of a short row's reduction that
 * costs most; a group of fewer rows pads with zero rows, never stored. */
void simdnorm_f32_moments_rows_avx512(size_t rows, size_t n, const float *x, size_t stride,
                                      const float *shift, double *s1, double *s2)
{
    for (size_t g = 0; g < rows; g += 8) {
        const size_t m = rows - g < 8 ? rows - g : 8;
        __m512d v1[8], v2[8];
        for (size_t r = 0; r < 8; r++) {
            if (r < m)
                moments_to8(n, x + (g + r) * stride, shift[g + r], &v1[r], &v2[r]);
            else
                v1[r] = v2[r] = _mm512_setzero_pd();
        }
        const __mmask8 keep = (__mmask8)((1u << m) - 1);
        _mm512_mask_storeu_pd(s1 + g, keep, fold8x8_avx512(v1));
        _mm512_mask_storeu_pd(s2 + g, keep, fold8x8_avx512(v2));
    }
}

/* Contract: kernels.h, f32_sumsq_rows. */
void simdnorm_f32_sumsq_rows_avx512(size_t rows, size_t n, const float *x, size_t stride,
                                    double *ss)
{
    for (size_t g = 0; g < rows; g += 8) {
        const size_t m = rows - g < 8 ? rows - g : 8;
        __m512d v[8];
        for (size_t r = 0; r < 8; r++)
            v[r] = r < m ? sumsq_to8(n, x + (g + r) * stride) : _mm512_setzero_pd();
        _mm512_mask_storeu_pd(ss + g, (__mmask8)((1u << m) - 1), fold8x8_avx512(v));
    }
}
