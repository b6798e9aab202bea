/* moments_exact_avx2.c - the exact (double) reduction kernels for AVX2 + FMA. */
#include <immintrin.h>
#include <string.h>

#include "kernels.h"
#include "lanes_avx2.h"

/* All eight double accumulators per sum stay live across the loop (the
 * canonical order needs 32 independent lanes); GCC may spill one or two of
 * them, which costs a load and store per 32 elements. */
/* Lane validity of the four lanes starting at element `first` of a tail of
 * r elements: all-ones where first + j < r. */
static inline __m256d tail_mask(size_t first, size_t r)
{
    const __m256i idx = _mm256_setr_epi64x(0, 1, 2, 3);
    const __m256i lim = _mm256_set1_epi64x((long long)r - (long long)first);
    return _mm256_castsi256_pd(_mm256_cmpgt_epi64(lim, idx));
}

/* Contract: kernels.h, f32_moments_exact. The tail (< 32 elements) is copied into a
 * zeroed local block, so nothing past x[n-1] is read, and d is masked to +0
 * in absent lanes, which leaves those accumulators unchanged. */
void simdnorm_f32_moments_exact_avx2(size_t n, const float *x, float shift,
                               double out[2])
{
    const __m256d k = _mm256_set1_pd((double)shift);
    __m256d s[8], q[8];
    for (int j = 0; j < 8; j++)
        s[j] = q[j] = _mm256_setzero_pd();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        for (int j = 0; j < 8; j++) {
            const __m256d d = _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + i + 4 * j)), k);
            s[j] = _mm256_add_pd(s[j], d);
            q[j] = _mm256_fmadd_pd(d, d, q[j]);
        }
    }
    if (i < n) {
        const size_t r = n - i;
        float tail[32] = {0};
        memcpy(tail, x + i, r * sizeof(float));
        for (int j = 0; j < 8; j++) {
            const __m256d d = _mm256_and_pd(
                _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(tail + 4 * j)), k),
                tail_mask(4 * (size_t)j, r));
            s[j] = _mm256_add_pd(s[j], d);
            q[j] = _mm256_fmadd_pd(d, d, q[j]);
        }
    }
    out[0] = fold_lanes_avx2(s);
    out[1] = fold_lanes_avx2(q);
}

/* Contract: kernels.h, f32_sumsq_exact. Same lane map; a zero-padded tail adds
 * fma(0, 0, q) == q (q >= +0), so it needs no mask. */
double simdnorm_f32_sumsq_exact_avx2(size_t n, const float *x)
{
    __m256d q[8];
    for (int j = 0; j < 8; j++)
        q[j] = _mm256_setzero_pd();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        for (int j = 0; j < 8; j++) {
            const __m256d v = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4 * j));
            q[j] = _mm256_fmadd_pd(v, v, q[j]);
        }
    }
    if (i < n) {
        float tail[32] = {0};
        memcpy(tail, x + i, (n - i) * sizeof(float));
        for (int j = 0; j < 8; j++) {
            const __m256d v = _mm256_cvtps_pd(_mm_loadu_ps(tail + 4 * j));
            q[j] = _mm256_fmadd_pd(v, v, q[j]);
        }
    }
    return fold_lanes_avx2(q);
}
