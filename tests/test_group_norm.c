/* test_group_norm.c - GroupNorm / InstanceNorm forward and backward
 * (simdnorm_group_norm_f32, simdnorm_group_norm_bwd_f32), NCHW and NHWC, on
 * every ISA this CPU runs: against a float64 reference (forward: DESIGN §4's
 * bounds for y, mean, rstd; backward: PyTorch's formulas with the forward's
 * saved float statistics, |dx - ref| <= 1e-5 * max |ref dx| of the group
 * plus 2^-22 of the largest term, |dgamma - ref| <= 1e-5 * sum |dy*xhat|,
 * |dbeta - ref| <= 1e-5 * sum |dy|), bit for bit against scalar and across
 * thread counts 1, 2, 3, 4, 7, 16 (the pair split and the phased split of
 * fewer pairs than threads), groups 1 / c / in between, gamma/beta present
 * or not, in place, guard pages and sentinels, |mean|/std up to 1e6
 * (forward; 1e4 backward) over groups longer than a block, NaN/Inf kept in
 * their (sample, group), the NCHW statistics equal to LayerNorm's over the
 * [n*groups, (c/groups)*spatial] matrix, and every error status with
 * nothing written. Under emulation (SIMDNORM_TEST_EMULATED) the thread
 * shapes are smaller and fewer thread counts run. The last lines give the
 * worst errors against float64 seen (dx: groups of more than 4 elements; in
 * smaller ones dx is a cancellation of terms far larger than it, which only
 * the 2^-22 term allowance bounds, as in test_backward). */
#include "common.h"

#define NAN_BITS 0x7fc00000u
#define TERM_FLOOR 0x1p-22

static int emulated(void) { return getenv("SIMDNORM_TEST_EMULATED") != NULL; }

typedef struct gp {
    simdnorm_layout layout;
    size_t n, c, sp, groups;
    int gamma, beta, save, in_place;
    float eps;
} gp;

static size_t total_of(const gp *p) { return p->n * p->c * p->sp; }
static size_t pairs_of(const gp *p) { return p->n * p->groups; }

static size_t at(const gp *p, size_t i, size_t ch, size_t s)
{
    return p->layout == SIMDNORM_NCHW ? (i * p->c + ch) * p->sp + s : (i * p->sp + s) * p->c + ch;
}

typedef struct gin {
    float *x, *dy, *gamma, *beta;
} gin;

/* Each (sample, group) its own offset and spread (a mixed-up group shows);
 * dy with an offset of its own. */
static gin make_inputs(const gp *p, double offset, double scale)
{
    gin in;
    const size_t total = total_of(p), cpg = p->c / p->groups;
    in.x = malloc(total * sizeof(float));
    in.dy = malloc(total * sizeof(float));
    in.gamma = malloc(p->c * sizeof(float));
    in.beta = malloc(p->c * sizeof(float));
    for (size_t ch = 0; ch < p->c; ch++) {
        in.gamma[ch] = (float)(0.5 + rng_unif());
        in.beta[ch] = (float)(2.0 * rng_unif() - 1.0);
    }
    for (size_t i = 0; i < p->n; i++)
        for (size_t ch = 0; ch < p->c; ch++) {
            const size_t g = ch / cpg;
            const double off = offset + (double)((g + i) % 5) - 2.0;
            const double sc = scale * (0.5 + 0.25 * (double)((g + 2 * i) % 4));
            for (size_t s = 0; s < p->sp; s++) {
                in.x[at(p, i, ch, s)] = (float)(off + sc * rng_normal());
                in.dy[at(p, i, ch, s)] = (float)(0.3 + rng_normal());
            }
        }
    return in;
}

static void free_inputs(gin in)
{
    free(in.x);
    free(in.dy);
    free(in.gamma);
    free(in.beta);
}

/* ---- buffers ------------------------------------------------------------ */

#define TAIL 3 /* sentinel floats after every output */

static float *gcopy(guarded_buf *g, const float *src, size_t n)
{
    *g = guarded(n ? n : 1);
    float *q = g->p + (n ? 0 : 1);
    if (n)
        memcpy(q, src, n * sizeof(float));
    return q;
}

static float *gsentinel(guarded_buf *g, size_t n)
{
    *g = guarded(n + TAIL);
    for (size_t i = 0; i < n + TAIL; i++)
        g->p[i] = from_bits(SENTINEL_BITS);
    return g->p;
}

static int tail_ok(const float *p, size_t n)
{
    for (size_t i = n; i < n + TAIL; i++)
        if (fbits(p[i]) != SENTINEL_BITS)
            return 0;
    return 1;
}

/* One forward run's buffers and outputs. */
typedef struct frun {
    guarded_buf b[6];
    float *x, *y, *g, *be, *mean, *rstd;
} frun;

static frun run_forward(const gp *p, const gin *in)
{
    frun r;
    memset(&r, 0, sizeof r);
    const size_t total = total_of(p), pairs = pairs_of(p);
    if (p->in_place) {
        r.b[0] = guarded(total + TAIL);
        r.x = r.b[0].p;
        memcpy(r.x, in->x, total * sizeof(float));
        for (size_t i = total; i < total + TAIL; i++)
            r.x[i] = from_bits(SENTINEL_BITS);
        r.y = r.x;
    } else {
        r.x = gcopy(&r.b[0], in->x, total);
        r.y = gsentinel(&r.b[1], total);
    }
    if (p->gamma)
        r.g = gcopy(&r.b[2], in->gamma, p->c);
    if (p->beta)
        r.be = gcopy(&r.b[3], in->beta, p->c);
    if (p->save) {
        r.mean = gsentinel(&r.b[4], pairs);
        r.rstd = gsentinel(&r.b[5], pairs);
    }
    const simdnorm_status st = simdnorm_group_norm_f32(p->layout, p->n, p->c, p->sp, p->groups,
                                                       r.x, r.g, r.be, p->eps, r.y, r.mean, r.rstd);
    CHECK(st == SIMDNORM_OK, "forward status %d", st);
    return r;
}

static void free_frun(frun *r)
{
    for (int i = 0; i < 6; i++)
        if (r->b[i].base)
            guarded_free(r->b[i]);
}

static int same(const float *a, const float *b, size_t n)
{
    return (!a && !b) || (a && b && memcmp(a, b, n * sizeof(float)) == 0);
}

static int same_forward(const gp *p, const frun *a, const frun *b)
{
    return same(a->y, b->y, total_of(p)) && same(a->mean, b->mean, pairs_of(p)) &&
           same(a->rstd, b->rstd, pairs_of(p));
}

/* ---- worst errors seen ---------------------------------------------------- */
static double worst_y, worst_mean, worst_rstd, worst_dx, worst_dg, worst_db;
static void note(double *w, double v)
{
    if (v > *w)
        *w = v;
}

/* ---- forward reference ----------------------------------------------------- */

typedef struct pref {
    double mean, var, rstd;
} pref;

static pref ref_pair(const gp *p, const float *x, size_t i, size_t g)
{
    const size_t cpg = p->c / p->groups;
    const double cnt = (double)(cpg * p->sp);
    double s = 0;
    for (size_t ch = g * cpg; ch < (g + 1) * cpg; ch++)
        for (size_t k = 0; k < p->sp; k++)
            s += x[at(p, i, ch, k)];
    pref r;
    r.mean = s / cnt;
    double q = 0, cs = 0;
    for (size_t ch = g * cpg; ch < (g + 1) * cpg; ch++)
        for (size_t k = 0; k < p->sp; k++) {
            const double d = (double)x[at(p, i, ch, k)] - r.mean;
            q += d * d;
            cs += d;
        }
    double m2 = q - cs * cs / cnt;
    r.var = (m2 < 0 ? 0 : m2) / cnt;
    r.rstd = 1.0 / sqrt(r.var + (double)p->eps);
    return r;
}

static int canonical_ok(float v) { return !isnan(v) || fbits(v) == NAN_BITS; }

static void check_forward_ref(const gp *p, const gin *in, const frun *r)
{
    const double tol = (p->gamma || p->beta) ? 2e-6 : 1e-6;
    const size_t cpg = p->c / p->groups, total = total_of(p);
    size_t bad = 0, noncanon = 0;
    int reported = 0;
    for (size_t i = 0; i < p->n; i++)
        for (size_t g = 0; g < p->groups; g++) {
            const pref s = ref_pair(p, in->x, i, g);
            const size_t pair = i * p->groups + g;
            const double sd = sqrt(s.var);
            if (p->save) {
                const double bm = 1e-6 * fmax(fabs(s.mean), sd) + 0x1p-150;
                const double em = fabs((double)r->mean[pair] - s.mean);
                CHECK(close_to(r->mean[pair], s.mean, 0) || em <= bm,
                      "pair %zu: mean %.9g, reference %.17g", pair, r->mean[pair], s.mean);
                const double er = fabs((double)r->rstd[pair] - s.rstd) / s.rstd;
                CHECK(er <= 1e-6, "pair %zu: rstd %.9g, reference %.17g", pair, r->rstd[pair],
                      s.rstd);
                if (isfinite(em) && fmax(fabs(s.mean), sd) > 0)
                    note(&worst_mean, em / fmax(fabs(s.mean), sd));
                if (isfinite(er))
                    note(&worst_rstd, er);
            }
            for (size_t ch = g * cpg; ch < (g + 1) * cpg; ch++)
                for (size_t k = 0; k < p->sp; k++) {
                    const size_t e = at(p, i, ch, k);
                    double want = ((double)in->x[e] - s.mean) * s.rstd;
                    if (p->gamma)
                        want *= in->gamma[ch];
                    if (p->beta)
                        want += in->beta[ch];
                    const float got = r->y[e];
                    if (!close_to(got, want, tol)) {
                        if (reported++ < 3)
                            CHECK(0, "%s n %zu c %zu sp %zu g %zu: y[%zu] %.9g, reference %.17g",
                                  p->layout == SIMDNORM_NCHW ? "nchw" : "nhwc", p->n, p->c, p->sp,
                                  p->groups, e, got, want);
                        bad++;
                    } else if (isfinite(want)) {
                        note(&worst_y, fabs((double)got - want) / fmax(1.0, fabs(want)));
                    }
                    noncanon += !canonical_ok(got);
                }
        }
    CHECK(bad == 0, "%zu y values outside the bound", bad);
    CHECK(noncanon == 0, "%zu NaN outputs not canonical", noncanon);
    CHECK(tail_ok(r->y, total), "sentinels after y overwritten");
    if (p->save)
        CHECK(tail_ok(r->mean, pairs_of(p)) && tail_ok(r->rstd, pairs_of(p)),
              "sentinels after mean/rstd overwritten");
}

/* ---- backward ------------------------------------------------------------- */

typedef struct brun {
    guarded_buf b[8];
    float *dy, *x, *g, *mean, *rstd, *dx, *dg, *db;
} brun;

/* mean/rstd from the library's forward on x (eps p->eps). want: bit 0 dx,
 * 1 dgamma, 2 dbeta. */
static brun run_backward(const gp *p, const gin *in, const float *mean, const float *rstd, int want)
{
    brun r;
    memset(&r, 0, sizeof r);
    const size_t total = total_of(p), pairs = pairs_of(p);
    if (p->in_place && (want & 1)) {
        r.b[0] = guarded(total + TAIL);
        r.dy = r.b[0].p;
        memcpy(r.dy, in->dy, total * sizeof(float));
        for (size_t i = total; i < total + TAIL; i++)
            r.dy[i] = from_bits(SENTINEL_BITS);
        r.dx = r.dy;
    } else {
        r.dy = gcopy(&r.b[0], in->dy, total);
        if (want & 1)
            r.dx = gsentinel(&r.b[5], total);
    }
    r.x = gcopy(&r.b[1], in->x, total);
    if (p->gamma)
        r.g = gcopy(&r.b[2], in->gamma, p->c);
    r.mean = gcopy(&r.b[3], mean, pairs);
    r.rstd = gcopy(&r.b[4], rstd, pairs);
    if (want & 2)
        r.dg = gsentinel(&r.b[6], p->c);
    if (want & 4)
        r.db = gsentinel(&r.b[7], p->c);
    const simdnorm_status st =
        simdnorm_group_norm_bwd_f32(p->layout, p->n, p->c, p->sp, p->groups, r.dy, r.x, r.g,
                                    r.mean, r.rstd, r.dx, r.dg, r.db);
    CHECK(st == SIMDNORM_OK, "backward status %d", st);
    return r;
}

static void free_brun(brun *r)
{
    for (int i = 0; i < 8; i++)
        if (r->b[i].base)
            guarded_free(r->b[i]);
}

static int same_backward(const gp *p, const brun *a, const brun *b)
{
    return same(a->dx, b->dx, total_of(p)) && same(a->dg, b->dg, p->c) &&
           same(a->db, b->db, p->c);
}

/* The float64 reference of the backward from the given float statistics. */
static void check_backward_ref(const gp *p, const gin *in, const float *mean, const float *rstd,
                               const brun *r)
{
    const size_t cpg = p->c / p->groups, total = total_of(p);
    double *dg = calloc(p->c, sizeof(double)), *dga = calloc(p->c, sizeof(double));
    double *db = calloc(p->c, sizeof(double)), *dba = calloc(p->c, sizeof(double));
    size_t bad = 0, noncanon = 0;
    int reported = 0;
    for (size_t i = 0; i < p->n; i++)
        for (size_t gi = 0; gi < p->groups; gi++) {
            const size_t pair = i * p->groups + gi;
            const double mu = mean[pair], rs = rstd[pair], cnt = (double)(cpg * p->sp);
            double sg = 0, sgx = 0;
            for (size_t ch = gi * cpg; ch < (gi + 1) * cpg; ch++) {
                const double gm = p->gamma ? (double)in->gamma[ch] : 1.0;
                for (size_t k = 0; k < p->sp; k++) {
                    const size_t e = at(p, i, ch, k);
                    const double xh = ((double)in->x[e] - mu) * rs, d = in->dy[e];
                    sg += d * gm;
                    sgx += d * gm * xh;
                    dg[ch] += d * xh;
                    dga[ch] += fabs(d * xh);
                    db[ch] += d;
                    dba[ch] += fabs(d);
                }
            }
            const double ag = sg / cnt, agx = sgx / cnt;
            double scale = 0, terms = 0;
            for (int pass = 0; pass < 2; pass++)
                for (size_t ch = gi * cpg; ch < (gi + 1) * cpg; ch++) {
                    const double gm = p->gamma ? (double)in->gamma[ch] : 1.0;
                    for (size_t k = 0; k < p->sp; k++) {
                        const size_t e = at(p, i, ch, k);
                        const double xh = ((double)in->x[e] - mu) * rs, g = in->dy[e] * gm;
                        const double want = rs * (g - ag - xh * agx);
                        if (pass == 0) {
                            if (isfinite(want))
                                scale = fmax(scale, fabs(want));
                            const double t = fabs(rs * g) + fabs(rs * ag) + fabs(rs * xh * agx);
                            if (isfinite(t))
                                terms = fmax(terms, t);
                            continue;
                        }
                        if (!r->dx)
                            continue;
                        const float got = r->dx[e];
                        noncanon += !canonical_ok(got);
                        const double tol = 1e-5 * scale + TERM_FLOOR * terms;
                        int ok;
                        if (isnan(want))
                            ok = isnan(got);
                        else if (isinf(want))
                            ok = isinf(got) || isnan(got);
                        else
                            ok = isfinite(got) && fabs((double)got - want) <= tol;
                        if (!ok) {
                            if (reported++ < 3)
                                CHECK(0, "%s n %zu c %zu sp %zu g %zu: dx[%zu] %.9g, reference %.17g",
                                      p->layout == SIMDNORM_NCHW ? "nchw" : "nhwc", p->n, p->c,
                                      p->sp, p->groups, e, got, want);
                            bad++;
                        } else if (isfinite(want) && scale > 0 && cnt > 4) {
                            note(&worst_dx, fabs((double)got - want) / scale);
                        }
                    }
                }
        }
    for (size_t ch = 0; ch < p->c; ch++) {
        if (r->dg) {
            const double e = fabs((double)r->dg[ch] - dg[ch]);
            CHECK(isnan(dg[ch]) ? isnan(r->dg[ch]) : e <= 1e-5 * dga[ch],
                  "dgamma[%zu] %.9g, reference %.17g", ch, r->dg[ch], dg[ch]);
            if (dga[ch] > 0 && isfinite(e))
                note(&worst_dg, e / dga[ch]);
            noncanon += !canonical_ok(r->dg[ch]);
        }
        if (r->db) {
            const double e = fabs((double)r->db[ch] - db[ch]);
            CHECK(isnan(db[ch]) ? isnan(r->db[ch]) : e <= 1e-5 * dba[ch],
                  "dbeta[%zu] %.9g, reference %.17g", ch, r->db[ch], db[ch]);
            if (dba[ch] > 0 && isfinite(e))
                note(&worst_db, e / dba[ch]);
            noncanon += !canonical_ok(r->db[ch]);
        }
    }
    CHECK(bad == 0, "%zu dx values outside the bound", bad);
    CHECK(noncanon == 0, "%zu NaN gradients not canonical", noncanon);
    if (r->dx)
        CHECK(tail_ok(r->dx, total), "sentinels after dx overwritten");
    if (r->dg)
        CHECK(tail_ok(r->dg, p->c), "sentinels after dgamma overwritten");
    if (r->db)
        CHECK(tail_ok(r->db, p->c), "sentinels after dbeta overwritten");
    free(dg);
    free(dga);
    free(db);
    free(dba);
}

/* ---- one problem: reference, scalar bits, in place -------------------------- */

/* The forward's saved statistics of x (the backward's inputs). */
static void forward_stats(const gp *p, const gin *in, float *mean, float *rstd)
{
    float *y = malloc(total_of(p) * sizeof(float));
    CHECK(simdnorm_group_norm_f32(p->layout, p->n, p->c, p->sp, p->groups, in->x, NULL, NULL,
                                  p->eps, y, mean, rstd) == SIMDNORM_OK,
          "forward for the statistics failed");
    free(y);
}

static void check_problem(const gp *p, const gin *in)
{
    const simdnorm_isa isa = simdnorm_active_isa();
    frun f = run_forward(p, in);
    check_forward_ref(p, in, &f);
    const size_t pairs = pairs_of(p);
    float *mean = malloc(pairs * sizeof(float)), *rstd = malloc(pairs * sizeof(float));
    forward_stats(p, in, mean, rstd);
    const int want = p->gamma ? 7 : 5 - 4 * (int)(p->c % 2); /* vary the optional outputs */
    brun b = run_backward(p, in, mean, rstd, want | 1);
    check_backward_ref(p, in, mean, rstd, &b);
    if (isa != SIMDNORM_ISA_SCALAR) {
        simdnorm_set_isa(SIMDNORM_ISA_SCALAR);
        frun fs = run_forward(p, in);
        brun bs = run_backward(p, in, mean, rstd, want | 1);
        simdnorm_set_isa(isa);
        CHECK(same_forward(p, &f, &fs), "forward differs from scalar (%s n %zu c %zu sp %zu g %zu)",
              p->layout == SIMDNORM_NCHW ? "nchw" : "nhwc", p->n, p->c, p->sp, p->groups);
        CHECK(same_backward(p, &b, &bs), "backward differs from scalar (%s n %zu c %zu sp %zu g %zu)",
              p->layout == SIMDNORM_NCHW ? "nchw" : "nhwc", p->n, p->c, p->sp, p->groups);
        free_frun(&fs);
        free_brun(&bs);
    }
    /* in place equals out of place */
    gp q = *p;
    q.in_place = 1;
    frun fi = run_forward(&q, in);
    CHECK(same(f.y, fi.y, total_of(p)) && same(f.mean, fi.mean, pairs) &&
              same(f.rstd, fi.rstd, pairs),
          "forward in place differs");
    CHECK(tail_ok(fi.y, total_of(p)), "in-place forward wrote past y");
    brun bi = run_backward(&q, in, mean, rstd, want | 1);
    CHECK(same_backward(p, &b, &bi), "backward in place differs");
    free_frun(&fi);
    free_brun(&bi);
    free_frun(&f);
    free_brun(&b);
    free(mean);
    free(rstd);
}

/* Both layouts of one shape; v picks gamma/beta/save. */
static void check_shape(size_t n, size_t c, size_t sp, size_t groups, int v, double offset,
                        double scale, float eps)
{
    for (int layout = 0; layout < 2; layout++) {
        gp p = {layout ? SIMDNORM_NHWC : SIMDNORM_NCHW, n, c, sp, groups, v & 1, (v >> 1) & 1,
                v % 5 != 4, 0, eps};
        gin in = make_inputs(&p, offset, scale);
        check_problem(&p, &in);
        free_inputs(in);
    }
}

/* ---- cases ------------------------------------------------------------------ */

/* groups 1, c and in between over channel counts and plane sizes (planes
 * shorter and longer than a block, groups longer than a block, the NHWC
 * steps of 256 channels, narrow rows). */
static void case_shapes(void)
{
    static const struct {
        size_t n, c, sp;
    } shapes[] = {{2, 4, 9}, {3, 6, 7}, {1, 8, 1}, {5, 12, 1}, {2, 32, 49}, {1, 3, 4097},
                  {2, 64, 100}, {2, 10, 500}, {1, 300, 20}, {2, 520, 3}, {1, 1, 1},
                  {2, 2, 3000}, {3, 15, 33}};
    int v = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        const size_t c = shapes[s].c;
        size_t gs[4] = {1, c, 0, 0};
        size_t ng = 2;
        for (size_t d = 2; d < c && ng < 4; d++)
            if (c % d == 0 && (ng == 2 || d > c / 4))
                gs[ng++] = d;
        for (size_t k = 0; k < ng; k++) {
            if (k == 1 && c == 1)
                continue;
            rng_seed(100 + s * 10 + k);
            check_shape(shapes[s].n, c, shapes[s].sp, gs[k], v++, 0.5 * (double)s, 1.0 + (double)k,
                        k % 2 ? 1e-3f : 1e-5f);
        }
    }
}

/* |mean|/std = 1e6 (forward) and 1e4 (backward's bound) over groups longer
 * than a block, eps 0. */
static void case_offset(void)
{
    static const struct {
        size_t n, c, sp, g;
        double mean;
    } cases[] = {{2, 4, 3000, 2, 1e6}, {1, 6, 1500, 1, -1e6}, {2, 8, 700, 8, 1e4},
                 {1, 2, 5000, 2, 3e6}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        for (int layout = 0; layout < 2; layout++) {
            rng_seed(300 + i);
            gp p = {layout ? SIMDNORM_NHWC : SIMDNORM_NCHW, cases[i].n, cases[i].c, cases[i].sp,
                    cases[i].g, 1, 1, 1, 0, 0.0f};
            gin in = make_inputs(&p, cases[i].mean, 1.0);
            frun f = run_forward(&p, &in);
            check_forward_ref(&p, &in, &f);
            free_frun(&f);
            if (fabs(cases[i].mean) <= 1e4) {
                float mean[16], rstd[16];
                forward_stats(&p, &in, mean, rstd);
                brun b = run_backward(&p, &in, mean, rstd, 7);
                check_backward_ref(&p, &in, mean, rstd, &b);
                free_brun(&b);
            }
            free_inputs(in);
        }
}

/* NCHW statistics are LayerNorm's over the [n*groups, (c/groups)*spatial]
 * matrix, bit for bit (rows of one block and longer; 2-D input in either
 * layout). */
static void case_layer_norm_stats(void)
{
    static const struct {
        size_t n, c, sp, g;
    } cases[] = {{2, 6, 10, 3}, {3, 4, 1500, 2}, {1, 8, 4096, 4}, {2, 3, 7, 1}, {1, 5, 2000, 1},
                 {7, 12, 1, 3}, {3, 5000, 1, 1}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        rng_seed(400 + i);
        /* spatial 1: the NHWC layout is the same memory, and the same statistics */
        gp p = {cases[i].sp == 1 && i % 2 ? SIMDNORM_NHWC : SIMDNORM_NCHW, cases[i].n, cases[i].c,
                cases[i].sp, cases[i].g, 0, 0, 1, 0, 1e-5f};
        gin in = make_inputs(&p, 2.0, 3.0);
        const size_t rows = pairs_of(&p), cols = total_of(&p) / rows;
        float *y = malloc(total_of(&p) * sizeof(float));
        float *m1 = malloc(rows * sizeof(float)), *r1 = malloc(rows * sizeof(float));
        float *m2 = malloc(rows * sizeof(float)), *r2 = malloc(rows * sizeof(float));
        CHECK(simdnorm_group_norm_f32(p.layout, p.n, p.c, p.sp, p.groups, in.x, NULL, NULL, p.eps,
                                      y, m1, r1) == SIMDNORM_OK, "group_norm failed");
        CHECK(simdnorm_layer_norm_f32(rows, cols, in.x, cols, NULL, NULL, p.eps, y, cols, m2, r2) ==
                  SIMDNORM_OK, "layer_norm failed");
        CHECK(same(m1, m2, rows) && same(r1, r2, rows),
              "statistics differ from LayerNorm's (n %zu c %zu sp %zu g %zu)", p.n, p.c, p.sp,
              p.groups);
        free(y);
        free(m1);
        free(r1);
        free(m2);
        free(r2);
        free_inputs(in);
    }
}

/* spatial == 1: the two layouts are the same memory and give the same bits. */
static void case_2d_layouts_agree(void)
{
    rng_seed(500);
    gp p = {SIMDNORM_NCHW, 9, 40, 1, 8, 1, 1, 1, 0, 1e-5f};
    gin in = make_inputs(&p, 1.0, 2.0);
    gp q = p;
    q.layout = SIMDNORM_NHWC;
    frun a = run_forward(&p, &in), b = run_forward(&q, &in);
    CHECK(same_forward(&p, &a, &b), "forward layouts differ at spatial 1");
    float mean[72], rstd[72];
    forward_stats(&p, &in, mean, rstd);
    brun c = run_backward(&p, &in, mean, rstd, 7), d = run_backward(&q, &in, mean, rstd, 7);
    CHECK(same_backward(&p, &c, &d), "backward layouts differ at spatial 1");
    free_frun(&a);
    free_frun(&b);
    free_brun(&c);
    free_brun(&d);
    free_inputs(in);
}

/* A NaN or Inf in one (sample, group): that pair gets NaN y and rstd and
 * the plain float64 mean; every other pair is bit for bit what it is without
 * it; in the backward a NaN in dy makes that pair's dx NaN and leaves the
 * other pairs' dx and the other groups' dgamma/dbeta unchanged. */
static void case_nan_inf(void)
{
    for (int layout = 0; layout < 2; layout++) {
        gp p = {layout ? SIMDNORM_NHWC : SIMDNORM_NCHW, 3, 12, 10, 4, 1, 1, 1, 0, 1e-5f};
        rng_seed(600 + layout);
        gin in = make_inputs(&p, 1.0, 1.0);
        frun clean = run_forward(&p, &in);
        float mean[12], rstd[12];
        forward_stats(&p, &in, mean, rstd);
        brun bclean = run_backward(&p, &in, mean, rstd, 7);
        /* pair (1, 2): NaN; pair (2, 0): +Inf; pair (0, 3): +-Inf */
        in.x[at(&p, 1, 7, 3)] = from_bits(0xffc12345u);
        in.x[at(&p, 2, 1, 9)] = INFINITY;
        in.x[at(&p, 0, 9, 0)] = INFINITY;
        in.x[at(&p, 0, 11, 5)] = -INFINITY;
        frun r = run_forward(&p, &in);
        size_t bad = 0;
        for (size_t i = 0; i < p.n; i++)
            for (size_t ch = 0; ch < p.c; ch++) {
                const size_t g = ch / 3, pair = i * 4 + g;
                const int dirty = pair == 6 || pair == 8 || pair == 3;
                for (size_t k = 0; k < p.sp; k++) {
                    const size_t e = at(&p, i, ch, k);
                    bad += dirty ? fbits(r.y[e]) != NAN_BITS : fbits(r.y[e]) != fbits(clean.y[e]);
                }
            }
        for (size_t pair = 0; pair < 12; pair++) {
            const int dirty = pair == 6 || pair == 8 || pair == 3;
            if (!dirty)
                bad += fbits(r.mean[pair]) != fbits(clean.mean[pair]) ||
                       fbits(r.rstd[pair]) != fbits(clean.rstd[pair]);
            else
                bad += fbits(r.rstd[pair]) != NAN_BITS;
        }
        CHECK(bad == 0, "%zu outputs changed or not NaN (%s)", bad, layout ? "nhwc" : "nchw");
        CHECK(fbits(r.mean[6]) == NAN_BITS, "NaN pair mean %g", r.mean[6]);
        CHECK(isinf(r.mean[8]) && r.mean[8] > 0, "+Inf pair mean %g", r.mean[8]);
        CHECK(fbits(r.mean[3]) == NAN_BITS, "+-Inf pair mean %g", r.mean[3]);
        free_frun(&r);
        free_frun(&clean);
        /* backward: a NaN in dy of pair (1, 2) */
        in.x[at(&p, 1, 7, 3)] = 0.5f;
        in.x[at(&p, 2, 1, 9)] = 0.25f;
        in.x[at(&p, 0, 9, 0)] = 0.0f;
        in.x[at(&p, 0, 11, 5)] = 1.0f;
        gin in2 = in;
        float *dy = malloc(total_of(&p) * sizeof(float));
        memcpy(dy, in.dy, total_of(&p) * sizeof(float));
        in2.dy = dy;
        /* the clean backward again on the repaired x */
        free_brun(&bclean);
        bclean = run_backward(&p, &in, mean, rstd, 7);
        dy[at(&p, 1, 8, 2)] = NAN;
        brun b = run_backward(&p, &in2, mean, rstd, 7);
        bad = 0;
        for (size_t i = 0; i < p.n; i++)
            for (size_t ch = 0; ch < p.c; ch++) {
                const int dirty = i == 1 && ch / 3 == 2;
                for (size_t k = 0; k < p.sp; k++) {
                    const size_t e = at(&p, i, ch, k);
                    bad += dirty ? fbits(b.dx[e]) != NAN_BITS : fbits(b.dx[e]) != fbits(bclean.dx[e]);
                }
            }
        for (size_t ch = 0; ch < p.c; ch++) {
            if (ch == 8) /* the NaN's channel: its sums over the samples */
                bad += fbits(b.dg[ch]) != NAN_BITS || fbits(b.db[ch]) != NAN_BITS;
            else
                bad += fbits(b.dg[ch]) != fbits(bclean.dg[ch]) || fbits(b.db[ch]) != fbits(bclean.db[ch]);
        }
        CHECK(bad == 0, "%zu gradients changed or not NaN (%s)", bad, layout ? "nhwc" : "nchw");
        free_brun(&b);
        free_brun(&bclean);
        free(dy);
        free_inputs(in);
    }
}

/* Bit for bit across thread counts: shapes with many pairs (the pair split)
 * and with fewer pairs than threads (the phased split), both layouts. */
static void case_threads(void)
{
    static const int counts[] = {1, 2, 3, 4, 7, 16};
    static const int counts_emu[] = {1, 3};
    const int emu = emulated();
    const int *tc = emu ? counts_emu : counts;
    const size_t ntc = emu ? 2 : 6;
    static const struct {
        size_t n, c, sp, g;
    } shapes[] = {{2, 64, 4096, 8}, {1, 32, 16384, 1}, {2, 6, 40000, 2}, {1, 8, 65536, 8},
                  {3, 320, 1024, 32}, {1, 1280, 300, 1}},
      shapes_emu[] = {{2, 16, 4096, 4}, {1, 4, 40000, 1}, {1, 300, 200, 3}};
    const size_t ns = emu ? 3 : 6;
    const int saved = simdnorm_get_num_threads();
    for (size_t s = 0; s < ns; s++)
        for (int layout = 0; layout < 2; layout++) {
            const size_t n = emu ? shapes_emu[s].n : shapes[s].n, c = emu ? shapes_emu[s].c : shapes[s].c;
            const size_t sp = emu ? shapes_emu[s].sp : shapes[s].sp, g = emu ? shapes_emu[s].g : shapes[s].g;
            gp p = {layout ? SIMDNORM_NHWC : SIMDNORM_NCHW, n, c, sp, g, 1, 1, 1, 0, 1e-5f};
            rng_seed(700 + s);
            gin in = make_inputs(&p, 1.0, 2.0);
            float *mean = malloc(pairs_of(&p) * sizeof(float)), *rstd = malloc(pairs_of(&p) * sizeof(float));
            simdnorm_set_num_threads(1);
            forward_stats(&p, &in, mean, rstd);
            frun f1 = run_forward(&p, &in);
            brun b1 = run_backward(&p, &in, mean, rstd, 7);
            if (s == 1 || s == 3) { /* the references on a few */
                check_forward_ref(&p, &in, &f1);
                check_backward_ref(&p, &in, mean, rstd, &b1);
            }
            for (size_t t = 1; t < ntc; t++) {
                simdnorm_set_num_threads(tc[t]);
                frun f = run_forward(&p, &in);
                brun b = run_backward(&p, &in, mean, rstd, 7);
                brun bd = run_backward(&p, &in, mean, rstd, 1); /* dx only */
                CHECK(same_forward(&p, &f1, &f), "forward differs on %d threads (%s shape %zu)",
                      tc[t], layout ? "nhwc" : "nchw", s);
                CHECK(same_backward(&p, &b1, &b) && same(b1.dx, bd.dx, total_of(&p)),
                      "backward differs on %d threads (%s shape %zu)", tc[t],
                      layout ? "nhwc" : "nchw", s);
                free_frun(&f);
                free_brun(&b);
                free_brun(&bd);
            }
            free_frun(&f1);
            free_brun(&b1);
            free(mean);
            free(rstd);
            free_inputs(in);
        }
    simdnorm_set_num_threads(saved);
}

/* Coefficients out of float range: x ~ 1e29 (rstd ~ 1e-29) and, in group
 * 0, gamma ~ 1e-19, so w_c = rstd*gamma_c is below FLT_MIN while dx
 * (~1e-33) and every other coefficient are normal floats. Such a pair takes
 * the double path (gn_dx_slow), the others the kernels: against the float64
 * reference, the same bits on 1 and 3 threads (the phased paths: fewer
 * pairs than threads) and in place, and the same as scalar. */
static void case_tiny_coeffs(void)
{
    static const struct {
        size_t n, c, sp, g;
    } shapes[] = {{2, 6, 50, 3}, {3, 12, 7, 4}, {1, 4, 40000, 2}, {1, 6, 30000, 3}};
    const simdnorm_isa isa = simdnorm_active_isa();
    const int saved = simdnorm_get_num_threads();
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
        for (int layout = 0; layout < 2; layout++) {
            gp p = {layout ? SIMDNORM_NHWC : SIMDNORM_NCHW, shapes[s].n, shapes[s].c,
                    shapes[s].sp, shapes[s].g, 1, 0, 1, 0, 1e-5f};
            rng_seed(900 + s);
            gin in = make_inputs(&p, 0.0, 1.0);
            for (size_t e = 0; e < total_of(&p); e++) {
                in.x[e] *= 1e29f;
                in.dy[e] *= 1e15f;
            }
            for (size_t ch = 0; ch < p.c / p.groups; ch++)
                in.gamma[ch] *= 1e-19f;
            const size_t pairs = pairs_of(&p);
            float *mean = malloc(pairs * sizeof(float)), *rstd = malloc(pairs * sizeof(float));
            simdnorm_set_num_threads(1);
            forward_stats(&p, &in, mean, rstd);
            brun b1 = run_backward(&p, &in, mean, rstd, 7);
            check_backward_ref(&p, &in, mean, rstd, &b1);
            simdnorm_set_num_threads(3);
            brun b3 = run_backward(&p, &in, mean, rstd, 7);
            gp q = p;
            q.in_place = 1;
            brun bi = run_backward(&q, &in, mean, rstd, 7);
            simdnorm_set_num_threads(saved);
            CHECK(same_backward(&p, &b1, &b3), "%s shape %zu: 3 threads differ",
                  layout ? "nhwc" : "nchw", s);
            CHECK(same_backward(&p, &b1, &bi), "%s shape %zu: in place differs",
                  layout ? "nhwc" : "nchw", s);
            if (isa != SIMDNORM_ISA_SCALAR) {
                simdnorm_set_isa(SIMDNORM_ISA_SCALAR);
                brun bs = run_backward(&p, &in, mean, rstd, 7);
                simdnorm_set_isa(isa);
                CHECK(same_backward(&p, &b1, &bs), "%s shape %zu: differs from scalar",
                      layout ? "nhwc" : "nchw", s);
                free_brun(&bs);
            }
            free_brun(&b1);
            free_brun(&b3);
            free_brun(&bi);
            free(mean);
            free(rstd);
            free_inputs(in);
        }
}

/* ---- errors: every status, nothing written ---------------------------------- */

static void case_errors(void)
{
    enum { N = 2, C = 6, SP = 5, G = 3, T = N * C * SP, P = N * G };
    float x[T], y[T + 8], g[C], b[C], m[P + 2], r[P + 2], dy[T], dx[T], dg[C + 2], db[C + 2];
    float big[4 * T];
    for (int i = 0; i < T; i++)
        x[i] = dy[i] = (float)i;
    for (int i = 0; i < C; i++)
        g[i] = b[i] = 1.0f;
    for (int i = 0; i < 4 * T; i++)
        big[i] = 1.0f;
    float stats_m[P], stats_r[P];
    for (int i = 0; i < P; i++)
        stats_m[i] = stats_r[i] = 1.0f;
#define RESET()                                                                                \
    do {                                                                                       \
        for (int i_ = 0; i_ < T + 8; i_++)                                                     \
            y[i_] = from_bits(SENTINEL_BITS);                                                  \
        for (int i_ = 0; i_ < P + 2; i_++)                                                     \
            m[i_] = r[i_] = from_bits(SENTINEL_BITS);                                          \
        for (int i_ = 0; i_ < T; i_++)                                                         \
            dx[i_] = from_bits(SENTINEL_BITS);                                                 \
        for (int i_ = 0; i_ < C + 2; i_++)                                                     \
            dg[i_] = db[i_] = from_bits(SENTINEL_BITS);                                        \
    } while (0)
#define UNTOUCHED()                                                                            \
    ({                                                                                         \
        int ok_ = 1;                                                                           \
        for (int i_ = 0; i_ < T + 8; i_++)                                                     \
            ok_ &= fbits(y[i_]) == SENTINEL_BITS;                                              \
        for (int i_ = 0; i_ < P + 2; i_++)                                                     \
            ok_ &= fbits(m[i_]) == SENTINEL_BITS && fbits(r[i_]) == SENTINEL_BITS;             \
        for (int i_ = 0; i_ < T; i_++)                                                         \
            ok_ &= fbits(dx[i_]) == SENTINEL_BITS;                                             \
        for (int i_ = 0; i_ < C + 2; i_++)                                                     \
            ok_ &= fbits(dg[i_]) == SENTINEL_BITS && fbits(db[i_]) == SENTINEL_BITS;           \
        ok_;                                                                                   \
    })
#define FWD(want, lay, n, c, sp, gr, xx, gg, bb, eps, yy, mm, rr)                              \
    do {                                                                                       \
        RESET();                                                                               \
        const simdnorm_status s_ = simdnorm_group_norm_f32(lay, n, c, sp, gr, xx, gg, bb, eps, \
                                                           yy, mm, rr);                        \
        CHECK(s_ == (want), "line %d: forward status %d, want %d", __LINE__, s_, want);        \
        if ((want) != SIMDNORM_OK || (n) == 0 || (c) == 0)                                     \
            CHECK(UNTOUCHED(), "line %d: forward wrote on error / no-op", __LINE__);           \
    } while (0)
#define BWD(want, lay, n, c, sp, gr, ddy, xx, gg, mm, rr, ddx, ddg, ddb)                       \
    do {                                                                                       \
        RESET();                                                                               \
        const simdnorm_status s_ = simdnorm_group_norm_bwd_f32(lay, n, c, sp, gr, ddy, xx, gg, \
                                                               mm, rr, ddx, ddg, ddb);         \
        CHECK(s_ == (want), "line %d: backward status %d, want %d", __LINE__, s_, want);       \
        if ((want) != SIMDNORM_OK)                                                             \
            CHECK(UNTOUCHED(), "line %d: backward wrote on error", __LINE__);                  \
    } while (0)
    const simdnorm_layout L = SIMDNORM_NCHW;
    /* OK baseline */
    FWD(SIMDNORM_OK, L, 0, C, SP, G, x, g, b, 1e-5f, y, m, r); /* n == 0: no-op */
    FWD(SIMDNORM_OK, L, N, 0, SP, 1, x, g, b, 1e-5f, y, m, r); /* c == 0: no-op */
    FWD(SIMDNORM_OK, L, 0, C, SP, G, NULL, NULL, NULL, 1e-5f, NULL, m, r);
    /* parameters */
    FWD(SIMDNORM_ERR_PARAM, L, N, C, SP, G, x, g, b, -1e-5f, y, m, r);
    FWD(SIMDNORM_ERR_PARAM, L, N, C, SP, G, x, g, b, NAN, y, m, r);
    FWD(SIMDNORM_ERR_PARAM, L, N, C, SP, G, x, g, b, INFINITY, y, m, r);
    FWD(SIMDNORM_ERR_PARAM, (simdnorm_layout)7, N, C, SP, G, x, g, b, 1e-5f, y, m, r);
    FWD(SIMDNORM_ERR_PARAM, (simdnorm_layout)-1, N, C, SP, G, x, g, b, 1e-5f, y, m, r);
    /* groups */
    FWD(SIMDNORM_ERR_SHAPE, L, N, C, SP, 0, x, g, b, 1e-5f, y, m, r);
    FWD(SIMDNORM_ERR_SHAPE, L, N, C, SP, 4, x, g, b, 1e-5f, y, m, r);
    FWD(SIMDNORM_ERR_SHAPE, L, N, C, SP, 12, x, g, b, 1e-5f, y, m, r);
    FWD(SIMDNORM_ERR_SHAPE, L, 0, C, SP, 5, x, g, b, 1e-5f, y, m, r);
    FWD(SIMDNORM_ERR_SHAPE, L, N, 0, SP, 0, x, g, b, 1e-5f, y, m, r);
    /* NULL */
    FWD(SIMDNORM_ERR_NULL, L, N, C, SP, G, NULL, g, b, 1e-5f, y, m, r);
    FWD(SIMDNORM_ERR_NULL, L, N, C, SP, G, x, g, b, 1e-5f, NULL, m, r);
    /* shape */
    FWD(SIMDNORM_ERR_SHAPE, L, N, C, 0, G, x, g, b, 1e-5f, y, m, r);
    FWD(SIMDNORM_ERR_SHAPE, L, N, C, (size_t)1 << 62, G, x, g, b, 1e-5f, y, m, r);
    FWD(SIMDNORM_ERR_SHAPE, SIMDNORM_NHWC, (size_t)1 << 40, C, (size_t)1 << 40, G, x, g, b, 1e-5f, y, m, r);
    /* overlap: y partly over x, mean over y, rstd over mean, mean over gamma */
    FWD(SIMDNORM_ERR_OVERLAP, L, N, C, SP, G, big, g, b, 1e-5f, big + 1, m, r);
    FWD(SIMDNORM_ERR_OVERLAP, L, N, C, SP, G, x, g, b, 1e-5f, y, y + T - 1, r);
    FWD(SIMDNORM_ERR_OVERLAP, L, N, C, SP, G, x, g, b, 1e-5f, y, m, m + 1);
    FWD(SIMDNORM_ERR_OVERLAP, L, N, C, SP, G, x, g, b, 1e-5f, y, m, m);
    FWD(SIMDNORM_ERR_OVERLAP, SIMDNORM_NHWC, N, C, SP, G, x, g, b, 1e-5f, y, (float *)g, r);
    FWD(SIMDNORM_ERR_OVERLAP, L, N, C, SP, G, x, g, b, 1e-5f, y, m, (float *)x + 2);
    /* backward */
    BWD(SIMDNORM_ERR_PARAM, (simdnorm_layout)2, N, C, SP, G, dy, x, g, stats_m, stats_r, dx, dg, db);
    BWD(SIMDNORM_ERR_SHAPE, L, N, C, SP, 0, dy, x, g, stats_m, stats_r, dx, dg, db);
    BWD(SIMDNORM_ERR_SHAPE, L, N, C, SP, 5, dy, x, g, stats_m, stats_r, dx, dg, db);
    BWD(SIMDNORM_ERR_NULL, L, N, C, SP, G, NULL, x, g, stats_m, stats_r, dx, dg, db);
    BWD(SIMDNORM_ERR_NULL, L, N, C, SP, G, dy, NULL, g, stats_m, stats_r, dx, dg, db);
    BWD(SIMDNORM_ERR_NULL, L, N, C, SP, G, dy, x, g, NULL, stats_r, dx, dg, db);
    BWD(SIMDNORM_ERR_NULL, L, N, C, SP, G, dy, x, g, stats_m, NULL, dx, dg, db);
    BWD(SIMDNORM_ERR_SHAPE, L, N, C, 0, G, dy, x, g, stats_m, stats_r, dx, dg, db);
    BWD(SIMDNORM_ERR_SHAPE, L, N, C, (size_t)1 << 62, G, dy, x, g, stats_m, stats_r, dx, dg, db);
    BWD(SIMDNORM_ERR_OVERLAP, L, N, C, SP, G, big + 1, big, g, stats_m, stats_r, big + 1, dg, db);
    BWD(SIMDNORM_ERR_OVERLAP, L, N, C, SP, G, dy, big, g, stats_m, stats_r, big + 3, dg, db);
    BWD(SIMDNORM_ERR_OVERLAP, L, N, C, SP, G, big, x, g, stats_m, stats_r, big + T - 1, dg, db);
    BWD(SIMDNORM_ERR_OVERLAP, L, N, C, SP, G, dy, x, g, stats_m, stats_r, dx, dg, dg + 1);
    BWD(SIMDNORM_ERR_OVERLAP, L, N, C, SP, G, dy, x, g, stats_m, stats_r, dx, dg, dx + 3);
    BWD(SIMDNORM_ERR_OVERLAP, SIMDNORM_NHWC, N, C, SP, G, dy, x, g, stats_m, stats_r, dx,
        (float *)stats_m, db);
    BWD(SIMDNORM_ERR_OVERLAP, L, N, C, SP, G, dy, x, g, stats_m, stats_r, dx, dg, (float *)g);
    /* no-ops and the n == 0 sums */
    BWD(SIMDNORM_OK, L, N, 0, SP, 1, dy, x, g, stats_m, stats_r, dx, dg, db);
    CHECK(UNTOUCHED(), "c == 0 backward wrote");
    BWD(SIMDNORM_OK, L, N, C, SP, G, dy, x, g, stats_m, stats_r, NULL, NULL, NULL);
    CHECK(UNTOUCHED(), "backward with no outputs wrote");
    BWD(SIMDNORM_OK, L, 0, C, SP, G, NULL, NULL, NULL, NULL, NULL, NULL, dg, db);
    int zeros = 1;
    for (int i = 0; i < C; i++)
        zeros &= fbits(dg[i]) == 0 && fbits(db[i]) == 0;
    CHECK(zeros && fbits(dg[C]) == SENTINEL_BITS && fbits(db[C]) == SENTINEL_BITS,
          "n == 0 backward: dgamma/dbeta not zeroed exactly");
    BWD(SIMDNORM_ERR_OVERLAP, L, 0, C, SP, G, NULL, NULL, NULL, NULL, NULL, NULL, dg, dg + 2);
    /* in place is allowed */
    RESET();
    memcpy(y, x, sizeof x);
    CHECK(simdnorm_group_norm_f32(L, N, C, SP, G, y, g, b, 1e-5f, y, m, r) == SIMDNORM_OK,
          "forward in place rejected");
    memcpy(dx, dy, sizeof dy);
    CHECK(simdnorm_group_norm_bwd_f32(L, N, C, SP, G, dx, x, g, stats_m, stats_r, dx, dg, db) ==
              SIMDNORM_OK,
          "backward in place rejected");
#undef RESET
#undef UNTOUCHED
#undef FWD
#undef BWD
}

typedef struct named_case {
    const char *name;
    void (*fn)(void);
} named_case;

int main(void)
{
    static const named_case cases[] = {
        {"shapes_groups_1_c_between", case_shapes},
        {"offset_1e6_long_groups", case_offset},
        {"nchw_stats_are_layer_norm", case_layer_norm_stats},
        {"layouts_agree_2d", case_2d_layouts_agree},
        {"nan_inf_stay_in_their_group", case_nan_inf},
        {"threads_bitwise", case_threads},
        {"tiny_coeffs_double_path", case_tiny_coeffs},
        {"errors_nothing_written", case_errors},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
        for (size_t i = 0; i < N_ARCH_ISAS; i++)
            if (begin_isa_case(cases[c].name, arch_isas[i])) {
                cases[c].fn();
                h_end();
            }
    printf("worst |y - ref| / max(1, |ref|): %.3g (bound 1e-6 / 2e-6 with gamma, beta)\n", worst_y);
    printf("worst |mean - ref| / max(|mean|, std): %.3g, |rstd - ref| / rstd: %.3g (bound 1e-6)\n",
           worst_mean, worst_rstd);
    printf("worst |dx - ref| / max |ref dx| of the group: %.3g; dgamma / sum |dy xhat|: %.3g; "
           "dbeta / sum |dy|: %.3g (bound 1e-5)\n",
           worst_dx, worst_dg, worst_db);
    return h_summary();
}
