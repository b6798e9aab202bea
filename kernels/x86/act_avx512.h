/* act_avx512.h - the activation epilogue (kernels.h) on 16 floats, for the
 * AVX-512 kernels: the scalar sequence lane by lane, with SLEEF's
 * deterministic AVX-512 functions (the same bits as purecfma). */
#ifndef SIMDNORM_ACT_AVX512_H
#define SIMDNORM_ACT_AVX512_H

#include <immintrin.h>
#include <sleef.h>

#include "kernels.h"

/* act(v) with NaN lanes made canonical; act is a constant after inlining.
 * ReLU: vmaxps(v, 0) is v > 0 ? v : 0 (so -0 gives +0), and a NaN v, which
 * vmaxps turns into 0, is put back by the NaN test on v. */
static inline __attribute__((always_inline)) __m512 act16(__m512 v, int act)
{
    const __m512 half = _mm512_set1_ps(0.5f);
    __m512 r;
    __mmask16 nan;
    switch (act) {
    case SIMDNORM_ACT_RELU:
        r = _mm512_max_ps(v, _mm512_setzero_ps());
        nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
        break;
    case SIMDNORM_ACT_GELU_ERF: {
        const __m512 h = _mm512_mul_ps(v, half);
        const __m512 e = Sleef_finz_erff16_u10avx512f(_mm512_mul_ps(v, _mm512_set1_ps(SIMDNORM_SQRT1_2F)));
        r = _mm512_fmadd_ps(h, e, h);
        nan = _mm512_cmp_ps_mask(r, r, _CMP_UNORD_Q);
        break;
    }
    case SIMDNORM_ACT_GELU_TANH: {
        const __m512 h = _mm512_mul_ps(v, half);
        const __m512 q = _mm512_mul_ps(_mm512_mul_ps(v, v), _mm512_set1_ps(SIMDNORM_GELU_TANH_C));
        const __m512 p = _mm512_fmadd_ps(q, v, v);
        const __m512 t = Sleef_finz_tanhf16_u10avx512f(_mm512_mul_ps(p, _mm512_set1_ps(SIMDNORM_SQRT2_PIF)));
        r = _mm512_fmadd_ps(h, t, h);
        nan = _mm512_cmp_ps_mask(r, r, _CMP_UNORD_Q);
        break;
    }
    case SIMDNORM_ACT_SILU: {
        const __m512 neg = _mm512_xor_ps(v, _mm512_set1_ps(-0.0f));
        const __m512 e = Sleef_finz_expf16_u10avx512f(neg);
        r = _mm512_div_ps(v, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
        nan = _mm512_cmp_ps_mask(r, r, _CMP_UNORD_Q);
        break;
    }
    default:
        r = v;
        nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
        break;
    }
    return _mm512_mask_mov_ps(r, nan, _mm512_castsi512_ps(_mm512_set1_epi32((int)SIMDNORM_CANONICAL_NAN_BITS)));
}

#endif
