/* moments_avx2.c - the fast reduction kernels for AVX2 + FMA. */
#include <immintrin.h>
#include <string.h>

#include "kernels.h"
#include "lanes_avx2.h"

/* Contract: kernels.h, f32_moments. The 32 float lanes are four ymm per sum
 * (p[j]: lanes 8j..8j+7); each round of 8 steps of 32 elements is flushed into
 * eight ymm of doubles. The last, partial step of the span goes through a
 * zeroed local copy (nothing past x[n-1] is read) and d is masked to +0 in
 * absent lanes, which leaves those lane sums unchanged. */
void simdnorm_f32_moments_avx2(size_t n, const float *x, float shift, double out[2])
{
    const __m256 k = _mm256_set1_ps(shift);
    __m256d s[8], q[8];
    for (int j = 0; j < 8; j++)
        s[j] = q[j] = _mm256_setzero_pd();
    size_t i = 0;
    while (i < n) {
        const size_t end = n - i < SIMDNORM_LANES * SIMDNORM_ROUND
                               ? n : i + SIMDNORM_LANES * SIMDNORM_ROUND;
        __m256 p[4], r[4];
        for (int j = 0; j < 4; j++)
            p[j] = r[j] = _mm256_setzero_ps();
        for (; i + 32 <= end; i += 32) {
            for (int j = 0; j < 4; j++) {
                const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + i + 8 * j), k);
                p[j] = _mm256_add_ps(p[j], d);
                r[j] = _mm256_fmadd_ps(d, d, r[j]);
            }
        }
        if (i < end) {
            float tail[32] = {0};
            memcpy(tail, x + i, (end - i) * sizeof(float));
            for (int j = 0; j < 4; j++) {
                const __m256 d = _mm256_and_ps(_mm256_sub_ps(_mm256_loadu_ps(tail + 8 * j), k),
                                               lane_mask8_avx2(8 * (size_t)j, end - i));
                p[j] = _mm256_add_ps(p[j], d);
                r[j] = _mm256_fmadd_ps(d, d, r[j]);
            }
            i = end;
        }
        for (int j = 0; j < 4; j++) {
            flush8_avx2(p[j], s + 2 * j);
            flush8_avx2(r[j], q + 2 * j);
        }
    }
    out[0] = fold_lanes_avx2(s);
    out[1] = fold_lanes_avx2(q);
}

/* Contract: kernels.h, f32_sumsq. Same lanes and rounds; a zero-padded tail
 * adds fmaf(0, 0, r) == r (r >= +0), so it needs no mask. */
double simdnorm_f32_sumsq_avx2(size_t n, const float *x)
{
    __m256d q[8];
    for (int j = 0; j < 8; j++)
        q[j] = _mm256_setzero_pd();
    size_t i = 0;
    while (i < n) {
        const size_t end = n - i < SIMDNORM_LANES * SIMDNORM_ROUND
                               ? n : i + SIMDNORM_LANES * SIMDNORM_ROUND;
        __m256 r[4];
        for (int j = 0; j < 4; j++)
            r[j] = _mm256_setzero_ps();
        for (; i + 32 <= end; i += 32) {
            for (int j = 0; j < 4; j++) {
                const __m256 v = _mm256_loadu_ps(x + i + 8 * j);
                r[j] = _mm256_fmadd_ps(v, v, r[j]);
            }
        }
        if (i < end) {
            float tail[32] = {0};
            memcpy(tail, x + i, (end - i) * sizeof(float));
            for (int j = 0; j < 4; j++) {
                const __m256 v = _mm256_loadu_ps(tail + 8 * j);
                r[j] = _mm256_fmadd_ps(v, v, r[j]);
            }
            i = end;
        }
        for (int j = 0; j < 4; j++)
            flush8_avx2(r[j], q + 2 * j);
    }
    return fold_lanes_avx2(q);
}

/* Contract: kernels.h, f32_moments_rows: the one-row kernel, row by row. */
void simdnorm_f32_moments_rows_avx2(size_t rows, size_t n, const float *x, size_t stride,
                                  const float *shift, double *s1, double *s2)
{
    for (size_t r = 0; r < rows; r++) {
        double out[2];
        simdnorm_f32_moments_avx2(n, x + r * stride, shift[r], out);
        s1[r] = out[0];
        s2[r] = out[1];
    }
}

/* Contract: kernels.h, f32_sumsq_rows: the one-row kernel, row by row. */
void simdnorm_f32_sumsq_rows_avx2(size_t rows, size_t n, const float *x, size_t stride,
                                double *ss)
{
    for (size_t r = 0; r < rows; r++)
        ss[r] = simdnorm_f32_sumsq_avx2(n, x + r * stride);
}
