/* lanes_avx2.h - the canonical lane fold for the AVX2 kernels. */
#ifndef SIMDNORM_LANES_AVX2_H
#define SIMDNORM_LANES_AVX2_H

#include <immintrin.h>

/* The 32 lanes in eight ymm of doubles, a[j] = lanes 4j..4j+3. Folding by
 * halves: a[j] += a[j+4], a[j] += a[j+2], a[0] += a[1], then two in-register
 * halvings. */
static inline double fold_lanes_avx2(__m256d a[8])
{
    for (int j = 0; j < 4; j++)
        a[j] = _mm256_add_pd(a[j], a[j + 4]);
    for (int j = 0; j < 2; j++)
        a[j] = _mm256_add_pd(a[j], a[j + 2]);
    const __m256d h4 = _mm256_add_pd(a[0], a[1]);
    const __m128d h2 = _mm_add_pd(_mm256_castpd256_pd128(h4), _mm256_extractf128_pd(h4, 1));
    return _mm_cvtsd_f64(_mm_add_sd(h2, _mm_unpackhi_pd(h2, h2)));
}

/* Add the 8 float lanes of p (lanes 8j .. 8j+7), widened, onto the double
 * accumulators a[2j] and a[2j+1]. */
static inline void flush8_avx2(__m256 p, __m256d *a)
{
    a[0] = _mm256_add_pd(a[0], _mm256_cvtps_pd(_mm256_castps256_ps128(p)));
    a[1] = _mm256_add_pd(a[1], _mm256_cvtps_pd(_mm256_extractf128_ps(p, 1)));
}

/* All-ones in the 8 float lanes j with first + j < r. */
static inline __m256 lane_mask8_avx2(size_t first, size_t r)
{
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i lim = _mm256_set1_epi32((int)((long long)r - (long long)first));
    return _mm256_castsi256_ps(_mm256_cmpgt_epi32(lim, idx));
}

#endif
