/* normalize_scalar.c - the normalize-scale-shift kernel in portable C. */
#include <math.h>
#include <string.h>

#include "kernels.h"

static float canonical_nan(float v)
{
    if (v != v) {
        const uint32_t bits = SIMDNORM_CANONICAL_NAN_BITS;
        memcpy(&v, &bits, sizeof v);
    }
    return v;
}

/* Contract: kernels.h, f32_normalize. fmaf() is fused, as the SIMD kernels'
 * vfmadd; each element is read before its y is written, so y == x works. */
void simdnorm_f32_normalize_scalar(size_t n, const float *x, float shift,
                                   float scale, float offset,
                                   const float *gamma, const float *beta,
                                   float *y)
{
    for (size_t i = 0; i < n; i++) {
        const float u = fmaf(x[i] - shift, scale, offset);
        float v;
        if (gamma && beta)
            v = fmaf(u, gamma[i], beta[i]);
        else if (gamma)
            v = u * gamma[i];
        else if (beta)
            v = u + beta[i];
        else
            v = u;
        y[i] = canonical_nan(v);
    }
}

/* Contract: kernels.h, f32_normalize_stream. Plain C has no streaming
 * stores: the plain kernel. */
void simdnorm_f32_normalize_stream_scalar(size_t n, const float *x, float shift,
                                          float scale, float offset,
                                          const float *gamma, const float *beta,
                                          float *y)
{
    simdnorm_f32_normalize_scalar(n, x, shift, scale, offset, gamma, beta, y);
}
