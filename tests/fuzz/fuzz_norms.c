/* fuzz_norms.c - fuzz target for every public function (libFuzzer's
 * LLVMFuzzerTestOneInput; replay.c runs it without libFuzzer). The input
 * bytes choose the function, the shape, the strides, which optional buffers
 * are passed, where the buffers lie (each its own exact-size allocation, or
 * one shared arena where they may overlap), eps, and the data. The call runs
 * on every available ISA from the same starting memory, and
 *  - the status is one that an independent model of DESIGN §5 allows,
 *  - on an error no byte of any buffer changed, on success nothing outside
 *    the outputs did,
 *  - the status and every byte of memory are equal on every ISA,
 *  - the outputs meet the float64 reference where DESIGN §4 promises it,
 *    NaNs are canonical, and in place / another alignment give the same bits.
 * A failed check prints what it saw and aborts: libFuzzer reports a crash
 * and keeps the input. Under ASan each separate buffer is exactly its size,
 * so a read or write past any end is caught too.
 *
 * Input layout (bytes past the end read as 0, so any input is valid):
 *   u8 op                     index into ops[] (modulo)
 * then per op; for the row norms (decode_rows):
 *   u8 rows % 9, u16 cols (bit 15 set: cols = bits 0..12, else cols % 130),
 *   u8 x stride mode, u8 y stride mode (stride_for), u8 flags (ROW_*),
 *   u8 fault (fault % 16: 0 x = NULL, 1 y = NULL, else none), u8 eps (eps_for:
 *   >= 240 reads a u32 of float bits next),
 *   6 x u16 arena offsets when ROW_ARENA (x, y, gamma, beta, mean, rstd),
 *   then the data (fill_data): u8 mode, u8 scale exponent, u8 offset choice,
 *   u32 seed, and (u16 index, u32 float bits) patches to the end.
 *
 * for BatchNorm (decode_bn; its comment has the details): u8 layout, u8 n,
 *   u8 c, u16 spatial, u8 flags (BN_*), u8 fault, u8 eps, training: u8
 *   momentum, 8 x u16 arena offsets when BN_ARENA, then the data as above.
 *
 * An op is a decode_* that reads its shape and flags, adds its buffers
 * (add_buf, inputs then outputs) and sets the call's model (allowed
 * statuses), invoke (the call), mark_outputs (what an OK call may write), and
 * optionally prepare (adjusts the data), check_ok / check_variants. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simdnorm.h"

/* How many ISAs the list has (simdnorm_isa_name is "unknown" past it). */
static int isa_count(void)
{
    int n = 0;
    while (strcmp(simdnorm_isa_name((simdnorm_isa)n), "unknown") != 0)
        n++;
    return n;
}

/* ---- reading the input ---------------------------------------------------- */
typedef struct reader {
    const uint8_t *p;
    size_t n;
} reader;

static unsigned take_u8(reader *r)
{
    if (r->n == 0)
        return 0;
    r->n--;
    return *r->p++;
}
static unsigned take_u16(reader *r) { return take_u8(r) | take_u8(r) << 8; }
static uint32_t take_u32(reader *r) { return take_u16(r) | (uint32_t)take_u16(r) << 16; }

static float from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}
static uint32_t bits_of(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* splitmix64: data from a seed, so a short input still fills long rows */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static double rng_normal(uint64_t *s)
{
    double u = 0;
    for (int i = 0; i < 4; i++)
        u += (double)(rng_next(s) >> 11) * 0x1p-53;
    return (u - 2.0) * 1.7320508075688772;
}

#define FAIL(...)                                                                  \
    do {                                                                           \
        fprintf(stderr, "fuzz_norms: " __VA_ARGS__);                               \
        fprintf(stderr, "\n");                                                     \
        abort();                                                                   \
    } while (0)

/* ---- buffers and the memory they live in --------------------------------- */
enum { MAX_BUFS = 8, SENTINEL = 0x7fa5a5a5u };

typedef struct buf {
    size_t len;    /* floats the call may touch (a model of the extent) */
    size_t offset; /* in the arena, when the call uses one */
    int output;    /* filled with sentinels rather than data */
    float *p;      /* where it lies for this run; NULL when not passed */
} buf;

/* One fuzzed call: its buffers, the statuses the model allows, and what the
 * op does with them. */
typedef struct call call;
struct call {
    const char *name;
    buf b[MAX_BUFS];
    int nb;
    int arena;        /* all buffers in one arena at fuzzed offsets */
    unsigned allowed; /* bit s set: status s is allowed */
    unsigned (*model)(const call *c);               /* the allowed statuses */
    simdnorm_status (*invoke)(const call *c);
    void (*mark_outputs)(const call *c);            /* what an OK call may write */
    void (*check_ok)(const call *c, const float *const *before); /* oracle */
    void (*check_variants)(const call *c);          /* in place / alignment */
    void (*prepare)(call *c);                       /* optional: adjust the data */
    union {
        struct {
            int rms;
            size_t rows, cols, xs, ys;
            float eps;
            int in_place, fault;
            int x, y, g, b, mean, rstd; /* buffer indices, -1 when absent */
        } rows;
        struct {
            int train;
            simdnorm_layout layout;
            size_t n, c, spatial, total; /* total: floats of x and y (0 when huge) */
            float eps, momentum;
            int in_place, fault, raw_var;
            /* buffer indices, -1 when absent; s0/s1 are running_mean/var
             * (training) or mean/var (inference) */
            int x, y, g, b, s0, s1, smean, srstd;
        } bn;
    } u;
};

#define ALLOW(s) (1u << (s))

/* Memory regions: one per buffer, or one arena for all. */
typedef struct region {
    float *base;
    size_t len;
    float *init;           /* contents before the call */
    unsigned char *may;    /* per float: an OK call may change it */
} region;
static region regions[MAX_BUFS];
static int n_regions;

static int add_buf(call *c, size_t len, int output)
{
    buf *b = &c->b[c->nb];
    memset(b, 0, sizeof *b);
    b->len = len;
    b->output = output;
    return c->nb++;
}

static float *xmalloc_floats(size_t n)
{
    float *p = malloc(n ? n * sizeof(float) : 1);
    if (!p)
        FAIL("out of memory");
    return p;
}

/* Place the buffers: separately, or in one arena at their offsets. */
static void place(call *c)
{
    n_regions = 0;
    if (c->arena) {
        size_t len = 0;
        for (int i = 0; i < c->nb; i++)
            if (c->b[i].offset + c->b[i].len > len)
                len = c->b[i].offset + c->b[i].len;
        regions[0].base = xmalloc_floats(len);
        regions[0].len = len;
        n_regions = 1;
        for (int i = 0; i < c->nb; i++)
            c->b[i].p = regions[0].base + c->b[i].offset;
    } else {
        for (int i = 0; i < c->nb; i++) {
            regions[i].base = xmalloc_floats(c->b[i].len);
            regions[i].len = c->b[i].len;
            c->b[i].p = regions[i].base;
        }
        n_regions = c->nb;
    }
    for (int i = 0; i < n_regions; i++) {
        regions[i].init = xmalloc_floats(regions[i].len);
        regions[i].may = calloc(regions[i].len ? regions[i].len : 1, 1);
        for (size_t j = 0; j < regions[i].len; j++)
            regions[i].base[j] = from_bits(SENTINEL);
    }
}

static void unplace(void)
{
    for (int i = 0; i < n_regions; i++) {
        free(regions[i].base);
        free(regions[i].init);
        free(regions[i].may);
    }
    n_regions = 0;
}

/* An OK call may change floats [p, p+n). */
static void mark(const float *p, size_t n)
{
    for (int i = 0; i < n_regions; i++) {
        const region *r = &regions[i];
        if (p >= r->base && p < r->base + r->len) {
            const size_t at = (size_t)(p - r->base);
            memset(r->may + at, 1, n);
            return;
        }
    }
}

/* ---- the data --------------------------------------------------------------- */

/* Input buffers get data: mode 0 normal around an offset (|offset|/scale up
 * to 1e7: beyond the contract's 1e6 too), 1 wide exponent range, 2 near
 * FLT_MAX, 3 a few distinct values (constant rows, ties), then patches of raw
 * bits from the rest of the input (NaN, Inf, subnormals, anything). */
static void fill_data(call *c, reader *r)
{
    const unsigned mode = take_u8(r) % 4;
    const int scale_exp = (int)(take_u8(r) % 96) - 48;
    const unsigned off_sel = take_u8(r);
    uint64_t seed = take_u32(r);
    static const double offsets[] = {0, 1, -3, 1e3, 1e6, -1e7};
    const double scale = ldexp(1.0, scale_exp);
    const double offset = offsets[off_sel % 6] * scale;
    size_t total = 0;
    for (int i = 0; i < c->nb; i++)
        if (!c->b[i].output && c->b[i].p)
            for (size_t j = 0; j < c->b[i].len; j++) {
                double v;
                switch (mode) {
                case 0: v = offset + scale * rng_normal(&seed); break;
                case 1: v = rng_normal(&seed) * ldexp(1.0, (int)(rng_next(&seed) % 200) - 100); break;
                case 2: v = ((double)(rng_next(&seed) >> 11) * 0x1p-52 - 1.0) * FLT_MAX; break;
                default: v = (double)(rng_next(&seed) % 3) * scale + offset; break;
                }
                c->b[i].p[j] = (float)v;
                total++;
            }
    while (total && r->n >= 6) {
        size_t at = take_u16(r) % total;
        const float v = from_bits(take_u32(r));
        for (int i = 0; i < c->nb; i++) {
            if (c->b[i].output || !c->b[i].p)
                continue;
            if (at < c->b[i].len) {
                c->b[i].p[at] = v;
                break;
            }
            at -= c->b[i].len;
        }
    }
}

/* ---- running a call on every ISA ------------------------------------------- */

static simdnorm_isa isas[32];
static int n_isas;

static void find_isas(void)
{
    if (n_isas)
        return;
    for (int i = SIMDNORM_ISA_SCALAR; i < isa_count(); i++)
        if (simdnorm_isa_available((simdnorm_isa)i))
            isas[n_isas++] = (simdnorm_isa)i;
}

static void restore(void)
{
    for (int i = 0; i < n_regions; i++)
        memcpy(regions[i].base, regions[i].init, regions[i].len * sizeof(float));
}

/* FUZZ_NORMS_VERBOSE=1 in the environment: one line per call. */
static int verbose = -1;

static void run_on_every_isa(call *c)
{
    if (verbose < 0)
        verbose = getenv("FUZZ_NORMS_VERBOSE") != NULL;
    for (int i = 0; i < n_regions; i++)
        memcpy(regions[i].init, regions[i].base, regions[i].len * sizeof(float));
    float *first[MAX_BUFS] = {0};
    simdnorm_status first_status = SIMDNORM_OK;
    for (int k = 0; k < n_isas; k++) {
        restore();
        if (simdnorm_set_isa(isas[k]) != SIMDNORM_OK)
            FAIL("cannot select available ISA %s", simdnorm_isa_name(isas[k]));
        const simdnorm_status st = c->invoke(c);
        const char *isa = simdnorm_isa_name(isas[k]);
        if ((unsigned)st > 31 || !(c->allowed & ALLOW(st)))
            FAIL("%s on %s: status %d (%s), the model allows mask 0x%x", c->name, isa, st,
                 simdnorm_status_str(st), c->allowed);
        if (k == 0) {
            first_status = st;
            if (st == SIMDNORM_OK)
                c->mark_outputs(c);
            for (int i = 0; i < n_regions; i++) {
                const region *r = &regions[i];
                for (size_t j = 0; j < r->len; j++)
                    if (!r->may[j] && bits_of(r->base[j]) != bits_of(r->init[j]))
                        FAIL("%s on %s returned %s but changed float %zu of region %d "
                             "(%08x -> %08x)", c->name, isa, simdnorm_status_str(st), j, i,
                             bits_of(r->init[j]), bits_of(r->base[j]));
                first[i] = xmalloc_floats(r->len);
                memcpy(first[i], r->base, r->len * sizeof(float));
            }
        } else {
            if (st != first_status)
                FAIL("%s: status %d on %s, %d on %s", c->name, st, isa, first_status,
                     simdnorm_isa_name(isas[0]));
            for (int i = 0; i < n_regions; i++)
                for (size_t j = 0; j < regions[i].len; j++)
                    if (bits_of(regions[i].base[j]) != bits_of(first[i][j]))
                        FAIL("%s: float %zu of region %d is %08x on %s, %08x on %s", c->name,
                             j, i, bits_of(regions[i].base[j]), isa, bits_of(first[i][j]),
                             simdnorm_isa_name(isas[0]));
        }
    }
    if (verbose)
        printf("  %s: %s (allowed 0x%x)\n", c->name, simdnorm_status_str(first_status),
               c->allowed);
    if (first_status == SIMDNORM_OK) {
        const float *before[MAX_BUFS] = {0};
        for (int i = 0; i < n_regions; i++)
            before[i] = regions[i].init;
        if (c->check_ok)
            c->check_ok(c, before);
        if (c->check_variants)
            c->check_variants(c);
    }
    for (int i = 0; i < n_regions; i++)
        free(first[i]);
}

/* A buffer's contents before the call (the region snapshot taken by
 * run_on_every_isa), for the oracles. */
static const float *initial(const float *const *before, const float *p)
{
    for (int i = 0; i < n_regions; i++)
        if (p >= regions[i].base && p < regions[i].base + regions[i].len)
            return before[i] + (p - regions[i].base);
    return NULL;
}

/* ---- the model of DESIGN §5 ------------------------------------------------ */

/* Whether rows*stride*sizeof(float) exceeds PTRDIFF_MAX (rows >= 1). */
static int size_overflows(size_t rows, size_t stride)
{
    const unsigned __int128 bytes = (unsigned __int128)rows * stride * sizeof(float);
    return bytes > (unsigned __int128)PTRDIFF_MAX;
}

/* Floats a [rows, cols] matrix with this stride spans (rows >= 1), or 0 when
 * the call must be refused before touching it (overflow). */
static size_t extent(size_t rows, size_t cols, size_t stride)
{
    if (size_overflows(rows, stride))
        return cols;
    return (rows - 1) * stride + cols;
}

static int bytes_intersect(const float *a, size_t an, const float *b, size_t bn)
{
    if (!a || !b || an == 0 || bn == 0)
        return 0;
    const uintptr_t pa = (uintptr_t)a, pb = (uintptr_t)b;
    return pa < pb + bn * sizeof(float) && pb < pa + an * sizeof(float);
}

static int eps_valid(float eps) { return isfinite(eps) && eps >= 0.0f; }

/* eps: mostly ordinary values, sometimes any bits (negative, NaN, Inf). */
static float eps_for(unsigned v, reader *r)
{
    static const float table[] = {0.0f, 1e-12f, 1e-6f, 1e-5f, 1e-3f, 1.0f, 1e30f, FLT_MAX,
                                  -0.0f, -1e-5f, NAN, INFINITY};
    if (v < 240)
        return table[v % 12];
    return from_bits(take_u32(r));
}

/* A stride for cols columns: mostly cols plus a little, sometimes smaller
 * than cols (refused), sometimes so large that rows*stride overflows. */
static size_t stride_for(unsigned v, size_t cols)
{
    static const size_t huge[] = {(size_t)PTRDIFF_MAX / 8 + 1, (size_t)PTRDIFF_MAX / 4,
                                  (size_t)PTRDIFF_MAX / 4 + 1, SIZE_MAX / 2, SIZE_MAX};
    if (v < 200)
        return cols + v % 9;
    if (v < 240)
        return cols > v % 3 ? cols - 1 - v % 3 : cols;
    return huge[v % 5];
}

/* ---- LayerNorm and RMSNorm -------------------------------------------------- */

enum {
    ROW_GAMMA = 1, ROW_BETA = 2, ROW_MEAN = 4, ROW_RSTD = 8, ROW_IN_PLACE = 16,
    ROW_ARENA = 32
};

#define P(c, i) ((i) < 0 ? NULL : (c)->b[(i)].p)

static simdnorm_status invoke_rows(const call *c)
{
    const size_t rows = c->u.rows.rows, cols = c->u.rows.cols;
    const float *x = c->u.rows.fault == 0 ? NULL : P(c, c->u.rows.x);
    float *y = c->u.rows.fault == 1 ? NULL : c->u.rows.in_place ? P(c, c->u.rows.x)
                                                                 : P(c, c->u.rows.y);
    const size_t ys = c->u.rows.in_place ? c->u.rows.xs : c->u.rows.ys;
    if (c->u.rows.rms)
        return simdnorm_rms_norm_f32(rows, cols, x, c->u.rows.xs, P(c, c->u.rows.g),
                                     c->u.rows.eps, y, ys, P(c, c->u.rows.rstd));
    return simdnorm_layer_norm_f32(rows, cols, x, c->u.rows.xs, P(c, c->u.rows.g),
                                   P(c, c->u.rows.b), c->u.rows.eps, y, ys,
                                   P(c, c->u.rows.mean), P(c, c->u.rows.rstd));
}

static float *rows_y(const call *c, size_t *ys)
{
    *ys = c->u.rows.in_place ? c->u.rows.xs : c->u.rows.ys;
    return c->u.rows.in_place ? P(c, c->u.rows.x) : P(c, c->u.rows.y);
}

static void mark_rows(const call *c)
{
    size_t ys;
    float *y = rows_y(c, &ys);
    for (size_t r = 0; r < c->u.rows.rows; r++)
        mark(y + r * ys, c->u.rows.cols);
    if (c->u.rows.mean >= 0)
        mark(P(c, c->u.rows.mean), c->u.rows.rows);
    if (c->u.rows.rstd >= 0)
        mark(P(c, c->u.rows.rstd), c->u.rows.rows);
}

/* The statuses DESIGN §5 allows for this call: exactly OK when nothing is
 * wrong, else any one of the errors that apply (their order is not part of
 * the contract), with rows == 0 a no-op unless eps is bad. */
static unsigned model_rows(const call *c)
{
    const size_t rows = c->u.rows.rows, cols = c->u.rows.cols, xs = c->u.rows.xs;
    size_t ys;
    const float *y = rows_y(c, &ys);
    const float *x = P(c, c->u.rows.x);
    unsigned bad = 0;
    if (!eps_valid(c->u.rows.eps))
        bad |= ALLOW(SIMDNORM_ERR_PARAM);
    if (rows == 0)
        return bad ? bad : ALLOW(SIMDNORM_OK);
    if (c->u.rows.fault == 0 || c->u.rows.fault == 1)
        bad |= ALLOW(SIMDNORM_ERR_NULL);
    const int shape_bad = cols == 0 || xs < cols || ys < cols || size_overflows(rows, xs) ||
                          size_overflows(rows, ys);
    if (shape_bad)
        bad |= ALLOW(SIMDNORM_ERR_SHAPE);
    if (!shape_bad && !(bad & ALLOW(SIMDNORM_ERR_NULL))) {
        /* byte ranges: an output may not meet an input or another output,
         * except y == x with equal strides */
        const size_t xn = extent(rows, cols, xs), yn = extent(rows, cols, ys);
        const float *g = P(c, c->u.rows.g), *b = P(c, c->u.rows.b);
        const float *outs[3] = {y, P(c, c->u.rows.mean), P(c, c->u.rows.rstd)};
        const size_t outn[3] = {yn, rows, rows};
        const float *ins[3] = {x, g, b};
        const size_t inn[3] = {xn, cols, cols};
        int overlap = 0;
        for (int o = 0; o < 3; o++) {
            for (int i = 0; i < 3; i++)
                if (!(o == 0 && i == 0 && y == x && ys == xs))
                    overlap |= bytes_intersect(outs[o], outn[o], ins[i], inn[i]);
            for (int p = o + 1; p < 3; p++)
                overlap |= bytes_intersect(outs[o], outn[o], outs[p], outn[p]);
        }
        if (overlap)
            bad |= ALLOW(SIMDNORM_ERR_OVERLAP);
    }
    return bad ? bad : ALLOW(SIMDNORM_OK);
}

static void check_nan_canonical(const char *what, float v)
{
    if (isnan(v) && bits_of(v) != 0x7fc00000u)
        FAIL("%s is a NaN with bits %08x, not the canonical 7fc00000", what, bits_of(v));
}

/* The float64 reference of DESIGN §4 for each row, where it promises
 * accuracy: y only without gamma and beta (with them the bound depends on
 * their size), LayerNorm rows with |mean|/std <= 1e6; and the NaN/Inf rules. */
static void check_rows(const call *c, const float *const *before)
{
    const size_t rows = c->u.rows.rows, cols = c->u.rows.cols, xs = c->u.rows.xs;
    const double eps = c->u.rows.eps;
    const int rms = c->u.rows.rms, affine = c->u.rows.g >= 0 || c->u.rows.b >= 0;
    size_t ys;
    const float *y = rows_y(c, &ys);
    const float *x0 = initial(before, P(c, c->u.rows.x));
    const float *mean = P(c, c->u.rows.mean), *rstd = P(c, c->u.rows.rstd);
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x0 + r * xs;
        const float *yr = y + r * ys;
        int has_nan = 0, has_inf = 0;
        double sum = 0, sq = 0;
        for (size_t j = 0; j < cols; j++) {
            has_nan |= isnan(xr[j]);
            has_inf |= isinf(xr[j]);
            sum += xr[j];
            sq += (double)xr[j] * xr[j];
        }
        for (size_t j = 0; j < cols; j++)
            check_nan_canonical("y", yr[j]);
        if (mean)
            check_nan_canonical("mean", mean[r]);
        if (rstd)
            check_nan_canonical("rstd", rstd[r]);
        if (has_nan || has_inf) {
            /* LayerNorm: var is NaN, so rstd and all of y are NaN, mean is
             * the plain mean. RMSNorm: NaN makes all NaN; Inf makes rstd 0,
             * y NaN at the Inf and 0 * gamma elsewhere. */
            const int all_nan = !rms || has_nan;
            if (rstd && (all_nan ? !isnan(rstd[r]) : rstd[r] != 0.0f))
                FAIL("%s row %zu with NaN/Inf: rstd %g", c->name, r, rstd[r]);
            if (mean && !(isnan(sum) ? isnan(mean[r]) : mean[r] == (float)(sum / (double)cols)))
                FAIL("%s row %zu with Inf: mean %g, reference %g", c->name, r, mean[r],
                     sum / (double)cols);
            for (size_t j = 0; j < cols; j++) {
                const int want_nan = all_nan || isinf(xr[j]);
                if (want_nan ? !isnan(yr[j]) : (!affine && yr[j] != 0.0f))
                    FAIL("%s row %zu col %zu (x %g): y %g", c->name, r, j, xr[j], yr[j]);
            }
            continue;
        }
        double m = 0, var;
        if (rms) {
            var = sq / (double)cols;
        } else {
            m = sum / (double)cols;
            double q = 0, d1 = 0;
            for (size_t j = 0; j < cols; j++) {
                const double d = (double)xr[j] - m;
                q += d * d;
                d1 += d;
            }
            var = fmax(0.0, (q - d1 * d1 / (double)cols) / (double)cols);
            if (mean) {
                const double bound = 1e-6 * fmax(fabs(m), sqrt(var)) + 0x1p-150;
                if (!(fabs((double)mean[r] - m) <= bound))
                    FAIL("%s row %zu cols %zu: mean %.9g, reference %.17g", c->name, r, cols,
                         mean[r], m);
            }
        }
        const double rs = 1.0 / sqrt(var + eps);
        if (rstd) {
            const double g = rstd[r];
            /* above FLT_MAX: Inf, or FLT_MAX when it rounds down to it */
            const int ok = rs > FLT_MAX   ? isinf(g) || g == FLT_MAX
                           : rs < FLT_MIN ? fabs(g - rs) <= 0x1p-149 + 1e-6 * rs
                                          : fabs(g - rs) <= 1e-6 * rs;
            if (!ok)
                FAIL("%s row %zu cols %zu eps %g: rstd %.9g, reference %.17g", c->name, r, cols,
                     eps, g, rs);
        }
        const double sd = sqrt(var);
        if (affine || (!rms && !(sd > 0 && fabs(m) <= 1e6 * sd)))
            continue;
        for (size_t j = 0; j < cols; j++) {
            const double want = ((double)xr[j] - m) * rs; /* NaN: 0 * Inf */
            const double got = yr[j];
            const int ok = isnan(want)   ? isnan(got)
                           : isinf(want) ? got == want
                                         : fabs(got - want) <= 1e-6 * fmax(1.0, fabs(want));
            if (!ok)
                FAIL("%s row %zu col %zu of %zu (eps %g, mean %.17g, sd %.17g): x %.9g y %.9g, "
                     "reference %.17g",
                     c->name, r, j, cols, eps, m, sd, xr[j], got, want);
        }
    }
}

/* In place equals out of place, and another alignment of every buffer gives
 * the same bits: rerun on fresh copies shifted by one float. */
static void check_rows_variants(const call *c)
{
    if (c->u.rows.in_place || c->u.rows.rows == 0)
        return;
    const size_t rows = c->u.rows.rows, cols = c->u.rows.cols, xs = c->u.rows.xs;
    size_t ys;
    const float *y = rows_y(c, &ys);
    const size_t xn = extent(rows, cols, xs);
    const float *x0 = NULL;
    for (int i = 0; i < n_regions; i++)
        if (P(c, c->u.rows.x) >= regions[i].base &&
            P(c, c->u.rows.x) < regions[i].base + regions[i].len)
            x0 = regions[i].init + (P(c, c->u.rows.x) - regions[i].base);
    float *xc = xmalloc_floats(xn + 1), *g = NULL, *b = NULL;
    float *mc = xmalloc_floats(rows + 1), *rc = xmalloc_floats(rows + 1);
    memcpy(xc + 1, x0, xn * sizeof(float));
    if (c->u.rows.g >= 0) {
        g = xmalloc_floats(cols + 1);
        memcpy(g + 1, c->b[c->u.rows.g].p, cols * sizeof(float)); /* inputs: unchanged */
    }
    if (c->u.rows.b >= 0) {
        b = xmalloc_floats(cols + 1);
        memcpy(b + 1, c->b[c->u.rows.b].p, cols * sizeof(float));
    }
    const float *gp = g ? g + 1 : NULL, *bp = b ? b + 1 : NULL;
    float *mp = c->u.rows.mean >= 0 ? mc + 1 : NULL, *rp = c->u.rows.rstd >= 0 ? rc + 1 : NULL;
    const simdnorm_status st =
        c->u.rows.rms
            ? simdnorm_rms_norm_f32(rows, cols, xc + 1, xs, gp, c->u.rows.eps, xc + 1, xs, rp)
            : simdnorm_layer_norm_f32(rows, cols, xc + 1, xs, gp, bp, c->u.rows.eps, xc + 1, xs,
                                      mp, rp);
    if (st != SIMDNORM_OK)
        FAIL("%s in place at another alignment: status %d", c->name, st);
    for (size_t r = 0; r < rows; r++)
        if (memcmp(xc + 1 + r * xs, y + r * ys, cols * sizeof(float)) != 0)
            FAIL("%s row %zu: in place (shifted by a float) differs from out of place", c->name,
                 r);
    if (mp && memcmp(mp, c->b[c->u.rows.mean].p, rows * sizeof(float)) != 0)
        FAIL("%s: mean differs in place", c->name);
    if (rp && memcmp(rp, c->b[c->u.rows.rstd].p, rows * sizeof(float)) != 0)
        FAIL("%s: rstd differs in place", c->name);
    free(xc);
    free(g);
    free(b);
    free(mc);
    free(rc);
}

static void decode_rows(call *c, reader *r, int rms)
{
    c->name = rms ? "simdnorm_rms_norm_f32" : "simdnorm_layer_norm_f32";
    c->model = model_rows;
    c->invoke = invoke_rows;
    c->mark_outputs = mark_rows;
    c->check_ok = check_rows;
    c->check_variants = check_rows_variants;
    const size_t rows = take_u8(r) % 9;
    const unsigned cv = take_u16(r);
    const size_t cols = (cv & 0x8000) ? (cv & 0x1fff) : cv % 130;
    const size_t xs = stride_for(take_u8(r), cols), ys = stride_for(take_u8(r), cols);
    const unsigned flags = take_u8(r);
    c->u.rows.rms = rms;
    c->u.rows.rows = rows;
    c->u.rows.cols = cols;
    c->u.rows.xs = xs;
    c->u.rows.ys = ys;
    c->u.rows.fault = (int)(take_u8(r) % 16);
    c->u.rows.eps = eps_for(take_u8(r), r);
    c->u.rows.in_place = (flags & ROW_IN_PLACE) != 0;
    c->arena = (flags & ROW_ARENA) != 0;
    const size_t xn = rows ? extent(rows, cols, xs) : 0;
    const size_t yn = rows ? extent(rows, cols, ys) : 0;
    c->u.rows.x = add_buf(c, xn, 0);
    c->u.rows.y = c->u.rows.in_place ? -1 : add_buf(c, yn, 1);
    c->u.rows.g = (flags & ROW_GAMMA) ? add_buf(c, cols, 0) : -1;
    c->u.rows.b = (flags & ROW_BETA) && !rms ? add_buf(c, cols, 0) : -1;
    c->u.rows.mean = (flags & ROW_MEAN) && !rms ? add_buf(c, rows, 1) : -1;
    c->u.rows.rstd = (flags & ROW_RSTD) ? add_buf(c, rows, 1) : -1;
    if (c->arena) {
        size_t total = 0;
        for (int i = 0; i < c->nb; i++)
            total += c->b[i].len;
        const int order[6] = {c->u.rows.x, c->u.rows.y, c->u.rows.g, c->u.rows.b,
                              c->u.rows.mean, c->u.rows.rstd};
        for (int i = 0; i < 6; i++) {
            const size_t off = take_u16(r) % (total + 1);
            if (order[i] >= 0)
                c->b[order[i]].offset = off;
        }
    }
}

static void decode_layer_norm(call *c, reader *r) { decode_rows(c, r, 0); }
static void decode_rms_norm(call *c, reader *r) { decode_rows(c, r, 1); }

/* ---- BatchNorm ------------------------------------------------------------------ */

enum {
    BN_GAMMA = 1, BN_BETA = 2, BN_RUN = 4, BN_SAVE_MEAN = 8, BN_SAVE_RSTD = 16,
    BN_IN_PLACE = 32, BN_ARENA = 64, BN_RAW_VAR = 128
};

/* fault % 16: 0 x = NULL, 1 y = NULL, 2 running_var (training) / var
 * (inference) NULL, 3 running_mean / mean NULL, 4 spatial just past the size
 * limit, 5 spatial = SIZE_MAX, else none. */
enum { BN_X_NULL, BN_Y_NULL, BN_S1_NULL, BN_S0_NULL, BN_HUGE, BN_HUGE_MAX };

/* momentum: mostly ordinary values, sometimes outside [0, 1] or any bits. */
static float momentum_for(unsigned v, reader *r)
{
    static const float table[] = {0.1f, 0.0f, 1.0f, 0.5f, 0.01f, -0.0f, 0.99999994f,
                                  1.00000012f, -1e-8f, NAN, INFINITY, 2.0f};
    if (v < 240)
        return table[v % 12];
    return from_bits(take_u32(r));
}

static float *bn_y(const call *c) { return c->u.bn.in_place ? P(c, c->u.bn.x) : P(c, c->u.bn.y); }

static simdnorm_status invoke_bn(const call *c)
{
    const float *x = c->u.bn.fault == BN_X_NULL ? NULL : P(c, c->u.bn.x);
    float *y = c->u.bn.fault == BN_Y_NULL ? NULL : bn_y(c);
    if (c->u.bn.train)
        return simdnorm_batch_norm_train_f32(c->u.bn.layout, c->u.bn.n, c->u.bn.c,
                                             c->u.bn.spatial, x, P(c, c->u.bn.g),
                                             P(c, c->u.bn.b), c->u.bn.eps, c->u.bn.momentum,
                                             P(c, c->u.bn.s0), P(c, c->u.bn.s1), y,
                                             P(c, c->u.bn.smean), P(c, c->u.bn.srstd));
    return simdnorm_batch_norm_infer_f32(c->u.bn.layout, c->u.bn.n, c->u.bn.c, c->u.bn.spatial,
                                         x, P(c, c->u.bn.g), P(c, c->u.bn.b), P(c, c->u.bn.s0),
                                         P(c, c->u.bn.s1), c->u.bn.eps, y);
}

static void mark_bn(const call *c)
{
    mark(bn_y(c), c->u.bn.total);
    const int outs[4] = {c->u.bn.smean, c->u.bn.srstd, c->u.bn.train ? c->u.bn.s0 : -1,
                         c->u.bn.train ? c->u.bn.s1 : -1};
    for (int i = 0; i < 4; i++)
        if (outs[i] >= 0)
            mark(P(c, outs[i]), c->u.bn.c);
}

/* The statuses DESIGN §5 allows: parameters (eps, momentum even without
 * running stats, layout) always; then c == 0, and inference with
 * n*spatial == 0, are no-ops; else NULL (x, y, inference mean/var, running
 * stats not both-or-neither), shape (training n*spatial < 2, size
 * overflow), overlap (byte ranges; y == x is in place). */
static unsigned model_bn(const call *c)
{
    const size_t n = c->u.bn.n, ch = c->u.bn.c, sp = c->u.bn.spatial;
    const int train = c->u.bn.train;
    unsigned bad = 0;
    if (!eps_valid(c->u.bn.eps))
        bad |= ALLOW(SIMDNORM_ERR_PARAM);
    if (train && !(c->u.bn.momentum >= 0.0f && c->u.bn.momentum <= 1.0f))
        bad |= ALLOW(SIMDNORM_ERR_PARAM);
    if (c->u.bn.layout != SIMDNORM_NCHW && c->u.bn.layout != SIMDNORM_NHWC)
        bad |= ALLOW(SIMDNORM_ERR_PARAM);
    if (ch == 0 || (!train && (n == 0 || sp == 0)))
        return bad ? bad : ALLOW(SIMDNORM_OK);
    const float *x = c->u.bn.fault == BN_X_NULL ? NULL : P(c, c->u.bn.x);
    const float *y = c->u.bn.fault == BN_Y_NULL ? NULL : bn_y(c);
    const float *s0 = P(c, c->u.bn.s0), *s1 = P(c, c->u.bn.s1);
    if (!x || !y || (!train && (!s0 || !s1)) || (train && !s0 != !s1))
        bad |= ALLOW(SIMDNORM_ERR_NULL);
    const unsigned __int128 elems = (unsigned __int128)n * sp * ch;
    const int shape_bad = (train && (unsigned __int128)n * sp < 2) || n == 0 || sp == 0 ||
                          elems * sizeof(float) > (unsigned __int128)PTRDIFF_MAX;
    if (shape_bad)
        bad |= ALLOW(SIMDNORM_ERR_SHAPE);
    if (!shape_bad && !(bad & ALLOW(SIMDNORM_ERR_NULL))) {
        const size_t tot = c->u.bn.total;
        const float *ins[5] = {x, P(c, c->u.bn.g), P(c, c->u.bn.b), train ? NULL : s0,
                               train ? NULL : s1};
        const size_t inn[5] = {tot, ch, ch, ch, ch};
        const float *outs[5] = {y, P(c, c->u.bn.smean), P(c, c->u.bn.srstd), train ? s0 : NULL,
                                train ? s1 : NULL};
        const size_t outn[5] = {tot, ch, ch, ch, ch};
        int overlap = 0;
        for (int o = 0; o < 5; o++) {
            for (int i = 0; i < 5; i++)
                if (!(o == 0 && i == 0 && y == x))
                    overlap |= bytes_intersect(outs[o], outn[o], ins[i], inn[i]);
            for (int q = o + 1; q < 5; q++)
                overlap |= bytes_intersect(outs[o], outn[o], outs[q], outn[q]);
        }
        if (overlap)
            bad |= ALLOW(SIMDNORM_ERR_OVERLAP);
    }
    return bad ? bad : ALLOW(SIMDNORM_OK);
}

/* Index of element (i, s) of channel ch. */
static size_t bn_index(const call *c, size_t i, size_t s, size_t ch)
{
    if (c->u.bn.layout == SIMDNORM_NHWC)
        return (i * c->u.bn.spatial + s) * c->u.bn.c + ch;
    return (i * c->u.bn.c + ch) * c->u.bn.spatial + s;
}

/* got against a float64 reference: NaN where it is NaN, above FLT_MAX Inf
 * (or FLT_MAX when it rounds down to it), else within rel * max(1, |want|). */
static int near_ref(double got, double want, double rel)
{
    if (isnan(want))
        return isnan(got);
    if (fabs(want) > FLT_MAX)
        return (isinf(got) || fabs(got) == FLT_MAX) && (got > 0) == (want > 0);
    return fabs(got - want) <= rel * fmax(1.0, fabs(want));
}

/* A running statistic against its float64 formula: NaN where it is NaN,
 * Inf (or FLT_MAX) above FLT_MAX, else within bound. */
static int run_ok(double got, double want, double bound)
{
    if (isnan(want))
        return isnan(got);
    if (fabs(want) > FLT_MAX)
        return (isinf(got) || fabs(got) == FLT_MAX) && (got > 0) == (want > 0);
    return fabs(got - want) <= bound;
}

/* The float64 reference of DESIGN §4, per channel. Training: save_mean /
 * save_rstd as the row norms' mean / rstd, running stats per PyTorch
 * (run = (1-m)*run + m*batch, unbiased variance) within 2e-6 / 4e-6 relative
 * (of the result, or of m*batch when (1-m)*run cancels it), y where the row
 * norms check it (no gamma/beta, std > 0, |mean| <= 1e6*std); a channel with
 * a NaN or Inf: mean the plain float64 mean, rstd and y NaN, running stats
 * what the formula gives. Inference: each y element against
 * (x - mean)/sqrt(var + eps) (no gamma/beta), NaN/Inf included. */
static void check_bn(const call *c, const float *const *before)
{
    const size_t n = c->u.bn.n, nc = c->u.bn.c, sp = c->u.bn.spatial;
    const double eps = c->u.bn.eps, mom = c->u.bn.momentum;
    const int affine = c->u.bn.g >= 0 || c->u.bn.b >= 0;
    const float *x0 = initial(before, P(c, c->u.bn.x));
    const float *y = bn_y(c);
    const size_t count = n * sp;
    if (c->u.bn.total == 0) /* a no-op: mark_bn let nothing change */
        return;
    for (size_t i = 0; i < c->u.bn.total; i++)
        check_nan_canonical("y", y[i]);
    if (!c->u.bn.train) {
        const float *mean = P(c, c->u.bn.s0), *var = P(c, c->u.bn.s1);
        for (size_t ch = 0; ch < nc; ch++) {
            const double rs = 1.0 / sqrt((double)var[ch] + eps);
            for (size_t i = 0; i < n; i++)
                for (size_t s = 0; s < sp; s++) {
                    const size_t at = bn_index(c, i, s, ch);
                    const double want = ((double)x0[at] - mean[ch]) * rs;
                    if (affine && !isnan(want))
                        continue;
                    if (affine ? !isnan(y[at]) : !near_ref(y[at], want, 1e-6))
                        FAIL("%s channel %zu (mean %.9g var %.9g eps %g) x[%zu] %.9g: y %.9g, "
                             "reference %.17g",
                             c->name, ch, mean[ch], var[ch], eps, at, x0[at], y[at], want);
                }
        }
        return;
    }
    const float *sm = P(c, c->u.bn.smean), *sr = P(c, c->u.bn.srstd);
    const float *rm = P(c, c->u.bn.s0), *rv = P(c, c->u.bn.s1);
    const float *rm0 = rm ? initial(before, rm) : NULL, *rv0 = rv ? initial(before, rv) : NULL;
    for (size_t ch = 0; ch < nc; ch++) {
        if (sm)
            check_nan_canonical("save_mean", sm[ch]);
        if (sr)
            check_nan_canonical("save_rstd", sr[ch]);
        if (rm) {
            check_nan_canonical("running_mean", rm[ch]);
            check_nan_canonical("running_var", rv[ch]);
        }
        int has_nan = 0, has_inf = 0;
        double sum = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t s = 0; s < sp; s++) {
                const float v = x0[bn_index(c, i, s, ch)];
                has_nan |= isnan(v);
                has_inf |= isinf(v);
                sum += v;
            }
        const double m = sum / (double)count;
        if (has_nan || has_inf) {
            if (sm && !(isnan(m) ? isnan(sm[ch]) : sm[ch] == (float)m))
                FAIL("%s channel %zu with NaN/Inf: save_mean %g, reference %g", c->name, ch,
                     sm[ch], m);
            if (sr && !isnan(sr[ch]))
                FAIL("%s channel %zu with NaN/Inf: save_rstd %g", c->name, ch, sr[ch]);
            if (rm) {
                const float want_m = (float)((1.0 - mom) * rm0[ch] + mom * m);
                if (!(isnan(want_m) ? isnan(rm[ch]) : rm[ch] == want_m))
                    FAIL("%s channel %zu with NaN/Inf (momentum %g, run %g): running_mean %g, "
                         "reference %g", c->name, ch, mom, rm0[ch], rm[ch], want_m);
                if (!isnan(rv[ch]))
                    FAIL("%s channel %zu with NaN/Inf: running_var %g", c->name, ch, rv[ch]);
            }
            for (size_t i = 0; i < n; i++)
                for (size_t s = 0; s < sp; s++)
                    if (!isnan(y[bn_index(c, i, s, ch)]))
                        FAIL("%s channel %zu with NaN/Inf: y[%zu] %g is not NaN", c->name, ch,
                             bn_index(c, i, s, ch), y[bn_index(c, i, s, ch)]);
            continue;
        }
        double q = 0, d1 = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t s = 0; s < sp; s++) {
                const double d = (double)x0[bn_index(c, i, s, ch)] - m;
                q += d * d;
                d1 += d;
            }
        const double m2 = fmax(0.0, q - d1 * d1 / (double)count);
        const double var = m2 / (double)count, sd = sqrt(var);
        if (sm) {
            const double bound = 1e-6 * fmax(fabs(m), sd) + 0x1p-150;
            if (!(fabs((double)sm[ch] - m) <= bound))
                FAIL("%s channel %zu count %zu: save_mean %.9g, reference %.17g", c->name, ch,
                     count, sm[ch], m);
        }
        const double rs = 1.0 / sqrt(var + eps);
        if (sr) {
            const double g = sr[ch];
            const int ok = rs > FLT_MAX   ? isinf(g) || g == FLT_MAX
                           : rs < FLT_MIN ? fabs(g - rs) <= 0x1p-149 + 1e-6 * rs
                                          : fabs(g - rs) <= 1e-6 * rs;
            if (!ok)
                FAIL("%s channel %zu count %zu eps %g: save_rstd %.9g, reference %.17g", c->name,
                     ch, count, eps, g, rs);
        }
        if (rm) {
            const double want_m = (1.0 - mom) * rm0[ch] + mom * m;
            const double bm = 2e-6 * fmax(fabs(want_m), mom * fmax(fabs(m), sd)) + 0x1p-149;
            if (!run_ok(rm[ch], want_m, bm))
                FAIL("%s channel %zu (momentum %g, run %.9g, mean %.17g): running_mean %.9g, "
                     "reference %.17g", c->name, ch, mom, rm0[ch], m, rm[ch], want_m);
            const double unbiased = m2 / ((double)count - 1.0);
            const double want_v = (1.0 - mom) * rv0[ch] + mom * unbiased;
            const double bv = 4e-6 * fmax(fabs(want_v), mom * unbiased) + 0x1p-149;
            if (!run_ok(rv[ch], want_v, bv))
                FAIL("%s channel %zu (momentum %g, run %.9g, unbiased var %.17g): running_var "
                     "%.9g, reference %.17g", c->name, ch, mom, rv0[ch], unbiased, rv[ch],
                     want_v);
        }
        if (affine || !(sd > 0 && fabs(m) <= 1e6 * sd))
            continue;
        for (size_t i = 0; i < n; i++)
            for (size_t s = 0; s < sp; s++) {
                const size_t at = bn_index(c, i, s, ch);
                const double want = ((double)x0[at] - m) * rs;
                if (!near_ref(y[at], want, 1e-6))
                    FAIL("%s channel %zu count %zu (eps %g, mean %.17g, sd %.17g): x[%zu] %.9g "
                         "y %.9g, reference %.17g",
                         c->name, ch, count, eps, m, sd, at, x0[at], y[at], want);
            }
    }
}

/* A buffer's contents before the call, or NULL when not passed. */
static const float *init_of(const float *p)
{
    if (!p)
        return NULL;
    for (int i = 0; i < n_regions; i++)
        if (p >= regions[i].base && p < regions[i].base + regions[i].len)
            return regions[i].init + (p - regions[i].base);
    return NULL;
}

/* A fresh copy of len floats one float past an allocation's start (another
 * alignment); NULL for NULL. */
static float *shifted_copy(const float *src, size_t len)
{
    if (!src)
        return NULL;
    float *p = xmalloc_floats(len + 1);
    memcpy(p + 1, src, len * sizeof(float));
    return p;
}

static void compare_floats(const call *c, const char *what, const char *how, const float *a,
                           const float *b, size_t len)
{
    if (a && b && memcmp(a, b, len * sizeof(float)) != 0)
        FAIL("%s: %s differs %s", c->name, what, how);
}

/* In place (on fresh copies shifted by one float) equals out of place, and
 * for spatial == 1 (a 2-D input: the same memory in both layouts) the other
 * layout gives the same bits. */
static void check_bn_variants(const call *c)
{
    if (c->u.bn.in_place || c->u.bn.total == 0)
        return;
    const size_t nc = c->u.bn.c, tot = c->u.bn.total;
    const int train = c->u.bn.train;
    for (int pass = 0; pass < 2; pass++) {
        simdnorm_layout layout = c->u.bn.layout;
        const char *how = "in place at another alignment";
        if (pass == 1) {
            if (c->u.bn.spatial != 1)
                break;
            layout = layout == SIMDNORM_NCHW ? SIMDNORM_NHWC : SIMDNORM_NCHW;
            how = "with the other layout (spatial 1)";
        }
        float *xc = shifted_copy(init_of(P(c, c->u.bn.x)), tot);
        float *g = shifted_copy(P(c, c->u.bn.g), nc), *b = shifted_copy(P(c, c->u.bn.b), nc);
        /* running stats start from their values before the call */
        float *s0 = shifted_copy(train ? init_of(P(c, c->u.bn.s0)) : P(c, c->u.bn.s0), nc);
        float *s1 = shifted_copy(train ? init_of(P(c, c->u.bn.s1)) : P(c, c->u.bn.s1), nc);
        float *sm = c->u.bn.smean >= 0 ? xmalloc_floats(nc + 1) : NULL;
        float *sr = c->u.bn.srstd >= 0 ? xmalloc_floats(nc + 1) : NULL;
#define SH(p) ((p) ? (p) + 1 : NULL)
        const simdnorm_status st =
            train ? simdnorm_batch_norm_train_f32(layout, c->u.bn.n, nc, c->u.bn.spatial,
                                                  xc + 1, SH(g), SH(b), c->u.bn.eps,
                                                  c->u.bn.momentum, SH(s0), SH(s1), xc + 1,
                                                  SH(sm), SH(sr))
                  : simdnorm_batch_norm_infer_f32(layout, c->u.bn.n, nc, c->u.bn.spatial,
                                                  xc + 1, SH(g), SH(b), SH(s0), SH(s1),
                                                  c->u.bn.eps, xc + 1);
        if (st != SIMDNORM_OK)
            FAIL("%s %s: status %d", c->name, how, st);
        compare_floats(c, "y", how, xc + 1, bn_y(c), tot);
        compare_floats(c, "save_mean", how, SH(sm), P(c, c->u.bn.smean), nc);
        compare_floats(c, "save_rstd", how, SH(sr), P(c, c->u.bn.srstd), nc);
        if (train) {
            compare_floats(c, "running_mean", how, SH(s0), P(c, c->u.bn.s0), nc);
            compare_floats(c, "running_var", how, SH(s1), P(c, c->u.bn.s1), nc);
        }
#undef SH
        free(xc);
        free(g);
        free(b);
        free(s0);
        free(s1);
        free(sm);
        free(sr);
    }
}

/* Inference variances are made >= 0 unless BN_RAW_VAR asked for raw data
 * (a negative variance gives NaN, as the formula does). */
static void prepare_bn(call *c)
{
    if (c->u.bn.train || c->u.bn.raw_var || c->u.bn.s1 < 0)
        return;
    float *v = P(c, c->u.bn.s1);
    for (size_t i = 0; i < c->u.bn.c; i++)
        v[i] = fabsf(v[i]);
}

/* Input after the op byte: u8 layout (>= 248: an invalid enum 2..5, else bit
 * 0: NHWC), u8 n % 5, u8 c (< 192: c % 24, else 24 + 5*(c - 192), past
 * BN_NARROW and BN_CHUNK), u16 spatial (bit 15: bits 0..12, else % 40), u8
 * flags (BN_*), u8 fault (% 16, BN_X_NULL...), u8 eps (eps_for), training:
 * u8 momentum (momentum_for), 8 x u16 arena offsets when BN_ARENA (x, y,
 * gamma, beta, running_mean/mean, running_var/var, save_mean, save_rstd),
 * then the data. n*c*spatial is capped (c shrinks) at 2^17 floats. */
static void decode_bn(call *c, reader *r, int train)
{
    c->name = train ? "simdnorm_batch_norm_train_f32" : "simdnorm_batch_norm_infer_f32";
    c->model = model_bn;
    c->invoke = invoke_bn;
    c->mark_outputs = mark_bn;
    c->check_ok = check_bn;
    c->check_variants = check_bn_variants;
    c->prepare = prepare_bn;
    const unsigned lv = take_u8(r);
    const size_t n = take_u8(r) % 5;
    const unsigned cv = take_u8(r);
    size_t nc = cv < 192 ? cv % 24 : 24 + 5 * (size_t)(cv - 192);
    const unsigned sv = take_u16(r);
    size_t sp = (sv & 0x8000) ? (sv & 0x1fff) : sv % 40;
    const unsigned flags = take_u8(r);
    const int fault = (int)(take_u8(r) % 16);
    c->u.bn.train = train;
    c->u.bn.layout = lv >= 248 ? (simdnorm_layout)(2 + lv % 4) : (simdnorm_layout)(lv & 1);
    c->u.bn.eps = eps_for(take_u8(r), r);
    c->u.bn.momentum = train ? momentum_for(take_u8(r), r) : 0.0f;
    c->u.bn.fault = fault;
    c->u.bn.raw_var = (flags & BN_RAW_VAR) != 0;
    c->u.bn.in_place = (flags & BN_IN_PLACE) != 0;
    c->arena = (flags & BN_ARENA) != 0;
    size_t tot;
    if (fault == BN_HUGE || fault == BN_HUGE_MAX) {
        /* refused (size overflow) or a no-op: x and y get no memory */
        const size_t nn = n ? n : 1, cc = nc ? nc : 1;
        sp = fault == BN_HUGE_MAX ? SIZE_MAX : (size_t)PTRDIFF_MAX / sizeof(float) / nn / cc + 1;
        tot = 0;
    } else {
        if (n * sp * nc > ((size_t)1 << 17))
            nc = ((size_t)1 << 17) / (n * sp);
        tot = n * sp * nc;
    }
    c->u.bn.n = n;
    c->u.bn.c = nc;
    c->u.bn.spatial = sp;
    c->u.bn.total = tot;
    const int run = train ? (flags & BN_RUN) != 0 : 1;
    c->u.bn.x = add_buf(c, tot, 0);
    c->u.bn.y = c->u.bn.in_place ? -1 : add_buf(c, tot, 1);
    c->u.bn.g = (flags & BN_GAMMA) ? add_buf(c, nc, 0) : -1;
    c->u.bn.b = (flags & BN_BETA) ? add_buf(c, nc, 0) : -1;
    /* running stats are read and written: data, not sentinels */
    c->u.bn.s0 = run && fault != BN_S0_NULL ? add_buf(c, nc, 0) : -1;
    c->u.bn.s1 = run && fault != BN_S1_NULL ? add_buf(c, nc, 0) : -1;
    c->u.bn.smean = train && (flags & BN_SAVE_MEAN) ? add_buf(c, nc, 1) : -1;
    c->u.bn.srstd = train && (flags & BN_SAVE_RSTD) ? add_buf(c, nc, 1) : -1;
    if (c->arena) {
        size_t total = 0;
        for (int i = 0; i < c->nb; i++)
            total += c->b[i].len;
        const int order[8] = {c->u.bn.x, c->u.bn.y, c->u.bn.g, c->u.bn.b,
                              c->u.bn.s0, c->u.bn.s1, c->u.bn.smean, c->u.bn.srstd};
        for (int i = 0; i < 8; i++) {
            const size_t off = take_u16(r) % (total + 1);
            if (order[i] >= 0)
                c->b[order[i]].offset = off;
        }
    }
}

static void decode_batch_norm_train(call *c, reader *r) { decode_bn(c, r, 1); }
static void decode_batch_norm_infer(call *c, reader *r) { decode_bn(c, r, 0); }

/* ---- ISA control, status strings, version ----------------------------------- */

static void fuzz_isa_control(reader *r)
{
    const int v = (int)(signed char)take_u8(r);
    const simdnorm_isa isa = (simdnorm_isa)v;
    const int in_enum = v >= SIMDNORM_ISA_SCALAR && v < isa_count();
    const simdnorm_isa before = simdnorm_active_isa();
    const int avail = simdnorm_isa_available(isa);
    if (avail != 0 && avail != 1)
        FAIL("simdnorm_isa_available(%d) = %d", v, avail);
    if (avail && !in_enum)
        FAIL("simdnorm_isa_available(%d): an ISA outside the enum is available", v);
    const simdnorm_status st = simdnorm_set_isa(isa);
    const simdnorm_status want = !in_enum ? SIMDNORM_ERR_PARAM
                                 : avail  ? SIMDNORM_OK
                                          : SIMDNORM_ERR_ISA;
    if (st != want)
        FAIL("simdnorm_set_isa(%d) = %d, want %d", v, st, want);
    const simdnorm_isa now = simdnorm_active_isa();
    if (st == SIMDNORM_OK ? now != isa : now != before)
        FAIL("simdnorm_set_isa(%d) returned %d, active is %d (was %d)", v, st, now, before);
    const char *name = simdnorm_isa_name(isa);
    if (!name || (in_enum ? strcmp(name, "unknown") == 0 : strcmp(name, "unknown") != 0))
        FAIL("simdnorm_isa_name(%d) = %s", v, name ? name : "(null)");
    const char *msg = simdnorm_status_str((simdnorm_status)v);
    if (!msg || !*msg)
        FAIL("simdnorm_status_str(%d) is empty", v);
    const char *version = simdnorm_version();
    if (!version || strchr(version, '.') == NULL)
        FAIL("simdnorm_version() = %s", version ? version : "(null)");
}

/* ---- the ops ------------------------------------------------------------------ */

typedef struct op {
    const char *name;
    void (*decode)(call *c, reader *r); /* a call to run on every ISA, or */
    void (*direct)(reader *r);          /* a check that runs by itself */
} op;

static const op ops[] = {
    {"layer_norm_f32", decode_layer_norm, NULL},
    {"rms_norm_f32", decode_rms_norm, NULL},
    {"isa_control", NULL, fuzz_isa_control},
    {"batch_norm_train_f32", decode_batch_norm_train, NULL},
    {"batch_norm_infer_f32", decode_batch_norm_infer, NULL},
};
#define N_OPS (sizeof ops / sizeof *ops)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    reader r = {data, size};
    find_isas();
    const op *o = &ops[take_u8(&r) % N_OPS];
    if (o->direct) {
        o->direct(&r);
        return 0;
    }
    static call c;
    memset(&c, 0, sizeof c);
    o->decode(&c, &r);
    place(&c);
    fill_data(&c, &r);
    if (c.prepare)
        c.prepare(&c);
    c.allowed = c.model(&c);
    run_on_every_isa(&c);
    unplace();
    return 0;
}
