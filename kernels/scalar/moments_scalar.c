/* moments_scalar.c - the reduction kernels in portable C; they define the
 * canonical order (kernels.h) that every SIMD kernel reproduces bit for bit. */
#include <math.h>

#include "kernels.h"

/* Fold 32 lanes by halves: l += l+16, l += l+8, ..., l += l+1. */
static double fold_lanes(double *acc)
{
    for (int half = SIMDNORM_LANES / 2; half >= 1; half /= 2)
        for (int l = 0; l < half; l++)
            acc[l] = acc[l] + acc[l + half];
    return acc[0];
}

/* Contract: kernels.h, f32_moments. fma() is libm's correctly rounded fused
 * multiply-add, so this matches the SIMD kernels' vfmadd exactly. */
void simdnorm_f32_moments_scalar(size_t n, const float *x, float shift,
                                 double out[2])
{
    double s[SIMDNORM_LANES] = {0}, q[SIMDNORM_LANES] = {0};
    const double k = shift;
    for (size_t i = 0; i < n; i++) {
        const size_t l = i % SIMDNORM_LANES;
        const double d = (double)x[i] - k;
        s[l] = s[l] + d;
        q[l] = fma(d, d, q[l]);
    }
    out[0] = fold_lanes(s);
    out[1] = fold_lanes(q);
}

/* Contract: kernels.h, f32_sumsq. */
double simdnorm_f32_sumsq_scalar(size_t n, const float *x)
{
    double q[SIMDNORM_LANES] = {0};
    for (size_t i = 0; i < n; i++) {
        const double v = x[i];
        q[i % SIMDNORM_LANES] = fma(v, v, q[i % SIMDNORM_LANES]);
    }
    return fold_lanes(q);
}
