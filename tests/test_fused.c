/* test_fused.c - the fused epilogues (residual add, activations) of every
 * public function on every ISA this CPU runs: against a float64 reference
 * of the fused formula, bit for bit against scalar, bit for bit against the
 * unfused composition (plain norm, then simdnorm_activate_f32), over tails,
 * strides, misalignment, in place (y or h on x or residual), guard pages,
 * sentinels, NaN/Inf rows, |mean|/std = 1e6, threads. The activations' own
 * accuracy on every range: test_act.c. */
#include "common.h"
#include "internal.h"

static const simdnorm_activation all_acts[] = {SIMDNORM_ACT_NONE, SIMDNORM_ACT_RELU,
                                               SIMDNORM_ACT_GELU_ERF, SIMDNORM_ACT_GELU_TANH,
                                               SIMDNORM_ACT_SILU};
#define N_ALL_ACTS (sizeof all_acts / sizeof *all_acts)

/* ---- the float64 reference ---------------------------------------------- */

static double ref_act(simdnorm_activation act, double v)
{
    switch (act) {
    case SIMDNORM_ACT_RELU: return isnan(v) ? v : v > 0 ? v : 0.0;
    case SIMDNORM_ACT_GELU_ERF: return 0.5 * v * (1.0 + erf(v * 0.70710678118654752440));
    case SIMDNORM_ACT_GELU_TANH:
        return 0.5 * v * (1.0 + tanh(0.79788456080286535588 * (v + 0.044715 * v * v * v)));
    case SIMDNORM_ACT_SILU: return v / (1.0 + exp(-v));
    default: return v;
    }
}

/* The bound of y = act(v) given v_ref, the float64 value of the norm's
 * output, and tol, the norm's own bound (|v - v_ref| <= tol*max(1,|v_ref|),
 * DESIGN §4): the norm's error carried through the activation, whose slope
 * is at most 1.13 (GELU 1.129, SiLU 1.100), plus the activation's own
 * (at most 2 ULP of the result, and 2^-23 max(1, |v|): tools/act-exhaustive),
 * taken as 4 * 2^-24 max(1, |v|). */
static double act_bound(simdnorm_activation act, double v_ref, double tol)
{
    const double scale = isfinite(v_ref) ? fmax(1.0, fabs(v_ref)) : 1.0;
    if (act == SIMDNORM_ACT_NONE || act == SIMDNORM_ACT_RELU)
        return tol * scale;
    return (1.13 * tol + 4.0 * 0x1p-24) * scale;
}

static int act_close(float got, simdnorm_activation act, double v_ref, double tol)
{
    const double want = ref_act(act, v_ref);
    if (isnan(want))
        return isnan(got);
    if (isinf(want))
        return isinf(got) && (got > 0) == (want > 0);
    return isfinite(got) && fabs((double)got - want) <= act_bound(act, v_ref, tol);
}

/* ---- row norms -------------------------------------------------------- */

typedef struct fproblem {
    int rms;
    size_t rows, cols, xs, rs, hs, ys; /* shape and strides (floats) */
    int residual, bias, hout;          /* which options are set */
    int gamma, beta;
    simdnorm_activation act;
    float eps;
    int y_on;      /* 0: own buffer, 1: y = x, 2: y = residual (in place) */
    int h_on;      /* 0: own buffer, 1: h = x, 2: h = residual */
    size_t misalign;
} fproblem;

typedef struct fdata {
    float *x, *r, *bias, *gamma, *beta;
} fdata;

static fdata make_data(const fproblem *p, double offset, double scale)
{
    fdata d;
    const size_t nx = (p->rows - 1) * p->xs + p->cols, nr = (p->rows - 1) * p->rs + p->cols;
    d.x = malloc(nx * sizeof(float));
    d.r = malloc(nr * sizeof(float));
    d.bias = malloc(p->cols * sizeof(float));
    d.gamma = malloc(p->cols * sizeof(float));
    d.beta = malloc(p->cols * sizeof(float));
    fill_normal(d.x, nx, offset, scale);
    fill_normal(d.r, nr, 0.0, scale);
    for (size_t j = 0; j < p->cols; j++) {
        d.bias[j] = (float)(0.5 * rng_normal());
        d.gamma[j] = (float)(0.5 + rng_unif());
        d.beta[j] = (float)(2.0 * rng_unif() - 1.0);
    }
    return d;
}

static void free_data(fdata d)
{
    free(d.x);
    free(d.r);
    free(d.bias);
    free(d.gamma);
    free(d.beta);
}

typedef struct frun {
    guarded_buf xb, rb, biasb, gb, bb, yb, hb, mb, sb;
    float *x, *r, *bias, *g, *b, *y, *h, *mean, *rstd;
    size_t ys, hs, y_len, h_len;
} frun;

/* Buffers of one problem, each ending at a guard page; y and h (when they
 * have their own) filled with sentinels, with a few more after the last
 * row. */
static frun make_frun(const fproblem *p, const fdata *d)
{
    frun f;
    memset(&f, 0, sizeof f);
    const size_t nx = (p->rows - 1) * p->xs + p->cols, nr = (p->rows - 1) * p->rs + p->cols;
    f.xb = guarded(nx + p->misalign);
    f.x = f.xb.p + p->misalign;
    memcpy(f.x, d->x, nx * sizeof(float));
    if (p->residual || p->y_on == 2 || p->h_on == 2) {
        f.rb = guarded(nr + p->misalign);
        f.r = f.rb.p + p->misalign;
        memcpy(f.r, d->r, nr * sizeof(float));
    }
    if (p->bias) {
        f.biasb = guarded(p->cols);
        f.bias = f.biasb.p;
        memcpy(f.bias, d->bias, p->cols * sizeof(float));
    }
    if (p->gamma) {
        f.gb = guarded(p->cols);
        f.g = f.gb.p;
        memcpy(f.g, d->gamma, p->cols * sizeof(float));
    }
    if (p->beta) {
        f.bb = guarded(p->cols);
        f.b = f.bb.p;
        memcpy(f.b, d->beta, p->cols * sizeof(float));
    }
    f.ys = p->y_on == 1 ? p->xs : p->y_on == 2 ? p->rs : p->ys;
    f.hs = p->h_on == 1 ? p->xs : p->h_on == 2 ? p->rs : p->hs;
    if (p->y_on == 1) {
        f.y = f.x;
    } else if (p->y_on == 2) {
        f.y = f.r;
    } else {
        f.y_len = (p->rows - 1) * p->ys + p->cols + 5;
        f.yb = guarded(f.y_len + p->misalign);
        f.y = f.yb.p + p->misalign;
        for (size_t i = 0; i < f.y_len; i++)
            f.y[i] = from_bits(SENTINEL_BITS);
    }
    if (p->hout) {
        if (p->h_on == 1) {
            f.h = f.x;
        } else if (p->h_on == 2) {
            f.h = f.r;
        } else {
            f.h_len = (p->rows - 1) * p->hs + p->cols + 3;
            f.hb = guarded(f.h_len);
            f.h = f.hb.p;
            for (size_t i = 0; i < f.h_len; i++)
                f.h[i] = from_bits(SENTINEL_BITS);
        }
    }
    f.mb = guarded(p->rows);
    f.sb = guarded(p->rows);
    f.mean = f.mb.p;
    f.rstd = f.sb.p;
    return f;
}

static void free_frun(frun *f)
{
    guarded_buf *bufs[] = {&f->xb, &f->rb, &f->biasb, &f->gb, &f->bb, &f->yb, &f->hb, &f->mb, &f->sb};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
        if (bufs[i]->base)
            guarded_free(*bufs[i]);
}

static simdnorm_status call_fused(const fproblem *p, frun *f)
{
    simdnorm_norm_options o;
    memset(&o, 0, sizeof o);
    o.residual = p->residual ? f->r : NULL;
    o.residual_stride = p->rs;
    o.bias = f->bias;
    o.activation = p->act;
    o.h = f->h;
    o.h_stride = f->hs;
    if (p->rms)
        return simdnorm_rms_norm_ex_f32(p->rows, p->cols, f->x, p->xs, f->g, p->eps, f->y, f->ys,
                                        f->rstd, &o);
    return simdnorm_layer_norm_ex_f32(p->rows, p->cols, f->x, p->xs, f->g, f->b, p->eps, f->y,
                                      f->ys, f->mean, f->rstd, &o);
}

/* h of row `row` as the contract defines it: (x + r) + bias in float. */
static void h_row(const fproblem *p, const fdata *d, size_t row, float *h)
{
    for (size_t j = 0; j < p->cols; j++) {
        float v = d->x[row * p->xs + j];
        if (p->residual)
            v = v + d->r[row * p->rs + j];
        if (p->bias)
            v = v + d->bias[j];
        h[j] = isnan(v) ? from_bits(SIMDNORM_CANONICAL_NAN_BITS) : v;
    }
}

/* One run on the active ISA: h bitwise the contract's, y and the saved
 * statistics against the float64 reference over h, nothing written outside
 * the rows; then y, h, mean, rstd bitwise equal to scalar's and to the
 * unfused composition (the plain norm of h, then simdnorm_activate_f32). */
static void check_fused(const fproblem *p, const fdata *d)
{
    const simdnorm_isa isa = simdnorm_active_isa();
    frun f = make_frun(p, d);
    CHECK(call_fused(p, &f) == SIMDNORM_OK, "status not OK");
    const double tol = (p->gamma || p->beta) ? 2e-6 : 1e-6;
    float *h = malloc(p->rows * p->cols * sizeof(float));
    int bad_y = 0, bad_h = 0;
    for (size_t row = 0; row < p->rows; row++) {
        float *hr = h + row * p->cols;
        h_row(p, d, row, hr);
        if (f.h)
            bad_h += memcmp(f.h + row * f.hs, hr, p->cols * sizeof(float)) != 0;
        const ref_stats s = p->rms ? ref_rms_norm_row(p->cols, hr, p->eps)
                                   : ref_layer_norm_row(p->cols, hr, p->eps);
        if (!p->rms && isfinite(s.mean))
            CHECK(fabs((double)f.mean[row] - s.mean) <=
                      1e-6 * fmax(fabs(s.mean), sqrt(s.var)) + 0x1p-150,
                  "row %zu: mean %.9g, reference %.17g", row, f.mean[row], s.mean);
        if (isfinite(s.rstd) && s.rstd >= FLT_MIN && s.rstd <= FLT_MAX)
            CHECK(fabs((double)f.rstd[row] - s.rstd) <= 1e-6 * s.rstd,
                  "row %zu: rstd %.9g, reference %.17g", row, f.rstd[row], s.rstd);
        for (size_t j = 0; j < p->cols; j++) {
            double v = ((double)hr[j] - s.mean) * s.rstd;
            if (p->gamma)
                v *= d->gamma[j];
            if (p->beta && !p->rms)
                v += d->beta[j];
            const float got = f.y[row * f.ys + j];
            if (!act_close(got, p->act, v, tol) && bad_y++ < 3)
                CHECK(0, "%s act %d row %zu col %zu of %zu: y %.9g, reference %.17g (v %.9g)",
                      p->rms ? "rms" : "ln", p->act, row, j, p->cols, got, ref_act(p->act, v), v);
            if (isnan(got))
                CHECK(fbits(got) == SIMDNORM_CANONICAL_NAN_BITS, "non-canonical NaN");
        }
    }
    CHECK(bad_y == 0, "%d y values outside the bound", bad_y);
    CHECK(bad_h == 0, "%d rows of h differ from (x + residual) + bias", bad_h);
    size_t gaps = 0;
    for (size_t i = 0; i < f.y_len; i++)
        if ((i / p->ys >= p->rows || i % p->ys >= p->cols) && fbits(f.y[i]) != SENTINEL_BITS)
            gaps++;
    for (size_t i = 0; i < f.h_len; i++)
        if ((i / p->hs >= p->rows || i % p->hs >= p->cols) && fbits(f.h[i]) != SENTINEL_BITS)
            gaps++;
    CHECK(gaps == 0, "%zu floats outside the rows of y or h written", gaps);

    /* the unfused composition on the same ISA: the same bits */
    float *y2 = malloc(p->rows * p->cols * sizeof(float));
    float m2[64], r2[64];
    const size_t rows_u = p->rows < 64 ? p->rows : 64;
    if (p->rms)
        simdnorm_rms_norm_f32(rows_u, p->cols, h, p->cols, f.g, p->eps, y2, p->cols, r2);
    else
        simdnorm_layer_norm_f32(rows_u, p->cols, h, p->cols, f.g, f.b, p->eps, y2, p->cols, m2, r2);
    simdnorm_activate_f32(rows_u * p->cols, y2, p->act, y2);
    size_t diff = 0;
    for (size_t row = 0; row < rows_u; row++)
        diff += memcmp(f.y + row * f.ys, y2 + row * p->cols, p->cols * sizeof(float)) != 0;
    CHECK(diff == 0, "%zu rows differ from norm-then-activate", diff);
    CHECK(memcmp(f.rstd, r2, rows_u * sizeof(float)) == 0, "rstd differs from the plain norm of h");
    if (!p->rms)
        CHECK(memcmp(f.mean, m2, rows_u * sizeof(float)) == 0,
              "mean differs from the plain norm of h");

    if (isa != SIMDNORM_ISA_SCALAR) {
        simdnorm_set_isa(SIMDNORM_ISA_SCALAR);
        frun s = make_frun(p, d);
        call_fused(p, &s);
        simdnorm_set_isa(isa);
        size_t dy = 0, dh = 0;
        for (size_t row = 0; row < p->rows; row++) {
            dy += memcmp(f.y + row * f.ys, s.y + row * s.ys, p->cols * sizeof(float)) != 0;
            if (f.h)
                dh += memcmp(f.h + row * f.hs, s.h + row * s.hs, p->cols * sizeof(float)) != 0;
        }
        CHECK(dy == 0 && dh == 0, "%zu rows of y, %zu of h differ from scalar", dy, dh);
        CHECK(memcmp(f.rstd, s.rstd, p->rows * sizeof(float)) == 0 &&
                  (p->rms || memcmp(f.mean, s.mean, p->rows * sizeof(float)) == 0),
              "saved statistics differ from scalar");
        free_frun(&s);
    }
    free(y2);
    free(h);
    free_frun(&f);
}

/* Every activation on both norms over lengths 1..64 and a few long ones
 * (longer than a block: the per-row path; longer than the add's scratch
 * buffer: h formed in y or h); the residual/bias/h options and gamma/beta
 * cycle with the length so that every combination occurs. */
static void case_lengths_every_option(void)
{
    static const size_t extra[] = {255, 768, 1000, 4097, 8191, 8193, 12289};
    const size_t nlen = 64 + sizeof extra / sizeof *extra;
    for (size_t li = 0; li < nlen; li++) {
        const size_t n = li < 64 ? li + 1 : extra[li - 64];
        for (size_t a = 0; a < N_ALL_ACTS; a++)
            for (int rms = 0; rms < 2; rms++) {
                const size_t k = li + a + (size_t)rms;
                fproblem p = {0};
                p.rms = rms;
                p.rows = n > 1000 ? 2 : 3;
                p.cols = p.xs = p.rs = p.hs = p.ys = n;
                p.residual = k % 4 != 3;
                p.bias = k % 4 >= 2;
                p.hout = (k / 4) % 2;
                p.gamma = (k / 2) % 2;
                p.beta = !rms && k % 3 == 0;
                p.act = all_acts[a];
                p.eps = 1e-5f;
                rng_seed(n * 10 + a);
                fdata d = make_data(&p, 0.5, 1.0 + (double)(n % 3));
                check_fused(&p, &d);
                free_data(d);
            }
    }
}

/* Tiny rows (1-7 floats) in blocks of a vector's count of rows with every
 * activation: the row engine's rows in lanes normalize them row by row
 * with the activation loops (no packed blocks with an activation); with
 * and without a residual. */
static void case_tiny_rows_every_activation(void)
{
    for (size_t n = 1; n <= 7; n++)
        for (size_t a = 0; a < N_ALL_ACTS; a++)
            for (int rms = 0; rms < 2; rms++) {
                fproblem p = {0};
                p.rms = rms;
                p.rows = 37;
                p.cols = p.xs = p.rs = p.hs = p.ys = n;
                p.residual = (n + a) % 2;
                p.gamma = 1;
                p.beta = !rms;
                p.act = all_acts[a];
                p.eps = 1e-5f;
                rng_seed(700 + n * 10 + a);
                fdata d = make_data(&p, 0.5, 2.0);
                check_fused(&p, &d);
                free_data(d);
            }
}

/* Strides (every matrix its own), misalignment, and y and h in place on x
 * or residual: all the same bits as out of place. */
static void case_strides_in_place(void)
{
    static const size_t cols[] = {1, 7, 33, 100, 257};
    for (size_t c = 0; c < sizeof cols / sizeof *cols; c++)
        for (int mode = 0; mode < 5; mode++) {
            const size_t n = cols[c];
            fproblem p = {0};
            p.rms = mode % 2;
            p.rows = 5;
            p.cols = n;
            p.xs = n + 3;
            p.rs = n + 1;
            p.hs = n + 5;
            p.ys = n + 2;
            p.residual = p.bias = p.hout = 1;
            p.gamma = 1;
            p.beta = !p.rms;
            p.act = all_acts[(c + (size_t)mode) % N_ALL_ACTS];
            p.eps = 1e-5f;
            p.misalign = (size_t)mode * 3;
            rng_seed(900 + n * 8 + (size_t)mode);
            fdata d = make_data(&p, -1.0, 2.0);
            check_fused(&p, &d);
            /* mode 1..4: y = x, y = residual, h = x, h = residual */
            fproblem q = p;
            q.y_on = mode == 1 ? 1 : mode == 2 ? 2 : 0;
            q.h_on = mode == 3 ? 1 : mode == 4 ? 2 : 0;
            if (mode > 0) {
                check_fused(&q, &d);
                frun a = make_frun(&p, &d), b = make_frun(&q, &d);
                CHECK(call_fused(&p, &a) == SIMDNORM_OK && call_fused(&q, &b) == SIMDNORM_OK,
                      "call failed");
                size_t diff = 0;
                for (size_t row = 0; row < p.rows; row++)
                    diff += memcmp(a.y + row * a.ys, b.y + row * b.ys, n * sizeof(float)) != 0 ||
                            memcmp(a.h + row * a.hs, b.h + row * b.hs, n * sizeof(float)) != 0;
                CHECK(diff == 0, "cols %zu mode %d: in place differs from out of place", n, mode);
                free_frun(&a);
                free_frun(&b);
            }
            free_data(d);
        }
}

/* h with |mean|/std = 1e6 (the residual carries the offset), and rows with
 * NaN/Inf in x or residual, which stay in their rows. */
static void case_offset_and_nan_rows(void)
{
    for (size_t a = 0; a < N_ALL_ACTS; a++)
        for (int rms = 0; rms < 2; rms++) {
            fproblem p = {0};
            p.rms = rms;
            p.rows = 6;
            p.cols = p.xs = p.rs = p.hs = p.ys = 777;
            p.residual = p.bias = p.hout = 1;
            p.gamma = 1;
            p.beta = !rms;
            p.act = all_acts[a];
            p.eps = 0.0f;
            rng_seed(77 + a);
            fdata d = make_data(&p, 0.0, 1.0);
            for (size_t j = 0; j < p.cols; j++)
                d.r[j] += 1e6f; /* row 0: h about 1e6 */
            d.r[2 * p.cols + 5] = INFINITY;
            d.x[3 * p.cols + 7] = NAN;
            d.x[4 * p.cols + 1] = INFINITY;
            d.r[4 * p.cols + 1] = -INFINITY; /* Inf - Inf */
            check_fused(&p, &d);
            free_data(d);
        }
}

/* opt NULL and an all-zero opt are the plain functions, bit for bit. */
static void case_no_options_is_plain(void)
{
    const size_t rows = 9, cols = 300;
    rng_seed(31);
    float *x = malloc(rows * cols * sizeof(float)), *g = malloc(cols * sizeof(float));
    float *b = malloc(cols * sizeof(float)), *y[3], m[3][30], r[3][30]; /* rows (9) or channels (30) */
    fill_normal(x, rows * cols, 2.0, 3.0);
    fill_normal(g, cols, 1.0, 0.2);
    fill_normal(b, cols, 0.0, 1.0);
    for (int i = 0; i < 3; i++)
        y[i] = malloc(rows * cols * sizeof(float));
    simdnorm_norm_options zero;
    memset(&zero, 0, sizeof zero);
    simdnorm_layer_norm_f32(rows, cols, x, cols, g, b, 1e-5f, y[0], cols, m[0], r[0]);
    simdnorm_layer_norm_ex_f32(rows, cols, x, cols, g, b, 1e-5f, y[1], cols, m[1], r[1], NULL);
    simdnorm_layer_norm_ex_f32(rows, cols, x, cols, g, b, 1e-5f, y[2], cols, m[2], r[2], &zero);
    for (int i = 1; i < 3; i++)
        CHECK(memcmp(y[0], y[i], rows * cols * sizeof(float)) == 0 &&
                  memcmp(m[0], m[i], rows * sizeof(float)) == 0 &&
                  memcmp(r[0], r[i], rows * sizeof(float)) == 0,
              "layer_norm_ex (%s) differs from layer_norm", i == 1 ? "NULL" : "zero options");
    simdnorm_rms_norm_f32(rows, cols, x, cols, g, 1e-5f, y[0], cols, r[0]);
    simdnorm_rms_norm_ex_f32(rows, cols, x, cols, g, 1e-5f, y[1], cols, r[1], NULL);
    simdnorm_rms_norm_ex_f32(rows, cols, x, cols, g, 1e-5f, y[2], cols, r[2], &zero);
    for (int i = 1; i < 3; i++)
        CHECK(memcmp(y[0], y[i], rows * cols * sizeof(float)) == 0 &&
                  memcmp(r[0], r[i], rows * sizeof(float)) == 0,
              "rms_norm_ex (%s) differs from rms_norm", i == 1 ? "NULL" : "zero options");
    for (int lay = 0; lay < 2; lay++) {
        const simdnorm_layout l = lay ? SIMDNORM_NHWC : SIMDNORM_NCHW;
        /* 3 x 30 channels x 10 positions */
        simdnorm_batch_norm_train_f32(l, 3, 30, 10, x, g, b, 1e-5f, 0.1f, NULL, NULL, y[0], m[0],
                                      r[0]);
        simdnorm_batch_norm_train_ex_f32(l, 3, 30, 10, x, g, b, 1e-5f, 0.1f, NULL, NULL, y[1],
                                         m[1], r[1], &zero);
        CHECK(memcmp(y[0], y[1], 900 * sizeof(float)) == 0, "batch_norm_train_ex differs");
        simdnorm_batch_norm_infer_f32(l, 3, 30, 10, x, g, b, b, g, 1e-5f, y[0]);
        simdnorm_batch_norm_infer_ex_f32(l, 3, 30, 10, x, g, b, b, g, 1e-5f, y[1], NULL);
        CHECK(memcmp(y[0], y[1], 900 * sizeof(float)) == 0, "batch_norm_infer_ex differs");
    }
    for (int i = 0; i < 3; i++)
        free(y[i]);
    free(x);
    free(g);
    free(b);
}

/* Rows split over threads: the same bits for 1, 2, 3 and 5 threads. */
static void case_threads_bitwise(void)
{
    const size_t rows = 192, cols = 1024, n = rows * cols;
    rng_seed(41);
    float *x = malloc(n * sizeof(float)), *r = malloc(n * sizeof(float));
    float *y0 = malloc(n * sizeof(float)), *y1 = malloc(n * sizeof(float));
    float *h0 = malloc(n * sizeof(float)), *h1 = malloc(n * sizeof(float));
    fill_normal(x, n, 1.0, 2.0);
    fill_normal(r, n, 0.0, 1.0);
    const int before = simdnorm_get_num_threads();
    for (int rms = 0; rms < 2; rms++) {
        simdnorm_norm_options o = {r, cols, NULL, rms ? SIMDNORM_ACT_SILU : SIMDNORM_ACT_GELU_ERF,
                                   h0, cols};
        static const int counts[] = {1, 2, 3, 5};
        for (int t = 0; t < 4; t++) {
            simdnorm_set_num_threads(counts[t]);
            o.h = t ? h1 : h0;
            float *y = t ? y1 : y0;
            if (rms)
                simdnorm_rms_norm_ex_f32(rows, cols, x, cols, NULL, 1e-5f, y, cols, NULL, &o);
            else
                simdnorm_layer_norm_ex_f32(rows, cols, x, cols, NULL, NULL, 1e-5f, y, cols, NULL,
                                           NULL, &o);
            if (t)
                CHECK(memcmp(y0, y1, n * sizeof(float)) == 0 && memcmp(h0, h1, n * sizeof(float)) == 0,
                      "%s with %d threads differs from 1 thread", rms ? "rms" : "ln", counts[t]);
        }
    }
    simdnorm_set_num_threads(before);
    free(x);
    free(r);
    free(y0);
    free(y1);
    free(h0);
    free(h1);
}

/* A call large enough for streaming stores (x + y > 24 MiB, rows of 2048):
 * y and h (copied out of the scratch with the streaming identity) bitwise
 * what the unfused composition gives, h the contract's. */
static void case_large_streaming(void)
{
    const size_t rows = 1600, cols = 2048, n = rows * cols;
    rng_seed(61);
    float *x = malloc(n * sizeof(float)), *r = malloc(n * sizeof(float));
    float *bias = malloc(cols * sizeof(float)), *y = malloc(n * sizeof(float));
    float *h = malloc(n * sizeof(float)), *y2 = malloc(n * sizeof(float));
    fill_normal(x, n, 1.0, 2.0);
    fill_normal(r, n, 0.0, 1.0);
    fill_normal(bias, cols, 0.0, 0.1);
    for (int rms = 0; rms < 2; rms++) {
        simdnorm_norm_options o = {r, cols, bias, SIMDNORM_ACT_RELU, h, cols};
        if (rms)
            simdnorm_rms_norm_ex_f32(rows, cols, x, cols, NULL, 1e-5f, y, cols, NULL, &o);
        else
            simdnorm_layer_norm_ex_f32(rows, cols, x, cols, NULL, NULL, 1e-5f, y, cols, NULL, NULL,
                                       &o);
        size_t bad_h = 0;
        for (size_t i = 0; i < n; i++) {
            y2[i] = (x[i] + r[i]) + bias[i % cols];
            bad_h += fbits(y2[i]) != fbits(h[i]);
        }
        CHECK(bad_h == 0, "%s: %zu values of h are not (x + residual) + bias", rms ? "rms" : "ln",
              bad_h);
        if (rms)
            simdnorm_rms_norm_f32(rows, cols, y2, cols, NULL, 1e-5f, y2, cols, NULL);
        else
            simdnorm_layer_norm_f32(rows, cols, y2, cols, NULL, NULL, 1e-5f, y2, cols, NULL, NULL);
        simdnorm_activate_f32(n, y2, SIMDNORM_ACT_RELU, y2);
        CHECK(memcmp(y, y2, n * sizeof(float)) == 0, "%s: y differs from the unfused composition",
              rms ? "rms" : "ln");
    }
    free(x);
    free(r);
    free(bias);
    free(y);
    free(h);
    free(y2);
}

/* Calls from memory (x + y > 24 MiB): the row engine's short rows (33
 * floats with the next batch's statistics taken ahead, 64 without), its
 * in-order sums, batches that prefetch the next batch's rows (200 floats),
 * rows of >= 512 floats one at a time and streaming stores
 * of rows off the cache lines (1000 floats), rows whose LayerNorm an
 * AVX-512 call hands to AVX2's kernels (3072 floats; 4097 too: dispatch/
 * rows.c, row_norm_kernels; with and without ReLU), and the per-row path's
 * in-order block sums (4097 floats: two blocks) - bitwise the rows that
 * small calls, which run in cache, give. A NaN row and a row 1e6 off zero (the slow paths) included.
 * Vector ISAs only (scalar has neither interleaved sums nor streaming
 * stores; these sizes are slow under valgrind). */
static void case_large_from_memory(void)
{
    static const size_t widths[] = {33, 64, 200, 1000, 3072, 4097};
    for (size_t wi = 0; wi < sizeof widths / sizeof *widths; wi++) {
        const size_t cols = widths[wi], rows = ((size_t)13 << 20) / (cols * sizeof(float)) + 3;
        const size_t n = rows * cols;
        rng_seed(71 + wi);
        float *x = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float));
        float *y2 = malloc(n * sizeof(float)), *g = malloc(cols * sizeof(float));
        float *b = malloc(cols * sizeof(float));
        float *st = malloc(4 * rows * sizeof(float));
        float *mean = st, *rstd = st + rows, *mean2 = st + 2 * rows, *rstd2 = st + 3 * rows;
        fill_normal(x, n, 3.0, 2.0);
        fill_normal(g, cols, 1.0, 0.2);
        fill_normal(b, cols, 0.0, 0.2);
        x[5 * cols + 7] = NAN;
        for (size_t i = 0; i < cols; i++)
            x[9 * cols + i] += 1e6f;
        for (int rms = 0; rms < 2; rms++) {
            if (rms)
                simdnorm_rms_norm_f32(rows, cols, x, cols, g, 1e-5f, y, cols, rstd);
            else
                simdnorm_layer_norm_f32(rows, cols, x, cols, g, b, 1e-5f, y, cols, mean, rstd);
            for (size_t r0 = 0; r0 < rows; r0 += 64) {
                const size_t m = rows - r0 < 64 ? rows - r0 : 64;
                if (rms)
                    simdnorm_rms_norm_f32(m, cols, x + r0 * cols, cols, g, 1e-5f, y2 + r0 * cols,
                                          cols, rstd2 + r0);
                else
                    simdnorm_layer_norm_f32(m, cols, x + r0 * cols, cols, g, b, 1e-5f,
                                            y2 + r0 * cols, cols, mean2 + r0, rstd2 + r0);
            }
            CHECK(memcmp(y, y2, n * sizeof(float)) == 0 &&
                      memcmp(rstd, rstd2, rows * sizeof(float)) == 0 &&
                      (rms || memcmp(mean, mean2, rows * sizeof(float)) == 0),
                  "%s, %zu x %zu: the large call differs from 64-row calls", rms ? "rms" : "ln",
                  rows, cols);
            /* the backward's dx (in-order row sums), dy = y: into y2, then
             * the 64-row calls in place on y */
            if (rms)
                simdnorm_rms_norm_bwd_f32(rows, cols, y, cols, x, cols, g, rstd, y2, cols, NULL);
            else
                simdnorm_layer_norm_bwd_f32(rows, cols, y, cols, x, cols, g, mean, rstd, y2, cols,
                                            NULL, NULL);
            for (size_t r0 = 0; r0 < rows; r0 += 64) {
                const size_t m = rows - r0 < 64 ? rows - r0 : 64, o = r0 * cols;
                if (rms)
                    simdnorm_rms_norm_bwd_f32(m, cols, y + o, cols, x + o, cols, g, rstd + r0,
                                              y + o, cols, NULL);
                else
                    simdnorm_layer_norm_bwd_f32(m, cols, y + o, cols, x + o, cols, g, mean + r0,
                                                rstd + r0, y + o, cols, NULL, NULL);
            }
            CHECK(memcmp(y, y2, n * sizeof(float)) == 0,
                  "%s backward, %zu x %zu: the large call's dx differs from 64-row calls",
                  rms ? "rms" : "ln", rows, cols);
        }
        /* LayerNorm + ReLU (AVX-512 hands it to AVX2 at 3072 and 4097) */
        const simdnorm_norm_options relu = {NULL, 0, NULL, SIMDNORM_ACT_RELU, NULL, 0};
        simdnorm_layer_norm_ex_f32(rows, cols, x, cols, g, b, 1e-5f, y, cols, NULL, NULL, &relu);
        for (size_t r0 = 0; r0 < rows; r0 += 64) {
            const size_t m = rows - r0 < 64 ? rows - r0 : 64;
            simdnorm_layer_norm_ex_f32(m, cols, x + r0 * cols, cols, g, b, 1e-5f, y2 + r0 * cols,
                                       cols, NULL, NULL, &relu);
        }
        CHECK(memcmp(y, y2, n * sizeof(float)) == 0,
              "ln + relu, %zu x %zu: the large call differs from 64-row calls", rows, cols);
        free(x);
        free(y);
        free(y2);
        free(g);
        free(b);
        free(st);
    }
}

/* Calls from memory whose gamma and beta lie d bytes before the rows of y
 * modulo 4 KiB (d = 4: the row norms read copies of them placed away from
 * y, dispatch/rows.c place_affine; d = 2048: the caller's): rows of 1024
 * floats (every row at one offset), 768 (four offsets), 1000 in a stride of
 * 1024; LayerNorm with gamma and beta, with beta alone, RMSNorm - bitwise
 * the same rows in 64-row calls (in cache: no copies). */
static void case_from_memory_affine_placed(void)
{
    static const size_t shapes[][2] = {{1024, 1024}, {768, 768}, {1000, 1024}};
    for (size_t si = 0; si < sizeof shapes / sizeof *shapes; si++) {
        const size_t cols = shapes[si][0], ld = shapes[si][1];
        const size_t rows = ((size_t)13 << 20) / (ld * sizeof(float)) + 1, n = rows * ld;
        rng_seed(91 + si);
        /* aligned_alloc: sizes a multiple of the alignment (C11) */
        const size_t yb = (n * sizeof(float) + 4095) & ~(size_t)4095;
        float *x = malloc(n * sizeof(float)), *y = aligned_alloc(4096, yb);
        float *y2 = malloc(n * sizeof(float));
        /* gamma up to 4092 bytes in, beta a page past gamma's span */
        const size_t span = (ld * sizeof(float) + 4095) & ~(size_t)4095;
        char *gb = aligned_alloc(4096, 2 * 4096 + 2 * span);
        float *st = malloc(4 * rows * sizeof(float));
        float *mean = st, *rstd = st + rows, *mean2 = st + 2 * rows, *rstd2 = st + 3 * rows;
        fill_normal(x, n, 3.0, 2.0);
        for (size_t dd = 0; dd < 2; dd++) {
            const size_t d = dd ? 2048 : 4;
            float *g = (float *)(void *)(gb + ((4096 - d) & 4095));
            float *b = (float *)(void *)((char *)g + span + 4096);
            fill_normal(g, cols, 1.0, 0.2);
            fill_normal(b, cols, 0.5, 0.2);
            for (int v = 0; v < 3; v++) { /* LayerNorm gamma and beta, beta alone; RMSNorm */
                const float *gv = v == 1 ? NULL : g;
                memset(y, 0, n * sizeof(float));
                memcpy(y2, y, n * sizeof(float));
                if (v == 2)
                    simdnorm_rms_norm_f32(rows, cols, x, ld, gv, 1e-5f, y, ld, rstd);
                else
                    simdnorm_layer_norm_f32(rows, cols, x, ld, gv, b, 1e-5f, y, ld, mean, rstd);
                for (size_t r0 = 0; r0 < rows; r0 += 64) {
                    const size_t m = rows - r0 < 64 ? rows - r0 : 64, o = r0 * ld;
                    if (v == 2)
                        simdnorm_rms_norm_f32(m, cols, x + o, ld, gv, 1e-5f, y2 + o, ld,
                                              rstd2 + r0);
                    else
                        simdnorm_layer_norm_f32(m, cols, x + o, ld, gv, b, 1e-5f, y2 + o, ld,
                                                mean2 + r0, rstd2 + r0);
                }
                CHECK(memcmp(y, y2, n * sizeof(float)) == 0 &&
                          memcmp(rstd, rstd2, rows * sizeof(float)) == 0 &&
                          (v == 2 || memcmp(mean, mean2, rows * sizeof(float)) == 0),
                      "%zu x %zu (stride %zu), gamma/beta %zu bytes before y modulo 4 KiB, "
                      "variant %d: differs from 64-row calls",
                      rows, cols, ld, d, v);
            }
        }
        free(x);
        free(y);
        free(y2);
        free(gb);
        free(st);
    }
}

/* BatchNorm and GroupNorm (NCHW) from memory: a training call's planes of
 * 3136 floats (f32_moments_seq plane by plane) and of 2^20 floats (in-order
 * block sums), bitwise what train_from_moments gives with the moments of
 * 8-sample pieces (small calls: in cache) merged as the sample tree does;
 * GroupNorm spans of 2048 and 2^18 floats against 64-sample calls. */
static void case_large_from_memory_channels(void)
{
    static const struct {
        size_t n, c, sp, groups;
    } shapes[] = {{64, 16, 3136, 4}, {2, 2, (size_t)1 << 20, 1}, {1024, 4, 1024, 2},
                  {4, 8, (size_t)1 << 17, 4}};
    for (size_t si = 0; si < sizeof shapes / sizeof *shapes; si++) {
        const size_t n = shapes[si].n, c = shapes[si].c, sp = shapes[si].sp, total = n * c * sp;
        const size_t groups = shapes[si].groups, piece = n < 8 ? 1 : 8;
        rng_seed(81 + si);
        float *x = malloc(total * sizeof(float)), *y = malloc(total * sizeof(float));
        float *y2 = malloc(total * sizeof(float)), *st = malloc(4 * n * c * sizeof(float));
        simdnorm_moments *pm = malloc(n * c * sizeof(simdnorm_moments));
        fill_normal(x, total, 3.0, 2.0);
        x[sp + 5] = 1e6f; /* a plane far from the others' scale */
        if (si < 2) { /* BatchNorm training */
            simdnorm_batch_norm_train_f32(SIMDNORM_NCHW, n, c, sp, x, NULL, NULL, 1e-5f, 0.1f,
                                          NULL, NULL, y, st, st + c);
            const size_t np = n / piece;
            for (size_t p = 0; p < np; p++)
                simdnorm_batch_norm_moments_f32(SIMDNORM_NCHW, piece, c, sp,
                                                x + p * piece * c * sp, pm + p * c);
            for (size_t w = 1; w < np; w *= 2) /* the tree over the pieces */
                for (size_t p = 0; p + w < np; p += 2 * w)
                    simdnorm_moments_merge(c, pm + p * c, pm + (p + w) * c, pm + p * c);
            simdnorm_batch_norm_train_from_moments_f32(SIMDNORM_NCHW, n, c, sp, x, pm, NULL, NULL,
                                                       1e-5f, 0.1f, NULL, NULL, y2, st + 2 * c,
                                                       st + 3 * c);
            CHECK(memcmp(st, st + 2 * c, 2 * c * sizeof(float)) == 0 &&
                      memcmp(y, y2, total * sizeof(float)) == 0,
                  "BatchNorm (%zu, %zu, %zu): the large call differs from merged pieces", n, c, sp);
        } else { /* GroupNorm */
            const size_t gs = n < 64 ? 1 : 64;
            simdnorm_group_norm_f32(SIMDNORM_NCHW, n, c, sp, groups, x, NULL, NULL, 1e-5f, y, st,
                                    st + n * groups);
            for (size_t s0 = 0; s0 < n; s0 += gs)
                simdnorm_group_norm_f32(SIMDNORM_NCHW, gs, c, sp, groups, x + s0 * c * sp, NULL,
                                        NULL, 1e-5f, y2 + s0 * c * sp,
                                        st + 2 * n * groups + s0 * groups,
                                        st + 3 * n * groups + s0 * groups);
            CHECK(memcmp(st, st + 2 * n * groups, 2 * n * groups * sizeof(float)) == 0 &&
                      memcmp(y, y2, total * sizeof(float)) == 0,
                  "GroupNorm (%zu, %zu, %zu, %zu): the large call differs from small ones", n, c,
                  sp, groups);
        }
        free(x);
        free(y);
        free(y2);
        free(st);
        free(pm);
    }
}

/* ---- BatchNorm -------------------------------------------------------- */

/* Training and inference, both layouts (and 2-D), every activation: against
 * the float64 reference of act(BatchNorm), bit for bit against the plain
 * call followed by simdnorm_activate_f32 and against scalar; in place. One
 * channel holds a NaN and one is huge (both take the slow path, whose
 * activation is a pass of its own). */
static void case_batch_norm(void)
{
    static const struct {
        size_t n, c, sp;
    } shapes[] = {{2, 5, 33}, {3, 19, 4}, {17, 7, 1}, {4, 70, 3}, {2, 3, 700}};
    for (size_t si = 0; si < sizeof shapes / sizeof *shapes; si++)
        for (int lay = 0; lay < 2; lay++)
            for (size_t a = 1; a < N_ALL_ACTS; a++)
                for (int train = 0; train < 2; train++) {
                    const size_t n = shapes[si].n, c = shapes[si].c, sp = shapes[si].sp;
                    const size_t total = n * c * sp, m = n * sp;
                    const simdnorm_layout l = lay ? SIMDNORM_NHWC : SIMDNORM_NCHW;
                    const simdnorm_activation act = all_acts[a];
                    rng_seed(300 + si * 13 + (size_t)lay * 5 + a * 2 + (size_t)train);
                    guarded_buf xb = guarded(total), yb = guarded(total), y2b = guarded(total);
                    float *x = xb.p, *y = yb.p, *y2 = y2b.p;
                    float g[70], b[70], mean[70], var[70], sm[70], sr[70];
                    fill_normal(x, total, 0.5, 2.0);
                    for (size_t ch = 0; ch < c; ch++) {
                        g[ch] = (float)(0.5 + rng_unif());
                        b[ch] = (float)rng_normal();
                        mean[ch] = (float)(0.5 + 0.1 * rng_normal());
                        var[ch] = (float)(4.0 * (0.8 + 0.4 * rng_unif()));
                    }
                    /* channel 1: a NaN; channel 2 (training): huge values */
                    const size_t i1 = lay ? 1 : sp, c2 = c > 2 ? 2 : 0;
                    if (c > 1)
                        x[i1] = NAN;
                    if (train && c2)
                        for (size_t e = 0; e < m; e++)
                            x[lay ? e * c + c2 : ((e / sp) * c + c2) * sp + e % sp] *= 1e37f;
                    simdnorm_norm_options o;
                    memset(&o, 0, sizeof o);
                    o.activation = act;
                    simdnorm_status st =
                        train ? simdnorm_batch_norm_train_ex_f32(l, n, c, sp, x, g, b, 1e-5f, 0.1f,
                                                                 NULL, NULL, y, sm, sr, &o)
                              : simdnorm_batch_norm_infer_ex_f32(l, n, c, sp, x, g, b, mean, var,
                                                                 1e-5f, y, &o);
                    CHECK(st == SIMDNORM_OK, "status %d", st);
                    /* reference */
                    int bad = 0;
                    for (size_t ch = 0; ch < c; ch++) {
                        double mu = mean[ch], va = var[ch];
                        if (train) {
                            double s = 0, q = 0;
                            for (size_t e = 0; e < m; e++)
                                s += x[lay ? e * c + ch : ((e / sp) * c + ch) * sp + e % sp];
                            mu = s / (double)m;
                            for (size_t e = 0; e < m; e++) {
                                const double dv =
                                    x[lay ? e * c + ch : ((e / sp) * c + ch) * sp + e % sp] - mu;
                                q += dv * dv;
                            }
                            va = q / (double)m;
                        }
                        const double rs = 1.0 / sqrt(va + 1e-5);
                        for (size_t e = 0; e < m; e++) {
                            const size_t i = lay ? e * c + ch : ((e / sp) * c + ch) * sp + e % sp;
                            const double v = ((double)x[i] - mu) * rs * g[ch] + b[ch];
                            if (!act_close(y[i], act, v, 2e-6) && bad++ < 3)
                                CHECK(0, "shape %zu layout %d act %d train %d: y[%zu] %.9g, reference %.17g",
                                      si, lay, act, train, i, y[i], ref_act(act, v));
                        }
                    }
                    CHECK(bad == 0, "%d values outside the bound", bad);
                    /* unfused: plain, then the activation */
                    if (train)
                        simdnorm_batch_norm_train_f32(l, n, c, sp, x, g, b, 1e-5f, 0.1f, NULL, NULL,
                                                      y2, NULL, NULL);
                    else
                        simdnorm_batch_norm_infer_f32(l, n, c, sp, x, g, b, mean, var, 1e-5f, y2);
                    simdnorm_activate_f32(total, y2, act, y2);
                    CHECK(memcmp(y, y2, total * sizeof(float)) == 0,
                          "shape %zu layout %d act %d train %d: differs from plain then activate",
                          si, lay, act, train);
                    /* in place */
                    memcpy(y2, x, total * sizeof(float));
                    if (train)
                        simdnorm_batch_norm_train_ex_f32(l, n, c, sp, y2, g, b, 1e-5f, 0.1f, NULL,
                                                         NULL, y2, NULL, NULL, &o);
                    else
                        simdnorm_batch_norm_infer_ex_f32(l, n, c, sp, y2, g, b, mean, var, 1e-5f,
                                                         y2, &o);
                    CHECK(memcmp(y, y2, total * sizeof(float)) == 0,
                          "shape %zu layout %d act %d train %d: in place differs", si, lay, act, train);
                    /* scalar */
                    const simdnorm_isa isa = simdnorm_active_isa();
                    if (isa != SIMDNORM_ISA_SCALAR) {
                        simdnorm_set_isa(SIMDNORM_ISA_SCALAR);
                        if (train)
                            simdnorm_batch_norm_train_ex_f32(l, n, c, sp, x, g, b, 1e-5f, 0.1f, NULL,
                                                             NULL, y2, NULL, NULL, &o);
                        else
                            simdnorm_batch_norm_infer_ex_f32(l, n, c, sp, x, g, b, mean, var,
                                                             1e-5f, y2, &o);
                        simdnorm_set_isa(isa);
                        CHECK(memcmp(y, y2, total * sizeof(float)) == 0,
                              "shape %zu layout %d act %d train %d: differs from scalar", si, lay,
                              act, train);
                    }
                    guarded_free(xb);
                    guarded_free(yb);
                    guarded_free(y2b);
                }
}

/* Large enough for the streaming kernels (x + y > 24 MiB): the same bits as
 * the plain call followed by the activation. */
static void case_batch_norm_streaming(void)
{
    const size_t n = 4, c = 16, sp = 1 << 17, total = n * c * sp; /* 32 MiB of x */
    float *x = malloc(total * sizeof(float)), *y = malloc(total * sizeof(float));
    float *y2 = malloc(total * sizeof(float));
    rng_seed(55);
    fill_normal(x, total, 0.0, 1.0);
    simdnorm_norm_options o;
    memset(&o, 0, sizeof o);
    o.activation = SIMDNORM_ACT_RELU;
    for (int lay = 0; lay < 2; lay++) {
        const simdnorm_layout l = lay ? SIMDNORM_NHWC : SIMDNORM_NCHW;
        simdnorm_batch_norm_train_ex_f32(l, n, c, sp, x, NULL, NULL, 1e-5f, 0.1f, NULL, NULL, y,
                                         NULL, NULL, &o);
        simdnorm_batch_norm_train_f32(l, n, c, sp, x, NULL, NULL, 1e-5f, 0.1f, NULL, NULL, y2,
                                      NULL, NULL);
        simdnorm_activate_f32(total, y2, SIMDNORM_ACT_RELU, y2);
        CHECK(memcmp(y, y2, total * sizeof(float)) == 0, "layout %d: streaming fused differs", lay);
    }
    free(x);
    free(y);
    free(y2);
}

/* ---- the activation on its own --------------------------------------- */

/* simdnorm_activate_f32 against the float64 formulas over a dense sweep of
 * [-30, 30], the special values, and a guard page after y; bitwise
 * against scalar. Where the result does not cancel (v >= 0) the error is
 * also at most 4 ULP of the result. */
static void case_activate(void)
{
    const size_t n = 60001;
    guarded_buf xb = guarded(n), yb = guarded(n), sb = guarded(n);
    for (size_t i = 0; i < n; i++)
        xb.p[i] = (float)(-30.0 + 60.0 * (double)i / (double)(n - 1));
    static const float special[] = {0.0f, -0.0f, 1e-45f, -1e-45f, FLT_MIN, -FLT_MIN,
                                    1e-30f, -1e-30f, 88.7f, -88.7f, 1e10f, -1e10f, 3e19f, -3e19f,
                                    FLT_MAX, -FLT_MAX, INFINITY, -INFINITY, NAN};
    memcpy(xb.p, special, sizeof special);
    for (size_t a = 0; a < N_ALL_ACTS; a++) {
        const simdnorm_activation act = all_acts[a];
        CHECK(simdnorm_activate_f32(n, xb.p, act, yb.p) == SIMDNORM_OK, "status");
        size_t bad = 0, bad_ulp = 0;
        for (size_t i = 0; i < n; i++) {
            const double want = ref_act(act, xb.p[i]);
            if (!act_close(yb.p[i], act, xb.p[i], 0.0) && bad++ < 3)
                CHECK(0, "act %d: f(%.9g) = %.9g, reference %.17g", act, xb.p[i], yb.p[i], want);
            if (xb.p[i] >= 0 && isfinite(want) && want >= FLT_MIN &&
                fabs((double)yb.p[i] - want) > 4.0 * 0x1p-23 * want)
                bad_ulp++;
            if (isnan(yb.p[i]))
                CHECK(fbits(yb.p[i]) == SIMDNORM_CANONICAL_NAN_BITS, "non-canonical NaN");
        }
        CHECK(bad == 0, "act %d: %zu values outside the bound", act, bad);
        CHECK(bad_ulp == 0, "act %d: %zu values for v >= 0 beyond 4 ULP", act, bad_ulp);
        if (act <= SIMDNORM_ACT_RELU) /* none keeps -0, ReLU gives +0 */
            CHECK(fbits(yb.p[1]) == (act == SIMDNORM_ACT_NONE ? 0x80000000u : 0u),
                  "act %d of -0: %08x", act, fbits(yb.p[1]));
        const simdnorm_isa isa = simdnorm_active_isa();
        if (isa != SIMDNORM_ISA_SCALAR) {
            simdnorm_set_isa(SIMDNORM_ISA_SCALAR);
            simdnorm_activate_f32(n, xb.p, act, sb.p);
            simdnorm_set_isa(isa);
            CHECK(memcmp(yb.p, sb.p, n * sizeof(float)) == 0, "act %d differs from scalar", act);
        }
        memcpy(sb.p, xb.p, n * sizeof(float));
        simdnorm_activate_f32(n, sb.p, act, sb.p);
        CHECK(memcmp(yb.p, sb.p, n * sizeof(float)) == 0, "act %d: in place differs", act);
    }
    guarded_free(xb);
    guarded_free(yb);
    guarded_free(sb);
}

typedef struct named_case {
    const char *name;
    void (*fn)(void);
} named_case;

int main(void)
{
    static const named_case cases[] = {
        {"lengths_every_activation_and_option", case_lengths_every_option},
        {"tiny_rows_every_activation", case_tiny_rows_every_activation},
        {"strides_misaligned_in_place_y_and_h", case_strides_in_place},
        {"offset_1e6_and_nan_inf_rows", case_offset_and_nan_rows},
        {"no_options_is_the_plain_function", case_no_options_is_plain},
        {"threads_bitwise", case_threads_bitwise},
        {"large_streaming_y_and_h", case_large_streaming},
        {"batch_norm_every_activation_layout_mode", case_batch_norm},
        {"batch_norm_streaming", case_batch_norm_streaming},
        {"activate_reference_special_values", case_activate},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
        for (size_t i = 0; i < N_ARCH_ISAS; i++)
            if (begin_isa_case(cases[c].name, arch_isas[i])) {
                cases[c].fn();
                h_end();
            }
    for (size_t i = 0; i < N_ARCH_ISAS; i++) {
        if (arch_isas[i] == SIMDNORM_ISA_SCALAR || getenv("SIMDNORM_TEST_EMULATED")) {
            /* scalar (and NEON) have neither interleaved sums nor streaming
             * stores; under emulation the 13-39 MiB calls are slow */
            h_begin("large_from_memory_bitwise[%s]", simdnorm_isa_name(arch_isas[i]));
            h_skip(arch_isas[i] == SIMDNORM_ISA_SCALAR
                       ? "scalar: no interleaved sums, no streaming stores"
                       : "emulated");
        } else if (begin_isa_case("large_from_memory_bitwise", arch_isas[i])) {
            case_large_from_memory();
            case_large_from_memory_channels();
            h_end();
        }
        if (arch_isas[i] == SIMDNORM_ISA_SCALAR || getenv("SIMDNORM_TEST_EMULATED")) {
            /* the placement is the dispatcher's, the same for every ISA */
            h_begin("from_memory_gamma_beta_4k_placed[%s]", simdnorm_isa_name(arch_isas[i]));
            h_skip(arch_isas[i] == SIMDNORM_ISA_SCALAR ? "scalar: no streaming stores"
                                                       : "emulated");
        } else if (begin_isa_case("from_memory_gamma_beta_4k_placed", arch_isas[i])) {
            case_from_memory_affine_placed();
            h_end();
        }
    }
    return h_summary();
}
