/* rows.c - public entry points of the row norms (LayerNorm, RMSNorm):
 * validate everything, then per row one statistics pass and one normalize
 * pass (the row is still in cache for the second). */
#include <math.h>

#include "internal.h"

/* The checks both row norms share (DESIGN §5), in order: parameters, empty
 * output, NULL pointers, shape, overlap. *done is set when rows == 0. */
static simdnorm_status check_rows(size_t rows, size_t cols, const float *x,
                                  size_t x_stride, const float *gamma,
                                  const float *beta, float eps, const float *y,
                                  size_t y_stride, const float *out1,
                                  const float *out2, int *done)
{
    *done = 0;
    if (!simdnorm_eps_ok(eps))
        return SIMDNORM_ERR_PARAM;
    if (rows == 0) {
        *done = 1;
        return SIMDNORM_OK;
    }
    if (!x || !y)
        return SIMDNORM_ERR_NULL;
    if (cols == 0 || x_stride < cols || y_stride < cols)
        return SIMDNORM_ERR_SHAPE;
    size_t xb, yb, gb, bb, o1b, o2b;
    if (!simdnorm_matrix_span(x, rows, cols, x_stride, &xb) ||
        !simdnorm_matrix_span(y, rows, cols, y_stride, &yb) ||
        !simdnorm_matrix_span(gamma, 1, cols, cols, &gb) ||
        !simdnorm_matrix_span(beta, 1, cols, cols, &bb) ||
        !simdnorm_matrix_span(out1, 1, rows, rows, &o1b) ||
        !simdnorm_matrix_span(out2, 1, rows, rows, &o2b))
        return SIMDNORM_ERR_SHAPE;
    const int in_place = y == x && y_stride == x_stride;
    if ((!in_place && simdnorm_overlaps(y, yb, x, xb)) ||
        simdnorm_overlaps(y, yb, gamma, gb) || simdnorm_overlaps(y, yb, beta, bb) ||
        simdnorm_overlaps(out1, o1b, x, xb) || simdnorm_overlaps(out1, o1b, gamma, gb) ||
        simdnorm_overlaps(out1, o1b, beta, bb) || simdnorm_overlaps(out1, o1b, y, yb) ||
        simdnorm_overlaps(out2, o2b, x, xb) || simdnorm_overlaps(out2, o2b, gamma, gb) ||
        simdnorm_overlaps(out2, o2b, beta, bb) || simdnorm_overlaps(out2, o2b, y, yb) ||
        simdnorm_overlaps(out1, o1b, out2, o2b))
        return SIMDNORM_ERR_OVERLAP;
    return SIMDNORM_OK;
}

/* The saved mean of a row with a NaN or Inf: the plain float64 mean, as the
 * reference formula gives it (+-Inf, or NaN). */
static float nonfinite_mean(size_t n, const float *x)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    return simdnorm_canonical_nan((float)(sum / (double)n));
}

simdnorm_status simdnorm_layer_norm_f32(size_t rows, size_t cols, const float *x,
                                        size_t x_stride, const float *gamma,
                                        const float *beta, float eps, float *y,
                                        size_t y_stride, float *mean, float *rstd)
{
    int done;
    const simdnorm_status st = check_rows(rows, cols, x, x_stride, gamma, beta, eps,
                                          y, y_stride, mean, rstd, &done);
    if (st != SIMDNORM_OK || done)
        return st;
    const simdnorm_kernels *k = simdnorm_active_kernels();
    /* Software-pipelined: the statistics of row r+1 are taken before row r
     * is normalized, so the CPU overlaps row r's scalar finish (divisions,
     * square root) with row r+1's reduction. Row r+1 is not yet written, in
     * place or not. */
    simdnorm_moments m = simdnorm_span_moments(k, cols, x);
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * x_stride;
        const int finite = isfinite(m.mean) && isfinite(m.m2);
        /* A row with NaN/Inf: var is NaN, so rstd and all of y are NaN. */
        const double var = finite ? m.m2 / (double)cols : NAN;
        const float mean_f = finite ? (float)m.mean : nonfinite_mean(cols, xr);
        const simdnorm_norm_plan plan = simdnorm_plan_normalize(cols, m.mean, var, eps);
        if (r + 1 < rows)
            m = simdnorm_span_moments(k, cols, xr + x_stride);
        simdnorm_apply_normalize(k, &plan, cols, xr, gamma, beta, y + r * y_stride);
        if (mean)
            mean[r] = mean_f;
        if (rstd)
            rstd[r] = plan.rstd_f;
    }
    return SIMDNORM_OK;
}

simdnorm_status simdnorm_rms_norm_f32(size_t rows, size_t cols, const float *x,
                                      size_t x_stride, const float *gamma, float eps,
                                      float *y, size_t y_stride, float *rstd)
{
    int done;
    const simdnorm_status st = check_rows(rows, cols, x, x_stride, gamma, NULL, eps,
                                          y, y_stride, rstd, NULL, &done);
    if (st != SIMDNORM_OK || done)
        return st;
    const simdnorm_kernels *k = simdnorm_active_kernels();
    /* Pipelined as LayerNorm. An Inf makes the mean square Inf and rstd 0;
     * the slow path then gives 0 for finite x and NaN for the Inf, as
     * x / sqrt(Inf) does. */
    double ss = simdnorm_span_sumsq(k, cols, x);
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * x_stride;
        const simdnorm_norm_plan plan =
            simdnorm_plan_normalize(cols, 0.0, ss / (double)cols, eps);
        if (r + 1 < rows)
            ss = simdnorm_span_sumsq(k, cols, xr + x_stride);
        simdnorm_apply_normalize(k, &plan, cols, xr, gamma, NULL, y + r * y_stride);
        if (rstd)
            rstd[r] = plan.rstd_f;
    }
    return SIMDNORM_OK;
}
