/* act_scalar.h - the activation epilogue in portable C (kernels.h), shared
 * by the scalar kernels, with SLEEF's deterministic scalar functions: the
 * FMA class (purecfma, the same bits as every SIMD ISA) or, for an x86 CPU
 * without FMA, the non-FMA class (purec). */
#ifndef SIMDNORM_ACT_SCALAR_H
#define SIMDNORM_ACT_SCALAR_H

#include <math.h>
#include <string.h>

/* sleef.h declares the purecfma functions only where it sees FMA (__AVX2__,
 * aarch64); this file is generic C, compiled without -mfma so that it runs
 * on any x86-64, and the dispatcher gives a CPU without FMA the
 * scalar_nofma table, so the FMA functions run only where FMA exists. An
 * undeclared call would compile as returning int (the build has
 * -Werror=implicit-function-declaration). */
#ifndef FP_FAST_FMA
#define FP_FAST_FMA
#endif
#include <sleef.h>

#include "kernels.h"

/* fma: 1 for SLEEF's FMA functions, 0 for the non-FMA ones (a constant in
 * every caller, so each kernel calls one set directly). */
static inline float erf_scalar(float v, int fma)
{
    return fma ? Sleef_finz_erff1_u10purecfma(v) : Sleef_cinz_erff1_u10purec(v);
}

static inline float tanh_scalar(float v, int fma)
{
    return fma ? Sleef_finz_tanhf1_u10purecfma(v) : Sleef_cinz_tanhf1_u10purec(v);
}

static inline float exp_scalar(float v, int fma)
{
    return fma ? Sleef_finz_expf1_u10purecfma(v) : Sleef_cinz_expf1_u10purec(v);
}

static inline float canonical_nan_scalar(float v)
{
    if (v != v) {
        const uint32_t bits = SIMDNORM_CANONICAL_NAN_BITS;
        memcpy(&v, &bits, sizeof v);
    }
    return v;
}

/* act(v), NaN canonical: the sequences of kernels.h, one rounding per
 * operation (fmaf is libm's, exact with or without FMA hardware). */
static inline float act_scalar(float v, int act, int fma)
{
    float r;
    switch (act) {
    case SIMDNORM_ACT_RELU:
        r = v > 0.0f || v != v ? v : 0.0f;
        break;
    case SIMDNORM_ACT_GELU_ERF: {
        const float h = 0.5f * v;
        r = fmaf(h, erf_scalar(v * SIMDNORM_SQRT1_2F, fma), h);
        break;
    }
    case SIMDNORM_ACT_GELU_TANH: {
        const float h = 0.5f * v;
        const float p = fmaf((v * v) * SIMDNORM_GELU_TANH_C, v, v);
        r = fmaf(h, tanh_scalar(p * SIMDNORM_SQRT2_PIF, fma), h);
        break;
    }
    case SIMDNORM_ACT_SILU:
        r = v / (1.0f + exp_scalar(-v, fma));
        break;
    default:
        r = v;
        break;
    }
    return canonical_nan_scalar(r);
}

#endif
