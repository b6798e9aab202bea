/* test_batch_norm.c - BatchNorm training and inference, NCHW, NHWC and 2-D,
 * on every ISA this CPU runs: against a float64 reference (DESIGN §4 bounds
 * for y, saved and running statistics), bit for bit against scalar, over a
 * grid of shapes, tails, misalignment, in place, guard pages and sentinels,
 * |mean|/std up to 1e6 and 2^22 elements per channel, NaN/Inf channels,
 * slow-path channels, and running statistics over successive calls against
 * a float64 implementation of PyTorch's update.
 * SIMDNORM_TEST_QUICK=1 skips the 2^22-element channels (reported as SKIP):
 * the emulated (qemu) runs set it. */
#include "common.h"

#define CANONICAL_NAN 0x7fc00000u

typedef struct bn_problem {
    simdnorm_layout layout;
    size_t n, c, spatial;
    int train;
    int gamma, beta;  /* pass the affine arrays */
    int save;         /* training: pass save_mean/save_rstd */
    int running;      /* training: pass running_mean/var */
    int in_place;     /* y = x */
    float eps, momentum;
    size_t misalign;  /* x and y start this many floats past a 64-byte line */
    size_t y_tail;    /* sentinel floats after y */
} bn_problem;

/* The inputs of a problem: x, gamma, beta; inference mean/var; initial
 * running statistics. */
typedef struct bn_inputs {
    float *x, *gamma, *beta, *mean, *var, *rmean, *rvar;
} bn_inputs;

typedef struct bn_run {
    guarded_buf bufs[10];
    float *x, *y, *g, *b, *mean, *var, *sm, *sr, *rm, *rv;
    size_t total, y_len;
} bn_run;

static size_t total_of(const bn_problem *p) { return p->n * p->c * p->spatial; }

/* Index of element (sample i, channel ch, position s). */
static size_t at(const bn_problem *p, size_t i, size_t ch, size_t s)
{
    return p->layout == SIMDNORM_NCHW ? (i * p->c + ch) * p->spatial + s
                                      : (i * p->spatial + s) * p->c + ch;
}

static bn_inputs make_inputs(const bn_problem *p, double offset, double scale)
{
    bn_inputs in;
    const size_t total = total_of(p), c = p->c;
    in.x = malloc((total ? total : 1) * sizeof(float));
    in.gamma = malloc(c * sizeof(float));
    in.beta = malloc(c * sizeof(float));
    in.mean = malloc(c * sizeof(float));
    in.var = malloc(c * sizeof(float));
    in.rmean = malloc(c * sizeof(float));
    in.rvar = malloc(c * sizeof(float));
    /* each channel its own offset and spread, so a mixed-up channel shows */
    double *off = malloc(c * sizeof(double)), *sc = malloc(c * sizeof(double));
    for (size_t ch = 0; ch < c; ch++) {
        off[ch] = offset + (double)(ch % 7) - 3.0;
        sc[ch] = scale * (0.5 + (double)(ch % 5) * 0.5);
        in.gamma[ch] = (float)(0.5 + rng_unif());
        in.beta[ch] = (float)(2.0 * rng_unif() - 1.0);
        in.mean[ch] = (float)(off[ch] + 0.1 * sc[ch] * rng_normal());
        in.var[ch] = (float)(sc[ch] * sc[ch] * (0.8 + 0.4 * rng_unif()));
        in.rmean[ch] = (float)rng_normal();
        in.rvar[ch] = (float)(0.5 + rng_unif());
    }
    for (size_t i = 0; i < p->n; i++)
        for (size_t s = 0; s < p->spatial; s++)
            for (size_t ch = 0; ch < c; ch++)
                in.x[at(p, i, ch, s)] = (float)(off[ch] + sc[ch] * rng_normal());
    free(off);
    free(sc);
    return in;
}

static void free_inputs(bn_inputs in)
{
    free(in.x);
    free(in.gamma);
    free(in.beta);
    free(in.mean);
    free(in.var);
    free(in.rmean);
    free(in.rvar);
}

/* A guarded copy of src[0..n) starting `misalign` floats past a 64-byte
 * boundary (guarded_at). */
static float *gcopy(guarded_buf *g, const float *src, size_t n, size_t misalign)
{
    float *p = guarded_at(g, n, misalign);
    memcpy(p, src, n * sizeof(float));
    return p;
}

static float *gsentinel(guarded_buf *g, size_t n, size_t misalign)
{
    float *p = guarded_at(g, n, misalign);
    for (size_t i = 0; i < n; i++)
        p[i] = from_bits(SENTINEL_BITS);
    return p;
}

/* Buffers for one call: every one ends at a guard page (y after its
 * sentinel tail); outputs start as sentinels. */
static bn_run make_run(const bn_problem *p, const bn_inputs *in)
{
    bn_run r;
    memset(&r, 0, sizeof r);
    r.total = total_of(p);
    const size_t c = p->c;
    r.x = gcopy(&r.bufs[0], in->x, r.total, p->misalign);
    if (p->in_place) {
        r.y = r.x;
        r.y_len = r.total;
    } else {
        r.y_len = r.total + p->y_tail;
        r.y = gsentinel(&r.bufs[1], r.y_len, p->misalign);
    }
    if (p->gamma)
        r.g = gcopy(&r.bufs[2], in->gamma, c, 0);
    if (p->beta)
        r.b = gcopy(&r.bufs[3], in->beta, c, 0);
    if (!p->train) {
        r.mean = gcopy(&r.bufs[4], in->mean, c, 0);
        r.var = gcopy(&r.bufs[5], in->var, c, 0);
    }
    if (p->train && p->save) {
        r.sm = gsentinel(&r.bufs[6], c, 0);
        r.sr = gsentinel(&r.bufs[7], c, 0);
    }
    if (p->train && p->running) {
        r.rm = gcopy(&r.bufs[8], in->rmean, c, 0);
        r.rv = gcopy(&r.bufs[9], in->rvar, c, 0);
    }
    return r;
}

static void free_run(bn_run *r)
{
    for (size_t i = 0; i < 10; i++)
        if (r->bufs[i].base)
            guarded_free(r->bufs[i]);
}

static simdnorm_status call(const bn_problem *p, bn_run *r)
{
    if (p->train)
        return simdnorm_batch_norm_train_f32(p->layout, p->n, p->c, p->spatial, r->x, r->g, r->b,
                                             p->eps, p->momentum, r->rm, r->rv, r->y, r->sm,
                                             r->sr);
    return simdnorm_batch_norm_infer_f32(p->layout, p->n, p->c, p->spatial, r->x, r->g, r->b,
                                         r->mean, r->var, p->eps, r->y);
}

/* ---- float64 reference ---------------------------------------------------- */

typedef struct ch_ref {
    double mean, var, rstd, unbiased;
} ch_ref;

/* Two-pass float64 statistics of channel ch of x (training), or the given
 * statistics (inference). */
static ch_ref ref_channel(const bn_problem *p, const bn_inputs *in, const float *x, size_t ch)
{
    ch_ref r;
    if (!p->train) {
        r.mean = in->mean[ch];
        r.var = in->var[ch];
        r.rstd = 1.0 / sqrt(r.var + (double)p->eps);
        r.unbiased = NAN;
        return r;
    }
    const double count = (double)(p->n * p->spatial);
    double s = 0;
    for (size_t i = 0; i < p->n; i++)
        for (size_t k = 0; k < p->spatial; k++)
            s += x[at(p, i, ch, k)];
    r.mean = s / count;
    double q = 0, cs = 0;
    for (size_t i = 0; i < p->n; i++)
        for (size_t k = 0; k < p->spatial; k++) {
            const double d = (double)x[at(p, i, ch, k)] - r.mean;
            q += d * d;
            cs += d;
        }
    double m2 = q - cs * cs / count;
    if (m2 < 0)
        m2 = 0;
    r.var = m2 / count;
    r.unbiased = m2 / (count - 1.0);
    r.rstd = 1.0 / sqrt(r.var + (double)p->eps);
    return r;
}

/* PyTorch's running update in float64, stored as float. */
static float ref_running(float run, double batch, float momentum)
{
    const double m = momentum;
    return (float)((1.0 - m) * (double)run + m * batch);
}

static int canonical_ok(float v) { return !isnan(v) || fbits(v) == CANONICAL_NAN; }

/* |got - want| <= tol, NaN matching NaN, Inf matching Inf. */
static int within(float got, double want, double tol)
{
    if (isnan(want))
        return isnan(got);
    if (isinf(want) || fabs(want) > FLT_MAX)
        return isinf(got) && (got > 0) == (want > 0);
    return isfinite(got) && fabs((double)got - want) <= tol;
}

/* Check a finished run against the reference computed from `x` (the input
 * data) and the initial running statistics rm0/rv0. */
static void check_reference(const bn_problem *p, const bn_run *r, const bn_inputs *in,
                            const float *x, const float *rm0, const float *rv0)
{
    const double tol = (p->gamma || p->beta) ? 2e-6 : 1e-6;
    int reported = 0;
    size_t bad_y = 0, noncanon = 0;
    for (size_t ch = 0; ch < p->c; ch++) {
        const ch_ref s = ref_channel(p, in, x, ch);
        const double sd = sqrt(s.var);
        if (p->train && p->save) {
            const double bound = 1e-6 * fmax(fabs(s.mean), sd) + 0x1p-150;
            CHECK(within(r->sm[ch], s.mean, bound) && canonical_ok(r->sm[ch]),
                  "ch %zu: save_mean %.9g, reference %.17g", ch, r->sm[ch], s.mean);
            const double rb = s.rstd < FLT_MIN ? 0x1p-149 + 1e-6 * s.rstd : 1e-6 * s.rstd;
            CHECK(within(r->sr[ch], s.rstd, rb) && canonical_ok(r->sr[ch]),
                  "ch %zu: save_rstd %.9g, reference %.17g", ch, r->sr[ch], s.rstd);
        }
        if (p->train && p->running) {
            const float wm = ref_running(rm0[ch], s.mean, p->momentum);
            const float wv = ref_running(rv0[ch], s.unbiased, p->momentum);
            const double bm = 2e-6 * fabs((double)wm) + 1e-6 * p->momentum * sd + 0x1p-149;
            const double bv = 4e-6 * fabs((double)wv) + 0x1p-149;
            CHECK(within(r->rm[ch], wm, bm) && canonical_ok(r->rm[ch]),
                  "ch %zu: running_mean %.9g, reference %.9g", ch, r->rm[ch], wm);
            CHECK(within(r->rv[ch], wv, bv) && canonical_ok(r->rv[ch]),
                  "ch %zu: running_var %.9g, reference %.9g", ch, r->rv[ch], wv);
        }
        for (size_t i = 0; i < p->n; i++)
            for (size_t k = 0; k < p->spatial; k++) {
                const size_t e = at(p, i, ch, k);
                double want = ((double)x[e] - s.mean) * s.rstd;
                if (p->gamma)
                    want *= in->gamma[ch];
                if (p->beta)
                    want += in->beta[ch];
                const float got = r->y[e];
                if (!close_to(got, want, tol)) {
                    bad_y++;
                    if (reported++ < 3)
                        CHECK(0, "%s %s n %zu c %zu sp %zu: y[%zu] (ch %zu) %.9g, reference %.17g (x %.9g)",
                              p->train ? "train" : "infer",
                              p->layout == SIMDNORM_NCHW ? "nchw" : "nhwc", p->n, p->c,
                              p->spatial, e, ch, got, want, x[e]);
                }
                noncanon += !canonical_ok(got);
            }
    }
    CHECK(bad_y == 0, "%zu y values outside the bound", bad_y);
    CHECK(noncanon == 0, "%zu NaN outputs are not canonical", noncanon);
    if (!p->in_place) {
        size_t bad = 0;
        for (size_t i = r->total; i < r->y_len; i++)
            bad += fbits(r->y[i]) != SENTINEL_BITS;
        CHECK(bad == 0, "%zu sentinel floats after y overwritten", bad);
    }
}

static int same_floats(const float *a, const float *b, size_t n)
{
    return (!a && !b) || memcmp(a, b, n * sizeof(float)) == 0;
}

/* Every output of two runs of the same problem, bit for bit. */
static void check_same(const bn_problem *p, const bn_run *a, const bn_run *b, const char *what)
{
    CHECK(same_floats(a->y, b->y, a->total), "y differs from %s (%s n %zu c %zu sp %zu)", what,
          p->layout == SIMDNORM_NCHW ? "nchw" : "nhwc", p->n, p->c, p->spatial);
    CHECK(same_floats(a->sm, b->sm, p->c), "save_mean differs from %s", what);
    CHECK(same_floats(a->sr, b->sr, p->c), "save_rstd differs from %s", what);
    CHECK(same_floats(a->rm, b->rm, p->c), "running_mean differs from %s", what);
    CHECK(same_floats(a->rv, b->rv, p->c), "running_var differs from %s", what);
}

/* Run p on the active ISA: status OK, reference bounds, sentinels, and the
 * same bits as the scalar kernels. */
static void check_problem(const bn_problem *p, const bn_inputs *in)
{
    const simdnorm_isa isa = simdnorm_active_isa();
    bn_run r = make_run(p, in);
    const simdnorm_status st = call(p, &r);
    CHECK(st == SIMDNORM_OK, "status %d", st);
    check_reference(p, &r, in, in->x, in->rmean, in->rvar);
    if (isa != SIMDNORM_ISA_SCALAR) {
        simdnorm_set_isa(SIMDNORM_ISA_SCALAR);
        bn_run s = make_run(p, in);
        call(p, &s);
        simdnorm_set_isa(isa);
        check_same(p, &r, &s, "scalar");
        free_run(&s);
    }
    free_run(&r);
}

/* Training and inference, both layouts, on one shape; variant v picks the
 * optional arrays. */
static void check_shape(size_t n, size_t c, size_t spatial, int v, double offset, double scale,
                        float eps)
{
    for (int layout = 0; layout < 2; layout++) {
        bn_problem p = {0};
        p.layout = layout ? SIMDNORM_NHWC : SIMDNORM_NCHW;
        p.n = n;
        p.c = c;
        p.spatial = spatial;
        p.gamma = v & 1;
        p.beta = (v >> 1) & 1;
        p.save = v % 5 != 4;
        p.running = v % 5 != 3;
        p.eps = eps;
        p.momentum = 0.1f;
        p.y_tail = (n + c) % 2 ? 5 : 0;
        bn_inputs in = make_inputs(&p, offset, scale);
        for (int train = n * spatial >= 2 ? 1 : 0; train >= 0; train--) {
            p.train = train;
            check_problem(&p, &in);
        }
        free_inputs(in);
    }
}

/* ---- cases -------------------------------------------------------------- */

static const size_t grid_c[] = {1, 3, 17, 64, 1000};
static const size_t grid_spatial[] = {1, 7, 49, 3136};
static const size_t grid_n[] = {32, 8, 2, 1};
#define GRID_LIMIT ((size_t)1 << 18) /* elements per tensor */

/* Every (c, spatial) of the grid with the largest n of the grid
 * that keeps the tensor under GRID_LIMIT, and one more n in rotation where
 * it fits: every listed c, spatial and n appears, in both layouts, training
 * and inference. (c 1000 with spatial 3136 is 12.5 MiB per sample: left
 * out.) */
static void case_shape_grid(void)
{
    int v = 0;
    for (size_t ci = 0; ci < sizeof grid_c / sizeof *grid_c; ci++)
        for (size_t si = 0; si < sizeof grid_spatial / sizeof *grid_spatial; si++) {
            const size_t c = grid_c[ci], sp = grid_spatial[si];
            size_t ni = 0;
            while (ni < 3 && grid_n[ni] * c * sp > GRID_LIMIT)
                ni++;
            if (grid_n[ni] * c * sp > GRID_LIMIT)
                continue;
            rng_seed(ci * 100 + si);
            check_shape(grid_n[ni], c, sp, v++, 0.5 * (double)si, 1.0 + (double)ci, 1e-5f);
            const size_t n2 = grid_n[(ci + si) % 4];
            if (n2 != grid_n[ni] && n2 * c * sp <= GRID_LIMIT)
                check_shape(n2, c, sp, v++, -2.0, 0.5, 1e-3f);
        }
}

/* Small shapes through the whole API: every channel tail of the kernels,
 * channel-chunk boundaries (256) and block boundaries (4096 rows). */
static void case_tails(void)
{
    int v = 0;
    for (size_t c = 1; c <= 40; c++) {
        rng_seed(500 + c);
        check_shape(1 + c % 3, c, 1 + (c * 7) % 13, v++, 1.0, 2.0, 1e-5f);
    }
    static const struct { size_t n, c, sp; } shapes[] = {
        {3, 255, 2}, {2, 256, 3}, {2, 257, 1}, {1, 513, 5}, {2, 1, 4097},
        {1, 5, 4096}, {3, 7, 4095}, {2, 2, 1}, {1, 3, 2}, {1, 1, 8193},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        rng_seed(600 + i);
        check_shape(shapes[i].n, shapes[i].c, shapes[i].sp, v++, -1.0, 3.0, 1e-4f);
    }
}

/* Misaligned x and y (start offsets 1..15 floats), and in place equals out
 * of place bit for bit. */
static void case_misaligned_in_place(void)
{
    for (int layout = 0; layout < 2; layout++)
        for (size_t mis = 1; mis < 16; mis += 5)
            for (int train = 0; train < 2; train++) {
                bn_problem p = {0};
                p.layout = layout ? SIMDNORM_NHWC : SIMDNORM_NCHW;
                p.n = 3;
                p.c = 19 + mis;
                p.spatial = 11;
                p.train = train;
                p.gamma = p.beta = p.save = p.running = 1;
                p.eps = 1e-5f;
                p.momentum = 0.25f;
                p.misalign = mis;
                p.y_tail = 3;
                rng_seed(700 + mis);
                bn_inputs in = make_inputs(&p, 4.0, 0.5);
                check_problem(&p, &in);
                bn_problem q = p;
                q.in_place = 1;
                bn_run a = make_run(&p, &in), b = make_run(&q, &in);
                CHECK(call(&p, &a) == SIMDNORM_OK && call(&q, &b) == SIMDNORM_OK, "call failed");
                check_same(&p, &a, &b, "out of place");
                free_run(&a);
                free_run(&b);
                free_inputs(in);
            }
}

/* |mean|/std up to 1e6: naive E[x^2]-E[x]^2 and a mean rounded to float
 * fail; inference gets the float reference statistics. */
static void case_offset_1e6(void)
{
    static const struct { size_t n, c, sp; double mean, std; } cases[] = {
        {4, 3, 1000, 1e6, 1.0}, {2, 5, 4096, -1e6, 1.0}, {8, 2, 777, 1e4, 1e-2},
        {64, 3, 1, 1e6, 1.0}, {3, 2, 5000, 3e6, 3.0}, {4, 2, 49, 1e3, 1.0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        rng_seed(800 + i);
        for (int v = 0; v < 4; v++)
            check_shape(cases[i].n, cases[i].c, cases[i].sp, v, cases[i].mean, cases[i].std, 0.0f);
        /* inference with the data's own float statistics */
        for (int layout = 0; layout < 2; layout++) {
            bn_problem p = {0};
            p.layout = layout ? SIMDNORM_NHWC : SIMDNORM_NCHW;
            p.n = cases[i].n;
            p.c = cases[i].c;
            p.spatial = cases[i].sp;
            p.train = 1;
            bn_inputs in = make_inputs(&p, cases[i].mean, cases[i].std);
            for (size_t ch = 0; ch < p.c; ch++) {
                const ch_ref s = ref_channel(&p, &in, in.x, ch);
                in.mean[ch] = (float)s.mean;
                in.var[ch] = (float)s.var;
            }
            p.train = 0;
            p.gamma = p.beta = layout;
            check_problem(&p, &in);
            free_inputs(in);
        }
    }
}

static int case_skipped; /* set by a case that reported itself skipped */

/* One channel of 2^22 elements with |mean|/std = 1e6, in both layouts
 * (NCHW: 4 planes of 2^20; NHWC: 2^22 rows of one channel, next to a
 * second, ordinary channel). */
static void case_long_channel(void)
{
    const char *quick = getenv("SIMDNORM_TEST_QUICK");
    if (quick && *quick && strcmp(quick, "0") != 0) {
        h_skip("SIMDNORM_TEST_QUICK is set");
        case_skipped = 1;
        return;
    }
    for (int layout = 0; layout < 2; layout++) {
        bn_problem p = {0};
        p.layout = layout ? SIMDNORM_NHWC : SIMDNORM_NCHW;
        p.n = layout ? 1024 : 4;
        p.c = layout ? 2 : 1;
        p.spatial = layout ? 4096 : (size_t)1 << 20;
        p.train = 1;
        p.save = p.running = 1;
        p.eps = 0.0f;
        p.momentum = 0.1f;
        rng_seed(900 + layout);
        bn_inputs in = make_inputs(&p, 1e6, 1.0);
        check_problem(&p, &in);
        p.train = 0;
        bn_problem t = p;
        t.train = 1;
        for (size_t ch = 0; ch < p.c; ch++) {
            const ch_ref s = ref_channel(&t, &in, in.x, ch);
            in.mean[ch] = (float)s.mean;
            in.var[ch] = (float)s.var;
        }
        check_problem(&p, &in);
        free_inputs(in);
    }
}

/* A NaN or Inf in one channel: that channel gets what the float64 formulas
 * give (training: y and rstd NaN, mean +-Inf or NaN; inference: per
 * element), and every other channel is bit for bit what it is without it. */
static void case_nan_inf_channels(void)
{
    for (int layout = 0; layout < 2; layout++)
        for (int train = 0; train < 2; train++) {
            bn_problem p = {0};
            p.layout = layout ? SIMDNORM_NHWC : SIMDNORM_NCHW;
            p.n = 3;
            p.c = 21;
            p.spatial = 10;
            p.train = train;
            p.gamma = p.beta = p.save = p.running = 1;
            p.eps = 1e-5f;
            p.momentum = 0.1f;
            rng_seed(1000 + layout);
            bn_inputs in = make_inputs(&p, 1.0, 1.0);
            bn_run clean = make_run(&p, &in);
            call(&p, &clean);
            in.x[at(&p, 1, 2, 3)] = NAN;
            in.x[at(&p, 2, 5, 9)] = INFINITY;
            in.x[at(&p, 0, 9, 0)] = -INFINITY;
            in.x[at(&p, 1, 9, 7)] = INFINITY;
            in.x[at(&p, 0, 20, 0)] = from_bits(0xffc12345u); /* negative NaN, payload */
            check_problem(&p, &in);
            bn_run r = make_run(&p, &in);
            call(&p, &r);
            size_t bad = 0;
            for (size_t ch = 0; ch < p.c; ch++) {
                const int dirty = ch == 2 || ch == 5 || ch == 9 || ch == 20;
                for (size_t i = 0; i < p.n; i++)
                    for (size_t k = 0; k < p.spatial; k++) {
                        const size_t e = at(&p, i, ch, k);
                        if (!dirty || !train)
                            bad += !dirty && fbits(r.y[e]) != fbits(clean.y[e]);
                        else
                            bad += fbits(r.y[e]) != CANONICAL_NAN;
                    }
                if (train && !dirty)
                    bad += fbits(r.sm[ch]) != fbits(clean.sm[ch]) ||
                           fbits(r.sr[ch]) != fbits(clean.sr[ch]) ||
                           fbits(r.rm[ch]) != fbits(clean.rm[ch]) ||
                           fbits(r.rv[ch]) != fbits(clean.rv[ch]);
            }
            CHECK(bad == 0, "%zu outputs changed or not NaN (%s, %s)", bad,
                  layout ? "nhwc" : "nchw", train ? "train" : "infer");
            if (train) {
                CHECK(isnan(r.sm[2]) && isnan(r.sr[2]) && isnan(r.rv[2]), "NaN channel stats");
                CHECK(isinf(r.sm[5]) && r.sm[5] > 0 && isinf(r.rm[5]), "+Inf channel mean %g",
                      r.sm[5]);
                CHECK(isnan(r.sm[9]), "+-Inf channel mean %g", r.sm[9]);
            }
            free_run(&clean);
            free_run(&r);
            free_inputs(in);
        }
}

/* Channels the float fast path cannot take, next to ordinary ones: values
 * near FLT_MAX, subnormal data, constant channels (eps 0: 0/0 = NaN),
 * gamma 0, rstd beyond FLT_MAX, gamma NaN/Inf, beta Inf; inference with
 * |mean| >= 2^103 and x near -FLT_MAX (x - mean overflows a float). */
static void case_slow_channels(void)
{
    /* 300 channels: NHWC rows wider than a chunk (256) take the whole-row
     * normalize in inference as in training */
    for (int wide = 0; wide < 2; wide++)
    for (int layout = 0; layout < 2; layout++)
        for (int e = 0; e < 2; e++) {
            bn_problem p = {0};
            p.layout = layout ? SIMDNORM_NHWC : SIMDNORM_NCHW;
            p.n = 2;
            p.c = wide ? 300 : 12;
            p.spatial = 37;
            p.train = 1;
            p.gamma = p.beta = p.save = p.running = 1;
            p.eps = e ? 1e-5f : 0.0f;
            p.momentum = 0.5f;
            rng_seed(1100 + layout + 10 * wide);
            bn_inputs in = make_inputs(&p, 0.0, 1.0);
            for (size_t i = 0; i < p.n; i++)
                for (size_t k = 0; k < p.spatial; k++) {
                    const double u = rng_unif();
                    in.x[at(&p, i, 0, k)] = (float)((2 * u - 1) * 0.999 * FLT_MAX);
                    in.x[at(&p, i, 1, k)] = (float)((0.5 + 0.5 * u) * FLT_MAX);
                    in.x[at(&p, i, 2, k)] = (float)(rng_normal() * 1e-41);
                    in.x[at(&p, i, 3, k)] = 1e30f;
                    in.x[at(&p, i, 4, k)] = -3.5f;
                    in.x[at(&p, i, 6, k)] = (float)(1e-30 * (1.0 + rng_normal() * 1e-7)); /* var ~1e-74 */
                    in.x[at(&p, i, 7, k)] = (float)(1e30 + rng_normal() * 1e26);
                }
            in.x[at(&p, 0, 1, 0)] = -FLT_MAX;
            in.gamma[5] = 0.0f;
            in.gamma[8] = NAN;
            in.gamma[9] = INFINITY;
            in.beta[10] = -INFINITY;
            in.gamma[11] = 1e-40f; /* scale subnormal */
            check_problem(&p, &in);
            p.beta = 0;
            check_problem(&p, &in);
            /* inference: huge mean and variance, x near FLT_MAX */
            p.train = 0;
            p.beta = 1;
            in.mean[0] = 1e38f;
            in.var[0] = 1e38f;
            in.mean[1] = -0x1p103f;
            in.var[1] = 3e38f;
            in.mean[2] = INFINITY;
            in.var[3] = -1.0f; /* var + eps < 0: NaN */
            in.var[4] = INFINITY;  /* rstd 0: y = beta */
            in.var[6] = 0.0f;      /* rstd Inf (eps 0) */
            check_problem(&p, &in);
            free_inputs(in);
        }
}

/* Running statistics over three successive calls (new data each time)
 * against PyTorch's update in float64; momentum 0.1, 0 and 1. */
static void case_running_three_calls(void)
{
    static const float momenta[] = {0.1f, 0.0f, 1.0f};
    for (int layout = 0; layout < 2; layout++)
        for (size_t mi = 0; mi < 3; mi++) {
            bn_problem p = {0};
            p.layout = layout ? SIMDNORM_NHWC : SIMDNORM_NCHW;
            p.n = 4;
            p.c = 33;
            p.spatial = 25;
            p.train = 1;
            p.running = p.save = 1;
            p.eps = 1e-5f;
            p.momentum = momenta[mi];
            rng_seed(1200 + mi);
            bn_inputs in = make_inputs(&p, 2.0, 1.5);
            float *rm = malloc(p.c * sizeof(float)), *rv = malloc(p.c * sizeof(float));
            float *wm = malloc(p.c * sizeof(float)), *wv = malloc(p.c * sizeof(float));
            memcpy(rm, in.rmean, p.c * sizeof(float));
            memcpy(rv, in.rvar, p.c * sizeof(float));
            memcpy(wm, in.rmean, p.c * sizeof(float));
            memcpy(wv, in.rvar, p.c * sizeof(float));
            for (int step = 0; step < 3; step++) {
                fill_normal(in.x, total_of(&p), 2.0 + step, 1.0 + 0.5 * step);
                memcpy(in.rmean, rm, p.c * sizeof(float));
                memcpy(in.rvar, rv, p.c * sizeof(float));
                bn_run r = make_run(&p, &in);
                CHECK(call(&p, &r) == SIMDNORM_OK, "call failed");
                for (size_t ch = 0; ch < p.c; ch++) {
                    const ch_ref s = ref_channel(&p, &in, in.x, ch);
                    wm[ch] = ref_running(wm[ch], s.mean, p.momentum);
                    wv[ch] = ref_running(wv[ch], s.unbiased, p.momentum);
                    const double bm = 2e-6 * fabs((double)wm[ch]) + 0x1p-149;
                    const double bv = 4e-6 * fabs((double)wv[ch]) + 0x1p-149;
                    CHECK(fabs((double)r.rm[ch] - wm[ch]) <= bm,
                          "step %d ch %zu: running_mean %.9g, PyTorch formula %.9g", step, ch,
                          r.rm[ch], wm[ch]);
                    CHECK(fabs((double)r.rv[ch] - wv[ch]) <= bv,
                          "step %d ch %zu: running_var %.9g, PyTorch formula %.9g", step, ch,
                          r.rv[ch], wv[ch]);
                }
                if (p.momentum == 0.0f)
                    CHECK(memcmp(r.rm, rm, p.c * sizeof(float)) == 0 &&
                              memcmp(r.rv, rv, p.c * sizeof(float)) == 0,
                          "momentum 0 changed the running statistics");
                check_reference(&p, &r, &in, in.x, rm, rv);
                memcpy(rm, r.rm, p.c * sizeof(float));
                memcpy(rv, r.rv, p.c * sizeof(float));
                free_run(&r);
            }
            free(rm);
            free(rv);
            free(wm);
            free(wv);
            free_inputs(in);
        }
}

/* 2-D input: NCHW and NHWC with spatial 1 are the same memory and give the
 * same bits. */
static void case_2d_layouts_agree(void)
{
    bn_problem p = {0};
    p.n = 37;
    p.c = 70;
    p.spatial = 1;
    p.gamma = p.beta = p.save = p.running = 1;
    p.eps = 1e-5f;
    p.momentum = 0.1f;
    rng_seed(1300);
    bn_inputs in = make_inputs(&p, 3.0, 2.0);
    for (int train = 0; train < 2; train++) {
        p.train = train;
        bn_problem q = p;
        q.layout = SIMDNORM_NHWC;
        bn_run a = make_run(&p, &in), b = make_run(&q, &in);
        CHECK(call(&p, &a) == SIMDNORM_OK && call(&q, &b) == SIMDNORM_OK, "call failed");
        check_same(&p, &a, &b, "the other layout");
        free_run(&a);
        free_run(&b);
    }
    free_inputs(in);
}

typedef struct named_case {
    const char *name;
    void (*fn)(void);
} named_case;

int main(void)
{
    static const named_case cases[] = {
        {"shape_grid", case_shape_grid},
        {"tails_chunks_blocks", case_tails},
        {"misaligned_in_place", case_misaligned_in_place},
        {"offset_1e6", case_offset_1e6},
        {"long_channel_2p22_offset_1e6", case_long_channel},
        {"nan_inf_stay_in_their_channel", case_nan_inf_channels},
        {"slow_path_channels", case_slow_channels},
        {"running_stats_three_calls", case_running_three_calls},
        {"layouts_agree_2d", case_2d_layouts_agree},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
        for (size_t i = 0; i < N_ARCH_ISAS; i++)
            if (begin_isa_case(cases[c].name, arch_isas[i])) {
                case_skipped = 0;
                cases[c].fn();
                if (!case_skipped)
                    h_end();
            }
    return h_summary();
}
