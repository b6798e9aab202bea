/* moments_scalar.c - the fast reduction kernels in portable C; they define
 * the fast family's canonical order (kernels.h) that every SIMD kernel
 * reproduces bit for bit. */
#include <math.h>

#include "lanes_scalar.h"

/* Contract: kernels.h, f32_moments. Rounds of SIMDNORM_LANES*SIMDNORM_ROUND
 * elements; fmaf() is the correctly rounded fused multiply-add, as vfmadd. */
void simdnorm_f32_moments_scalar(size_t n, const float *x, float shift, double out[2])
{
    double s[SIMDNORM_LANES] = {0}, q[SIMDNORM_LANES] = {0};
    for (size_t start = 0; start < n; start += SIMDNORM_LANES * SIMDNORM_ROUND) {
        const size_t end = n - start < SIMDNORM_LANES * SIMDNORM_ROUND
                               ? n : start + SIMDNORM_LANES * SIMDNORM_ROUND;
        float p[SIMDNORM_LANES] = {0}, r[SIMDNORM_LANES] = {0};
        for (size_t i = start; i < end; i++) {
            const size_t l = i % SIMDNORM_LANES;
            const float d = x[i] - shift;
            p[l] = p[l] + d;
            r[l] = fmaf(d, d, r[l]);
        }
        for (int l = 0; l < SIMDNORM_LANES; l++) {
            s[l] = s[l] + (double)p[l];
            q[l] = q[l] + (double)r[l];
        }
    }
    out[0] = fold_lanes_scalar(s);
    out[1] = fold_lanes_scalar(q);
}

/* Contract: kernels.h, f32_sumsq. */
double simdnorm_f32_sumsq_scalar(size_t n, const float *x)
{
    double q[SIMDNORM_LANES] = {0};
    for (size_t start = 0; start < n; start += SIMDNORM_LANES * SIMDNORM_ROUND) {
        const size_t end = n - start < SIMDNORM_LANES * SIMDNORM_ROUND
                               ? n : start + SIMDNORM_LANES * SIMDNORM_ROUND;
        float r[SIMDNORM_LANES] = {0};
        for (size_t i = start; i < end; i++)
            r[i % SIMDNORM_LANES] = fmaf(x[i], x[i], r[i % SIMDNORM_LANES]);
        for (int l = 0; l < SIMDNORM_LANES; l++)
            q[l] = q[l] + (double)r[l];
    }
    return fold_lanes_scalar(q);
}

/* Contract: kernels.h, f32_moments_rows: the one-row kernel, row by row. */
void simdnorm_f32_moments_rows_scalar(size_t rows, size_t n, const float *x, size_t stride,
                                  const float *shift, double *s1, double *s2)
{
    for (size_t r = 0; r < rows; r++) {
        double out[2];
        simdnorm_f32_moments_scalar(n, x + r * stride, shift[r], out);
        s1[r] = out[0];
        s2[r] = out[1];
    }
}

/* Contract: kernels.h, f32_sumsq_rows: the one-row kernel, row by row. */
void simdnorm_f32_sumsq_rows_scalar(size_t rows, size_t n, const float *x, size_t stride,
                                double *ss)
{
    for (size_t r = 0; r < rows; r++)
        ss[r] = simdnorm_f32_sumsq_scalar(n, x + r * stride);
}
