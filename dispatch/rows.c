/* rows.c - public entry points of the row norms (LayerNorm, RMSNorm, and
 * their _ex forms with a residual add and an activation): validate
 * everything, then per row one statistics pass and one normalize pass (the
 * row is still in cache for the second), after the add when there is one. */
#include <math.h>

#include "internal.h"

/* Whether an output may overlap an input: only exactly (same start, same
 * stride: element i of each row is read before it is written). */
static int exact_alias(const void *out, size_t out_stride, const void *in, size_t in_stride)
{
    return out == in && out_stride == in_stride;
}

/* The checks both row norms share (DESIGN §5), in order: parameters (eps,
 * activation), empty output, NULL pointers, shape, overlap. Inputs: x,
 * residual, gamma, beta, bias; outputs: y, h, out1, out2 (the saved
 * statistics). y and h may each be exactly x or residual (in place); no
 * other output may overlap an input or another output. *done is set when
 * rows == 0. */
static simdnorm_status check_rows(size_t rows, size_t cols, const float *x,
                                  size_t x_stride, const float *gamma,
                                  const float *beta, float eps, const float *y,
                                  size_t y_stride, const float *out1,
                                  const float *out2, const simdnorm_norm_options *o,
                                  int *done)
{
    *done = 0;
    if (!simdnorm_eps_ok(eps) || (o && !simdnorm_act_ok(o->activation)))
        return SIMDNORM_ERR_PARAM;
    if (rows == 0) {
        *done = 1;
        return SIMDNORM_OK;
    }
    if (!x || !y)
        return SIMDNORM_ERR_NULL;
    const float *res = o ? o->residual : NULL, *bias = o ? o->bias : NULL;
    const float *h = o ? o->h : NULL;
    const size_t rs = res ? o->residual_stride : 0, hs = h ? o->h_stride : 0;
    if (cols == 0 || x_stride < cols || y_stride < cols || (res && rs < cols) || (h && hs < cols))
        return SIMDNORM_ERR_SHAPE;
    enum { N_IN = 5, N_OUT = 4 };
    const void *in[N_IN] = {x, res, gamma, beta, bias};
    const size_t in_rows[N_IN] = {rows, rows, 1, 1, 1}, in_stride[N_IN] = {x_stride, rs, cols, cols, cols};
    const void *out[N_OUT] = {y, h, out1, out2};
    const size_t out_rows[N_OUT] = {rows, rows, 1, 1}, out_cols[N_OUT] = {cols, cols, rows, rows};
    const size_t out_stride[N_OUT] = {y_stride, hs, rows, rows};
    size_t inb[N_IN], outb[N_OUT];
    for (int i = 0; i < N_IN; i++)
        if (!simdnorm_matrix_span(in[i], in_rows[i], cols, in_stride[i], &inb[i]))
            return SIMDNORM_ERR_SHAPE;
    for (int i = 0; i < N_OUT; i++)
        if (!simdnorm_matrix_span(out[i], out_rows[i], out_cols[i], out_stride[i], &outb[i]))
            return SIMDNORM_ERR_SHAPE;
    for (int oi = 0; oi < N_OUT; oi++) {
        for (int i = 0; i < N_IN; i++) {
            /* y, h on x, residual: exact in place only */
            if (oi < 2 && i < 2 && exact_alias(out[oi], out_stride[oi], in[i], in_stride[i]))
                continue;
            if (simdnorm_overlaps(out[oi], outb[oi], in[i], inb[i]))
                return SIMDNORM_ERR_OVERLAP;
        }
        for (int p = oi + 1; p < N_OUT; p++)
            if (simdnorm_overlaps(out[oi], outb[oi], out[p], outb[p]))
                return SIMDNORM_ERR_OVERLAP;
    }
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
 * the split never changes a bit.
 * With a residual add (add set), each row's h = x (+ residual) (+ bias) is
 * written first into hd - the caller's h, or else y itself - and the
 * statistics and the normalize then read it there: src is hd (else x).
 * The rows are short enough to stay in cache between these passes, so x
 * and residual are read once from memory and y (and h) written once. */
typedef struct row_job {
    const simdnorm_kernels *k;
    int rms;
    size_t cols;
    const float *x, *gamma, *beta;
    size_t x_stride, y_stride;
    double eps;
    float *y, *mean, *rstd;
    int act, add;
    const float *residual, *bias;
    size_t residual_stride;
    float *hd;
    size_t hd_stride;
    const float *src;
    size_t src_stride;
} row_job;

/* h of rows [r0, r0+m) into hd, when the call adds. A row's h is formed
 * before anything else reads or writes that row's outputs. */
static void add_rows(const row_job *j, size_t r0, size_t m)
{
    if (!j->add)
        return;
    for (size_t r = r0; r < r0 + m; r++)
        j->k->f32_add(j->cols, j->x + r * j->x_stride,
                      j->residual ? j->residual + r * j->residual_stride : NULL, j->bias,
                      j->hd + r * j->hd_stride);
}

/* Rows [r0, r1) of a LayerNorm, software-pipelined: the statistics of row
 * r+1 are taken before row r is normalized, so the CPU overlaps row r's
 * scalar finish (divisions, square root) with row r+1's reduction. Row r+1
 * is not yet written, in place or not. */
static void layer_norm_rows(const row_job *j, size_t r0, size_t r1)
{
    add_rows(j, r0, 1);
    simdnorm_moments m = simdnorm_span_moments(j->k, j->cols, j->src + r0 * j->src_stride);
    for (size_t r = r0; r < r1; r++) {
        const float *xr = j->src + r * j->src_stride;
        const int finite = isfinite(m.mean) && isfinite(m.m2);
        /* A row with NaN/Inf: var is NaN, so rstd and all of y are NaN. */
        const double var = finite ? m.m2 / (double)j->cols : NAN;
        const float mean_f = finite ? (float)m.mean : nonfinite_mean(j->cols, xr);
        const simdnorm_norm_plan plan = simdnorm_plan_normalize(j->cols, m.mean, var, j->eps);
        if (r + 1 < r1) {
            add_rows(j, r + 1, 1);
            m = simdnorm_span_moments(j->k, j->cols, xr + j->src_stride);
        }
        simdnorm_apply_normalize(j->k, &plan, j->cols, xr, j->gamma, j->beta, j->act,
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
    add_rows(j, r0, 1);
    double ss = simdnorm_span_sumsq(j->k, j->cols, j->src + r0 * j->src_stride);
    for (size_t r = r0; r < r1; r++) {
        const float *xr = j->src + r * j->src_stride;
        const simdnorm_norm_plan plan =
            simdnorm_plan_normalize(j->cols, 0.0, ss / (double)j->cols, j->eps);
        if (r + 1 < r1) {
            add_rows(j, r + 1, 1);
            ss = simdnorm_span_sumsq(j->k, j->cols, xr + j->src_stride);
        }
        simdnorm_apply_normalize(j->k, &plan, j->cols, xr, j->gamma, NULL, j->act,
                                 j->y + r * j->y_stride);
        if (j->rstd)
            j->rstd[r] = plan.rstd_f;
    }
}

/* Rows of at most this many elements go through the grouped path. */
#define GROUP 8

/* Rows [r0, r0+m) (m <= GROUP) of a LayerNorm of short rows (one block
 * each): one f32_moments_rows call for the group, then the per-row finish.
 * Bit for bit the per-row path: the same shift and kernel result, the same
 * verdict, and a row whose fast sums fail the contract takes the per-row
 * path (simdnorm_span_moments) from the start. */
static void layer_norm_group(const row_job *j, size_t r0, size_t m)
{
    float shift[GROUP];
    double s1[GROUP], s2[GROUP];
    add_rows(j, r0, m);
    const float *x0 = j->src + r0 * j->src_stride;
    for (size_t i = 0; i < m; i++)
        shift[i] = simdnorm_head_shift(j->cols, x0 + i * j->src_stride);
    j->k->f32_moments_rows(m, j->cols, x0, j->src_stride, shift, s1, s2);
    for (size_t i = 0; i < m; i++) {
        const float *xr = x0 + i * j->src_stride;
        const double s[2] = {s1[i], s2[i]};
        simdnorm_moments mo;
        if (!simdnorm_fast_moments_ok(j->cols, shift[i], s, &mo))
            mo = simdnorm_span_moments(j->k, j->cols, xr);
        const int finite = isfinite(mo.mean) && isfinite(mo.m2);
        const double var = finite ? mo.m2 / (double)j->cols : NAN;
        const simdnorm_norm_plan plan = simdnorm_plan_normalize(j->cols, mo.mean, var, j->eps);
        simdnorm_apply_normalize(j->k, &plan, j->cols, xr, j->gamma, j->beta, j->act,
                                 j->y + (r0 + i) * j->y_stride);
        if (j->mean)
            j->mean[r0 + i] = finite ? (float)mo.mean : nonfinite_mean(j->cols, xr);
        if (j->rstd)
            j->rstd[r0 + i] = plan.rstd_f;
    }
}

/* The RMSNorm of a group of short rows, as layer_norm_group. */
static void rms_norm_group(const row_job *j, size_t r0, size_t m)
{
    double ss[GROUP];
    add_rows(j, r0, m);
    const float *x0 = j->src + r0 * j->src_stride;
    j->k->f32_sumsq_rows(m, j->cols, x0, j->src_stride, ss);
    for (size_t i = 0; i < m; i++) {
        const float *xr = x0 + i * j->src_stride;
        const double q = simdnorm_fast_sumsq_ok(j->cols, ss[i]) ? ss[i]
                                                                : simdnorm_span_sumsq(j->k, j->cols, xr);
        const simdnorm_norm_plan plan = simdnorm_plan_normalize(j->cols, 0.0, q / (double)j->cols, j->eps);
        simdnorm_apply_normalize(j->k, &plan, j->cols, xr, j->gamma, NULL, j->act,
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

/* The job of a validated call. */
static row_job make_job(int rms, size_t cols, const float *x, size_t x_stride,
                        const float *gamma, const float *beta, float eps, float *y,
                        size_t y_stride, float *mean, float *rstd,
                        const simdnorm_norm_options *o)
{
    row_job j = {simdnorm_active_kernels(), rms, cols, x, gamma, beta, x_stride, y_stride,
                 eps, y, mean, rstd, SIMDNORM_ACT_NONE, 0, NULL, NULL, 0, NULL, 0, x, x_stride};
    if (o) {
        j.act = (int)o->activation;
        j.add = o->residual || o->bias || o->h;
        j.residual = o->residual;
        j.residual_stride = o->residual_stride;
        j.bias = o->bias;
    }
    if (j.add) {
        j.hd = o->h ? o->h : y;
        j.hd_stride = o->h ? o->h_stride : y_stride;
        j.src = j.hd;
        j.src_stride = j.hd_stride;
    }
    return j;
}

simdnorm_status simdnorm_layer_norm_ex_f32(size_t rows, size_t cols, const float *x,
                                           size_t x_stride, const float *gamma,
                                           const float *beta, float eps, float *y,
                                           size_t y_stride, float *mean, float *rstd,
                                           const simdnorm_norm_options *opt)
{
    int done;
    const simdnorm_status st = check_rows(rows, cols, x, x_stride, gamma, beta, eps, y,
                                          y_stride, mean, rstd, opt, &done);
    if (st != SIMDNORM_OK || done)
        return st;
    const row_job j = make_job(0, cols, x, x_stride, gamma, beta, eps, y, y_stride, mean,
                               rstd, opt);
    run_row_job(&j, rows);
    return SIMDNORM_OK;
}

simdnorm_status simdnorm_rms_norm_ex_f32(size_t rows, size_t cols, const float *x,
                                         size_t x_stride, const float *gamma, float eps,
                                         float *y, size_t y_stride, float *rstd,
                                         const simdnorm_norm_options *opt)
{
    int done;
    const simdnorm_status st = check_rows(rows, cols, x, x_stride, gamma, NULL, eps, y,
                                          y_stride, rstd, NULL, opt, &done);
    if (st != SIMDNORM_OK || done)
        return st;
    const row_job j = make_job(1, cols, x, x_stride, gamma, NULL, eps, y, y_stride, NULL,
                               rstd, opt);
    run_row_job(&j, rows);
    return SIMDNORM_OK;
}

simdnorm_status simdnorm_layer_norm_f32(size_t rows, size_t cols, const float *x,
                                        size_t x_stride, const float *gamma,
                                        const float *beta, float eps, float *y,
                                        size_t y_stride, float *mean, float *rstd)
{
    return simdnorm_layer_norm_ex_f32(rows, cols, x, x_stride, gamma, beta, eps, y, y_stride,
                                      mean, rstd, NULL);
}

simdnorm_status simdnorm_rms_norm_f32(size_t rows, size_t cols, const float *x,
                                      size_t x_stride, const float *gamma, float eps,
                                      float *y, size_t y_stride, float *rstd)
{
    return simdnorm_rms_norm_ex_f32(rows, cols, x, x_stride, gamma, eps, y, y_stride, rstd,
                                    NULL);
}
