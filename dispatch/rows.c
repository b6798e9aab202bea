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

/* One row-norm call after validation; each worker takes a contiguous range
 * of rows. A row is computed the same way by whichever thread takes it, so
 * the split never changes a bit. */
typedef struct row_job {
    const simdnorm_kernels *k;
    simdnorm_f32_normalize_fn normalize; /* streaming for large calls */
    int rms;
    size_t cols;
    const float *x, *gamma, *beta;
    size_t x_stride, y_stride;
    double eps;
    double inv_cols; /* 1/cols: a multiply, not a division, on each row's critical path */
    float *y, *mean, *rstd;
} row_job;

/* Rows [r0, r1) of a LayerNorm, software-pipelined: the statistics of row
 * r+1 are taken before row r is normalized, so the CPU overlaps row r's
 * scalar finish (divisions, square root) with row r+1's reduction. Row r+1
 * is not yet written, in place or not. */
static void layer_norm_rows(const row_job *j, size_t r0, size_t r1)
{
    simdnorm_moments m = simdnorm_span_moments(j->k, j->cols, j->x + r0 * j->x_stride);
    for (size_t r = r0; r < r1; r++) {
        const float *xr = j->x + r * j->x_stride;
        const int finite = isfinite(m.mean) && isfinite(m.m2);
        /* A row with NaN/Inf: var is NaN, so rstd and all of y are NaN. */
        const double var = finite ? m.m2 * j->inv_cols : NAN;
        const float mean_f = finite ? (float)m.mean : nonfinite_mean(j->cols, xr);
        const simdnorm_norm_plan plan = simdnorm_plan_normalize(j->cols, m.mean, var, j->eps);
        if (r + 1 < r1)
            m = simdnorm_span_moments(j->k, j->cols, xr + j->x_stride);
        simdnorm_apply_normalize(j->normalize, &plan, j->cols, xr, j->gamma, j->beta,
                                 j->y + r * j->y_stride);
        if (j->mean)
            j->mean[r] = mean_f;
        if (j->rstd)
            j->rstd[r] = plan.rstd_f;
    }
}

/* Rows [r0, r1) of an RMSNorm, pipelined the same way. An Inf makes the mean
 * square Inf and rstd 0; the slow path then gives 0 for finite x and NaN for
 * the Inf, as x / sqrt(Inf) does. */
static void rms_norm_rows(const row_job *j, size_t r0, size_t r1)
{
    double ss = simdnorm_span_sumsq(j->k, j->cols, j->x + r0 * j->x_stride);
    for (size_t r = r0; r < r1; r++) {
        const float *xr = j->x + r * j->x_stride;
        const simdnorm_norm_plan plan =
            simdnorm_plan_normalize(j->cols, 0.0, ss * j->inv_cols, j->eps);
        if (r + 1 < r1)
            ss = simdnorm_span_sumsq(j->k, j->cols, xr + j->x_stride);
        simdnorm_apply_normalize(j->normalize, &plan, j->cols, xr, j->gamma, NULL,
                                 j->y + r * j->y_stride);
        if (j->rstd)
            j->rstd[r] = plan.rstd_f;
    }
}

/* Rows of at most this many elements go through the grouped path. */
#define GROUP 8

/* Rows [r0, r0+m) (m <= GROUP) of a LayerNorm of short rows (one block
 * each): one f32_moments_rows call for the group, then the per-row finish.
 * Bit for bit the per-row path: the same shift and kernel result, finished
 * by the same simdnorm_finish_block. */
static void layer_norm_group(const row_job *j, size_t r0, size_t m)
{
    float shift[GROUP];
    double s1[GROUP], s2[GROUP];
    const float *x0 = j->x + r0 * j->x_stride;
    for (size_t i = 0; i < m; i++)
        shift[i] = simdnorm_head_shift(j->cols, x0 + i * j->x_stride);
    if (m == 1) { /* one row: the one-row kernel folds in registers (same bits) */
        double s[2];
        j->k->f32_moments(j->cols, x0, shift[0], s);
        s1[0] = s[0], s2[0] = s[1];
    } else {
        j->k->f32_moments_rows(m, j->cols, x0, j->x_stride, shift, s1, s2);
    }
    for (size_t i = 0; i < m; i++) {
        const float *xr = x0 + i * j->x_stride;
        const double s[2] = {s1[i], s2[i]};
        const simdnorm_moments mo = simdnorm_finish_block(j->k, j->cols, xr, shift[i], s);
        const int finite = isfinite(mo.mean) && isfinite(mo.m2);
        const double var = finite ? mo.m2 * j->inv_cols : NAN;
        /* before y is written: in place, y is this row of x */
        const float mean_f = finite ? (float)mo.mean : nonfinite_mean(j->cols, xr);
        const simdnorm_norm_plan plan = simdnorm_plan_normalize(j->cols, mo.mean, var, j->eps);
        simdnorm_apply_normalize(j->normalize, &plan, j->cols, xr, j->gamma, j->beta,
                                 j->y + (r0 + i) * j->y_stride);
        if (j->mean)
            j->mean[r0 + i] = mean_f;
        if (j->rstd)
            j->rstd[r0 + i] = plan.rstd_f;
    }
}

/* The RMSNorm of a group of short rows, as layer_norm_group. */
static void rms_norm_group(const row_job *j, size_t r0, size_t m)
{
    double ss[GROUP];
    const float *x0 = j->x + r0 * j->x_stride;
    if (m == 1)
        ss[0] = j->k->f32_sumsq(j->cols, x0);
    else
        j->k->f32_sumsq_rows(m, j->cols, x0, j->x_stride, ss);
    for (size_t i = 0; i < m; i++) {
        const float *xr = x0 + i * j->x_stride;
        const double q = simdnorm_fast_sumsq_ok(j->cols, ss[i]) ? ss[i]
                                                                : simdnorm_span_sumsq(j->k, j->cols, xr);
        const simdnorm_norm_plan plan = simdnorm_plan_normalize(j->cols, 0.0, q * j->inv_cols, j->eps);
        simdnorm_apply_normalize(j->normalize, &plan, j->cols, xr, j->gamma, NULL,
                                 j->y + (r0 + i) * j->y_stride);
        if (j->rstd)
            j->rstd[r0 + i] = plan.rstd_f;
    }
}

/* Rows [r0, r1): short rows (one block, <= SIMDNORM_BLOCK elements) in
 * groups of GROUP, long rows one by one. A row's result does not depend on
 * the path or the group it falls in. */
static void run_rows(const row_job *j, size_t r0, size_t r1)
{
    if (j->cols > SIMDNORM_BLOCK) {
        if (j->rms)
            rms_norm_rows(j, r0, r1);
        else
            layer_norm_rows(j, r0, r1);
        return;
    }
    for (size_t r = r0; r < r1; r += GROUP) {
        const size_t m = r1 - r < GROUP ? r1 - r : GROUP;
        if (j->rms)
            rms_norm_group(j, r, m);
        else
            layer_norm_group(j, r, m);
    }
}

/* Streaming stores when x + y exceed SIMDNORM_STREAM_BYTES and rows hold at
 * least 1024 floats; ordinary stores otherwise. Same bits either way.
 * Measured here at 64 MiB (single thread, AVX-512, frac of memcpy): 4096
 * floats 0.60 -> 0.88-1.03 with streaming, 768 about even, 64 floats 0.45
 * -> 0.15 (the store fence that ends every streaming row costs more than
 * the read-for-ownership it saves). */
static simdnorm_f32_normalize_fn pick_normalize(const simdnorm_kernels *k, size_t rows, size_t cols)
{
    const int big = rows * cols > SIMDNORM_STREAM_BYTES / (2 * sizeof(float));
    return big && cols >= 1024 ? k->f32_normalize_stream : k->f32_normalize;
}

/* Blocks of rows over the threads that the size allows (threads.c). */
static void run_row_job(const row_job *j, size_t rows)
{
    const int nt = simdnorm_threads_for(rows * j->cols * 2 * sizeof(float), rows);
    if (nt <= 1) {
        run_rows(j, 0, rows);
        return;
    }
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static)
#endif
    for (int t = 0; t < nt; t++)
        run_rows(j, rows * (size_t)t / (size_t)nt, rows * (size_t)(t + 1) / (size_t)nt);
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
    const row_job j = {k, pick_normalize(k, rows, cols), 0, cols, x, gamma, beta, x_stride,
                       y_stride, eps, 1.0 / (double)cols, y, mean, rstd};
    run_row_job(&j, rows);
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
    const row_job j = {k, pick_normalize(k, rows, cols), 1, cols, x, gamma, NULL, x_stride,
                       y_stride, eps, 1.0 / (double)cols, y, NULL, rstd};
    run_row_job(&j, rows);
    return SIMDNORM_OK;
}
