/* moments_exact_scalar.c - the exact (double) reduction kernels in portable C;
 * they define the canonical order that every SIMD version reproduces. */
#include <math.h>

#include "lanes_scalar.h"

/* Contract: kernels.h, f32_moments_exact. fma() is libm's correctly rounded fused
 * multiply-add, so this matches the SIMD kernels' vfmadd exactly. */
void simdnorm_f32_moments_exact_scalar(size_t n, const float *x, float shift,
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
    out[0] = fold_lanes_scalar(s);
    out[1] = fold_lanes_scalar(q);
}

/* Contract: kernels.h, f32_sumsq_exact. */
double simdnorm_f32_sumsq_exact_scalar(size_t n, const float *x)
{
    double q[SIMDNORM_LANES] = {0};
    for (size_t i = 0; i < n; i++) {
        const double v = x[i];
        q[i % SIMDNORM_LANES] = fma(v, v, q[i % SIMDNORM_LANES]);
    }
    return fold_lanes_scalar(q);
}
