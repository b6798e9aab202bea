/* test_half.c - the 16-bit storage API (include/simdnorm.h "16-bit
 * storage"), on every ISA this CPU runs:
 *  - the conversions: all 65,536 patterns of each format widened, against a
 *    reference written here from the formats' definitions; narrowing of
 *    every rounding case of every 16-bit value (the value, the halfway points
 *    to its neighbours and the floats just below and above them, ties both
 *    ways), subnormals, the overflow boundary, NaNs with payloads, +-0, +-Inf;
 *  - every twin against its contract, bit for bit: the float32 function on
 *    the widened inputs, each 16-bit output narrowed once (round to nearest
 *    even), the float outputs (mean, rstd, dgamma, dbeta) equal - with
 *    strides, in place, the options, rows longer than a block, buffers that
 *    end at a PROT_NONE page, 1 and 2 threads;
 *  - the errors: every status of the entry points, overlaps counted in bytes,
 *    nothing written. */
#include "common.h"
#include "half.h"

/* ---- references written from the formats (not kernels/half.h) ---------- */

static uint32_t ref_widen_bits(int s, uint16_t h)
{
    if (s == 1) {
        if ((h & 0x7fffu) > 0x7f80u)
            return 0x7fc00000u;
        return (uint32_t)h << 16;
    }
    const int e = (h >> 10) & 0x1f, m = h & 0x3ff;
    const double sign = (h & 0x8000u) ? -1.0 : 1.0;
    double v;
    if (e == 31) {
        if (m)
            return 0x7fc00000u;
        v = sign * INFINITY;
    } else if (e == 0) {
        v = sign * ldexp((double)m, -24);
    } else {
        v = sign * ldexp((double)(1024 + m), e - 25);
    }
    return fbits((float)v); /* exact: every binary16 value is a float */
}

static float ref_widen(int s, uint16_t h) { return from_bits(ref_widen_bits(s, h)); }

static uint16_t canon16(int s) { return s == 1 ? 0x7fc0 : 0x7e00; }
static uint16_t inf16(int s) { return s == 1 ? 0x7f80 : 0x7c00; }

/* ---- conversions ------------------------------------------------------ */

/* Narrowing cases with their expected results, built from each 16-bit
 * value a (non-negative, finite) and its successor b (the next pattern,
 * Inf after the largest): a itself, the midpoint (exact in float: 9 or 12
 * significant bits), the floats just below and above it, each of both
 * signs. */
typedef struct ncase {
    float f;
    uint16_t want;
} ncase;

static size_t build_narrow_cases(int s, ncase *c)
{
    size_t n = 0;
    const uint16_t inf = inf16(s);
    for (uint32_t a = 0; a < inf; a++) {
        const uint16_t b = (uint16_t)(a + 1);
        const double fa = ref_widen(s, (uint16_t)a);
        /* b == Inf: the midpoint is the overflow threshold, one ulp of a's
         * binade above a */
        const double fb = b == inf ? fa + (fa - ref_widen(s, (uint16_t)(a - 1))) : ref_widen(s, b);
        const float mid = (float)((fa + fb) / 2);
        const uint16_t even = (a & 1) ? b : (uint16_t)a;
        const ncase cs[4] = {{(float)fa, (uint16_t)a},
                             {mid, even},
                             {nextafterf(mid, 0.0f), (uint16_t)a},
                             {nextafterf(mid, INFINITY), b}};
        for (int i = 0; i < 4; i++) {
            c[n++] = cs[i];
            c[n].f = -cs[i].f;
            c[n++].want = (uint16_t)(cs[i].want | 0x8000u);
        }
    }
    /* specials: +-Inf, NaNs with payloads (and signalling), the largest
     * floats, float subnormals */
    static const uint32_t nan_bits[] = {0x7fc00000u, 0xffc00000u, 0x7f800001u, 0xff800001u,
                                        0x7fa5a5a5u, 0xffffffffu, 0x7fffffffu, 0x7fc12345u};
    c[n++] = (ncase){INFINITY, inf};
    c[n++] = (ncase){-INFINITY, (uint16_t)(inf | 0x8000u)};
    for (size_t i = 0; i < sizeof nan_bits / sizeof *nan_bits; i++)
        c[n++] = (ncase){from_bits(nan_bits[i]), canon16(s)};
    c[n++] = (ncase){FLT_MAX, inf};
    c[n++] = (ncase){-FLT_MAX, (uint16_t)(inf | 0x8000u)};
    c[n++] = (ncase){from_bits(1), s == 1 ? 0 : 0};                 /* smallest float subnormal */
    c[n++] = (ncase){-from_bits(1), 0x8000};
    return n;
}

static void case_conversions(simdnorm_isa isa)
{
    if (!begin_isa_case("conversions_exhaustive", isa))
        return;
    ncase *cases = malloc((size_t)8 * 65536 * sizeof(ncase) + 64 * sizeof(ncase));
    float *f = malloc((size_t)8 * 65536 * sizeof(float) + 64 * sizeof(float));
    uint16_t *h = malloc((size_t)8 * 65536 * sizeof(uint16_t) + 64 * sizeof(uint16_t));
    for (int s = 1; s <= 2; s++) {
        /* widening: all 65,536 patterns */
        for (uint32_t i = 0; i < 65536; i++)
            h[i] = (uint16_t)i;
        CHECK((s == 1 ? simdnorm_convert_bf16_to_f32(65536, h, f)
                      : simdnorm_convert_f16_to_f32(65536, h, f)) == SIMDNORM_OK,
              "widen failed");
        size_t bad = 0;
        for (uint32_t i = 0; i < 65536; i++)
            bad += fbits(f[i]) != ref_widen_bits(s, (uint16_t)i);
        CHECK(bad == 0, "storage %d: %zu of 65536 patterns widen wrong", s, bad);
        /* narrowing: every rounding case */
        const size_t n = build_narrow_cases(s, cases);
        for (size_t i = 0; i < n; i++)
            f[i] = cases[i].f;
        CHECK((s == 1 ? simdnorm_convert_f32_to_bf16(n, f, h) : simdnorm_convert_f32_to_f16(n, f, h)) ==
                  SIMDNORM_OK, "narrow failed");
        bad = 0;
        for (size_t i = 0; i < n; i++) {
            if (h[i] != cases[i].want && bad++ < 3)
                printf("  storage %d: %a (0x%08x) -> 0x%04x, want 0x%04x\n", s, (double)cases[i].f,
                       fbits(cases[i].f), h[i], cases[i].want);
        }
        CHECK(bad == 0, "storage %d: %zu of %zu narrowing cases wrong", s, bad, n);
        /* the portable reference of the kernels agrees too */
        bad = 0;
        for (size_t i = 0; i < n; i++)
            bad += (s == 1 ? simdnorm_bf16_narrow1(cases[i].f) : simdnorm_f16_narrow1(cases[i].f)) !=
                   cases[i].want;
        CHECK(bad == 0, "storage %d: kernels/half.h narrows %zu cases wrong", s, bad);
        /* n == 0 with NULL pointers: OK */
        CHECK(simdnorm_convert_f32_to_bf16(0, NULL, NULL) == SIMDNORM_OK &&
                  simdnorm_convert_f16_to_f32(0, NULL, NULL) == SIMDNORM_OK,
              "n == 0 must be a no-op");
    }
    free(cases);
    free(f);
    free(h);
    h_end();
}

/* ---- the twins against the float32 functions ---------------------------- */

static uint16_t narrow1(int s, float v) { return s == 1 ? simdnorm_bf16_narrow1(v) : simdnorm_f16_narrow1(v); }

static void widen_n(int s, size_t n, const uint16_t *h, float *f)
{
    for (size_t i = 0; i < n; i++)
        f[i] = ref_widen(s, h[i]);
}

/* rows of 16-bit data: kind 0 normal, 1 offset (far from 0 in units of the
 * spread), 2 with a NaN row and an Inf row, 3 tiny (subnormal in f16). */
static void fill16(int s, uint16_t *h, size_t rows, size_t cols, size_t stride, int kind)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < (r + 1 < rows ? stride : cols); j++) {
            double v = rng_normal();
            if (kind == 1)
                v = 300.0 + 0.5 * v;
            if (kind == 3)
                v *= 1e-6;
            /* the slow plans: bf16 rows near 1e38 (LayerNorm's magnitude
             * test fails), zero rows and bf16 rows near 1e20 (RMSNorm's fast
             * sum of squares underflows / overflows: the exact kernel) */
            if (kind == 4)
                v = r % 3 == 1 ? 0.0 : s == 1 ? (r % 3 ? 1e20 * v : 1e38 * (1.0 + 0.1 * v)) : v;
            h[r * stride + j] = narrow1(s, (float)v);
        }
    if (kind == 2 && rows >= 3) {
        h[cols / 2] = narrow1(s, NAN);
        h[2 * stride + cols - 1] = narrow1(s, -INFINITY);
    }
}

/* Whether the rows of the 16-bit y equal the narrowed float rows of yf. */
static size_t rows_differ(int s, size_t rows, size_t cols, const uint16_t *y, size_t ys,
                          const float *yf, size_t yfs)
{
    size_t bad = 0;
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < cols; j++)
            bad += y[r * ys + j] != narrow1(s, yf[r * yfs + j]);
    return bad;
}

typedef struct fshape {
    size_t rows, cols;
} fshape;
/* {1, 16}, {1, 33}: a lone short row (rows.c ln_short_lone) */
static const fshape fshapes[] = {{1, 1},    {3, 7},    {17, 64},  {5, 100}, {9, 768},
                                 {2, 4096}, {3, 5000}, {2, 9000}, {40, 33}, {2, 17000},
                                 {1, 16},   {1, 33}};
#define N_FSHAPES (sizeof fshapes / sizeof *fshapes)

static simdnorm_status twin_ln(int s, size_t rows, size_t cols, const uint16_t *x, size_t xs,
                               const float *g, const float *b, uint16_t *y, size_t ys, float *mean,
                               float *rstd)
{
    return s == 1 ? simdnorm_layer_norm_bf16(rows, cols, x, xs, g, b, 1e-5f, y, ys, mean, rstd)
                  : simdnorm_layer_norm_f16(rows, cols, x, xs, g, b, 1e-5f, y, ys, mean, rstd);
}
static simdnorm_status twin_rms(int s, size_t rows, size_t cols, const uint16_t *x, size_t xs,
                                const float *g, uint16_t *y, size_t ys, float *rstd)
{
    return s == 1 ? simdnorm_rms_norm_bf16(rows, cols, x, xs, g, 1e-5f, y, ys, rstd)
                  : simdnorm_rms_norm_f16(rows, cols, x, xs, g, 1e-5f, y, ys, rstd);
}

static void case_forward(simdnorm_isa isa)
{
    if (!begin_isa_case("twins_forward", isa))
        return;
    for (int s = 1; s <= 2; s++)
        for (size_t si = 0; si < N_FSHAPES; si++)
            for (int kind = 0; kind < 5; kind++) {
                const size_t rows = fshapes[si].rows, cols = fshapes[si].cols;
                if (kind == 4 && cols < 768)
                    continue; /* the slow plans of long rows and the engine's */
                const size_t xs = cols + 3, ys = cols + 5, xn = (rows - 1) * xs + cols,
                             yn = (rows - 1) * ys + cols;
                rng_seed(300 + si * 17 + (size_t)kind * 5 + (size_t)s);
                guarded_h xb = guarded16(xn), yb = guarded16(yn);
                guarded_buf gb = guarded(cols), bb = guarded(cols), gt = guarded(cols);
                float *xf = malloc(xn * sizeof(float)), *yf = malloc(yn * sizeof(float));
                uint16_t *ip = malloc(xn * sizeof(uint16_t));
                float m16[64], r16[64], mf[64], rf[64];
                fill16(s, xb.p, rows, cols, xs, kind);
                widen_n(s, xn, xb.p, xf);
                fill_normal(gb.p, cols, 1.0, 0.2);
                fill_normal(bb.p, cols, 0.0, 1.0);
                /* variant 4: gamma mostly subnormal (every fifth normal), no
                 * beta: outputs subnormal in float and in bf16, mixed with
                 * normal ones in a vector (avx512bf16's narrowing reads a
                 * subnormal as zero: its fix-up, vec_avx512.h) */
                for (size_t j = 0; j < cols; j++)
                    gt.p[j] = gb.p[j] * (j % 5 == 0 ? 1e-30f : 0x1p-131f);
                for (int v = 0; v < 5; v++) {
                    const float *g = v == 4 ? gt.p : v & 1 ? gb.p : NULL,
                                *b = v != 4 && (v & 2) ? bb.p : NULL;
                    CHECK(simdnorm_layer_norm_f32(rows, cols, xf, xs, g, b, 1e-5f, yf, ys, mf, rf) ==
                              SIMDNORM_OK, "f32 failed");
                    CHECK(twin_ln(s, rows, cols, xb.p, xs, g, b, yb.p, ys, m16, r16) == SIMDNORM_OK,
                          "twin failed");
                    CHECK(rows_differ(s, rows, cols, yb.p, ys, yf, ys) == 0 &&
                              memcmp(m16, mf, rows * 4) == 0 && memcmp(r16, rf, rows * 4) == 0,
                          "storage %d %zux%zu kind %d variant %d: layer_norm differs", s, rows, cols,
                          kind, v);
                    /* in place: y == x, the same stride */
                    memcpy(ip, xb.p, xn * sizeof(uint16_t));
                    CHECK(twin_ln(s, rows, cols, ip, xs, g, b, ip, xs, NULL, NULL) == SIMDNORM_OK,
                          "in place failed");
                    CHECK(rows_differ(s, rows, cols, ip, xs, yf, ys) == 0,
                          "storage %d %zux%zu kind %d variant %d: layer_norm in place differs", s,
                          rows, cols, kind, v);
                    if (kind == 4 && v == 3) {
                        /* the slow plans with an activation (the plain
                         * options: rows.c half_apply's slow blocks) */
                        const simdnorm_norm_options of = {NULL, 0, NULL, SIMDNORM_ACT_SILU, NULL, 0};
                        CHECK(simdnorm_layer_norm_ex_f32(rows, cols, xf, xs, g, b, 1e-5f, yf, ys,
                                                         NULL, NULL, &of) == SIMDNORM_OK,
                              "f32 failed");
                        simdnorm_status e16;
                        if (s == 1) {
                            const simdnorm_norm_options_bf16 o = {NULL, 0, NULL, SIMDNORM_ACT_SILU,
                                                                  NULL, 0};
                            e16 = simdnorm_layer_norm_ex_bf16(rows, cols, xb.p, xs, g, b, 1e-5f,
                                                              yb.p, ys, NULL, NULL, &o);
                        } else {
                            const simdnorm_norm_options_f16 o = {NULL, 0, NULL, SIMDNORM_ACT_SILU,
                                                                 NULL, 0};
                            e16 = simdnorm_layer_norm_ex_f16(rows, cols, xb.p, xs, g, b, 1e-5f,
                                                             yb.p, ys, NULL, NULL, &o);
                        }
                        CHECK(e16 == SIMDNORM_OK && rows_differ(s, rows, cols, yb.p, ys, yf, ys) == 0,
                              "storage %d %zux%zu kind 4: layer_norm + SiLU differs", s, rows, cols);
                    }
                    if (v & 2)
                        continue;
                    CHECK(simdnorm_rms_norm_f32(rows, cols, xf, xs, g, 1e-5f, yf, ys, rf) ==
                              SIMDNORM_OK, "f32 failed");
                    CHECK(twin_rms(s, rows, cols, xb.p, xs, g, yb.p, ys, r16) == SIMDNORM_OK,
                          "twin failed");
                    CHECK(rows_differ(s, rows, cols, yb.p, ys, yf, ys) == 0 &&
                              memcmp(r16, rf, rows * 4) == 0,
                          "storage %d %zux%zu kind %d variant %d: rms_norm differs", s, rows, cols,
                          kind, v);
                }
                free(xf);
                free(yf);
                free(ip);
                guarded16_free(xb);
                guarded16_free(yb);
                guarded_free(gb);
                guarded_free(bb);
                guarded_free(gt);
            }
    h_end();
}

/* The _ex twins: residual, bias, h, activation in combinations, against
 * simdnorm_*_ex_f32 on the widened x and residual. */
static void case_ex(simdnorm_isa isa)
{
    if (!begin_isa_case("twins_ex", isa))
        return;
    static const simdnorm_activation acts[] = {SIMDNORM_ACT_NONE, SIMDNORM_ACT_GELU_ERF,
                                               SIMDNORM_ACT_RELU, SIMDNORM_ACT_SILU};
    for (int s = 1; s <= 2; s++)
        for (size_t si = 0; si < N_FSHAPES; si++)
            for (int v = 0; v < 16; v++) {
                const size_t rows = fshapes[si].rows, cols = fshapes[si].cols, st = cols + 2,
                             n = (rows - 1) * st + cols;
                const int has_r = v & 1, has_b = (v >> 1) & 1, has_h = (v >> 2) & 1,
                          rms = (v >> 3) & 1;
                const simdnorm_activation act = acts[(size_t)v % 4];
                rng_seed(900 + si * 31 + (size_t)v + (size_t)s * 7);
                uint16_t *x = malloc(n * 2), *r = malloc(n * 2), *y = malloc(n * 2),
                         *h = malloc(n * 2), *ip = malloc(n * 2), *ipr = malloc(n * 2);
                float *xf = malloc(n * 4), *rf = malloc(n * 4), *yf = malloc(n * 4),
                      *hf = malloc(n * 4), *g = malloc(cols * 4), *b = malloc(cols * 4),
                      *bias = malloc(cols * 4);
                float m16[64], r16[64], mf[64], rsf[64];
                fill16(s, x, rows, cols, st, v & 3);
                fill16(s, r, rows, cols, st, 0);
                widen_n(s, n, x, xf);
                widen_n(s, n, r, rf);
                fill_normal(g, cols, 1.0, 0.2);
                fill_normal(b, cols, 0.0, 1.0);
                fill_normal(bias, cols, 0.0, 0.5);
                const simdnorm_norm_options of = {has_r ? rf : NULL, st, has_b ? bias : NULL, act,
                                                  has_h ? hf : NULL, st};
                simdnorm_status e32 =
                    rms ? simdnorm_rms_norm_ex_f32(rows, cols, xf, st, g, 1e-5f, yf, st, rsf, &of)
                        : simdnorm_layer_norm_ex_f32(rows, cols, xf, st, g, b, 1e-5f, yf, st, mf,
                                                     rsf, &of);
                simdnorm_status e16;
                if (s == 1) {
                    const simdnorm_norm_options_bf16 o = {has_r ? r : NULL, st, has_b ? bias : NULL,
                                                          act, has_h ? h : NULL, st};
                    e16 = rms ? simdnorm_rms_norm_ex_bf16(rows, cols, x, st, g, 1e-5f, y, st, r16, &o)
                              : simdnorm_layer_norm_ex_bf16(rows, cols, x, st, g, b, 1e-5f, y, st,
                                                            m16, r16, &o);
                } else {
                    const simdnorm_norm_options_f16 o = {has_r ? r : NULL, st, has_b ? bias : NULL,
                                                         act, has_h ? h : NULL, st};
                    e16 = rms ? simdnorm_rms_norm_ex_f16(rows, cols, x, st, g, 1e-5f, y, st, r16, &o)
                              : simdnorm_layer_norm_ex_f16(rows, cols, x, st, g, b, 1e-5f, y, st,
                                                           m16, r16, &o);
                }
                CHECK(e32 == SIMDNORM_OK && e16 == SIMDNORM_OK, "status %d %d", e32, e16);
                CHECK(rows_differ(s, rows, cols, y, st, yf, st) == 0 &&
                          memcmp(r16, rsf, rows * 4) == 0 &&
                          (rms || memcmp(m16, mf, rows * 4) == 0) &&
                          (!has_h || rows_differ(s, rows, cols, h, st, hf, st) == 0),
                      "storage %d %zux%zu variant %d: _ex differs", s, rows, cols, v);
                /* in place: y == x and h == residual */
                memcpy(ip, x, n * 2);
                memcpy(ipr, r, n * 2);
                if (s == 1) {
                    const simdnorm_norm_options_bf16 o = {has_r ? ipr : NULL, st,
                                                          has_b ? bias : NULL, act,
                                                          has_h && has_r ? ipr : NULL, st};
                    e16 = rms ? simdnorm_rms_norm_ex_bf16(rows, cols, ip, st, g, 1e-5f, ip, st, NULL, &o)
                              : simdnorm_layer_norm_ex_bf16(rows, cols, ip, st, g, b, 1e-5f, ip, st,
                                                            NULL, NULL, &o);
                } else {
                    const simdnorm_norm_options_f16 o = {has_r ? ipr : NULL, st,
                                                         has_b ? bias : NULL, act,
                                                         has_h && has_r ? ipr : NULL, st};
                    e16 = rms ? simdnorm_rms_norm_ex_f16(rows, cols, ip, st, g, 1e-5f, ip, st, NULL, &o)
                              : simdnorm_layer_norm_ex_f16(rows, cols, ip, st, g, b, 1e-5f, ip, st,
                                                           NULL, NULL, &o);
                }
                CHECK(e16 == SIMDNORM_OK && rows_differ(s, rows, cols, ip, st, yf, st) == 0 &&
                          (!(has_h && has_r) || rows_differ(s, rows, cols, ipr, st, hf, st) == 0),
                      "storage %d %zux%zu variant %d: _ex in place differs", s, rows, cols, v);
                free(x);
                free(r);
                free(y);
                free(h);
                free(ip);
                free(ipr);
                free(xf);
                free(rf);
                free(yf);
                free(hf);
                free(g);
                free(b);
                free(bias);
            }
    h_end();
}

/* The activation twins on all 65,536 inputs, every activation. */
static void case_activate(simdnorm_isa isa)
{
    if (!begin_isa_case("twins_activate_exhaustive", isa))
        return;
    uint16_t *x = malloc(65536 * 2), *y = malloc(65536 * 2);
    float *xf = malloc(65536 * 4), *yf = malloc(65536 * 4);
    for (uint32_t i = 0; i < 65536; i++)
        x[i] = (uint16_t)i;
    for (int s = 1; s <= 2; s++) {
        widen_n(s, 65536, x, xf);
        for (int a = 0; a <= (int)SIMDNORM_ACT_SILU; a++) {
            CHECK(simdnorm_activate_f32(65536, xf, (simdnorm_activation)a, yf) == SIMDNORM_OK, "f32");
            CHECK((s == 1 ? simdnorm_activate_bf16(65536, x, (simdnorm_activation)a, y)
                          : simdnorm_activate_f16(65536, x, (simdnorm_activation)a, y)) ==
                      SIMDNORM_OK, "twin");
            const size_t bad = rows_differ(s, 1, 65536, y, 65536, yf, 65536);
            CHECK(bad == 0, "storage %d act %d: %zu of 65536 differ", s, a, bad);
        }
    }
    free(x);
    free(y);
    free(xf);
    free(yf);
    h_end();
}

/* The backward twins: LayerNorm and RMSNorm, gamma, dx (in place too),
 * dgamma/dbeta over enough rows for several chunks. */
static void case_backward(simdnorm_isa isa)
{
    if (!begin_isa_case("twins_backward", isa))
        return;
    static const fshape bs[] = {{1, 1}, {3, 7}, {70, 64}, {9, 100}, {5, 768}, {2, 5000}, {130, 33}};
    for (int s = 1; s <= 2; s++)
        for (size_t si = 0; si < sizeof bs / sizeof *bs; si++)
            for (int v = 0; v < 8; v++) {
                const size_t rows = bs[si].rows, cols = bs[si].cols, st = cols + 1,
                             n = (rows - 1) * st + cols;
                const int rms = v & 1, has_g = (v >> 1) & 1, inplace = (v >> 2) & 1;
                rng_seed(1300 + si * 13 + (size_t)v + (size_t)s);
                uint16_t *dy = malloc(n * 2), *x = malloc(n * 2), *dx = malloc(n * 2);
                float *dyf = malloc(n * 4), *xf = malloc(n * 4), *dxf = malloc(n * 4),
                      *g = malloc(cols * 4), *mean = malloc(rows * 4), *rstd = malloc(rows * 4),
                      *dg = malloc(cols * 4), *db = malloc(cols * 4), *dgf = malloc(cols * 4),
                      *dbf = malloc(cols * 4);
                fill16(s, dy, rows, cols, st, 0);
                fill16(s, x, rows, cols, st, v & 2 ? 1 : 0);
                widen_n(s, n, dy, dyf);
                widen_n(s, n, x, xf);
                fill_normal(g, cols, 1.0, 0.2);
                simdnorm_layer_norm_f32(rows, cols, xf, st, NULL, NULL, 1e-5f, dxf, st, mean, rstd);
                simdnorm_status e32, e16;
                const float *gp = has_g ? g : NULL;
                if (rms)
                    e32 = simdnorm_rms_norm_bwd_f32(rows, cols, dyf, st, xf, st, gp, rstd, dxf, st, dgf);
                else
                    e32 = simdnorm_layer_norm_bwd_f32(rows, cols, dyf, st, xf, st, gp, mean, rstd,
                                                      dxf, st, dgf, dbf);
                uint16_t *out = inplace ? dy : dx;
                if (s == 1)
                    e16 = rms ? simdnorm_rms_norm_bwd_bf16(rows, cols, dy, st, x, st, gp, rstd, out,
                                                           st, dg)
                              : simdnorm_layer_norm_bwd_bf16(rows, cols, dy, st, x, st, gp, mean,
                                                             rstd, out, st, dg, db);
                else
                    e16 = rms ? simdnorm_rms_norm_bwd_f16(rows, cols, dy, st, x, st, gp, rstd, out,
                                                          st, dg)
                              : simdnorm_layer_norm_bwd_f16(rows, cols, dy, st, x, st, gp, mean,
                                                            rstd, out, st, dg, db);
                CHECK(e32 == SIMDNORM_OK && e16 == SIMDNORM_OK, "status %d %d", e32, e16);
                CHECK(rows_differ(s, rows, cols, out, st, dxf, st) == 0 &&
                          memcmp(dg, dgf, cols * 4) == 0 && (rms || memcmp(db, dbf, cols * 4) == 0),
                      "storage %d %zux%zu variant %d: backward differs", s, rows, cols, v);
                free(dy);
                free(x);
                free(dx);
                free(dyf);
                free(xf);
                free(dxf);
                free(g);
                free(mean);
                free(rstd);
                free(dg);
                free(db);
                free(dgf);
                free(dbf);
            }
    h_end();
}

/* BatchNorm (train, _ex with an activation, infer, moments,
 * train_from_moments, backward with batch and fixed statistics) and
 * GroupNorm (forward, backward): each twin against its float32 function on
 * the widened tensors, both layouts, in place included. */
typedef struct cshape {
    size_t n, c, sp, groups;
} cshape;

static size_t n_differ(int s, size_t n, const uint16_t *y, const float *yf)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += y[i] != narrow1(s, yf[i]);
    return bad;
}

#define TWIN(s, f, ...) ((s) == 1 ? f##_bf16(__VA_ARGS__) : f##_f16(__VA_ARGS__))

static void case_channels(simdnorm_isa isa)
{
    if (!begin_isa_case("twins_channels", isa))
        return;
    /* (n, c, spatial, groups): c <= 64 and n*groups <= 256 (the outputs' arrays) */
    static const cshape cs[] = {{2, 3, 5, 3},  {4, 16, 49, 4}, {3, 64, 1, 8},
                                {2, 8, 300, 2}, {5, 32, 7, 32}, {1, 4, 2, 1},
                                {19, 24, 1, 4}}; /* 2-D: tree nodes of 8 and 2 rows */
    for (int s = 1; s <= 2; s++)
        for (size_t si = 0; si < sizeof cs / sizeof *cs; si++)
            for (int v = 0; v < 6; v++) {
                const size_t n = cs[si].n, c = cs[si].c, sp = cs[si].sp, G = cs[si].groups,
                             t = n * c * sp;
                const simdnorm_layout L = v & 1 ? SIMDNORM_NHWC : SIMDNORM_NCHW;
                const int kind = v >> 1; /* 0 normal, 1 offset, 2 a NaN and an Inf */
                rng_seed(2100 + si * 31 + (size_t)v * 3 + (size_t)s);
                uint16_t *x = malloc(t * 2), *dy = malloc(t * 2), *y = malloc(t * 2),
                         *ip = malloc(t * 2);
                float *xf = malloc(t * 4), *dyf = malloc(t * 4), *yf = malloc(t * 4),
                      *g = malloc(c * 4), *b = malloc(c * 4), f16o[8][256], f32o[8][256];
                simdnorm_moments m16[64], m32[64];
                fill16(s, x, n * c, sp, sp, kind);
                fill16(s, dy, n * c, sp, sp, 0);
                widen_n(s, t, x, xf);
                widen_n(s, t, dy, dyf);
                fill_normal(g, c, 1.0, 0.2);
                fill_normal(b, c, 0.0, 1.0);
                for (int k = 0; k < 8; k++)
                    for (size_t ch = 0; ch < 256; ch++)
                        f16o[k][ch] = f32o[k][ch] = 0.5f + (float)ch;
#define OUTS_EQ() (memcmp(f16o, f32o, sizeof f16o) == 0)
                /* train, with running statistics */
                CHECK(simdnorm_batch_norm_train_f32(L, n, c, sp, xf, g, b, 1e-5f, 0.1f, f32o[0],
                                                    f32o[1], yf, f32o[2], f32o[3]) == SIMDNORM_OK &&
                          TWIN(s, simdnorm_batch_norm_train, L, n, c, sp, x, g, b, 1e-5f, 0.1f,
                               f16o[0], f16o[1], y, f16o[2], f16o[3]) == SIMDNORM_OK,
                      "train status");
                CHECK(n_differ(s, t, y, yf) == 0 && OUTS_EQ(),
                      "storage %d (%zu,%zu,%zu) v%d: batch_norm_train differs", s, n, c, sp, v);
                memcpy(ip, x, t * 2); /* in place */
                CHECK(TWIN(s, simdnorm_batch_norm_train, L, n, c, sp, ip, g, b, 1e-5f, 0.1f, NULL,
                           NULL, ip, NULL, NULL) == SIMDNORM_OK && n_differ(s, t, ip, yf) == 0,
                      "storage %d (%zu,%zu,%zu) v%d: batch_norm_train in place differs", s, n, c,
                      sp, v);
                /* _ex with an activation */
                {
                    const simdnorm_norm_options o = {NULL, 0, NULL, SIMDNORM_ACT_GELU_TANH, NULL, 0};
                    const simdnorm_norm_options_bf16 ob = {NULL, 0, NULL, SIMDNORM_ACT_GELU_TANH,
                                                           NULL, 0};
                    const simdnorm_norm_options_f16 oh = {NULL, 0, NULL, SIMDNORM_ACT_GELU_TANH,
                                                          NULL, 0};
                    CHECK(simdnorm_batch_norm_train_ex_f32(L, n, c, sp, xf, g, NULL, 1e-5f, 0.1f,
                                                           NULL, NULL, yf, f32o[4], f32o[5],
                                                           &o) == SIMDNORM_OK,
                          "ex status");
                    const simdnorm_status e =
                        s == 1 ? simdnorm_batch_norm_train_ex_bf16(L, n, c, sp, x, g, NULL, 1e-5f,
                                                                   0.1f, NULL, NULL, y, f16o[4],
                                                                   f16o[5], &ob)
                               : simdnorm_batch_norm_train_ex_f16(L, n, c, sp, x, g, NULL, 1e-5f,
                                                                  0.1f, NULL, NULL, y, f16o[4],
                                                                  f16o[5], &oh);
                    CHECK(e == SIMDNORM_OK && n_differ(s, t, y, yf) == 0 && OUTS_EQ(),
                          "storage %d (%zu,%zu,%zu) v%d: batch_norm_train_ex differs", s, n, c, sp,
                          v);
                }
                /* infer with the running statistics just updated */
                CHECK(simdnorm_batch_norm_infer_f32(L, n, c, sp, xf, g, b, f32o[0], f32o[1], 1e-5f,
                                                    yf) == SIMDNORM_OK &&
                          TWIN(s, simdnorm_batch_norm_infer, L, n, c, sp, x, g, b, f32o[0],
                               f32o[1], 1e-5f, y) == SIMDNORM_OK &&
                          n_differ(s, t, y, yf) == 0,
                      "storage %d (%zu,%zu,%zu) v%d: batch_norm_infer differs", s, n, c, sp, v);
                /* moments, then training from them */
                CHECK(simdnorm_batch_norm_moments_f32(L, n, c, sp, xf, m32) == SIMDNORM_OK &&
                          TWIN(s, simdnorm_batch_norm_moments, L, n, c, sp, x, m16) ==
                              SIMDNORM_OK &&
                          memcmp(m16, m32, c * sizeof *m16) == 0,
                      "storage %d (%zu,%zu,%zu) v%d: moments differ", s, n, c, sp, v);
                if (n * sp >= 2) {
                    CHECK(simdnorm_batch_norm_train_from_moments_f32(L, n, c, sp, xf, m32, g, b,
                                                                     1e-5f, 0.1f, f32o[6],
                                                                     f32o[7], yf, NULL, NULL) ==
                                  SIMDNORM_OK &&
                              TWIN(s, simdnorm_batch_norm_train_from_moments, L, n, c, sp, x, m16,
                                   g, b, 1e-5f, 0.1f, f16o[6], f16o[7], y, NULL, NULL) ==
                                  SIMDNORM_OK &&
                              n_differ(s, t, y, yf) == 0 && OUTS_EQ(),
                          "storage %d (%zu,%zu,%zu) v%d: train_from_moments differs", s, n, c, sp,
                          v);
                }
                /* backward, batch and fixed statistics (the saved ones) */
                for (int tr = 0; tr <= 1; tr++) {
                    CHECK(simdnorm_batch_norm_bwd_f32(L, n, c, sp, dyf, xf, g, f32o[2], f32o[3], tr,
                                                      yf, f32o[4], f32o[5]) == SIMDNORM_OK &&
                              TWIN(s, simdnorm_batch_norm_bwd, L, n, c, sp, dy, x, g, f32o[2],
                                   f32o[3], tr, y, f16o[4], f16o[5]) == SIMDNORM_OK &&
                              n_differ(s, t, y, yf) == 0 && OUTS_EQ(),
                          "storage %d (%zu,%zu,%zu) v%d training %d: batch_norm_bwd differs", s,
                          n, c, sp, v, tr);
                    memcpy(ip, dy, t * 2); /* dx == dy */
                    CHECK(TWIN(s, simdnorm_batch_norm_bwd, L, n, c, sp, ip, x, g, f32o[2], f32o[3],
                               tr, ip, NULL, NULL) == SIMDNORM_OK &&
                              n_differ(s, t, ip, yf) == 0,
                          "storage %d (%zu,%zu,%zu) v%d training %d: bwd in place differs", s, n,
                          c, sp, v, tr);
                }
                /* GroupNorm forward and backward */
                CHECK(simdnorm_group_norm_f32(L, n, c, sp, G, xf, g, b, 1e-5f, yf, f32o[0],
                                              f32o[1]) == SIMDNORM_OK &&
                          TWIN(s, simdnorm_group_norm, L, n, c, sp, G, x, g, b, 1e-5f, y, f16o[0],
                               f16o[1]) == SIMDNORM_OK &&
                          n_differ(s, t, y, yf) == 0 && OUTS_EQ(),
                      "storage %d (%zu,%zu,%zu) groups %zu v%d: group_norm differs", s, n, c, sp,
                      G, v);
                memcpy(ip, x, t * 2);
                CHECK(TWIN(s, simdnorm_group_norm, L, n, c, sp, G, ip, g, b, 1e-5f, ip, NULL,
                           NULL) == SIMDNORM_OK && n_differ(s, t, ip, yf) == 0,
                      "storage %d (%zu,%zu,%zu) v%d: group_norm in place differs", s, n, c, sp, v);
                CHECK(simdnorm_group_norm_bwd_f32(L, n, c, sp, G, dyf, xf, g, f32o[0], f32o[1], yf,
                                                  f32o[2], f32o[3]) == SIMDNORM_OK &&
                          TWIN(s, simdnorm_group_norm_bwd, L, n, c, sp, G, dy, x, g, f32o[0],
                               f32o[1], y, f16o[2], f16o[3]) == SIMDNORM_OK &&
                          n_differ(s, t, y, yf) == 0 && OUTS_EQ(),
                      "storage %d (%zu,%zu,%zu) v%d: group_norm_bwd differs", s, n, c, sp, v);
                {
                    /* gamma_0 subnormal: w_0 = rstd*gamma_0 is no normal
                     * float, so channel 0's pair takes the double path
                     * (group_norm.c gn_dx_slow) */
                    float *gs = malloc(c * 4);
                    memcpy(gs, g, c * 4);
                    gs[0] = 1e-39f;
                    CHECK(simdnorm_group_norm_bwd_f32(L, n, c, sp, G, dyf, xf, gs, f32o[0],
                                                      f32o[1], yf, f32o[2],
                                                      f32o[3]) == SIMDNORM_OK &&
                              TWIN(s, simdnorm_group_norm_bwd, L, n, c, sp, G, dy, x, gs,
                                   f32o[0], f32o[1], y, f16o[2], f16o[3]) == SIMDNORM_OK &&
                              n_differ(s, t, y, yf) == 0 && OUTS_EQ(),
                          "storage %d (%zu,%zu,%zu) v%d: group_norm_bwd, slow pair, differs", s,
                          n, c, sp, v);
                    free(gs);
                }
#undef OUTS_EQ
                free(x);
                free(dy);
                free(y);
                free(ip);
                free(xf);
                free(dyf);
                free(yf);
                free(g);
                free(b);
            }
    h_end();
}

/* The twins of GroupNorm, BatchNorm inference, moments, training and
 * train_from_moments on larger samples (160 Ki and 48 Ki elements; once
 * they ran in chunks of whole samples on a float scratch, now on the 16-bit
 * tensors): each sample its own offset, so a statistic from the wrong
 * sample shows; the saved statistics at each sample's index, the running
 * statistics updated once, a NaN and an Inf in one sample (slow channels:
 * NHWC BatchNorm's slow channels widened block by block,
 * batch_norm.c nhwc_half_slow_chunk), in place included - against the
 * float32 functions. Native runs only: large for qemu and valgrind. */
static void case_sample_chunks(simdnorm_isa isa)
{
    if (!begin_isa_case("twins_sample_chunks", isa))
        return;
    if (getenv("SIMDNORM_TEST_EMULATED")) {
        h_skip("emulated");
        return;
    }
    static const cshape cs[] = {{3, 8, 20480, 4}, {5, 4, 12288, 2}};
    for (int s = 1; s <= 2; s++)
        for (size_t si = 0; si < sizeof cs / sizeof *cs; si++)
            for (int v = 0; v < 4; v++) {
                const size_t n = cs[si].n, c = cs[si].c, sp = cs[si].sp, G = cs[si].groups,
                             t = n * c * sp;
                const simdnorm_layout L = v & 1 ? SIMDNORM_NHWC : SIMDNORM_NCHW;
                rng_seed(4100 + si * 7 + (size_t)v * 3 + (size_t)s);
                uint16_t *x = malloc(t * 2), *y = malloc(t * 2), *ip = malloc(t * 2);
                float *xf = malloc(t * 4), *yf = malloc(t * 4), g[8], b[8], rm[8], rv[8],
                      mf[32], rf[32], mh[32], rh[32];
                /* each sample its own offset and scale: a statistic from the
                 * wrong sample, or an output in the wrong chunk, shows */
                for (size_t i = 0; i < n; i++) /* v >= 2: sample 1 a NaN and an Inf */
                    fill16(s, x + i * c * sp, c, sp, sp, v >= 2 && i == 1 ? 2 : (int)(i % 2));
                widen_n(s, t, x, xf);
                fill_normal(g, c, 1.0, 0.2);
                fill_normal(b, c, 0.0, 1.0);
                fill_normal(rm, c, 0.5, 1.0);
                fill_normal(rv, c, 2.0, 0.5);
                for (size_t i = 0; i < 32; i++)
                    mf[i] = rf[i] = mh[i] = rh[i] = -1.0f - (float)i;
                CHECK(simdnorm_group_norm_f32(L, n, c, sp, G, xf, g, b, 1e-5f, yf, mf, rf) ==
                              SIMDNORM_OK &&
                          TWIN(s, simdnorm_group_norm, L, n, c, sp, G, x, g, b, 1e-5f, y, mh,
                               rh) == SIMDNORM_OK &&
                          n_differ(s, t, y, yf) == 0 && memcmp(mf, mh, sizeof mf) == 0 &&
                          memcmp(rf, rh, sizeof rf) == 0,
                      "storage %d (%zu,%zu,%zu) v%d: group_norm in chunks differs", s, n, c, sp,
                      v);
                memcpy(ip, x, t * 2);
                CHECK(TWIN(s, simdnorm_group_norm, L, n, c, sp, G, ip, g, b, 1e-5f, ip, NULL,
                           NULL) == SIMDNORM_OK && n_differ(s, t, ip, yf) == 0,
                      "storage %d (%zu,%zu,%zu) v%d: group_norm in chunks, in place, differs", s,
                      n, c, sp, v);
                {
                    /* training: saved and running statistics, then in place */
                    float rm32[8], rv32[8], rm16[8], rv16[8];
                    memcpy(rm32, rm, sizeof rm32);
                    memcpy(rv32, rv, sizeof rv32);
                    memcpy(rm16, rm, sizeof rm16);
                    memcpy(rv16, rv, sizeof rv16);
                    CHECK(simdnorm_batch_norm_train_f32(L, n, c, sp, xf, g, b, 1e-5f, 0.1f, rm32,
                                                        rv32, yf, mf, rf) == SIMDNORM_OK &&
                              TWIN(s, simdnorm_batch_norm_train, L, n, c, sp, x, g, b, 1e-5f, 0.1f,
                                   rm16, rv16, y, mh, rh) == SIMDNORM_OK &&
                              n_differ(s, t, y, yf) == 0 && memcmp(mf, mh, sizeof mf) == 0 &&
                              memcmp(rf, rh, sizeof rf) == 0 &&
                              memcmp(rm32, rm16, sizeof rm32) == 0 &&
                              memcmp(rv32, rv16, sizeof rv32) == 0,
                          "storage %d (%zu,%zu,%zu) v%d: batch_norm_train in chunks differs", s, n,
                          c, sp, v);
                    memcpy(ip, x, t * 2);
                    CHECK(TWIN(s, simdnorm_batch_norm_train, L, n, c, sp, ip, g, b, 1e-5f, 0.1f,
                               NULL, NULL, ip, NULL, NULL) == SIMDNORM_OK &&
                              n_differ(s, t, ip, yf) == 0,
                          "storage %d (%zu,%zu,%zu) v%d: batch_norm_train in chunks, in place, "
                          "differs",
                          s, n, c, sp, v);
                    /* the moments twin, then train_from_moments with them */
                    simdnorm_moments mo[8], mo16[8];
                    memcpy(rm32, rm, sizeof rm32);
                    memcpy(rv32, rv, sizeof rv32);
                    memcpy(rm16, rm, sizeof rm16);
                    memcpy(rv16, rv, sizeof rv16);
                    CHECK(simdnorm_batch_norm_moments_f32(L, n, c, sp, xf, mo) == SIMDNORM_OK &&
                              TWIN(s, simdnorm_batch_norm_moments, L, n, c, sp, x, mo16) ==
                                  SIMDNORM_OK &&
                              memcmp(mo, mo16, c * sizeof *mo) == 0,
                          "storage %d (%zu,%zu,%zu) v%d: moments in chunks differ", s, n, c, sp,
                          v);
                    CHECK(simdnorm_batch_norm_train_from_moments_f32(
                                  L, n, c, sp, xf, mo, g, b, 1e-5f, 0.1f, rm32, rv32, yf, NULL,
                                  NULL) == SIMDNORM_OK &&
                              TWIN(s, simdnorm_batch_norm_train_from_moments, L, n, c, sp, x, mo,
                                   g, b, 1e-5f, 0.1f, rm16, rv16, y, NULL, NULL) == SIMDNORM_OK &&
                              n_differ(s, t, y, yf) == 0 &&
                              memcmp(rm32, rm16, sizeof rm32) == 0 &&
                              memcmp(rv32, rv16, sizeof rv32) == 0,
                          "storage %d (%zu,%zu,%zu) v%d: train_from_moments in chunks differs", s,
                          n, c, sp, v);
                }
                CHECK(simdnorm_batch_norm_infer_f32(L, n, c, sp, xf, g, b, rm, rv, 1e-5f, yf) ==
                              SIMDNORM_OK &&
                          TWIN(s, simdnorm_batch_norm_infer, L, n, c, sp, x, g, b, rm, rv, 1e-5f,
                               y) == SIMDNORM_OK &&
                          n_differ(s, t, y, yf) == 0,
                      "storage %d (%zu,%zu,%zu) v%d: batch_norm_infer in chunks differs", s, n, c,
                      sp, v);
                memcpy(ip, x, t * 2);
                CHECK(TWIN(s, simdnorm_batch_norm_infer, L, n, c, sp, ip, g, b, rm, rv, 1e-5f,
                           ip) == SIMDNORM_OK &&
                          n_differ(s, t, ip, yf) == 0,
                      "storage %d (%zu,%zu,%zu) v%d: batch_norm_infer in chunks, in place, "
                      "differs",
                      s, n, c, sp, v);
                free(x);
                free(y);
                free(ip);
                free(xf);
                free(yf);
            }
    h_end();
}

/* LayerNorm and RMSNorm rows longer than a block from memory (x + y
 * beyond 24 MiB in 16 bits: rows.c half_long_row with the in-order sums
 * and the streaming normalize), with gamma and beta, against the float32
 * functions on the widened rows, narrowed: fill16 kind 4's rows (bf16 near
 * 1e38, zero, near 1e20: the slow plans and the exact sum of squares) and a
 * NaN, 1 and 2 threads; and LayerNorm's backward of those rows (dy = y) from
 * memory, dx streamed (bwd.c). Native runs only (large for qemu and
 * valgrind). */
static void case_rows_from_memory(simdnorm_isa isa)
{
    if (!begin_isa_case("twins_rows_from_memory", isa))
        return;
    if (getenv("SIMDNORM_TEST_EMULATED")) {
        h_skip("emulated");
        return;
    }
    if (sanitized_default_only(isa)) /* under ASan scalar's run was 11.9 s, AVX2's 2.7 */
        return;
    const size_t rows = 720, cols = 9000, t = rows * cols; /* 6.48M elements */
    uint16_t *x = malloc(t * 2), *y = malloc(t * 2), *x2 = malloc(t * 2 + 64);
    float *xf = malloc(t * 4), *yf = malloc(t * 4), *g = malloc(cols * 4), *b = malloc(cols * 4);
    float *dxf = malloc(t * 4);
    float mf[720], rf[720], mh[720], rh[720];
    const int saved = simdnorm_get_num_threads();
    for (int s = 1; s <= 2; s++) {
        rng_seed(5600 + (size_t)s);
        fill16(s, x, 6, cols, cols, 4);              /* rows 0-5: the slow plans */
        fill16(s, x + 6 * cols, rows - 6, cols, cols, 0);
        x[10 * cols + 77] = narrow1(s, NAN);
        widen_n(s, t, x, xf);
        fill_normal(g, cols, 1.0, 0.2);
        fill_normal(b, cols, 0.0, 1.0);
        for (int th = 1; th <= 2; th++) {
            simdnorm_set_num_threads(th);
            CHECK(simdnorm_layer_norm_f32(rows, cols, xf, cols, g, b, 1e-5f, yf, cols, mf, rf) ==
                      SIMDNORM_OK, "f32 failed");
            CHECK(twin_ln(s, rows, cols, x, cols, g, b, y, cols, mh, rh) == SIMDNORM_OK,
                  "twin failed");
            CHECK(rows_differ(s, rows, cols, y, cols, yf, cols) == 0 &&
                      memcmp(mh, mf, sizeof mf) == 0 && memcmp(rh, rf, sizeof rf) == 0,
                  "storage %d, %d threads: layer_norm from memory differs", s, th);
            /* its backward from memory, dy = y: dx streamed from each row's
             * first boundary on (bwd.c), at 0 and 1 element off one, with
             * and without dgamma/dbeta */
            widen_n(s, t, y, yf);
            for (size_t off = 0; off < 2; off++)
                for (int sums = 0; sums < 2; sums++) {
                    float dgf[2][9000], dgh[2][9000];
                    uint16_t *dx = x2 + off;
                    CHECK(simdnorm_layer_norm_bwd_f32(rows, cols, yf, cols, xf, cols, g, mf, rf,
                                                      dxf, cols, sums ? dgf[0] : NULL,
                                                      sums ? dgf[1] : NULL) == SIMDNORM_OK,
                          "f32 bwd failed");
                    CHECK((s == 1 ? simdnorm_layer_norm_bwd_bf16(rows, cols, y, cols, x, cols, g,
                                                                 mh, rh, dx, cols,
                                                                 sums ? dgh[0] : NULL,
                                                                 sums ? dgh[1] : NULL)
                                  : simdnorm_layer_norm_bwd_f16(rows, cols, y, cols, x, cols, g,
                                                                mh, rh, dx, cols,
                                                                sums ? dgh[0] : NULL,
                                                                sums ? dgh[1] : NULL)) ==
                              SIMDNORM_OK,
                          "twin bwd failed");
                    CHECK(rows_differ(s, rows, cols, dx, cols, dxf, cols) == 0 &&
                              (!sums || memcmp(dgf, dgh, sizeof dgf) == 0),
                          "storage %d, %d threads: layer_norm_bwd from memory, dx %zu off, "
                          "dgamma %d differs", s, th, off, sums);
                }
            CHECK(simdnorm_rms_norm_f32(rows, cols, xf, cols, g, 1e-5f, yf, cols, rf) ==
                      SIMDNORM_OK, "f32 failed");
            CHECK(twin_rms(s, rows, cols, x, cols, g, y, cols, rh) == SIMDNORM_OK, "twin failed");
            CHECK(rows_differ(s, rows, cols, y, cols, yf, cols) == 0 &&
                      memcmp(rh, rf, sizeof rf) == 0,
                  "storage %d, %d threads: rms_norm from memory differs", s, th);
        }
    }
    simdnorm_set_num_threads(saved);
    free(x), free(y), free(x2), free(xf), free(yf), free(g), free(b), free(dxf);
    h_end();
}

/* BatchNorm and GroupNorm NCHW from memory (x + y beyond 24 MiB in 16
 * bits: the statistics' in-order sums - planes longer than a block, and
 * planes of 512..4096 elements - and the normalize's streaming kernels;
 * dispatch/batch_norm.c half_planes_leaves, stats.c
 * simdnorm_apply_normalize_ch_half, group_norm.c gn_span): BatchNorm
 * training (plain and with an activation) and inference, GroupNorm with one
 * group (also on one sample: the phased path with two threads), against the
 * float32 functions on the widened tensor, a NaN making one channel slow
 * and one constant plane (its fast sums underflow: the exact sums on the
 * widened block), 1 and 2 threads. Both again in NHWC without the NaN
 * (BatchNorm: every channel fast, the 16-bit channel kernels, streaming;
 * batch_norm.c run_nhwc; GroupNorm: group_norm.c nhwc_unit and the
 * phased path). BatchNorm's backward (batch statistics, in place) in both
 * layouts. Native runs only (large for qemu and
 * valgrind). */
static void case_bn_from_memory(simdnorm_isa isa)
{
    if (!begin_isa_case("twins_bn_from_memory", isa))
        return;
    if (getenv("SIMDNORM_TEST_EMULATED")) {
        h_skip("emulated");
        return;
    }
    if (sanitized_default_only(isa))
        return;
    static const cshape cs[] = {{2, 4, (size_t)1 << 20, 1}, {2, 1024, 4096, 1}};
    const int saved = simdnorm_get_num_threads();
    for (size_t si = 0; si < sizeof cs / sizeof *cs; si++) {
        const size_t n = cs[si].n, c = cs[si].c, sp = cs[si].sp, t = n * c * sp;
        uint16_t *x = malloc(t * 2), *y = malloc(t * 2);
        float *xf = malloc(t * 4), *yf = malloc(t * 4), *g = malloc(c * 4), *b = malloc(c * 4),
              *rm = malloc(c * 4), *rv = malloc(c * 4), *st = malloc(4 * c * 4),
              *dg = malloc(4 * c * 4);
        float *mf = st, *rf = st + c, *mh = st + 2 * c, *rh = st + 3 * c;
        for (int s = 1; s <= 2; s++) {
            rng_seed(5200 + si * 7 + (size_t)s);
            fill16(s, x, n * c, sp, sp, 0);
            x[(c + 1) * sp + 12345 % sp] = narrow1(s, NAN); /* sample 1, channel 1: slow */
            for (size_t i = 0; i < sp; i++)                 /* sample 0, channel 2: constant */
                x[2 * sp + i] = narrow1(s, 3.0f);
            widen_n(s, t, x, xf);
            fill_normal(g, c, 1.0, 0.2);
            fill_normal(b, c, 0.0, 1.0);
            fill_normal(rm, c, 0.5, 1.0);
            fill_normal(rv, c, 2.0, 0.5);
            for (int lay = 0; lay < 2; lay++)
            for (int th = 1; th <= 2; th++) {
                simdnorm_set_num_threads(th);
                const simdnorm_layout L = lay ? SIMDNORM_NHWC : SIMDNORM_NCHW;
                if (lay && th == 1) { /* NHWC: no NaN (every channel fast) */
                    const size_t at = (c + 1) * sp + 12345 % sp;
                    x[at] = narrow1(s, 1.0f);
                    xf[at] = 1.0f;
                }
                CHECK(simdnorm_batch_norm_train_f32(L, n, c, sp, xf, g, b, 1e-5f,
                                                    0.1f, NULL, NULL, yf, mf, rf) ==
                              SIMDNORM_OK &&
                          TWIN(s, simdnorm_batch_norm_train, L, n, c, sp, x, g, b,
                               1e-5f, 0.1f, NULL, NULL, y, mh, rh) == SIMDNORM_OK &&
                          n_differ(s, t, y, yf) == 0 && memcmp(mf, mh, c * 4) == 0 &&
                          memcmp(rf, rh, c * 4) == 0,
                      "storage %d (%zu,%zu,%zu) %s, %d threads: batch_norm_train from memory differs",
                      s, n, c, sp, lay ? "NHWC" : "NCHW", th);
                const simdnorm_norm_options of = {NULL, 0, NULL, SIMDNORM_ACT_SILU, NULL, 0};
                const simdnorm_norm_options_bf16 ob = {NULL, 0, NULL, SIMDNORM_ACT_SILU, NULL, 0};
                const simdnorm_norm_options_f16 oh = {NULL, 0, NULL, SIMDNORM_ACT_SILU, NULL, 0};
                CHECK(simdnorm_batch_norm_train_ex_f32(L, n, c, sp, xf, g, NULL,
                                                       1e-5f, 0.1f, NULL, NULL, yf, NULL, NULL,
                                                       &of) == SIMDNORM_OK &&
                          (s == 1 ? simdnorm_batch_norm_train_ex_bf16(L, n, c, sp, x,
                                                                      g, NULL, 1e-5f, 0.1f, NULL,
                                                                      NULL, y, NULL, NULL, &ob)
                                  : simdnorm_batch_norm_train_ex_f16(L, n, c, sp, x,
                                                                     g, NULL, 1e-5f, 0.1f, NULL,
                                                                     NULL, y, NULL, NULL, &oh)) ==
                              SIMDNORM_OK &&
                          n_differ(s, t, y, yf) == 0,
                      "storage %d (%zu,%zu,%zu) %s, %d threads: batch_norm_train_ex from memory "
                      "differs",
                      s, n, c, sp, lay ? "NHWC" : "NCHW", th);
                CHECK(simdnorm_batch_norm_infer_f32(L, n, c, sp, xf, g, b, rm, rv,
                                                    1e-5f, yf) == SIMDNORM_OK &&
                          TWIN(s, simdnorm_batch_norm_infer, L, n, c, sp, x, g, b, rm,
                               rv, 1e-5f, y) == SIMDNORM_OK &&
                          n_differ(s, t, y, yf) == 0,
                      "storage %d (%zu,%zu,%zu) %s, %d threads: batch_norm_infer from memory differs",
                      s, n, c, sp, lay ? "NHWC" : "NCHW", th);
                /* the backward with the batch statistics saved above: dy
                 * the inference output (widened for float32), dx in place
                 * on dy (the 16-bit backward kernels, in-order sums) */
                widen_n(s, t, y, yf);
                CHECK(simdnorm_batch_norm_bwd_f32(L, n, c, sp, yf, xf, g, mf, rf, 1, yf, dg,
                                                  dg + c) == SIMDNORM_OK &&
                          TWIN(s, simdnorm_batch_norm_bwd, L, n, c, sp, y, x, g, mf, rf, 1, y,
                               dg + 2 * c, dg + 3 * c) == SIMDNORM_OK &&
                          n_differ(s, t, y, yf) == 0 && memcmp(dg, dg + 2 * c, 2 * c * 4) == 0,
                      "storage %d (%zu,%zu,%zu) %s, %d threads: batch_norm_bwd from memory differs",
                      s, n, c, sp, lay ? "NHWC" : "NCHW", th);
                /* GroupNorm, one group: the whole batch (pairs over the
                 * threads, from memory) and its first sample (one pair, so
                 * two threads take the phased path, in cache) */
                for (size_t q = 0; q < 2; q++) {
                    const size_t nn = q ? 1 : n, tt = nn * c * sp;
                    CHECK(simdnorm_group_norm_f32(L, nn, c, sp, 1, xf, g, b, 1e-5f, yf,
                                                  mf, rf) == SIMDNORM_OK &&
                              TWIN(s, simdnorm_group_norm, L, nn, c, sp, 1, x, g, b,
                                   1e-5f, y, mh, rh) == SIMDNORM_OK &&
                              n_differ(s, tt, y, yf) == 0 && memcmp(mf, mh, nn * 4) == 0 &&
                              memcmp(rf, rh, nn * 4) == 0,
                          "storage %d (%zu,%zu,%zu) %s, %d threads: group_norm differs", s, nn, c,
                          sp, lay ? "NHWC" : "NCHW", th);
                }
            }
        }
        free(x);
        free(y);
        free(xf);
        free(yf);
        free(g);
        free(b);
        free(rm);
        free(rv);
        free(st);
        free(dg);
    }
    simdnorm_set_num_threads(saved);
    h_end();
}

/* BatchNorm NHWC and 2-D twins with finite slow channels (the float32
 * path computes them after its kernel and activates float y in a pass of
 * its own; the twins widen them block by block on the stack:
 * batch_norm.c nhwc_half_slow_chunk): training with a channel near 1e38
 * (its moments fail the magnitude test), inference with a given mean of
 * 2e31 (past 2^103) and a subnormal gamma (scale not a normal float); no
 * activation, ReLU and SiLU; in place - against the float32 functions on
 * the widened tensor. */
static void case_bn_slow_channels(simdnorm_isa isa)
{
    if (!begin_isa_case("twins_bn_slow_channels", isa))
        return;
    static const cshape cs[] = {{3, 20, 37, 1}, {50, 20, 1, 1}, {2, 300, 9, 1}};
    static const int acts[] = {SIMDNORM_ACT_NONE, SIMDNORM_ACT_RELU, SIMDNORM_ACT_SILU};
    for (int s = 1; s <= 2; s++)
        for (size_t si = 0; si < sizeof cs / sizeof *cs; si++)
            for (int train = 0; train < 2; train++) {
                const size_t n = cs[si].n, c = cs[si].c, sp = cs[si].sp, t = n * c * sp;
                rng_seed(7100 + si * 7 + (size_t)train * 3 + (size_t)s);
                uint16_t *x = malloc(t * 2), *y = malloc(t * 2);
                float *xf = malloc(t * 4), *yf = malloc(t * 4), *g = malloc(c * 4),
                      *b = malloc(c * 4), *rm = malloc(c * 4), *rv = malloc(c * 4);
                fill_normal(g, c, 1.0, 0.2);
                fill_normal(b, c, 0.0, 1.0);
                fill_normal(rm, c, 0.5, 0.2);
                fill_normal(rv, c, 2.0, 0.2);
                /* f16 tops out at 65504: its slow training channel is one
                 * whose gamma is subnormal instead */
                const double big = train ? (s == 1 ? 1e38 : 0.0) : 2e31;
                for (size_t r = 0; r < n * sp; r++)
                    for (size_t ch = 0; ch < c; ch++) {
                        double v = 0.5 + rng_normal();
                        if (ch == 3 && big > 0.0)
                            v = big * (1.0 + 0.1 * rng_normal());
                        x[r * c + ch] = narrow1(s, (float)v);
                    }
                widen_n(s, t, x, xf);
                if (!train) {
                    rm[3] = (float)big;
                    rv[3] = 3e38f; /* y near 1e11 (f16: Inf) */
                }
                g[11] = 1e-39f;
                if (s == 2 && train)
                    g[3] = 1e-39f;
                if (c > 200)
                    g[200] = -1e-39f;
                for (size_t ai = 0; ai < sizeof acts / sizeof *acts; ai++) {
                    const simdnorm_norm_options of = {NULL, 0, NULL, acts[ai], NULL, 0};
                    const simdnorm_norm_options_bf16 ob = {NULL, 0, NULL, acts[ai], NULL, 0};
                    const simdnorm_norm_options_f16 oh = {NULL, 0, NULL, acts[ai], NULL, 0};
                    simdnorm_status r32, r16;
                    for (int inplace = 0; inplace < 2; inplace++) {
                        uint16_t *out = y;
                        if (inplace)
                            memcpy(y, x, t * 2);
                        const uint16_t *in = inplace ? y : x;
                        if (train) {
                            r32 = simdnorm_batch_norm_train_ex_f32(SIMDNORM_NHWC, n, c, sp, xf, g,
                                                                   b, 1e-5f, 0.1f, NULL, NULL, yf,
                                                                   NULL, NULL, &of);
                            r16 = s == 1 ? simdnorm_batch_norm_train_ex_bf16(
                                               SIMDNORM_NHWC, n, c, sp, in, g, b, 1e-5f, 0.1f,
                                               NULL, NULL, out, NULL, NULL, &ob)
                                         : simdnorm_batch_norm_train_ex_f16(
                                               SIMDNORM_NHWC, n, c, sp, in, g, b, 1e-5f, 0.1f,
                                               NULL, NULL, out, NULL, NULL, &oh);
                        } else {
                            r32 = simdnorm_batch_norm_infer_ex_f32(SIMDNORM_NHWC, n, c, sp, xf, g,
                                                                   b, rm, rv, 1e-5f, yf, &of);
                            r16 = s == 1 ? simdnorm_batch_norm_infer_ex_bf16(
                                               SIMDNORM_NHWC, n, c, sp, in, g, b, rm, rv, 1e-5f,
                                               out, &ob)
                                         : simdnorm_batch_norm_infer_ex_f16(
                                               SIMDNORM_NHWC, n, c, sp, in, g, b, rm, rv, 1e-5f,
                                               out, &oh);
                        }
                        CHECK(r32 == SIMDNORM_OK && r16 == SIMDNORM_OK && n_differ(s, t, out, yf) == 0,
                              "storage %d (%zu,%zu,%zu) %s act %d%s: slow channels differ", s, n,
                              c, sp, train ? "train" : "infer", acts[ai],
                              inplace ? " in place" : "");
                    }
                }
                free(x);
                free(y);
                free(xf);
                free(yf);
                free(g);
                free(b);
                free(rm);
                free(rv);
            }
    h_end();
}

/* One thread and two: the same bits (calls large enough to split). */
static void case_threads(void)
{
    h_begin("twins_thread_count");
    if (getenv("SIMDNORM_TEST_EMULATED")) {
        /* qemu-aarch64 user mode here: a second OpenMP worker never
         * finishes (simdnorm_layer_norm_f32 too); the native runs test it */
        h_skip("emulated");
        return;
    }
    const size_t rows = 512, cols = 1024, n = rows * cols;
    uint16_t *x = malloc(n * 2), *y1 = malloc(n * 2), *y2 = malloc(n * 2), *r = malloc(n * 2);
    float *g = malloc(cols * 4), m1[512], m2[512], s1[512], s2[512], dg1[1024], dg2[1024],
          db1[1024], db2[1024];
    rng_seed(77);
    fill16(1, x, rows, cols, cols, 0);
    fill16(1, r, rows, cols, cols, 1);
    fill_normal(g, cols, 1.0, 0.2);
    const simdnorm_norm_options_bf16 o = {r, cols, NULL, SIMDNORM_ACT_GELU_TANH, NULL, 0};
    const int saved = simdnorm_get_num_threads();
    for (int t = 1; t <= 2; t++) {
        simdnorm_set_num_threads(t);
        uint16_t *y = t == 1 ? y1 : y2;
        float *m = t == 1 ? m1 : m2, *s = t == 1 ? s1 : s2;
        simdnorm_layer_norm_bf16(rows, cols, x, cols, g, NULL, 1e-5f, y, cols, m, s);
        simdnorm_layer_norm_ex_bf16(rows, cols, x, cols, g, NULL, 1e-5f, y, cols, m, s, &o);
        simdnorm_layer_norm_bwd_bf16(rows, cols, r, cols, x, cols, g, m, s, y, cols,
                                     t == 1 ? dg1 : dg2, t == 1 ? db1 : db2);
    }
    simdnorm_set_num_threads(saved);
    CHECK(memcmp(y1, y2, n * 2) == 0 && memcmp(m1, m2, sizeof m1) == 0 &&
              memcmp(s1, s2, sizeof s1) == 0 && memcmp(dg1, dg2, sizeof dg1) == 0 &&
              memcmp(db1, db2, sizeof db1) == 0,
          "1 and 2 threads differ");
    /* the channel twins: BatchNorm (16, 64, 16x16) train + bwd, GroupNorm
     * g=8 + bwd, NHWC, x and r reused as (n, c, spatial) tensors */
    for (int t = 1; t <= 2; t++) {
        simdnorm_set_num_threads(t);
        uint16_t *y = t == 1 ? y1 : y2;
        float *m = t == 1 ? m1 : m2, *sd = t == 1 ? s1 : s2, *dg = t == 1 ? dg1 : dg2,
              *db = t == 1 ? db1 : db2;
        simdnorm_batch_norm_train_bf16(SIMDNORM_NHWC, 16, 64, 256, x, g, NULL, 1e-5f, 0.1f, NULL,
                                       NULL, y, m, sd);
        simdnorm_batch_norm_bwd_bf16(SIMDNORM_NHWC, 16, 64, 256, r, x, g, m, sd, 1,
                                     y + 16 * 64 * 256, dg, db);
        simdnorm_group_norm_bf16(SIMDNORM_NHWC, 16, 64, 256, 8, x, g, NULL, 1e-5f, y, m + 64,
                                 sd + 64);
        simdnorm_group_norm_bwd_bf16(SIMDNORM_NHWC, 16, 64, 256, 8, r, x, g, m + 64, sd + 64,
                                     y + 16 * 64 * 256, dg + 64, db + 64);
    }
    simdnorm_set_num_threads(saved);
    CHECK(memcmp(y1, y2, n * 2) == 0 && memcmp(m1, m2, sizeof m1) == 0 &&
              memcmp(s1, s2, sizeof s1) == 0 && memcmp(dg1, dg2, sizeof dg1) == 0 &&
              memcmp(db1, db2, sizeof db1) == 0,
          "the channel twins: 1 and 2 threads differ");
    free(x);
    free(y1);
    free(y2);
    free(r);
    free(g);
    h_end();
}

/* ---- errors: every status, overlaps in bytes, nothing written ----------- */

enum { ROWS = 4, COLS = 8, ARENA = 2048 };
static unsigned char arena[ARENA], before[ARENA];
#define A16(off) ((uint16_t *)(void *)(arena + (off)))
#define AF(off) ((float *)(void *)(arena + (off)))

static void reset_arena(void)
{
    for (size_t i = 0; i < ARENA; i++)
        arena[i] = (unsigned char)(i * 7 + 3);
    /* x, residual as sane bf16 values */
    for (size_t i = 0; i < 64; i++)
        A16(0)[i] = A16(512)[i] = simdnorm_bf16_narrow1((float)i * 0.25f);
    memcpy(before, arena, sizeof arena);
}

static void expect(const char *name, simdnorm_status want, simdnorm_status got)
{
    h_begin("errors_%s", name);
    CHECK(got == want, "status %d (%s), want %d (%s)", got, simdnorm_status_str(got), want,
          simdnorm_status_str(want));
    if (want != SIMDNORM_OK)
        CHECK(memcmp(arena, before, sizeof arena) == 0, "a byte was written");
    h_end();
}

#define X16 A16(0)       /* ROWS*COLS bf16: bytes [0, 64) */
#define Y16 A16(256)     /* bytes [256, 320) */
#define R16 A16(512)
#define H16 A16(768)
#define GAM AF(1024)
#define BET AF(1088)
#define MEAN AF(1152)
#define RSTD AF(1184)
#define DG AF(1280)
#define DB AF(1344)

static void case_errors(void)
{
#define E(name, want, call)                                                                      \
    do {                                                                                         \
        reset_arena();                                                                           \
        expect(name, want, call);                                                                \
    } while (0)
    /* the baseline is OK (and writes) */
    E("baseline_ok", SIMDNORM_OK,
      simdnorm_layer_norm_bf16(ROWS, COLS, X16, COLS, GAM, BET, 1e-5f, Y16, COLS, MEAN, RSTD));
    E("null_x", SIMDNORM_ERR_NULL,
      simdnorm_layer_norm_bf16(ROWS, COLS, NULL, COLS, GAM, BET, 1e-5f, Y16, COLS, MEAN, RSTD));
    E("null_y", SIMDNORM_ERR_NULL,
      simdnorm_rms_norm_f16(ROWS, COLS, X16, COLS, GAM, 1e-5f, NULL, COLS, RSTD));
    E("stride_lt_cols", SIMDNORM_ERR_SHAPE,
      simdnorm_layer_norm_f16(ROWS, COLS, X16, COLS - 1, GAM, BET, 1e-5f, Y16, COLS, MEAN, RSTD));
    E("cols_0", SIMDNORM_ERR_SHAPE,
      simdnorm_rms_norm_bf16(ROWS, 0, X16, COLS, GAM, 1e-5f, Y16, COLS, RSTD));
    E("eps_negative", SIMDNORM_ERR_PARAM,
      simdnorm_layer_norm_bf16(ROWS, COLS, X16, COLS, GAM, BET, -1.0f, Y16, COLS, MEAN, RSTD));
    E("size_overflow", SIMDNORM_ERR_SHAPE,
      simdnorm_layer_norm_bf16((size_t)1 << 62, COLS, X16, COLS, GAM, BET, 1e-5f, Y16, COLS, MEAN,
                               RSTD));
    E("rows_0_noop", SIMDNORM_OK,
      simdnorm_layer_norm_bf16(0, COLS, NULL, COLS, NULL, NULL, 1e-5f, NULL, COLS, NULL, NULL));
    /* overlaps, in bytes: y one 16-bit element into x overlaps */
    E("overlap_y_x_2_bytes", SIMDNORM_ERR_OVERLAP,
      simdnorm_layer_norm_bf16(ROWS, COLS, X16, COLS, GAM, BET, 1e-5f, X16 + 1, COLS, MEAN, RSTD));
    /* ... y just after x's 64 bytes does not (as floats, it would) */
    E("adjacent_y_ok", SIMDNORM_OK,
      simdnorm_layer_norm_bf16(ROWS, COLS, X16, COLS, GAM, BET, 1e-5f, X16 + ROWS * COLS, COLS,
                               MEAN, RSTD));
    E("in_place_ok", SIMDNORM_OK,
      simdnorm_rms_norm_f16(ROWS, COLS, X16, COLS, GAM, 1e-5f, X16, COLS, RSTD));
    E("in_place_other_stride", SIMDNORM_ERR_OVERLAP,
      simdnorm_rms_norm_f16(2, COLS, X16, COLS, GAM, 1e-5f, X16, COLS + 1, RSTD));
    E("overlap_mean_y", SIMDNORM_ERR_OVERLAP,
      simdnorm_layer_norm_bf16(ROWS, COLS, X16, COLS, GAM, BET, 1e-5f, Y16, COLS,
                               (float *)(void *)(Y16 + 2), RSTD));
    {
        const simdnorm_norm_options_bf16 o = {R16, COLS, NULL, SIMDNORM_ACT_NONE, Y16 + 3, COLS};
        E("ex_overlap_h_y", SIMDNORM_ERR_OVERLAP,
          simdnorm_layer_norm_ex_bf16(ROWS, COLS, X16, COLS, GAM, BET, 1e-5f, Y16, COLS, MEAN,
                                      RSTD, &o));
        const simdnorm_norm_options_bf16 o2 = {R16, COLS - 1, NULL, SIMDNORM_ACT_NONE, H16, COLS};
        E("ex_residual_stride", SIMDNORM_ERR_SHAPE,
          simdnorm_layer_norm_ex_bf16(ROWS, COLS, X16, COLS, GAM, BET, 1e-5f, Y16, COLS, MEAN,
                                      RSTD, &o2));
        const simdnorm_norm_options_bf16 o3 = {R16, COLS, NULL, (simdnorm_activation)99, H16, COLS};
        E("ex_bad_activation", SIMDNORM_ERR_PARAM,
          simdnorm_layer_norm_ex_bf16(ROWS, COLS, X16, COLS, GAM, BET, 1e-5f, Y16, COLS, MEAN,
                                      RSTD, &o3));
        const simdnorm_norm_options_f16 o4 = {R16, COLS, NULL, SIMDNORM_ACT_RELU, R16, COLS};
        E("ex_h_is_residual_ok", SIMDNORM_OK,
          simdnorm_rms_norm_ex_f16(ROWS, COLS, X16, COLS, GAM, 1e-5f, Y16, COLS, RSTD, &o4));
        const simdnorm_norm_options_f16 o5 = {R16 + 1, COLS, NULL, SIMDNORM_ACT_NONE, H16, COLS};
        E("ex_overlap_y_residual", SIMDNORM_ERR_OVERLAP,
          simdnorm_rms_norm_ex_f16(ROWS, COLS, X16, COLS, GAM, 1e-5f, R16, COLS, RSTD, &o5));
    }
    /* conversions and activation */
    E("convert_null", SIMDNORM_ERR_NULL, simdnorm_convert_f32_to_bf16(4, NULL, Y16));
    E("convert_overlap", SIMDNORM_ERR_OVERLAP,
      simdnorm_convert_bf16_to_f32(8, X16, (float *)(void *)(X16 + 4)));
    E("convert_overlap_narrow", SIMDNORM_ERR_OVERLAP,
      simdnorm_convert_f32_to_f16(8, AF(1024), A16(1024 + 16)));
    E("activate_param", SIMDNORM_ERR_PARAM,
      simdnorm_activate_bf16(8, X16, (simdnorm_activation)-1, Y16));
    E("activate_overlap", SIMDNORM_ERR_OVERLAP,
      simdnorm_activate_f16(8, X16, SIMDNORM_ACT_RELU, X16 + 1));
    E("activate_in_place_ok", SIMDNORM_OK, simdnorm_activate_f16(8, X16, SIMDNORM_ACT_RELU, X16));
    /* backward */
    E("bwd_null_rstd", SIMDNORM_ERR_NULL,
      simdnorm_layer_norm_bwd_bf16(ROWS, COLS, R16, COLS, X16, COLS, GAM, MEAN, NULL, Y16, COLS,
                                   DG, DB));
    E("bwd_overlap_dx_x", SIMDNORM_ERR_OVERLAP,
      simdnorm_layer_norm_bwd_bf16(ROWS, COLS, R16, COLS, X16, COLS, GAM, MEAN, RSTD, X16 + 5,
                                   COLS, DG, DB));
    E("bwd_dx_stride", SIMDNORM_ERR_SHAPE,
      simdnorm_rms_norm_bwd_f16(ROWS, COLS, R16, COLS, X16, COLS, GAM, RSTD, Y16, COLS - 1, DG));
    E("bwd_in_place_ok", SIMDNORM_OK,
      simdnorm_rms_norm_bwd_f16(ROWS, COLS, R16, COLS, X16, COLS, GAM, RSTD, R16, COLS, DG));
    /* the channel norms' twins: x as (n, c, spatial) = (2, 4, 4), 64 bytes */
    E("bn_baseline_ok", SIMDNORM_OK,
      simdnorm_batch_norm_train_bf16(SIMDNORM_NCHW, 2, 4, 4, X16, GAM, BET, 1e-5f, 0.1f, NULL,
                                     NULL, Y16, MEAN, RSTD));
    E("bn_null_x", SIMDNORM_ERR_NULL,
      simdnorm_batch_norm_train_f16(SIMDNORM_NCHW, 2, 4, 4, NULL, GAM, BET, 1e-5f, 0.1f, NULL,
                                    NULL, Y16, MEAN, RSTD));
    E("bn_overlap_y_x_2_bytes", SIMDNORM_ERR_OVERLAP,
      simdnorm_batch_norm_train_bf16(SIMDNORM_NHWC, 2, 4, 4, X16, GAM, BET, 1e-5f, 0.1f, NULL,
                                     NULL, X16 + 1, MEAN, RSTD));
    E("bn_adjacent_y_ok", SIMDNORM_OK,
      simdnorm_batch_norm_infer_f16(SIMDNORM_NCHW, 2, 4, 4, X16, GAM, BET, MEAN, RSTD, 1e-5f,
                                    X16 + 32));
    E("bn_in_place_ok", SIMDNORM_OK,
      simdnorm_batch_norm_infer_bf16(SIMDNORM_NHWC, 2, 4, 4, X16, GAM, BET, MEAN, RSTD, 1e-5f,
                                     X16));
    E("bn_overlap_save_y", SIMDNORM_ERR_OVERLAP,
      simdnorm_batch_norm_train_bf16(SIMDNORM_NCHW, 2, 4, 4, X16, GAM, BET, 1e-5f, 0.1f, NULL,
                                     NULL, Y16, (float *)(void *)(Y16 + 30), RSTD));
    {
        const simdnorm_norm_options_bf16 o = {R16, COLS, NULL, SIMDNORM_ACT_NONE, NULL, 0};
        E("bn_ex_residual_param", SIMDNORM_ERR_PARAM,
          simdnorm_batch_norm_train_ex_bf16(SIMDNORM_NCHW, 2, 4, 4, X16, GAM, BET, 1e-5f, 0.1f,
                                            NULL, NULL, Y16, MEAN, RSTD, &o));
    }
    E("bn_moments_overlap_m_x", SIMDNORM_ERR_OVERLAP,
      simdnorm_batch_norm_moments_f16(SIMDNORM_NCHW, 2, 4, 4, X16,
                                      (simdnorm_moments *)(void *)(arena + 48)));
    E("bn_bwd_overlap_dx_x", SIMDNORM_ERR_OVERLAP,
      simdnorm_batch_norm_bwd_bf16(SIMDNORM_NCHW, 2, 4, 4, R16, X16, GAM, MEAN, RSTD, 1,
                                   X16 + 31, DG, DB));
    E("bn_bwd_in_place_ok", SIMDNORM_OK,
      simdnorm_batch_norm_bwd_f16(SIMDNORM_NHWC, 2, 4, 4, R16, X16, GAM, MEAN, RSTD, 0, R16, DG,
                                  DB));
    E("gn_groups_shape", SIMDNORM_ERR_SHAPE,
      simdnorm_group_norm_bf16(SIMDNORM_NCHW, 2, 4, 4, 3, X16, GAM, BET, 1e-5f, Y16, MEAN, RSTD));
    E("gn_overlap_y_x", SIMDNORM_ERR_OVERLAP,
      simdnorm_group_norm_f16(SIMDNORM_NHWC, 2, 4, 4, 2, X16, GAM, BET, 1e-5f, X16 + 31, MEAN,
                              RSTD));
    E("gn_adjacent_y_ok", SIMDNORM_OK,
      simdnorm_group_norm_f16(SIMDNORM_NHWC, 2, 4, 4, 2, X16, GAM, BET, 1e-5f, X16 + 32, MEAN,
                              RSTD));
    E("gn_bwd_null_mean", SIMDNORM_ERR_NULL,
      simdnorm_group_norm_bwd_bf16(SIMDNORM_NCHW, 2, 4, 4, 2, R16, X16, GAM, NULL, RSTD, Y16, DG,
                                   DB));
    E("gn_bwd_in_place_ok", SIMDNORM_OK,
      simdnorm_group_norm_bwd_bf16(SIMDNORM_NCHW, 2, 4, 4, 2, R16, X16, GAM, MEAN, RSTD, R16, DG,
                                   DB));
#undef E
}

int main(void)
{
    for (size_t i = 0; i < N_ARCH_ISAS; i++) {
        case_conversions(arch_isas[i]);
        case_forward(arch_isas[i]);
        case_ex(arch_isas[i]);
        case_activate(arch_isas[i]);
        case_backward(arch_isas[i]);
        case_channels(arch_isas[i]);
        case_sample_chunks(arch_isas[i]);
        case_bn_from_memory(arch_isas[i]);
        case_rows_from_memory(arch_isas[i]);
        case_bn_slow_channels(arch_isas[i]);
    }
    case_threads();
    case_errors();
    return h_summary();
}
