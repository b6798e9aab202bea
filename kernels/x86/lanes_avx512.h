/* lanes_avx512.h - the canonical lane fold for the AVX-512 kernels. */
#ifndef SIMDNORM_LANES_AVX512_H
#define SIMDNORM_LANES_AVX512_H

#include <immintrin.h>

/* The 32 lanes in four zmm of doubles: a0 = lanes 0-7, a1 = 8-15,
 * a2 = 16-23, a3 = 24-31. Folding by halves: a2 onto a0, a3 onto a1, a1 onto
 * a0, then three in-register halvings. */
static inline double fold_lanes_avx512(__m512d a0, __m512d a1, __m512d a2, __m512d a3)
{
    const __m512d h16 = _mm512_add_pd(_mm512_add_pd(a0, a2), _mm512_add_pd(a1, a3));
    const __m256d h4 = _mm256_add_pd(_mm512_castpd512_pd256(h16),
                                     _mm512_extractf64x4_pd(h16, 1));
    const __m128d h2 = _mm_add_pd(_mm256_castpd256_pd128(h4), _mm256_extractf128_pd(h4, 1));
    return _mm_cvtsd_f64(_mm_add_sd(h2, _mm_unpackhi_pd(h2, h2)));
}

/* Add the 16 float lanes of p (lanes 16h .. 16h+15), widened, onto the
 * double accumulators lo (lanes 16h .. 16h+7) and hi (16h+8 .. 16h+15). */
static inline void flush16_avx512(__m512 p, __m512d *lo, __m512d *hi)
{
    *lo = _mm512_add_pd(*lo, _mm512_cvtps_pd(_mm512_castps512_ps256(p)));
    *hi = _mm512_add_pd(*hi, _mm512_cvtps_pd(_mm512_extractf32x8_ps(p, 1)));
}

#endif
