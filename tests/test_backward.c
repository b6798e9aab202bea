/* test_backward.c - the backward passes (simdnorm_layer_norm_bwd_f32,
 * simdnorm_rms_norm_bwd_f32, simdnorm_batch_norm_bwd_f32) on every ISA this
 * CPU runs: against a float64 reference of PyTorch's formulas with issue 13's
 * bounds, bit for bit against the scalar kernels and across thread counts
 * 1, 2, 3, 4, 7, 16, over lengths 1..300 and wide rows, strides, misaligned
 * pointers, in place, optional outputs, guard pages and sentinels, |mean|/std
 * up to 1e4 and rows/channels up to 2^22 elements, 10^5 rows for dgamma,
 * NaN/Inf rows and channels; and every error of DESIGN §5 with not one byte
 * written.
 *
 * The float64 reference takes the float mean/rstd it is given (the forward's
 * saved statistics, or arbitrary ones): xhat = (x - mean) * rstd (RMSNorm:
 * x * rstd), g = dy * gamma, and
 *   LayerNorm / BatchNorm training: dx = rstd * (g - avg(g) - xhat * avg(g * xhat))
 *   RMSNorm:                        dx = rstd * (g - xhat * avg(g * xhat))
 *   BatchNorm training == 0:        dx = g * rstd
 *   dgamma = sum dy * xhat, dbeta = sum dy.
 * Bounds: |dx - ref| <= 1e-5 * max |ref dx| of the row (channel), plus
 * 2^-22 (four float roundings) of the largest term of the formula
 * (|rstd*g|, |rstd*avg(g)|, |rstd*xhat*avg(g*xhat)|). The allowance is for
 * rows whose terms cancel to far below their size - with 1 or 2 elements
 * and the forward's statistics dx is ~eps/var of rstd*g, with 3 it can be
 * 1/100 by chance - where no float evaluation can do better. Elsewhere the
 * terms are a few times max |dx| (~20 on the long rows whose dy has an
 * offset of 30), so the allowance stays below the 1e-5 part, which sums
 * accumulated in float miss by far there. |dgamma - ref|
 * <= 1e-5 * sum |dy * xhat|, |dbeta - ref| <= 1e-5 * sum |dy|. Where the
 * reference is NaN the output must be the canonical NaN 0x7fc00000; where it
 * is +-Inf, that Inf or NaN (the order of evaluation decides).
 *
 * Under emulation (SIMDNORM_TEST_EMULATED, set by tests/meson.build for the
 * qemu runs) the long rows, the 10^5-row and the thread-split shapes are
 * smaller. The last lines give the worst errors against float64 seen. */
#include "common.h"
#include "internal.h"

#include <stdint.h>

#define NAN_BITS 0x7fc00000u
/* A negative signalling NaN in the gaps between input rows and after them:
 * an input element that is read but should not be shows as a NaN. */
#define GAP_BITS 0xffa5a5a5u
/* The dx bound's allowance for float rounding of the formula's terms (see
 * the header): 2^-22, four roundings of the largest term. */
#define TERM_FLOOR 0x1p-22

static int emulated(void) { return getenv("SIMDNORM_TEST_EMULATED") != NULL; }

static const int thread_counts[] = {1, 2, 3, 4, 7, 16};
#define N_THREAD_COUNTS (sizeof thread_counts / sizeof *thread_counts)

/* ---- worst errors seen (the closing lines) ----------------------------- */
enum { FN_LN, FN_RMS, FN_BN, N_FN };
enum { OUT_DX, OUT_DG, OUT_DB, N_OUT };
static const char *const fn_names[N_FN] = {"layer_norm_bwd", "rms_norm_bwd", "batch_norm_bwd"};
static const char *const out_names[N_OUT] = {"dx", "dgamma", "dbeta"};
static double worst[N_FN][N_OUT];    /* |err| / scale (max |dx| or sum |terms|) */
static size_t floor_rows[N_FN];      /* rows whose dx error needed the term allowance */
/* (both over rows/channels of 3 or more elements: with 1 or 2, dx is a
 * cancellation far below its terms and the allowance is what bounds it) */

static void note(int fn, int out, double err, double scale)
{
    if (scale > 0 && err / scale > worst[fn][out])
        worst[fn][out] = err / scale;
}

/* One gradient value against its float64 reference (see the header). */
static int grad_ok(float got, double want, double tol)
{
    if (isnan(got) && fbits(got) != NAN_BITS)
        return 0;
    if (isnan(want))
        return isnan(got);
    if (isinf(want))
        return isnan(got) || (isinf(got) && (got > 0) == (want > 0));
    return isfinite(got) && fabs((double)got - want) <= tol;
}

/* ---- buffers ----------------------------------------------------------------
 * place(): n floats (+ tail) in a guarded buffer, all set to `fill`.
 * mis < 0: the last float ends exactly at the PROT_NONE page. mis >= 0: the
 * start is mis floats past a 64-byte boundary, and up to 15 more floats of
 * `fill` lie between the end and the guard page (checked like a tail). */
static float *place(guarded_buf *g, size_t n, int mis, uint32_t fill)
{
    size_t pad = 0;
    if (mis >= 0)
        pad = (16 - (n + (size_t)mis) % 16) % 16;
    *g = guarded(n + pad);
    for (size_t i = 0; i < n + pad; i++)
        g->p[i] = from_bits(fill);
    return g->p;
}

/* Floats from p to the guard page of g. */
static size_t to_guard(const guarded_buf *g, const float *p)
{
    const char *guard = (const char *)g->base + g->len - (size_t)sysconf(_SC_PAGESIZE);
    return (size_t)(guard - (const char *)p) / sizeof(float);
}

/* Floats of buffer g from index `from` on that are not `bits`. */
static size_t not_bits(const guarded_buf *g, const float *p, size_t from, uint32_t bits)
{
    size_t bad = 0, end = to_guard(g, p);
    for (size_t i = from; i < end; i++)
        bad += fbits(p[i]) != bits;
    return bad;
}

static void free_bufs(guarded_buf *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i].base)
            guarded_free(b[i]);
}

static void fill_gamma(float *g, size_t n)
{
    for (size_t j = 0; j < n; j++)
        g[j] = (float)((j % 5 == 3 ? -1.0 : 1.0) * (0.5 + rng_unif()));
}

/* =========================================================================
 * LayerNorm and RMSNorm
 * ========================================================================= */

typedef struct rproblem {
    int rms;                  /* 0: LayerNorm, 1: RMSNorm */
    size_t rows, cols;
    size_t dys, xs, dxs;      /* strides in floats (in place: dx uses dys) */
    int gamma;                /* pass gamma */
    int out_dx, out_dg, out_db; /* which outputs are passed (dbeta: LayerNorm) */
    int in_place;             /* dx = dy */
    int mis;                  /* -1: buffers end at their guard page; else misalignments */
    size_t tail;              /* sentinel floats after dx, dgamma, dbeta */
} rproblem;

/* Dense inputs: dy, x [rows][cols]; gamma [cols]; mean, rstd [rows]. */
typedef struct rinputs {
    float *dy, *x, *gamma, *mean, *rstd;
} rinputs;

typedef struct rrun {
    guarded_buf b[8];
    float *dy, *x, *g, *mean, *rstd, *dx, *dg, *db;
} rrun;

static rproblem rplain(int rms, size_t rows, size_t cols)
{
    rproblem p;
    memset(&p, 0, sizeof p);
    p.rms = rms;
    p.rows = rows;
    p.cols = p.dys = p.xs = p.dxs = cols;
    p.gamma = 1;
    p.out_dx = p.out_dg = p.out_db = 1;
    p.mis = -1;
    return p;
}

static size_t r_dxs(const rproblem *p) { return p->in_place ? p->dys : p->dxs; }
static size_t span(size_t rows, size_t stride, size_t cols)
{
    return rows ? (rows - 1) * stride + cols : 0;
}
static int mis_of(int mis, int k) { return mis < 0 ? -1 : (mis * k + k / 2) % 16; }

static rinputs make_rinputs(size_t rows, size_t cols, double x_off, double x_scale, double dy_off)
{
    rinputs in;
    const size_t n = rows * cols;
    in.dy = malloc((n ? n : 1) * sizeof(float));
    in.x = malloc((n ? n : 1) * sizeof(float));
    in.gamma = malloc((cols ? cols : 1) * sizeof(float));
    in.mean = malloc((rows ? rows : 1) * sizeof(float));
    in.rstd = malloc((rows ? rows : 1) * sizeof(float));
    fill_normal(in.x, n, x_off, x_scale);
    fill_normal(in.dy, n, dy_off, 1.0);
    fill_gamma(in.gamma, cols);
    return in;
}

static void free_rinputs(rinputs in)
{
    free(in.dy), free(in.x), free(in.gamma), free(in.mean), free(in.rstd);
}

enum { STATS_FORWARD, STATS_SHIFTED, STATS_RANDOM };

/* mean/rstd for norm `rms`: the library's forward (eps 1e-5), that
 * perturbed (a quarter std off, rstd 10% off), or random ones. */
static void set_rstats(rinputs *in, int rms, size_t rows, size_t cols, int mode)
{
    float *y = malloc((rows * cols != 0 ? rows * cols : 1) * sizeof(float));
    const simdnorm_status st =
        rms ? simdnorm_rms_norm_f32(rows, cols, in->x, cols, NULL, 1e-5f, y, cols, in->rstd)
            : simdnorm_layer_norm_f32(rows, cols, in->x, cols, NULL, NULL, 1e-5f, y, cols,
                                      in->mean, in->rstd);
    CHECK(st == SIMDNORM_OK, "forward for the statistics: status %d", st);
    free(y);
    for (size_t r = 0; r < rows; r++) {
        if (rms)
            in->mean[r] = 0.0f;
        if (mode == STATS_SHIFTED) {
            if (!rms)
                in->mean[r] = (float)(in->mean[r] + 0.25 / in->rstd[r]);
            in->rstd[r] = (float)(in->rstd[r] * (rms ? 0.9 : 1.1));
        } else if (mode == STATS_RANDOM) {
            const double sd = 1.0 / in->rstd[r];
            if (!rms)
                in->mean[r] = (float)(in->x[r * cols] + sd * rng_normal());
            in->rstd[r] = (float)((0.3 + 2.0 * rng_unif()) / sd);
        }
    }
}

static rrun make_rrun(const rproblem *p, const rinputs *in)
{
    rrun r;
    memset(&r, 0, sizeof r);
    const size_t rows = p->rows, cols = p->cols;
    const size_t dy_len = span(rows, p->dys, cols), x_len = span(rows, p->xs, cols);
    r.dy = place(&r.b[0], dy_len, mis_of(p->mis, 1), GAP_BITS);
    r.x = place(&r.b[1], x_len, mis_of(p->mis, 3), GAP_BITS);
    for (size_t i = 0; i < rows; i++) {
        memcpy(r.dy + i * p->dys, in->dy + i * cols, cols * sizeof(float));
        memcpy(r.x + i * p->xs, in->x + i * cols, cols * sizeof(float));
    }
    if (p->in_place)
        r.dx = r.dy;
    else if (p->out_dx)
        r.dx = place(&r.b[2], span(rows, p->dxs, cols) + p->tail, mis_of(p->mis, 7), SENTINEL_BITS);
    if (p->gamma) {
        r.g = place(&r.b[3], cols, mis_of(p->mis, 5), GAP_BITS);
        memcpy(r.g, in->gamma, cols * sizeof(float));
    }
    if (!p->rms) {
        r.mean = place(&r.b[4], rows, mis_of(p->mis, 9), GAP_BITS);
        memcpy(r.mean, in->mean, rows * sizeof(float));
    }
    r.rstd = place(&r.b[5], rows, mis_of(p->mis, 11), GAP_BITS);
    memcpy(r.rstd, in->rstd, rows * sizeof(float));
    if (p->out_dg)
        r.dg = place(&r.b[6], cols + p->tail, mis_of(p->mis, 13), SENTINEL_BITS);
    if (p->out_db && !p->rms)
        r.db = place(&r.b[7], cols + p->tail, mis_of(p->mis, 2), SENTINEL_BITS);
    return r;
}

static simdnorm_status rcall(const rproblem *p, rrun *r)
{
    if (p->rms)
        return simdnorm_rms_norm_bwd_f32(p->rows, p->cols, r->dy, p->dys, r->x, p->xs, r->g,
                                         r->rstd, r->dx, r_dxs(p), r->dg);
    return simdnorm_layer_norm_bwd_f32(p->rows, p->cols, r->dy, p->dys, r->x, p->xs, r->g,
                                       r->mean, r->rstd, r->dx, r_dxs(p), r->dg, r->db);
}

static float rdx(const rproblem *p, const rrun *r, size_t row, size_t j)
{
    return r->dx[row * r_dxs(p) + j];
}

/* The float64 reference of one problem's inputs. */
typedef struct rref {
    double *dx, *dx_tol, *dx_scale, *dx_terms; /* [rows*cols], [rows] x3 */
    double *dg, *dg_abs, *db, *db_abs;         /* [cols] */
} rref;

static rref rref_compute(int rms, int gamma, size_t rows, size_t cols, const rinputs *in)
{
    rref f;
    f.dx = malloc((rows * cols != 0 ? rows * cols : 1) * sizeof(double));
    f.dx_tol = malloc((rows ? rows : 1) * sizeof(double));
    f.dx_scale = malloc((rows ? rows : 1) * sizeof(double));
    f.dx_terms = malloc((rows ? rows : 1) * sizeof(double));
    f.dg = calloc(cols ? cols : 1, sizeof(double));
    f.dg_abs = calloc(cols ? cols : 1, sizeof(double));
    f.db = calloc(cols ? cols : 1, sizeof(double));
    f.db_abs = calloc(cols ? cols : 1, sizeof(double));
    for (size_t r = 0; r < rows; r++) {
        const float *dy = in->dy + r * cols, *x = in->x + r * cols;
        const double mean = rms ? 0.0 : (double)in->mean[r], rstd = in->rstd[r];
        double sg = 0, sgx = 0;
        for (size_t j = 0; j < cols; j++) {
            const double xh = ((double)x[j] - mean) * rstd;
            const double g = (double)dy[j] * (gamma ? (double)in->gamma[j] : 1.0);
            sg += g;
            sgx += g * xh;
            f.dg[j] += (double)dy[j] * xh;
            f.dg_abs[j] += fabs((double)dy[j] * xh);
            f.db[j] += dy[j];
            f.db_abs[j] += fabs((double)dy[j]);
        }
        const double ag = rms ? 0.0 : sg / (double)cols, agx = sgx / (double)cols;
        double scale = 0, terms = 0;
        for (size_t j = 0; j < cols; j++) {
            const double xh = ((double)x[j] - mean) * rstd;
            const double g = (double)dy[j] * (gamma ? (double)in->gamma[j] : 1.0);
            const double d = rstd * (g - ag - xh * agx);
            f.dx[r * cols + j] = d;
            if (isfinite(d))
                scale = fmax(scale, fabs(d));
            const double t = fabs(rstd * g) + fabs(rstd * ag) + fabs(rstd * xh * agx);
            if (isfinite(t))
                terms = fmax(terms, t);
        }
        f.dx_scale[r] = scale;
        f.dx_terms[r] = terms;
        f.dx_tol[r] = 1e-5 * scale + TERM_FLOOR * terms;
    }
    return f;
}

static void free_rref(rref f)
{
    free(f.dx), free(f.dx_tol), free(f.dx_scale), free(f.dx_terms);
    free(f.dg), free(f.dg_abs), free(f.db), free(f.db_abs);
}

/* A finished run against the reference, its sentinels and unchanged inputs. */
static void rcheck(const rproblem *p, const rrun *r, const rinputs *in, const rref *f)
{
    const int fn = p->rms ? FN_RMS : FN_LN;
    const char *name = p->rms ? "rms" : "ln";
    const size_t rows = p->rows, cols = p->cols;
    size_t bad = 0;
    if (r->dx)
        for (size_t row = 0; row < rows; row++) {
            double row_err = 0;
            for (size_t j = 0; j < cols; j++) {
                const float got = rdx(p, r, row, j);
                const double want = f->dx[row * cols + j];
                if (!grad_ok(got, want, f->dx_tol[row])) {
                    if (bad++ < 3)
                        CHECK(0, "%s %zux%zu row %zu col %zu: dx %.9g (%08x), reference %.17g, bound %.3g",
                              name, rows, cols, row, j, got, fbits(got), want, f->dx_tol[row]);
                } else if (isfinite(want)) {
                    row_err = fmax(row_err, fabs((double)got - want));
                }
            }
            if (cols >= 3) { /* 1 or 2 elements: dx is a cancellation, see the header */
                note(fn, OUT_DX, row_err, f->dx_scale[row]);
                floor_rows[fn] += row_err > 1e-5 * f->dx_scale[row];
            }
        }
    CHECK(bad == 0, "%s %zux%zu: %zu dx values outside the bound", name, rows, cols, bad);
    const float *outs[2] = {r->dg, r->db};
    const double *want[2] = {f->dg, f->db}, *absum[2] = {f->dg_abs, f->db_abs};
    for (int o = 0; o < 2; o++) {
        if (!outs[o])
            continue;
        bad = 0;
        for (size_t j = 0; j < cols; j++) {
            const double tol = 1e-5 * absum[o][j];
            if (!grad_ok(outs[o][j], want[o][j], tol)) {
                if (bad++ < 3)
                    CHECK(0, "%s %zux%zu col %zu: %s %.9g (%08x), reference %.17g, bound %.3g", name,
                          rows, cols, j, out_names[OUT_DG + o], outs[o][j], fbits(outs[o][j]),
                          want[o][j], tol);
            } else if (isfinite(want[o][j])) {
                note(fn, OUT_DG + o, fabs((double)outs[o][j] - want[o][j]), absum[o][j]);
            }
        }
        CHECK(bad == 0, "%s: %zu %s values outside the bound", name, bad, out_names[OUT_DG + o]);
        CHECK(not_bits(&r->b[6 + o], outs[o], cols, SENTINEL_BITS) == 0,
              "%s: sentinel after %s overwritten", name, out_names[OUT_DG + o]);
    }
    /* dx: everything outside the rows' elements keeps its fill */
    if (r->dx) {
        const guarded_buf *g = p->in_place ? &r->b[0] : &r->b[2];
        const uint32_t fill = p->in_place ? GAP_BITS : SENTINEL_BITS;
        const size_t end = to_guard(g, r->dx), s = r_dxs(p);
        size_t over = 0;
        for (size_t i = 0; i < end; i++) {
            const size_t row = i / s, col = i % s;
            if (!(row < rows && col < cols))
                over += fbits(r->dx[i]) != fill;
        }
        CHECK(over == 0, "%s %zux%zu: %zu floats outside dx's rows written", name, rows, cols, over);
    }
    /* inputs unchanged (dy unless in place), gaps included */
    size_t changed = 0;
    for (size_t row = 0; row < rows; row++) {
        changed += memcmp(r->x + row * p->xs, in->x + row * cols, cols * sizeof(float)) != 0;
        if (!p->in_place)
            changed += memcmp(r->dy + row * p->dys, in->dy + row * cols, cols * sizeof(float)) != 0;
    }
    if (p->gamma)
        changed += memcmp(r->g, in->gamma, cols * sizeof(float)) != 0;
    changed += memcmp(r->rstd, in->rstd, rows * sizeof(float)) != 0;
    if (!p->rms)
        changed += memcmp(r->mean, in->mean, rows * sizeof(float)) != 0;
    CHECK(changed == 0, "%s %zux%zu: an input was written", name, rows, cols);
}

/* Two runs of the same inputs: every output both have, bit for bit. */
static void rsame(const rproblem *pa, const rrun *a, const rproblem *pb, const rrun *b,
                  const char *what)
{
    const char *name = pa->rms ? "rms" : "ln";
    if (a->dx && b->dx) {
        size_t diff = 0;
        for (size_t row = 0; row < pa->rows; row++)
            for (size_t j = 0; j < pa->cols; j++)
                diff += fbits(rdx(pa, a, row, j)) != fbits(rdx(pb, b, row, j));
        CHECK(diff == 0, "%s %zux%zu: %zu dx values differ from %s", name, pa->rows, pa->cols, diff,
              what);
    }
    if (a->dg && b->dg)
        CHECK(memcmp(a->dg, b->dg, pa->cols * sizeof(float)) == 0,
              "%s %zux%zu: dgamma differs from %s", name, pa->rows, pa->cols, what);
    if (a->db && b->db)
        CHECK(memcmp(a->db, b->db, pa->cols * sizeof(float)) == 0,
              "%s %zux%zu: dbeta differs from %s", name, pa->rows, pa->cols, what);
}

/* Run p on the active ISA (status, reference, sentinels) and on scalar:
 * the same bits. */
static void rcheck_problem(const rproblem *p, const rinputs *in, const rref *f)
{
    const simdnorm_isa isa = simdnorm_active_isa();
    rrun r = make_rrun(p, in);
    const simdnorm_status st = rcall(p, &r);
    CHECK(st == SIMDNORM_OK, "%s %zux%zu: status %d", p->rms ? "rms" : "ln", p->rows, p->cols, st);
    rcheck(p, &r, in, f);
    if (isa != SIMDNORM_ISA_SCALAR) {
        simdnorm_set_isa(SIMDNORM_ISA_SCALAR);
        rrun s = make_rrun(p, in);
        rcall(p, &s);
        simdnorm_set_isa(isa);
        rsame(p, &r, p, &s, "scalar");
        free_bufs(s.b, 8);
    }
    free_bufs(r.b, 8);
}

/* Both norms, gamma or not, on inputs whose statistics are set per norm. */
static void rcheck_both(rproblem p, rinputs *in, int stats_mode)
{
    for (int rms = 0; rms < 2; rms++) {
        set_rstats(in, rms, p.rows, p.cols, stats_mode);
        for (int gamma = 0; gamma < 2; gamma++) {
            p.rms = rms;
            p.gamma = gamma;
            rref f = rref_compute(rms, gamma, p.rows, p.cols, in);
            rcheck_problem(&p, in, &f);
            free_rref(f);
        }
    }
}

static void case_row_lengths_1_to_300(void)
{
    static const double offsets[] = {0.0, 3.0, -1000.0, 0.25};
    for (size_t n = 1; n <= 300; n++) {
        rng_seed(n);
        rinputs in = make_rinputs(3, n, offsets[n % 4], 1.0 + (double)(n % 7), n % 3 ? 0.0 : 0.5);
        rproblem p = rplain(0, 3, n);
        p.tail = n % 2 ? 7 : 0; /* odd n: sentinels after the outputs; even: at the guard */
        rcheck_both(p, &in, n % 5 == 4 ? STATS_SHIFTED : STATS_FORWARD);
        free_rinputs(in);
    }
}

/* The widths of the issue, with the forward's, shifted and random
 * statistics and a dy with an offset. */
static void case_row_widths(void)
{
    static const size_t widths[][2] = {{17, 33}, {11, 64}, {6, 768}, {3, 4097}};
    for (size_t w = 0; w < 4; w++)
        for (int mode = STATS_FORWARD; mode <= STATS_RANDOM; mode++) {
            rng_seed(1000 + w * 10 + (size_t)mode);
            const size_t rows = widths[w][0], cols = widths[w][1];
            rinputs in = make_rinputs(rows, cols, mode == 1 ? 100.0 : -3.0, 0.5 + (double)w,
                                      mode == 2 ? 2.0 : 0.0);
            rproblem p = rplain(0, rows, cols);
            p.tail = (size_t)mode * 3;
            rcheck_both(p, &in, mode);
            free_rinputs(in);
        }
}

/* |mean|/std up to 1e4, and rows of 2^20 .. 2^22 elements. */
static void case_row_offset_1e4_long_rows(void)
{
    const size_t big = emulated() ? (size_t)1 << 16 : (size_t)1 << 22;
    /* dy with an offset makes avg(g) large against g - avg(g): sums
     * without float64 accuracy show there */
    const struct {
        size_t rows, cols;
        double mean, sd, dy_off;
    } shapes[] = {
        {8, 768, 1e4, 1.0, 0.0},   {4, 4097, -3e4, 3.0, 30.0},       {3, 1000, 100.0, 0.01, 0.0},
        {2, 65537, 1e4, 1.0, 30.0}, {1, big >> 2, 1e4, 1.0, 0.0},    {1, (big >> 1) + 1, -1e4, 2.0, 30.0},
        {1, big, 1e4, 1.0, 30.0},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        rng_seed(2000 + i);
        rinputs in = make_rinputs(shapes[i].rows, shapes[i].cols, shapes[i].mean, shapes[i].sd,
                                  shapes[i].dy_off);
        rproblem p = rplain(0, shapes[i].rows, shapes[i].cols);
        p.tail = i % 2;
        if (shapes[i].cols >= ((size_t)1 << 16)) { /* the long rows: one gamma variant each */
            p.gamma = shapes[i].dy_off == 0.0;
            for (int rms = 0; rms < 2; rms++) {
                set_rstats(&in, rms, p.rows, p.cols, STATS_FORWARD);
                p.rms = rms;
                rref f = rref_compute(rms, p.gamma, p.rows, p.cols, &in);
                rcheck_problem(&p, &in, &f);
                free_rref(f);
            }
        } else {
            rcheck_both(p, &in, i % 2 ? STATS_SHIFTED : STATS_FORWARD);
        }
        free_rinputs(in);
    }
}

/* dgamma/dbeta reduced over 10^5 rows of narrow columns. */
static void case_row_dgamma_1e5_rows(void)
{
    const size_t rows = emulated() ? 10000 : 100000;
    static const size_t widths[] = {8, 33};
    for (size_t w = 0; w < 2; w++) {
        rng_seed(3000 + w);
        rinputs in = make_rinputs(rows, widths[w], 1.0, 2.0, 0.1);
        rproblem p = rplain(0, rows, widths[w]);
        for (int rms = 0; rms < 2; rms++) {
            set_rstats(&in, rms, rows, widths[w], STATS_FORWARD);
            p.rms = rms;
            rref f = rref_compute(rms, 1, rows, widths[w], &in);
            rcheck_problem(&p, &in, &f);
            free_rref(f);
        }
        free_rinputs(in);
    }
}

/* Strides > cols, misaligned pointers, and in place (dx == dy, same
 * stride) equal to out of place bit for bit. */
static void case_row_strides_misaligned_in_place(void)
{
    static const size_t widths[] = {1, 7, 33, 64, 100, 257, 4097};
    for (size_t c = 0; c < sizeof widths / sizeof *widths; c++)
        for (int mis = 0; mis < 4; mis++) {
            const size_t cols = widths[c], rows = 5;
            rng_seed(4000 + c * 16 + (size_t)mis);
            rinputs in = make_rinputs(rows, cols, 1.5, 0.5, 0.0);
            rproblem p = rplain(0, rows, cols);
            p.dys = cols + 3 + (size_t)mis;
            p.xs = cols + 1 + 2 * (size_t)mis;
            p.dxs = cols + 5;
            p.mis = mis * 5 + 1; /* 1, 6, 11, 16 (= 0) floats past a 64-byte boundary */
            p.tail = 4;
            rcheck_both(p, &in, STATS_FORWARD);
            for (int rms = 0; rms < 2; rms++) {
                set_rstats(&in, rms, rows, cols, STATS_FORWARD);
                rproblem a = p, b = p;
                a.rms = b.rms = rms;
                b.in_place = 1;
                rrun ra = make_rrun(&a, &in), rb = make_rrun(&b, &in);
                CHECK(rcall(&a, &ra) == SIMDNORM_OK && rcall(&b, &rb) == SIMDNORM_OK, "call failed");
                rsame(&a, &ra, &b, &rb, "out of place");
                rref f = rref_compute(rms, 1, rows, cols, &in);
                rcheck(&b, &rb, &in, &f);
                free_rref(f);
                free_bufs(ra.b, 8);
                free_bufs(rb.b, 8);
            }
            free_rinputs(in);
        }
}

/* Tiny rows (1-9 floats; up to 7 go into lanes on AVX2 and AVX-512) in
 * groups of a vector's count of rows: gathered sums,
 * packed dx in the group's vectors, strided dx row by row, dgamma/dbeta by
 * 8-row blocks, the rows past the last group by the general blocks.
 * Against scalar and the reference, packed and strided, in place equal to
 * out of place; with a row whose products g * xhat round to -0 (dy = -1
 * ulp of the subnormals), a NaN in dy and an Inf in x. */
static void case_row_tiny(void)
{
    static const size_t rowss[] = {16, 35, 64, 131};
    for (size_t cols = 1; cols <= 9; cols++)
        for (size_t k = 0; k < sizeof rowss / sizeof *rowss; k++)
            for (int strided = 0; strided < 2; strided++) {
                const size_t rows = rowss[k];
                rng_seed(4500 + cols * 100 + k * 10 + (size_t)strided);
                rinputs in = make_rinputs(rows, cols, 0.5, 2.0, 0.25);
                if (rows == 64) {
                    in.dy[9 * cols + cols / 2] = NAN;
                    in.x[40 * cols] = INFINITY;
                }
                rproblem p = rplain(0, rows, cols);
                if (strided) {
                    p.dys = cols + 2;
                    p.xs = cols + 1;
                    p.dxs = cols + 3;
                }
                p.tail = 4;
                rcheck_both(p, &in, STATS_FORWARD);
                /* the -0 products: below any reference bound, so against
                 * scalar and in place only */
                for (size_t j = 0; j < cols; j++)
                    in.dy[2 * cols + j] = -1e-45f;
                const simdnorm_isa isa = simdnorm_active_isa();
                for (int rms = 0; rms < 2; rms++) {
                    set_rstats(&in, rms, rows, cols, STATS_FORWARD);
                    rproblem a = p, b = p;
                    a.rms = b.rms = rms;
                    b.in_place = 1;
                    b.dxs = b.dys;
                    rrun ra = make_rrun(&a, &in), rb = make_rrun(&b, &in);
                    CHECK(rcall(&a, &ra) == SIMDNORM_OK && rcall(&b, &rb) == SIMDNORM_OK,
                          "call failed");
                    rsame(&a, &ra, &b, &rb, "out of place");
                    simdnorm_set_isa(SIMDNORM_ISA_SCALAR);
                    rrun rs = make_rrun(&a, &in);
                    rcall(&a, &rs);
                    simdnorm_set_isa(isa);
                    rsame(&a, &ra, &a, &rs, "scalar");
                    free_bufs(ra.b, 8);
                    free_bufs(rb.b, 8);
                    free_bufs(rs.b, 8);
                }
                free_rinputs(in);
            }
}

/* Every subset of the outputs gives the bits of the full call; none at
 * all is a no-op that returns OK. */
static void case_row_optional_outputs(void)
{
    static const size_t shapes[][2] = {{6, 100}, {4, 4097}, {300, 16}};
    for (size_t s = 0; s < 3; s++) {
        const size_t rows = shapes[s][0], cols = shapes[s][1];
        rng_seed(5000 + s);
        rinputs in = make_rinputs(rows, cols, -2.0, 3.0, 0.0);
        for (int rms = 0; rms < 2; rms++) {
            set_rstats(&in, rms, rows, cols, STATS_SHIFTED);
            rproblem full = rplain(rms, rows, cols);
            full.tail = 2;
            rrun rf = make_rrun(&full, &in);
            CHECK(rcall(&full, &rf) == SIMDNORM_OK, "full call failed");
            for (int mask = 0; mask < 8; mask++) {
                if (mask == 7 || (rms && (mask & 4)))
                    continue;
                rproblem p = full;
                p.out_dx = mask & 1;
                p.out_dg = (mask >> 1) & 1;
                p.out_db = (mask >> 2) & 1;
                rrun r = make_rrun(&p, &in);
                CHECK(rcall(&p, &r) == SIMDNORM_OK, "%s outputs %d: status not OK",
                      rms ? "rms" : "ln", mask);
                rsame(&p, &r, &full, &rf, "the call with every output");
                rref f = rref_compute(rms, 1, rows, cols, &in);
                rcheck(&p, &r, &in, &f); /* inputs untouched even with no output */
                free_rref(f);
                free_bufs(r.b, 8);
            }
            free_bufs(rf.b, 8);
        }
        free_rinputs(in);
    }
}

/* A NaN or Inf in one row's dy or x: that row's dx (and the dgamma/dbeta
 * columns the formula reaches) get what the float64 formula gives, every
 * other row and column keeps the clean run's bits. */
static void case_row_nan_inf(void)
{
    static const struct {
        int in_x;        /* 0: dy, 1: x */
        size_t row, col;
        uint32_t bits;
        int restat;      /* statistics of the bad row from the forward of the bad x */
    } bads[] = {
        {0, 1, 3, 0xffc12345u, 0}, /* negative NaN with a payload in dy */
        {0, 2, 0, 0x7f800000u, 0}, /* +Inf in dy */
        {0, 6, 44, 0xff800000u, 0}, /* -Inf in dy, last element */
        {1, 3, 44, 0x7fc00000u, 0}, /* NaN in x, the clean statistics */
        {1, 4, 9, 0xff800000u, 0}, /* -Inf in x, the clean statistics */
        {1, 5, 7, 0x7f812345u, 1}, /* signalling NaN in x, the forward's statistics */
        {1, 5, 0, 0x7f800000u, 1}, /* +Inf in x, the forward's statistics */
    };
    static const size_t widths[] = {45, 4097};
    for (size_t w = 0; w < 2; w++)
        for (size_t b = 0; b < sizeof bads / sizeof *bads; b++)
            for (int rms = 0; rms < 2; rms++) {
                const size_t rows = 7, cols = widths[w];
                const size_t col = bads[b].col * cols / 45;
                rng_seed(6000 + b);
                rinputs in = make_rinputs(rows, cols, 2.0, 1.0, 0.0);
                set_rstats(&in, rms, rows, cols, STATS_FORWARD);
                rproblem p = rplain(rms, rows, cols);
                p.tail = 3;
                rrun clean = make_rrun(&p, &in);
                CHECK(rcall(&p, &clean) == SIMDNORM_OK, "clean call failed");
                float *where = bads[b].in_x ? in.x : in.dy;
                where[bads[b].row * cols + col] = from_bits(bads[b].bits);
                if (bads[b].restat) {
                    float m = 0, rs = 0, *y = malloc(cols * sizeof(float));
                    const float *xr = in.x + bads[b].row * cols;
                    CHECK((rms ? simdnorm_rms_norm_f32(1, cols, xr, cols, NULL, 1e-5f, y, cols, &rs)
                               : simdnorm_layer_norm_f32(1, cols, xr, cols, NULL, NULL, 1e-5f, y,
                                                         cols, &m, &rs)) == SIMDNORM_OK,
                          "forward of the bad row failed");
                    in.mean[bads[b].row] = m;
                    in.rstd[bads[b].row] = rs;
                    free(y);
                }
                rref f = rref_compute(rms, 1, rows, cols, &in);
                rcheck_problem(&p, &in, &f);
                rrun r = make_rrun(&p, &in);
                CHECK(rcall(&p, &r) == SIMDNORM_OK, "call failed");
                size_t diff = 0;
                for (size_t row = 0; row < rows; row++)
                    if (row != bads[b].row)
                        diff += memcmp(r.dx + row * cols, clean.dx + row * cols,
                                       cols * sizeof(float)) != 0;
                CHECK(diff == 0, "%s: %zu clean rows changed by a NaN/Inf in row %zu",
                      rms ? "rms" : "ln", diff, bads[b].row);
                /* columns the formula does not reach keep the clean bits
                 * (dgamma: only where the row's statistics are the clean ones) */
                size_t dg_diff = 0, db_diff = 0;
                for (size_t j = 0; j < cols; j++) {
                    if (!bads[b].restat && isfinite(f.dg[j]))
                        dg_diff += fbits(r.dg[j]) != fbits(clean.dg[j]);
                    if (!rms && isfinite(f.db[j]))
                        db_diff += fbits(r.db[j]) != fbits(clean.db[j]);
                }
                CHECK(dg_diff == 0 && db_diff == 0,
                      "%s: %zu dgamma, %zu dbeta columns the NaN/Inf does not reach changed",
                      rms ? "rms" : "ln", dg_diff, db_diff);
                /* and the formula does reach something: the bad row's dx */
                CHECK(!isfinite(rdx(&p, &r, bads[b].row, col)),
                      "%s: dx at the NaN/Inf is finite (%g)", rms ? "rms" : "ln",
                      rdx(&p, &r, bads[b].row, col));
                free_rref(f);
                free_bufs(r.b, 8);
                free_bufs(clean.b, 8);
                free_rinputs(in);
            }
}

/* rows == 0: dgamma/dbeta are zeroed, dx is not touched. */
static void case_row_zero_rows(void)
{
    for (int rms = 0; rms < 2; rms++) {
        rinputs in = make_rinputs(0, 37, 0.0, 1.0, 0.0);
        rproblem p = rplain(rms, 0, 37);
        p.tail = 5;
        rrun r = make_rrun(&p, &in); /* dx: 5 sentinels, which must stay */
        const size_t dx_len = to_guard(&r.b[2], r.dx);
        CHECK(rcall(&p, &r) == SIMDNORM_OK, "rows 0: status not OK");
        size_t nz = 0;
        for (size_t j = 0; j < 37; j++)
            nz += fbits(r.dg[j]) != 0 || (!rms && fbits(r.db[j]) != 0);
        CHECK(nz == 0, "%s rows 0: %zu dgamma/dbeta values not +0", rms ? "rms" : "ln", nz);
        CHECK(not_bits(&r.b[6], r.dg, 37, SENTINEL_BITS) == 0 &&
                  (rms || not_bits(&r.b[7], r.db, 37, SENTINEL_BITS) == 0),
              "rows 0: written past dgamma/dbeta");
        CHECK(not_bits(&r.b[2], r.dx, 0, SENTINEL_BITS) == 0 && dx_len > 0,
              "rows 0: dx written");
        free_bufs(r.b, 8);
        free_rinputs(in);
    }
}

/* 64-byte aligned floats (the streaming-store path wants dx on cache lines). */
static float *aligned_floats(size_t n)
{
    const size_t bytes = ((n ? n : 1) * sizeof(float) + 63) / 64 * 64;
    float *p = aligned_alloc(64, bytes);
    if (!p) {
        printf("out of memory\n");
        exit(2);
    }
    return p;
}

/* Every output the same bits for 1, 2, 3, 4, 7 and 16 threads, on shapes
 * the library splits (it starts at 512 KiB): with dgamma/dbeta (rows cut in
 * chunks of blocks) and dx alone (rows split by blocks), 1100x2048 above
 * the streaming-store size; and in place on 4 threads equal to 1 thread. */
static void case_row_threads(void)
{
    /* the last: rows of 5 floats in lanes (tiny_bwd_rows) */
    static const size_t full[][2] = {{2000, 777}, {1100, 2048}, {37, 65536}, {30000, 33},
                                     {60000, 5}};
    static const size_t small[][2] = {{400, 777}, {160, 2048}, {9, 16384}, {5000, 33},
                                      {30000, 5}};
    const size_t(*shapes)[2] = emulated() ? small : full;
    for (size_t s = 0; s < 5; s++) {
        const size_t rows = shapes[s][0], cols = shapes[s][1], n = rows * cols;
        rng_seed(7000 + s);
        rinputs in = make_rinputs(rows, cols, 3.0, 2.0, 0.0);
        float *dy = aligned_floats(n), *x = aligned_floats(n), *ip = aligned_floats(n);
        memcpy(dy, in.dy, n * sizeof(float));
        memcpy(x, in.x, n * sizeof(float));
#ifdef _OPENMP
        simdnorm_set_num_threads(4);
        CHECK(simdnorm_threads_for(3 * n * sizeof(float), rows) == 4,
              "%zux%zu is too small to be split over 4 threads", rows, cols);
#endif
        for (int rms = 0; rms < 2; rms++) {
            set_rstats(&in, rms, rows, cols, STATS_FORWARD);
            float *ref[4], *got[4]; /* dx, dgamma, dbeta, dx of the dx-only call */
            for (int o = 0; o < 4; o++) {
                ref[o] = aligned_floats(o == 1 || o == 2 ? cols : n);
                got[o] = aligned_floats(o == 1 || o == 2 ? cols : n);
            }
            for (size_t t = 0; t < N_THREAD_COUNTS; t++) {
                float **out = t ? got : ref;
                simdnorm_set_num_threads(thread_counts[t]);
                for (int o = 0; o < 4; o++)
                    memset(out[o], 0xa5, (o == 1 || o == 2 ? cols : n) * sizeof(float));
                simdnorm_status st =
                    rms ? simdnorm_rms_norm_bwd_f32(rows, cols, dy, cols, x, cols, in.gamma, in.rstd,
                                                    out[0], cols, out[1])
                        : simdnorm_layer_norm_bwd_f32(rows, cols, dy, cols, x, cols, in.gamma,
                                                      in.mean, in.rstd, out[0], cols, out[1], out[2]);
                CHECK(st == SIMDNORM_OK, "status %d", st);
                st = rms ? simdnorm_rms_norm_bwd_f32(rows, cols, dy, cols, x, cols, in.gamma, in.rstd,
                                                     out[3], cols, NULL)
                         : simdnorm_layer_norm_bwd_f32(rows, cols, dy, cols, x, cols, in.gamma,
                                                       in.mean, in.rstd, out[3], cols, NULL, NULL);
                CHECK(st == SIMDNORM_OK, "dx only: status %d", st);
                if (t == 0)
                    CHECK(memcmp(ref[0], ref[3], n * sizeof(float)) == 0,
                          "%s %zux%zu: dx alone differs from dx with dgamma", rms ? "rms" : "ln",
                          rows, cols);
                for (int o = 0; t > 0 && o < 4; o++)
                    if (!(rms && o == 2))
                        CHECK(memcmp(ref[o], got[o], (o == 1 || o == 2 ? cols : n) * sizeof(float)) == 0,
                              "%s %zux%zu %s: %d threads differ from 1", rms ? "rms" : "ln", rows,
                              cols, o == 3 ? "dx (dx only)" : out_names[o], thread_counts[t]);
            }
            /* in place, 4 threads */
            simdnorm_set_num_threads(4);
            memcpy(ip, dy, n * sizeof(float));
            const simdnorm_status st =
                rms ? simdnorm_rms_norm_bwd_f32(rows, cols, ip, cols, x, cols, in.gamma, in.rstd, ip,
                                                cols, got[1])
                    : simdnorm_layer_norm_bwd_f32(rows, cols, ip, cols, x, cols, in.gamma, in.mean,
                                                  in.rstd, ip, cols, got[1], got[2]);
            CHECK(st == SIMDNORM_OK && memcmp(ip, ref[0], n * sizeof(float)) == 0 &&
                      memcmp(got[1], ref[1], cols * sizeof(float)) == 0,
                  "%s %zux%zu: in place on 4 threads differs from 1 thread", rms ? "rms" : "ln", rows,
                  cols);
            for (int o = 0; o < 4; o++)
                free(ref[o]), free(got[o]);
        }
        free(dy), free(x), free(ip);
        free_rinputs(in);
    }
    simdnorm_set_num_threads(1);
}

/* =========================================================================
 * BatchNorm
 * ========================================================================= */

typedef struct bproblem {
    simdnorm_layout layout;
    size_t n, c, sp;
    int training;             /* the value passed */
    int gamma;
    int out_dx, out_dg, out_db, in_place;
    int mis;                  /* as rproblem */
    size_t tail;
} bproblem;

/* Dense inputs in the problem's layout: dy, x [n*c*sp]; gamma, mean, rstd [c]. */
typedef struct binputs {
    float *dy, *x, *gamma, *mean, *rstd;
} binputs;

typedef struct brun {
    guarded_buf b[8];
    float *dy, *x, *g, *mean, *rstd, *dx, *dg, *db;
} brun;

static size_t btotal(const bproblem *p) { return p->n * p->c * p->sp; }
static size_t bat(const bproblem *p, size_t i, size_t ch, size_t s)
{
    return p->layout == SIMDNORM_NCHW ? (i * p->c + ch) * p->sp + s : (i * p->sp + s) * p->c + ch;
}
static const char *lname(const bproblem *p) { return p->layout == SIMDNORM_NCHW ? "nchw" : "nhwc"; }

static bproblem bplain(simdnorm_layout layout, size_t n, size_t c, size_t sp, int training)
{
    bproblem p;
    memset(&p, 0, sizeof p);
    p.layout = layout;
    p.n = n;
    p.c = c;
    p.sp = sp;
    p.training = training;
    p.gamma = 1;
    p.out_dx = p.out_dg = p.out_db = 1;
    p.mis = -1;
    return p;
}

/* x per channel with its own offset and spread; dy normal about dy_off. */
static binputs make_binputs(const bproblem *p, double offset, double scale, double dy_off)
{
    binputs in;
    const size_t total = btotal(p), c = p->c;
    in.dy = malloc((total ? total : 1) * sizeof(float));
    in.x = malloc((total ? total : 1) * sizeof(float));
    in.gamma = malloc((c ? c : 1) * sizeof(float));
    in.mean = malloc((c ? c : 1) * sizeof(float));
    in.rstd = malloc((c ? c : 1) * sizeof(float));
    fill_gamma(in.gamma, c);
    for (size_t ch = 0; ch < c; ch++) {
        const double off = offset + (double)(ch % 7) - 3.0, sc = scale * (0.5 + 0.5 * (double)(ch % 5));
        for (size_t i = 0; i < p->n; i++)
            for (size_t s = 0; s < p->sp; s++)
                in.x[bat(p, i, ch, s)] = (float)(off + sc * rng_normal());
    }
    fill_normal(in.dy, total, dy_off, 1.0);
    return in;
}

static void free_binputs(binputs in)
{
    free(in.dy), free(in.x), free(in.gamma), free(in.mean), free(in.rstd);
}

/* Training: the forward's save_mean/save_rstd (n*spatial >= 2; with one
 * element: mean = x, rstd = 1/sqrt(eps)), then as set_rstats' mode.
 * Fixed statistics: a running mean a tenth of a std off, and
 * 1/sqrt(running_var + eps) with the variance 20% off. */
static void set_bstats(binputs *in, const bproblem *p, int mode)
{
    const size_t c = p->c, count = p->n * p->sp, total = btotal(p);
    if (p->training && count >= 2) {
        float *y = malloc(total * sizeof(float));
        CHECK(simdnorm_batch_norm_train_f32(p->layout, p->n, c, p->sp, in->x, NULL, NULL, 1e-5f,
                                            0.1f, NULL, NULL, y, in->mean, in->rstd) == SIMDNORM_OK,
              "forward for the statistics failed");
        free(y);
    }
    for (size_t ch = 0; ch < c; ch++) {
        if (p->training && count < 2) {
            in->mean[ch] = count ? in->x[bat(p, 0, ch, 0)] : 0.0f;
            in->rstd[ch] = (float)(1.0 / sqrt(1e-5));
            continue;
        }
        if (!p->training) {
            double s = 0, q = 0;
            for (size_t i = 0; i < p->n; i++)
                for (size_t k = 0; k < p->sp; k++)
                    s += in->x[bat(p, i, ch, k)];
            const double m = count ? s / (double)count : 0.0;
            for (size_t i = 0; i < p->n; i++)
                for (size_t k = 0; k < p->sp; k++)
                    q += ((double)in->x[bat(p, i, ch, k)] - m) * ((double)in->x[bat(p, i, ch, k)] - m);
            const double var = count ? q / (double)count : 1.0;
            in->mean[ch] = (float)(m + 0.1 * sqrt(var) * rng_normal());
            in->rstd[ch] = (float)(1.0 / sqrt(var * (0.8 + 0.4 * rng_unif()) + 1e-5));
        }
        if (mode == STATS_SHIFTED) {
            in->mean[ch] = (float)(in->mean[ch] + 0.25 / in->rstd[ch]);
            in->rstd[ch] = (float)(in->rstd[ch] * 1.1);
        } else if (mode == STATS_RANDOM) {
            in->mean[ch] = (float)(in->mean[ch] + rng_normal() / in->rstd[ch]);
            in->rstd[ch] = (float)(in->rstd[ch] * (0.3 + 2.0 * rng_unif()));
        }
    }
}

static brun make_brun(const bproblem *p, const binputs *in)
{
    brun r;
    memset(&r, 0, sizeof r);
    const size_t total = btotal(p), c = p->c;
    r.dy = place(&r.b[0], total, mis_of(p->mis, 1), GAP_BITS);
    memcpy(r.dy, in->dy, total * sizeof(float));
    r.x = place(&r.b[1], total, mis_of(p->mis, 3), GAP_BITS);
    memcpy(r.x, in->x, total * sizeof(float));
    if (p->in_place)
        r.dx = r.dy;
    else if (p->out_dx)
        r.dx = place(&r.b[2], total + p->tail, mis_of(p->mis, 7), SENTINEL_BITS);
    if (p->gamma) {
        r.g = place(&r.b[3], c, mis_of(p->mis, 5), GAP_BITS);
        memcpy(r.g, in->gamma, c * sizeof(float));
    }
    r.mean = place(&r.b[4], c, mis_of(p->mis, 9), GAP_BITS);
    memcpy(r.mean, in->mean, c * sizeof(float));
    r.rstd = place(&r.b[5], c, mis_of(p->mis, 11), GAP_BITS);
    memcpy(r.rstd, in->rstd, c * sizeof(float));
    if (p->out_dg)
        r.dg = place(&r.b[6], c + p->tail, mis_of(p->mis, 13), SENTINEL_BITS);
    if (p->out_db)
        r.db = place(&r.b[7], c + p->tail, mis_of(p->mis, 2), SENTINEL_BITS);
    return r;
}

static simdnorm_status bcall(const bproblem *p, brun *r)
{
    return simdnorm_batch_norm_bwd_f32(p->layout, p->n, p->c, p->sp, r->dy, r->x, r->g, r->mean,
                                       r->rstd, p->training, r->dx, r->dg, r->db);
}

typedef struct bref {
    double *dx, *dx_tol, *dx_scale;  /* [total], [c] x2 */
    double *dg, *dg_abs, *db, *db_abs; /* [c] */
} bref;

static bref bref_compute(const bproblem *p, const binputs *in)
{
    bref f;
    const size_t total = btotal(p), c = p->c, count = p->n * p->sp;
    f.dx = malloc((total ? total : 1) * sizeof(double));
    f.dx_tol = calloc(c ? c : 1, sizeof(double));
    f.dx_scale = calloc(c ? c : 1, sizeof(double));
    f.dg = calloc(c ? c : 1, sizeof(double));
    f.dg_abs = calloc(c ? c : 1, sizeof(double));
    f.db = calloc(c ? c : 1, sizeof(double));
    f.db_abs = calloc(c ? c : 1, sizeof(double));
    for (size_t ch = 0; ch < c; ch++) {
        const double mean = in->mean[ch], rstd = in->rstd[ch];
        const double gm = p->gamma ? (double)in->gamma[ch] : 1.0;
        double sg = 0, sgx = 0;
        for (size_t i = 0; i < p->n; i++)
            for (size_t k = 0; k < p->sp; k++) {
                const size_t e = bat(p, i, ch, k);
                const double dy = in->dy[e], xh = ((double)in->x[e] - mean) * rstd, g = dy * gm;
                sg += g;
                sgx += g * xh;
                f.dg[ch] += dy * xh;
                f.dg_abs[ch] += fabs(dy * xh);
                f.db[ch] += dy;
                f.db_abs[ch] += fabs(dy);
            }
        const double ag = count ? sg / (double)count : 0, agx = count ? sgx / (double)count : 0;
        double scale = 0, terms = 0;
        for (size_t i = 0; i < p->n; i++)
            for (size_t k = 0; k < p->sp; k++) {
                const size_t e = bat(p, i, ch, k);
                const double xh = ((double)in->x[e] - mean) * rstd, g = (double)in->dy[e] * gm;
                const double d = p->training ? rstd * (g - ag - xh * agx) : g * rstd;
                f.dx[e] = d;
                if (isfinite(d))
                    scale = fmax(scale, fabs(d));
                const double t = p->training
                                     ? fabs(rstd * g) + fabs(rstd * ag) + fabs(rstd * xh * agx)
                                     : fabs(rstd * g);
                if (isfinite(t))
                    terms = fmax(terms, t);
            }
        f.dx_scale[ch] = scale;
        f.dx_tol[ch] = 1e-5 * scale + TERM_FLOOR * terms;
    }
    return f;
}

static void free_bref(bref f)
{
    free(f.dx), free(f.dx_tol), free(f.dx_scale);
    free(f.dg), free(f.dg_abs), free(f.db), free(f.db_abs);
}

static void bcheck(const bproblem *p, const brun *r, const binputs *in, const bref *f)
{
    const size_t total = btotal(p), c = p->c;
    size_t bad = 0;
    if (r->dx) {
        double *ch_err = calloc(c ? c : 1, sizeof(double));
        for (size_t i = 0; i < p->n; i++)
            for (size_t ch = 0; ch < c; ch++)
                for (size_t k = 0; k < p->sp; k++) {
                    const size_t e = bat(p, i, ch, k);
                    const float got = r->dx[e];
                    if (!grad_ok(got, f->dx[e], f->dx_tol[ch])) {
                        if (bad++ < 3)
                            CHECK(0, "%s train %d %zux%zux%zu: dx[%zu] (ch %zu) %.9g (%08x), "
                                     "reference %.17g, bound %.3g",
                                  lname(p), p->training, p->n, c, p->sp, e, ch, got, fbits(got),
                                  f->dx[e], f->dx_tol[ch]);
                    } else if (isfinite(f->dx[e])) {
                        ch_err[ch] = fmax(ch_err[ch], fabs((double)got - f->dx[e]));
                    }
                }
        for (size_t ch = 0; ch < c; ch++) {
            if (p->n * p->sp >= 3 || !p->training) {
                note(FN_BN, OUT_DX, ch_err[ch], f->dx_scale[ch]);
                floor_rows[FN_BN] += ch_err[ch] > 1e-5 * f->dx_scale[ch];
            }
        }
        free(ch_err);
        if (!p->in_place)
            CHECK(not_bits(&r->b[2], r->dx, total, SENTINEL_BITS) == 0,
                  "%s: sentinel after dx overwritten", lname(p));
        else
            CHECK(not_bits(&r->b[0], r->dx, total, GAP_BITS) == 0, "%s: written past dx (in place)",
                  lname(p));
    }
    CHECK(bad == 0, "%s train %d %zux%zux%zu: %zu dx values outside the bound", lname(p),
          p->training, p->n, c, p->sp, bad);
    const float *outs[2] = {r->dg, r->db};
    const double *want[2] = {f->dg, f->db}, *absum[2] = {f->dg_abs, f->db_abs};
    for (int o = 0; o < 2; o++) {
        if (!outs[o])
            continue;
        bad = 0;
        for (size_t ch = 0; ch < c; ch++) {
            const double tol = 1e-5 * absum[o][ch];
            if (!grad_ok(outs[o][ch], want[o][ch], tol)) {
                if (bad++ < 3)
                    CHECK(0, "%s train %d %zux%zux%zu ch %zu: %s %.9g (%08x), reference %.17g, bound %.3g",
                          lname(p), p->training, p->n, c, p->sp, ch, out_names[OUT_DG + o],
                          outs[o][ch], fbits(outs[o][ch]), want[o][ch], tol);
            } else if (isfinite(want[o][ch])) {
                note(FN_BN, OUT_DG + o, fabs((double)outs[o][ch] - want[o][ch]), absum[o][ch]);
            }
        }
        CHECK(bad == 0, "%s: %zu %s values outside the bound", lname(p), bad, out_names[OUT_DG + o]);
        CHECK(not_bits(&r->b[6 + o], outs[o], c, SENTINEL_BITS) == 0,
              "%s: sentinel after %s overwritten", lname(p), out_names[OUT_DG + o]);
    }
    size_t changed = memcmp(r->x, in->x, total * sizeof(float)) != 0;
    if (!p->in_place)
        changed += memcmp(r->dy, in->dy, total * sizeof(float)) != 0;
    if (p->gamma)
        changed += memcmp(r->g, in->gamma, c * sizeof(float)) != 0;
    changed += memcmp(r->mean, in->mean, c * sizeof(float)) != 0;
    changed += memcmp(r->rstd, in->rstd, c * sizeof(float)) != 0;
    CHECK(changed == 0, "%s %zux%zux%zu: an input was written", lname(p), p->n, c, p->sp);
}

static void bsame(const bproblem *p, const brun *a, const brun *b, const char *what)
{
    const size_t total = btotal(p);
    if (a->dx && b->dx)
        CHECK(memcmp(a->dx, b->dx, total * sizeof(float)) == 0,
              "%s train %d %zux%zux%zu: dx differs from %s", lname(p), p->training, p->n, p->c, p->sp,
              what);
    if (a->dg && b->dg)
        CHECK(memcmp(a->dg, b->dg, p->c * sizeof(float)) == 0, "%s %zux%zux%zu: dgamma differs from %s",
              lname(p), p->n, p->c, p->sp, what);
    if (a->db && b->db)
        CHECK(memcmp(a->db, b->db, p->c * sizeof(float)) == 0, "%s %zux%zux%zu: dbeta differs from %s",
              lname(p), p->n, p->c, p->sp, what);
}

static void bcheck_problem(const bproblem *p, const binputs *in, const bref *f)
{
    const simdnorm_isa isa = simdnorm_active_isa();
    brun r = make_brun(p, in);
    const simdnorm_status st = bcall(p, &r);
    CHECK(st == SIMDNORM_OK, "%s %zux%zux%zu: status %d", lname(p), p->n, p->c, p->sp, st);
    bcheck(p, &r, in, f);
    if (isa != SIMDNORM_ISA_SCALAR) {
        simdnorm_set_isa(SIMDNORM_ISA_SCALAR);
        brun s = make_brun(p, in);
        bcall(p, &s);
        simdnorm_set_isa(isa);
        bsame(p, &r, &s, "scalar");
        free_bufs(s.b, 8);
    }
    free_bufs(r.b, 8);
}

/* Both layouts, training 1 and 0, gamma or not. */
static void bcheck_shape(size_t n, size_t c, size_t sp, double offset, double scale, double dy_off,
                         int mode, size_t tail)
{
    for (int layout = 0; layout < 2; layout++)
        for (int training = 1; training >= 0; training--) {
            bproblem p = bplain(layout ? SIMDNORM_NHWC : SIMDNORM_NCHW, n, c, sp, training);
            p.tail = tail;
            binputs in = make_binputs(&p, offset, scale, dy_off);
            set_bstats(&in, &p, mode);
            for (int gamma = 0; gamma < 2; gamma++) {
                p.gamma = gamma;
                bref f = bref_compute(&p, &in);
                bcheck_problem(&p, &in, &f);
                free_bref(f);
            }
            free_binputs(in);
        }
}

/* NCHW, NHWC, 2-D (spatial 1); channel tails, block edges, one element per
 * channel (training with n*spatial = 1 is allowed). */
static void case_bn_shapes(void)
{
    for (size_t c = 1; c <= 24; c++) {
        rng_seed(8000 + c);
        bcheck_shape(1 + c % 3, c, 1 + (c * 7) % 13, 1.0, 2.0, 0.0, (int)(c % 3), c % 2 ? 3 : 0);
    }
    static const struct {
        size_t n, c, sp;
    } shapes[] = {
        {4, 19, 50}, {3, 70, 9},   {40, 5, 1},   {17, 64, 1},  {2, 3, 4097}, {1, 5, 4096},
        {3, 257, 2}, {2, 1, 8193}, {1, 7, 1},    {1, 1, 1},    {2, 2, 1},    {8, 33, 49},
        {2, 768, 1}, {1, 4, 3136}, {300, 3, 1},  {5000, 2, 1},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        rng_seed(8100 + i);
        bcheck_shape(shapes[i].n, shapes[i].c, shapes[i].sp, -1.0, 3.0, i % 4 == 1 ? 3.0 : 0.0,
                     (int)(i % 3), i % 2 ? 5 : 0);
    }
}

/* |mean|/std up to 1e4, channels of 2^20 .. 2^22 elements. */
static void case_bn_offset_1e4_long(void)
{
    static const struct {
        size_t n, c, sp;
        double mean, sd;
    } shapes[] = {
        {4, 3, 1000, 1e4, 1.0}, {64, 3, 1, -1e4, 1.0}, {8, 2, 777, 100.0, 0.01}, {2, 5, 4096, 3e4, 3.0},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        rng_seed(8200 + i);
        bcheck_shape(shapes[i].n, shapes[i].c, shapes[i].sp, shapes[i].mean, shapes[i].sd,
                     i % 2 ? 30.0 : 0.0, (int)(i % 2), 1);
    }
    /* NCHW: one channel of 4 planes (2^22 elements; 2^16 emulated); NHWC: 3
     * channels of 2^20 rows (2^14 emulated) */
    for (int layout = 0; layout < 2; layout++)
        for (int training = 1; training >= 0; training--) {
            const size_t sh = emulated() ? 6 : 0;
            bproblem p = layout ? bplain(SIMDNORM_NHWC, (size_t)256 >> sh, 3, 4096, training)
                                : bplain(SIMDNORM_NCHW, 4, 1, ((size_t)1 << 20) >> sh, training);
            rng_seed(8300 + (size_t)layout);
            binputs in = make_binputs(&p, 1e4, 1.0, 30.0);
            set_bstats(&in, &p, STATS_FORWARD);
            bref f = bref_compute(&p, &in);
            bcheck_problem(&p, &in, &f);
            free_bref(f);
            free_binputs(in);
        }
}

/* Misaligned pointers; in place equal to out of place; every subset of
 * the outputs equal to the full call; none a no-op; training = 2 is
 * training. */
static void case_bn_misaligned_in_place_optional(void)
{
    for (int layout = 0; layout < 3; layout++)
        for (int mis = 0; mis < 4; mis++)
            for (int training = 0; training < 2; training++) {
                const size_t sp = layout == 2 ? 1 : 11;
                bproblem p = bplain(layout == 1 ? SIMDNORM_NHWC : SIMDNORM_NCHW, 3,
                                    19 + (size_t)mis * 5, sp, training);
                p.mis = mis * 5 + 1;
                p.tail = 3;
                rng_seed(8400 + (size_t)mis);
                binputs in = make_binputs(&p, 4.0, 0.5, 0.0);
                set_bstats(&in, &p, STATS_FORWARD);
                bref f = bref_compute(&p, &in);
                bcheck_problem(&p, &in, &f);
                brun full = make_brun(&p, &in);
                CHECK(bcall(&p, &full) == SIMDNORM_OK, "full call failed");
                bproblem q = p;
                q.in_place = 1;
                brun ip = make_brun(&q, &in);
                CHECK(bcall(&q, &ip) == SIMDNORM_OK, "in place call failed");
                bsame(&p, &full, &ip, "out of place");
                bcheck(&q, &ip, &in, &f);
                free_bufs(ip.b, 8);
                for (int mask = 0; mask < 7; mask++) {
                    bproblem o = p;
                    o.out_dx = mask & 1;
                    o.out_dg = (mask >> 1) & 1;
                    o.out_db = (mask >> 2) & 1;
                    brun r = make_brun(&o, &in);
                    CHECK(bcall(&o, &r) == SIMDNORM_OK, "outputs %d: status not OK", mask);
                    bsame(&p, &r, &full, "the call with every output");
                    bcheck(&o, &r, &in, &f);
                    free_bufs(r.b, 8);
                }
                if (training) {
                    bproblem t2 = p;
                    t2.training = 2;
                    brun r = make_brun(&t2, &in);
                    CHECK(bcall(&t2, &r) == SIMDNORM_OK, "training 2: status not OK");
                    bsame(&p, &r, &full, "training 1");
                    free_bufs(r.b, 8);
                }
                free_bufs(full.b, 8);
                free_bref(f);
                free_binputs(in);
            }
}

/* A NaN or Inf in one channel's dy or x: that channel gets what the float64
 * formula gives, every other channel (dx, dgamma, dbeta) the clean bits. */
static void case_bn_nan_inf_channel(void)
{
    static const struct {
        int in_x;
        size_t ch, i, s;
        uint32_t bits;
        int restat;
    } bads[] = {
        {0, 2, 1, 4, 0xffc12345u, 0}, {0, 0, 0, 0, 0x7f800000u, 0}, {1, 4, 2, 10, 0x7fc00000u, 0},
        {1, 5, 1, 3, 0xff800000u, 0}, {1, 3, 0, 7, 0x7f812345u, 1}, {1, 1, 2, 0, 0x7f800000u, 1},
    };
    for (int layout = 0; layout < 3; layout++)
        for (size_t b = 0; b < sizeof bads / sizeof *bads; b++)
            for (int training = 0; training < 2; training++) {
                const size_t sp = layout == 2 ? 1 : 11, n = layout == 2 ? 9 : 3;
                bproblem p = bplain(layout == 1 ? SIMDNORM_NHWC : SIMDNORM_NCHW, n, 6, sp, training);
                p.tail = 2;
                rng_seed(8500 + b);
                binputs in = make_binputs(&p, 2.0, 1.0, 0.0);
                set_bstats(&in, &p, STATS_FORWARD);
                brun clean = make_brun(&p, &in);
                CHECK(bcall(&p, &clean) == SIMDNORM_OK, "clean call failed");
                const size_t ch = bads[b].ch, e = bat(&p, bads[b].i % n, ch, bads[b].s % sp);
                (bads[b].in_x ? in.x : in.dy)[e] = from_bits(bads[b].bits);
                if (bads[b].restat && training) {
                    float sm[6], sr[6], *y = malloc(btotal(&p) * sizeof(float));
                    CHECK(simdnorm_batch_norm_train_f32(p.layout, n, 6, sp, in.x, NULL, NULL, 1e-5f,
                                                        0.1f, NULL, NULL, y, sm, sr) == SIMDNORM_OK,
                          "forward failed");
                    in.mean[ch] = sm[ch];
                    in.rstd[ch] = sr[ch];
                    free(y);
                }
                bref f = bref_compute(&p, &in);
                bcheck_problem(&p, &in, &f);
                brun r = make_brun(&p, &in);
                CHECK(bcall(&p, &r) == SIMDNORM_OK, "call failed");
                size_t diff = 0;
                for (size_t i = 0; i < n; i++)
                    for (size_t k = 0; k < sp; k++)
                        for (size_t o = 0; o < 6; o++)
                            if (o != ch)
                                diff += fbits(r.dx[bat(&p, i, o, k)]) != fbits(clean.dx[bat(&p, i, o, k)]);
                for (size_t o = 0; o < 6; o++)
                    if (o != ch)
                        diff += fbits(r.dg[o]) != fbits(clean.dg[o]) || fbits(r.db[o]) != fbits(clean.db[o]);
                CHECK(diff == 0, "%s train %d: %zu values of clean channels changed by channel %zu",
                      lname(&p), training, diff, ch);
                /* and the formula does reach something in the channel */
                CHECK(!isfinite(r.dx[e]) || !isfinite(r.dg[ch]) || !isfinite(r.db[ch]),
                      "%s train %d: channel %zu all finite", lname(&p), training, ch);
                free_bref(f);
                free_bufs(r.b, 8);
                free_bufs(clean.b, 8);
                free_binputs(in);
            }
}

/* An infinite gamma_c: BatchNorm (training) and GroupNorm apply gamma to the
 * channel's sums (README "Backward", PyTorch's association): BatchNorm
 * dx = (rstd*gamma_c)*(dy - s1/N - xhat*s2/N), GroupNorm dx = rstd*(dy*gamma_c
 * - S1/N - xhat*S2/N) with S = sum_c gamma_c*s_c. Summing dy*gamma_c element
 * by element instead gives NaN for every channel whose dy has both signs
 * (the fuzzer's first reference did; a GroupNorm input of it found the
 * difference). dy here has both signs in every channel and sums well away
 * from 0, so the association decides: the library's dx must be exactly the
 * class (+Inf, -Inf, NaN) of that formula evaluated in double, per element,
 * both layouts; a finite channel of BatchNorm keeps its clean bits. */
enum { IG_N = 2, IG_C = 4, IG_SP = 5, IG_G = 2, IG_TOT = IG_N * IG_C * IG_SP };

/* Element (i, ch, s) of case_infinite_gamma_association's tensors. */
static size_t ig_at(int nhwc, size_t i, size_t ch, size_t s)
{
    return nhwc ? (i * IG_SP + s) * IG_C + ch : (i * IG_C + ch) * IG_SP + s;
}

/* The float mean and rstd (eps 1e-5) of x over samples [i0, i1), channels
 * [c0, c1), in double. */
static void ig_stats(const float *x, int nhwc, size_t i0, size_t i1, size_t c0, size_t c1,
                     float *mean, float *rstd)
{
    double m = 0, v = 0;
    const double cnt = (double)((i1 - i0) * (c1 - c0) * IG_SP);
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = i0; i < i1; i++)
            for (size_t ch = c0; ch < c1; ch++)
                for (size_t s = 0; s < IG_SP; s++) {
                    const double e = x[ig_at(nhwc, i, ch, s)];
                    if (pass == 0)
                        m += e / cnt;
                    else
                        v += (e - m) * (e - m);
                }
    *mean = (float)m;
    *rstd = (float)(1.0 / sqrt(v / cnt + 1e-5));
}

/* Whether dx is the class of want (NaN: the canonical NaN; +-Inf: that
 * Inf) or, want finite, within 1e-5 of it. */
static int ig_matches(float dx, double want)
{
    if (isnan(want))
        return fbits(dx) == NAN_BITS;
    if (isinf(want))
        return dx == (float)want;
    return fabs(dx - want) <= 1e-5 * (1 + fabs(want));
}

static void case_infinite_gamma_association(void)
{
    const size_t N = IG_N, C = IG_C, SP = IG_SP, G = IG_G;
    float dy[IG_TOT], x[IG_TOT], gamma[IG_C] = {0.5f, INFINITY, -1.5f, 2.0f};
    float dx[IG_TOT], clean[IG_TOT];
    for (size_t e = 0; e < IG_TOT; e++) {
        dy[e] = (e % 3 == 1 ? -0.25f : 1.0f) * (float)(1 + e % 5);
        x[e] = 0.3f * (float)(e % 7) - 0.8f;
    }
    for (int nhwc = 0; nhwc < 2; nhwc++) {
        const simdnorm_layout L = nhwc ? SIMDNORM_NHWC : SIMDNORM_NCHW;
        const char *lay = nhwc ? "NHWC" : "NCHW";
        /* BatchNorm: each channel's statistics; a clean call with gamma 1
         * on channel 1 gives the other channels' bits */
        float mean[IG_C], rstd[IG_C];
        for (size_t ch = 0; ch < C; ch++)
            ig_stats(x, nhwc, 0, N, ch, ch + 1, &mean[ch], &rstd[ch]);
        float g1[IG_C] = {gamma[0], 1.0f, gamma[2], gamma[3]};
        CHECK(simdnorm_batch_norm_bwd_f32(L, N, C, SP, dy, x, g1, mean, rstd, 1, clean, NULL,
                                          NULL) == SIMDNORM_OK, "bn clean call failed");
        CHECK(simdnorm_batch_norm_bwd_f32(L, N, C, SP, dy, x, gamma, mean, rstd, 1, dx, NULL,
                                          NULL) == SIMDNORM_OK, "bn call failed");
        size_t wrong = 0, infs = 0;
        for (size_t ch = 0; ch < C; ch++) {
            double s1 = 0, s2 = 0;
            for (size_t i = 0; i < N; i++)
                for (size_t s = 0; s < SP; s++) {
                    const size_t e = ig_at(nhwc, i, ch, s);
                    s1 += dy[e];
                    s2 += dy[e] * ((x[e] - (double)mean[ch]) * rstd[ch]);
                }
            for (size_t i = 0; i < N; i++)
                for (size_t s = 0; s < SP; s++) {
                    const size_t e = ig_at(nhwc, i, ch, s);
                    const double xh = (x[e] - (double)mean[ch]) * rstd[ch];
                    const double want = ((double)rstd[ch] * gamma[ch]) *
                                        (dy[e] - s1 / (N * SP) - xh * (s2 / (N * SP)));
                    if (ch != 1) {
                        wrong += fbits(dx[e]) != fbits(clean[e]);
                        continue;
                    }
                    infs += isinf(want) != 0;
                    wrong += !ig_matches(dx[e], want);
                }
        }
        CHECK(wrong == 0 && infs > 0, "%s BatchNorm: %zu elements off the formula (%zu Inf in "
              "the infinite channel)", lay, wrong, infs);
        /* GroupNorm, 2 groups of 2 channels: group 0 holds the Inf, group 1
         * is finite (the 1e-5 contract) */
        float gm[IG_N * IG_G], gr[IG_N * IG_G];
        for (size_t i = 0; i < N; i++)
            for (size_t g = 0; g < G; g++)
                ig_stats(x, nhwc, i, i + 1, g * 2, g * 2 + 2, &gm[i * G + g], &gr[i * G + g]);
        CHECK(simdnorm_group_norm_bwd_f32(L, N, C, SP, G, dy, x, gamma, gm, gr, dx, NULL, NULL) ==
                  SIMDNORM_OK, "gn call failed");
        wrong = infs = 0;
        size_t finite = 0;
        for (size_t i = 0; i < N; i++)
            for (size_t g = 0; g < G; g++) {
                const double m = gm[i * G + g], r = gr[i * G + g];
                double S1 = 0, S2 = 0;
                for (size_t ch = g * 2; ch < g * 2 + 2; ch++) {
                    double s1 = 0, s2 = 0;
                    for (size_t s = 0; s < SP; s++) {
                        const size_t e = ig_at(nhwc, i, ch, s);
                        s1 += dy[e];
                        s2 += dy[e] * ((x[e] - m) * r);
                    }
                    S1 += gamma[ch] * s1;
                    S2 += gamma[ch] * s2;
                }
                for (size_t ch = g * 2; ch < g * 2 + 2; ch++)
                    for (size_t s = 0; s < SP; s++) {
                        const size_t e = ig_at(nhwc, i, ch, s);
                        const double xh = (x[e] - m) * r;
                        const double want =
                            r * (dy[e] * gamma[ch] - S1 / (2 * SP) - xh * (S2 / (2 * SP)));
                        infs += isinf(want) != 0;
                        finite += isfinite(want) != 0;
                        wrong += !ig_matches(dx[e], want);
                    }
            }
        CHECK(wrong == 0 && infs > 0 && finite == N * 2 * SP,
              "%s GroupNorm: %zu elements off the formula (%zu Inf, %zu finite)", lay, wrong,
              infs, finite);
    }
}

/* training 0 with n*spatial == 0: dgamma/dbeta zeroed, dx untouched;
 * c == 0: nothing written. */
static void case_bn_empty(void)
{
    for (int layout = 0; layout < 2; layout++)
        for (int which = 0; which < 2; which++) {
            bproblem p = bplain(layout ? SIMDNORM_NHWC : SIMDNORM_NCHW, which ? 4 : 0, 9,
                                which ? 0 : 5, 0);
            p.tail = 4;
            binputs in = make_binputs(&p, 0.0, 1.0, 0.0);
            for (size_t ch = 0; ch < 9; ch++)
                in.mean[ch] = 0.5f, in.rstd[ch] = 2.0f;
            brun r = make_brun(&p, &in); /* dx: 4 sentinels, which must stay */
            CHECK(bcall(&p, &r) == SIMDNORM_OK, "n*spatial 0: status not OK");
            size_t nz = 0;
            for (size_t ch = 0; ch < 9; ch++)
                nz += fbits(r.dg[ch]) != 0 || fbits(r.db[ch]) != 0;
            CHECK(nz == 0, "%s n %zu spatial %zu: %zu dgamma/dbeta values not +0", lname(&p), p.n,
                  p.sp, nz);
            CHECK(not_bits(&r.b[6], r.dg, 9, SENTINEL_BITS) == 0 &&
                      not_bits(&r.b[7], r.db, 9, SENTINEL_BITS) == 0,
                  "written past dgamma/dbeta");
            CHECK(not_bits(&r.b[2], r.dx, 0, SENTINEL_BITS) == 0, "dx written");
            free_bufs(r.b, 8);
            free_binputs(in);
        }
    for (int training = 0; training < 2; training++) {
        bproblem p = bplain(SIMDNORM_NCHW, 3, 0, 4, training);
        p.tail = 6;
        binputs in = make_binputs(&p, 0.0, 1.0, 0.0);
        brun r = make_brun(&p, &in);
        CHECK(bcall(&p, &r) == SIMDNORM_OK, "c 0: status not OK");
        CHECK(not_bits(&r.b[2], r.dx, 0, SENTINEL_BITS) == 0 &&
                  not_bits(&r.b[6], r.dg, 0, SENTINEL_BITS) == 0 &&
                  not_bits(&r.b[7], r.db, 0, SENTINEL_BITS) == 0,
              "c 0 (training %d): something written", training);
        free_bufs(r.b, 8);
        free_binputs(in);
    }
}

/* The inputs of the from-memory BatchNorm/GroupNorm cases: dy, x of total
 * floats, a (64-byte aligned) and b (total + 16) for dx, 64 channels'
 * gamma, mean, rstd. */
typedef struct {
    float *dy, *x, *a, *b;
    float g[64], m[64], r[64];
} mem_inputs;

static void mem_inputs_make(mem_inputs *in, size_t total, uint64_t seed)
{
    in->dy = malloc(total * sizeof(float));
    in->x = malloc(total * sizeof(float));
    in->a = in->b = NULL;
    if (!in->dy || !in->x || posix_memalign((void **)&in->a, 64, total * sizeof(float)) != 0 ||
        posix_memalign((void **)&in->b, 64, (total + 16) * sizeof(float)) != 0)
        exit(2);
    rng_seed(seed);
    for (size_t i = 0; i < total; i++) {
        in->dy[i] = (float)rng_normal();
        in->x[i] = (float)(1.0 + 2.0 * rng_normal());
    }
    for (size_t j = 0; j < 64; j++) {
        in->g[j] = (float)(0.5 + rng_unif());
        in->m[j] = (float)(1.0 + 0.1 * rng_normal());
        in->r[j] = (float)(0.4 + 0.1 * rng_unif());
    }
}

static void mem_inputs_free(mem_inputs *in)
{
    free(in->dy);
    free(in->x);
    free(in->a);
    free(in->b);
}

/* BatchNorm and GroupNorm NHWC backward from memory (x + dx beyond the
 * streaming size): dx 64-byte aligned, whose rows the NHWC dx kernel
 * streams (f32_bwd_dx_channels_stream), and dx one float off a 64-byte
 * boundary (no row on a stream boundary: plain stores) give the same bits,
 * dgamma and dbeta too. Not under emulation (13 MiB tensors: main). */
static void case_nhwc_from_memory_stream(void)
{
    const size_t n = 2, c = 64, sp = 26000, total = n * c * sp; /* 3.3M elements */
    mem_inputs in;
    mem_inputs_make(&in, total, 8700);
    float *dy = in.dy, *x = in.x, *a = in.a, *b = in.b, *g = in.g, *m = in.m, *r = in.r;
    float dga[64], dba[64], dgb[64], dbb[64];
    for (int training = 1; training >= 0; training--) {
        CHECK(simdnorm_batch_norm_bwd_f32(SIMDNORM_NHWC, n, c, sp, dy, x, g, m, r, training, a,
                                          dga, dba) == SIMDNORM_OK &&
                  simdnorm_batch_norm_bwd_f32(SIMDNORM_NHWC, n, c, sp, dy, x, g, m, r, training,
                                              b + 1, dgb, dbb) == SIMDNORM_OK,
              "batch_norm_bwd failed");
        CHECK(memcmp(a, b + 1, total * sizeof(float)) == 0 && memcmp(dga, dgb, sizeof dga) == 0 &&
                  memcmp(dba, dbb, sizeof dba) == 0,
              "training %d: BatchNorm NHWC dx from memory differs between aligned (streamed) "
              "and unaligned dx", training);
    }
    float gm[2 * 8], gr[2 * 8];
    for (size_t i = 0; i < 2 * 8; i++) {
        gm[i] = (float)(1.0 + 0.1 * rng_normal());
        gr[i] = (float)(0.4 + 0.1 * rng_unif());
    }
    CHECK(simdnorm_group_norm_bwd_f32(SIMDNORM_NHWC, n, c, sp, 8, dy, x, g, gm, gr, a, dga, dba) ==
                  SIMDNORM_OK &&
              simdnorm_group_norm_bwd_f32(SIMDNORM_NHWC, n, c, sp, 8, dy, x, g, gm, gr, b + 1, dgb,
                                          dbb) == SIMDNORM_OK,
          "group_norm_bwd failed");
    CHECK(memcmp(a, b + 1, total * sizeof(float)) == 0 && memcmp(dga, dgb, sizeof dga) == 0 &&
              memcmp(dba, dbb, sizeof dba) == 0,
          "GroupNorm NHWC dx from memory differs between aligned (streamed) and unaligned dx");
    mem_inputs_free(&in);
}

/* Whether an NCHW BatchNorm backward's dgamma, dbeta (each channel) and
 * dx (the first 64 elements of the first 4 samples' planes) lie within
 * 1e-5 of a float64 evaluation of the formulas (relative to sum |terms|,
 * and to the largest |dx| checked): a check that the from-memory path
 * computes each channel from its own planes (a coefficient of the wrong
 * channel fails it). */
static int nchw_bwd_near_f64(size_t n, size_t c, size_t sp, const float *dy, const float *x,
                             const float *g, const float *m, const float *r, int training,
                             const float *dx, const float *dg, const float *db)
{
    int ok = 1;
    const double count = (double)(n * sp);
    for (size_t ch = 0; ch < c; ch++) {
        double s1 = 0, s2 = 0, a1 = 0, a2 = 0;
        for (size_t s = 0; s < n; s++)
            for (size_t i = 0; i < sp; i++) {
                const size_t e = (s * c + ch) * sp + i;
                const double xh = ((double)x[e] - m[ch]) * r[ch];
                s1 += dy[e];
                s2 += dy[e] * xh;
                a1 += fabs(dy[e]);
                a2 += fabs(dy[e] * xh);
            }
        if (!(fabs(db[ch] - s1) <= 1e-5 * a1 && fabs(dg[ch] - s2) <= 1e-5 * a2))
            ok = 0;
        double want[64 * 4], big = 0;
        const size_t k = sp < 64 ? sp : 64;
        for (size_t s = 0; s < n && s < 4; s++)
            for (size_t i = 0; i < k; i++) {
                const size_t e = (s * c + ch) * sp + i;
                const double xh = ((double)x[e] - m[ch]) * r[ch], w = (double)r[ch] * g[ch];
                want[s * 64 + i] =
                    training ? w * (dy[e] - s1 / count - xh * (s2 / count)) : w * dy[e];
                if (fabs(want[s * 64 + i]) > big)
                    big = fabs(want[s * 64 + i]);
            }
        for (size_t s = 0; s < n && s < 4; s++)
            for (size_t i = 0; i < k; i++)
                if (!(fabs(dx[(s * c + ch) * sp + i] - want[s * 64 + i]) <= 1e-5 * big))
                    ok = 0;
    }
    return ok;
}

/* BatchNorm NCHW backward from memory (x + dx beyond the streaming
 * size): planes of 26000 floats (104000 bytes, on 64-byte boundaries when
 * dx is), whose dx f32_bwd_dx_stream writes with aligned streaming stores;
 * dx one float off a boundary (streamed through the joined vectors); and in
 * place (dx == dy): the same dx, dgamma and dbeta. Then the same three
 * with planes of 24 floats (below BN_BWD_NT_MIN_BYTES: plain stores) in a
 * tensor as large. Not under emulation (13 MiB tensors). */
static void case_nchw_from_memory_stream(void)
{
    const size_t total = (size_t)2 * 64 * 26000; /* 3.3M elements */
    mem_inputs in;
    mem_inputs_make(&in, total, 8800);
    float *dy = in.dy, *x = in.x, *a = in.a, *b = in.b, *g = in.g, *m = in.m, *r = in.r;
    float dga[64], dba[64], dgb[64], dbb[64];
    const size_t shapes[2][3] = {{2, 64, 26000}, {2166, 64, 24}};
    for (size_t q = 0; q < 2; q++) {
        const size_t n = shapes[q][0], c = shapes[q][1], sp = shapes[q][2];
        for (int training = 1; training >= 0; training--) {
            CHECK(simdnorm_batch_norm_bwd_f32(SIMDNORM_NCHW, n, c, sp, dy, x, g, m, r, training, a,
                                              dga, dba) == SIMDNORM_OK &&
                      simdnorm_batch_norm_bwd_f32(SIMDNORM_NCHW, n, c, sp, dy, x, g, m, r,
                                                  training, b + 1, dgb, dbb) == SIMDNORM_OK,
                  "batch_norm_bwd failed");
            CHECK(memcmp(a, b + 1, n * c * sp * sizeof(float)) == 0 &&
                      memcmp(dga, dgb, sizeof dga) == 0 && memcmp(dba, dbb, sizeof dba) == 0,
                  "(%zu, %zu, %zu) training %d: BatchNorm NCHW from memory differs between "
                  "aligned and unaligned dx", n, c, sp, training);
            CHECK(nchw_bwd_near_f64(n, c, sp, dy, x, g, m, r, training, a, dga, dba),
                  "(%zu, %zu, %zu) training %d: BatchNorm NCHW from memory against float64", n,
                  c, sp, training);
            memcpy(b, dy, n * c * sp * sizeof(float)); /* in place: dx == dy */
            CHECK(simdnorm_batch_norm_bwd_f32(SIMDNORM_NCHW, n, c, sp, b, x, g, m, r, training, b,
                                              dgb, dbb) == SIMDNORM_OK,
                  "batch_norm_bwd failed");
            CHECK(memcmp(a, b, n * c * sp * sizeof(float)) == 0 &&
                      memcmp(dga, dgb, sizeof dga) == 0 && memcmp(dba, dbb, sizeof dba) == 0,
                  "(%zu, %zu, %zu) training %d: BatchNorm NCHW from memory differs in place",
                  n, c, sp, training);
        }
    }
    mem_inputs_free(&in);
}

/* LayerNorm/RMSNorm backward from memory (dy + x + dx beyond the
 * streaming size, so dx is written with streaming stores from each row's
 * first boundary on, bwd.c BWD_NT_ANY_MIN_BYTES and BWD_PAIR_NT_MAX_BYTES
 * say which rows): dx at 0, 1, 3 and 7 floats past a 64-byte boundary,
 * rows of 2055 floats (every row starts at another offset and ends 7 past
 * a vector), 1000 (rows 32 bytes apart modulo 64) and 4096 (every row on a
 * boundary where dx is: AVX-512's column pass over blocks of 8 rows streams
 * LayerNorm's dx there), with dgamma/dbeta (the pass over pairs of rows or
 * over a block's columns) and without (row by row), and in place,
 * give the dx of the same rows computed 64 at a time (calls far below the
 * streaming size: plain stores), bit for bit; dgamma/dbeta the same for
 * every offset. Not under emulation (26 MiB calls; NEON has no streaming
 * stores). */
static void case_row_from_memory_stream(void)
{
    static const size_t widths[] = {2055, 1000, 4096};
    static const size_t offs[] = {0, 1, 3, 7};
    for (size_t wi = 0; wi < 3; wi++) {
        const size_t cols = widths[wi], rows = 2260000 / cols, n = rows * cols;
        rng_seed(8800 + wi);
        rinputs in = make_rinputs(rows, cols, 1.0, 2.0, 0.0);
        /* 4096: dy and x on pages, as dx's buffer, so no input lies in the
         * window before a dx row (bwd.c, nt_alias) and the rows at offset 0
         * stream */
        float *pdy = NULL, *px = NULL;
        if (cols == 4096) {
            pdy = aligned_alloc(4096, n * sizeof(float));
            px = aligned_alloc(4096, n * sizeof(float));
            if (!pdy || !px)
                exit(2);
            memcpy(pdy, in.dy, n * sizeof(float));
            memcpy(px, in.x, n * sizeof(float));
        }
        const float *dyv = pdy ? pdy : in.dy, *xv = px ? px : in.x;
        float *ref = malloc(n * sizeof(float));
        float *buf = aligned_alloc(4096, ((n + 16) * sizeof(float) + 4095) / 4096 * 4096);
        float *dg0 = malloc(cols * sizeof(float)), *db0 = malloc(cols * sizeof(float));
        float *dg = malloc(cols * sizeof(float)), *db = malloc(cols * sizeof(float));
        if (!ref || !buf || !dg0 || !db0 || !dg || !db)
            exit(2);
        for (int rms = 0; rms < 2; rms++) {
            set_rstats(&in, rms, rows, cols, STATS_FORWARD);
            for (size_t r = 0; r < rows; r += 64) {
                const size_t m = rows - r < 64 ? rows - r : 64, o = r * cols;
                const simdnorm_status st =
                    rms ? simdnorm_rms_norm_bwd_f32(m, cols, dyv + o, cols, xv + o, cols,
                                                    in.gamma, in.rstd + r, ref + o, cols, NULL)
                        : simdnorm_layer_norm_bwd_f32(m, cols, dyv + o, cols, xv + o, cols,
                                                      in.gamma, in.mean + r, in.rstd + r, ref + o,
                                                      cols, NULL, NULL);
                CHECK(st == SIMDNORM_OK, "status %d", st);
            }
            /* 4096: the streamed column pass only (offset 0, with dgamma):
             * the other cases are the 2055 and 1000 ones again, and the
             * case's time under ASan counts */
            const size_t nk = cols == 4096 ? 1 : 4;
            for (size_t k = 0; k < nk; k++) {
                float *dx = buf + offs[k];
                for (int sums = cols == 4096; sums < 2; sums++)
                    for (int inplace = 0; inplace < 2; inplace++) {
                        memset(buf, 0xa5, (n + 16) * sizeof(float));
                        if (inplace)
                            memcpy(dx, dyv, n * sizeof(float));
                        const float *dyp = inplace ? dx : dyv;
                        float *g = sums ? dg : NULL, *b = sums && !rms ? db : NULL;
                        const simdnorm_status st =
                            rms ? simdnorm_rms_norm_bwd_f32(rows, cols, dyp, cols, xv, cols,
                                                            in.gamma, in.rstd, dx, cols, g)
                                : simdnorm_layer_norm_bwd_f32(rows, cols, dyp, cols, xv, cols,
                                                              in.gamma, in.mean, in.rstd, dx, cols,
                                                              g, b);
                        CHECK(st == SIMDNORM_OK, "status %d", st);
                        CHECK(memcmp(dx, ref, n * sizeof(float)) == 0,
                              "%s %zux%zu dx %zu floats off 64 bytes%s%s: dx from memory differs "
                              "from 64-row calls", rms ? "rms" : "ln", rows, cols, offs[k],
                              sums ? ", with dgamma" : "", inplace ? ", in place" : "");
                        if (sums && k == 0 && !inplace) {
                            memcpy(dg0, dg, cols * sizeof(float));
                            memcpy(db0, db, cols * sizeof(float));
                        } else if (sums) {
                            CHECK(memcmp(dg, dg0, cols * sizeof(float)) == 0 &&
                                      (rms || memcmp(db, db0, cols * sizeof(float)) == 0),
                                  "%s %zux%zu: dgamma/dbeta depend on dx's offset (%zu)%s",
                                  rms ? "rms" : "ln", rows, cols, offs[k],
                                  inplace ? ", in place" : "");
                        }
                    }
            }
        }
        free(ref), free(buf), free(dg0), free(db0), free(dg), free(db), free(pdy), free(px);
        free_rinputs(in);
    }
}

static void case_bn_threads(void)
{
    static const size_t full[][3] = {{8, 64, 784}, {4, 50, 3136}, {4096, 512, 1}, {6, 1000, 49}};
    static const size_t small[][3] = {{2, 64, 784}, {1, 50, 3136}, {512, 512, 1}, {2, 1000, 49}};
    const size_t(*shapes)[3] = emulated() ? small : full;
    for (size_t s = 0; s < 4; s++)
        for (int layout = 0; layout < 2; layout++) {
            bproblem p = bplain(layout ? SIMDNORM_NHWC : SIMDNORM_NCHW, shapes[s][0], shapes[s][1],
                                shapes[s][2], 1);
            const size_t total = btotal(&p), c = p.c;
            rng_seed(8600 + s);
            binputs in = make_binputs(&p, 2.0, 3.0, 0.0);
#ifdef _OPENMP
            simdnorm_set_num_threads(4);
            CHECK(simdnorm_threads_for(3 * total * sizeof(float), c) == 4,
                  "%zux%zux%zu is too small to be split over 4 threads", p.n, c, p.sp);
#endif
            for (int training = 1; training >= 0; training--) {
                p.training = training;
                set_bstats(&in, &p, STATS_FORWARD);
                float *ref[3], *got[3];
                for (int o = 0; o < 3; o++) {
                    ref[o] = malloc((o ? c : total) * sizeof(float));
                    got[o] = malloc((o ? c : total) * sizeof(float));
                }
                for (size_t t = 0; t < N_THREAD_COUNTS; t++) {
                    float **out = t ? got : ref;
                    simdnorm_set_num_threads(thread_counts[t]);
                    for (int o = 0; o < 3; o++)
                        memset(out[o], 0xa5, (o ? c : total) * sizeof(float));
                    CHECK(simdnorm_batch_norm_bwd_f32(p.layout, p.n, c, p.sp, in.dy, in.x, in.gamma,
                                                      in.mean, in.rstd, training, out[0], out[1],
                                                      out[2]) == SIMDNORM_OK,
                          "status not OK");
                    if (t > 0)
                        for (int o = 0; o < 3; o++)
                            CHECK(memcmp(ref[o], got[o], (o ? c : total) * sizeof(float)) == 0,
                                  "%s train %d %zux%zux%zu %s: %d threads differ from 1", lname(&p),
                                  training, p.n, c, p.sp, out_names[o], thread_counts[t]);
                }
                for (int o = 0; o < 3; o++)
                    free(ref[o]), free(got[o]);
            }
            free_binputs(in);
        }
    simdnorm_set_num_threads(1);
}

/* =========================================================================
 * Errors (DESIGN §5): each returns its status and not one byte of the
 * arena that holds every buffer changes.
 * ========================================================================= */

enum { ROWS = 4, COLS = 8, ARENA = 512 };
static float arena[ARENA], before[ARENA];
#define DY (arena + 0)
#define XX (arena + 64)
#define DX (arena + 128)
#define GAMMA (arena + 192)
#define MEAN (arena + 240)
#define RSTD (arena + 288)
#define DG (arena + 336)
#define DB (arena + 384)

typedef struct rargs {
    size_t rows, cols;
    const float *dy;
    size_t dys;
    const float *x;
    size_t xs;
    const float *g, *mean, *rstd;
    float *dx;
    size_t dxs;
    float *dg, *db;
} rargs;

static rargs rargs_ok(void)
{
    rargs a = {ROWS, COLS, DY, COLS, XX, COLS, GAMMA, MEAN, RSTD, DX, COLS, DG, DB};
    return a;
}
static simdnorm_status ln_call(rargs a)
{
    return simdnorm_layer_norm_bwd_f32(a.rows, a.cols, a.dy, a.dys, a.x, a.xs, a.g, a.mean, a.rstd,
                                       a.dx, a.dxs, a.dg, a.db);
}
static simdnorm_status rms_call(rargs a)
{
    return simdnorm_rms_norm_bwd_f32(a.rows, a.cols, a.dy, a.dys, a.x, a.xs, a.g, a.rstd, a.dx,
                                     a.dxs, a.dg);
}

typedef struct bargs {
    simdnorm_layout layout;
    size_t n, c, sp;
    const float *dy, *x, *g, *mean, *rstd;
    int training;
    float *dx, *dg, *db;
} bargs;

static bargs bargs_ok(void)
{
    bargs a = {SIMDNORM_NCHW, 2, 4, 4, DY, XX, GAMMA, MEAN, RSTD, 1, DX, DG, DB};
    return a;
}
static simdnorm_status bn_call(bargs a)
{
    return simdnorm_batch_norm_bwd_f32(a.layout, a.n, a.c, a.sp, a.dy, a.x, a.g, a.mean, a.rstd,
                                       a.training, a.dx, a.dg, a.db);
}

/* What a case may change: nothing; dgamma/dbeta's first n floats set to +0
 * and nothing else; or only the outputs' ranges. */
enum { NOTHING, ZEROED, OUTPUTS };

static void reset_arena(void)
{
    for (size_t i = 0; i < ARENA; i++)
        arena[i] = (float)(i % 13) * 0.25f + 0.5f;
    memcpy(before, arena, sizeof arena);
}

/* Floats of the arena changed outside [lo, lo + n) of each range given. */
static size_t changed_outside(const float *const *lo, const size_t *n, size_t k)
{
    size_t bad = 0;
    for (size_t i = 0; i < ARENA; i++) {
        int inside = 0;
        for (size_t r = 0; r < k; r++)
            inside |= lo[r] && arena + i >= lo[r] && arena + i < lo[r] + n[r];
        if (!inside)
            bad += memcmp(&arena[i], &before[i], sizeof(float)) != 0;
    }
    return bad;
}

static void expect(const char *fn, const char *name, simdnorm_status want, simdnorm_status got,
                   int writes, const float *const *out, const size_t *out_n)
{
    h_begin("%s_%s", fn, name);
    CHECK(got == want, "status %d (%s), want %d (%s)", got, simdnorm_status_str(got), want,
          simdnorm_status_str(want));
    if (writes == NOTHING) {
        CHECK(memcmp(arena, before, sizeof arena) == 0, "a byte was written");
    } else if (writes == ZEROED) {
        size_t nz = 0;
        for (int o = 1; o < 3; o++)
            for (size_t j = 0; out[o] && j < out_n[o]; j++)
                nz += fbits(out[o][j]) != 0;
        CHECK(nz == 0, "%zu dgamma/dbeta floats not +0", nz);
        CHECK(changed_outside(out + 1, out_n + 1, 2) == 0, "a byte outside dgamma/dbeta was written");
    } else {
        CHECK(changed_outside(out, out_n, 3) == 0, "a byte outside the outputs was written");
    }
    h_end();
}

#define ROW_ERRORS(X)                                                                      \
    X(valid, SIMDNORM_OK, OUTPUTS, (void)0)                                                \
    X(dy_null, SIMDNORM_ERR_NULL, NOTHING, a.dy = NULL)                                    \
    X(x_null, SIMDNORM_ERR_NULL, NOTHING, a.x = NULL)                                      \
    X(rstd_null, SIMDNORM_ERR_NULL, NOTHING, a.rstd = NULL)                                \
    X(dy_null_no_outputs, SIMDNORM_ERR_NULL, NOTHING, a.dy = NULL; a.dx = a.dg = a.db = NULL) \
    X(no_outputs_noop, SIMDNORM_OK, NOTHING, a.dx = a.dg = a.db = NULL)                    \
    X(only_dx, SIMDNORM_OK, OUTPUTS, a.dg = a.db = NULL)                                   \
    X(only_dgamma, SIMDNORM_OK, OUTPUTS, a.dx = NULL; a.db = NULL)                         \
    X(no_gamma, SIMDNORM_OK, OUTPUTS, a.g = NULL)                                          \
    X(rows_0_zeroes_dgamma, SIMDNORM_OK, ZEROED, a.rows = 0)                               \
    X(cols_0, SIMDNORM_ERR_SHAPE, NOTHING, a.cols = 0)                                     \
    X(dy_stride_lt_cols, SIMDNORM_ERR_SHAPE, NOTHING, a.dys = COLS - 1)                    \
    X(x_stride_lt_cols, SIMDNORM_ERR_SHAPE, NOTHING, a.xs = COLS - 1)                      \
    X(dx_stride_lt_cols, SIMDNORM_ERR_SHAPE, NOTHING, a.dxs = COLS - 1)                    \
    X(dy_stride_lt_cols_one_row, SIMDNORM_ERR_SHAPE, NOTHING, a.dys = COLS - 1; a.rows = 1) \
    X(x_stride_lt_cols_one_row, SIMDNORM_ERR_SHAPE, NOTHING, a.xs = COLS - 1; a.rows = 1)  \
    X(size_overflow_rows, SIMDNORM_ERR_SHAPE, NOTHING, a.rows = SIZE_MAX / 16)             \
    X(size_overflow_dy_stride, SIMDNORM_ERR_SHAPE, NOTHING, a.dys = SIZE_MAX / 4 + 1)      \
    X(size_overflow_x_stride, SIMDNORM_ERR_SHAPE, NOTHING, a.xs = SIZE_MAX / 2)            \
    X(size_overflow_dx_ptrdiff, SIMDNORM_ERR_SHAPE, NOTHING, a.rows = 2; a.dxs = (size_t)PTRDIFF_MAX / 4) \
    X(dx_partly_overlaps_dy, SIMDNORM_ERR_OVERLAP, NOTHING, a.dx = (float *)DY + 1)        \
    X(dx_is_dy_other_stride, SIMDNORM_ERR_OVERLAP, NOTHING, a.dx = (float *)DY; a.dxs = COLS + 1) \
    X(dx_interleaved_with_dy, SIMDNORM_ERR_OVERLAP, NOTHING,                               \
      a.dys = a.dxs = 2 * COLS; a.dx = (float *)DY + COLS)                                 \
    X(dx_overlaps_x, SIMDNORM_ERR_OVERLAP, NOTHING, a.dx = (float *)XX + 31)               \
    X(dx_is_x, SIMDNORM_ERR_OVERLAP, NOTHING, a.dx = (float *)XX)                          \
    X(dx_overlaps_gamma, SIMDNORM_ERR_OVERLAP, NOTHING, a.dx = GAMMA - 31)                 \
    X(dx_overlaps_rstd, SIMDNORM_ERR_OVERLAP, NOTHING, a.dx = RSTD - 29)                   \
    X(dx_overlaps_dgamma, SIMDNORM_ERR_OVERLAP, NOTHING, a.dg = DX + 31)                   \
    X(dgamma_overlaps_dy, SIMDNORM_ERR_OVERLAP, NOTHING, a.dg = (float *)DY + 30)          \
    X(dgamma_overlaps_x, SIMDNORM_ERR_OVERLAP, NOTHING, a.dg = (float *)XX)                \
    X(dgamma_overlaps_gamma, SIMDNORM_ERR_OVERLAP, NOTHING, a.dg = GAMMA + 7)              \
    X(dgamma_overlaps_rstd, SIMDNORM_ERR_OVERLAP, NOTHING, a.dg = RSTD - 5)                \
    X(dgamma_overlaps_rstd_no_dx, SIMDNORM_ERR_OVERLAP, NOTHING, a.dx = NULL; a.dg = RSTD - 5) \
    X(in_place_ok, SIMDNORM_OK, OUTPUTS, a.dx = (float *)DY)                               \
    X(in_place_stride_ok, SIMDNORM_OK, OUTPUTS, a.dx = (float *)DY; a.dys = a.dxs = COLS + 3) \
    X(inputs_alias_ok, SIMDNORM_OK, OUTPUTS, a.x = DY; a.g = DY)

#define LN_ERRORS(X)                                                                       \
    X(mean_null, SIMDNORM_ERR_NULL, NOTHING, a.mean = NULL)                                \
    X(mean_null_no_outputs, SIMDNORM_ERR_NULL, NOTHING, a.mean = NULL; a.dx = a.dg = a.db = NULL) \
    X(only_dbeta, SIMDNORM_OK, OUTPUTS, a.dx = a.dg = NULL)                                \
    X(mean_is_rstd_ok, SIMDNORM_OK, OUTPUTS, a.mean = RSTD)                                \
    X(dx_overlaps_mean, SIMDNORM_ERR_OVERLAP, NOTHING, a.dx = MEAN - 30)                   \
    X(dx_overlaps_dbeta, SIMDNORM_ERR_OVERLAP, NOTHING, a.db = DX + 20)                    \
    X(dgamma_overlaps_dbeta, SIMDNORM_ERR_OVERLAP, NOTHING, a.db = DG + 3)                 \
    X(dgamma_is_dbeta, SIMDNORM_ERR_OVERLAP, NOTHING, a.db = DG)                           \
    X(dgamma_overlaps_mean, SIMDNORM_ERR_OVERLAP, NOTHING, a.dg = MEAN - 7)                \
    X(dbeta_overlaps_dy, SIMDNORM_ERR_OVERLAP, NOTHING, a.db = (float *)DY + 24)           \
    X(dbeta_overlaps_x, SIMDNORM_ERR_OVERLAP, NOTHING, a.db = (float *)XX + 1)             \
    X(dbeta_overlaps_gamma, SIMDNORM_ERR_OVERLAP, NOTHING, a.db = GAMMA)                   \
    X(dbeta_overlaps_rstd, SIMDNORM_ERR_OVERLAP, NOTHING, a.db = RSTD + 3)                 \
    X(dbeta_overlaps_mean_only_dbeta, SIMDNORM_ERR_OVERLAP, NOTHING, a.dx = a.dg = NULL; a.db = MEAN + 1)

#define BN_ERRORS(X)                                                                       \
    X(valid, SIMDNORM_OK, OUTPUTS, (void)0)                                                \
    X(valid_nhwc, SIMDNORM_OK, OUTPUTS, a.layout = SIMDNORM_NHWC)                          \
    X(valid_fixed_stats, SIMDNORM_OK, OUTPUTS, a.training = 0)                             \
    X(dy_null, SIMDNORM_ERR_NULL, NOTHING, a.dy = NULL)                                    \
    X(x_null, SIMDNORM_ERR_NULL, NOTHING, a.x = NULL)                                      \
    X(mean_null, SIMDNORM_ERR_NULL, NOTHING, a.mean = NULL)                                \
    X(rstd_null, SIMDNORM_ERR_NULL, NOTHING, a.rstd = NULL)                                \
    X(mean_null_fixed_stats, SIMDNORM_ERR_NULL, NOTHING, a.mean = NULL; a.training = 0)    \
    X(rstd_null_fixed_stats, SIMDNORM_ERR_NULL, NOTHING, a.rstd = NULL; a.training = 0)    \
    X(x_null_no_outputs, SIMDNORM_ERR_NULL, NOTHING, a.x = NULL; a.dx = a.dg = a.db = NULL) \
    X(no_outputs_noop, SIMDNORM_OK, NOTHING, a.dx = a.dg = a.db = NULL)                    \
    X(no_gamma, SIMDNORM_OK, OUTPUTS, a.g = NULL)                                          \
    X(only_dbeta, SIMDNORM_OK, OUTPUTS, a.dx = a.dg = NULL)                                \
    X(layout_unknown, SIMDNORM_ERR_PARAM, NOTHING, a.layout = (simdnorm_layout)2)          \
    X(layout_negative, SIMDNORM_ERR_PARAM, NOTHING, a.layout = (simdnorm_layout)-1)        \
    X(layout_unknown_no_outputs, SIMDNORM_ERR_PARAM, NOTHING,                              \
      a.layout = (simdnorm_layout)7; a.dx = a.dg = a.db = NULL)                            \
    X(training_n_0, SIMDNORM_ERR_SHAPE, NOTHING, a.n = 0)                                  \
    X(training_spatial_0, SIMDNORM_ERR_SHAPE, NOTHING, a.sp = 0)                           \
    X(training_n_spatial_1_ok, SIMDNORM_OK, OUTPUTS, a.n = 1; a.sp = 1)                    \
    X(fixed_stats_n_0_zeroes_dgamma, SIMDNORM_OK, ZEROED, a.n = 0; a.training = 0)         \
    X(fixed_stats_spatial_0_zeroes_dgamma, SIMDNORM_OK, ZEROED, a.sp = 0; a.training = 0)  \
    X(c_0_noop, SIMDNORM_OK, NOTHING, a.c = 0)                                             \
    X(size_overflow_n, SIMDNORM_ERR_SHAPE, NOTHING, a.n = SIZE_MAX / 8)                    \
    X(size_overflow_c, SIMDNORM_ERR_SHAPE, NOTHING, a.c = SIZE_MAX / 2 + 1)                \
    X(size_overflow_product, SIMDNORM_ERR_SHAPE, NOTHING,                               \
      a.n = (size_t)1 << 22; a.c = (size_t)1 << 22; a.sp = (size_t)1 << 22)                \
    X(size_overflow_ptrdiff, SIMDNORM_ERR_SHAPE, NOTHING, a.n = 1; a.sp = (size_t)PTRDIFF_MAX / 16 + 1) \
    X(dx_partly_overlaps_dy, SIMDNORM_ERR_OVERLAP, NOTHING, a.dx = (float *)DY + 5)        \
    X(dx_overlaps_x, SIMDNORM_ERR_OVERLAP, NOTHING, a.dx = (float *)XX - 31)               \
    X(dx_is_x, SIMDNORM_ERR_OVERLAP, NOTHING, a.dx = (float *)XX)                          \
    X(dx_overlaps_gamma, SIMDNORM_ERR_OVERLAP, NOTHING, a.dx = GAMMA - 30)                 \
    X(dx_overlaps_mean, SIMDNORM_ERR_OVERLAP, NOTHING, a.dx = MEAN - 29)                   \
    X(dx_overlaps_rstd, SIMDNORM_ERR_OVERLAP, NOTHING, a.dx = RSTD - 28)                   \
    X(dx_overlaps_dgamma, SIMDNORM_ERR_OVERLAP, NOTHING, a.dg = DX + 28)                   \
    X(dx_overlaps_dbeta, SIMDNORM_ERR_OVERLAP, NOTHING, a.db = DX + 31)                    \
    X(dgamma_overlaps_dbeta, SIMDNORM_ERR_OVERLAP, NOTHING, a.db = DG + 2)                 \
    X(dgamma_is_dbeta, SIMDNORM_ERR_OVERLAP, NOTHING, a.db = DG)                           \
    X(dgamma_overlaps_dy, SIMDNORM_ERR_OVERLAP, NOTHING, a.dg = (float *)DY)               \
    X(dgamma_overlaps_x, SIMDNORM_ERR_OVERLAP, NOTHING, a.dg = (float *)XX + 29)           \
    X(dgamma_overlaps_gamma, SIMDNORM_ERR_OVERLAP, NOTHING, a.dg = GAMMA + 3)              \
    X(dgamma_overlaps_mean, SIMDNORM_ERR_OVERLAP, NOTHING, a.dg = MEAN - 1)                \
    X(dgamma_overlaps_rstd, SIMDNORM_ERR_OVERLAP, NOTHING, a.dg = RSTD + 3)                \
    X(dbeta_overlaps_x, SIMDNORM_ERR_OVERLAP, NOTHING, a.db = (float *)XX + 2)             \
    X(dbeta_overlaps_rstd_only_dbeta, SIMDNORM_ERR_OVERLAP, NOTHING, a.dx = a.dg = NULL; a.db = RSTD - 3) \
    X(in_place_ok, SIMDNORM_OK, OUTPUTS, a.dx = (float *)DY)                               \
    X(in_place_nhwc_fixed_ok, SIMDNORM_OK, OUTPUTS,                                      \
      a.dx = (float *)DY; a.layout = SIMDNORM_NHWC; a.training = 0)                        \
    X(inputs_alias_ok, SIMDNORM_OK, OUTPUTS, a.x = DY; a.mean = RSTD)

#define ROW_CASE(name, want, writes, change)                                             \
    static void err_ln_##name(void)                                                      \
    {                                                                                    \
        reset_arena();                                                                   \
        rargs a = rargs_ok();                                                            \
        change;                                                                          \
        const float *out[3] = {a.dx, a.dg, a.db};                                        \
        const size_t out_n[3] = {span(a.rows, a.dxs, a.cols), a.cols, a.cols};           \
        expect("layer_norm_bwd", #name, want, ln_call(a), writes, out, out_n);           \
    }                                                                                    \
    static void err_rms_##name(void)                                                     \
    {                                                                                    \
        reset_arena();                                                                   \
        rargs a = rargs_ok();                                                            \
        change;                                                                          \
        const float *out[3] = {a.dx, a.dg, NULL};                                        \
        const size_t out_n[3] = {span(a.rows, a.dxs, a.cols), a.cols, 0};                \
        expect("rms_norm_bwd", #name, want, rms_call(a), writes, out, out_n);            \
    }
#define LN_CASE(name, want, writes, change)                                              \
    static void err_lnonly_##name(void)                                                  \
    {                                                                                    \
        reset_arena();                                                                   \
        rargs a = rargs_ok();                                                            \
        change;                                                                          \
        const float *out[3] = {a.dx, a.dg, a.db};                                        \
        const size_t out_n[3] = {span(a.rows, a.dxs, a.cols), a.cols, a.cols};           \
        expect("layer_norm_bwd", #name, want, ln_call(a), writes, out, out_n);           \
    }
#define BN_CASE(name, want, writes, change)                                              \
    static void err_bn_##name(void)                                                      \
    {                                                                                    \
        reset_arena();                                                                   \
        bargs a = bargs_ok();                                                            \
        change;                                                                          \
        const float *out[3] = {a.dx, a.dg, a.db};                                        \
        const size_t out_n[3] = {a.n * a.c * a.sp, a.c, a.c};                            \
        expect("batch_norm_bwd", #name, want, bn_call(a), writes, out, out_n);           \
    }
ROW_ERRORS(ROW_CASE)
LN_ERRORS(LN_CASE)
BN_ERRORS(BN_CASE)

#define ROW_RUN(name, want, writes, change) err_ln_##name(); err_rms_##name();
#define LN_RUN(name, want, writes, change) err_lnonly_##name();
#define BN_RUN(name, want, writes, change) err_bn_##name();

typedef struct named_case {
    const char *name;
    void (*fn)(void);
} named_case;

int main(void)
{
    ROW_ERRORS(ROW_RUN)
    LN_ERRORS(LN_RUN)
    BN_ERRORS(BN_RUN)

    static const named_case cases[] = {
        {"bwd_rows_lengths_1_to_300_guard_page", case_row_lengths_1_to_300},
        {"bwd_rows_widths_33_64_768_4097_stats", case_row_widths},
        {"bwd_rows_offset_1e4_long_rows", case_row_offset_1e4_long_rows},
        {"bwd_rows_dgamma_1e5_rows", case_row_dgamma_1e5_rows},
        {"bwd_rows_strides_misaligned_in_place", case_row_strides_misaligned_in_place},
        {"bwd_rows_tiny_rows_in_lanes", case_row_tiny},
        {"bwd_rows_optional_outputs", case_row_optional_outputs},
        {"bwd_rows_nan_inf_stay_in_their_row", case_row_nan_inf},
        {"bwd_rows_0_zeroes_dgamma_dbeta", case_row_zero_rows},
        {"bwd_rows_bitwise_for_1_2_3_4_7_16_threads", case_row_threads},
        {"bwd_bn_shapes_nchw_nhwc_2d", case_bn_shapes},
        {"bwd_bn_offset_1e4_long_channels", case_bn_offset_1e4_long},
        {"bwd_bn_misaligned_in_place_optional", case_bn_misaligned_in_place_optional},
        {"bwd_bn_nan_inf_stay_in_their_channel", case_bn_nan_inf_channel},
        {"bwd_bn_empty", case_bn_empty},
        {"bwd_bn_gn_infinite_gamma_association", case_infinite_gamma_association},
        {"bwd_bn_bitwise_for_1_2_3_4_7_16_threads", case_bn_threads},
    };
    simdnorm_set_num_threads(1);
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
        for (size_t i = 0; i < N_ARCH_ISAS; i++)
            if (begin_isa_case(cases[c].name, arch_isas[i])) {
                cases[c].fn();
                h_end();
            }
    /* The from-memory cases: tens of MiB each, skipped under emulation
     * (qemu, the clang -O0 build); sanitized: only the first's scalar
     * instance is left out (6.3 s under ASan) */
    static const struct {
        named_case c;
        int sanitized_default_only;
    } mem_cases[] = {
        {{"bwd_rows_from_memory_streamed_dx_any_offset", case_row_from_memory_stream}, 1},
        {{"bwd_nhwc_from_memory_streamed_dx_bitwise", case_nhwc_from_memory_stream}, 0},
        {{"bwd_nchw_from_memory_streamed_dx_bitwise", case_nchw_from_memory_stream}, 0},
    };
    for (size_t c = 0; c < sizeof mem_cases / sizeof *mem_cases; c++)
        for (size_t i = 0; i < N_ARCH_ISAS; i++) {
            if (emulated()) {
                h_begin("%s[%s]", mem_cases[c].c.name, simdnorm_isa_name(arch_isas[i]));
                h_skip("emulated");
            } else if (begin_isa_case(mem_cases[c].c.name, arch_isas[i]) &&
                       !(mem_cases[c].sanitized_default_only &&
                         sanitized_default_only(arch_isas[i]))) {
                mem_cases[c].c.fn();
                h_end();
            }
        }
    for (int fn = 0; fn < N_FN; fn++) {
        printf("worst vs float64: %s |dx err| / max |dx| %.3g (%zu rows/channels above 1e-5, "
               "within the term allowance), |dgamma err| / sum|terms| %.3g",
               fn_names[fn], worst[fn][OUT_DX], floor_rows[fn], worst[fn][OUT_DG]);
        if (fn != FN_RMS)
            printf(", |dbeta err| / sum|terms| %.3g", worst[fn][OUT_DB]);
        printf("\n");
    }
    return h_summary();
}
