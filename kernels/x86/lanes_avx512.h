/* lanes_avx512.h - the canonical lane fold for the AVX-512 kernels. */
#ifndef SIMDNORM_LANES_AVX512_H
#define SIMDNORM_LANES_AVX512_H

#include <immintrin.h>

/* The 32 lanes in four zmm of doubles: a0 = lanes 0-7, a1 = 8-15,
 * a2 = 16-23, a3 = 24-31. The first two halvings (l += l+16, l += l+8) are
 * a2 onto a0, a3 onto a1, a1 onto a0: lanes 0-7 of the result. */
static inline __m512d fold_to8_avx512(__m512d a0, __m512d a1, __m512d a2, __m512d a3)
{
    return _mm512_add_pd(_mm512_add_pd(a0, a2), _mm512_add_pd(a1, a3));
}

/* The last three halvings (l += l+4, l += l+2, l += l+1) of one row's 8 lanes. */
static inline double fold8_avx512(__m512d v)
{
    const __m256d h4 = _mm256_add_pd(_mm512_castpd512_pd256(v), _mm512_extractf64x4_pd(v, 1));
    const __m128d h2 = _mm_add_pd(_mm256_castpd256_pd128(h4), _mm256_extractf128_pd(h4, 1));
    return _mm_cvtsd_f64(_mm_add_sd(h2, _mm_unpackhi_pd(h2, h2)));
}

/* The same last three halvings for eight rows at once, v[r] holding row r's
 * 8 lanes; lane r of the result is row r's sum. Every sum pairs exactly the
 * lanes fold8_avx512 pairs, in the same order, so the bits agree:
 *   A: [v_r 0-3 | v_r+1 0-3] + [v_r 4-7 | v_r+1 4-7]      (l += l+4)
 *   B: 128-bit blocks {0,2} + {1,3} of two A results      (l += l+2)
 *   C: even + odd elements of two B results               (l += l+1) */
static inline __m512d fold8x8_avx512(const __m512d v[8])
{
    __m512d w[4], z[2];
    for (int i = 0; i < 4; i++)
        w[i] = _mm512_add_pd(_mm512_shuffle_f64x2(v[2 * i], v[2 * i + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                             _mm512_shuffle_f64x2(v[2 * i], v[2 * i + 1], _MM_SHUFFLE(3, 2, 3, 2)));
    for (int i = 0; i < 2; i++)
        z[i] = _mm512_add_pd(_mm512_shuffle_f64x2(w[2 * i], w[2 * i + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                             _mm512_shuffle_f64x2(w[2 * i], w[2 * i + 1], _MM_SHUFFLE(3, 1, 3, 1)));
    const __m512i even = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14);
    const __m512i odd = _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15);
    return _mm512_add_pd(_mm512_permutex2var_pd(z[0], even, z[1]),
                         _mm512_permutex2var_pd(z[0], odd, z[1]));
}

/* All five halvings of one row. */
static inline double fold_lanes_avx512(__m512d a0, __m512d a1, __m512d a2, __m512d a3)
{
    return fold8_avx512(fold_to8_avx512(a0, a1, a2, a3));
}

/* Add the 16 float lanes of p (lanes 16h .. 16h+15), widened, onto the
 * double accumulators lo (lanes 16h .. 16h+7) and hi (16h+8 .. 16h+15). */
static inline void flush16_avx512(__m512 p, __m512d *lo, __m512d *hi)
{
    *lo = _mm512_add_pd(*lo, _mm512_cvtps_pd(_mm512_castps512_ps256(p)));
    *hi = _mm512_add_pd(*hi, _mm512_cvtps_pd(_mm512_extractf32x8_ps(p, 1)));
}

#endif
