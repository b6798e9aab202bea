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
 *   u8 op                     index into ops[] (modulo; seeds use the index)
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
 * for the backward (decode_rows_bwd, decode_batch_norm_bwd): the forward's
 *   shape fields (rows up to 2044; BatchNorm n up to 280), LayerNorm/RMSNorm
 *   u8 dy, x, dx stride modes, u8 flags (BW_*: gamma, dx, dgamma, dbeta, in
 *   place, arena, raw statistics), u8 fault (BW_DY_NULL...), u8 eps (of the
 *   saved statistics, which are the forward's of x unless BW_RAW_STATS),
 *   BatchNorm u8 training, 8 x u16 arena offsets when BW_ARENA (dy, x, gamma,
 *   mean, rstd, dx, dgamma, dbeta), then the data as above (dy, x, gamma,
 *   mean, rstd in that order).
 *
 * for GroupNorm (decode_group_norm, decode_group_norm_bwd): BatchNorm's
 *   shape fields plus a u8 groups (gn_groups_for: a divisor of c, or any
 *   0..15), u8 flags (GN_*; the backward BW_*), u8 fault, u8 eps, the arena
 *   offsets, then the data.
 * for the 16-bit twins (fuzz_half, op 10) and the mergeable moments
 *   (fuzz_moments, op 11): their comments have the layouts.
 *
 * An op is a decode_* that reads its shape and flags, adds its buffers
 * (add_buf, inputs then outputs) and sets the call's model (allowed
 * statuses), invoke (the call), mark_outputs (what an OK call may write), and
 * optionally prepare (adjusts the data), check_ok / check_variants. */
#include <float.h>
#include <limits.h>
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
        struct {
            int kind;                      /* BW_LN, BW_RMS, BW_BN, BW_GN */
            size_t rows, cols, dys, xs, dxs; /* LayerNorm, RMSNorm */
            simdnorm_layout layout;        /* BatchNorm, GroupNorm */
            size_t n, c, spatial, total;   /* total: floats of dy, x, dx (0 when huge) */
            size_t groups;                 /* GroupNorm */
            int training;
            float eps;                     /* for the statistics prepare_bwd writes */
            int in_place, fault, raw;
            /* buffer indices, -1 when absent */
            int dy, x, g, mean, rstd, dx, dg, db;
        } bwd;
        struct {
            simdnorm_layout layout;
            size_t n, c, spatial, groups, total; /* total: floats of x and y (0 when huge) */
            float eps;
            int in_place, fault;
            int x, y, g, b, mean, rstd; /* buffer indices, -1 when absent */
        } gn;
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

/* ---- GroupNorm ------------------------------------------------------------------
 * A (sample, group) pair gi = i*groups + g holds cpg = c/groups channels of
 * sample i; its element k is, NCHW, channel g*cpg + k/spatial at position
 * k%spatial (the pair is one contiguous span), NHWC channel g*cpg + k%cpg
 * at position k/cpg. */

/* Where element k of pair gi lies in a dense [n, c, spatial] / [n, spatial,
 * c] tensor, and its channel. */
static size_t gn_at(simdnorm_layout layout, size_t c, size_t sp, size_t groups, size_t gi,
                    size_t k, size_t *ch)
{
    const size_t cpg = c / groups, i = gi / groups, g = gi % groups;
    if (layout == SIMDNORM_NHWC) {
        *ch = g * cpg + k % cpg;
        return (i * sp + k / cpg) * c + *ch;
    }
    *ch = g * cpg + k / sp;
    return (i * c + *ch) * sp + k % sp;
}

/* groups from a byte: >= 240 any value 0..15 (0 and non-divisors are
 * SIMDNORM_ERR_SHAPE), else one of c's divisors (c == 0: 1..4). */
static size_t gn_groups_for(unsigned v, size_t c)
{
    if (v >= 240)
        return v - 240;
    if (c == 0)
        return 1 + v % 4;
    size_t nd = 0;
    for (size_t d = 1; d <= c; d++)
        nd += c % d == 0;
    size_t want = v % nd;
    for (size_t d = 1; d <= c; d++)
        if (c % d == 0 && want-- == 0)
            return d;
    return 1;
}

enum {
    GN_GAMMA = 1, GN_BETA = 2, GN_MEAN = 4, GN_RSTD = 8, GN_IN_PLACE = 16, GN_ARENA = 32
};
/* fault % 16: 0 x = NULL, 1 y = NULL, 2 spatial just past the size limit,
 * 3 spatial = SIZE_MAX, else none. */
enum { GN_X_NULL, GN_Y_NULL, GN_HUGE, GN_HUGE_MAX };

static float *gn_y(const call *c) { return c->u.gn.in_place ? P(c, c->u.gn.x) : P(c, c->u.gn.y); }

static simdnorm_status invoke_gn(const call *c)
{
    const float *x = c->u.gn.fault == GN_X_NULL ? NULL : P(c, c->u.gn.x);
    float *y = c->u.gn.fault == GN_Y_NULL ? NULL : gn_y(c);
    return simdnorm_group_norm_f32(c->u.gn.layout, c->u.gn.n, c->u.gn.c, c->u.gn.spatial,
                                   c->u.gn.groups, x, P(c, c->u.gn.g), P(c, c->u.gn.b),
                                   c->u.gn.eps, y, P(c, c->u.gn.mean), P(c, c->u.gn.rstd));
}

static size_t gn_pairs(const call *c) { return c->u.gn.n * c->u.gn.groups; }

static void mark_gn(const call *c)
{
    mark(gn_y(c), c->u.gn.total);
    if (c->u.gn.mean >= 0)
        mark(P(c, c->u.gn.mean), gn_pairs(c));
    if (c->u.gn.rstd >= 0)
        mark(P(c, c->u.gn.rstd), gn_pairs(c));
}

/* The statuses DESIGN §5 and simdnorm.h allow: eps and layout
 * (SIMDNORM_ERR_PARAM) and groups 0 or not dividing c (SIMDNORM_ERR_SHAPE)
 * always; then n == 0 or c == 0 is a no-op; else x or y NULL, spatial 0 or
 * a size past PTRDIFF_MAX, overlap (bytes; y == x is in place). */
static unsigned model_gn(const call *c)
{
    const size_t n = c->u.gn.n, ch = c->u.gn.c, sp = c->u.gn.spatial, groups = c->u.gn.groups;
    unsigned bad = 0;
    if (!eps_valid(c->u.gn.eps) ||
        (c->u.gn.layout != SIMDNORM_NCHW && c->u.gn.layout != SIMDNORM_NHWC))
        bad |= ALLOW(SIMDNORM_ERR_PARAM);
    if (groups == 0 || ch % groups != 0)
        bad |= ALLOW(SIMDNORM_ERR_SHAPE);
    if (n == 0 || ch == 0)
        return bad ? bad : ALLOW(SIMDNORM_OK);
    const float *x = c->u.gn.fault == GN_X_NULL ? NULL : P(c, c->u.gn.x);
    const float *y = c->u.gn.fault == GN_Y_NULL ? NULL : gn_y(c);
    if (!x || !y)
        bad |= ALLOW(SIMDNORM_ERR_NULL);
    const unsigned __int128 elems = (unsigned __int128)n * sp * ch;
    const int shape_bad = sp == 0 || elems * sizeof(float) > (unsigned __int128)PTRDIFF_MAX;
    if (shape_bad)
        bad |= ALLOW(SIMDNORM_ERR_SHAPE);
    if (!shape_bad && !(bad & (ALLOW(SIMDNORM_ERR_NULL) | ALLOW(SIMDNORM_ERR_SHAPE)))) {
        const size_t tot = c->u.gn.total, pairs = gn_pairs(c);
        const float *ins[3] = {x, P(c, c->u.gn.g), P(c, c->u.gn.b)};
        const size_t inn[3] = {tot, ch, ch};
        const float *outs[3] = {y, P(c, c->u.gn.mean), P(c, c->u.gn.rstd)};
        const size_t outn[3] = {tot, pairs, pairs};
        int overlap = 0;
        for (int o = 0; o < 3; o++) {
            for (int i = 0; i < 3; i++)
                if (!(o == 0 && i == 0 && y == x))
                    overlap |= bytes_intersect(outs[o], outn[o], ins[i], inn[i]);
            for (int q = o + 1; q < 3; q++)
                overlap |= bytes_intersect(outs[o], outn[o], outs[q], outn[q]);
        }
        if (overlap)
            bad |= ALLOW(SIMDNORM_ERR_OVERLAP);
    }
    return bad ? bad : ALLOW(SIMDNORM_OK);
}

/* The float64 reference of DESIGN §4 per (sample, group), as the row norms'
 * (check_rows): mean within 1e-6 of max(|mean|, std), rstd within 1e-6
 * relative, y (no gamma/beta, std > 0, |mean| <= 1e6 std) within 1e-6 of
 * max(1, |ref|); a pair with a NaN or Inf: mean the plain float64 mean, rstd
 * and all its y NaN; NaNs canonical. */
static void check_gn(const call *c, const float *const *before)
{
    const size_t pairs = gn_pairs(c), sp = c->u.gn.spatial, nc = c->u.gn.c;
    const size_t len = nc / (c->u.gn.groups ? c->u.gn.groups : 1) * sp;
    const double eps = c->u.gn.eps;
    const int affine = c->u.gn.g >= 0 || c->u.gn.b >= 0;
    if (c->u.gn.total == 0) /* a no-op: mark_gn let nothing change */
        return;
    const float *x0 = initial(before, P(c, c->u.gn.x));
    const float *y = gn_y(c), *mean = P(c, c->u.gn.mean), *rstd = P(c, c->u.gn.rstd);
    size_t ch;
    for (size_t i = 0; i < c->u.gn.total; i++)
        check_nan_canonical("y", y[i]);
    for (size_t gi = 0; gi < pairs; gi++) {
        int has_nan = 0, has_inf = 0;
        double sum = 0;
        for (size_t k = 0; k < len; k++) {
            const float v = x0[gn_at(c->u.gn.layout, nc, sp, c->u.gn.groups, gi, k, &ch)];
            has_nan |= isnan(v);
            has_inf |= isinf(v);
            sum += v;
        }
        const double m = sum / (double)len;
        if (mean)
            check_nan_canonical("mean", mean[gi]);
        if (rstd)
            check_nan_canonical("rstd", rstd[gi]);
        if (has_nan || has_inf) {
            if (mean && !(isnan(m) ? isnan(mean[gi]) : mean[gi] == (float)m))
                FAIL("%s pair %zu with NaN/Inf: mean %g, reference %g", c->name, gi, mean[gi], m);
            if (rstd && !isnan(rstd[gi]))
                FAIL("%s pair %zu with NaN/Inf: rstd %g", c->name, gi, rstd[gi]);
            for (size_t k = 0; k < len; k++) {
                const size_t at = gn_at(c->u.gn.layout, nc, sp, c->u.gn.groups, gi, k, &ch);
                if (!isnan(y[at]))
                    FAIL("%s pair %zu with NaN/Inf: y[%zu] %g is not NaN", c->name, gi, at,
                         y[at]);
            }
            continue;
        }
        double q = 0, d1 = 0;
        for (size_t k = 0; k < len; k++) {
            const double d =
                (double)x0[gn_at(c->u.gn.layout, nc, sp, c->u.gn.groups, gi, k, &ch)] - m;
            q += d * d;
            d1 += d;
        }
        const double var = fmax(0.0, (q - d1 * d1 / (double)len) / (double)len), sd = sqrt(var);
        if (mean && !(fabs((double)mean[gi] - m) <= 1e-6 * fmax(fabs(m), sd) + 0x1p-150))
            FAIL("%s pair %zu of %zu elements: mean %.9g, reference %.17g", c->name, gi, len,
                 mean[gi], m);
        const double rs = 1.0 / sqrt(var + eps);
        if (rstd) {
            const double g = rstd[gi];
            const int ok = rs > FLT_MAX   ? isinf(g) || g == FLT_MAX
                           : rs < FLT_MIN ? fabs(g - rs) <= 0x1p-149 + 1e-6 * rs
                                          : fabs(g - rs) <= 1e-6 * rs;
            if (!ok)
                FAIL("%s pair %zu of %zu elements, eps %g: rstd %.9g, reference %.17g", c->name,
                     gi, len, eps, g, rs);
        }
        if (affine || !(sd > 0 && fabs(m) <= 1e6 * sd))
            continue;
        for (size_t k = 0; k < len; k++) {
            const size_t at = gn_at(c->u.gn.layout, nc, sp, c->u.gn.groups, gi, k, &ch);
            const double want = ((double)x0[at] - m) * rs;
            if (!near_ref(y[at], want, 1e-6))
                FAIL("%s pair %zu of %zu elements (eps %g, mean %.17g, sd %.17g): x[%zu] %.9g "
                     "y %.9g, reference %.17g",
                     c->name, gi, len, eps, m, sd, at, x0[at], y[at], want);
        }
    }
}

/* The call again on fresh copies shifted by one float, in place, on another
 * thread count (1, or 3 when the default is 1); for spatial == 1 (the same
 * memory in both layouts) also in the other layout: the same bits. */
static void check_gn_variants(const call *c)
{
    if (c->u.gn.in_place || c->u.gn.total == 0)
        return;
    const size_t nc = c->u.gn.c, tot = c->u.gn.total, pairs = gn_pairs(c);
    for (int pass = 0; pass < 2; pass++) {
        simdnorm_layout layout = c->u.gn.layout;
        const char *how = "in place at another alignment and thread count";
        if (pass == 1) {
            if (c->u.gn.spatial != 1)
                break;
            layout = layout == SIMDNORM_NCHW ? SIMDNORM_NHWC : SIMDNORM_NCHW;
            how = "with the other layout (spatial 1)";
        }
        float *xc = shifted_copy(init_of(P(c, c->u.gn.x)), tot);
        float *g = shifted_copy(P(c, c->u.gn.g), nc), *b = shifted_copy(P(c, c->u.gn.b), nc);
        float *m = c->u.gn.mean >= 0 ? xmalloc_floats(pairs + 1) : NULL;
        float *r = c->u.gn.rstd >= 0 ? xmalloc_floats(pairs + 1) : NULL;
        const int threads = simdnorm_get_num_threads();
        if (simdnorm_set_num_threads(threads > 1 ? 1 : 3) != SIMDNORM_OK)
            FAIL("simdnorm_set_num_threads failed");
#define SH(p) ((p) ? (p) + 1 : NULL)
        const simdnorm_status st =
            simdnorm_group_norm_f32(layout, c->u.gn.n, nc, c->u.gn.spatial, c->u.gn.groups,
                                    xc + 1, SH(g), SH(b), c->u.gn.eps, xc + 1, SH(m), SH(r));
        simdnorm_set_num_threads(threads);
        if (st != SIMDNORM_OK)
            FAIL("%s %s: status %d", c->name, how, st);
        compare_floats(c, "y", how, xc + 1, gn_y(c), tot);
        compare_floats(c, "mean", how, SH(m), P(c, c->u.gn.mean), pairs);
        compare_floats(c, "rstd", how, SH(r), P(c, c->u.gn.rstd), pairs);
#undef SH
        free(xc);
        free(g);
        free(b);
        free(m);
        free(r);
    }
}

/* GroupNorm, after the op byte: u8 layout (as BatchNorm's), u8 n % 5, u8 c
 * (as BatchNorm's), u8 groups (gn_groups_for, after c is capped), u16
 * spatial (as BatchNorm's), u8 flags (GN_*), u8 fault (% 16, GN_X_NULL...),
 * u8 eps (eps_for), 6 x u16 arena offsets when GN_ARENA (x, y, gamma, beta,
 * mean, rstd), then the data. n*c*spatial is capped (c shrinks) at 2^17. */
static void decode_group_norm(call *c, reader *r)
{
    c->name = "simdnorm_group_norm_f32";
    c->model = model_gn;
    c->invoke = invoke_gn;
    c->mark_outputs = mark_gn;
    c->check_ok = check_gn;
    c->check_variants = check_gn_variants;
    const unsigned lv = take_u8(r);
    const size_t n = take_u8(r) % 5;
    const unsigned cv = take_u8(r);
    size_t nc = cv < 192 ? cv % 24 : 24 + 5 * (size_t)(cv - 192);
    const unsigned gv = take_u8(r);
    const unsigned sv = take_u16(r);
    size_t sp = (sv & 0x8000) ? (sv & 0x1fff) : sv % 40;
    const unsigned flags = take_u8(r);
    const int fault = (int)(take_u8(r) % 16);
    c->u.gn.layout = lv >= 248 ? (simdnorm_layout)(2 + lv % 4) : (simdnorm_layout)(lv & 1);
    c->u.gn.eps = eps_for(take_u8(r), r);
    c->u.gn.fault = fault;
    c->u.gn.in_place = (flags & GN_IN_PLACE) != 0;
    c->arena = (flags & GN_ARENA) != 0;
    size_t tot;
    if (fault == GN_HUGE || fault == GN_HUGE_MAX) {
        const size_t nn = n ? n : 1, cc = nc ? nc : 1;
        sp = fault == GN_HUGE_MAX ? SIZE_MAX : (size_t)PTRDIFF_MAX / sizeof(float) / nn / cc + 1;
        tot = 0;
    } else {
        if (n * sp * nc > ((size_t)1 << 17))
            nc = ((size_t)1 << 17) / (n * sp);
        tot = n * sp * nc;
    }
    const size_t groups = gn_groups_for(gv, nc);
    c->u.gn.n = n;
    c->u.gn.c = nc;
    c->u.gn.groups = groups;
    c->u.gn.spatial = sp;
    c->u.gn.total = tot;
    const size_t pairs = groups && nc % groups == 0 ? n * groups : 0;
    c->u.gn.x = add_buf(c, tot, 0);
    c->u.gn.y = c->u.gn.in_place ? -1 : add_buf(c, tot, 1);
    c->u.gn.g = (flags & GN_GAMMA) ? add_buf(c, nc, 0) : -1;
    c->u.gn.b = (flags & GN_BETA) ? add_buf(c, nc, 0) : -1;
    c->u.gn.mean = (flags & GN_MEAN) ? add_buf(c, pairs, 1) : -1;
    c->u.gn.rstd = (flags & GN_RSTD) ? add_buf(c, pairs, 1) : -1;
    if (c->arena) {
        size_t total = 0;
        for (int i = 0; i < c->nb; i++)
            total += c->b[i].len;
        const int order[6] = {c->u.gn.x, c->u.gn.y, c->u.gn.g, c->u.gn.b, c->u.gn.mean,
                              c->u.gn.rstd};
        for (int i = 0; i < 6; i++) {
            const size_t off = take_u16(r) % (total + 1);
            if (order[i] >= 0)
                c->b[order[i]].offset = off;
        }
    }
}

/* ---- backward: LayerNorm, RMSNorm, BatchNorm, GroupNorm gradients ---------------
 * The four functions share one description: groups (a row; a channel; a
 * (sample, group) pair) whose elements the forward averaged over, each with
 * its saved mean/rstd, and features (a column; a channel) that dgamma/dbeta
 * reduce over. BatchNorm and GroupNorm take dense tensors (total floats). */

enum { BW_LN, BW_RMS, BW_BN, BW_GN };
enum {
    BW_GAMMA = 1, BW_DX = 2, BW_DGAMMA = 4, BW_DBETA = 8, BW_IN_PLACE = 16, BW_ARENA = 32,
    BW_RAW_STATS = 64
};
/* fault % 16: 0 dy NULL, 1 x NULL, 2 mean NULL, 3 rstd NULL; BatchNorm: 4
 * spatial just past the size limit, 5 spatial = SIZE_MAX; else none. */
enum { BW_DY_NULL, BW_X_NULL, BW_MEAN_NULL, BW_RSTD_NULL, BW_HUGE, BW_HUGE_MAX };

/* The pointers the call passes (faults applied; dx is dy in place). */
typedef struct bw_ptrs {
    const float *dy, *x, *g, *mean, *rstd;
    float *dx, *dg, *db;
    size_t dxs; /* dx's stride (dy's in place) */
} bw_ptrs;

static bw_ptrs bw_pointers(const call *c)
{
    bw_ptrs p;
    const int f = c->u.bwd.fault;
    p.dy = f == BW_DY_NULL ? NULL : P(c, c->u.bwd.dy);
    p.x = f == BW_X_NULL ? NULL : P(c, c->u.bwd.x);
    p.g = P(c, c->u.bwd.g);
    p.mean = f == BW_MEAN_NULL ? NULL : P(c, c->u.bwd.mean);
    p.rstd = f == BW_RSTD_NULL ? NULL : P(c, c->u.bwd.rstd);
    /* in place: dx is dy (the buffer, even when the fault passes dy NULL) */
    p.dx = c->u.bwd.in_place ? P(c, c->u.bwd.dy) : P(c, c->u.bwd.dx);
    p.dg = P(c, c->u.bwd.dg);
    p.db = P(c, c->u.bwd.db);
    p.dxs = c->u.bwd.in_place ? c->u.bwd.dys : c->u.bwd.dxs;
    return p;
}

static int bw_is_bn(const call *c) { return c->u.bwd.kind == BW_BN; }
static int bw_is_gn(const call *c) { return c->u.bwd.kind == BW_GN; }
static int bw_dense(const call *c) { return bw_is_bn(c) || bw_is_gn(c); }
static size_t bw_groups(const call *c)
{
    return bw_is_gn(c) ? c->u.bwd.n * c->u.bwd.groups : bw_is_bn(c) ? c->u.bwd.c : c->u.bwd.rows;
}
static size_t bw_len(const call *c)
{
    if (bw_is_gn(c)) /* 0 when groups is refused (SIMDNORM_ERR_SHAPE) */
        return c->u.bwd.groups == 0 || c->u.bwd.c % c->u.bwd.groups != 0
                   ? 0
                   : c->u.bwd.c / c->u.bwd.groups * c->u.bwd.spatial;
    return bw_is_bn(c) ? c->u.bwd.n * c->u.bwd.spatial : c->u.bwd.cols;
}
static size_t bw_features(const call *c) { return bw_dense(c) ? c->u.bwd.c : c->u.bwd.cols; }

/* Where element k of group gi lies in dy, x and dx (dx stride dxs), and its
 * feature (gamma's index). */
typedef struct bw_at {
    size_t dy, x, dx, f;
} bw_at;

static bw_at bw_index(const call *c, size_t gi, size_t k, size_t dxs)
{
    bw_at a;
    if (bw_is_gn(c)) {
        a.dy = a.x = a.dx = gn_at(c->u.bwd.layout, c->u.bwd.c, c->u.bwd.spatial, c->u.bwd.groups,
                                  gi, k, &a.f);
    } else if (bw_is_bn(c)) {
        const size_t sp = c->u.bwd.spatial, nc = c->u.bwd.c, i = k / sp, s = k % sp;
        a.dy = a.x = a.dx = c->u.bwd.layout == SIMDNORM_NHWC ? (i * sp + s) * nc + gi
                                                             : (i * nc + gi) * sp + s;
        a.f = gi;
    } else {
        a.dy = gi * c->u.bwd.dys + k;
        a.x = gi * c->u.bwd.xs + k;
        a.dx = gi * dxs + k;
        a.f = k;
    }
    return a;
}

/* A group's forward statistics in float64 (m = 0 for RMSNorm, var its
 * mean square) and as the forward saves them (each rounded once to float).
 * x is the x buffer (its contents now, or before the call). */
typedef struct bw_stats {
    double m, sd;
    float mean, rstd;
} bw_stats;

static bw_stats bw_group_stats(const call *c, const float *x, size_t gi)
{
    const size_t len = bw_len(c);
    double sum = 0, sq = 0;
    for (size_t k = 0; k < len; k++) {
        const double v = x[bw_index(c, gi, k, 0).x];
        sum += v;
        sq += v * v;
    }
    bw_stats s;
    double var;
    if (c->u.bwd.kind == BW_RMS) {
        s.m = 0;
        var = sq / (double)len;
    } else {
        s.m = sum / (double)len;
        double q = 0, d1 = 0;
        for (size_t k = 0; k < len; k++) {
            const double d = (double)x[bw_index(c, gi, k, 0).x] - s.m;
            q += d * d;
            d1 += d;
        }
        var = fmax(0.0, (q - d1 * d1 / (double)len) / (double)len);
    }
    s.sd = sqrt(var);
    s.mean = (float)s.m;
    s.rstd = (float)(1.0 / sqrt(var + (double)c->u.bwd.eps));
    return s;
}

/* Whether the call's shape lets the fuzz target index every group (no size
 * overflow, strides that reach the columns). */
static int bw_shape_sane(const call *c)
{
    if (bw_dense(c))
        return c->u.bwd.total != 0 || c->u.bwd.n * c->u.bwd.spatial * c->u.bwd.c == 0;
    const size_t rows = c->u.bwd.rows, cols = c->u.bwd.cols;
    return rows == 0 ||
           (c->u.bwd.dys >= cols && c->u.bwd.xs >= cols && !size_overflows(rows, c->u.bwd.dys) &&
            !size_overflows(rows, c->u.bwd.xs));
}

/* mean and rstd become the forward's statistics of x (float64, rounded once),
 * unless BW_RAW_STATS keeps the fuzzed bits. In an arena the writes may
 * change x or dy: the checks look at what the call saw. */
static void prepare_bwd(call *c)
{
    if (c->u.bwd.raw || !bw_shape_sane(c) || bw_len(c) == 0 ||
        (bw_dense(c) && c->u.bwd.total == 0))
        return;
    float *mean = P(c, c->u.bwd.mean), *rstd = P(c, c->u.bwd.rstd);
    const float *x = P(c, c->u.bwd.x);
    for (size_t gi = 0; gi < bw_groups(c); gi++) {
        const bw_stats s = bw_group_stats(c, x, gi);
        if (mean)
            mean[gi] = s.mean;
        rstd[gi] = s.rstd;
    }
}

static simdnorm_status invoke_bwd(const call *c)
{
    const bw_ptrs p = bw_pointers(c);
    switch (c->u.bwd.kind) {
    case BW_LN:
        return simdnorm_layer_norm_bwd_f32(c->u.bwd.rows, c->u.bwd.cols, p.dy, c->u.bwd.dys, p.x,
                                           c->u.bwd.xs, p.g, p.mean, p.rstd, p.dx, p.dxs, p.dg,
                                           p.db);
    case BW_RMS:
        return simdnorm_rms_norm_bwd_f32(c->u.bwd.rows, c->u.bwd.cols, p.dy, c->u.bwd.dys, p.x,
                                         c->u.bwd.xs, p.g, p.rstd, p.dx, p.dxs, p.dg);
    case BW_GN:
        return simdnorm_group_norm_bwd_f32(c->u.bwd.layout, c->u.bwd.n, c->u.bwd.c,
                                           c->u.bwd.spatial, c->u.bwd.groups, p.dy, p.x, p.g,
                                           p.mean, p.rstd, p.dx, p.dg, p.db);
    default:
        return simdnorm_batch_norm_bwd_f32(c->u.bwd.layout, c->u.bwd.n, c->u.bwd.c,
                                           c->u.bwd.spatial, p.dy, p.x, p.g, p.mean, p.rstd,
                                           c->u.bwd.training, p.dx, p.dg, p.db);
    }
}

static void mark_bwd(const call *c)
{
    const bw_ptrs p = bw_pointers(c);
    if (p.dx) {
        if (bw_dense(c))
            mark(p.dx, c->u.bwd.total);
        else
            for (size_t r = 0; r < c->u.bwd.rows; r++)
                mark(p.dx + r * p.dxs, c->u.bwd.cols);
    }
    if (p.dg)
        mark(p.dg, bw_features(c));
    if (p.db)
        mark(p.db, bw_features(c));
}

/* Overlap of the call's buffers as DESIGN §5 counts it: bytes an output spans
 * against bytes an input or another output spans, dx == dy (same stride) the
 * one exception; outputs_only: outputs against outputs. Extents must be
 * computable (no size overflow). */
static int bw_overlap(const call *c, int outputs_only)
{
    const bw_ptrs p = bw_pointers(c);
    size_t dyn, xn, dxn, gn = bw_features(c), sn = bw_groups(c);
    if (bw_dense(c)) {
        dyn = xn = dxn = c->u.bwd.total;
    } else {
        const size_t rows = c->u.bwd.rows, cols = c->u.bwd.cols;
        dyn = rows ? extent(rows, cols, c->u.bwd.dys) : 0;
        xn = rows ? extent(rows, cols, c->u.bwd.xs) : 0;
        dxn = rows ? extent(rows, cols, p.dxs) : 0;
    }
    const float *ins[5] = {p.dy, p.x, p.g, p.mean, p.rstd};
    const size_t inn[5] = {dyn, xn, gn, sn, sn};
    const float *outs[3] = {p.dx, p.dg, p.db};
    const size_t outn[3] = {dxn, gn, gn};
    const int in_place = p.dx && p.dx == p.dy && (bw_dense(c) || p.dxs == c->u.bwd.dys);
    int overlap = 0;
    for (int o = 0; o < 3; o++) {
        for (int i = 0; i < 5 && !outputs_only; i++)
            if (!(o == 0 && i == 0 && in_place))
                overlap |= bytes_intersect(outs[o], outn[o], ins[i], inn[i]);
        for (int q = o + 1; q < 3; q++)
            overlap |= bytes_intersect(outs[o], outn[o], outs[q], outn[q]);
    }
    return overlap;
}

/* The statuses DESIGN §5 allows. `must`: errors that apply (one of them is
 * returned, in no particular order); `may`: checks the contract leaves open:
 * the stride of an absent dx, and everything but dgamma against dbeta when
 * there is nothing to reduce (rows == 0, BatchNorm with fixed statistics and
 * n*spatial == 0: dgamma/dbeta are zeroed and, README "Backward", nothing
 * else is read). SIMDNORM_ERR_NOMEM is never allowed: the fuzzed calls need
 * at most a few MiB of scratch. */
static unsigned model_bwd(const call *c)
{
    const bw_ptrs p = bw_pointers(c);
    unsigned must = 0, may = 0;
    const int null = !p.dy || !p.x || (c->u.bwd.kind != BW_RMS && !p.mean) || !p.rstd;
    if (null)
        must |= ALLOW(SIMDNORM_ERR_NULL);
    int shape, empty;
    if (bw_is_gn(c)) {
        /* layout, groups (0 or not dividing c), then c == 0 a no-op and
         * n == 0 zeroed dgamma/dbeta, then the rest */
        const size_t n = c->u.bwd.n, ch = c->u.bwd.c, sp = c->u.bwd.spatial;
        unsigned first = 0;
        if (c->u.bwd.layout != SIMDNORM_NCHW && c->u.bwd.layout != SIMDNORM_NHWC)
            first |= ALLOW(SIMDNORM_ERR_PARAM);
        if (c->u.bwd.groups == 0 || ch % c->u.bwd.groups != 0)
            first |= ALLOW(SIMDNORM_ERR_SHAPE);
        if (first || ch == 0)
            return first ? first : ALLOW(SIMDNORM_OK);
        const unsigned __int128 elems = (unsigned __int128)n * sp * ch;
        shape = n != 0 && (sp == 0 || elems * sizeof(float) > (unsigned __int128)PTRDIFF_MAX);
        empty = n == 0;
    } else if (bw_is_bn(c)) {
        const size_t n = c->u.bwd.n, ch = c->u.bwd.c, sp = c->u.bwd.spatial;
        if (c->u.bwd.layout != SIMDNORM_NCHW && c->u.bwd.layout != SIMDNORM_NHWC)
            must |= ALLOW(SIMDNORM_ERR_PARAM);
        if (ch == 0) /* a no-op, as the forward's */
            return must & ALLOW(SIMDNORM_ERR_PARAM) ? must & ALLOW(SIMDNORM_ERR_PARAM)
                                                     : ALLOW(SIMDNORM_OK);
        const unsigned __int128 elems = (unsigned __int128)n * sp * ch;
        const int overflow = elems * sizeof(float) > (unsigned __int128)PTRDIFF_MAX;
        const int count0 = (unsigned __int128)n * sp == 0;
        shape = overflow || (c->u.bwd.training && count0);
        empty = !c->u.bwd.training && count0;
    } else {
        const size_t rows = c->u.bwd.rows, cols = c->u.bwd.cols;
        shape = cols == 0 || c->u.bwd.dys < cols || c->u.bwd.xs < cols ||
                size_overflows(rows, c->u.bwd.dys) || size_overflows(rows, c->u.bwd.xs) ||
                (p.dx && (p.dxs < cols || size_overflows(rows, p.dxs)));
        if (!p.dx && (c->u.bwd.dxs < cols || size_overflows(rows, c->u.bwd.dxs)))
            may |= ALLOW(SIMDNORM_ERR_SHAPE);
        empty = rows == 0;
    }
    if (shape)
        must |= ALLOW(SIMDNORM_ERR_SHAPE);
    if (!shape && bw_overlap(c, 0))
        must |= ALLOW(SIMDNORM_ERR_OVERLAP);
    if (empty) {
        const unsigned open =
            ALLOW(SIMDNORM_ERR_NULL) | ALLOW(SIMDNORM_ERR_SHAPE) | ALLOW(SIMDNORM_ERR_OVERLAP);
        may |= must & open;
        must &= ~open;
        if (bw_overlap(c, 1))
            must |= ALLOW(SIMDNORM_ERR_OVERLAP);
    }
    return must ? must | may : ALLOW(SIMDNORM_OK) | may;
}

/* got against a float64 value and an absolute bound: a NaN never, Inf (of
 * the sign) only where the value could be beyond FLT_MAX within the bound. */
/* README "Backward": the sums add float rounds of 8 terms, which can
 * overflow when a term exceeds FLT_MAX/8 (a documented limit). */
#define BW_TERM_MAX ((double)FLT_MAX / 8)

static int within(double got, double want, double bound)
{
    if (isnan(got))
        return 0;
    if (isinf(got))
        return fabs(want) + bound > FLT_MAX && (got > 0) == (want > 0);
    return fabs(got - want) <= bound;
}

/* Whether a group's saved statistics are the forward's (recomputed from x
 * as the call saw it) and inside the accuracy promise of DESIGN §4.6:
 * finite, and |mean|/std <= 1e4 (RMSNorm has no mean to cancel). */
static int bw_group_promised(const call *c, const float *x0, const float *mean0,
                             const float *rstd0, size_t gi)
{
    const bw_stats s = bw_group_stats(c, x0, gi);
    if (mean0 && bits_of(mean0[gi]) != bits_of(s.mean))
        return 0;
    if (bits_of(rstd0[gi]) != bits_of(s.rstd))
        return 0;
    if (!isfinite(s.mean) || !isfinite(s.rstd))
        return 0;
    return c->u.bwd.kind == BW_RMS || fabs(s.m) <= 1e4 * s.sd;
}

/* The float64 reference (API.md "Backward", the formulas in the terms of the
 * saved statistics the call got):
 *   xhat = (x - mean) * rstd, g = dy * gamma, a = avg(g), b = avg(g * xhat)
 *   dx = rstd * (g - a - xhat * b)   (RMSNorm: no a, mean 0; BatchNorm with
 *   fixed statistics: g * rstd), dgamma = sum dy * xhat, dbeta = sum dy.
 * Everywhere: NaNs canonical, NaN where the reference is NaN. Where DESIGN
 * promises accuracy (finite inputs, the forward's statistics with |mean|/std
 * <= 1e4, every term of the formula within float range - x - mean included,
 * which xhat's two float roundings need; the summed terms g, g*xhat, dy,
 * dy*xhat within BW_TERM_MAX):
 *   |dx - ref| <= 1e-5 * max|ref| over the group + 2^-20 * rstd * (|g| +
 *       avg|g| + |xhat| * avg|g * xhat|) (+ a subnormal floor). The second
 *       term is 16 roundings of the element's own terms: where they cancel
 *       (e.g. LayerNorm over 2 columns, whose gradient is 0 up to the
 *       rounding of the statistics) no float computation does better, and
 *       1e-5 of max|ref| alone would fail every implementation;
 *   |dgamma - ref| <= 1e-5 * sum |dy * xhat|, |dbeta - ref| <= 1e-5 * sum |dy|
 *       (+ a subnormal floor); an empty sum is exactly 0.
 * The subnormal floors: a value of the formula (g, xhat, rstd*avg(g)) that
 * is subnormal in float is off by up to 2^-150, absolute; times what
 * multiplies it (rstd, dy, rstd*avg(g*xhat)), and 2^-140 for that. The
 * sums' float rounds add each term dy*xhat with one rounding (fma), which
 * below FLT_MIN is up to 2^-150 absolute: dgamma gets 2^-149 per term on top
 * (a GroupNorm instance over 5304 terms of ~1e-44 was off by 1.7e-42). */
static void check_bwd(const call *c, const float *const *before)
{
    const bw_ptrs p = bw_pointers(c);
    const size_t groups = bw_groups(c), len = bw_len(c), feats = bw_features(c);
    const int kind = c->u.bwd.kind;
    const int fixed = kind == BW_BN && c->u.bwd.training == 0;
    if (bw_is_gn(c) && (c->u.bwd.c == 0 || c->u.bwd.n == 0)) {
        for (size_t f = 0; f < feats; f++)
            if ((p.dg && p.dg[f] != 0.0f) || (p.db && p.db[f] != 0.0f))
                FAIL("%s n 0: dgamma/dbeta[%zu] = %g/%g, not 0", c->name, f,
                     p.dg ? p.dg[f] : 0.0f, p.db ? p.db[f] : 0.0f);
        return;
    }
    if (!bw_dense(c) && c->u.bwd.rows == 0) {
        for (size_t f = 0; f < feats; f++)
            if ((p.dg && p.dg[f] != 0.0f) || (p.db && p.db[f] != 0.0f))
                FAIL("%s rows 0: dgamma/dbeta[%zu] = %g/%g, not 0", c->name, f,
                     p.dg ? p.dg[f] : 0.0f, p.db ? p.db[f] : 0.0f);
        return;
    }
    if (bw_is_bn(c) && len == 0) {
        for (size_t f = 0; f < feats; f++)
            if ((p.dg && p.dg[f] != 0.0f) || (p.db && p.db[f] != 0.0f))
                FAIL("%s n*spatial 0: dgamma/dbeta[%zu] = %g/%g, not 0", c->name, f,
                     p.dg ? p.dg[f] : 0.0f, p.db ? p.db[f] : 0.0f);
        return;
    }
    if (groups == 0) /* BatchNorm c == 0: a no-op (n*spatial may be huge) */
        return;
    /* inputs as the call saw them (in place, dy is now dx) */
    const float *dy0 = initial(before, p.dy), *x0 = initial(before, p.x);
    const float *g0 = p.g ? initial(before, p.g) : NULL;
    const float *mean0 = p.mean ? initial(before, p.mean) : NULL;
    const float *rstd0 = initial(before, p.rstd);
    unsigned char *promised = calloc(groups ? groups : 1, 1);
    double *ref = malloc((len ? len : 1) * sizeof(double));
    /* BatchNorm and GroupNorm: the channels' sums of dy and dy*xhat */
    double *cs1 = calloc(feats ? feats : 1, sizeof(double));
    double *cs2 = calloc(feats ? feats : 1, sizeof(double));
    if (!promised || !ref || !cs1 || !cs2)
        FAIL("out of memory");
    for (size_t gi = 0; gi < groups; gi++) {
        promised[gi] = !c->u.bwd.raw && bw_group_promised(c, x0, mean0, rstd0, gi);
        if (!p.dx)
            continue;
        const double mean = mean0 ? mean0[gi] : 0.0, rstd = rstd0[gi];
        int finite = isfinite(mean) && isfinite(rstd);
        double a = 0, b = 0, abs_g = 0, abs_gx = 0;
        for (size_t k = 0; k < len; k++) {
            const bw_at at = bw_index(c, gi, k, p.dxs);
            const double gam = g0 ? g0[at.f] : 1.0;
            const double g = dy0[at.dy] * gam, xh = (x0[at.x] - mean) * rstd;
            finite &= isfinite(dy0[at.dy]) && isfinite(x0[at.x]) && isfinite(gam);
            a += g;
            b += g * xh;
            cs1[at.f] += dy0[at.dy];
            cs2[at.f] += dy0[at.dy] * xh;
            abs_g += fabs(g);
            abs_gx += fabs(g * xh);
        }
        /* BatchNorm and GroupNorm apply gamma to the channels' sums (PyTorch's
         * association, README "Backward"): a = sum_c gamma_c * sum dy / len,
         * b = sum_c gamma_c * sum dy*xhat / len, in channel order. For finite
         * gamma the same value as the element-wise sums; an infinite gamma_c
         * gives +-Inf where dy*gamma_c summed element by element may be NaN. */
        double a1 = 0, b1 = 0; /* BatchNorm: avg dy, avg dy*xhat */
        if (kind == BW_BN || kind == BW_GN) {
            const size_t nf = kind == BW_GN ? c->u.bwd.c / c->u.bwd.groups : 1;
            const size_t f0 = kind == BW_GN ? gi % c->u.bwd.groups * nf : gi;
            a1 = cs1[f0] / (double)len;
            b1 = cs2[f0] / (double)len;
            a = b = 0;
            for (size_t f = f0; f < f0 + nf; f++) {
                const double gam = g0 ? g0[f] : 1.0;
                a += gam * cs1[f];
                b += gam * cs2[f];
                cs1[f] = cs2[f] = 0;
            }
        }
        a /= (double)len;
        b /= (double)len;
        abs_g /= (double)len;
        abs_gx /= (double)len;
        if (kind == BW_RMS)
            a = 0;
        double max_ref = 0, max_xh = 0;
        int in_range = fixed || (fabs(a) <= FLT_MAX && fabs(b) <= FLT_MAX);
        for (size_t k = 0; k < len; k++) {
            const bw_at at = bw_index(c, gi, k, p.dxs);
            const double gam = g0 ? g0[at.f] : 1.0;
            const double g = dy0[at.dy] * gam, xh = (x0[at.x] - mean) * rstd;
            /* the library's association: BatchNorm rstd*gamma*(dy - avg dy -
             * xhat*avg dy*xhat), the others rstd*(g - a - xhat*b) */
            ref[k] = fixed             ? g * rstd
                     : kind == BW_BN ? rstd * gam * (dy0[at.dy] - a1 - xh * b1)
                                     : rstd * (g - a - xh * b);
            max_ref = fmax(max_ref, fabs(ref[k]));
            max_xh = fmax(max_xh, fabs(xh));
            if (fixed) {
                in_range &= fabs(g) <= BW_TERM_MAX;
                continue;
            }
            in_range &= fabs(x0[at.x] - mean) <= FLT_MAX;
            const double terms = fabs(g) + abs_g + fabs(xh) * abs_gx;
            in_range &= fabs(g) <= BW_TERM_MAX && fabs(xh) <= FLT_MAX &&
                        fabs(g * xh) <= BW_TERM_MAX && fabs(xh * b) <= FLT_MAX &&
                        rstd * terms <= FLT_MAX;
            /* BatchNorm and GroupNorm sum dy and dy*xhat per channel and
             * apply the channel's gamma in double afterwards: their float
             * rounds' terms are those (README "Backward", the limits) */
            if (kind == BW_BN || kind == BW_GN)
                in_range &= fabs(dy0[at.dy]) <= BW_TERM_MAX &&
                            fabs(dy0[at.dy] * xh) <= BW_TERM_MAX;
        }
        const int check = finite && in_range && promised[gi];
        for (size_t k = 0; k < len; k++) {
            const bw_at at = bw_index(c, gi, k, p.dxs);
            const float got = p.dx[at.dx];
            check_nan_canonical("dx", got);
            if (isnan(ref[k]) && !isnan(got))
                FAIL("%s group %zu element %zu: dx %g where the float64 formula gives NaN "
                     "(dy %g x %g mean %g rstd %g)", c->name, gi, k, got, dy0[at.dy], x0[at.x],
                     mean, rstd);
            if (!check)
                continue;
            const double gam = g0 ? g0[at.f] : 1.0;
            const double g = dy0[at.dy] * gam, xh = (x0[at.x] - mean) * rstd;
            const double terms = fixed ? fabs(g) : fabs(g) + abs_g + fabs(xh) * abs_gx;
            const double bound = 1e-5 * max_ref + 0x1p-20 * rstd * terms +
                                 0x1p-140 * (1.0 + rstd * (1.0 + max_xh + abs_g + abs_gx));
            if (!within(got, ref[k], bound))
                FAIL("%s group %zu of %zu elements, element %zu (mean %.9g rstd %.9g, dy %.9g "
                     "x %.9g gamma %.9g): dx %.9g, reference %.17g, bound %.3g (max |ref| %.3g)",
                     c->name, gi, len, k, mean, rstd, dy0[at.dy], x0[at.x], gam, got, ref[k],
                     bound, max_ref);
        }
    }
    free(ref);
    free(cs1);
    free(cs2);
    /* dgamma and dbeta: feature f sums over the groups (rows), is its own
     * group (a BatchNorm channel), or (GroupNorm) sums its spatial elements
     * in the pairs of its group, over the samples */
    const size_t gpairs = bw_is_gn(c) ? c->u.bwd.groups : 1;
    const size_t cpg = bw_is_gn(c) ? c->u.bwd.c / c->u.bwd.groups : 1;
    for (size_t f = 0; f < feats && (p.dg || p.db); f++) {
        double sg = 0, sb = 0, ag = 0, ab = 0, adyr = 0, nterms = 0;
        int fin_g = 1, fin_b = 1, prom = 1;
        size_t g_lo = bw_is_bn(c) ? f : 0, g_hi = bw_is_bn(c) ? f + 1 : groups;
        size_t k_lo = bw_is_bn(c) ? 0 : f, k_hi = bw_is_bn(c) ? len : f + 1, g_step = 1;
        if (bw_is_gn(c)) { /* pairs i*groups + f/cpg, their elements of channel f */
            g_lo = f / cpg;
            g_hi = groups;
            g_step = gpairs;
            k_lo = 0;
            k_hi = c->u.bwd.spatial;
        }
        for (size_t gi = g_lo; gi < g_hi; gi += g_step) {
            const double mean = mean0 ? mean0[gi] : 0.0, rstd = rstd0[gi];
            prom &= promised[gi];
            for (size_t kk = k_lo; kk < k_hi; kk++) {
                /* GroupNorm: position kk of channel f in the pair */
                const size_t k = !bw_is_gn(c) ? kk
                                 : c->u.bwd.layout == SIMDNORM_NHWC ? kk * cpg + f % cpg
                                                                    : (f % cpg) * c->u.bwd.spatial + kk;
                const bw_at at = bw_index(c, gi, k, 0);
                const double dy = dy0[at.dy], t = dy * ((x0[at.x] - mean) * rstd);
                fin_b &= isfinite(dy) && fabs(dy) <= BW_TERM_MAX;
                fin_g &= isfinite(dy) && isfinite(x0[at.x]) && isfinite(mean) &&
                         isfinite(rstd) && fabs(t) <= BW_TERM_MAX &&
                         fabs(x0[at.x] - mean) <= FLT_MAX;
                sg += t;
                sb += dy;
                ag += fabs(t);
                ab += fabs(dy);
                adyr += fabs(dy) * (1.0 + fabs(rstd));
                nterms += 1;
            }
        }
        if (p.dg) {
            check_nan_canonical("dgamma", p.dg[f]);
            if (isnan(sg) && !isnan(p.dg[f]))
                FAIL("%s dgamma[%zu] %g where the float64 formula gives NaN", c->name, f,
                     p.dg[f]);
            if (fin_g && prom &&
                !within(p.dg[f], sg, 1e-5 * ag + 0x1p-140 * (1.0 + adyr) + 0x1p-149 * nterms))
                FAIL("%s dgamma[%zu] %.9g, reference %.17g (sum |terms| %.3g)", c->name, f,
                     p.dg[f], sg, ag);
        }
        if (p.db) {
            check_nan_canonical("dbeta", p.db[f]);
            if (isnan(sb) && !isnan(p.db[f]))
                FAIL("%s dbeta[%zu] %g where the float64 formula gives NaN", c->name, f,
                     p.db[f]);
            if (fin_b && !within(p.db[f], sb, 1e-5 * ab + 0x1p-140))
                FAIL("%s dbeta[%zu] %.9g, reference %.17g (sum |dy| %.3g)", c->name, f, p.db[f],
                     sb, ab);
        }
    }
    free(promised);
}

/* The call again on fresh copies of the inputs, each one float past an
 * allocation's start (another alignment, no aliasing between inputs), with
 * every output given, on another thread count (1, or 3 when the default is
 * 1; calls over 512 KiB use them): in place if the call was out of place (or
 * had no dx), out of place if it was in place; for BatchNorm with spatial ==
 * 1 also in the other layout. Every output the call had must come out with
 * the same bits. */
static void check_bwd_variants(const call *c)
{
    const bw_ptrs p = bw_pointers(c);
    const size_t groups = bw_groups(c), feats = bw_features(c);
    size_t dyn, xn;
    if (groups == 0 || bw_len(c) == 0)
        return; /* nothing computed (dgamma/dbeta zeroed: check_bwd) */
    if (bw_dense(c)) {
        dyn = xn = c->u.bwd.total;
    } else {
        dyn = extent(c->u.bwd.rows, c->u.bwd.cols, c->u.bwd.dys);
        xn = extent(c->u.bwd.rows, c->u.bwd.cols, c->u.bwd.xs);
    }
    for (int pass = 0; pass < 2; pass++) {
        simdnorm_layout layout = c->u.bwd.layout;
        const char *how = c->u.bwd.in_place ? "out of place, another alignment and thread count"
                                            : "in place, another alignment and thread count";
        if (pass == 1) {
            if (!bw_dense(c) || c->u.bwd.spatial != 1 || c->u.bwd.total == 0)
                break;
            layout = layout == SIMDNORM_NCHW ? SIMDNORM_NHWC : SIMDNORM_NCHW;
            how = "in the other layout (spatial 1)";
        }
        float *dy = shifted_copy(init_of(p.dy), dyn), *x = shifted_copy(init_of(p.x), xn);
        float *g = shifted_copy(init_of(p.g), feats);
        float *mean = shifted_copy(init_of(p.mean), groups);
        float *rstd = shifted_copy(init_of(p.rstd), groups);
        float *dxo = c->u.bwd.in_place ? xmalloc_floats(dyn + 1) : NULL;
        float *dg = xmalloc_floats(feats + 1), *db = xmalloc_floats(feats + 1);
#define SH(q) ((q) ? (q) + 1 : NULL)
        float *dx = dxo ? dxo + 1 : dy + 1; /* out of place: dx has dy's stride */
        const int threads = simdnorm_get_num_threads();
        if (simdnorm_set_num_threads(threads > 1 ? 1 : 3) != SIMDNORM_OK)
            FAIL("simdnorm_set_num_threads failed");
        simdnorm_status st;
        switch (c->u.bwd.kind) {
        case BW_LN:
            st = simdnorm_layer_norm_bwd_f32(c->u.bwd.rows, c->u.bwd.cols, dy + 1, c->u.bwd.dys,
                                             x + 1, c->u.bwd.xs, SH(g), SH(mean), SH(rstd), dx,
                                             c->u.bwd.dys, dg + 1, db + 1);
            break;
        case BW_RMS:
            st = simdnorm_rms_norm_bwd_f32(c->u.bwd.rows, c->u.bwd.cols, dy + 1, c->u.bwd.dys,
                                           x + 1, c->u.bwd.xs, SH(g), SH(rstd), dx, c->u.bwd.dys,
                                           dg + 1);
            break;
        case BW_GN:
            st = simdnorm_group_norm_bwd_f32(layout, c->u.bwd.n, c->u.bwd.c, c->u.bwd.spatial,
                                             c->u.bwd.groups, dy + 1, x + 1, SH(g), SH(mean),
                                             SH(rstd), dx, dg + 1, db + 1);
            break;
        default:
            st = simdnorm_batch_norm_bwd_f32(layout, c->u.bwd.n, c->u.bwd.c, c->u.bwd.spatial,
                                             dy + 1, x + 1, SH(g), SH(mean), SH(rstd),
                                             c->u.bwd.training, dx, dg + 1, db + 1);
            break;
        }
        simdnorm_set_num_threads(threads);
        if (st != SIMDNORM_OK)
            FAIL("%s %s: status %d", c->name, how, st);
        if (p.dx) {
            if (bw_dense(c)) {
                compare_floats(c, "dx", how, dx, p.dx, c->u.bwd.total);
            } else {
                for (size_t r = 0; r < c->u.bwd.rows; r++)
                    if (memcmp(dx + r * c->u.bwd.dys, p.dx + r * p.dxs,
                               c->u.bwd.cols * sizeof(float)) != 0)
                        FAIL("%s: dx row %zu differs %s", c->name, r, how);
            }
        }
        compare_floats(c, "dgamma", how, dg + 1, p.dg, feats);
        if (c->u.bwd.kind != BW_RMS)
            compare_floats(c, "dbeta", how, db + 1, p.db, feats);
#undef SH
        free(dy);
        free(x);
        free(g);
        free(mean);
        free(rstd);
        free(dxo);
        free(dg);
        free(db);
    }
}

/* Rows of a backward call: u8 v < 200: v % 9, else 9 + 37*(v - 200) (up to
 * 2044, past any block of rows a canonical dgamma order is likely to use);
 * rows shrink until each matrix spans at most 2^18 floats. */
static size_t bw_rows_for(unsigned v) { return v < 200 ? v % 9 : 9 + 37 * (size_t)(v - 200); }

static const int bw_training_table[8] = {0, 1, -1, 2, INT_MIN, INT_MAX, 256, 0};

/* Add the buffers (inputs dy, x, gamma, mean, rstd; outputs dx, dgamma,
 * dbeta) and read the arena offsets. dyn/xn/dxn: their lengths in floats. */
static void bw_add_bufs(call *c, reader *r, unsigned flags, size_t dyn, size_t xn, size_t dxn)
{
    const int rms = c->u.bwd.kind == BW_RMS;
    const size_t feats = bw_features(c), groups = bw_groups(c);
    c->u.bwd.in_place = (flags & BW_IN_PLACE) != 0;
    c->u.bwd.raw = (flags & BW_RAW_STATS) != 0;
    c->arena = (flags & BW_ARENA) != 0;
    c->u.bwd.dy = add_buf(c, dyn, 0);
    c->u.bwd.x = add_buf(c, xn, 0);
    c->u.bwd.g = (flags & BW_GAMMA) ? add_buf(c, feats, 0) : -1;
    /* mean and rstd are inputs: data (or the forward's statistics) */
    c->u.bwd.mean = rms ? -1 : add_buf(c, groups, 0);
    c->u.bwd.rstd = add_buf(c, groups, 0);
    c->u.bwd.dx = (flags & BW_DX) && !c->u.bwd.in_place ? add_buf(c, dxn, 1) : -1;
    c->u.bwd.dg = (flags & BW_DGAMMA) ? add_buf(c, feats, 1) : -1;
    c->u.bwd.db = (flags & BW_DBETA) && !rms ? add_buf(c, feats, 1) : -1;
    if (c->arena) {
        size_t total = 0;
        for (int i = 0; i < c->nb; i++)
            total += c->b[i].len;
        const int order[8] = {c->u.bwd.dy, c->u.bwd.x, c->u.bwd.g, c->u.bwd.mean,
                              c->u.bwd.rstd, c->u.bwd.dx, c->u.bwd.dg, c->u.bwd.db};
        for (int i = 0; i < 8; i++) {
            const size_t off = take_u16(r) % (total + 1);
            if (order[i] >= 0)
                c->b[order[i]].offset = off;
        }
    }
}

static void bw_common(call *c, int kind, const char *name)
{
    c->name = name;
    c->model = model_bwd;
    c->invoke = invoke_bwd;
    c->mark_outputs = mark_bwd;
    c->check_ok = check_bwd;
    c->check_variants = check_bwd_variants;
    c->prepare = prepare_bwd;
    c->u.bwd.kind = kind;
}

/* LayerNorm/RMSNorm backward, after the op byte: u8 rows (bw_rows_for), u16
 * cols (as the forward's), u8 dy, x, dx stride modes (stride_for), u8 flags
 * (BW_*), u8 fault (% 16, BW_DY_NULL...; 2 is none for RMSNorm), u8 eps
 * (eps_for; of the statistics prepare_bwd writes), 8 x u16 arena offsets when
 * BW_ARENA (dy, x, gamma, mean, rstd, dx, dgamma, dbeta), then the data. */
static void decode_rows_bwd(call *c, reader *r, int rms)
{
    bw_common(c, rms ? BW_RMS : BW_LN, rms ? "simdnorm_rms_norm_bwd_f32"
                                           : "simdnorm_layer_norm_bwd_f32");
    size_t rows = bw_rows_for(take_u8(r));
    const unsigned cv = take_u16(r);
    const size_t cols = (cv & 0x8000) ? (cv & 0x1fff) : cv % 130;
    const size_t dys = stride_for(take_u8(r), cols), xs = stride_for(take_u8(r), cols);
    const size_t dxs = stride_for(take_u8(r), cols);
    const unsigned flags = take_u8(r);
    c->u.bwd.fault = (int)(take_u8(r) % 16);
    if (c->u.bwd.fault >= BW_HUGE || (rms && c->u.bwd.fault == BW_MEAN_NULL))
        c->u.bwd.fault = -1;
    c->u.bwd.eps = eps_for(take_u8(r), r);
    /* at most 2^18 floats a matrix (huge strides overflow and get no memory) */
    size_t smax = 1;
    const size_t strides[3] = {dys, xs, dxs};
    for (int i = 0; i < 3; i++)
        if (strides[i] < ((size_t)1 << 20) && strides[i] > smax)
            smax = strides[i];
    if (rows > 1 && rows * smax > ((size_t)1 << 18))
        rows = ((size_t)1 << 18) / smax;
    c->u.bwd.rows = rows;
    c->u.bwd.cols = cols;
    c->u.bwd.dys = dys;
    c->u.bwd.xs = xs;
    c->u.bwd.dxs = (flags & BW_IN_PLACE) ? dys : dxs;
    const size_t dyn = rows ? extent(rows, cols, dys) : 0;
    const size_t xn = rows ? extent(rows, cols, xs) : 0;
    const size_t dxn = rows ? extent(rows, cols, dxs) : 0;
    bw_add_bufs(c, r, flags, dyn, xn, dxn);
}

static void decode_layer_norm_bwd(call *c, reader *r) { decode_rows_bwd(c, r, 0); }
static void decode_rms_norm_bwd(call *c, reader *r) { decode_rows_bwd(c, r, 1); }

/* BatchNorm backward, after the op byte: u8 layout (as the forward's), u8 n
 * (v < 200: v % 5, else 5 + 5*(v - 200)), u8 c and u16 spatial (as the
 * forward's), u8 flags (BW_*), u8 fault (% 16, BW_DY_NULL...), u8 eps, u8
 * training (% 8 into 0, 1, -1, 2, INT_MIN, INT_MAX, 256, 0), 8 x u16 arena
 * offsets when BW_ARENA, then the data. n*c*spatial is capped (c shrinks) at
 * 2^17 floats. */
static void decode_batch_norm_bwd(call *c, reader *r)
{
    bw_common(c, BW_BN, "simdnorm_batch_norm_bwd_f32");
    const unsigned lv = take_u8(r);
    const unsigned nv = take_u8(r);
    const size_t n = nv < 200 ? nv % 5 : 5 + 5 * (size_t)(nv - 200);
    const unsigned cv = take_u8(r);
    size_t nc = cv < 192 ? cv % 24 : 24 + 5 * (size_t)(cv - 192);
    const unsigned sv = take_u16(r);
    size_t sp = (sv & 0x8000) ? (sv & 0x1fff) : sv % 40;
    const unsigned flags = take_u8(r);
    const int fault = (int)(take_u8(r) % 16);
    c->u.bwd.layout = lv >= 248 ? (simdnorm_layout)(2 + lv % 4) : (simdnorm_layout)(lv & 1);
    c->u.bwd.eps = eps_for(take_u8(r), r);
    c->u.bwd.training = bw_training_table[take_u8(r) % 8];
    c->u.bwd.fault = fault <= BW_HUGE_MAX ? fault : -1;
    size_t tot;
    if (fault == BW_HUGE || fault == BW_HUGE_MAX) {
        const size_t nn = n ? n : 1, cc = nc ? nc : 1;
        sp = fault == BW_HUGE_MAX ? SIZE_MAX : (size_t)PTRDIFF_MAX / sizeof(float) / nn / cc + 1;
        tot = 0;
    } else {
        if (n * sp * nc > ((size_t)1 << 17))
            nc = ((size_t)1 << 17) / (n * sp);
        tot = n * sp * nc;
    }
    c->u.bwd.n = n;
    c->u.bwd.c = nc;
    c->u.bwd.spatial = sp;
    c->u.bwd.total = tot;
    bw_add_bufs(c, r, flags, tot, tot, tot);
}

/* GroupNorm backward, after the op byte: u8 layout, u8 n, u8 c, u16 spatial
 * (as BatchNorm's backward), u8 groups (gn_groups_for, after c is capped),
 * u8 flags (BW_*), u8 fault (% 16, BW_DY_NULL...), u8 eps, 8 x u16 arena
 * offsets when BW_ARENA, then the data. n*c*spatial is capped (c shrinks)
 * at 2^17 floats. */
static void decode_group_norm_bwd(call *c, reader *r)
{
    bw_common(c, BW_GN, "simdnorm_group_norm_bwd_f32");
    const unsigned lv = take_u8(r);
    const unsigned nv = take_u8(r);
    const size_t n = nv < 200 ? nv % 5 : 5 + 5 * (size_t)(nv - 200);
    const unsigned cv = take_u8(r);
    size_t nc = cv < 192 ? cv % 24 : 24 + 5 * (size_t)(cv - 192);
    const unsigned sv = take_u16(r);
    size_t sp = (sv & 0x8000) ? (sv & 0x1fff) : sv % 40;
    const unsigned gv = take_u8(r);
    const unsigned flags = take_u8(r);
    const int fault = (int)(take_u8(r) % 16);
    c->u.bwd.layout = lv >= 248 ? (simdnorm_layout)(2 + lv % 4) : (simdnorm_layout)(lv & 1);
    c->u.bwd.eps = eps_for(take_u8(r), r);
    c->u.bwd.training = 1;
    c->u.bwd.fault = fault <= BW_HUGE_MAX ? fault : -1;
    size_t tot;
    if (fault == BW_HUGE || fault == BW_HUGE_MAX) {
        const size_t nn = n ? n : 1, cc = nc ? nc : 1;
        sp = fault == BW_HUGE_MAX ? SIZE_MAX : (size_t)PTRDIFF_MAX / sizeof(float) / nn / cc + 1;
        tot = 0;
    } else {
        if (n * sp * nc > ((size_t)1 << 17))
            nc = ((size_t)1 << 17) / (n * sp);
        tot = n * sp * nc;
    }
    c->u.bwd.n = n;
    c->u.bwd.c = nc;
    c->u.bwd.groups = gn_groups_for(gv, nc);
    c->u.bwd.spatial = sp;
    c->u.bwd.total = tot;
    bw_add_bufs(c, r, flags, tot, tot, tot);
}

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

/* ---- the 16-bit storage twins (direct) ----------------------------------------
 * One twin call (LayerNorm, RMSNorm, their _ex forms, the activation, the
 * LayerNorm/RMSNorm backward; bf16 or f16) on every ISA, checked against its
 * float32 function on an analogous call: every 16-bit tensor lies in one
 * arena of 16-bit elements at fuzzed element offsets (so they may overlap),
 * the float tensors (gamma, beta, bias, mean, rstd, dgamma, dbeta) in a float
 * arena; the analogous call has a float arena with the 16-bit arena widened
 * at the same element offsets (the same overlaps) and the same float arena.
 *  - the twin's status equals the float32 function's;
 *  - on an error no byte of either arena changed;
 *  - on OK every 16-bit element is the float32 call's result narrowed where
 *    that call changed it, else unchanged, and the float arena is the float32
 *    call's bit for bit;
 *  - status and both arenas are equal on every ISA.
 * Layout: u8 kind % 7, u8 storage, u8 rows % 7, u16 cols (bit 15: % 9000,
 * else % 300), u8 x/y stride modes (cols + v % 4; >= 250: cols - 1), u8
 * flags, u8 act, u8 eps (eps_for), 6 x u8 element offsets / 4 (x, y, r, h
 * and the in-place/overlap choices), u32 seed, u8 data mode.
 * The channel norms' twins: storage bit 7 set makes the kind 7 + kind % 5 -
 * 7 BatchNorm training (_ex: the activation; HF_RES: running statistics),
 * 8 inference (_ex), 9 backward (HF_RES: batch statistics), 10 GroupNorm,
 * 11 its backward (groups 1 + act % 4, which may not divide c) - with
 * (n, c, spatial) = (rows, cols, 1 + x stride mode % 4) and the layout
 * from the y stride mode's bit 0; dense tensors, the same offsets and
 * flags (HF_NULL: x NULL; HF_IN_PLACE: y on x, dx on dy). */
enum { HF_GAMMA = 1, HF_BETA = 2, HF_STATS = 4, HF_RES = 8, HF_BIAS = 16, HF_H = 32,
       HF_IN_PLACE = 64, HF_NULL = 128 };

static uint16_t hf_narrow(int s, float v)
{
    const uint32_t b = bits_of(v);
    if (s == 1) {
        if ((b & 0x7fffffffu) > 0x7f800000u)
            return 0x7fc0;
        return (uint16_t)((b + 0x7fffu + ((b >> 16) & 1u)) >> 16);
    }
    /* binary16 by the FP unit: (_Float16) is not everywhere; the value
     * rounded to 11 bits by scaling (exact for the grid; ties to even) */
    const uint16_t sign = (uint16_t)((b >> 16) & 0x8000u);
    const uint32_t a = b & 0x7fffffffu;
    if (a > 0x7f800000u)
        return 0x7e00;
    if (a >= 0x477ff000u)
        return (uint16_t)(sign | 0x7c00u);
    if (a == 0)
        return sign;
    const float f = from_bits(a);
    int e;
    frexpf(f, &e); /* f = m * 2^e, 0.5 <= m < 1 */
    const int q = e - 11 < -24 ? -24 : e - 11; /* the binary16 quantum exponent */
    const float units = nearbyintf(ldexpf(f, -q)); /* canonical FP state: nearest even */
    const uint32_t u = (uint32_t)units;            /* units of 2^q */
    if (q == -24)
        return (uint16_t)(sign | u); /* subnormal (or the smallest normal at 1024) */
    const uint32_t exp16 = (uint32_t)(q + 25) + (u >> 11); /* u in [1024, 2048] */
    const uint32_t man = u >= 2048 ? 0 : u - 1024;
    return (uint16_t)(sign | exp16 << 10 | man);
}
static float hf_widen(int s, uint16_t h)
{
    if (s == 1)
        return (h & 0x7fffu) > 0x7f80u ? from_bits(0x7fc00000u) : from_bits((uint32_t)h << 16);
    const int e = (h >> 10) & 0x1f, m = h & 0x3ff;
    const float sign = (h & 0x8000u) ? -1.0f : 1.0f;
    if (e == 31)
        return m ? from_bits(0x7fc00000u) : sign * INFINITY;
    return sign * (e ? ldexpf((float)(1024 + m), e - 25) : ldexpf((float)m, -24));
}

typedef struct hf_call {
    int kind, s, act;
    size_t rows, cols, xs, ys, n;
    unsigned flags;
    float eps;
    size_t ox, oy, or_, oh; /* element offsets in the 16-bit arena */
    size_t h16;             /* its elements */
    size_t sp, groups;      /* the channel kinds (7-11): spatial, GroupNorm's groups */
    simdnorm_layout layout;
} hf_call;

static simdnorm_status hf_invoke_channels(const hf_call *h, int half, void *arena16, float *fa,
                                          size_t vec);

/* float arena slots (each cols or rows floats; disjoint) */
enum { HF_G, HF_B, HF_BIASV, HF_MEAN, HF_RSTD, HF_DG, HF_DB, HF_NSLOT };

static simdnorm_status hf_invoke(const hf_call *h, int half, void *arena16, float *fa, size_t vec)
{
    if (h->kind >= 7)
        return hf_invoke_channels(h, half, arena16, fa, vec);
    const size_t cols = h->cols, rows = h->rows;
    float *slot[HF_NSLOT];
    for (int i = 0; i < HF_NSLOT; i++)
        slot[i] = fa + (size_t)i * (cols > rows ? cols : rows);
    const float *g = h->flags & HF_GAMMA ? slot[HF_G] : NULL, *b = h->flags & HF_BETA ? slot[HF_B] : NULL;
    float *mean = h->flags & HF_STATS ? slot[HF_MEAN] : NULL, *rstd = h->flags & HF_STATS ? slot[HF_RSTD] : NULL;
    const int inpl = (h->flags & HF_IN_PLACE) != 0;
    uint16_t *a16 = arena16;
    float *a32 = arena16;
#define HP(o) (half ? (void *)(a16 + (o)) : (void *)(a32 + (o)))
    void *x = h->flags & HF_NULL ? NULL : HP(h->ox);
    void *y = inpl ? HP(h->ox) : HP(h->oy);
    const size_t ys = inpl ? h->xs : h->ys;
    void *res = h->flags & HF_RES ? HP(h->or_) : NULL, *hh = h->flags & HF_H ? HP(h->oh) : NULL;
    const float *bias = h->flags & HF_BIAS ? slot[HF_BIASV] : NULL;
    const simdnorm_activation act = (simdnorm_activation)h->act;
    switch (h->kind) {
    case 0:
    case 1:
        if (!half)
            return h->kind ? simdnorm_rms_norm_f32(rows, cols, x, h->xs, g, h->eps, y, ys, rstd)
                           : simdnorm_layer_norm_f32(rows, cols, x, h->xs, g, b, h->eps, y, ys, mean, rstd);
        if (h->s == 1)
            return h->kind ? simdnorm_rms_norm_bf16(rows, cols, x, h->xs, g, h->eps, y, ys, rstd)
                           : simdnorm_layer_norm_bf16(rows, cols, x, h->xs, g, b, h->eps, y, ys, mean, rstd);
        return h->kind ? simdnorm_rms_norm_f16(rows, cols, x, h->xs, g, h->eps, y, ys, rstd)
                       : simdnorm_layer_norm_f16(rows, cols, x, h->xs, g, b, h->eps, y, ys, mean, rstd);
    case 2:
    case 3: {
        const int rms = h->kind == 3;
        if (!half) {
            const simdnorm_norm_options o = {res, h->xs, bias, act, hh, h->ys};
            return rms ? simdnorm_rms_norm_ex_f32(rows, cols, x, h->xs, g, h->eps, y, ys, rstd, &o)
                       : simdnorm_layer_norm_ex_f32(rows, cols, x, h->xs, g, b, h->eps, y, ys, mean, rstd, &o);
        }
        if (h->s == 1) {
            const simdnorm_norm_options_bf16 o = {res, h->xs, bias, act, hh, h->ys};
            return rms ? simdnorm_rms_norm_ex_bf16(rows, cols, x, h->xs, g, h->eps, y, ys, rstd, &o)
                       : simdnorm_layer_norm_ex_bf16(rows, cols, x, h->xs, g, b, h->eps, y, ys, mean, rstd, &o);
        }
        const simdnorm_norm_options_f16 o = {res, h->xs, bias, act, hh, h->ys};
        return rms ? simdnorm_rms_norm_ex_f16(rows, cols, x, h->xs, g, h->eps, y, ys, rstd, &o)
                   : simdnorm_layer_norm_ex_f16(rows, cols, x, h->xs, g, b, h->eps, y, ys, mean, rstd, &o);
    }
    case 4: {
        const size_t n = rows * cols;
        if (!half)
            return simdnorm_activate_f32(n, x, act, y);
        return h->s == 1 ? simdnorm_activate_bf16(n, x, act, y) : simdnorm_activate_f16(n, x, act, y);
    }
    default: {
        /* backward: dy at the residual's place, dx at y's (in place: dx == dy) */
        const int rms = h->kind == 6;
        void *dy = HP(h->or_), *dx = inpl ? dy : (h->flags & HF_H ? NULL : y);
        const size_t dxs = inpl ? h->xs : ys;
        float *dg = h->flags & HF_BIAS ? slot[HF_DG] : NULL, *db = slot[HF_DB];
        const float *mn = slot[HF_MEAN], *rs = slot[HF_RSTD];
        if (!half)
            return rms ? simdnorm_rms_norm_bwd_f32(rows, cols, dy, h->xs, x, h->xs, g, rs, dx, dxs, dg)
                       : simdnorm_layer_norm_bwd_f32(rows, cols, dy, h->xs, x, h->xs, g, mn, rs, dx, dxs, dg, db);
        if (h->s == 1)
            return rms ? simdnorm_rms_norm_bwd_bf16(rows, cols, dy, h->xs, x, h->xs, g, rs, dx, dxs, dg)
                       : simdnorm_layer_norm_bwd_bf16(rows, cols, dy, h->xs, x, h->xs, g, mn, rs, dx, dxs, dg, db);
        return rms ? simdnorm_rms_norm_bwd_f16(rows, cols, dy, h->xs, x, h->xs, g, rs, dx, dxs, dg)
                   : simdnorm_layer_norm_bwd_f16(rows, cols, dy, h->xs, x, h->xs, g, mn, rs, dx, dxs, dg, db);
    }
    }
#undef HP
}

/* The channel kinds: float slots of vec floats each (c, or n*groups). */
static simdnorm_status hf_invoke_channels(const hf_call *h, int half, void *arena16, float *fa,
                                          size_t vec)
{
    const size_t n = h->rows, c = h->cols, sp = h->sp;
    float *slot[HF_NSLOT];
    for (int i = 0; i < HF_NSLOT; i++)
        slot[i] = fa + (size_t)i * vec;
    const float *g = h->flags & HF_GAMMA ? slot[HF_G] : NULL, *b = h->flags & HF_BETA ? slot[HF_B] : NULL;
    float *mean = h->flags & HF_STATS ? slot[HF_MEAN] : NULL, *rstd = h->flags & HF_STATS ? slot[HF_RSTD] : NULL;
    const int inpl = (h->flags & HF_IN_PLACE) != 0, flag_r = (h->flags & HF_RES) != 0;
    uint16_t *a16 = arena16;
    float *a32 = arena16;
#define HP(o) (half ? (void *)(a16 + (o)) : (void *)(a32 + (o)))
    void *x = h->flags & HF_NULL ? NULL : HP(h->ox);
    void *y = inpl ? HP(h->ox) : HP(h->oy);
    void *dy = HP(h->or_), *dx = inpl ? dy : y;
    const simdnorm_activation act = (simdnorm_activation)h->act;
    const simdnorm_layout L = h->layout;
    float *rm = flag_r ? slot[HF_DG] : NULL, *rv = flag_r ? slot[HF_DB] : NULL;
    float *dg = h->flags & HF_BIAS ? slot[HF_DG] : NULL, *db = slot[HF_DB];
    const float *mn = slot[HF_MEAN], *rs = slot[HF_RSTD];
    const simdnorm_norm_options o = {NULL, 0, NULL, act, NULL, 0};
    const simdnorm_norm_options_bf16 ob = {NULL, 0, NULL, act, NULL, 0};
    const simdnorm_norm_options_f16 oh = {NULL, 0, NULL, act, NULL, 0};
    switch (h->kind) {
    case 7:
        if (!half)
            return simdnorm_batch_norm_train_ex_f32(L, n, c, sp, x, g, b, h->eps, 0.25f, rm, rv, y,
                                                    mean, rstd, &o);
        return h->s == 1 ? simdnorm_batch_norm_train_ex_bf16(L, n, c, sp, x, g, b, h->eps, 0.25f, rm,
                                                             rv, y, mean, rstd, &ob)
                         : simdnorm_batch_norm_train_ex_f16(L, n, c, sp, x, g, b, h->eps, 0.25f, rm,
                                                            rv, y, mean, rstd, &oh);
    case 8:
        if (!half)
            return simdnorm_batch_norm_infer_ex_f32(L, n, c, sp, x, g, b, mn, rs, h->eps, y, &o);
        return h->s == 1 ? simdnorm_batch_norm_infer_ex_bf16(L, n, c, sp, x, g, b, mn, rs, h->eps, y, &ob)
                         : simdnorm_batch_norm_infer_ex_f16(L, n, c, sp, x, g, b, mn, rs, h->eps, y, &oh);
    case 9:
        if (!half)
            return simdnorm_batch_norm_bwd_f32(L, n, c, sp, dy, x, g, mn, rs, flag_r, dx, dg, db);
        return h->s == 1 ? simdnorm_batch_norm_bwd_bf16(L, n, c, sp, dy, x, g, mn, rs, flag_r, dx, dg, db)
                         : simdnorm_batch_norm_bwd_f16(L, n, c, sp, dy, x, g, mn, rs, flag_r, dx, dg, db);
    case 10:
        if (!half)
            return simdnorm_group_norm_f32(L, n, c, sp, h->groups, x, g, b, h->eps, y, mean, rstd);
        return h->s == 1 ? simdnorm_group_norm_bf16(L, n, c, sp, h->groups, x, g, b, h->eps, y, mean, rstd)
                         : simdnorm_group_norm_f16(L, n, c, sp, h->groups, x, g, b, h->eps, y, mean, rstd);
    default:
        if (!half)
            return simdnorm_group_norm_bwd_f32(L, n, c, sp, h->groups, dy, x, g, mn, rs, dx, dg, db);
        return h->s == 1
                   ? simdnorm_group_norm_bwd_bf16(L, n, c, sp, h->groups, dy, x, g, mn, rs, dx, dg, db)
                   : simdnorm_group_norm_bwd_f16(L, n, c, sp, h->groups, dy, x, g, mn, rs, dx, dg, db);
    }
#undef HP
}

static void fuzz_half(reader *r)
{
    hf_call h;
    memset(&h, 0, sizeof h);
    const unsigned kv = take_u8(r), sv = take_u8(r);
    h.kind = sv & 0x80 ? 7 + (int)(kv % 5) : (int)(kv % 7);
    h.s = 1 + (int)(sv % 2);
    h.rows = take_u8(r) % 7;
    const unsigned cv = take_u16(r);
    h.cols = (cv & 0x8000) ? (cv & 0x7fff) % 9000 : cv % 300;
    const unsigned xsv = take_u8(r), ysv = take_u8(r);
    h.xs = xsv >= 250 && h.cols ? h.cols - 1 : h.cols + xsv % 4;
    h.ys = ysv >= 250 && h.cols ? h.cols - 1 : h.cols + ysv % 4;
    h.flags = take_u8(r);
    h.act = (int)(take_u8(r) % 6); /* 5: an invalid activation */
    h.eps = eps_for(take_u8(r), r);
    size_t span = h.rows ? (h.rows - 1) * (h.xs > h.ys ? h.xs : h.ys) + h.cols : 0;
    if (h.kind >= 7) { /* dense (n, c, spatial) */
        h.sp = 1 + xsv % 4;
        h.layout = ysv & 1 ? SIMDNORM_NHWC : SIMDNORM_NCHW;
        h.groups = 1 + (size_t)h.act % 4;
        span = h.rows * h.cols * h.sp;
    }
    /* offsets: separate places, or (u8 >= 200) inside another tensor */
    size_t off[4];
    for (int i = 0; i < 4; i++) {
        const unsigned v = take_u8(r);
        off[i] = v >= 200 ? (size_t)(v - 200) % (span + 1) : (size_t)i * (span + 8) + v % 4;
    }
    h.ox = off[0];
    h.oy = off[1];
    h.or_ = off[2];
    h.oh = off[3];
    h.h16 = 4 * (span + 8) + span + 64;
    /* float slots: cols or rows floats; the channel kinds' n*groups <= 4*rows */
    const size_t vec = (h.cols > 4 * h.rows ? h.cols : 4 * h.rows) + 1;
    uint64_t seed = take_u32(r) | 1;
    const unsigned mode = take_u8(r) % 3;
    uint16_t *a16 = malloc(h.h16 * 2), *first16 = malloc(h.h16 * 2), *init16 = malloc(h.h16 * 2);
    float *a32 = malloc(h.h16 * 4), *init32 = malloc(h.h16 * 4);
    float *fa = malloc(HF_NSLOT * vec * 4), *fa_init = malloc(HF_NSLOT * vec * 4),
          *fa_first = malloc(HF_NSLOT * vec * 4), *fa32 = malloc(HF_NSLOT * vec * 4);
    if (!a16 || !first16 || !init16 || !a32 || !init32 || !fa || !fa_init || !fa_first || !fa32)
        FAIL("out of memory");
    for (size_t i = 0; i < h.h16; i++) {
        const double v = mode == 0 ? rng_normal(&seed) * 3.0 + 1.0
                         : mode == 1 ? rng_normal(&seed) * ldexp(1.0, (int)(rng_next(&seed) % 60) - 30)
                                     : 0.0;
        init16[i] = mode == 2 ? (uint16_t)rng_next(&seed) : hf_narrow(h.s, (float)v);
    }
    for (size_t i = 0; i < HF_NSLOT * vec; i++)
        fa_init[i] = (float)(rng_normal(&seed) * 0.5 + 1.0); /* rstd, gamma: positive-ish */
    /* the float32 analogue: the widened arena, the same float arena */
    for (size_t i = 0; i < h.h16; i++)
        init32[i] = hf_widen(h.s, init16[i]);
    memcpy(a32, init32, h.h16 * 4);
    memcpy(fa32, fa_init, HF_NSLOT * vec * 4);
    const simdnorm_status want = hf_invoke(&h, 0, a32, fa32, vec);
    simdnorm_status first = SIMDNORM_OK;
    for (int k = 0; k < n_isas; k++) {
        memcpy(a16, init16, h.h16 * 2);
        memcpy(fa, fa_init, HF_NSLOT * vec * 4);
        if (simdnorm_set_isa(isas[k]) != SIMDNORM_OK)
            FAIL("cannot select %s", simdnorm_isa_name(isas[k]));
        const simdnorm_status st = hf_invoke(&h, 1, a16, fa, vec);
        const char *isa = simdnorm_isa_name(isas[k]);
        if (st != want)
            FAIL("half kind %d storage %d on %s: status %d, the float32 function's %d", h.kind, h.s,
                 isa, st, want);
        if (k == 0) {
            first = st;
            memcpy(first16, a16, h.h16 * 2);
            memcpy(fa_first, fa, HF_NSLOT * vec * 4);
        } else if (memcmp(first16, a16, h.h16 * 2) != 0 || memcmp(fa_first, fa, HF_NSLOT * vec * 4) != 0) {
            FAIL("half kind %d storage %d: memory differs on %s and %s", h.kind, h.s, isa,
                 simdnorm_isa_name(isas[0]));
        }
    }
    if (verbose < 0)
        verbose = getenv("FUZZ_NORMS_VERBOSE") != NULL;
    if (verbose)
        printf("  half kind %d storage %d %zux%zu: %s\n", h.kind, h.s, h.rows, h.cols,
               simdnorm_status_str(first));
    if (first != SIMDNORM_OK) {
        if (memcmp(first16, init16, h.h16 * 2) != 0 || memcmp(fa_first, fa_init, HF_NSLOT * vec * 4) != 0)
            FAIL("half kind %d storage %d: status %d but memory changed", h.kind, h.s, first);
    } else {
        for (size_t i = 0; i < h.h16; i++) {
            const int changed = bits_of(a32[i]) != bits_of(init32[i]);
            const uint16_t expect = changed ? hf_narrow(h.s, a32[i]) : init16[i];
            if (first16[i] != expect &&
                !(isnan(a32[i]) && first16[i] == (h.s == 1 ? 0x7fc0 : 0x7e00)))
                FAIL("half kind %d storage %d %zux%zu: element %zu is %04x, the float32 call "
                     "gives %08x (narrowed %04x, before %04x)", h.kind, h.s, h.rows, h.cols, i,
                     first16[i], bits_of(a32[i]), hf_narrow(h.s, a32[i]), init16[i]);
        }
        for (size_t i = 0; i < HF_NSLOT * vec; i++)
            if (bits_of(fa_first[i]) != bits_of(fa32[i]))
                FAIL("half kind %d storage %d: float output %zu is %08x, the float32 call's %08x",
                     h.kind, h.s, i, bits_of(fa_first[i]), bits_of(fa32[i]));
    }
    free(a16);
    free(first16);
    free(init16);
    free(a32);
    free(init32);
    free(fa);
    free(fa_init);
    free(fa_first);
    free(fa32);
}

/* ---- the mergeable moments (op 11) ------------------------------------------
 * Input: u8 layout (bit 0: NHWC), u8 n % 40, u8 c % 24, u16 spatial % 300,
 * u8 flags (MO_*), u8 eps (eps_for), u8 momentum (momentum_for), u8 data
 * mode, u32 seed, then (u16 index, u32 float bits) patches to the end.
 * On every ISA, from the same x:
 *  - simdnorm_batch_norm_moments_f32 is OK, count n*spatial, the same bits
 *    on every ISA, NaNs canonical, and (finite x) mean and M2 near the
 *    float64 reference;
 *  - API.md's promise: the moments of samples [0, 2^k) merged with those of
 *    the next m <= 2^k samples are bit for bit the moments of the whole
 *    (k the largest with 2^k < n); a side with count 0 is the identity;
 *  - train_from_moments(x, moments(x)) returns the status and writes the
 *    bits of simdnorm_batch_norm_train_f32(x) (n*spatial >= 2; see below). */
enum { MO_GAMMA = 1, MO_BETA = 2, MO_RUNNING = 4, MO_STATS = 8 };

typedef struct mo_out {
    float *y, *rm, *rv, *sm, *sr;
} mo_out;

static simdnorm_status mo_train(int from, simdnorm_layout l, size_t n, size_t c, size_t sp,
                                const float *x, const simdnorm_moments *m, const float *g,
                                const float *b, float eps, float mom, unsigned flags,
                                const mo_out *o)
{
    float *rm = flags & MO_RUNNING ? o->rm : NULL, *rv = flags & MO_RUNNING ? o->rv : NULL;
    float *sm = flags & MO_STATS ? o->sm : NULL, *sr = flags & MO_STATS ? o->sr : NULL;
    return from ? simdnorm_batch_norm_train_from_moments_f32(l, n, c, sp, x, m, g, b, eps, mom, rm,
                                                             rv, o->y, sm, sr)
                : simdnorm_batch_norm_train_f32(l, n, c, sp, x, g, b, eps, mom, rm, rv, o->y, sm,
                                                sr);
}

static int same_bits(const void *a, const void *b, size_t bytes) { return memcmp(a, b, bytes) == 0; }

static void fuzz_moments(reader *r)
{
    const simdnorm_layout l = take_u8(r) & 1 ? SIMDNORM_NHWC : SIMDNORM_NCHW;
    const size_t n = take_u8(r) % 40, c = take_u8(r) % 24 + 1, sp = take_u16(r) % 300;
    const unsigned flags = take_u8(r);
    const float eps = eps_for(take_u8(r), r), mom = momentum_for(take_u8(r), r);
    const unsigned mode = take_u8(r) % 3;
    uint64_t seed = take_u32(r) | 1;
    const size_t len = n * c * sp, per = c * sp; /* floats of x, of one sample */
    float *x = xmalloc_floats(len + 1), *g = xmalloc_floats(c), *b = xmalloc_floats(c);
    const double off = rng_normal(&seed) * (mode == 1 ? 1e4 : 2.0);
    for (size_t i = 0; i < len; i++)
        x[i] = mode == 2 ? (float)(rng_normal(&seed) * ldexp(1.0, (int)(rng_next(&seed) % 40) - 20))
                         : (float)(off + rng_normal(&seed) * 3.0);
    for (size_t j = 0; j < c; j++) {
        g[j] = (float)(rng_normal(&seed) * 0.5 + 1.0);
        b[j] = (float)rng_normal(&seed);
    }
    while (r->n >= 6 && len) { /* patches: NaN, Inf, huge values where the input says */
        const size_t at = take_u16(r) % len;
        x[at] = from_bits(take_u32(r));
    }
    simdnorm_moments *m0 = malloc(c * sizeof *m0), *m = malloc(c * sizeof *m),
                     *ma = malloc(c * sizeof *ma), *mb = malloc(c * sizeof *mb);
    mo_out o[2];
    for (int k = 0; k < 2; k++) {
        o[k].y = xmalloc_floats(len + 1);
        o[k].rm = xmalloc_floats(c);
        o[k].rv = xmalloc_floats(c);
        o[k].sm = xmalloc_floats(c);
        o[k].sr = xmalloc_floats(c);
    }
    if (!m0 || !m || !ma || !mb)
        FAIL("out of memory");
    const float *gp = flags & MO_GAMMA ? g : NULL, *bp = flags & MO_BETA ? b : NULL;
    for (int k = 0; k < n_isas; k++) {
        if (simdnorm_set_isa(isas[k]) != SIMDNORM_OK)
            FAIL("cannot select %s", simdnorm_isa_name(isas[k]));
        const char *isa = simdnorm_isa_name(isas[k]);
        simdnorm_status st = simdnorm_batch_norm_moments_f32(l, n, c, sp, x, m);
        if (st != SIMDNORM_OK)
            FAIL("moments %zu,%zu,%zu on %s: status %d", n, c, sp, isa, st);
        for (size_t j = 0; j < c; j++) {
            if (m[j].count != (double)(n * sp))
                FAIL("moments on %s: channel %zu count %g, want %zu", isa, j, m[j].count, n * sp);
            static const uint64_t canon = 0x7ff8000000000000ull; /* internal.h */
            if ((isnan(m[j].mean) && !same_bits(&m[j].mean, &canon, 8)) ||
                (isnan(m[j].m2) && !same_bits(&m[j].m2, &canon, 8)))
                FAIL("moments on %s: channel %zu NaN not canonical", isa, j);
        }
        if (k == 0)
            memcpy(m0, m, c * sizeof *m);
        else if (!same_bits(m, m0, c * sizeof *m))
            FAIL("moments %zu,%zu,%zu: %s differs from %s", n, c, sp, isa,
                 simdnorm_isa_name(isas[0]));
        /* the tree's node: [0, 2^k) then the rest (at most 2^k samples) */
        if (n >= 2) {
            size_t h = 1;
            while (2 * h < n)
                h *= 2;
            const size_t fa = h * per; /* a sample is contiguous in both layouts */
            if (simdnorm_batch_norm_moments_f32(l, h, c, sp, x, ma) != SIMDNORM_OK ||
                simdnorm_batch_norm_moments_f32(l, n - h, c, sp, x + fa, mb) != SIMDNORM_OK ||
                simdnorm_moments_merge(c, ma, mb, ma) != SIMDNORM_OK)
                FAIL("moments of the halves on %s: an error", isa);
            if (!same_bits(ma, m, c * sizeof *m))
                FAIL("moments %zu,%zu,%zu on %s: [0,%zu) merged with [%zu,%zu) differs from the "
                     "whole's", n, c, sp, isa, h, h, n);
        }
        /* the empty side is the identity, exactly */
        memset(mb, 0, c * sizeof *mb);
        if (simdnorm_moments_merge(c, m, mb, ma) != SIMDNORM_OK || !same_bits(ma, m, c * sizeof *m) ||
            simdnorm_moments_merge(c, mb, m, ma) != SIMDNORM_OK || !same_bits(ma, m, c * sizeof *m))
            FAIL("moments on %s: merging an empty side changed the bits", isa);
        /* train_from_moments(x, moments(x)) == train(x); from n*spatial >= 2:
         * with one value per channel train refuses (SIMDNORM_ERR_SHAPE,
         * PyTorch's rule) where train_from_moments takes a count of 1
         * without running statistics (API.md), by design */
        if (n * sp >= 2) {
            for (int t = 0; t < 2; t++) {
                for (size_t i = 0; i <= len; i++)
                    o[t].y[i] = from_bits(SENTINEL);
                for (size_t j = 0; j < c; j++) {
                    o[t].rm[j] = (float)j * 0.25f;
                    o[t].rv[j] = 1.0f + (float)j;
                    o[t].sm[j] = o[t].sr[j] = from_bits(SENTINEL);
                }
            }
            const simdnorm_status s0 = mo_train(0, l, n, c, sp, x, NULL, gp, bp, eps, mom, flags, &o[0]);
            const simdnorm_status s1 = mo_train(1, l, n, c, sp, x, m, gp, bp, eps, mom, flags, &o[1]);
            if (s0 != s1)
                FAIL("train %zu,%zu,%zu on %s: status %d, from its moments %d", n, c, sp, isa, s0, s1);
            if (!same_bits(o[0].y, o[1].y, (len + 1) * 4) || !same_bits(o[0].rm, o[1].rm, c * 4) ||
                !same_bits(o[0].rv, o[1].rv, c * 4) || !same_bits(o[0].sm, o[1].sm, c * 4) ||
                !same_bits(o[0].sr, o[1].sr, c * 4))
                FAIL("train %zu,%zu,%zu on %s (status %d): the outputs from its moments differ",
                     n, c, sp, isa, s0);
        }
    }
    /* the float64 reference, for finite x */
    for (size_t j = 0; j < c && n * sp != 0; j++) {
        double sum = 0.0, maxdev = 0.0, q = 0.0;
        int finite = 1;
        for (size_t i = 0; i < n; i++)
            for (size_t s = 0; s < sp; s++) {
                const float v = l == SIMDNORM_NHWC ? x[(i * sp + s) * c + j] : x[(i * c + j) * sp + s];
                finite &= isfinite(v);
                sum += v;
            }
        if (!finite)
            continue;
        const double mean = sum / (double)(n * sp);
        for (size_t i = 0; i < n; i++)
            for (size_t s = 0; s < sp; s++) {
                const double d =
                    (l == SIMDNORM_NHWC ? x[(i * sp + s) * c + j] : x[(i * c + j) * sp + s]) - mean;
                q += d * d;
                maxdev = fabs(d) > maxdev ? fabs(d) : maxdev;
            }
        if (!isfinite(q))
            continue;
        if (!(fabs(m0[j].mean - mean) <= 1e-4 * maxdev + 1e-12 * fabs(mean)) ||
            !(fabs(m0[j].m2 - q) <= 1e-4 * q + 1e-9 * (double)(n * sp) * maxdev * maxdev +
                                         (double)(n * sp) * 0x1p-140)) /* float squares of
                                         deviations below ~2^-75 round on the subnormal grid */
            FAIL("moments %zu,%zu,%zu channel %zu: mean %.17g m2 %.17g, float64 %.17g %.17g", n,
                 c, sp, j, m0[j].mean, m0[j].m2, mean, q);
    }
    for (int k = 0; k < 2; k++) {
        free(o[k].y);
        free(o[k].rm);
        free(o[k].rv);
        free(o[k].sm);
        free(o[k].sr);
    }
    free(x);
    free(g);
    free(b);
    free(m0);
    free(m);
    free(ma);
    free(mb);
}

static const op ops[] = {
    {"layer_norm_f32", decode_layer_norm, NULL},
    {"rms_norm_f32", decode_rms_norm, NULL},
    {"isa_control", NULL, fuzz_isa_control},
    {"batch_norm_train_f32", decode_batch_norm_train, NULL},
    {"batch_norm_infer_f32", decode_batch_norm_infer, NULL},
    {"layer_norm_bwd_f32", decode_layer_norm_bwd, NULL},
    {"rms_norm_bwd_f32", decode_rms_norm_bwd, NULL},
    {"batch_norm_bwd_f32", decode_batch_norm_bwd, NULL},
    {"group_norm_f32", decode_group_norm, NULL},
    {"group_norm_bwd_f32", decode_group_norm_bwd, NULL},
    {"half_twins", NULL, fuzz_half},
    {"moments", NULL, fuzz_moments},
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
