/* act_avx2.h - the activation epilogue (kernels.h) on 8 floats, for the
 * AVX2 kernels: the scalar sequence lane by lane, with SLEEF's
 * deterministic AVX2 functions (the same bits as purecfma). */
#ifndef SIMDNORM_ACT_AVX2_H
#define SIMDNORM_ACT_AVX2_H

#include <immintrin.h>
#include <sleef.h>

#include "kernels.h"

/* act(v) with NaN lanes made canonical; act is a constant after inlining.
 * ReLU: vmaxps(v, 0) is v > 0 ? v : 0 (so -0 gives +0), and a NaN v, which
 * vmaxps turns into 0, is put back by the NaN test on v. */
static inline __attribute__((always_inline)) __m256 act8(__m256 v, int act)
{
    const __m256 half = _mm256_set1_ps(0.5f);
    __m256 r, nan;
    switch (act) {
    case SIMDNORM_ACT_RELU:
        r = _mm256_max_ps(v, _mm256_setzero_ps());
        nan = _mm256_cmp_ps(v, v, _CMP_UNORD_Q);
        break;
    case SIMDNORM_ACT_GELU_ERF: {
        const __m256 h = _mm256_mul_ps(v, half);
        const __m256 e = Sleef_finz_erff8_u10avx2(_mm256_mul_ps(v, _mm256_set1_ps(SIMDNORM_SQRT1_2F)));
        r = _mm256_fmadd_ps(h, e, h);
        nan = _mm256_cmp_ps(r, r, _CMP_UNORD_Q);
        break;
    }
    case SIMDNORM_ACT_GELU_TANH: {
        const __m256 h = _mm256_mul_ps(v, half);
        const __m256 q = _mm256_mul_ps(_mm256_mul_ps(v, v), _mm256_set1_ps(SIMDNORM_GELU_TANH_C));
        const __m256 p = _mm256_fmadd_ps(q, v, v);
        const __m256 t = Sleef_finz_tanhf8_u10avx2(_mm256_mul_ps(p, _mm256_set1_ps(SIMDNORM_SQRT2_PIF)));
        r = _mm256_fmadd_ps(h, t, h);
        nan = _mm256_cmp_ps(r, r, _CMP_UNORD_Q);
        break;
    }
    case SIMDNORM_ACT_SILU: {
        const __m256 neg = _mm256_xor_ps(v, _mm256_set1_ps(-0.0f));
        const __m256 e = Sleef_finz_expf8_u10avx2(neg);
        r = _mm256_div_ps(v, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
        nan = _mm256_cmp_ps(r, r, _CMP_UNORD_Q);
        break;
    }
    default:
        r = v;
        nan = _mm256_cmp_ps(v, v, _CMP_UNORD_Q);
        break;
    }
    return _mm256_blendv_ps(r, _mm256_castsi256_ps(_mm256_set1_epi32((int)SIMDNORM_CANONICAL_NAN_BITS)), nan);
}

#endif
