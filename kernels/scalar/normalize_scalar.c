/* normalize_scalar.c - the normalize-scale-shift kernel in portable C, with
 * the activation epilogue (SLEEF's FMA functions; _nofma: the non-FMA ones). */
#include <math.h>
#include <string.h>

#include "act_scalar.h"
#include "kernels.h"

static inline float affine(float u, const float *gamma, const float *beta, size_t i)
{
    if (gamma && beta)
        return fmaf(u, gamma[i], beta[i]);
    if (gamma)
        return u * gamma[i];
    if (beta)
        return u + beta[i];
    return u;
}

/* Contract: kernels.h, f32_normalize. fmaf() is fused, as the SIMD kernels'
 * vfmadd; each element is read before its y is written, so y == x works. */
static inline void normalize(size_t n, const float *x, float shift, float scale, float offset,
                             const float *gamma, const float *beta, int act, float *y,
                             int fma)
{
    if (act == SIMDNORM_ACT_NONE) {
        for (size_t i = 0; i < n; i++)
            y[i] = canonical_nan_scalar(affine(fmaf(x[i] - shift, scale, offset), gamma, beta, i));
        return;
    }
    for (size_t i = 0; i < n; i++)
        y[i] = act_scalar(affine(fmaf(x[i] - shift, scale, offset), gamma, beta, i), act, fma);
}

void simdnorm_f32_normalize_scalar(size_t n, const float *x, float shift,
                                   float scale, float offset,
                                   const float *gamma, const float *beta,
                                   int act, float *y)
{
    normalize(n, x, shift, scale, offset, gamma, beta, act, y, 1);
}

/* Contract: kernels.h, f32_normalize_stream. Plain C has no streaming
 * stores: the plain kernel. */
void simdnorm_f32_normalize_stream_scalar(size_t n, const float *x, float shift,
                                          float scale, float offset,
                                          const float *gamma, const float *beta,
                                          int act, float *y)
{
    normalize(n, x, shift, scale, offset, gamma, beta, act, y, 1);
}

#if defined(SIMDNORM_HAVE_SCALAR_NOFMA)
void simdnorm_f32_normalize_scalar_nofma(size_t n, const float *x, float shift,
                                         float scale, float offset,
                                         const float *gamma, const float *beta,
                                         int act, float *y)
{
    normalize(n, x, shift, scale, offset, gamma, beta, act, y, 0);
}

void simdnorm_f32_normalize_stream_scalar_nofma(size_t n, const float *x, float shift,
                                                float scale, float offset,
                                                const float *gamma, const float *beta,
                                                int act, float *y)
{
    normalize(n, x, shift, scale, offset, gamma, beta, act, y, 0);
}
#endif
