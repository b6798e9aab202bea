/* test_rows.c - LayerNorm and RMSNorm on every ISA this CPU runs: against a
 * float64 reference, bit for bit against the scalar kernels, over tails,
 * strides, misalignment, in place, guard pages, sentinels, and adversarial
 * rows (offset 1e6, near FLT_MAX, constant, NaN/Inf). */
#include "common.h"

typedef struct problem {
    int rms;                   /* 0: LayerNorm, 1: RMSNorm */
    size_t rows, cols, xs, ys; /* shape and strides (floats) */
    int gamma, beta;           /* which affine arrays are passed */
    int stats;                 /* pass mean/rstd outputs */
    float eps;
    int in_place;              /* y = x (requires ys == xs) */
    size_t y_tail;             /* sentinel floats after y's last row */
    size_t misalign;           /* x and y start this many floats past a 64-byte line (0..15) */
} problem;

/* A LayerNorm of rows x cols, dense (strides cols), with the statistics
 * saved and no gamma/beta flags set: the cases' usual start. */
static problem dense_problem(size_t rows, size_t cols, float eps)
{
    problem p = {0};
    p.rows = rows;
    p.cols = p.xs = p.ys = cols;
    p.stats = 1;
    p.eps = eps;
    return p;
}

typedef struct run {
    guarded_buf xb, yb, gb, bb, mb, rb;
    float *x, *y, *g, *b, *mean, *rstd;
    size_t x_len, y_len;
} run;

/* Buffers for one problem: x copied from data (rows*xs floats), y filled with
 * sentinels, every buffer ending at a guard page (y after its sentinel tail). */
static run make_run(const problem *p, const float *data, const float *gamma,
                    const float *beta)
{
    run r;
    memset(&r, 0, sizeof r);
    r.x_len = (p->rows - 1) * p->xs + p->cols;
    r.y_len = p->in_place ? r.x_len : (p->rows - 1) * p->ys + p->cols + p->y_tail;
    /* misalign: the start's offset from a 64-byte boundary (guarded_at) */
    r.x = guarded_at(&r.xb, r.x_len, p->misalign);
    memcpy(r.x, data, r.x_len * sizeof(float));
    if (p->in_place) {
        r.y = r.x;
    } else {
        r.y = guarded_at(&r.yb, r.y_len, p->misalign);
        for (size_t i = 0; i < r.y_len; i++)
            r.y[i] = from_bits(SENTINEL_BITS);
    }
    if (p->gamma) {
        r.gb = guarded(p->cols);
        r.g = r.gb.p;
        memcpy(r.g, gamma, p->cols * sizeof(float));
    }
    if (p->beta) {
        r.bb = guarded(p->cols);
        r.b = r.bb.p;
        memcpy(r.b, beta, p->cols * sizeof(float));
    }
    if (p->stats) {
        r.mb = guarded(p->rows);
        r.rb = guarded(p->rows);
        r.mean = r.mb.p;
        r.rstd = r.rb.p;
        for (size_t i = 0; i < p->rows; i++)
            r.mean[i] = r.rstd[i] = from_bits(SENTINEL_BITS);
    }
    return r;
}

static void free_run(run *r)
{
    guarded_buf *bufs[] = {&r->xb, &r->yb, &r->gb, &r->bb, &r->mb, &r->rb};
    for (size_t i = 0; i < 6; i++)
        if (bufs[i]->base)
            guarded_free(*bufs[i]);
}

static simdnorm_status call(const problem *p, run *r)
{
    const size_t ys = p->in_place ? p->xs : p->ys;
    if (p->rms)
        return simdnorm_rms_norm_f32(p->rows, p->cols, r->x, p->xs, r->g, p->eps, r->y,
                                     ys, r->rstd);
    return simdnorm_layer_norm_f32(p->rows, p->cols, r->x, p->xs, r->g, r->b, p->eps,
                                   r->y, ys, r->mean, r->rstd);
}

/* Output of row r, element j. */
static float y_at(const problem *p, const run *r, size_t row, size_t j)
{
    return r->y[row * (p->in_place ? p->xs : p->ys) + j];
}

/* Check one run against the float64 reference computed from `data`. */
static void check_reference(const problem *p, const run *r, const float *data,
                            const float *gamma, const float *beta)
{
    const double tol = (p->gamma || p->beta) ? 2e-6 : 1e-6;
    int reported = 0;
    for (size_t row = 0; row < p->rows; row++) {
        const float *xr = data + row * p->xs;
        const ref_stats s = p->rms ? ref_rms_norm_row(p->cols, xr, p->eps)
                                   : ref_layer_norm_row(p->cols, xr, p->eps);
        if (p->stats && !p->rms) {
            /* plus half a subnormal spacing: a subnormal mean cannot be
             * stored closer than that */
            const double bound = 1e-6 * fmax(fabs(s.mean), sqrt(s.var)) + 0x1p-150;
            const float m = r->mean[row];
            const int ok = isnan(s.mean) ? isnan(m)
                           : isinf(s.mean) ? m == (float)s.mean
                                           : fabs((double)m - s.mean) <= bound;
            CHECK(ok, "row %zu cols %zu: mean %.9g, reference %.17g", row, p->cols, m, s.mean);
        }
        if (p->stats) {
            const float g = r->rstd[row];
            int ok;
            if (isnan(s.rstd))
                ok = isnan(g);
            else if (s.rstd > FLT_MAX)
                ok = isinf(g);
            else if (s.rstd < FLT_MIN)
                ok = fabs((double)g - s.rstd) <= 0x1p-149 + 1e-6 * s.rstd;
            else
                ok = fabs((double)g - s.rstd) <= 1e-6 * s.rstd;
            CHECK(ok, "row %zu cols %zu: rstd %.9g, reference %.17g", row, p->cols, g, s.rstd);
        }
        for (size_t j = 0; j < p->cols; j++) {
            double want = ((double)xr[j] - s.mean) * s.rstd;
            if (p->gamma)
                want *= gamma[j];
            if (p->beta)
                want += beta[j];
            const float got = y_at(p, r, row, j);
            if (!close_to(got, want, tol) && reported++ < 3)
                CHECK(0, "%s row %zu col %zu of %zu: y %.9g, reference %.17g (x %.9g)",
                      p->rms ? "rms" : "ln", row, j, p->cols, got, want, xr[j]);
            if (isnan(got))
                CHECK(fbits(got) == 0x7fc00000u, "NaN output is not canonical: %08x", fbits(got));
        }
    }
    CHECK(reported == 0, "%d y values outside the bound", reported);
}

/* Sentinels between rows and after the last row are untouched. */
static void check_sentinels(const problem *p, const run *r)
{
    if (p->in_place)
        return;
    size_t bad = 0;
    for (size_t i = 0; i < r->y_len; i++) {
        const size_t row = i / p->ys, col = i % p->ys;
        const int inside = row < p->rows && col < p->cols;
        if (!inside && fbits(r->y[i]) != SENTINEL_BITS)
            bad++;
    }
    CHECK(bad == 0, "%zu sentinel floats outside the rows were overwritten", bad);
}

/* Run p on the active ISA and on scalar; outputs must agree bit for bit and
 * the active ISA's must meet the reference bound. */
static void check_problem(const problem *p, const float *data, const float *gamma,
                          const float *beta)
{
    const simdnorm_isa isa = simdnorm_active_isa();
    run r = make_run(p, data, gamma, beta);
    const simdnorm_status st = call(p, &r);
    CHECK(st == SIMDNORM_OK, "status %d", st);
    check_reference(p, &r, data, gamma, beta);
    check_sentinels(p, &r);
    if (isa != SIMDNORM_ISA_SCALAR) {
        simdnorm_set_isa(SIMDNORM_ISA_SCALAR);
        run s = make_run(p, data, gamma, beta);
        call(p, &s);
        simdnorm_set_isa(isa);
        CHECK(memcmp(r.y, s.y, r.y_len * sizeof(float)) == 0,
              "y differs from scalar (rows %zu cols %zu)", p->rows, p->cols);
        if (p->stats) {
            if (!p->rms)
                CHECK(memcmp(r.mean, s.mean, p->rows * sizeof(float)) == 0,
                      "mean differs from scalar (cols %zu)", p->cols);
            CHECK(memcmp(r.rstd, s.rstd, p->rows * sizeof(float)) == 0,
                  "rstd differs from scalar (cols %zu)", p->cols);
        }
        free_run(&s);
    }
    free_run(&r);
}

/* Data of rows*xs floats plus gamma/beta of cols, seeded by the shape. */
typedef struct inputs {
    float *x, *gamma, *beta;
} inputs;

static inputs make_inputs(size_t rows, size_t cols, size_t xs, double offset, double scale)
{
    inputs in;
    const size_t n = (rows - 1) * xs + cols;
    in.x = malloc(n * sizeof(float));
    in.gamma = malloc(cols * sizeof(float));
    in.beta = malloc(cols * sizeof(float));
    fill_normal(in.x, n, offset, scale);
    for (size_t j = 0; j < cols; j++) {
        in.gamma[j] = (float)(0.5 + rng_unif());
        in.beta[j] = (float)(2.0 * rng_unif() - 1.0);
    }
    return in;
}

static void free_inputs(inputs in)
{
    free(in.x);
    free(in.gamma);
    free(in.beta);
}

/* Both norms, all four gamma/beta combinations (RMSNorm: with and without
 * gamma), on one input. */
static void check_all_variants(problem p, const inputs *in)
{
    for (int rms = 0; rms < 2; rms++)
        for (int v = 0; v < 4; v++) {
            if (rms && (v & 2))
                continue;
            p.rms = rms;
            p.gamma = v & 1;
            p.beta = (v >> 1) & 1;
            check_problem(&p, in->x, in->gamma, in->beta);
        }
}

static void case_lengths_1_to_300(void)
{
    for (size_t n = 1; n <= 300; n++) {
        rng_seed(n);
        static const double offsets[] = {0.0, 3.0, -1000.0, 0.25};
        inputs in = make_inputs(3, n, n, offsets[n % 4], 1.0 + (double)(n % 7));
        problem p = dense_problem(3, n, 1e-5f);
        p.y_tail = n % 2 ? 16 : 0; /* odd n: sentinels after y; even: y at the guard */
        check_all_variants(p, &in);
        free_inputs(in);
    }
}

static void case_large_odd_lengths(void)
{
    static const size_t lens[] = {4097, 8191, 65537, 1000003};
    for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
        rng_seed(lens[i]);
        inputs in = make_inputs(2, lens[i], lens[i], 5.0, 2.0);
        problem p = dense_problem(2, lens[i], 1e-6f);
        p.y_tail = 3;
        check_all_variants(p, &in);
        free_inputs(in);
    }
}

/* In place (y = x, stride xs) equals out of place, bit for bit, for both
 * norms with gamma and beta. */
static void check_in_place(problem p, const inputs *in)
{
    for (int rms = 0; rms < 2; rms++) {
        problem a = p, b = p;
        a.rms = b.rms = rms;
        a.gamma = b.gamma = a.beta = b.beta = 1;
        b.in_place = 1;
        run ra = make_run(&a, in->x, in->gamma, in->beta);
        run rb = make_run(&b, in->x, in->gamma, in->beta);
        CHECK(call(&a, &ra) == SIMDNORM_OK && call(&b, &rb) == SIMDNORM_OK, "call failed");
        for (size_t row = 0; row < p.rows; row++)
            CHECK(memcmp(ra.y + row * a.ys, rb.y + row * b.xs, p.cols * sizeof(float)) == 0,
                  "in place differs from out of place: cols %zu row %zu", p.cols, row);
        free_run(&ra);
        free_run(&rb);
    }
}

static void case_strides_misaligned_in_place(void)
{
    static const size_t cols[] = {1, 7, 33, 64, 100, 257};
    for (size_t c = 0; c < sizeof cols / sizeof *cols; c++) {
        for (size_t mis = 0; mis < 4; mis++) {
            rng_seed(cols[c] * 16 + mis);
            const size_t rows = 5, xs = cols[c] + 3 + mis;
            inputs in = make_inputs(rows, cols[c], xs, 1.5, 0.5);
            problem p = {0};
            p.rows = rows;
            p.cols = cols[c];
            p.xs = xs;
            p.ys = cols[c] + 5;
            p.stats = 1;
            p.eps = 1e-5f;
            p.misalign = mis * 5; /* 0, 5, 10, 15 floats off any alignment */
            p.y_tail = 4;
            check_all_variants(p, &in);
            check_in_place(p, &in);
            free_inputs(in);
        }
    }
}

/* Short rows (8 to 65 floats) alone and in many batches: the row engine's
 * short-row path (ISAs of 8-float vectors or wider: straight code per
 * vector count, a lone row's own copy, the next batch's statistics before
 * this one's normalize, whole-vector loads past a row's end into the next
 * row, the partial last vector as the vector that ends at the row's end).
 * Against scalar and the reference, in place against out of place, packed
 * and strided, with a NaN row and a row 1e6 off zero among them (the
 * per-row path inside a batch) and a lone row 1e6 off zero; x's last row
 * ends at a guard page. */
static void case_short_rows_batches(void)
{
    static const size_t cols[] = {8, 9, 15, 16, 17, 31, 32, 33, 40, 47, 48, 63, 64, 65};
    static const size_t rowss[] = {1, 2, 9, 17, 34};
    for (size_t c = 0; c < sizeof cols / sizeof *cols; c++)
        for (size_t k = 0; k < sizeof rowss / sizeof *rowss; k++)
            for (size_t gap = 0; gap < 4; gap += 3) {
                const size_t n = cols[c], rows = rowss[k], xs = n + gap;
                rng_seed(n * 1000 + rows * 10 + gap);
                inputs in = make_inputs(rows, n, xs, 0.5, 2.0);
                if (rows == 1 && gap) /* a lone row's per-row path */
                    for (size_t i = 0; i < n; i++)
                        in.x[i] += 1e6f;
                if (rows > 8) {
                    in.x[5 * xs + n / 2] = NAN;
                    for (size_t i = 0; i < n; i++)
                        in.x[7 * xs + i] += 1e6f;
                }
                problem p = {0};
                p.rows = rows;
                p.cols = n;
                p.xs = xs;
                p.ys = n + gap;
                p.stats = 1;
                p.eps = 1e-5f;
                p.y_tail = 4;
                check_all_variants(p, &in);
                check_in_place(p, &in);
                free_inputs(in);
            }
}

/* Tiny rows (1 to 15 floats, narrower than an AVX2 or AVX-512 vector) in
 * blocks of a vector's count of rows: the row engine's rows in lanes
 * (gathered columns, the canonical halvings across them, packed blocks
 * normalized in place in their vectors with each row's plan permuted into
 * its lanes; other blocks row by row; the rows past the last block by the
 * general loop). Against scalar and the reference, packed and strided, in
 * place, with rows that leave the fast path inside a block: NaN, +-Inf,
 * 1e6 off zero, constant (-0 and +0 mixed: the head shift's zeros), and
 * +-0 elements in a row that stays fast. */
static void case_tiny_rows(void)
{
    static const size_t rowss[] = {16, 37, 64, 131};
    for (size_t n = 1; n <= 15; n++)
        for (size_t k = 0; k < sizeof rowss / sizeof *rowss; k++)
            for (size_t gap = 0; gap < 4; gap += 3) {
                const size_t rows = rowss[k], xs = n + gap;
                rng_seed(n * 1000 + rows * 10 + gap);
                inputs in = make_inputs(rows, n, xs, 0.5, 2.0);
                if (rows > 40) {
                    in.x[3 * xs + n / 2] = NAN;
                    in.x[9 * xs] = k % 2 ? INFINITY : -INFINITY;
                    for (size_t i = 0; i < n; i++) {
                        in.x[20 * xs + i] += 1e6f;
                        in.x[33 * xs + i] = i % 2 ? 0.0f : -0.0f;
                    }
                    in.x[38 * xs] = -0.0f;
                    in.x[38 * xs + n - 1] = 0.0f;
                }
                problem p = {0};
                p.rows = rows;
                p.cols = n;
                p.xs = xs;
                p.ys = k == 1 ? n + 1 : n + gap; /* 37 rows: y strided, x packed */
                p.stats = 1;
                p.eps = 1e-5f;
                p.y_tail = gap ? 4 : 0;
                check_all_variants(p, &in);
                check_in_place(p, &in);
                free_inputs(in);
            }
}

/* |mean|/std = 1e6: naive E[x^2]-E[x]^2 and a mean rounded to float fail. */
static void case_offset_1e6(void)
{
    static const struct { size_t n; double mean, std; } rows[] = {
        {4096, 1e6, 1.0}, {777, -1e6, 1.0}, {4096, 1e4, 1e-2}, {1 << 16, 3e6, 3.0},
        {(size_t)1 << 22, 1e6, 1.0}, /* the longest row of the contract */
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        rng_seed(100 + i);
        inputs in = make_inputs(1, rows[i].n, rows[i].n, rows[i].mean, rows[i].std);
        problem p = dense_problem(1, rows[i].n, 0.0f);
        if (rows[i].n > 100000) { /* the 16 MiB row: plain LayerNorm and RMSNorm */
            check_problem(&p, in.x, in.gamma, in.beta);
            p.rms = 1;
            check_problem(&p, in.x, in.gamma, in.beta);
        } else {
            check_all_variants(p, &in);
        }
        free_inputs(in);
    }
}

/* Values near +-FLT_MAX whose normalized output is finite give it. */
static void case_near_flt_max(void)
{
    const size_t n = 1000;
    float *x = malloc(4 * n * sizeof(float));
    rng_seed(7);
    for (size_t j = 0; j < n; j++) {
        x[j] = (float)((2.0 * rng_unif() - 1.0) * 0.999 * FLT_MAX); /* uniform +-FLT_MAX */
        x[n + j] = (j % 2 ? 1.0f : -1.0f) * FLT_MAX * (float)(0.9 + 0.1 * rng_unif());
        x[2 * n + j] = (float)((0.5 + 0.5 * rng_unif()) * FLT_MAX); /* all large positive */
        x[3 * n + j] = (float)(rng_normal() * 1e-41);              /* subnormal data */
    }
    x[2 * n] = -FLT_MAX; /* x - mean overflows float here */
    inputs in = make_inputs(1, n, n, 0, 1);
    problem p = dense_problem(4, n, 0.0f);
    check_all_variants(p, &(inputs){x, in.gamma, in.beta});
    free_inputs(in);
    free(x);
}

/* Rows that take the slower roads of dispatch/stats.c: a head of outliers
 * (the first shift is far off and the fast kernel runs again), squares that
 * overflow or underflow float (the exact kernel decides), mixed per block. */
static void case_fallback_paths(void)
{
    const size_t n = 3 * 4096 + 77;
    float *x = malloc(4 * n * sizeof(float));
    rng_seed(5);
    fill_normal(x, 4 * n, 0.0, 1.0);
    for (size_t j = 0; j < 8; j++)
        x[j] = 1e3f;                         /* row 0: bad first shift */
    for (size_t j = 0; j < n; j++) {
        x[n + j] = (float)(rng_normal() * 1e25); /* row 1: float squares overflow */
        x[2 * n + j] = (float)(rng_normal() * 1e-25); /* row 2: squares underflow */
    }
    for (size_t j = 4096; j < 8192; j++)
        x[3 * n + j] = (float)(rng_normal() * 1e30); /* row 3: one block overflows */
    for (size_t j = 8192; j < 8200; j++)
        x[3 * n + j] = -5e4f;                /* ... and one starts with outliers */
    rng_seed(6);
    inputs in = make_inputs(1, n, n, 0, 1);
    problem p = dense_problem(4, n, 0.0f);
    check_all_variants(p, &(inputs){x, in.gamma, in.beta});
    free_inputs(in);
    free(x);
}

/* Constant rows: y = 0 (+beta) with eps > 0, NaN (0/0) with eps = 0. */
static void case_constant_rows(void)
{
    static const float values[] = {0.0f, 1.0f, -3.5f, 1e30f, 1e-42f, -FLT_MAX};
    const size_t nv = sizeof values / sizeof *values, n = 37;
    float *x = malloc(nv * n * sizeof(float));
    for (size_t r = 0; r < nv; r++)
        for (size_t j = 0; j < n; j++)
            x[r * n + j] = values[r];
    rng_seed(3);
    inputs in = make_inputs(1, n, n, 0, 1);
    for (int e = 0; e < 2; e++) {
        problem p = dense_problem(nv, n, e ? 1e-5f : 0.0f);
        check_all_variants(p, &(inputs){x, in.gamma, in.beta});
    }
    free_inputs(in);
    free(x);
}

/* A NaN or Inf affects only its own row, which gets what the float64
 * formula gives (LayerNorm: all NaN; RMSNorm with Inf: rstd 0). */
static void case_nan_inf_rows(void)
{
    const size_t rows = 7, n = 45;
    rng_seed(11);
    inputs in = make_inputs(rows, n, n, 2.0, 1.0);
    in.x[1 * n + 3] = INFINITY;
    in.x[3 * n + 44] = NAN;
    in.x[4 * n + 0] = -INFINITY;
    in.x[4 * n + 9] = INFINITY;
    in.x[5 * n + 0] = -INFINITY;
    problem p = dense_problem(rows, n, 1e-5f);
    check_all_variants(p, &in);
    p.in_place = 1; /* the saved mean of an Inf row is read from x, not from y */
    check_all_variants(p, &in);
    p.in_place = 0;
    /* clean rows are bitwise what they are alone */
    for (int rms = 0; rms < 2; rms++) {
        problem all = p, one = p;
        all.rms = one.rms = rms;
        one.rows = 1;
        run ra = make_run(&all, in.x, in.gamma, in.beta);
        call(&all, &ra);
        static const size_t clean[] = {0, 2, 6};
        for (size_t c = 0; c < 3; c++) {
            run r1 = make_run(&one, in.x + clean[c] * n, in.gamma, in.beta);
            call(&one, &r1);
            CHECK(memcmp(r1.y, ra.y + clean[c] * n, n * sizeof(float)) == 0,
                  "clean row %zu changed by a NaN/Inf row", clean[c]);
            free_run(&r1);
        }
        if (rms) {
            CHECK(ra.rstd[1] == 0.0f, "RMSNorm row with Inf: rstd %g, want 0", ra.rstd[1]);
            CHECK(y_at(&all, &ra, 1, 0) == 0.0f && isnan(y_at(&all, &ra, 1, 3)),
                  "RMSNorm row with Inf: y must be 0 and NaN at the Inf");
        } else {
            CHECK(isinf(ra.mean[1]) && ra.mean[1] > 0, "mean of a row with +Inf: %g", ra.mean[1]);
            CHECK(isnan(ra.mean[4]), "mean of a row with +Inf and -Inf: %g", ra.mean[4]);
        }
        free_run(&ra);
    }
    free_inputs(in);
}

/* NaN produced by a NaN or Inf gamma/beta is the canonical NaN on every ISA;
 * 2 rows, and 20 rows of short (50) and long (300) rows: from 16 rows the
 * engine checks gamma/beta before it leaves out the canonical-NaN select
 * (kernels/generic/rows.c, engine_plain). */
static void case_canonical_nan(void)
{
    static const size_t shapes[][2] = {{2, 50}, {20, 50}, {20, 300}};
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        const size_t rows = shapes[t][0], n = shapes[t][1];
        rng_seed(21);
        inputs in = make_inputs(rows, n, n, 0, 1);
        in.gamma[4] = NAN;
        in.gamma[17] = from_bits(0xffc12345u); /* negative NaN with a payload */
        in.beta[30] = -INFINITY;
        in.gamma[30] = INFINITY;
        in.beta[49] = from_bits(0x7f812345u); /* signalling NaN */
        problem p = dense_problem(rows, n, 1e-5f);
        check_all_variants(p, &in);
        free_inputs(in);
    }
}

typedef struct named_case {
    const char *name;
    void (*fn)(void);
} named_case;

int main(void)
{
    static const named_case cases[] = {
        {"lengths_1_to_300_guard_page", case_lengths_1_to_300},
        {"large_odd_lengths", case_large_odd_lengths},
        {"strides_misaligned_in_place", case_strides_misaligned_in_place},
        {"short_rows_batches", case_short_rows_batches},
        {"tiny_rows_in_lanes", case_tiny_rows},
        {"offset_1e6_std_1", case_offset_1e6},
        {"near_flt_max_and_subnormal", case_near_flt_max},
        {"fallback_paths_outliers_overflow_underflow", case_fallback_paths},
        {"constant_rows", case_constant_rows},
        {"nan_inf_rows_stay_in_their_row", case_nan_inf_rows},
        {"canonical_nan", case_canonical_nan},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
        for (size_t i = 0; i < N_ARCH_ISAS; i++)
            if (begin_isa_case(cases[c].name, arch_isas[i])) {
                cases[c].fn();
                h_end();
            }
    return h_summary();
}
