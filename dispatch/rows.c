/* rows.c - public entry points of the row norms (LayerNorm, RMSNorm, and
 * their _ex forms with a residual add and an activation): validate
 * everything, then per row one statistics pass and one normalize pass (the
 * row is still in cache for the second), after the add when there is one. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "fpenv.h"
#include "internal.h"

/* The options of a call as validation sees them, whatever the storage of
 * residual and h (float32 or 16-bit: es bytes per element). */
typedef struct opt_view {
    const void *residual;
    size_t residual_stride;
    const float *bias;
    simdnorm_activation activation;
    const void *h;
    size_t h_stride;
} opt_view;

/* Whether a call's options add a residual, a bias or write h (o NULL: none). */
static inline int view_adds(const opt_view *o) { return o && (o->residual || o->bias || o->h); }

static inline opt_view view_of(const simdnorm_norm_options *o)
{
    const opt_view v = {o->residual, o->residual_stride, o->bias, o->activation, o->h, o->h_stride};
    return v;
}

/* The shape checks of the options (residual, bias, h), after those of the
 * plain arguments: strides >= cols, spans (set in *rb, *biasb, *hb; residual
 * and h of es bytes per element). */
static simdnorm_status check_options_shape(size_t rows, size_t cols, const opt_view *o, size_t es,
                                           size_t *rb, size_t *biasb, size_t *hb)
{
    const void *res = o->residual, *h = o->h;
    const float *bias = o->bias;
    const size_t rs = o->residual_stride, hs = o->h_stride;
    *rb = *biasb = *hb = 0;
    if ((res && (rs < cols || !simdnorm_matrix_span_es(res, rows, cols, rs, es, rb))) ||
        (h && (hs < cols || !simdnorm_matrix_span_es(h, rows, cols, hs, es, hb))) ||
        (bias && !simdnorm_matrix_span(bias, 1, cols, cols, biasb)))
        return SIMDNORM_ERR_SHAPE;
    return SIMDNORM_OK;
}

/* The buffers of a row-norm call, in the order of the overlap table. */
enum { B_X, B_GAMMA, B_BETA, B_Y, B_OUT1, B_OUT2, B_RES, B_BIAS, B_H, B_ALL,
       B_PLAIN = B_RES /* without options: the first six */ };

/* The checks both row norms share (DESIGN §5), in order: parameters (eps,
 * the activation), empty output, NULL pointers, shape (the plain arguments,
 * then the options'), overlap. Inputs: x, gamma, beta (and the options'
 * residual, bias); outputs: y, out1, out2 (the saved statistics; and the
 * options' h). y may be exactly x (in place) or the residual, h exactly x or
 * the residual; no other output may overlap an input or another output.
 * *done is set when rows == 0. A call without options (or with only an
 * activation) lists the plain buffers only. x, y, residual and h have es
 * bytes per element (4, or 2 for the 16-bit twins: overlaps in bytes). */
static inline __attribute__((always_inline)) simdnorm_status
check_rows(size_t rows, size_t cols, const void *x, size_t x_stride, const float *gamma,
           const float *beta, float eps, const void *y, size_t y_stride, const float *out1,
           const float *out2, const opt_view *o, size_t es, int *done)
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
    if (cols == 0 || x_stride < cols || y_stride < cols)
        return SIMDNORM_ERR_SHAPE;
    size_t xb, yb, gb, bb, o1b, o2b;
    if (!simdnorm_matrix_span_es(x, rows, cols, x_stride, es, &xb) ||
        !simdnorm_matrix_span_es(y, rows, cols, y_stride, es, &yb) ||
        !simdnorm_matrix_span(gamma, 1, cols, cols, &gb) ||
        !simdnorm_matrix_span(beta, 1, cols, cols, &bb) ||
        !simdnorm_matrix_span(out1, 1, rows, rows, &o1b) ||
        !simdnorm_matrix_span(out2, 1, rows, rows, &o2b))
        return SIMDNORM_ERR_SHAPE;
    const int opts = view_adds(o);
    size_t rb = 0, biasb = 0, hb = 0;
    if (opts && check_options_shape(rows, cols, o, es, &rb, &biasb, &hb) != SIMDNORM_OK)
        return SIMDNORM_ERR_SHAPE;
    const simdnorm_buffer buf[B_ALL] = {
        [B_X] = {x, xb, x_stride, 0, 0},
        [B_GAMMA] = {gamma, gb, 0, 0, 0},
        [B_BETA] = {beta, bb, 0, 0, 0},
        [B_Y] = {y, yb, y_stride, 1u << B_X | 1u << B_RES, 1},
        [B_OUT1] = {out1, o1b, 0, 0, 1},
        [B_OUT2] = {out2, o2b, 0, 0, 1},
        [B_RES] = {opts ? o->residual : NULL, rb, opts ? o->residual_stride : 0, 0, 0},
        [B_BIAS] = {opts ? o->bias : NULL, biasb, 0, 0, 0},
        [B_H] = {opts ? o->h : NULL, hb, opts ? o->h_stride : 0, 1u << B_X | 1u << B_RES, 1},
    };
    /* two calls of constant length, each unrolled */
    return opts ? simdnorm_check_overlap(buf, B_ALL) : simdnorm_check_overlap(buf, B_PLAIN);
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
 * formed first and the statistics and the normalize read it from there:
 * from a buffer on the worker's stack when the rows being worked on fit in
 * SCRATCH_FLOATS (the caller's h, if any, is then copied out of it), else
 * in hd - the caller's h, or y itself. The scratch stays in the L1/L2
 * cache, so x and residual are read once from memory and y (and h) written
 * once, each with the streaming stores of a large plain call; forming h in
 * y instead would read y for ownership, a third stream. */
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
    int act, add;
    const float *residual, *bias;
    size_t residual_stride;
    float *h;  /* the caller's h output, or NULL */
    size_t h_stride;
    float *hd; /* where h is formed without scratch: h, or y */
    size_t hd_stride;
    simdnorm_row_job e; /* the row engine's view of rows of one block */
} row_job;

/* The stack buffer of the add: 64 KiB, two rows of up to 8192 floats (the
 * pipelined path) or a group of shorter rows. */
#define SCRATCH_FLOATS 16384

/* Rows whose h is formed in scratch at a time (an add of short rows). */
#define GROUP 8

/* h of rows [r0, r0+m) into dst (row i at dst + i*ds); from a scratch
 * buffer (copy_out) also into the caller's h, through the normalize kernel
 * with shift +0, scale 1, offset -0: the identity, signed zeros and
 * subnormals included, with the call's streaming stores. Each row's x and
 * residual are read before any output of that row is written. */
static void form_h(const row_job *j, size_t r0, size_t m, float *dst, size_t ds, int copy_out)
{
    for (size_t i = 0; i < m; i++) {
        const size_t r = r0 + i;
        j->k->f32_add(j->cols, j->x + r * j->x_stride,
                      j->residual ? j->residual + r * j->residual_stride : NULL, j->bias,
                      dst + i * ds);
        if (copy_out)
            j->normalize(j->cols, dst + i * ds, 0.0f, 1.0f, -0.0f, NULL, NULL, SIMDNORM_ACT_NONE,
                         j->h + r * j->h_stride, NULL);
    }
}

/* The row r the statistics and the normalize read: x's, or h formed now -
 * in the scratch slot of r's parity (two rows in flight), else in hd. */
static const float *source_row(const row_job *j, size_t r, float *scratch)
{
    if (!j->add)
        return j->x + r * j->x_stride;
    float *d = scratch ? scratch + (r & 1) * j->cols : j->hd + r * j->hd_stride;
    form_h(j, r, 1, d, j->cols, scratch && j->h);
    return d;
}

/* The prefetch hint of row r's normalize in a call from memory (mem): the
 * next row of the range, which the following statistics pass reads - its
 * reads then overlap this row's stores instead of waiting for them. 4097
 * columns at 64 MiB, one thread, AVX2 (Zen 3): LayerNorm 0.88x the time,
 * RMSNorm 0.90x (`bench/ab.py <base> build-bench
 * '^(layer_norm|rms_norm)/avx2/cols:4097/rows:4095/' 5`; CHANGELOG). */
static inline const float *next_from_memory(const row_job *j, int mem, size_t r, size_t r1)
{
    return mem && r + 1 < r1 ? j->x + (r + 1) * j->x_stride : NULL;
}

/* Rows [r0, r1) of a LayerNorm, software-pipelined: the statistics of row
 * r+1 are taken before row r is normalized, so the CPU overlaps row r's
 * scalar finish (divisions, square root) with row r+1's reduction. Row r+1
 * is not yet written, in place or not. A call from memory (without an add:
 * h formed in scratch is in cache) goes row by row instead, the sums
 * reading x in order (simdnorm_span_moments_mem): reading the next row
 * between a row's sums and its normalize left both out of L1. */
static void layer_norm_rows(const row_job *j, size_t r0, size_t r1, float *scratch)
{
    const float *xr = source_row(j, r0, scratch);
    const int mem = j->e.from_memory && !j->add;
    simdnorm_moments (*const moments)(const simdnorm_kernels *, size_t, const float *) =
        mem ? simdnorm_span_moments_mem : simdnorm_span_moments;
    simdnorm_moments m = moments(j->k, j->cols, xr);
    for (size_t r = r0; r < r1; r++) {
        if (mem && r > r0) {
            xr = j->x + r * j->x_stride;
            m = moments(j->k, j->cols, xr);
        }
        const int finite = isfinite(m.mean) && isfinite(m.m2);
        /* A row with NaN/Inf: var is NaN, so rstd and all of y are NaN. */
        const double var = finite ? m.m2 * j->inv_cols : NAN;
        const float mean_f = finite ? (float)m.mean : nonfinite_mean(j->cols, xr);
        const simdnorm_norm_plan plan = simdnorm_plan_normalize(j->cols, m.mean, var, j->eps);
        const float *next = NULL;
        if (!mem && r + 1 < r1) {
            next = source_row(j, r + 1, scratch);
            m = moments(j->k, j->cols, next);
        }
        simdnorm_apply_normalize(j->k, j->normalize, &plan, j->cols, xr, j->gamma, j->beta,
                                 j->act, j->y + r * j->y_stride, next_from_memory(j, mem, r, r1));
        if (j->mean)
            j->mean[r] = mean_f;
        if (j->rstd)
            j->rstd[r] = plan.rstd_f;
        if (!mem)
            xr = next;
    }
}

/* Rows [r0, r1) of an RMSNorm, pipelined the same way. An Inf makes the mean
 * square Inf and rstd 0; the slow path then gives 0 for finite x and NaN for
 * the Inf, as x / sqrt(Inf) does. */
static void rms_norm_rows(const row_job *j, size_t r0, size_t r1, float *scratch)
{
    const float *xr = source_row(j, r0, scratch);
    const int mem = j->e.from_memory && !j->add;
    double (*const sumsq)(const simdnorm_kernels *, size_t, const float *) =
        mem ? simdnorm_span_sumsq_mem : simdnorm_span_sumsq;
    double ss = sumsq(j->k, j->cols, xr);
    for (size_t r = r0; r < r1; r++) {
        if (mem && r > r0) {
            xr = j->x + r * j->x_stride;
            ss = sumsq(j->k, j->cols, xr);
        }
        const simdnorm_norm_plan plan =
            simdnorm_plan_normalize(j->cols, 0.0, ss * j->inv_cols, j->eps);
        const float *next = NULL;
        if (!mem && r + 1 < r1) {
            next = source_row(j, r + 1, scratch);
            ss = sumsq(j->k, j->cols, next);
        }
        simdnorm_apply_normalize(j->k, j->normalize, &plan, j->cols, xr, j->gamma, NULL, j->act,
                                 j->y + r * j->y_stride, next_from_memory(j, mem, r, r1));
        if (j->rstd)
            j->rstd[r] = plan.rstd_f;
        if (!mem)
            xr = next;
    }
}

/* The row engine's rare rows (kernels.h): row r from its fast sums, as the
 * per-row definition: simdnorm_finish_block (retry about the mean found, or
 * the exact kernel), the plan, and the fast or slow normalize. */
void simdnorm_layer_norm_row_slow(const simdnorm_row_job *e, size_t r, float shift, double s1,
                                  double s2)
{
    const float *xr = e->x + r * e->x_stride;
    const double s[2] = {s1, s2};
    const simdnorm_moments mo = simdnorm_finish_block(e->k, e->cols, xr, shift, s);
    const int finite = isfinite(mo.mean) && isfinite(mo.m2);
    const double var = finite ? mo.m2 * e->inv_cols : NAN;
    /* before y is written: in place, y is this row of x */
    const float mean_f = finite ? (float)mo.mean : nonfinite_mean(e->cols, xr);
    const simdnorm_norm_plan plan = simdnorm_plan_normalize(e->cols, mo.mean, var, e->eps);
    simdnorm_apply_normalize(e->k, e->stream ? e->k->f32_normalize_stream : e->k->f32_normalize,
                             &plan, e->cols, xr, e->gamma, e->beta, e->act,
                             e->y + r * e->y_stride, NULL);
    if (e->mean)
        e->mean[r] = mean_f;
    if (e->rstd)
        e->rstd[r] = plan.rstd_f;
}

void simdnorm_rms_norm_row_slow(const simdnorm_row_job *e, size_t r, double ss)
{
    const float *xr = e->x + r * e->x_stride;
    const double q = simdnorm_fast_sumsq_ok(e->cols, ss) ? ss : simdnorm_span_sumsq(e->k, e->cols, xr);
    const simdnorm_norm_plan plan = simdnorm_plan_normalize(e->cols, 0.0, q * e->inv_cols, e->eps);
    simdnorm_apply_normalize(e->k, e->stream ? e->k->f32_normalize_stream : e->k->f32_normalize,
                             &plan, e->cols, xr, e->gamma, NULL, e->act, e->y + r * e->y_stride,
                             NULL);
    if (e->rstd)
        e->rstd[r] = plan.rstd_f;
}

/* Rows [r0, r1) of one block each, through the row engine kernel; with an
 * add, groups of rows have their h formed in scratch first and the engine
 * reads them there. */
static void engine_rows(const row_job *j, size_t r0, size_t r1, float *scratch)
{
    simdnorm_f32_layer_norm_rows_fn engine =
        j->rms ? j->k->f32_rms_norm_rows : j->k->f32_layer_norm_rows;
    if (!j->add) {
        engine(&j->e, r0, r1);
        return;
    }
    size_t group = GROUP;
    if (group > SCRATCH_FLOATS / j->cols)
        group = SCRATCH_FLOATS / j->cols;
    for (size_t r = r0; r < r1; r += group) {
        const size_t m = r1 - r < group ? r1 - r : group;
        form_h(j, r, m, scratch, j->cols, j->h != NULL);
        simdnorm_row_job e = j->e;
        e.x = scratch;
        e.x_stride = j->cols;
        e.y = j->y + r * j->y_stride;
        e.mean = j->mean ? j->mean + r : NULL;
        e.rstd = j->rstd ? j->rstd + r : NULL;
        engine(&e, 0, m);
    }
}

/* Rows [r0, r1): short rows (one block, <= SIMDNORM_BLOCK elements)
 * through the row engine, long rows one by one. A row's result does not
 * depend on the path, the batch or the group it falls in. */
static inline __attribute__((always_inline)) void run_rows_with(const row_job *j, size_t r0,
                                                                size_t r1, float *scratch)
{
    if (j->cols > SIMDNORM_BLOCK) {
        if (j->rms)
            rms_norm_rows(j, r0, r1, scratch);
        else
            layer_norm_rows(j, r0, r1, scratch);
        return;
    }
    engine_rows(j, r0, r1, scratch);
}

/* A call that adds, on rows that fit the scratch: the buffer lives in this
 * frame only (not in the plain calls' frames). */
static __attribute__((noinline)) void run_rows_scratch(const row_job *j, size_t r0, size_t r1)
{
    _Alignas(64) float scratch[SCRATCH_FLOATS];
    run_rows_with(j, r0, r1, scratch);
}

static void run_rows(const row_job *j, size_t r0, size_t r1)
{
    if (j->add && 2 * j->cols <= SCRATCH_FLOATS)
        run_rows_scratch(j, r0, r1);
    else
        run_rows_with(j, r0, r1, NULL);
}

/* Whether the row engine writes y with streaming stores: when x + y exceed
 * SIMDNORM_STREAM_BYTES and either every row of y starts on a cache line (y
 * 64-byte aligned, stride a multiple of 16 floats) and holds at least 128
 * floats, or rows hold at least 512 floats wherever they start (the partial
 * lines at a row's ends, stored plainly, are a few percent of it: 1000-float
 * rows at 64 MiB, 4 KiB-aligned buffers, AVX2 LayerNorm 0.70 -> 0.86 of the
 * copy limit, RMSNorm 0.7-0.8 -> 0.8-0.94; AVX-512 LayerNorm even, 0.75 -
 * the throwaway in-process loop of the commit message). Same bits either
 * way. One fence per call and thread.
 * Measured (64 MiB of x, single thread, AVX-512, engine alone, best of 8,
 * GB/s of x + y plain / streaming): LayerNorm 33 floats 15.6 / 8.4 (rows off
 * the lines: partial lines streamed), 64 25.4 / 27.1, 128 32.4 / 42.2, 256
 * 32.1 / 34.1, 512 19.6 / 27.1, 768 19.5 / 25.5, 4096 20.8 / 29.6. Check
 * with `simdnorm-kernel-bench --benchmark_filter=_dram/avx512`. Through the
 * public call (simdnorm-bench, 64 MiB, AVX-512, two alternating runs, ms,
 * streaming from 64 / from 1024 floats): LayerNorm 64 floats 12.6, 9.2 /
 * 8.7, 8.0 - hence 128; 768 7.8, 7.3 / 9.4, 8.4. */
static inline int engine_streams(size_t rows, size_t cols, const float *y, size_t y_stride)
{
    return simdnorm_from_memory(rows * cols, sizeof(float)) &&
           ((((uintptr_t)y & 63) == 0 && (y_stride & 15) == 0 && cols >= 128) || cols >= 512);
}

/* Streaming stores when x + y exceed SIMDNORM_STREAM_BYTES and rows hold at
 * least 1024 floats and the activation allows it (simdnorm_act_streams);
 * ordinary stores otherwise. Same bits either way.
 * Measured here at 64 MiB (single thread, AVX-512, frac of memcpy): 4096
 * floats 0.60 -> 0.88-1.03 with streaming, 768 about even, 64 floats 0.45
 * -> 0.15 (the store fence that ends every streaming row costs more than
 * the read-for-ownership it saves). */
static simdnorm_f32_normalize_fn pick_normalize(const simdnorm_kernels *k, size_t rows, size_t cols,
                                                int act)
{
    const int big = simdnorm_from_memory(rows * cols, sizeof(float));
    return big && cols >= 1024 && simdnorm_act_streams(act) ? k->f32_normalize_stream
                                                            : k->f32_normalize;
}

/* Rows [r0, r1) of the job ctx: the parallel-for body. */
static void row_range(void *ctx, size_t r0, size_t r1)
{
    run_rows((const row_job *)ctx, r0, r1);
}

/* Blocks of rows over the threads that the size allows (threads.c). */
static inline __attribute__((always_inline)) void run_row_job(const row_job *j, size_t rows)
{
    simdnorm_parallel_for(rows, rows, rows * j->cols * 2 * sizeof(float), row_range,
                          (void *)j);
}

/* The job of a validated call. */
static inline __attribute__((always_inline)) row_job
make_job(const simdnorm_kernels *k, int rms, size_t rows, size_t cols, const float *x,
         size_t x_stride, const float *gamma, const float *beta, float eps, float *y,
         size_t y_stride, float *mean, float *rstd, const simdnorm_norm_options *o)
{
    const int act = o ? (int)o->activation : SIMDNORM_ACT_NONE;
    row_job j = {k, pick_normalize(k, rows, cols, act), rms, cols, x, gamma, beta, x_stride,
                 y_stride, eps, 1.0 / (double)cols, y, mean, rstd, act, 0, NULL,
                 NULL, 0, NULL, 0, NULL, 0, {0}};
    if (o) {
        j.add = o->residual || o->bias || o->h;
        j.residual = o->residual;
        j.residual_stride = o->residual_stride;
        j.bias = o->bias;
        j.h = o->h;
        j.h_stride = o->h_stride;
        j.hd = o->h ? o->h : y;
        j.hd_stride = o->h ? o->h_stride : y_stride;
    }
    const int big = simdnorm_from_memory(rows * cols, sizeof(float));
    const int stream = engine_streams(rows, cols, y, y_stride) && simdnorm_act_streams(j.act);
    const simdnorm_row_job e = {k, cols, x, gamma, beta, x_stride, y_stride, y, mean, rstd,
                                eps, j.inv_cols, j.act, stream ? 2 : 0, NULL, NULL,
                                simdnorm_from_memory(rows * cols, sizeof(float))};
    j.e = e;
    if (j.add) {
        if (2 * cols > SCRATCH_FLOATS && !o->h)
            /* rows too long for the scratch form h in y: y is in the cache
             * already, streaming it would only add the fences */
            j.normalize = k->f32_normalize;
        else if (big && cols >= 512 && simdnorm_act_streams(j.act))
            /* with the residual a third stream, streaming y pays from
             * shorter rows than a plain call's 1024 floats (measured at 64
             * MiB, AVX-512, ms: 768 floats 14.8 -> 13.7, 512 15.6 -> 15.1,
             * 256 16.1 -> 17.6) */
            j.normalize = k->f32_normalize_stream;
    }
    return j;
}

/* A plain call (no options) of rows of one block: only the row engine's
 * job is built, and each thread's range of rows is one engine call. */
static void layer_norm_engine_range(void *ctx, size_t r0, size_t r1)
{
    const simdnorm_row_job *e = (const simdnorm_row_job *)ctx;
    e->k->f32_layer_norm_rows(e, r0, r1);
}

static void rms_norm_engine_range(void *ctx, size_t r0, size_t r1)
{
    const simdnorm_row_job *e = (const simdnorm_row_job *)ctx;
    e->k->f32_rms_norm_rows(e, r0, r1);
}

static inline __attribute__((always_inline)) void
run_plain_engine(const simdnorm_kernels *k, int rms, size_t rows, size_t cols, const float *x,
                 size_t x_stride, const float *gamma, const float *beta, float eps, float *y,
                 size_t y_stride, float *mean, float *rstd)
{
    const size_t bytes = rows * cols * 2 * sizeof(float);
    const simdnorm_row_job e = {k, cols, x, gamma, beta, x_stride,
                                y_stride, y, mean, rstd, eps, 1.0 / (double)cols,
                                SIMDNORM_ACT_NONE,
                                engine_streams(rows, cols, y, y_stride) ? 2 : 0, NULL, NULL,
                                simdnorm_from_memory(rows * cols, sizeof(float))};
    simdnorm_parallel_for(rows, rows, bytes, rms ? rms_norm_engine_range : layer_norm_engine_range,
                          (void *)&e);
}

/* ---- gamma and beta away from y modulo 4 KiB (calls from memory) --------
 * A load whose address equals a pending streaming store's in its low 12
 * bits (4K aliasing) waits for that store. Where gamma or beta lies up to
 * Y_ALIAS_WINDOW bytes before a row of y modulo 4 KiB, the normalize's
 * load of gamma[k + d/4] comes right after the streaming store of y[k], and
 * every vector waited. LayerNorm from memory (x 64 MiB), one thread, AVX2,
 * Zen 3, gamma and beta d bytes before y modulo 4 KiB against d = 2048
 * (/tmp throwaway, ms): 16384 x 1024 d = 4 23.8 / 14.1, 5461 x 3072 d = 4
 * 20.4 / 14.0, d = 64 16.8, d = 128 13.2; 4096 x 4096 d = 4 19.9 / 14.9.
 * Such a call reads copies of gamma and beta placed away from every row of
 * y (the same floats: the same bits). That placement exists when the rows
 * of y take few offsets modulo 4 KiB: their stride in bytes a multiple of
 * g >= 1024 (a stride of 256 floats: 768, 1024, 3072 ...), or one row,
 * where the offsets are y's plus multiples of g and the copies go g/2 past
 * y's cache line: every row then lies g/2 to g/2 + 63 >= 512 bytes past
 * them modulo g. Rows at other strides take many offsets, of which a window
 * of 256 bytes holds few (1/16 of the rows or less), and keep the caller's
 * gamma and beta; so do rows of more than Y_PLACE_MAX_COLS floats (the
 * block would come from mmap, fresh pages each call: DESIGN's "never touch
 * fresh memory per call"; below it glibc's heap reuses the block) and a
 * call whose block cannot be allocated (a speed rule only). */
#define Y_ALIAS_WINDOW 256
#define Y_PLACE_MAX_COLS 8192

/* The power of two (<= 4096) the offsets modulo 4 KiB of the rows of y step
 * by: y + r * y_stride floats, r < rows. */
static inline size_t y_offset_step(size_t rows, size_t y_stride)
{
    const size_t sb = y_stride * sizeof(float) & 4095;
    return rows == 1 || sb == 0 ? 4096 : sb & (~sb + 1);
}

/* Whether some row of y lies 1..Y_ALIAS_WINDOW bytes past p modulo 4 KiB
 * (y's offsets: y's own plus multiples of step). */
static inline int y_rows_alias(const float *y, size_t step, const float *p)
{
    if (!p)
        return 0;
    for (size_t o = 0; o < 4096; o += step) {
        const size_t d = ((uintptr_t)y + o - (uintptr_t)p) & 4095;
        if (d != 0 && d <= Y_ALIAS_WINDOW)
            return 1;
    }
    return 0;
}

/* For a call from memory whose gamma or beta 4K-aliases rows of y (above):
 * copies of them in a malloc'ed block (*mem, freed by the caller; NULL
 * where none was made) that no row aliases, in *gamma and *beta. */
static void place_affine(size_t rows, size_t cols, const float *y, size_t y_stride,
                         const float **gamma, const float **beta, void **mem)
{
    *mem = NULL;
    if (!simdnorm_from_memory(rows * cols, sizeof(float)) || cols > Y_PLACE_MAX_COLS)
        return;
    const size_t step = y_offset_step(rows, y_stride);
    if (step < 1024 || (!y_rows_alias(y, step, *gamma) && !y_rows_alias(y, step, *beta)))
        return;
    const size_t bytes = cols * sizeof(float), span = (bytes + 4095) & ~(size_t)4095;
    char *m = malloc(4096 + (*beta ? span : 0) + bytes);
    if (!m)
        return;
    /* g/2 past y's line modulo 4 KiB */
    const size_t at = ((((uintptr_t)y & ~(uintptr_t)63) + step / 2) - (uintptr_t)m) & 4095;
    float *g = (float *)(void *)(m + at);
    if (*gamma)
        memcpy(g, *gamma, bytes);
    if (*beta)
        memcpy((char *)g + span, *beta, bytes);
    *gamma = *gamma ? g : NULL;
    *beta = *beta ? (const float *)(const void *)((char *)g + span) : NULL;
    *mem = m;
}

/* The kernel table of a LayerNorm / RMSNorm call (storage: 0 float32, 1
 * bf16, 2 f16; add: a residual, bias or h; act: the activation): the
 * active one, except where AVX-512 is active and AVX2's kernels are
 * measurably faster for the call. Both give the same bits (DESIGN: every
 * ISA the same results; tests/test_fused.c case_large_from_memory checks
 * the second case against in-cache AVX-512 calls, test_rows.c the first
 * against scalar), so the choice is a speed rule only. Zen 4, one thread,
 * AVX-512 / AVX2 time, the two ISAs alternated in one process (best of
 * 4-6, /tmp throwaways isab, isab2, isab3); not measured on Zen 5 or Intel:
 * - rows of 8-15 elements, no add, no activation: narrower than an AVX-512
 *   vector (its masked lone-row path) but as wide as AVX2's (its short-row
 *   path): 4096 rows of 8 / 12 / 15 floats 1.34 / 1.17 / 1.13 (LayerNorm),
 *   1.45 / 1.21 / 1.17 (RMSNorm), bf16 and f16 1.11-1.62; one row of 8
 *   1.06-1.18. Rows of 4: AVX-512 0.30-0.78, of 16: 0.59-1.00. A rule of
 *   code paths (AVX-512's short-row path starts at 16 elements), kept on
 *   every AVX-512 CPU.
 * - float32 LayerNorm with beta, no add, no activation or ReLU, x + y from
 *   memory, rows of more than LN_AVX2_MIN_COLS floats, on a CPU that splits
 *   512-bit operations (SIMDNORM_CPU_ZMM_SPLIT, Zen 4; elsewhere AVX-512
 *   keeps them: the rule's cause is not known, so it is not assumed to hold
 *   where 512-bit operations run whole): 2048 floats
 *   0.93-1.00, 2304 1.23, 2560 1.25, 2816 1.26, 3072 1.33-1.39, 3584 1.28,
 *   4096 1.16-1.52, 5120 1.14, 6144 1.14, 8192 1.07 (32 MiB of x); with
 *   ReLU 3072-8192 floats 1.14-1.28, 2048 1.03-1.17. Kept on AVX-512: GELU
 *   (tanh) 0.88, no beta 1.02, RMSNorm 1.03-1.04, bf16/f16 LayerNorm
 *   0.86/0.96, in cache (4 MiB) 0.95-0.96. The cause is not known (no PMU
 *   on that VM): the normalize's three loads a vector from the L2 on
 *   512-bit vectors. */
#define LN_AVX2_MIN_COLS 2048
static inline const simdnorm_kernels *row_norm_kernels(int rms, int storage, size_t rows,
                                                       size_t cols, const float *beta, int add,
                                                       int act)
{
    const simdnorm_kernels *k = simdnorm_active_kernels();
    /* AVX-512 and its child avx512bf16 (isa_list.h: the same kernels but
     * the bf16 twins') hand these calls to AVX2, up their chain of parents */
    if ((k->isa != SIMDNORM_ISA_AVX512 && k->isa != SIMDNORM_ISA_AVX512BF16) || add)
        return k;
    const simdnorm_kernels *avx2 = k->parent;
    while (avx2 && avx2->isa != SIMDNORM_ISA_AVX2)
        avx2 = avx2->parent;
    if (!avx2)
        return k;
    const int narrow = cols >= 8 && cols < 16 && act == SIMDNORM_ACT_NONE;
    const int wide_ln = !rms && storage == 0 && beta && cols > LN_AVX2_MIN_COLS &&
                        (act == SIMDNORM_ACT_NONE || act == SIMDNORM_ACT_RELU) &&
                        simdnorm_from_memory(rows * cols, sizeof(float)) &&
                        (simdnorm_cpu_features() & SIMDNORM_CPU_ZMM_SPLIT);
    return narrow || wide_ln ? avx2 : k;
}

/* The bodies of the public functions, inlined into each: opt is NULL (a
 * constant) in the plain ones, whose validation and job then compile to
 * what they were before options existed (the 1x8 call costs ~40-70 ns). */
static inline __attribute__((always_inline)) simdnorm_status
layer_norm(size_t rows, size_t cols, const float *x, size_t x_stride, const float *gamma,
           const float *beta, float eps, float *y, size_t y_stride, float *mean, float *rstd,
           const simdnorm_norm_options *opt)
{
    int done;
    const opt_view v = opt ? view_of(opt) : (opt_view){NULL, 0, NULL, SIMDNORM_ACT_NONE, NULL, 0};
    const simdnorm_status st = check_rows(rows, cols, x, x_stride, gamma, beta, eps, y,
                                          y_stride, mean, rstd, opt ? &v : NULL, sizeof(float),
                                          &done);
    if (st != SIMDNORM_OK || done)
        return st;
    void *placed;
    place_affine(rows, cols, y, y_stride, &gamma, &beta, &placed);
    const simdnorm_kernels *k = row_norm_kernels(0, 0, rows, cols, beta,
                                                 view_adds(opt ? &v : NULL),
                                                 opt ? (int)v.activation : SIMDNORM_ACT_NONE);
    const simdnorm_fpenv fe = simdnorm_fpenv_enter(); /* fpenv.h */
    if (!opt && cols <= SIMDNORM_BLOCK) {
        run_plain_engine(k, 0, rows, cols, x, x_stride, gamma, beta, eps, y, y_stride, mean,
                         rstd);
    } else {
        const row_job j = make_job(k, 0, rows, cols, x, x_stride, gamma, beta, eps, y, y_stride,
                                   mean, rstd, opt);
        run_row_job(&j, rows);
    }
    simdnorm_fpenv_leave(fe);
    free(placed);
    return SIMDNORM_OK;
}

static inline __attribute__((always_inline)) simdnorm_status
rms_norm(size_t rows, size_t cols, const float *x, size_t x_stride, const float *gamma,
         float eps, float *y, size_t y_stride, float *rstd, const simdnorm_norm_options *opt)
{
    int done;
    const opt_view v = opt ? view_of(opt) : (opt_view){NULL, 0, NULL, SIMDNORM_ACT_NONE, NULL, 0};
    const simdnorm_status st = check_rows(rows, cols, x, x_stride, gamma, NULL, eps, y,
                                          y_stride, rstd, NULL, opt ? &v : NULL, sizeof(float),
                                          &done);
    if (st != SIMDNORM_OK || done)
        return st;
    const float *no_beta = NULL;
    void *placed;
    place_affine(rows, cols, y, y_stride, &gamma, &no_beta, &placed);
    const simdnorm_kernels *k = row_norm_kernels(1, 0, rows, cols, NULL,
                                                 view_adds(opt ? &v : NULL),
                                                 opt ? (int)v.activation : SIMDNORM_ACT_NONE);
    const simdnorm_fpenv fe = simdnorm_fpenv_enter(); /* fpenv.h */
    if (!opt && cols <= SIMDNORM_BLOCK) {
        run_plain_engine(k, 1, rows, cols, x, x_stride, gamma, NULL, eps, y, y_stride, NULL,
                         rstd);
    } else {
        const row_job j = make_job(k, 1, rows, cols, x, x_stride, gamma, NULL, eps, y, y_stride,
                                   NULL, rstd, opt);
        run_row_job(&j, rows);
    }
    simdnorm_fpenv_leave(fe);
    free(placed);
    return SIMDNORM_OK;
}

simdnorm_status simdnorm_layer_norm_ex_f32(size_t rows, size_t cols, const float *x,
                                           size_t x_stride, const float *gamma,
                                           const float *beta, float eps, float *y,
                                           size_t y_stride, float *mean, float *rstd,
                                           const simdnorm_norm_options *opt)
{
    return layer_norm(rows, cols, x, x_stride, gamma, beta, eps, y, y_stride, mean, rstd, opt);
}

simdnorm_status simdnorm_rms_norm_ex_f32(size_t rows, size_t cols, const float *x,
                                         size_t x_stride, const float *gamma, float eps,
                                         float *y, size_t y_stride, float *rstd,
                                         const simdnorm_norm_options *opt)
{
    return rms_norm(rows, cols, x, x_stride, gamma, eps, y, y_stride, rstd, opt);
}

simdnorm_status simdnorm_layer_norm_f32(size_t rows, size_t cols, const float *x,
                                        size_t x_stride, const float *gamma,
                                        const float *beta, float eps, float *y,
                                        size_t y_stride, float *mean, float *rstd)
{
    return layer_norm(rows, cols, x, x_stride, gamma, beta, eps, y, y_stride, mean, rstd, NULL);
}

simdnorm_status simdnorm_rms_norm_f32(size_t rows, size_t cols, const float *x,
                                      size_t x_stride, const float *gamma, float eps,
                                      float *y, size_t y_stride, float *rstd)
{
    return rms_norm(rows, cols, x, x_stride, gamma, eps, y, y_stride, rstd, NULL);
}

/* ---- 16-bit storage (bf16, f16): the twins ---------------------------------
 * storage 1: bf16, 2: f16 (the kernels' SX_STORAGE). Three paths, the same
 * bits as the float32 function on the widened inputs, narrowed once:
 *  - rows of one block without residual/bias/h: the 16-bit row engine
 *    (bf16_/f16_layer_norm_rows, rms_norm_rows), which reads x and writes y
 *    in 16 bits directly; its rare rows come to simdnorm_*_row_slow_half;
 *  - longer rows without residual/bias/h: half_long_row, the float32 long
 *    rows' steps (layer_norm_rows, rms_norm_rows) through the 16-bit
 *    statistics and normalize kernels, x read and y written in 16 bits;
 *  - a residual, bias or h:
 *    groups of rows whose h = x (+ residual) (+ bias) the 16-bit add kernel
 *    forms in a float scratch (the float32 function's h: the norm reads it
 *    in float, not narrowed), copied narrowed to the caller's h; the float32
 *    row path (make_job, run_rows) normalizes the scratch into a second float
 *    scratch, narrowed once into y. The scratch stays in L1/L2 (64 KiB on
 *    the worker's stack; rows longer than 8192 elements: 2*cols floats per
 *    thread from malloc, SIMDNORM_ERR_NOMEM before anything is written). */

static simdnorm_bf16_widen_fn half_widen(const simdnorm_kernels *k, int storage)
{
    return storage == 1 ? k->bf16_widen : k->f16_widen;
}
static simdnorm_bf16_narrow_fn half_narrow(const simdnorm_kernels *k, int storage)
{
    return storage == 1 ? k->bf16_narrow : k->f16_narrow;
}

/* A row's plan applied to a 16-bit row of n elements: a fast plan by the
 * 16-bit normalize kernel on x directly; a slow one block by block - the
 * block widened into buf (SIMDNORM_BLOCK floats), the float slow path, the
 * activation, one narrowing into y (elementwise, so the same bits as over
 * the whole row; in place, each block is read before it is written). */
static void half_apply(const simdnorm_kernels *k, int storage, int stream,
                       const simdnorm_norm_plan *p, size_t n, const uint16_t *x, float *buf,
                       const float *gamma, const float *beta, int act, uint16_t *y,
                       const uint16_t *pf)
{
    if (p->fast) {
        const simdnorm_bf16_normalize_fn f =
            storage == 1 ? (stream ? k->bf16_normalize_stream : k->bf16_normalize)
                         : (stream ? k->f16_normalize_stream : k->f16_normalize);
        f(n, x, p->shift, p->scale, p->offset, gamma, beta, act, y, pf);
        return;
    }
    for (size_t off = 0; off < n; off += SIMDNORM_BLOCK) {
        const size_t len = n - off < SIMDNORM_BLOCK ? n - off : SIMDNORM_BLOCK;
        half_widen(k, storage)(len, x + off, buf);
        simdnorm_normalize_slow(p, len, buf, 1, gamma ? gamma + off : NULL,
                                beta ? beta + off : NULL, 0, buf, 1);
        if (act != SIMDNORM_ACT_NONE)
            k->f32_activate(len, buf, act, buf);
        half_narrow(k, storage)(len, buf, y + off);
    }
}

/* The 16-bit engines' rare rows (kernels.h): simdnorm_layer_norm_row_slow
 * on the row widened into a float scratch (rows of one block: 16 KiB). */
void simdnorm_layer_norm_row_slow_half(const simdnorm_row_job *e, int storage, size_t r,
                                       float shift, double s1, double s2)
{
    float xs[SIMDNORM_BLOCK];
    const uint16_t *xr = e->xh + r * e->x_stride;
    half_widen(e->k, storage)(e->cols, xr, xs);
    const double s[2] = {s1, s2};
    const simdnorm_moments mo = simdnorm_finish_block(e->k, e->cols, xs, shift, s);
    const int finite = isfinite(mo.mean) && isfinite(mo.m2);
    const double var = finite ? mo.m2 * e->inv_cols : NAN;
    const float mean_f = finite ? (float)mo.mean : nonfinite_mean(e->cols, xs);
    const simdnorm_norm_plan plan = simdnorm_plan_normalize(e->cols, mo.mean, var, e->eps);
    half_apply(e->k, storage, e->stream != 0, &plan, e->cols, xr, xs, e->gamma, e->beta, e->act,
               e->yh + r * e->y_stride, NULL);
    if (e->mean)
        e->mean[r] = mean_f;
    if (e->rstd)
        e->rstd[r] = plan.rstd_f;
}

void simdnorm_rms_norm_row_slow_half(const simdnorm_row_job *e, int storage, size_t r, double ss)
{
    float xs[SIMDNORM_BLOCK];
    const uint16_t *xr = e->xh + r * e->x_stride;
    double q = ss;
    if (!simdnorm_fast_sumsq_ok(e->cols, ss)) {
        half_widen(e->k, storage)(e->cols, xr, xs);
        q = simdnorm_span_sumsq(e->k, e->cols, xs);
    }
    const simdnorm_norm_plan plan = simdnorm_plan_normalize(e->cols, 0.0, q * e->inv_cols, e->eps);
    half_apply(e->k, storage, e->stream != 0, &plan, e->cols, xr, xs, e->gamma, NULL, e->act,
               e->yh + r * e->y_stride, NULL);
    if (e->rstd)
        e->rstd[r] = plan.rstd_f;
}

/* The 16-bit engine over a range of rows. */
typedef struct half_engine_call {
    simdnorm_row_job e;
    simdnorm_f32_layer_norm_rows_fn fn;
} half_engine_call;

static void half_engine_range(void *ctx, size_t r0, size_t r1)
{
    const half_engine_call *c = (const half_engine_call *)ctx;
    c->fn(&c->e, r0, r1);
}

/* engine_streams for 16-bit y: x + y beyond SIMDNORM_STREAM_BYTES, and
 * every row of y on a cache line (64-byte aligned, stride a multiple of 32
 * elements) with at least 256 elements (the same 512 bytes), or rows of at
 * least 1024 elements (the same 2 KiB) wherever they start. */
static inline int half_engine_streams(size_t rows, size_t cols, const uint16_t *y,
                                      size_t y_stride)
{
    return simdnorm_from_memory(rows * cols, sizeof(uint16_t)) &&
           ((((uintptr_t)y & 63) == 0 && (y_stride & 31) == 0 && cols >= 256) || cols >= 1024);
}

/* A row longer than a block (no residual/bias/h) in 16 bits: the steps of
 * layer_norm_rows / rms_norm_rows, the same operations on the widened
 * values - the statistics by the storage's moments (in blocks,
 * simdnorm_span_moments_half) or sum-of-squares kernel (the row whole), the
 * plan, and half_apply (the storage's normalize kernel over the row, a
 * slow plan block by block on the stack). An RMSNorm
 * row whose fast sum of squares fails (simdnorm_fast_sumsq_ok) is widened
 * whole into heap (cols floats: half_parts' stack scratch, or malloc'ed
 * for rows longer than it) for f32_sumsq_exact. mem: the row's sums
 * in order (a call from memory; the same bits). next: the row read after
 * this one, prefetched during a fast plan's normalize (next_from_memory;
 * a slow plan's blocks do without), or NULL. */
static void half_long_row(const simdnorm_kernels *k, int rms, int storage, int stream, int mem,
                          size_t cols, const uint16_t *xr, const float *gamma, const float *beta,
                          float eps, int act, uint16_t *yr, float *mean_out, float *rstd_out,
                          float *heap, const uint16_t *next)
{
    _Alignas(64) float buf[SIMDNORM_BLOCK];
    const double inv_cols = 1.0 / (double)cols;
    simdnorm_norm_plan plan;
    float mean_f = 0.0f;
    if (rms) {
        double ss = storage == 1 ? (mem ? k->bf16_sumsq_seq : k->bf16_sumsq)(cols, xr)
                                 : (mem ? k->f16_sumsq_seq : k->f16_sumsq)(cols, xr);
        if (!simdnorm_fast_sumsq_ok(cols, ss)) {
            half_widen(k, storage)(cols, xr, heap);
            ss = k->f32_sumsq_exact(cols, heap);
        }
        plan = simdnorm_plan_normalize(cols, 0.0, ss * inv_cols, eps);
    } else {
        const simdnorm_moments m = simdnorm_span_moments_half(k, storage, cols, xr, mem, buf);
        const int finite = isfinite(m.mean) && isfinite(m.m2);
        /* a row with NaN/Inf: var NaN, the saved mean the plain float64
         * mean (nonfinite_mean) */
        const double var = finite ? m.m2 * inv_cols : NAN;
        mean_f = finite ? (float)m.mean
                        : simdnorm_canonical_nan(
                              (float)(simdnorm_half_sum(storage, cols, xr, 1) / (double)cols));
        plan = simdnorm_plan_normalize(cols, m.mean, var, eps);
    }
    half_apply(k, storage, stream, &plan, cols, xr, buf, gamma, beta, act, yr, next);
    if (mean_out)
        *mean_out = mean_f;
    if (rstd_out)
        *rstd_out = plan.rstd_f;
}

/* One call of the scratch path (or, long: of half_long_row). */
typedef struct half_call {
    const simdnorm_kernels *k;
    int rms, storage, act;
    size_t rows, cols, nparts;
    const uint16_t *x, *res;
    size_t x_stride, res_stride, y_stride, h_stride;
    const float *gamma, *beta, *bias;
    float eps;
    uint16_t *y, *h;
    float *mean, *rstd;
    float *heap; /* nparts * 2 * cols floats, or NULL: the stack scratch
                  * (long: nparts * cols floats for RMSNorm's rare rows
                  * longer than the stack scratch) */
    int long_rows, stream, mem; /* long: half_long_row's call */
} half_call;

/* Rows [r, r+m) through the float scratch hs (h) and ys (y), m*cols
 * floats each. All of the group's x and residual are read before any of
 * its y (or h) is written, so y == x or residual, h == x or residual work. */
static void half_group(const half_call *c, size_t r, size_t m, float *hs, float *ys)
{
    const simdnorm_bf16_add_fn add = c->storage == 1 ? c->k->bf16_add : c->k->f16_add;
    const simdnorm_bf16_narrow_fn narrow = half_narrow(c->k, c->storage);
    const size_t n = c->cols;
    for (size_t i = 0; i < m; i++)
        add(n, c->x + (r + i) * c->x_stride, c->res ? c->res + (r + i) * c->res_stride : NULL,
            c->bias, hs + i * n);
    if (c->h)
        for (size_t i = 0; i < m; i++)
            narrow(n, hs + i * n, c->h + (r + i) * c->h_stride);
    const simdnorm_norm_options o = {NULL, 0, NULL, (simdnorm_activation)c->act, NULL, 0};
    const row_job j = make_job(c->k, c->rms, m, n, hs, n, c->gamma, c->beta, c->eps, ys, n,
                               c->mean ? c->mean + r : NULL, c->rstd ? c->rstd + r : NULL, &o);
    run_rows(&j, 0, m);
    for (size_t i = 0; i < m; i++)
        narrow(n, ys + i * n, c->y + (r + i) * c->y_stride);
}

/* Parts [p0, p1) of the call: part p is rows [p*rows/nparts,
 * (p+1)*rows/nparts) with scratch of its own. */
static void half_parts(void *ctx, size_t p0, size_t p1)
{
    const half_call *c = (const half_call *)ctx;
    _Alignas(64) float stack[SCRATCH_FLOATS];
    if (c->long_rows) {
        for (size_t p = p0; p < p1; p++) {
            const size_t r1 = (p + 1) * c->rows / c->nparts;
            for (size_t r = p * c->rows / c->nparts; r < r1; r++)
                half_long_row(c->k, c->rms, c->storage, c->stream, c->mem, c->cols,
                              c->x + r * c->x_stride, c->gamma, c->beta, c->eps, c->act,
                              c->y + r * c->y_stride, c->mean ? c->mean + r : NULL,
                              c->rstd ? c->rstd + r : NULL,
                              c->heap ? c->heap + p * c->cols : stack,
                              c->mem && r + 1 < r1 ? c->x + (r + 1) * c->x_stride : NULL);
        }
        return;
    }
    for (size_t p = p0; p < p1; p++) {
        const size_t r0 = p * c->rows / c->nparts, r1 = (p + 1) * c->rows / c->nparts;
        float *hs = c->heap ? c->heap + p * 2 * c->cols : stack;
        size_t group = c->heap ? 1 : SCRATCH_FLOATS / (2 * c->cols);
        if (group > GROUP)
            group = GROUP;
        for (size_t r = r0; r < r1; r += group) {
            const size_t m = r1 - r < group ? r1 - r : group;
            half_group(c, r, m, hs, hs + m * c->cols);
        }
    }
}

/* The body of the 16-bit twins (x, y, residual, h: 16-bit of the storage). */
static simdnorm_status half_norm(int rms, int storage, size_t rows, size_t cols,
                                 const uint16_t *x, size_t x_stride, const float *gamma,
                                 const float *beta, float eps, uint16_t *y, size_t y_stride,
                                 float *mean, float *rstd, const opt_view *o)
{
    int done;
    const simdnorm_status st = check_rows(rows, cols, x, x_stride, gamma, beta, eps, y, y_stride,
                                          rms ? rstd : mean, rms ? NULL : rstd, o,
                                          sizeof(uint16_t), &done);
    if (st != SIMDNORM_OK || done)
        return st;
    const int add = view_adds(o);
    const int act = o ? (int)o->activation : SIMDNORM_ACT_NONE;
    const simdnorm_kernels *k = row_norm_kernels(rms, storage, rows, cols, beta, add, act);
    const size_t bytes = rows * cols * 2 * sizeof(uint16_t);
    if (!add && cols <= SIMDNORM_BLOCK) {
        half_engine_call c;
        memset(&c, 0, sizeof c);
        c.e.k = k;
        c.e.cols = cols;
        c.e.gamma = gamma;
        c.e.beta = rms ? NULL : beta;
        c.e.x_stride = x_stride;
        c.e.y_stride = y_stride;
        c.e.mean = rms ? NULL : mean;
        c.e.rstd = rstd;
        c.e.eps = eps;
        c.e.inv_cols = 1.0 / (double)cols;
        c.e.act = act;
        c.e.stream =
            half_engine_streams(rows, cols, y, y_stride) && simdnorm_act_streams(act) ? 2 : 0;
        c.e.from_memory = simdnorm_from_memory(rows * cols, sizeof(uint16_t));
        c.e.xh = x;
        c.e.yh = y;
        c.fn = storage == 1 ? (rms ? k->bf16_rms_norm_rows : k->bf16_layer_norm_rows)
                            : (rms ? k->f16_rms_norm_rows : k->f16_layer_norm_rows);
        const simdnorm_fpenv fe = simdnorm_fpenv_enter(); /* fpenv.h */
        simdnorm_parallel_for(rows, rows, bytes, half_engine_range, &c);
        simdnorm_fpenv_leave(fe);
        return SIMDNORM_OK;
    }
    const int nt = simdnorm_threads_for(bytes, rows);
    half_call c = {k, rms, storage, act, rows, cols, nt < 1 ? 1 : (size_t)nt, x,
                   add ? (const uint16_t *)o->residual : NULL, x_stride,
                   add ? o->residual_stride : 0, y_stride, add ? o->h_stride : 0, gamma,
                   rms ? NULL : beta, add ? o->bias : NULL, eps, y,
                   add ? (uint16_t *)(uintptr_t)o->h : NULL, rms ? NULL : mean, rstd, NULL,
                   !add, 0, 0};
    if (c.long_rows) {
        /* as the float32 call's long rows: streaming stores (pick_normalize)
         * and the sums in order from memory */
        c.mem = simdnorm_from_memory(rows * cols, sizeof(uint16_t));
        c.stream = c.mem && cols >= 1024 && simdnorm_act_streams(act);
        if (rms && cols > SCRATCH_FLOATS) { /* else the stack scratch */
            c.heap = malloc(c.nparts * cols * sizeof(float));
            if (!c.heap)
                return SIMDNORM_ERR_NOMEM;
        }
    } else if (2 * cols > SCRATCH_FLOATS) {
        c.heap = malloc(c.nparts * 2 * cols * sizeof(float));
        if (!c.heap)
            return SIMDNORM_ERR_NOMEM;
    }
    const simdnorm_fpenv fe = simdnorm_fpenv_enter(); /* fpenv.h */
    if (c.nparts <= 1)
        half_parts(&c, 0, 1);
    else
        simdnorm_parallel_run(nt, c.nparts, half_parts, &c);
    simdnorm_fpenv_leave(fe);
    free(c.heap);
    return SIMDNORM_OK;
}

#define HALF_TWINS_(S, N)                                                                       \
    static inline opt_view view_##S(const simdnorm_norm_options_##S *o)                          \
    {                                                                                           \
        const opt_view v = {o->residual, o->residual_stride, o->bias, o->activation, o->h,       \
                            o->h_stride};                                                       \
        return v;                                                                               \
    }                                                                                           \
    simdnorm_status simdnorm_layer_norm_##S(size_t rows, size_t cols, const simdnorm_##S *x,     \
                                            size_t x_stride, const float *gamma,                \
                                            const float *beta, float eps, simdnorm_##S *y,      \
                                            size_t y_stride, float *mean, float *rstd)          \
    {                                                                                           \
        return half_norm(0, N, rows, cols, x, x_stride, gamma, beta, eps, y, y_stride, mean,     \
                         rstd, NULL);                                                           \
    }                                                                                           \
    simdnorm_status simdnorm_rms_norm_##S(size_t rows, size_t cols, const simdnorm_##S *x,       \
                                          size_t x_stride, const float *gamma, float eps,       \
                                          simdnorm_##S *y, size_t y_stride, float *rstd)        \
    {                                                                                           \
        return half_norm(1, N, rows, cols, x, x_stride, gamma, NULL, eps, y, y_stride, NULL,     \
                         rstd, NULL);                                                           \
    }                                                                                           \
    simdnorm_status simdnorm_layer_norm_ex_##S(                                                 \
        size_t rows, size_t cols, const simdnorm_##S *x, size_t x_stride, const float *gamma,   \
        const float *beta, float eps, simdnorm_##S *y, size_t y_stride, float *mean,            \
        float *rstd, const simdnorm_norm_options_##S *opt)                                      \
    {                                                                                           \
        const opt_view v = opt ? view_##S(opt) : (opt_view){NULL, 0, NULL, SIMDNORM_ACT_NONE, NULL, 0}; \
        return half_norm(0, N, rows, cols, x, x_stride, gamma, beta, eps, y, y_stride, mean,     \
                         rstd, opt ? &v : NULL);                                                \
    }                                                                                           \
    simdnorm_status simdnorm_rms_norm_ex_##S(size_t rows, size_t cols, const simdnorm_##S *x,    \
                                             size_t x_stride, const float *gamma, float eps,    \
                                             simdnorm_##S *y, size_t y_stride, float *rstd,     \
                                             const simdnorm_norm_options_##S *opt)              \
    {                                                                                           \
        const opt_view v = opt ? view_##S(opt) : (opt_view){NULL, 0, NULL, SIMDNORM_ACT_NONE, NULL, 0}; \
        return half_norm(1, N, rows, cols, x, x_stride, gamma, NULL, eps, y, y_stride, NULL,     \
                         rstd, opt ? &v : NULL);                                                \
    }

HALF_TWINS_(bf16, 1)
HALF_TWINS_(f16, 2)
