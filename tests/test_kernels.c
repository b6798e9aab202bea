/* test_kernels.c - every kernel of every ISA this CPU runs, called directly
 * (as dav1d's checkasm does) and compared bit for bit with the scalar
 * kernel: the double sums of the reductions too, on wide-range data where
 * any change of summation order or of fused vs unfused arithmetic shows;
 * the activation epilogues and the residual add likewise. */
#include "common.h"
#include "internal.h"

/* Floats spread over 2^-40 .. 2^40 with random signs: double sums of these
 * are inexact, so the order of accumulation decides their last bits. */
static void fill_wide(float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(rng_normal() * ldexp(1.0, (int)(rng_u64() % 81) - 40));
}

static uint64_t dbits(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

static const size_t extra_lengths[] = {511, 512, 513, 4096, 4097, 100003};

static size_t length_at(size_t i) /* 1..300, then the extra lengths */
{
    return i < 300 ? i + 1 : extra_lengths[i - 300];
}
#define N_LENGTHS (300 + sizeof extra_lengths / sizeof *extra_lengths)

/* The reductions of one span: fast and exact moments, fast and exact sums
 * of squares (which: 0..3), bitwise against scalar; the in-order fast forms
 * (4, 5) bitwise against scalar's interleaved ones. */
static void reduction_case(const simdnorm_kernels *k, const simdnorm_kernels *ref, int which)
{
    static const char *const names[6] = {"moments",     "moments_exact", "sumsq",
                                         "sumsq_exact", "moments_seq",   "sumsq_seq"};
    for (size_t li = 0; li < N_LENGTHS; li++) {
        const size_t n = length_at(li);
        rng_seed(1000 + n);
        guarded_buf xb = guarded(n);
        fill_wide(xb.p, n);
        const float shift = xb.p[n / 2];
        double got[2] = {0, 0}, want[2] = {0, 0};
        switch (which) {
        case 0:
            k->f32_moments(n, xb.p, shift, got);
            ref->f32_moments(n, xb.p, shift, want);
            break;
        case 1:
            k->f32_moments_exact(n, xb.p, shift, got);
            ref->f32_moments_exact(n, xb.p, shift, want);
            break;
        case 2:
            got[0] = k->f32_sumsq(n, xb.p);
            want[0] = ref->f32_sumsq(n, xb.p);
            break;
        case 3:
            got[0] = k->f32_sumsq_exact(n, xb.p);
            want[0] = ref->f32_sumsq_exact(n, xb.p);
            break;
        case 4: /* the in-order form: f32_moments' bits */
            k->f32_moments_seq(n, xb.p, shift, got);
            ref->f32_moments(n, xb.p, shift, want);
            break;
        default:
            got[0] = k->f32_sumsq_seq(n, xb.p);
            want[0] = ref->f32_sumsq(n, xb.p);
            break;
        }
        CHECK(dbits(got[0]) == dbits(want[0]) && dbits(got[1]) == dbits(want[1]),
              "n %zu: %s (%.17g, %.17g), scalar (%.17g, %.17g)", n, names[which], got[0], got[1],
              want[0], want[1]);
        guarded_free(xb);
    }
}

static void case_f32_moments(const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    reduction_case(k, ref, 0);
}
static void case_f32_moments_exact(const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    reduction_case(k, ref, 1);
}
static void case_f32_sumsq(const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    reduction_case(k, ref, 2);
}
static void case_f32_sumsq_exact(const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    reduction_case(k, ref, 3);
}
static void case_f32_moments_seq(const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    reduction_case(k, ref, 4);
}
static void case_f32_sumsq_seq(const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    reduction_case(k, ref, 5);
}

/* The batched reductions (f32_moments_rows, f32_sumsq_rows): every row count
 * up to 20 and short and long rows, row stride larger than the row, each
 * row bitwise what scalar's one-row kernel gives, and nothing written past
 * the last row's result (sentinels). which: 0 moments, 1 sumsq. */
static void rows_case(const simdnorm_kernels *k, const simdnorm_kernels *ref, int which)
{
    static const size_t lens[] = {1, 2, 7, 8, 9, 31, 32, 33, 64, 100, 255, 256, 257, 768, 1000};
    for (size_t li = 0; li < sizeof lens / sizeof *lens; li++)
        for (size_t rows = 1; rows <= 20; rows++) {
            const size_t n = lens[li], stride = n + 3;
            rng_seed(3000 + n * 31 + rows);
            guarded_buf xb = guarded((rows - 1) * stride + n);
            fill_wide(xb.p, (rows - 1) * stride + n);
            float shift[20];
            double s1[21], s2[21];
            for (size_t r = 0; r < rows; r++)
                shift[r] = xb.p[r * stride + n / 2];
            s1[rows] = s2[rows] = -1.0;
            if (which == 0)
                k->f32_moments_rows(rows, n, xb.p, stride, shift, s1, s2);
            else
                k->f32_sumsq_rows(rows, n, xb.p, stride, s1);
            for (size_t r = 0; r < rows; r++) {
                double want[2] = {0, 0};
                if (which == 0)
                    ref->f32_moments(n, xb.p + r * stride, shift[r], want);
                else
                    want[0] = ref->f32_sumsq(n, xb.p + r * stride);
                CHECK(dbits(s1[r]) == dbits(want[0]) &&
                          (which || dbits(s2[r]) == dbits(want[1])),
                      "n %zu rows %zu row %zu: %s_rows differs from scalar's one-row kernel", n,
                      rows, r, which ? "sumsq" : "moments");
            }
            CHECK(s1[rows] == -1.0 && s2[rows] == -1.0, "n %zu rows %zu: written past the end", n,
                  rows);
            guarded_free(xb);
        }
}

static void case_f32_moments_rows(const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    rows_case(k, ref, 0);
}
static void case_f32_sumsq_rows(const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    rows_case(k, ref, 1);
}

static void case_normalize(const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    for (size_t li = 0; li < N_LENGTHS; li++) {
        const size_t n = length_at(li);
        rng_seed(2000 + n);
        guarded_buf xb = guarded(n), gb = guarded(n), bb = guarded(n);
        guarded_buf y1 = guarded(n), y2 = guarded(n), pb = guarded(n);
        fill_wide(xb.p, n);
        fill_wide(gb.p, n);
        fill_wide(bb.p, n);
        fill_wide(pb.p, n); /* the prefetch hint's span: values of its own */
        if (n > 10) { /* NaN and Inf inputs: canonical NaN out, on every ISA */
            xb.p[3] = NAN;
            gb.p[5] = INFINITY;
            bb.p[7] = from_bits(0xff800001u);
        }
        const float shift = (float)rng_normal(), scale = (float)(rng_unif() + 0.5);
        const float offset = (float)(rng_normal() * 1e-3);
        for (int v = 0; v < 4; v++) {
            const float *g = v & 1 ? gb.p : NULL, *b = v & 2 ? bb.p : NULL;
            k->f32_normalize(n, xb.p, shift, scale, offset, g, b, 0, y1.p, NULL);
            ref->f32_normalize(n, xb.p, shift, scale, offset, g, b, 0, y2.p, NULL);
            CHECK(memcmp(y1.p, y2.p, n * sizeof(float)) == 0,
                  "n %zu variant %d: y differs from scalar", n, v);
            for (size_t i = 0; i < n; i++)
                if (isnan(y1.p[i]))
                    CHECK(fbits(y1.p[i]) == SIMDNORM_CANONICAL_NAN_BITS, "non-canonical NaN");
            /* a prefetch hint (a span of other values) changes no bit */
            k->f32_normalize(n, xb.p, shift, scale, offset, g, b, 0, y2.p, pb.p);
            CHECK(memcmp(y1.p, y2.p, n * sizeof(float)) == 0, "n %zu: with pf differs", n);
            /* in place: the same bits */
            memcpy(y2.p, xb.p, n * sizeof(float));
            k->f32_normalize(n, y2.p, shift, scale, offset, g, b, 0, y2.p, pb.p);
            CHECK(memcmp(y1.p, y2.p, n * sizeof(float)) == 0, "n %zu: in place differs", n);
            /* the streaming variant: the same bits, out of place and in place */
            k->f32_normalize_stream(n, xb.p, shift, scale, offset, g, b, 0, y2.p, pb.p);
            CHECK(memcmp(y1.p, y2.p, n * sizeof(float)) == 0,
                  "n %zu variant %d: stream kernel differs", n, v);
            memcpy(y2.p, xb.p, n * sizeof(float));
            k->f32_normalize_stream(n, y2.p, shift, scale, offset, g, b, 0, y2.p, NULL);
            CHECK(memcmp(y1.p, y2.p, n * sizeof(float)) == 0,
                  "n %zu variant %d: stream kernel in place differs", n, v);
        }
        guarded_free(xb);
        guarded_free(gb);
        guarded_free(bb);
        guarded_free(y1);
        guarded_free(y2);
        guarded_free(pb);
    }
}

/* ---- channel kernels (BatchNorm NHWC) ----------------------------------- */

static const size_t chan_rows[] = {1, 2, 3, 5, 31, 32, 33, 64, 100};
static const size_t wide_channels[] = {100, 127, 128, 129, 255, 256, 257, 300, 513, 1000};

/* Calls fn(rows, channels, stride) over narrow channels 1..70 with every row
 * count above, and wide channels with a few row counts; stride is channels
 * or a little more. */
static void for_channel_shapes(void (*fn)(const simdnorm_kernels *, const simdnorm_kernels *,
                                          size_t, size_t, size_t),
                               const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    for (size_t ch = 1; ch <= 70; ch++)
        for (size_t ri = 0; ri < sizeof chan_rows / sizeof *chan_rows; ri++)
            fn(k, ref, chan_rows[ri], ch, ch + (ri % 3 == 2 ? ch % 5 + 1 : 0));
    for (size_t wi = 0; wi < sizeof wide_channels / sizeof *wide_channels; wi++) {
        const size_t ch = wide_channels[wi];
        fn(k, ref, 1, ch, ch);
        fn(k, ref, 7, ch, ch + 3);
        fn(k, ref, 40, ch, ch);
    }
    fn(k, ref, 4096, 17, 17); /* a whole block */
    /* rows 4 KiB apart (float; 16-bit: 2048): taken in memory order */
    fn(k, ref, 20, 100, 1024);
    fn(k, ref, 20, 100, 2048);
    fn(k, ref, 20, 100, 1000); /* one row apart within a tile */
    fn(k, ref, 20, 100, 512);  /* two rows apart */
}

static int same_double(double a, double b)
{
    return (isnan(a) && isnan(b)) || dbits(a) == dbits(b);
}

/* groups blocks of [rows, ch] at group_stride apart (the kernel's contract),
 * bitwise against scalar and against the contract's chains written out. */
static void channel_moments_groups(const simdnorm_kernels *k, const simdnorm_kernels *ref,
                                   size_t rows, size_t ch, size_t stride, size_t groups,
                                   size_t gstride)
{
    const size_t len = (groups - 1) * gstride + (rows - 1) * stride + ch;
    rng_seed(3000 + rows * 7919 + ch * 31 + stride + groups * 101);
    guarded_buf xb = guarded(len);
    fill_wide(xb.p, len);
    if (rows >= 3 && ch >= 5) { /* NaN and Inf stay in their channels */
        xb.p[1 * stride + 2] = NAN;
        xb.p[2 * stride + 4] = -INFINITY;
    }
    /* s1/s2 end at guard pages: a write past groups*ch-1 faults */
    const size_t nout = groups * ch;
    guarded_buf g1 = guarded(2 * nout), g2 = guarded(2 * nout);
    guarded_buf r1 = guarded(2 * nout), r2 = guarded(2 * nout);
    double *s1 = (double *)(void *)g1.p, *s2 = (double *)(void *)g2.p;
    double *w1 = (double *)(void *)r1.p, *w2 = (double *)(void *)r2.p;
    k->f32_channel_moments(rows, ch, xb.p, stride, groups, gstride, s1, s2);
    ref->f32_channel_moments(rows, ch, xb.p, stride, groups, gstride, w1, w2);
    size_t bad = 0, bad_formula = 0;
    for (size_t g = 0; g < groups; g++)
        for (size_t c = 0; c < ch; c++) {
            const size_t o = g * ch + c;
            if (!same_double(s1[o], w1[o]) || !same_double(s2[o], w2[o]))
                bad++;
            /* the contract, written out: one chain per channel and block */
            const float *xg = xb.p + g * gstride;
            double a = 0.0, q = 0.0;
            for (size_t r = 0; r < rows; r++) {
                const double d = (double)xg[r * stride + c] - (double)xg[c];
                a = a + d;
                q = fma(d, d, q);
            }
            if (!same_double(a, w1[o]) || !same_double(q, w2[o]))
                bad_formula++;
        }
    CHECK(bad == 0, "rows %zu channels %zu stride %zu groups %zu: %zu sums differ from scalar",
          rows, ch, stride, groups, bad);
    CHECK(bad_formula == 0, "rows %zu channels %zu groups %zu: scalar kernel is not the "
          "contract's chain", rows, ch, groups);
    if (rows >= 3 && ch >= 5) {
        CHECK(isnan(s1[2]) && isnan(s2[2]) && !isfinite(s1[4]) && isfinite(s1[3]) &&
                  isfinite(s1[0]) && isfinite(s2[1]),
              "rows %zu channels %zu: NaN/Inf did not stay in their channels", rows, ch);
    }
    guarded_free(xb);
    guarded_free(g1);
    guarded_free(g2);
    guarded_free(r1);
    guarded_free(r2);
}

static void channel_moments_shape(const simdnorm_kernels *k, const simdnorm_kernels *ref,
                                  size_t rows, size_t ch, size_t stride)
{
    channel_moments_groups(k, ref, rows, ch, stride, 1, 0);
}

static void case_channel_moments(const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    for_channel_shapes(channel_moments_shape, k, ref);
    /* several blocks per call: few channels (blocks in lanes) and more */
    static const size_t groups[] = {2, 3, 5, 9, 64, 70};
    for (size_t ch = 1; ch <= 9; ch++)
        for (size_t gi = 0; gi < sizeof groups / sizeof *groups; gi++) {
            const size_t rows = 1 + (ch * 13 + gi * 7) % 40, stride = ch + gi % 2;
            const size_t gstride = rows * stride + (gi % 3) * 5; /* blocks apart or not */
            channel_moments_groups(k, ref, rows, ch, stride, groups[gi], gstride);
        }
    channel_moments_groups(k, ref, 100, 1, 1, 3, 100); /* adjacent blocks, as NHWC c = 1 */
    channel_moments_groups(k, ref, 33, 3, 3, 4, 99);
}

static void normalize_channels_shape(const simdnorm_kernels *k, const simdnorm_kernels *ref,
                                     size_t rows, size_t ch, size_t stride)
{
    const size_t len = (rows - 1) * stride + ch;
    rng_seed(4000 + rows * 7919 + ch * 31 + stride);
    guarded_buf xb = guarded(len), y1 = guarded(len), y2 = guarded(len);
    guarded_buf shb = guarded(ch), scb = guarded(ch), ofb = guarded(ch);
    fill_wide(xb.p, len);
    for (size_t c = 0; c < ch; c++) {
        shb.p[c] = (float)rng_normal();
        scb.p[c] = (float)(rng_unif() + 0.5);
        ofb.p[c] = (float)(rng_normal() * 1e-3);
    }
    if (ch >= 8) { /* NaN/Inf inputs and parameters: canonical NaN out */
        xb.p[3] = NAN;
        shb.p[5] = INFINITY;
        scb.p[6] = from_bits(0xff800001u);
        ofb.p[7] = -INFINITY;
    }
    for (size_t i = 0; i < len; i++)
        y1.p[i] = y2.p[i] = from_bits(SENTINEL_BITS);
    k->f32_normalize_channels(rows, ch, xb.p, stride, shb.p, scb.p, ofb.p, 0, y1.p);
    ref->f32_normalize_channels(rows, ch, xb.p, stride, shb.p, scb.p, ofb.p, 0, y2.p);
    CHECK(memcmp(y1.p, y2.p, len * sizeof(float)) == 0,
          "rows %zu channels %zu stride %zu: y differs from scalar", rows, ch, stride);
    size_t bad = 0, gaps = 0;
    for (size_t i = 0; i < len; i++) {
        const size_t c = i % stride;
        if (c >= ch) { /* between rows: untouched */
            gaps += fbits(y1.p[i]) != SENTINEL_BITS;
            continue;
        }
        float want = fmaf(xb.p[i] - shb.p[c], scb.p[c], ofb.p[c]);
        if (isnan(want))
            want = from_bits(SIMDNORM_CANONICAL_NAN_BITS);
        bad += fbits(y2.p[i]) != fbits(want) || fbits(y1.p[i]) != fbits(want);
    }
    CHECK(bad == 0, "rows %zu channels %zu: %zu values are not the contract's", rows, ch, bad);
    CHECK(gaps == 0, "rows %zu channels %zu stride %zu: %zu floats between rows written", rows,
          ch, stride, gaps);
    /* in place: the same bits */
    memcpy(y2.p, xb.p, len * sizeof(float));
    k->f32_normalize_channels(rows, ch, y2.p, stride, shb.p, scb.p, ofb.p, 0, y2.p);
    for (size_t i = 0; i < len; i++)
        if (i % stride >= ch)
            y2.p[i] = from_bits(SENTINEL_BITS);
    CHECK(memcmp(y1.p, y2.p, len * sizeof(float)) == 0,
          "rows %zu channels %zu: in place differs", rows, ch);
    /* the streaming variant: the same bits, gaps untouched, in place too */
    for (size_t i = 0; i < len; i++)
        y2.p[i] = from_bits(SENTINEL_BITS);
    k->f32_normalize_channels_stream(rows, ch, xb.p, stride, shb.p, scb.p, ofb.p, 0, y2.p);
    CHECK(memcmp(y1.p, y2.p, len * sizeof(float)) == 0,
          "rows %zu channels %zu stride %zu: stream kernel differs", rows, ch, stride);
    memcpy(y2.p, xb.p, len * sizeof(float));
    k->f32_normalize_channels_stream(rows, ch, y2.p, stride, shb.p, scb.p, ofb.p, 0, y2.p);
    for (size_t i = 0; i < len; i++)
        if (i % stride >= ch)
            y2.p[i] = from_bits(SENTINEL_BITS);
    CHECK(memcmp(y1.p, y2.p, len * sizeof(float)) == 0,
          "rows %zu channels %zu: stream kernel in place differs", rows, ch);
    guarded_buf bufs[] = {xb, y1, y2, shb, scb, ofb};
    for (size_t i = 0; i < 6; i++)
        guarded_free(bufs[i]);
}

static void case_normalize_channels(const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    for_channel_shapes(normalize_channels_shape, k, ref);
}

/* ---- the fused epilogue: activations and the residual add ------------- */

static const int acts[] = {SIMDNORM_ACT_RELU, SIMDNORM_ACT_GELU_ERF, SIMDNORM_ACT_GELU_TANH,
                           SIMDNORM_ACT_SILU};
#define N_ACTS (sizeof acts / sizeof *acts)

/* Inputs of an activation: mostly where the curves bend (|v| < 12), some
 * over a wide exponent range, and the special values every ISA must agree
 * on (signed zeros, subnormals, huge, Inf, NaN). */
static void fill_act(float *x, size_t n)
{
    static const float special[] = {0.0f, -0.0f, 1e-45f, -1e-45f, 1e-39f, -3e-39f,
                                    FLT_MIN, -FLT_MIN, 1e-7f, -1e-7f, 0.5f, -0.5f,
                                    3.9f, -3.9f, 9.1f, -9.1f, 87.5f, -87.5f, 89.0f, -89.0f,
                                    104.0f, -104.0f, 1e10f, -1e10f, 2e19f, -2e19f,
                                    FLT_MAX, -FLT_MAX, INFINITY, -INFINITY, NAN};
    const size_t ns = sizeof special / sizeof *special;
    for (size_t i = 0; i < n; i++) {
        const uint64_t u = rng_u64();
        if (u % 16 == 0)
            x[i] = special[(u >> 8) % ns];
        else if (u % 16 == 1)
            x[i] = (float)(rng_normal() * ldexp(1.0, (int)((u >> 8) % 81) - 40));
        else
            x[i] = (float)(rng_normal() * 4.0);
    }
    if (n > 2)
        x[n - 1] = from_bits(0xffc12345u); /* a NaN with sign and payload */
}

static const size_t act_lengths[] = {511, 512, 513, 4097};

static size_t act_length_at(size_t i) /* 1..100, then the act lengths */
{
    return i < 100 ? i + 1 : act_lengths[i - 100];
}
#define N_ACT_LENGTHS (100 + sizeof act_lengths / sizeof *act_lengths)

static size_t count_noncanonical_nans(const float *y, size_t n)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += isnan(y[i]) && fbits(y[i]) != SIMDNORM_CANONICAL_NAN_BITS;
    return bad;
}

/* f32_normalize with each activation: bitwise against scalar, out of place,
 * in place and streaming, every gamma/beta variant. */
static void case_normalize_act(const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    for (size_t li = 0; li < N_ACT_LENGTHS; li++) {
        const size_t n = act_length_at(li);
        rng_seed(5000 + n);
        guarded_buf xb = guarded(n), gb = guarded(n), bb = guarded(n);
        guarded_buf y1 = guarded(n), y2 = guarded(n), pb = guarded(n);
        fill_act(xb.p, n);
        fill_act(pb.p, n); /* the prefetch hint's span */
        for (size_t i = 0; i < n; i++) {
            gb.p[i] = (float)(0.5 + rng_unif());
            bb.p[i] = (float)rng_normal();
        }
        const float shift = (float)(rng_normal() * 0.1), scale = (float)(rng_unif() + 0.5);
        const float offset = (float)(rng_normal() * 1e-3);
        for (size_t a = 0; a < N_ACTS; a++)
            for (int v = 0; v < 4; v++) {
                const float *g = v & 1 ? gb.p : NULL, *b = v & 2 ? bb.p : NULL;
                k->f32_normalize(n, xb.p, shift, scale, offset, g, b, acts[a], y1.p, NULL);
                ref->f32_normalize(n, xb.p, shift, scale, offset, g, b, acts[a], y2.p, NULL);
                CHECK(memcmp(y1.p, y2.p, n * sizeof(float)) == 0,
                      "n %zu act %d variant %d: y differs from scalar", n, acts[a], v);
                CHECK(count_noncanonical_nans(y1.p, n) == 0, "non-canonical NaN");
                memcpy(y2.p, xb.p, n * sizeof(float));
                k->f32_normalize(n, y2.p, shift, scale, offset, g, b, acts[a], y2.p, pb.p);
                CHECK(memcmp(y1.p, y2.p, n * sizeof(float)) == 0,
                      "n %zu act %d: in place differs", n, acts[a]);
                k->f32_normalize_stream(n, xb.p, shift, scale, offset, g, b, acts[a], y2.p, pb.p);
                CHECK(memcmp(y1.p, y2.p, n * sizeof(float)) == 0,
                      "n %zu act %d variant %d: stream kernel differs", n, acts[a], v);
            }
        guarded_buf bufs[] = {xb, gb, bb, y1, y2, pb};
        for (size_t i = 0; i < 6; i++)
            guarded_free(bufs[i]);
    }
}

/* f32_normalize_channels with each activation, on fewer shapes than the
 * plain kernel (the scalar reference evaluates one element at a time). */
static void case_normalize_channels_act(const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    static const size_t chans[] = {1, 3, 8, 15, 16, 17, 33, 64, 70, 129, 257};
    static const size_t rows_[] = {1, 3, 33};
    for (size_t ci = 0; ci < sizeof chans / sizeof *chans; ci++)
        for (size_t ri = 0; ri < sizeof rows_ / sizeof *rows_; ri++) {
            const size_t ch = chans[ci], rows = rows_[ri], stride = ch + ri;
            const size_t len = (rows - 1) * stride + ch;
            rng_seed(6000 + ch * 31 + rows);
            guarded_buf xb = guarded(len), y1 = guarded(len), y2 = guarded(len);
            guarded_buf shb = guarded(ch), scb = guarded(ch), ofb = guarded(ch);
            fill_act(xb.p, len);
            for (size_t c = 0; c < ch; c++) {
                shb.p[c] = (float)(rng_normal() * 0.1);
                scb.p[c] = (float)(rng_unif() + 0.5);
                ofb.p[c] = (float)rng_normal();
            }
            for (size_t a = 0; a < N_ACTS; a++) {
                for (size_t i = 0; i < len; i++)
                    y1.p[i] = y2.p[i] = from_bits(SENTINEL_BITS);
                k->f32_normalize_channels(rows, ch, xb.p, stride, shb.p, scb.p, ofb.p, acts[a], y1.p);
                ref->f32_normalize_channels(rows, ch, xb.p, stride, shb.p, scb.p, ofb.p, acts[a],
                                            y2.p);
                CHECK(memcmp(y1.p, y2.p, len * sizeof(float)) == 0,
                      "rows %zu channels %zu act %d: y differs from scalar", rows, ch, acts[a]);
                size_t gaps = 0;
                for (size_t i = 0; i < len; i++)
                    gaps += i % stride >= ch && fbits(y1.p[i]) != SENTINEL_BITS;
                CHECK(gaps == 0, "rows %zu channels %zu: floats between rows written", rows, ch);
                k->f32_normalize_channels_stream(rows, ch, xb.p, stride, shb.p, scb.p, ofb.p,
                                                 acts[a], y2.p);
                CHECK(memcmp(y1.p, y2.p, len * sizeof(float)) == 0,
                      "rows %zu channels %zu act %d: stream kernel differs", rows, ch, acts[a]);
                memcpy(y2.p, xb.p, len * sizeof(float));
                k->f32_normalize_channels(rows, ch, y2.p, stride, shb.p, scb.p, ofb.p, acts[a], y2.p);
                for (size_t i = 0; i < len; i++)
                    if (i % stride >= ch)
                        y2.p[i] = from_bits(SENTINEL_BITS);
                CHECK(memcmp(y1.p, y2.p, len * sizeof(float)) == 0,
                      "rows %zu channels %zu act %d: in place differs", rows, ch, acts[a]);
            }
            guarded_buf bufs[] = {xb, y1, y2, shb, scb, ofb};
            for (size_t i = 0; i < 6; i++)
                guarded_free(bufs[i]);
        }
}

/* f32_activate: bitwise against scalar over the lengths and a dense sweep
 * of [-20, 20]; act 0 is a copy with canonical NaNs; in place. */
static void case_activate(const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    for (size_t li = 0; li < N_ACT_LENGTHS; li++) {
        const size_t n = act_length_at(li);
        rng_seed(7000 + n);
        guarded_buf xb = guarded(n), y1 = guarded(n), y2 = guarded(n);
        fill_act(xb.p, n);
        for (int act = SIMDNORM_ACT_NONE; act <= SIMDNORM_ACT_SILU; act++) {
            k->f32_activate(n, xb.p, act, y1.p);
            ref->f32_activate(n, xb.p, act, y2.p);
            CHECK(memcmp(y1.p, y2.p, n * sizeof(float)) == 0, "n %zu act %d: y differs from scalar",
                  n, act);
            CHECK(count_noncanonical_nans(y1.p, n) == 0, "non-canonical NaN");
            memcpy(y2.p, xb.p, n * sizeof(float));
            k->f32_activate(n, y2.p, act, y2.p);
            CHECK(memcmp(y1.p, y2.p, n * sizeof(float)) == 0, "n %zu act %d: in place differs", n,
                  act);
            if (act == SIMDNORM_ACT_NONE)
                for (size_t i = 0; i < n; i++)
                    CHECK(isnan(xb.p[i]) ? isnan(y1.p[i]) : fbits(y1.p[i]) == fbits(xb.p[i]),
                          "act none is not a copy at %zu", i);
        }
        guarded_free(xb);
        guarded_free(y1);
        guarded_free(y2);
    }
    const size_t n = 1 << 16;
    float *x = malloc(n * sizeof(float)), *y1 = malloc(n * sizeof(float)), *y2 = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(-20.0 + 40.0 * (double)i / (double)n);
    for (size_t a = 0; a < N_ACTS; a++) {
        k->f32_activate(n, x, acts[a], y1);
        ref->f32_activate(n, x, acts[a], y2);
        size_t bad = 0;
        for (size_t i = 0; i < n; i++)
            bad += fbits(y1[i]) != fbits(y2[i]);
        CHECK(bad == 0, "act %d: %zu of the sweep over [-20, 20] differ from scalar", acts[a], bad);
    }
    free(x);
    free(y1);
    free(y2);
}

/* f32_add: bitwise against scalar and the contract written out, every
 * r/b variant, NaN/Inf (canonical), in place on x and on r. */
static void case_add(const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    for (size_t li = 0; li < N_LENGTHS; li++) {
        const size_t n = length_at(li);
        rng_seed(8000 + n);
        guarded_buf xb = guarded(n), rb = guarded(n), bb = guarded(n);
        guarded_buf h1 = guarded(n), h2 = guarded(n);
        fill_wide(xb.p, n);
        fill_wide(rb.p, n);
        fill_wide(bb.p, n);
        if (n > 10) {
            xb.p[3] = INFINITY;
            rb.p[3] = -INFINITY; /* Inf - Inf: x86 and Arm make different NaNs */
            rb.p[5] = from_bits(0xff812345u);
            bb.p[7] = NAN;
            xb.p[8] = -0.0f;
            rb.p[8] = -0.0f;
        }
        for (int v = 0; v < 4; v++) {
            const float *r = v & 1 ? rb.p : NULL, *b = v & 2 ? bb.p : NULL;
            k->f32_add(n, xb.p, r, b, h1.p);
            ref->f32_add(n, xb.p, r, b, h2.p);
            CHECK(memcmp(h1.p, h2.p, n * sizeof(float)) == 0,
                  "n %zu variant %d: h differs from scalar", n, v);
            size_t bad = 0;
            for (size_t i = 0; i < n; i++) {
                float want = xb.p[i];
                if (r)
                    want = want + r[i];
                if (b)
                    want = want + b[i];
                if (isnan(want))
                    want = from_bits(SIMDNORM_CANONICAL_NAN_BITS);
                bad += fbits(h2.p[i]) != fbits(want);
            }
            CHECK(bad == 0, "n %zu variant %d: %zu values are not the contract's", n, v, bad);
            memcpy(h2.p, xb.p, n * sizeof(float));
            k->f32_add(n, h2.p, r, b, h2.p);
            CHECK(memcmp(h1.p, h2.p, n * sizeof(float)) == 0, "n %zu: in place on x differs", n);
            if (r) {
                memcpy(h2.p, rb.p, n * sizeof(float));
                k->f32_add(n, xb.p, h2.p, b, h2.p);
                CHECK(memcmp(h1.p, h2.p, n * sizeof(float)) == 0, "n %zu: in place on r differs",
                      n);
            }
        }
        guarded_buf bufs[] = {xb, rb, bb, h1, h2};
        for (size_t i = 0; i < 5; i++)
            guarded_free(bufs[i]);
    }
}

/* ---- the row engine ------------------------------------------------------
 * f32_layer_norm_rows / f32_rms_norm_rows of every ISA against the per-row
 * definition built from the scalar table (head shift, f32_moments,
 * simdnorm_finish_block, the plan, f32_normalize - what the dispatcher did
 * row by row before the engine), bit for bit: y, mean, rstd. Rows that take
 * the slow path are mixed in (a far shift, NaN, Inf, values near FLT_MAX,
 * subnormal rows, a constant row), so the vector verdict and plan are
 * checked lane by lane against the scalar ones; gamma/beta present or not,
 * an activation, streaming stores, in place, a row stride. */
static void engine_reference(const simdnorm_kernels *ref, int rms, size_t rows, size_t n,
                             const float *x, size_t stride, const float *g, const float *b,
                             double eps, int act, float *y, float *mean, float *rstd)
{
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * stride;
        simdnorm_norm_plan plan;
        if (rms) {
            const double q = simdnorm_span_sumsq(ref, n, xr);
            plan = simdnorm_plan_normalize(n, 0.0, q * (1.0 / (double)n), eps);
        } else {
            const float shift = simdnorm_head_shift(n, xr);
            double s[2];
            ref->f32_moments(n, xr, shift, s);
            const simdnorm_moments mo = simdnorm_finish_block(ref, n, xr, shift, s);
            const int finite = isfinite(mo.mean) && isfinite(mo.m2);
            double sum = 0.0;
            for (size_t i = 0; i < n; i++)
                sum += xr[i];
            mean[r] = finite ? (float)mo.mean : simdnorm_canonical_nan((float)(sum / (double)n));
            plan = simdnorm_plan_normalize(n, mo.mean, finite ? mo.m2 * (1.0 / (double)n) : NAN,
                                           eps);
        }
        simdnorm_apply_normalize(ref, ref->f32_normalize, &plan, n, xr, g, rms ? NULL : b, act,
                                 y + r * n, NULL);
        rstd[r] = plan.rstd_f;
    }
}

static void engine_fill(float *x, size_t rows, size_t n, size_t stride, int variant)
{
    for (size_t r = 0; r < rows; r++) {
        float *xr = x + r * stride;
        const double off = variant == 1 ? 1e4 * rng_normal() : rng_normal();
        for (size_t i = 0; i < n; i++)
            xr[i] = (float)(off + rng_normal());
        switch ((r * 7 + (size_t)variant) % 9) {
        case 1: /* far shift: the head is far from the mean */
            for (size_t i = 0; i < n && i < 8; i++)
                xr[i] = (float)(1e3 + i);
            break;
        case 2:
            xr[n / 2] = NAN;
            break;
        case 3:
            xr[n - 1] = -INFINITY;
            break;
        case 4: /* near FLT_MAX */
            for (size_t i = 0; i < n; i++)
                xr[i] = (float)((i & 1 ? 3e38 : -2.9e38) * (0.5 + 0.5 * rng_unif()));
            break;
        case 5: /* subnormal */
            for (size_t i = 0; i < n; i++)
                xr[i] = (float)(1e-39 * rng_normal());
            break;
        case 6: /* constant */
            for (size_t i = 0; i < n; i++)
                xr[i] = 2.5f;
            break;
        default:
            break;
        }
    }
}

static void engine_case(const simdnorm_kernels *k, const simdnorm_kernels *ref, int rms)
{
    static const size_t lens[] = {1, 2, 3, 7, 8, 9, 16, 31, 32, 33, 63, 64, 65, 100, 256, 257, 768, 1000, 4096};
    /* emulated (qemu): every other length, fewer row counts */
    const int emulated = getenv("SIMDNORM_TEST_EMULATED") != NULL;
    for (size_t li = 0; li < sizeof lens / sizeof *lens; li += emulated ? 2 : 1)
        for (size_t rows = 1; rows <= 19; rows += (rows < 10 && !emulated ? 1 : 9)) {
            const size_t n = lens[li], stride = n + 5, xn = (rows - 1) * stride + n;
            for (int v = 0; v < 4; v++) {
                rng_seed(7000 + n * 131 + rows * 7 + (size_t)v);
                guarded_buf xb = guarded(xn), gb = guarded(n), bb = guarded(n);
                float *y = malloc(rows * n * sizeof(float)), *yw = malloc(rows * n * sizeof(float));
                float *ip = malloc(xn * sizeof(float));
                float mean[20], rstd[20], mw[20], rw[20];
                engine_fill(xb.p, rows, n, stride, v);
                fill_wide(gb.p, n);
                fill_wide(bb.p, n);
                const float *g = v & 1 ? gb.p : NULL, *b = v & 2 ? bb.p : NULL;
                const int act = v == 3 ? SIMDNORM_ACT_GELU_ERF : SIMDNORM_ACT_NONE;
                const double eps = 1e-5;
                engine_reference(ref, rms, rows, n, xb.p, stride, g, b, eps, act, yw, mw, rw);
                /* plain stores; from memory (in-order sums, long rows one
                 * at a time); streaming (always from memory) */
                for (int mode = 0; mode < 3; mode++) {
                    const int stream = mode == 2 ? 2 : 0;
                    memset(y, 0xff, rows * n * sizeof(float));
                    simdnorm_row_job e = {k, n, xb.p, g, rms ? NULL : b, stride, n, y,
                                          rms ? NULL : mean, rstd, eps, 1.0 / (double)n, act, stream,
                                          NULL, NULL, mode > 0};
                    (rms ? k->f32_rms_norm_rows : k->f32_layer_norm_rows)(&e, 0, rows);
                    CHECK(memcmp(y, yw, rows * n * sizeof(float)) == 0 &&
                              memcmp(rstd, rw, rows * sizeof(float)) == 0 &&
                              (rms || memcmp(mean, mw, rows * sizeof(float)) == 0),
                          "n %zu rows %zu variant %d stream %d from_memory %d: differs from the "
                          "per-row definition",
                          n, rows, v, stream, mode > 0);
                }
                /* in place, rows [1, rows) only: row 0 untouched */
                memcpy(ip, xb.p, xn * sizeof(float));
                simdnorm_row_job e = {k, n, ip, g, rms ? NULL : b, stride, stride, ip,
                                      NULL, rstd, eps, 1.0 / (double)n, act, 0, NULL, NULL, 0};
                (rms ? k->f32_rms_norm_rows : k->f32_layer_norm_rows)(&e, 1, rows);
                int same = memcmp(ip, xb.p, n * sizeof(float)) == 0;
                for (size_t r = 1; r < rows; r++)
                    same &= memcmp(ip + r * stride, yw + r * n, n * sizeof(float)) == 0;
                CHECK(same, "n %zu rows %zu variant %d: in place differs", n, rows, v);
                free(y);
                free(yw);
                free(ip);
                guarded_free(xb);
                guarded_free(gb);
                guarded_free(bb);
            }
        }
}

static void case_f32_layer_norm_rows(const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    engine_case(k, ref, 0);
}
static void case_f32_rms_norm_rows(const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    engine_case(k, ref, 1);
}

/* ---- backward (kernels.h "Backward") --------------------------------------
 * Each kernel against the contract written out in plain C (so scalar is
 * checked too), and so bitwise equal on every ISA. */

/* s1 = sum g, s2 = sum g*xhat in the canonical lanes and rounds. */
static void bwd_sums_def(size_t n, const float *dy, const float *x, const float *gamma,
                         float mean, float rstd, int has_mean, double out[2])
{
    double a1[SIMDNORM_LANES], a2[SIMDNORM_LANES];
    for (size_t r0 = 0; r0 < n; r0 += SIMDNORM_LANES * SIMDNORM_ROUND) {
        for (size_t l = 0; l < SIMDNORM_LANES; l++) {
            float p = 0.0f, q = 0.0f;
            for (size_t e = 0; e < SIMDNORM_ROUND; e++) {
                const size_t i = r0 + e * SIMDNORM_LANES + l;
                if (i >= n)
                    break;
                const float g = gamma ? dy[i] * gamma[i] : dy[i];
                const float xh = (has_mean ? x[i] - mean : x[i]) * rstd;
                p = p + g;
                q = fmaf(g, xh, q);
            }
            a1[l] = r0 == 0 ? (double)p : a1[l] + (double)p;
            a2[l] = r0 == 0 ? (double)q : a2[l] + (double)q;
        }
    }
    for (size_t h = SIMDNORM_LANES / 2; h >= 1; h /= 2)
        for (size_t l = 0; l < h; l++) {
            a1[l] += a1[l + h];
            a2[l] += a2[l + h];
        }
    out[0] = has_mean ? a1[0] : 0.0;
    out[1] = a2[0];
}

static float bwd_dx_def(float dy, float x, float g_, float mean, float rstd, float w, float k,
                        float o, int has_mean)
{
    const float g = dy * g_;
    const float xh = (has_mean ? x - mean : x) * rstd;
    const float r = has_mean ? fmaf(xh, k, o) : xh * k;
    return simdnorm_canonical_nan(fmaf(g, w, r));
}

static void fill_bwd(float *p, size_t n, double scale)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (float)(rng_normal() * scale);
}

/* f32_bwd_sums (seq 0) or its in-order form f32_bwd_sums_seq (1) against
 * the written-out definition. */
static void bwd_sums_case(const simdnorm_kernels *k, int seq)
{
    for (size_t li = 0; li < N_LENGTHS; li++) {
        const size_t n = length_at(li);
        rng_seed(9000 + n);
        guarded_buf dyb = guarded(n), xb = guarded(n), gb = guarded(n);
        fill_wide(dyb.p, n);
        fill_bwd(xb.p, n, 3.0);
        fill_bwd(gb.p, n, 1.0);
        if (n > 40)
            xb.p[n / 3] += 1e4f;
        for (int v = 0; v < 2; v++) {
            const float *g = v ? gb.p : NULL;
            double got[2], want[2];
            (seq ? k->f32_bwd_sums_seq : k->f32_bwd_sums)(n, dyb.p, xb.p, g, 0.25f, 1.5f, got);
            bwd_sums_def(n, dyb.p, xb.p, g, 0.25f, 1.5f, 1, want);
            CHECK(dbits(got[0]) == dbits(want[0]) && dbits(got[1]) == dbits(want[1]),
                  "n %zu gamma %d: (%.17g, %.17g), definition (%.17g, %.17g)", n, v, got[0],
                  got[1], want[0], want[1]);
        }
        guarded_free(dyb);
        guarded_free(xb);
        guarded_free(gb);
    }
}

static void case_f32_bwd_sums(const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    (void)ref;
    bwd_sums_case(k, 0);
}

static void case_f32_bwd_sums_seq(const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    (void)ref;
    bwd_sums_case(k, 1);
}

/* f32_bwd_dx (stream 0) or f32_bwd_dx_stream (1) against the definition,
 * in place too: spans of every length ending at a guard page, so starting
 * on a 64-byte boundary (n a multiple of 16) and off one - 4097 and 100003
 * floats take the stream kernel's misaligned streaming (8 KiB or more). */
static void bwd_dx_case(const simdnorm_kernels *k, int stream)
{
    const simdnorm_f32_bwd_dx_fn fn = stream ? k->f32_bwd_dx_stream : k->f32_bwd_dx;
    for (size_t li = 0; li < N_LENGTHS; li++) {
        const size_t n = length_at(li);
        rng_seed(9100 + n);
        guarded_buf dyb = guarded(n), xb = guarded(n), gb = guarded(n), db = guarded(n);
        fill_wide(dyb.p, n);
        fill_bwd(xb.p, n, 3.0);
        fill_bwd(gb.p, n, 1.0);
        if (n > 10) {
            xb.p[3] = INFINITY;
            dyb.p[5] = NAN;
        }
        for (int v = 0; v < 2; v++) {
            const float *g = v ? gb.p : NULL;
            fn(n, dyb.p, xb.p, g, 0.25f, 1.5f, 0.75f, -0.125f, 0.0625f, db.p);
            size_t bad = 0;
            for (size_t i = 0; i < n; i++)
                bad += fbits(db.p[i]) != fbits(bwd_dx_def(dyb.p[i], xb.p[i], g ? g[i] : 1.0f,
                                                          0.25f, 1.5f, 0.75f, -0.125f, 0.0625f,
                                                          1));
            CHECK(bad == 0, "n %zu gamma %d: %zu of dx differ from the definition", n, v, bad);
            /* in place */
            float *ip = malloc(n * sizeof(float));
            memcpy(ip, dyb.p, n * sizeof(float));
            fn(n, ip, xb.p, g, 0.25f, 1.5f, 0.75f, -0.125f, 0.0625f, ip);
            CHECK(memcmp(ip, db.p, n * sizeof(float)) == 0, "n %zu gamma %d: in place differs",
                  n, v);
            free(ip);
        }
        guarded_buf bufs[] = {dyb, xb, gb, db};
        for (size_t i = 0; i < 4; i++)
            guarded_free(bufs[i]);
    }
}

static void case_f32_bwd_dx_stream(const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    (void)ref;
    bwd_dx_case(k, 1);
}

static void case_f32_bwd_dx(const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    (void)ref;
    bwd_dx_case(k, 0);
}

/* One shape of f32_bwd_channel_sums (seq 0) or f32_bwd_channel_sums_seq
 * (1) against the definition. */
static void bwd_channel_sums_shape(const simdnorm_kernels *k, int seq, size_t ch, size_t rows,
                                   size_t stride)
{
    const size_t len = (rows - 1) * stride + ch;
    rng_seed(9200 + ch * 31 + rows);
    guarded_buf dyb = guarded(len), xb = guarded(len), mb = guarded(ch), rb = guarded(ch);
    fill_wide(dyb.p, len);
    fill_bwd(xb.p, len, 2.0);
    fill_bwd(mb.p, ch, 0.5);
    for (size_t c = 0; c < ch; c++)
        rb.p[c] = (float)(rng_unif() + 0.5);
    double *s1 = malloc((ch + 1) * sizeof(double)), *s2 = malloc((ch + 1) * sizeof(double));
    s1[ch] = s2[ch] = -1.0;
    (seq ? k->f32_bwd_channel_sums_seq : k->f32_bwd_channel_sums)(rows, ch, dyb.p, xb.p, stride,
                                                                  mb.p, rb.p, s1, s2);
    size_t bad = 0;
    for (size_t c = 0; c < ch; c++) {
        double a1 = 0.0, a2 = 0.0;
        for (size_t r = 0; r < rows; r++) {
            const size_t i = r * stride + c;
            const float xh = (xb.p[i] - mb.p[c]) * rb.p[c];
            a1 = a1 + (double)dyb.p[i];
            a2 = fma((double)dyb.p[i], (double)xh, a2);
        }
        bad += dbits(a1) != dbits(s1[c]) || dbits(a2) != dbits(s2[c]);
    }
    CHECK(bad == 0, "rows %zu channels %zu stride %zu: %zu channels' sums differ from the "
          "definition", rows, ch, stride, bad);
    CHECK(s1[ch] == -1.0 && s2[ch] == -1.0, "rows %zu channels %zu: written past the end", rows,
          ch);
    free(s1);
    free(s2);
    guarded_buf bufs[] = {dyb, xb, mb, rb};
    for (size_t i = 0; i < 4; i++)
        guarded_free(bufs[i]);
}

/* The NHWC kernels on [rows, channels] with a row stride > channels; the
 * _seq form also on rows of 2 KiB and more (strides of 512 floats and
 * up), where tiles walk blocks of rows (bwd.c, SUM_SEQ_ROWS), with row
 * counts below, at and past a block - and, with the strides near the
 * channel counts, narrow rows (<= 320 bytes: 33-70 channels, blocks of
 * 14-31 rows, 33 rows past one). */
static void bwd_channel_sums_case(const simdnorm_kernels *k, int seq)
{
    static const size_t chans[] = {1, 3, 8, 15, 16, 17, 33, 63, 64, 65, 70, 129, 257};
    static const size_t rows_[] = {1, 2, 5, 33};
    for (size_t ci = 0; ci < sizeof chans / sizeof *chans; ci++)
        for (size_t ri = 0; ri < sizeof rows_ / sizeof *rows_; ri++) {
            bwd_channel_sums_shape(k, seq, chans[ci], rows_[ri], chans[ci] + ri);
            if (seq)
                bwd_channel_sums_shape(k, seq, chans[ci], rows_[ri], 512 + ri * 7);
        }
    if (seq) {
        static const size_t walks[][3] = {{1000, 4, 1024}, {1000, 9, 1024}, {70, 131, 1024},
                                          {65, 3, 4096}};
        for (size_t i = 0; i < sizeof walks / sizeof *walks; i++)
            bwd_channel_sums_shape(k, seq, walks[i][0], walks[i][1], walks[i][2]);
    }
}

static void case_f32_bwd_channel_sums(const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    (void)ref;
    bwd_channel_sums_case(k, 0);
}

static void case_f32_bwd_channel_sums_seq(const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    (void)ref;
    bwd_channel_sums_case(k, 1);
}

/* dx of kernel fn computed in place (dx == dy) over a 64-byte aligned copy
 * of dy (so the stream kernel streams rows of a stride of 16 floats), the
 * gaps between rows set to the sentinel: equal to want (len floats)? */
static int bwd_dx_channels_in_place_ok(simdnorm_f32_bwd_dx_channels_fn fn, size_t rows,
                                       size_t ch, size_t stride, size_t len, const float *dy,
                                       const float *x, const float *p, const float *want)
{
    float *ip = NULL;
    if (posix_memalign((void **)&ip, 64, len * sizeof(float)) != 0)
        exit(2);
    memcpy(ip, dy, len * sizeof(float));
    fn(rows, ch, ip, x, stride, p, p + ch, p + 2 * ch, p + 3 * ch, p + 4 * ch, ip);
    for (size_t i = 0; i < len; i++)
        if (i % stride >= ch)
            ip[i] = from_bits(SENTINEL_BITS);
    const int ok = memcmp(ip, want, len * sizeof(float)) == 0;
    free(ip);
    return ok;
}

/* One shape of f32_bwd_dx_channels against the definition, and in place;
 * f32_bwd_dx_channels_stream the same bits, in place too, and into a
 * 64-byte aligned dx (its rows stream where the stride keeps them on
 * stream boundaries) with 32 sentinels after it. */
static void bwd_dx_channels_shape(const simdnorm_kernels *k, size_t ch, size_t rows,
                                  size_t stride)
{
    const size_t len = (rows - 1) * stride + ch;
    rng_seed(9300 + ch * 31 + rows);
    guarded_buf dyb = guarded(len), xb = guarded(len), db = guarded(len);
    guarded_buf pb = guarded(5 * ch);
    fill_wide(dyb.p, len);
    fill_bwd(xb.p, len, 2.0);
    fill_bwd(pb.p, 5 * ch, 1.0);
    if (len > 4)
        xb.p[len / 2] = -INFINITY;
    const float *mean = pb.p, *rstd = pb.p + ch, *w = pb.p + 2 * ch, *kk = pb.p + 3 * ch,
                *o = pb.p + 4 * ch;
    for (size_t i = 0; i < len; i++)
        db.p[i] = from_bits(SENTINEL_BITS);
    k->f32_bwd_dx_channels(rows, ch, dyb.p, xb.p, stride, mean, rstd, w, kk, o, db.p);
    size_t bad = 0;
    for (size_t i = 0; i < len; i++) {
        const size_t c = i % stride;
        const uint32_t want =
            c >= ch ? SENTINEL_BITS
                    : fbits(bwd_dx_def(dyb.p[i], xb.p[i], 1.0f, mean[c], rstd[c], w[c],
                                       kk[c], o[c], 1));
        bad += fbits(db.p[i]) != want;
    }
    CHECK(bad == 0, "rows %zu channels %zu: %zu of dx differ from the definition", rows,
          ch, bad);
    CHECK(bwd_dx_channels_in_place_ok(k->f32_bwd_dx_channels, rows, ch, stride, len, dyb.p, xb.p,
                                      pb.p, db.p),
          "rows %zu channels %zu: in place differs", rows, ch);
    guarded_buf sb = guarded(len);
    for (size_t i = 0; i < len; i++)
        sb.p[i] = from_bits(SENTINEL_BITS);
    k->f32_bwd_dx_channels_stream(rows, ch, dyb.p, xb.p, stride, mean, rstd, w, kk, o, sb.p);
    CHECK(memcmp(sb.p, db.p, len * sizeof(float)) == 0,
          "rows %zu channels %zu: the stream kernel differs (or wrote a gap)", rows, ch);
    CHECK(bwd_dx_channels_in_place_ok(k->f32_bwd_dx_channels_stream, rows, ch, stride, len, dyb.p,
                                      xb.p, pb.p, db.p),
          "rows %zu channels %zu: the stream kernel in place differs", rows, ch);
    float *al = NULL;
    if (posix_memalign((void **)&al, 64, (len + 32) * sizeof(float)) != 0)
        exit(2);
    for (size_t i = 0; i < len + 32; i++)
        al[i] = from_bits(SENTINEL_BITS);
    k->f32_bwd_dx_channels_stream(rows, ch, dyb.p, xb.p, stride, mean, rstd, w, kk, o, al);
    size_t tail = 0;
    for (size_t i = len; i < len + 32; i++)
        tail += fbits(al[i]) != SENTINEL_BITS;
    CHECK(memcmp(al, db.p, len * sizeof(float)) == 0 && tail == 0,
          "rows %zu channels %zu: the stream kernel into aligned dx differs (%zu written "
          "past the end)", rows, ch, tail);
    free(al);
    guarded_buf bufs[] = {dyb, xb, db, pb, sb};
    for (size_t i = 0; i < 5; i++)
        guarded_free(bufs[i]);
}

static void case_f32_bwd_dx_channels(const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    (void)ref;
    static const size_t chans[] = {1, 3, 8, 15, 16, 17, 33, 63, 64, 65, 70, 129, 257};
    static const size_t rows_[] = {1, 2, 5, 33};
    for (size_t ci = 0; ci < sizeof chans / sizeof *chans; ci++)
        for (size_t ri = 0; ri < sizeof rows_ / sizeof *rows_; ri++)
            bwd_dx_channels_shape(k, chans[ci], rows_[ri], chans[ci] + ri);
    /* rows within a tile of a multiple of 4 KiB apart: in memory order */
    bwd_dx_channels_shape(k, 129, 33, 1000);
    bwd_dx_channels_shape(k, 129, 33, 1024);
    bwd_dx_channels_shape(k, 129, 33, 1025);
    /* rows on 64-byte boundaries (the stream kernel streams them): every
     * tile width, a partial last vector, a gap between rows */
    bwd_dx_channels_shape(k, 64, 5, 64);
    bwd_dx_channels_shape(k, 48, 8, 48);
    bwd_dx_channels_shape(k, 256, 33, 256);
    bwd_dx_channels_shape(k, 45, 7, 48);
    bwd_dx_channels_shape(k, 100, 9, 112);
    bwd_dx_channels_shape(k, 133, 40, 144);
}
#define case_f32_bwd_dx_channels_stream case_f32_bwd_dx_channels

/* f, or the canonical NaN where f is a NaN. */
static float canon_f(float f)
{
    return isnan(f) ? from_bits(SIMDNORM_CANONICAL_NAN_BITS) : f;
}

/* The row-norm backward: every variant (LayerNorm/RMSNorm, gamma, dx,
 * dgamma/dbeta partials and outputs) against the definition built from the sums and
 * dx definitions, the coefficients and the column block sums; in place. */
static void case_f32_norm_bwd_rows(const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    (void)ref;
    /* 8..64: the short rows' vector counts (AVX2 1..8, AVX-512 1..4), a
     * full and a partial last vector */
    static const size_t lens[] = {1,  2,  7,  8,  9,  16,  17,  24,  33,  40,
                                  48, 57, 63, 64, 65, 100, 257, 768, 1000, 1500};
    const int emulated = getenv("SIMDNORM_TEST_EMULATED") != NULL;
    for (size_t li = 0; li < sizeof lens / sizeof *lens; li++)
        for (size_t rows = 1; rows <= 20; rows += (rows < 10 && !emulated ? 1 : 9)) {
            const size_t n = lens[li], stride = n + 5, len = (rows - 1) * stride + n;
            rng_seed(9400 + n * 31 + rows);
            guarded_buf dyb = guarded(len), xb = guarded(len), gb = guarded(n);
            guarded_buf mb = guarded(rows), rb = guarded(rows);
            fill_wide(dyb.p, len);
            fill_bwd(xb.p, len, 2.0);
            fill_bwd(gb.p, n, 1.0);
            for (size_t r = 0; r < rows; r++) {
                mb.p[r] = (float)(rng_normal() * 0.1);
                rb.p[r] = (float)(rng_unif() + 0.5);
            }
            float *dx = malloc(len * sizeof(float)), *want = malloc(len * sizeof(float));
            double *acc = malloc(4 * n * sizeof(double));
            /* the kernel's scratch: any contents on entry (NaN here), nothing
             * outside [0, n) touched */
            guarded_buf sgb = guarded(n), sbb = guarded(n);
            for (size_t j = 0; j < n; j++)
                sgb.p[j] = sbb.p[j] = from_bits(SENTINEL_BITS);
            for (int v = 0; v < 8; v++) {
                const int rms = v & 1, has_g = (v >> 1) & 1, sums = (v >> 2) & 1;
                /* the definition */
                double *wg = acc + 2 * n, *wb = acc + 3 * n;
                for (size_t j = 0; j < n; j++)
                    wg[j] = wb[j] = 0.0; /* the first block sets the partials */
                for (size_t b = 0; b < rows; b += SIMDNORM_BWD_ROWS) {
                    const size_t m = rows - b < SIMDNORM_BWD_ROWS ? rows - b : SIMDNORM_BWD_ROWS;
                    float w[SIMDNORM_BWD_ROWS], kk[SIMDNORM_BWD_ROWS], o[SIMDNORM_BWD_ROWS];
                    for (size_t r = b; r < b + m; r++) {
                        double s[2];
                        const float mean = rms ? 0.0f : mb.p[r];
                        bwd_sums_def(n, dyb.p + r * stride, xb.p + r * stride,
                                     has_g ? gb.p : NULL, mean, rb.p[r], !rms, s);
                        simdnorm_bwd_coeffs(s[0], s[1], 1.0 / (double)n, (double)rb.p[r],
                                            &w[r - b], &kk[r - b], &o[r - b]);
                        for (size_t j = 0; j < n; j++) {
                            const size_t i = r * stride + j;
                            want[i] = bwd_dx_def(dyb.p[i], xb.p[i], has_g ? gb.p[j] : 1.0f, mean,
                                                 rb.p[r], w[r - b], kk[r - b], o[r - b], !rms);
                        }
                    }
                    for (size_t j = 0; j < n; j++) {
                        float bg = 0.0f, bb = 0.0f;
                        for (size_t r = b; r < b + m; r++) {
                            const size_t i = r * stride + j;
                            const float xh = (rms ? xb.p[i] : xb.p[i] - mb.p[r]) * rb.p[r];
                            bg = fmaf(dyb.p[i], xh, bg);
                            bb = bb + dyb.p[i];
                        }
                        wg[j] += (double)bg;
                        wb[j] += (double)bb;
                    }
                }
                /* the kernel, out of place, then in place; in cache, then
                 * from memory (the row sums in order) */
                for (int t = 0; t < 4; t++) {
                    const int inplace = t & 1, mem = t >> 1;
                    for (size_t i = 0; i < len; i++)
                        dx[i] = inplace ? dyb.p[i] : from_bits(SENTINEL_BITS);
                    for (size_t j = 0; j < 2 * n; j++)
                        acc[j] = 0.25; /* never read */
                    simdnorm_bwd_job jb = {.cols = n, .dy = inplace ? dx : dyb.p, .x = xb.p,
                                           .gamma = has_g ? gb.p : NULL,
                                           .mean = rms ? NULL : mb.p, .rstd = rb.p,
                                           .dy_stride = stride, .x_stride = stride,
                                           .dx_stride = stride, .dx = dx,
                                           .acc_g = sums ? acc : NULL,
                                           .acc_b = sums && !rms ? acc + n : NULL,
                                           .inv_cols = 1.0 / (double)n,
                                           .from_memory = mem, .blk_g = sums ? sgb.p : NULL,
                                           .blk_b = sums && !rms ? sbb.p : NULL};
                    k->f32_norm_bwd_rows(&jb, 0, rows);
                    size_t bad = 0;
                    for (size_t i = 0; i < len; i++)
                        bad += i % stride < n && fbits(dx[i]) != fbits(want[i]);
                    CHECK(bad == 0, "n %zu rows %zu variant %d in place %d from memory %d: %zu of "
                                    "dx differ", n, rows, v, inplace, mem, bad);
                    if (sums) {
                        size_t badg = 0;
                        for (size_t j = 0; j < n; j++)
                            badg += dbits(acc[j]) != dbits(wg[j]) ||
                                    (!rms && dbits(acc[n + j]) != dbits(wb[j]));
                        CHECK(badg == 0, "n %zu rows %zu variant %d: %zu dgamma/dbeta partials "
                                         "differ", n, rows, v, badg);
                        /* without dx: the same partials */
                        for (size_t j = 0; j < 2 * n; j++)
                            acc[j] = 0.25;
                        jb.dx = NULL;
                        jb.dy = dyb.p;
                        k->f32_norm_bwd_rows(&jb, 0, rows);
                        badg = 0;
                        for (size_t j = 0; j < n; j++)
                            badg += dbits(acc[j]) != dbits(wg[j]) ||
                                    (!rms && dbits(acc[n + j]) != dbits(wb[j]));
                        CHECK(badg == 0, "n %zu rows %zu variant %d: %zu partials differ "
                                         "without dx", n, rows, v, badg);
                        /* the last block rounding into out_g/out_b: with
                         * the partials, and (one block) with none, the
                         * scratch being out itself */
                        for (int one = 0; one < 1 + (rows <= SIMDNORM_BWD_ROWS); one++) {
                            guarded_buf og = guarded(n), ob = guarded(n);
                            for (size_t j = 0; j < n; j++)
                                og.p[j] = ob.p[j] = from_bits(SENTINEL_BITS);
                            jb.dx = dx;
                            jb.out_g = og.p;
                            jb.out_b = rms ? NULL : ob.p;
                            jb.acc_g = one ? NULL : acc;
                            jb.acc_b = one || rms ? NULL : acc + n;
                            jb.blk_g = one ? og.p : sgb.p;
                            jb.blk_b = rms ? NULL : one ? ob.p : sbb.p;
                            k->f32_norm_bwd_rows(&jb, 0, rows);
                            badg = 0;
                            for (size_t j = 0; j < n; j++)
                                badg += fbits(og.p[j]) != fbits(canon_f((float)wg[j])) ||
                                        (!rms && fbits(ob.p[j]) != fbits(canon_f((float)wb[j])));
                            size_t badx = 0;
                            for (size_t i = 0; i < len; i++)
                                badx += i % stride < n && fbits(dx[i]) != fbits(want[i]);
                            CHECK(badg == 0 && badx == 0, "n %zu rows %zu variant %d one %d: %zu "
                                  "dgamma/dbeta outputs, %zu of dx differ", n, rows, v, one,
                                  badg, badx);
                            guarded_free(og);
                            guarded_free(ob);
                        }
                        jb.out_g = jb.out_b = NULL;
                    }
                }
            }
            /* streaming stores (dx and its rows on cache lines): the same bits */
            if (n >= 16) {
                const size_t st16 = (n + 15) / 16 * 16;
                float *ax = aligned_alloc(64, rows * st16 * sizeof(float));
                for (int v = 0; v < 8; v += 4) {
                    double *a2 = acc + 2 * n;
                    for (size_t j = 0; j < 2 * n; j++)
                        acc[j] = a2[j] = 0.5;
                    simdnorm_bwd_job jb = {.cols = n, .dy = dyb.p, .x = xb.p, .gamma = gb.p,
                                           .mean = mb.p, .rstd = rb.p, .dy_stride = stride,
                                           .x_stride = stride, .dx_stride = n, .dx = dx,
                                           .acc_g = v ? acc : NULL, .acc_b = v ? acc + n : NULL,
                                           .inv_cols = 1.0 / (double)n, .blk_g = v ? sgb.p : NULL,
                                           .blk_b = v ? sbb.p : NULL};
                    k->f32_norm_bwd_rows(&jb, 0, rows);
                    jb.dx = ax;
                    jb.dx_stride = st16;
                    jb.stream = 1;
                    jb.from_memory = 1;
                    jb.acc_g = v ? a2 : NULL;
                    jb.acc_b = v ? a2 + n : NULL;
                    k->f32_norm_bwd_rows(&jb, 0, rows);
                    int same = memcmp(acc, a2, 2 * n * sizeof(double)) == 0;
                    for (size_t r = 0; r < rows; r++)
                        same &= memcmp(dx + r * n, ax + r * st16, n * sizeof(float)) == 0;
                    CHECK(same, "n %zu rows %zu sums %d: streaming stores differ", n, rows, v);
                }
                free(ax);
            }
            free(dx);
            free(want);
            free(acc);
            guarded_buf bufs[] = {dyb, xb, gb, mb, rb, sgb, sbb};
            for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
                guarded_free(bufs[i]);
        }
}

/* ---- 16-bit storage (kernels.h "16-bit storage") ---------------------------
 * Each bf16_/f16_ family against its definition: the same ISA's float32
 * family on the widened inputs (kernels/half.h), every 16-bit output
 * narrowed by half.h (round to nearest even, NaN canonical) - bit for bit,
 * on scalar too. Storage s: 1 bf16, 2 f16. */
#include "half.h"
#define HK(k, s, f) ((s) == 1 ? (k)->bf16_##f : (k)->f16_##f)

static uint16_t href_narrow(int s, float v)
{
    return s == 1 ? simdnorm_bf16_narrow1(v) : simdnorm_f16_narrow1(v);
}
static float href_widen(int s, uint16_t h)
{
    return s == 1 ? simdnorm_bf16_widen_canon1(h) : simdnorm_f16_widen_canon1(h);
}
static void href_widen_n(int s, size_t n, const uint16_t *h, float *f)
{
    for (size_t i = 0; i < n; i++)
        f[i] = href_widen(s, h[i]);
}
static void href_narrow_n(int s, size_t n, const float *f, uint16_t *h)
{
    for (size_t i = 0; i < n; i++)
        h[i] = href_narrow(s, f[i]);
}
/* 16-bit data: floats of fill (normal around off, with some specials) narrowed. */
static void fill_half(int s, uint16_t *h, size_t n, double off, double scale)
{
    for (size_t i = 0; i < n; i++) {
        float v = (float)(off + scale * rng_normal());
        switch (rng_u64() % 97) {
        case 0: v = NAN; break;
        case 1: v = -INFINITY; break;
        case 2: v = (float)(rng_normal() * 1e-6); break; /* f16 subnormals */
        case 3: v = -0.0f; break;
        default: break;
        }
        h[i] = href_narrow(s, v);
    }
}

/* Elements [i*step, i*step + len) for i < count refilled finite (off +
 * scale * normal): fill_half puts a NaN or Inf about every 48 elements, so
 * every reduction over a few hundred of them is NaN whatever a kernel adds;
 * the reductions' cases keep some spans (rows, or columns with step 1 and
 * len 1) free of them. */
static void finite_half(int s, uint16_t *h, size_t count, size_t step, size_t len, double off,
                        double scale)
{
    for (size_t i = 0; i < count; i++)
        for (size_t j = 0; j < len; j++)
            h[i * step + j] = href_narrow(s, (float)(off + scale * rng_normal()));
}

static void half_widen_case(const simdnorm_kernels *k, int s)
{
    /* all 65,536 patterns, and tails that end at a guard page */
    const size_t all = 65536;
    guarded_h hb = guarded16(all);
    guarded_buf yb = guarded(all);
    for (size_t i = 0; i < all; i++)
        hb.p[i] = (uint16_t)i;
    HK(k, s, widen)(all, hb.p, yb.p);
    size_t bad = 0;
    for (size_t i = 0; i < all; i++)
        bad += fbits(yb.p[i]) != fbits(href_widen(s, (uint16_t)i));
    CHECK(bad == 0, "%zu of 65536 patterns widen differently", bad);
    for (size_t n = 1; n <= 40; n++) {
        HK(k, s, widen)(n, hb.p + all - n, yb.p + all - n);
        for (size_t i = 0; i < n; i++)
            bad += fbits(yb.p[all - n + i]) != fbits(href_widen(s, hb.p[all - n + i]));
    }
    CHECK(bad == 0, "tails: %zu differ", bad);
    guarded16_free(hb);
    guarded_free(yb);
}

static void half_narrow_case(const simdnorm_kernels *k, int s)
{
    const size_t n = 1 << 17;
    guarded_buf xb = guarded(n);
    guarded_h hb = guarded16(n);
    rng_seed(4242 + (uint64_t)s);
    for (size_t i = 0; i < n; i++) {
        uint32_t u = (uint32_t)rng_u64();
        if (i % 4 == 1) /* near the 16-bit grid: ties and their neighbours */
            u = (u & 0xffff0000u) | ((s == 1 ? 0x8000u : 0x1000u) + (uint32_t)(rng_u64() % 3) - 1u);
        if (i % 4 == 2) /* the binary16 range */
            u = (u & 0x80000000u) | (0x33000000u + (u % (0x47800000u - 0x33000000u)));
        xb.p[i] = from_bits(u);
    }
    HK(k, s, narrow)(n, xb.p, hb.p);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += hb.p[i] != href_narrow(s, xb.p[i]);
    CHECK(bad == 0, "%zu of %zu narrow differently", bad, n);
    for (size_t m = 1; m <= 40; m++) {
        HK(k, s, narrow)(m, xb.p + n - m, hb.p + n - m);
        for (size_t i = n - m; i < n; i++)
            bad += hb.p[i] != href_narrow(s, xb.p[i]);
    }
    CHECK(bad == 0, "tails: %zu differ", bad);
    guarded_free(xb);
    guarded16_free(hb);
}

/* <s>_normalize(_stream) and <s>_activate against the float32 kernels. */
static void half_normalize_case(const simdnorm_kernels *k, int s, int which)
{
    static const int acts[] = {SIMDNORM_ACT_NONE, SIMDNORM_ACT_RELU, SIMDNORM_ACT_GELU_TANH,
                               SIMDNORM_ACT_SILU};
    for (size_t li = 0; li < N_LENGTHS; li++) {
        const size_t n = length_at(li);
        rng_seed(5100 + n);
        guarded_h xb = guarded16(n), yb = guarded16(n);
        guarded_buf gb = guarded(n), bb = guarded(n);
        float *xs = malloc(n * sizeof(float)), *ys = malloc(n * sizeof(float));
        uint16_t *want = malloc(n * sizeof(uint16_t)), *ip = malloc(n * sizeof(uint16_t));
        uint16_t *pfh = malloc(n * sizeof(uint16_t)); /* the prefetch hint's span */
        fill_half(s, xb.p, n, 0.5, 2.0);
        fill_half(s, pfh, n, -3.0, 0.25);
        fill_wide(gb.p, n);
        fill_normal(bb.p, n, 0.0, 1.0);
        href_widen_n(s, n, xb.p, xs);
        for (int v = 0; v < 8; v++) {
            const float *g = v & 1 ? gb.p : NULL, *b = v & 2 ? bb.p : NULL;
            const int act = acts[(v >> 1) & 3];
            if (which == 2) {
                k->f32_activate(n, xs, act, ys);
                HK(k, s, activate)(n, xb.p, act, yb.p);
            } else {
                k->f32_normalize(n, xs, 0.375f, 1.25f, -0.0625f, g, b, act, ys, NULL);
                (which ? HK(k, s, normalize_stream) : HK(k, s, normalize))(
                    n, xb.p, 0.375f, 1.25f, -0.0625f, g, b, act, yb.p, v & 1 ? pfh : NULL);
            }
            href_narrow_n(s, n, ys, want);
            CHECK(memcmp(yb.p, want, n * sizeof(uint16_t)) == 0, "n %zu variant %d differs", n, v);
            memcpy(ip, xb.p, n * sizeof(uint16_t)); /* in place */
            if (which == 2)
                HK(k, s, activate)(n, ip, act, ip);
            else
                (which ? HK(k, s, normalize_stream) : HK(k, s, normalize))(
                    n, ip, 0.375f, 1.25f, -0.0625f, g, b, act, ip, v & 1 ? NULL : pfh);
            CHECK(memcmp(ip, want, n * sizeof(uint16_t)) == 0, "n %zu variant %d: in place differs",
                  n, v);
        }
        free(xs);
        free(ys);
        free(want);
        free(ip);
        free(pfh);
        guarded16_free(xb);
        guarded16_free(yb);
        guarded_free(gb);
        guarded_free(bb);
    }
}

static void half_add_case(const simdnorm_kernels *k, int s)
{
    for (size_t li = 0; li < N_LENGTHS; li++) {
        const size_t n = length_at(li);
        rng_seed(5300 + n);
        guarded_h xb = guarded16(n), rb = guarded16(n);
        guarded_buf bb = guarded(n), hb = guarded(n);
        float *xs = malloc(n * sizeof(float)), *rs = malloc(n * sizeof(float)),
              *want = malloc(n * sizeof(float));
        fill_half(s, xb.p, n, 0.0, 3.0);
        fill_half(s, rb.p, n, 1.0, 1.0);
        fill_normal(bb.p, n, 0.0, 1.0);
        href_widen_n(s, n, xb.p, xs);
        href_widen_n(s, n, rb.p, rs);
        for (int v = 0; v < 4; v++) {
            const uint16_t *r = v & 1 ? rb.p : NULL;
            const float *b = v & 2 ? bb.p : NULL;
            k->f32_add(n, xs, v & 1 ? rs : NULL, b, want);
            HK(k, s, add)(n, xb.p, r, b, hb.p);
            CHECK(memcmp(hb.p, want, n * sizeof(float)) == 0, "n %zu variant %d differs", n, v);
        }
        free(xs);
        free(rs);
        free(want);
        guarded16_free(xb);
        guarded16_free(rb);
        guarded_free(bb);
        guarded_free(hb);
    }
}

/* The 16-bit row engines against the float32 engine on the widened rows
 * (engine_fill's rows: slow ones, NaN, Inf, near FLT_MAX, subnormal). */
static void half_engine_case(const simdnorm_kernels *k, int s, int rms)
{
    static const size_t lens[] = {1, 2, 3, 7, 8, 9, 16, 31, 33, 64, 65, 256, 257, 768, 1000, 4096};
    const int emulated = getenv("SIMDNORM_TEST_EMULATED") != NULL;
    for (size_t li = 0; li < sizeof lens / sizeof *lens; li += emulated ? 2 : 1)
        for (size_t rows = 1; rows <= 19; rows += rows < 4 ? 1 : 5) {
            const size_t n = lens[li], stride = n + 3, xn = (rows - 1) * stride + n;
            for (int v = 0; v < 4; v++) {
                rng_seed(7700 + n * 131 + rows * 7 + (size_t)v);
                /* calloc: the gaps between rows are narrowed too */
                float *xf = calloc(xn, sizeof(float)), *yw = malloc(rows * n * sizeof(float));
                guarded_h xb = guarded16(xn), yb = guarded16(rows * n);
                guarded_buf gb = guarded(n), bb = guarded(n);
                uint16_t *want = malloc(rows * n * sizeof(uint16_t));
                float mean[20], rstd[20], mw[20], rw[20];
                engine_fill(xf, rows, n, stride, v);
                href_narrow_n(s, xn, xf, xb.p);
                href_widen_n(s, xn, xb.p, xf);
                fill_wide(gb.p, n);
                fill_wide(bb.p, n);
                const float *g = v & 1 ? gb.p : NULL, *b = v & 2 ? bb.p : NULL;
                const int act = v == 3 ? SIMDNORM_ACT_GELU_ERF : SIMDNORM_ACT_NONE;
                simdnorm_row_job e = {k, n, xf, g, rms ? NULL : b, stride, n, yw,
                                      rms ? NULL : mw, rw, 1e-5, 1.0 / (double)n, act, 0,
                                      NULL, NULL, 0};
                (rms ? k->f32_rms_norm_rows : k->f32_layer_norm_rows)(&e, 0, rows);
                href_narrow_n(s, rows * n, yw, want);
                e.x = NULL;
                e.y = NULL;
                e.xh = xb.p;
                e.yh = yb.p;
                e.mean = rms ? NULL : mean;
                e.rstd = rstd;
                (rms ? HK(k, s, rms_norm_rows) : HK(k, s, layer_norm_rows))(&e, 0, rows);
                CHECK(memcmp(yb.p, want, rows * n * sizeof(uint16_t)) == 0 &&
                          memcmp(rstd, rw, rows * sizeof(float)) == 0 &&
                          (rms || memcmp(mean, mw, rows * sizeof(float)) == 0),
                      "n %zu rows %zu variant %d: differs from the float32 engine", n, rows, v);
                /* streaming stores (rows of y on cache lines), and in place */
                if (n % 32 == 0) {
                    uint16_t *ay = aligned_alloc(64, rows * n * sizeof(uint16_t));
                    e.yh = ay;
                    e.stream = 2;
                    e.from_memory = 1;
                    (rms ? HK(k, s, rms_norm_rows) : HK(k, s, layer_norm_rows))(&e, 0, rows);
                    CHECK(memcmp(ay, want, rows * n * sizeof(uint16_t)) == 0,
                          "n %zu rows %zu variant %d: streaming differs", n, rows, v);
                    e.stream = 0;
                    e.from_memory = 0;
                    free(ay);
                }
                /* streaming stores into rows off the cache lines (the
                 * partial lines at a row's ends stored plainly) */
                if (n >= 16) {
                    uint16_t *uy = malloc((rows * n + 1) * sizeof(uint16_t));
                    e.yh = uy + 1;
                    e.stream = 2;
                    e.from_memory = 1;
                    (rms ? HK(k, s, rms_norm_rows) : HK(k, s, layer_norm_rows))(&e, 0, rows);
                    CHECK(memcmp(uy + 1, want, rows * n * sizeof(uint16_t)) == 0,
                          "n %zu rows %zu variant %d: unaligned streaming differs", n, rows, v);
                    e.stream = 0;
                    e.from_memory = 0;
                    free(uy);
                }
                uint16_t *ip = malloc(xn * sizeof(uint16_t));
                memcpy(ip, xb.p, xn * sizeof(uint16_t));
                e.xh = ip;
                e.yh = ip;
                e.y_stride = stride;
                e.from_memory = v & 1; /* in-order sums and single rows too */
                (rms ? HK(k, s, rms_norm_rows) : HK(k, s, layer_norm_rows))(&e, 0, rows);
                int same = 1;
                for (size_t r = 0; r < rows; r++)
                    same &= memcmp(ip + r * stride, want + r * n, n * sizeof(uint16_t)) == 0;
                CHECK(same, "n %zu rows %zu variant %d: in place differs", n, rows, v);
                free(ip);
                free(xf);
                free(yw);
                free(want);
                guarded16_free(xb);
                guarded16_free(yb);
                guarded_free(gb);
                guarded_free(bb);
            }
        }
}

static void half_bwd_case(const simdnorm_kernels *k, int s)
{
    static const size_t lens[] = {1, 2, 7, 8, 16, 17, 24, 33, 40, 57, 64, 100, 257, 768, 1000};
    for (size_t li = 0; li < sizeof lens / sizeof *lens; li++)
        for (size_t rows = 1; rows <= 20; rows += rows < 10 ? 3 : 9) {
            const size_t n = lens[li], stride = n + 5, len = (rows - 1) * stride + n;
            rng_seed(9900 + n * 31 + rows);
            guarded_h dyb = guarded16(len), xb = guarded16(len), dxb = guarded16(len);
            guarded_buf gb = guarded(n), mb = guarded(rows), rb = guarded(rows);
            guarded_buf sgb = guarded(n), sbb = guarded(n); /* the kernels' scratch */
            float *dys = malloc(len * sizeof(float)), *xs = malloc(len * sizeof(float)),
                  *dxs = calloc(len, sizeof(float)); /* gaps narrowed into want */
            uint16_t *want = malloc(len * sizeof(uint16_t));
            double *acc = malloc(4 * n * sizeof(double));
            fill_half(s, dyb.p, len, 0.0, 1.0);
            fill_half(s, xb.p, len, 0.1, 2.0);
            finite_half(s, dyb.p + stride, rows / 2, 2 * stride, n, 0.0, 1.0); /* odd rows */
            finite_half(s, xb.p + stride, rows / 2, 2 * stride, n, 0.1, 2.0);
            fill_bwd(gb.p, n, 1.0);
            for (size_t r = 0; r < rows; r++) {
                mb.p[r] = (float)(rng_normal() * 0.1);
                rb.p[r] = (float)(rng_unif() + 0.5);
            }
            href_widen_n(s, len, dyb.p, dys);
            href_widen_n(s, len, xb.p, xs);
            for (int v = 0; v < 8; v++) {
                const int rms = v & 1, has_g = (v >> 1) & 1, sums = (v >> 2) & 1;
                for (size_t j = 0; j < 4 * n; j++)
                    acc[j] = 0.25;
                simdnorm_bwd_job jb = {.cols = n, .dy = dys, .x = xs,
                                       .gamma = has_g ? gb.p : NULL, .mean = rms ? NULL : mb.p,
                                       .rstd = rb.p, .dy_stride = stride, .x_stride = stride,
                                       .dx_stride = stride, .dx = dxs,
                                       .acc_g = sums ? acc : NULL,
                                       .acc_b = sums && !rms ? acc + n : NULL,
                                       .inv_cols = 1.0 / (double)n, .blk_g = sums ? sgb.p : NULL,
                                       .blk_b = sums && !rms ? sbb.p : NULL};
                k->f32_norm_bwd_rows(&jb, 0, rows);
                for (size_t i = 0; i < len; i++)
                    want[i] = href_narrow(s, dxs[i]);
                jb.dy = jb.x = NULL;
                jb.dx = NULL;
                jb.dyh = dyb.p;
                jb.xh = xb.p;
                jb.dxh = dxb.p;
                jb.acc_g = sums ? acc + 2 * n : NULL;
                jb.acc_b = sums && !rms ? acc + 3 * n : NULL;
                /* the row sums in order in half the variants (v's parity:
                 * both ways for each flag) */
                jb.from_memory = (v ^ v >> 1 ^ v >> 2) & 1;
                HK(k, s, norm_bwd_rows)(&jb, 0, rows);
                size_t bad = 0;
                for (size_t i = 0; i < len; i++)
                    bad += i % stride < n && dxb.p[i] != want[i];
                CHECK(bad == 0, "n %zu rows %zu variant %d: %zu of dx differ", n, rows, v, bad);
                CHECK(memcmp(acc, acc + 2 * n, 2 * n * sizeof(double)) == 0,
                      "n %zu rows %zu variant %d: dgamma/dbeta partials differ", n, rows, v);
            }
            free(dys);
            free(xs);
            free(dxs);
            free(want);
            free(acc);
            guarded16_free(dyb);
            guarded16_free(xb);
            guarded16_free(dxb);
            guarded_free(gb);
            guarded_free(mb);
            guarded_free(rb);
            guarded_free(sgb);
            guarded_free(sbb);
        }
}

/* <s>_moments_rows / <s>_moments_seq (seq 0 / 1) and <s>_sumsq /
 * <s>_sumsq_seq (seq 2 / 3, the sums in a1) against the same ISA's f32_
 * families on the widened rows: lengths across the steps, rounds and the
 * block size and past it (RMSNorm takes a long row's sum of squares
 * whole), strided rows, shifts near the data and far from it, NaN/Inf
 * elements (fill_half) in the even rows; the last row ends at a guard
 * page. */
static void half_moments_case(const simdnorm_kernels *k, int s, int seq)
{
    static const size_t lens[] = {1, 7, 8, 31, 33, 64, 196, 255, 256, 257, 600, 1024, 1500, 3136,
                                  4096, 4097, 9000};
    for (size_t li = 0; li < sizeof lens / sizeof *lens; li++) {
        const size_t n = lens[li], rows = 11, stride = n + (li & 1) * 5,
                     total = (rows - 1) * stride + n;
        rng_seed(5300 + n);
        guarded_h xb = guarded16(total);
        float *xs = malloc(total * sizeof(float)), shift[11];
        double a1[11], a2[11], b1[11], b2[11];
        fill_half(s, xb.p, total, 0.25, 2.0);
        finite_half(s, xb.p + stride, rows / 2, 2 * stride, n, 0.25, 2.0); /* odd rows */
        href_widen_n(s, total, xb.p, xs);
        for (size_t r = 0; r < rows; r++)
            shift[r] = r % 3 == 2 ? 1e4f : 0.125f * (float)r;
        if (seq >= 2) {
            for (size_t r = 0; r < rows; r++) {
                const uint16_t *xr = xb.p + r * stride;
                a1[r] = seq == 2 ? HK(k, s, sumsq)(n, xr) : HK(k, s, sumsq_seq)(n, xr);
                b1[r] = seq == 2 ? k->f32_sumsq(n, xs + r * stride)
                                 : k->f32_sumsq_seq(n, xs + r * stride);
                a2[r] = b2[r] = 0.0;
            }
        } else if (seq) {
            for (size_t r = 0; r < rows; r++) {
                double o[2];
                HK(k, s, moments_seq)(n, xb.p + r * stride, shift[r], o);
                a1[r] = o[0];
                a2[r] = o[1];
                k->f32_moments_seq(n, xs + r * stride, shift[r], o);
                b1[r] = o[0];
                b2[r] = o[1];
            }
        } else {
            HK(k, s, moments_rows)(rows, n, xb.p, stride, shift, a1, a2);
            k->f32_moments_rows(rows, n, xs, stride, shift, b1, b2);
        }
        CHECK(memcmp(a1, b1, sizeof a1) == 0 && memcmp(a2, b2, sizeof a2) == 0,
              "n %zu stride %zu: the sums differ", n, stride);
        free(xs);
        guarded16_free(xb);
    }
}

/* <s>_normalize_channels(_stream) against the same ISA's
 * f32_normalize_channels on the widened matrix, narrowed: channel counts
 * across the tiles and tails, strides with gaps (never written), each
 * activation, NaN/Inf elements (fill_half) and parameters, in place; the
 * last row ends at a guard page. */
static void half_channels_case(const simdnorm_kernels *k, int s, int stream)
{
    static const size_t chans[] = {1, 3, 8, 15, 16, 17, 33, 64, 70, 129, 257};
    static const size_t rows_[] = {1, 3, 33};
    static const int hacts[] = {SIMDNORM_ACT_NONE, SIMDNORM_ACT_RELU, SIMDNORM_ACT_GELU_TANH,
                                SIMDNORM_ACT_SILU};
    const uint16_t sentinel = 0x1234;
    for (size_t ci = 0; ci < sizeof chans / sizeof *chans; ci++)
        for (size_t ri = 0; ri < sizeof rows_ / sizeof *rows_; ri++) {
            /* 129 channels, 33 rows 4 KiB apart: taken in memory order */
            const size_t ch = chans[ci], rows = rows_[ri],
                         stride = ch == 129 && ri == 2 ? 2048 : ch + ri * 3;
            const size_t len = (rows - 1) * stride + ch;
            rng_seed(6100 + ch * 31 + rows);
            guarded_h xb = guarded16(len), yb = guarded16(len);
            float *xs = malloc(len * sizeof(float)), *ys = malloc(len * sizeof(float));
            float sh[257], sc[257], of[257];
            uint16_t *want = malloc(len * sizeof(uint16_t));
            fill_half(s, xb.p, len, 0.5, 2.0);
            href_widen_n(s, len, xb.p, xs);
            for (size_t c = 0; c < ch; c++) {
                sh[c] = (float)(rng_normal() * 0.1);
                sc[c] = (float)(rng_unif() + 0.5);
                of[c] = (float)rng_normal();
            }
            if (ch >= 8) {
                sh[5] = INFINITY;
                of[7] = -INFINITY;
            }
            for (size_t a = 0; a < sizeof hacts / sizeof *hacts; a++) {
                k->f32_normalize_channels(rows, ch, xs, stride, sh, sc, of, hacts[a], ys);
                for (size_t i = 0; i < len; i++)
                    want[i] = i % stride < ch ? href_narrow(s, ys[i]) : sentinel;
                for (size_t i = 0; i < len; i++)
                    yb.p[i] = sentinel;
                (stream ? HK(k, s, normalize_channels_stream) : HK(k, s, normalize_channels))(
                    rows, ch, xb.p, stride, sh, sc, of, hacts[a], yb.p);
                CHECK(memcmp(yb.p, want, len * sizeof(uint16_t)) == 0,
                      "rows %zu channels %zu stride %zu act %d: y differs (or a gap written)",
                      rows, ch, stride, hacts[a]);
                memcpy(yb.p, xb.p, len * sizeof(uint16_t)); /* in place */
                (stream ? HK(k, s, normalize_channels_stream) : HK(k, s, normalize_channels))(
                    rows, ch, yb.p, stride, sh, sc, of, hacts[a], yb.p);
                size_t bad = 0;
                for (size_t i = 0; i < len; i++)
                    bad += i % stride < ch ? yb.p[i] != want[i] : yb.p[i] != xb.p[i];
                CHECK(bad == 0, "rows %zu channels %zu act %d: in place differs", rows, ch,
                      hacts[a]);
            }
            free(xs);
            free(ys);
            free(want);
            guarded16_free(xb);
            guarded16_free(yb);
        }
}

/* <s>_channel_moments against the same ISA's f32_channel_moments on the
 * widened matrix: channel counts across the slots, tiles and tails, row
 * counts across the tile rows, strides with gaps, one block and several
 * (few channels: blocks in lanes), NaN/Inf elements (fill_half: NaN sums,
 * whose sign and payload the contract leaves open - on NEON they follow
 * the compiler's operand order); the last element ends at a guard page. */
static void half_channel_moments_case(const simdnorm_kernels *k, int s)
{
    static const size_t chans[] = {1, 3, 4, 5, 8, 9, 16, 17, 33, 64, 70, 129, 257, 300};
    static const size_t rows_[] = {1, 7, 33, 100};
    static const size_t groups_[] = {1, 3};
    for (size_t ci = 0; ci < sizeof chans / sizeof *chans; ci++)
        for (size_t ri = 0; ri < sizeof rows_ / sizeof *rows_; ri++)
            for (size_t gi = 0; gi < 2; gi++) {
                const size_t ch = chans[ci], rows = rows_[ri], groups = groups_[gi];
                const size_t stride = ch + (ri & 1) * 3, gstride = rows * stride + gi * 5;
                const size_t len = (groups - 1) * gstride + (rows - 1) * stride + ch;
                rng_seed(6200 + ch * 31 + rows * 7 + groups);
                guarded_h xb = guarded16(len);
                float *xs = malloc(len * sizeof(float));
                double *a1 = malloc(groups * ch * sizeof(double)),
                       *a2 = malloc(groups * ch * sizeof(double)),
                       *b1 = malloc(groups * ch * sizeof(double)),
                       *b2 = malloc(groups * ch * sizeof(double));
                fill_half(s, xb.p, len, 0.25, 2.0);
                for (size_t g = 0; g < groups; g++) /* odd channels finite */
                    for (size_t r = 0; r < rows; r++)
                        finite_half(s, xb.p + g * gstride + r * stride + 1, ch / 2, 2, 1, 0.25, 2.0);
                href_widen_n(s, len, xb.p, xs);
                HK(k, s, channel_moments)(rows, ch, xb.p, stride, groups, gstride, a1, a2);
                k->f32_channel_moments(rows, ch, xs, stride, groups, gstride, b1, b2);
                size_t bad = 0;
                for (size_t q = 0; q < groups * ch; q++)
                    bad += !same_double(a1[q], b1[q]) || !same_double(a2[q], b2[q]);
                CHECK(bad == 0, "rows %zu channels %zu stride %zu groups %zu: %zu sums differ",
                      rows, ch, stride, groups, bad);
                free(xs);
                free(a1);
                free(a2);
                free(b1);
                free(b2);
                guarded16_free(xb);
            }
}

/* The BatchNorm/GroupNorm backward families in 16 bits against the same
 * ISA's float32 families on the widened dy and x: which 0 bwd_sums, 1
 * bwd_sums_seq, 2 bwd_dx, 7 its _stream form (spans of every length
 * class, gamma or none, in place); 3 bwd_channel_sums, 5 its _seq form, 4 bwd_dx_channels, 6 its _stream form (channel counts across the
 * tiles and tails, strides with gaps never written, in place). NaN/Inf
 * elements (fill_half): NaN sums compare as NaN. Guard pages after dy, x,
 * dx. */
static void half_bwd_families_case(const simdnorm_kernels *k, int s, int which)
{
    if (which <= 2 || which == 7) {
        for (size_t li = 0; li < N_LENGTHS; li++) {
            const size_t n = length_at(li);
            rng_seed(6300 + n + (size_t)which);
            guarded_h db = guarded16(n), xb = guarded16(n), ob = guarded16(n);
            guarded_buf gb = guarded(n);
            float *dyf = malloc(n * sizeof(float)), *xf = malloc(n * sizeof(float)),
                  *of = malloc(n * sizeof(float));
            uint16_t *want = malloc(n * sizeof(uint16_t));
            fill_half(s, db.p, n, 0.0, 1.0);
            fill_half(s, xb.p, n, 0.5, 2.0);
            if (li & 1) { /* every other length finite */
                finite_half(s, db.p, 1, n, n, 0.0, 1.0);
                finite_half(s, xb.p, 1, n, n, 0.5, 2.0);
            }
            fill_wide(gb.p, n);
            href_widen_n(s, n, db.p, dyf);
            href_widen_n(s, n, xb.p, xf);
            for (int v = 0; v < 2; v++) {
                const float *g = v ? gb.p : NULL;
                if (which < 2) {
                    double a[2], b[2];
                    (which ? HK(k, s, bwd_sums_seq) : HK(k, s, bwd_sums))(n, db.p, xb.p, g, 0.25f,
                                                                           1.5f, a);
                    (which ? k->f32_bwd_sums_seq : k->f32_bwd_sums)(n, dyf, xf, g, 0.25f, 1.5f, b);
                    CHECK(same_double(a[0], b[0]) && same_double(a[1], b[1]),
                          "n %zu gamma %d: the sums differ", n, v);
                } else {
                    k->f32_bwd_dx(n, dyf, xf, g, 0.25f, 1.5f, 0.75f, -0.125f, 0.0625f, of);
                    href_narrow_n(s, n, of, want);
                    (which == 7 ? HK(k, s, bwd_dx_stream) : HK(k, s, bwd_dx))(
                        n, db.p, xb.p, g, 0.25f, 1.5f, 0.75f, -0.125f, 0.0625f, ob.p);
                    CHECK(memcmp(ob.p, want, n * sizeof(uint16_t)) == 0, "n %zu gamma %d: dx differs",
                          n, v);
                    memcpy(ob.p, db.p, n * sizeof(uint16_t)); /* in place: dx == dy */
                    (which == 7 ? HK(k, s, bwd_dx_stream) : HK(k, s, bwd_dx))(
                        n, ob.p, xb.p, g, 0.25f, 1.5f, 0.75f, -0.125f, 0.0625f, ob.p);
                    CHECK(memcmp(ob.p, want, n * sizeof(uint16_t)) == 0,
                          "n %zu gamma %d: dx in place differs", n, v);
                }
            }
            free(dyf);
            free(xf);
            free(of);
            free(want);
            guarded16_free(db);
            guarded16_free(xb);
            guarded16_free(ob);
            guarded_free(gb);
        }
        return;
    }
    static const size_t chans[] = {1, 3, 8, 15, 16, 17, 33, 64, 70, 129, 257};
    static const size_t rows_[] = {1, 3, 33};
    const uint16_t sentinel = 0x1234;
    for (size_t ci = 0; ci < sizeof chans / sizeof *chans; ci++)
        for (size_t ri = 0; ri < sizeof rows_ / sizeof *rows_; ri++) {
            /* dx of 129 channels, 33 rows 4 KiB apart: in memory order;
             * the _seq sums on rows of 2 KiB and more (blocks of rows) */
            const size_t ch = chans[ci], rows = rows_[ri],
                         stride = which >= 4 && which != 5 && ch == 129 && ri == 2 ? 2048
                                  : which == 5                       ? 1024 + ri * 5
                                                                     : ch + ri * 3;
            const size_t len = (rows - 1) * stride + ch;
            rng_seed(6400 + ch * 31 + rows + (size_t)which);
            guarded_h db = guarded16(len), xb = guarded16(len), ob = guarded16(len);
            float *dyf = malloc(len * sizeof(float)), *xf = malloc(len * sizeof(float)),
                  *of = malloc(len * sizeof(float));
            uint16_t *want = malloc(len * sizeof(uint16_t));
            float mean[257], rstd[257], w[257], kk[257], o[257];
            double a1[257], a2[257], b1[257], b2[257];
            fill_half(s, db.p, len, 0.0, 1.0);
            fill_half(s, xb.p, len, 0.5, 2.0);
            for (size_t r = 0; r < rows; r++) { /* odd channels finite */
                finite_half(s, db.p + r * stride + 1, ch / 2, 2, 1, 0.0, 1.0);
                finite_half(s, xb.p + r * stride + 1, ch / 2, 2, 1, 0.5, 2.0);
            }
            href_widen_n(s, len, db.p, dyf);
            href_widen_n(s, len, xb.p, xf);
            for (size_t c = 0; c < ch; c++) {
                mean[c] = (float)(0.5 + 0.1 * rng_normal());
                rstd[c] = (float)(rng_unif() + 0.5);
                w[c] = (float)(rng_unif() + 0.25);
                kk[c] = (float)(0.1 * rng_normal());
                o[c] = (float)(0.01 * rng_normal());
            }
            if (which == 3 || which == 5) {
                (which == 5 ? HK(k, s, bwd_channel_sums_seq) : HK(k, s, bwd_channel_sums))(
                    rows, ch, db.p, xb.p, stride, mean, rstd, a1, a2);
                (which == 5 ? k->f32_bwd_channel_sums_seq : k->f32_bwd_channel_sums)(
                    rows, ch, dyf, xf, stride, mean, rstd, b1, b2);
                size_t bad = 0;
                for (size_t c = 0; c < ch; c++)
                    bad += !same_double(a1[c], b1[c]) || !same_double(a2[c], b2[c]);
                CHECK(bad == 0, "rows %zu channels %zu stride %zu: %zu sums differ", rows, ch,
                      stride, bad);
            } else {
                k->f32_bwd_dx_channels(rows, ch, dyf, xf, stride, mean, rstd, w, kk, o, of);
                for (size_t i = 0; i < len; i++)
                    want[i] = i % stride < ch ? href_narrow(s, of[i]) : sentinel;
                for (size_t i = 0; i < len; i++)
                    ob.p[i] = sentinel;
                (which == 6 ? HK(k, s, bwd_dx_channels_stream) : HK(k, s, bwd_dx_channels))(
                    rows, ch, db.p, xb.p, stride, mean, rstd, w, kk, o, ob.p);
                CHECK(memcmp(ob.p, want, len * sizeof(uint16_t)) == 0,
                      "rows %zu channels %zu stride %zu: dx differs (or a gap written)", rows, ch,
                      stride);
                memcpy(ob.p, db.p, len * sizeof(uint16_t)); /* in place: dx == dy */
                (which == 6 ? HK(k, s, bwd_dx_channels_stream) : HK(k, s, bwd_dx_channels))(
                    rows, ch, ob.p, xb.p, stride, mean, rstd, w, kk, o, ob.p);
                size_t bad = 0;
                for (size_t i = 0; i < len; i++)
                    bad += i % stride < ch ? ob.p[i] != want[i] : ob.p[i] != db.p[i];
                CHECK(bad == 0, "rows %zu channels %zu: dx in place differs", rows, ch);
            }
            free(dyf);
            free(xf);
            free(of);
            free(want);
            guarded16_free(db);
            guarded16_free(xb);
            guarded16_free(ob);
        }
}

/* One case_<storage>_<family> (kernels.h "16-bit storage"): the family's
 * half_*_case on storage N. */
#define HALF_CASE_(S, N, fam, call)                                                    \
    static void case_##S##_##fam(const simdnorm_kernels *k, const simdnorm_kernels *ref) \
    {                                                                                  \
        (void)ref;                                                                     \
        call;                                                                          \
    }
#define HALF_CASES_(S, N)                                                              \
    HALF_CASE_(S, N, widen, half_widen_case(k, N)) \
    HALF_CASE_(S, N, narrow, half_narrow_case(k, N)) \
    HALF_CASE_(S, N, normalize, half_normalize_case(k, N, 0)) \
    HALF_CASE_(S, N, normalize_stream, half_normalize_case(k, N, 1)) \
    HALF_CASE_(S, N, activate, half_normalize_case(k, N, 2)) \
    HALF_CASE_(S, N, add, half_add_case(k, N)) \
    HALF_CASE_(S, N, layer_norm_rows, half_engine_case(k, N, 0)) \
    HALF_CASE_(S, N, rms_norm_rows, half_engine_case(k, N, 1)) \
    HALF_CASE_(S, N, norm_bwd_rows, half_bwd_case(k, N)) \
    HALF_CASE_(S, N, moments_rows, half_moments_case(k, N, 0)) \
    HALF_CASE_(S, N, moments_seq, half_moments_case(k, N, 1)) \
    HALF_CASE_(S, N, sumsq, half_moments_case(k, N, 2)) \
    HALF_CASE_(S, N, sumsq_seq, half_moments_case(k, N, 3)) \
    HALF_CASE_(S, N, bwd_sums, half_bwd_families_case(k, N, 0)) \
    HALF_CASE_(S, N, bwd_sums_seq, half_bwd_families_case(k, N, 1)) \
    HALF_CASE_(S, N, bwd_dx, half_bwd_families_case(k, N, 2)) \
    HALF_CASE_(S, N, bwd_dx_stream, half_bwd_families_case(k, N, 7)) \
    HALF_CASE_(S, N, bwd_channel_sums, half_bwd_families_case(k, N, 3)) \
    HALF_CASE_(S, N, bwd_channel_sums_seq, half_bwd_families_case(k, N, 5)) \
    HALF_CASE_(S, N, bwd_dx_channels, half_bwd_families_case(k, N, 4)) \
    HALF_CASE_(S, N, bwd_dx_channels_stream, half_bwd_families_case(k, N, 6)) \
    HALF_CASE_(S, N, channel_moments, half_channel_moments_case(k, N)) \
    HALF_CASE_(S, N, normalize_channels, half_channels_case(k, N, 0)) \
    HALF_CASE_(S, N, normalize_channels_stream, half_channels_case(k, N, 1))
HALF_CASES_(bf16, 1)
HALF_CASES_(f16, 2)

/* Every family of the list (kernels.h) has its case here, named
 * case_<family>: a family without one does not compile. The normalize
 * cases also run the activation epilogue, the stream variants are checked
 * with their plain kernels. */
static void case_f32_normalize(const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    case_normalize(k, ref);
    case_normalize_act(k, ref);
}
#define case_f32_normalize_stream case_f32_normalize
static void case_f32_normalize_channels(const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    case_normalize_channels(k, ref);
    case_normalize_channels_act(k, ref);
}
#define case_f32_normalize_channels_stream case_f32_normalize_channels
#define case_f32_channel_moments case_channel_moments
#define case_f32_activate case_activate
#define case_f32_add case_add

/* ---- BatchNorm's sample tree: f32_bn_rows_nodes, f32_bn_bwd_rows_nodes,
 * f64_chan_merge ----------------------------------------------------------
 * Against the contract written out in plain double C (every ISA, scalar
 * included) and bit for bit against scalar, NaN results as NaN (their sign
 * is not part of the contract: kernels.h); odd channel counts (vector
 * tails), strides, NaN/Inf/huge/-0/subnormal values; guard pages after
 * every array. */
static void tree_merge_def(double *ma, double *qa, double mb, double qb, double wb, double wab)
{
    const double d = mb - *ma;
    *qa = (*qa + qb) + (d * d) * wab;
    *ma = *ma + d * wb;
}

/* Floats with the special values sprinkled in (about one in 7). */
static void fill_tree(float *x, size_t n)
{
    static const float special[] = {NAN, INFINITY, -INFINITY, FLT_MAX, -FLT_MAX, -0.0f, 0.0f,
                                    1e-45f, -3e38f, 0x1p127f};
    fill_wide(x, n);
    for (size_t i = 0; i < n; i++)
        if (rng_u64() % 7 == 0)
            x[i] = special[rng_u64() % (sizeof special / sizeof *special)];
}

/* f32_bn_rows_nodes (bwd 0: x, mean/M2) or f32_bn_bwd_rows_nodes (bwd 1:
 * dy, x, the channels' mean/rstd; s1/s2), every level and channel count. */
static void rows_nodes_case(const simdnorm_kernels *k, const simdnorm_kernels *ref, int bwd)
{
    static const size_t chans[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 127, 129, 256};
    for (unsigned lev = 1; lev <= 3; lev++)
        for (size_t ci = 0; ci < sizeof chans / sizeof *chans; ci++)
            for (size_t extra = 0; extra < 3; extra += 2) {
                const size_t cw = chans[ci], stride = cw + extra, rows = (size_t)1 << lev;
                const size_t len = (rows - 1) * stride + cw;
                rng_seed(9700 + (size_t)bwd * 100 + lev * 1000 + cw * 3 + extra);
                guarded_buf dyb = guarded(len), xb = guarded(len), mnb = guarded(cw),
                            rsb = guarded(cw), ab = guarded(2 * cw), bb = guarded(2 * cw);
                fill_tree(dyb.p, len);
                fill_bwd(xb.p, len, 2.0);
                for (size_t i = 0; i < len; i++)
                    if (rng_u64() % 9 == 0)
                        xb.p[i] = dyb.p[(i * 7) % len];
                fill_bwd(mnb.p, cw, 0.5);
                for (size_t j = 0; j < cw; j++)
                    rsb.p[j] = (float)(rng_unif() + 0.5);
                const float *x = bwd ? xb.p : dyb.p; /* the forward's x: the special values */
                double *a = (double *)(void *)ab.p, *b = (double *)(void *)bb.p;
                double *ra = malloc(2 * cw * sizeof(double)), *rb = ra + cw;
                if (bwd) {
                    k->f32_bn_bwd_rows_nodes(lev, cw, dyb.p, x, stride, mnb.p, rsb.p, a, b);
                    ref->f32_bn_bwd_rows_nodes(lev, cw, dyb.p, x, stride, mnb.p, rsb.p, ra, rb);
                } else {
                    k->f32_bn_rows_nodes(lev, cw, x, stride, a, b);
                    ref->f32_bn_rows_nodes(lev, cw, x, stride, ra, rb);
                }
                size_t bad_def = 0, bad_ref = 0;
                for (size_t j = 0; j < cw; j++) {
                    double da[8], db[8];
                    for (size_t r = 0; r < rows; r++) {
                        const size_t i = r * stride + j;
                        const double v = bwd ? dyb.p[i] : x[i];
                        const float xh = (x[i] - mnb.p[j]) * rsb.p[j];
                        da[r] = bwd ? 0.0 + v : v + 0.0;
                        db[r] = bwd ? fma(v, (double)xh, 0.0) : v - v;
                    }
                    for (unsigned l = 0; l < lev; l++)
                        for (size_t r = 0; r < rows; r += (size_t)2 << l) {
                            const size_t h = r + ((size_t)1 << l);
                            const double cnt = ldexp(1.0, (int)l);
                            const simdnorm_merge_weights w = simdnorm_merge_weights_of(cnt, cnt);
                            if (!bwd) {
                                tree_merge_def(&da[r], &db[r], da[h], db[h], w.wb, w.wab);
                            } else {
                                da[r] = da[r] + da[h];
                                db[r] = db[r] + db[h];
                            }
                        }
                    bad_def += !same_double(da[0], a[j]) || !same_double(db[0], b[j]);
                    bad_ref += !same_double(ra[j], a[j]) || !same_double(rb[j], b[j]);
                }
                CHECK(bad_def == 0, "lev %u channels %zu stride %zu: %zu channels differ from the "
                      "definition", lev, cw, stride, bad_def);
                CHECK(bad_ref == 0, "lev %u channels %zu stride %zu: %zu channels differ from "
                      "scalar", lev, cw, stride, bad_ref);
                free(ra);
                guarded_buf bufs[] = {dyb, xb, mnb, rsb, ab, bb};
                for (size_t i = 0; i < 6; i++)
                    guarded_free(bufs[i]);
            }
}

static void case_f32_bn_rows_nodes(const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    rows_nodes_case(k, ref, 0);
}

static void case_f32_bn_bwd_rows_nodes(const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    rows_nodes_case(k, ref, 1);
}

static void case_f64_chan_merge(const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    static const double counts[][2] = {{1, 1}, {2, 2}, {8, 8}, {3, 5}, {4096, 17}, {1e9, 3}};
    static const double special[] = {NAN, INFINITY, -INFINITY, 1e300, -1e300, DBL_MAX, -0.0,
                                     4.9e-324, 1e-300};
    for (size_t cw = 1; cw <= 70; cw += (cw < 20 ? 1 : 7))
        for (size_t wi = 0; wi < sizeof counts / sizeof *counts; wi++) {
            rng_seed(9900 + cw * 11 + wi);
            const simdnorm_merge_weights w = simdnorm_merge_weights_of(counts[wi][0], counts[wi][1]);
            guarded_buf ab = guarded(2 * cw), qab = guarded(2 * cw), bb = guarded(2 * cw),
                        qbb = guarded(2 * cw);
            double *ma = (double *)(void *)ab.p, *qa = (double *)(void *)qab.p;
            double *mb = (double *)(void *)bb.p, *qb = (double *)(void *)qbb.p;
            double *ma0 = malloc(4 * cw * sizeof(double)), *qa0 = ma0 + cw, *rm = qa0 + cw,
                   *rq = rm + cw;
            for (size_t j = 0; j < cw; j++) {
                double v[4];
                for (size_t t = 0; t < 4; t++) {
                    v[t] = rng_normal() * ldexp(1.0, (int)(rng_u64() % 161) - 80);
                    if (rng_u64() % 6 == 0)
                        v[t] = special[rng_u64() % (sizeof special / sizeof *special)];
                }
                ma0[j] = ma[j] = rm[j] = v[0];
                qa0[j] = qa[j] = rq[j] = fabs(v[1]);
                mb[j] = v[2];
                qb[j] = fabs(v[3]);
            }
            k->f64_chan_merge(cw, w.wb, w.wab, ma, qa, mb, qb);
            ref->f64_chan_merge(cw, w.wb, w.wab, rm, rq, mb, qb);
            size_t bad_def = 0, bad_ref = 0;
            for (size_t j = 0; j < cw; j++) {
                double dm = ma0[j], dq = qa0[j];
                tree_merge_def(&dm, &dq, mb[j], qb[j], w.wb, w.wab);
                bad_def += !same_double(dm, ma[j]) || !same_double(dq, qa[j]);
                bad_ref += !same_double(rm[j], ma[j]) || !same_double(rq[j], qa[j]);
            }
            CHECK(bad_def == 0, "channels %zu counts %g, %g: %zu channels differ from the "
                  "definition", cw, counts[wi][0], counts[wi][1], bad_def);
            CHECK(bad_ref == 0, "channels %zu counts %g, %g: %zu channels differ from scalar", cw,
                  counts[wi][0], counts[wi][1], bad_ref);
            free(ma0);
            guarded_buf bufs[] = {ab, qab, bb, qbb};
            for (size_t i = 0; i < 4; i++)
                guarded_free(bufs[i]);
        }
}

int main(void)
{
    const simdnorm_kernels *ref = simdnorm_kernels_for(SIMDNORM_ISA_SCALAR);
#define FAMILY_CASE_(a, f) {#f, case_##f},
    static const struct {
        const char *name;
        void (*fn)(const simdnorm_kernels *, const simdnorm_kernels *);
    } cases[] = {SIMDNORM_KERNEL_FAMILIES(FAMILY_CASE_, ~)};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
        for (size_t i = 0; i < N_ARCH_ISAS; i++) {
            const simdnorm_isa isa = arch_isas[i];
            if (isa == SIMDNORM_ISA_SCALAR && strncmp(cases[c].name, "f32_", 4) == 0 &&
                cases[c].fn != case_f32_layer_norm_rows &&
                cases[c].fn != case_f32_rms_norm_rows && cases[c].fn != case_f32_bwd_sums &&
                cases[c].fn != case_f32_bwd_sums_seq &&
                cases[c].fn != case_f32_bwd_dx && cases[c].fn != case_f32_bwd_dx_stream &&
                cases[c].fn != case_f32_bwd_channel_sums &&
                cases[c].fn != case_f32_bwd_channel_sums_seq &&
                cases[c].fn != case_f32_bwd_dx_channels && cases[c].fn != case_f32_norm_bwd_rows &&
                cases[c].fn != case_f32_bn_rows_nodes && cases[c].fn != case_f32_bn_bwd_rows_nodes &&
                cases[c].fn != case_f64_chan_merge)
                continue; /* the reference itself (cases with a written-out definition run on
                           * scalar too) */
            h_begin("%s_bitwise[%s]", cases[c].name, simdnorm_isa_name(isa));
            if (!simdnorm_kernels_for(isa)) {
                CHECK(0, "%s is not compiled in", simdnorm_isa_name(isa));
            } else if (!simdnorm_isa_available(isa)) {
                h_skip("this CPU cannot run it");
                continue;
            } else if (!isa_listed(isa)) {
                h_skip("not in SIMDNORM_TEST_ISAS");
                continue;
            } else {
                cases[c].fn(simdnorm_kernels_for(isa), ref);
            }
            h_end();
        }
    return h_summary();
}
