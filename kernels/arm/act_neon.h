/* act_neon.h - the activation epilogue (kernels.h) on 4 floats, for the NEON
 * kernels: the scalar sequence lane by lane, with SLEEF's deterministic
 * Advanced SIMD functions (the same bits as purecfma). */
#ifndef SIMDNORM_ACT_NEON_H
#define SIMDNORM_ACT_NEON_H

#include <arm_neon.h>
#include <sleef.h>

#include "kernels.h"

/* act(v) with NaN lanes made canonical; act is a constant after inlining.
 * vfmaq_f32(a, b, c) is fmaf(b, c, a). ReLU selects v where v > 0, else
 * +0, and a NaN v is put back by the NaN test on v. */
static inline __attribute__((always_inline)) float32x4_t act4(float32x4_t v, int act)
{
    const float32x4_t half = vdupq_n_f32(0.5f), zero = vdupq_n_f32(0.0f);
    float32x4_t r;
    uint32x4_t ordered; /* false only for NaN */
    switch (act) {
    case SIMDNORM_ACT_RELU:
        r = vbslq_f32(vcgtq_f32(v, zero), v, zero);
        ordered = vceqq_f32(v, v);
        break;
    case SIMDNORM_ACT_GELU_ERF: {
        const float32x4_t h = vmulq_f32(v, half);
        const float32x4_t e = Sleef_finz_erff4_u10advsimd(vmulq_f32(v, vdupq_n_f32(SIMDNORM_SQRT1_2F)));
        r = vfmaq_f32(h, h, e);
        ordered = vceqq_f32(r, r);
        break;
    }
    case SIMDNORM_ACT_GELU_TANH: {
        const float32x4_t h = vmulq_f32(v, half);
        const float32x4_t q = vmulq_f32(vmulq_f32(v, v), vdupq_n_f32(SIMDNORM_GELU_TANH_C));
        const float32x4_t p = vfmaq_f32(v, q, v);
        const float32x4_t t = Sleef_finz_tanhf4_u10advsimd(vmulq_f32(p, vdupq_n_f32(SIMDNORM_SQRT2_PIF)));
        r = vfmaq_f32(h, h, t);
        ordered = vceqq_f32(r, r);
        break;
    }
    case SIMDNORM_ACT_SILU: {
        const float32x4_t e = Sleef_finz_expf4_u10advsimd(vnegq_f32(v));
        r = vdivq_f32(v, vaddq_f32(vdupq_n_f32(1.0f), e));
        ordered = vceqq_f32(r, r);
        break;
    }
    default:
        r = v;
        ordered = vceqq_f32(v, v);
        break;
    }
    return vbslq_f32(ordered, r, vreinterpretq_f32_u32(vdupq_n_u32(SIMDNORM_CANONICAL_NAN_BITS)));
}

#endif
