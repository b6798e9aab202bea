/* bn_binned.c - the order-independent sum of BatchNorm's blocks (internal.h,
 * "BatchNorm's blocks"): exact binned accumulators of doubles, their merge,
 * and the block sinks of the forward (moments) and the backward (sums).
 * Plain C compiled once (no -m flags, no contraction): every ISA, thread
 * count and MPI rank count shares these bits.
 *
 * A double x = +-m * 2^(e - 1075) (m < 2^53 an integer) is a sum of base-2^32
 * digits on one fixed grid: bin b holds the digit of weight
 * 2^(32*b + BINNED_E0). Its digits are those of |x| with x's sign - a
 * function of x alone. An accumulator keeps the bins
 * [top - SIMDNORM_BINNED_LIMBS + 1, top] where top is the highest bin any
 * added value has reached: the digits below that window are dropped (x's
 * value truncated toward zero there), the others added into int64 limbs
 * exactly. Since what is kept of each value depends only on the value and
 * on the final top (the largest value's highest bin, the same whatever the
 * order), the accumulator after any sequence of adds and merges of the same
 * values is the same bits: the sum does not depend on the order. Limbs are
 * never carried into each other (a carry would move a dropped bin's content
 * into a kept one): a limb holds up to 2^31 digits below 2^32 each, so an
 * accumulator takes up to 2^31 values (a block sink 4 per block: batches
 * up to 2^29 blocks, 2^41 samples). The window keeps at least
 * 32 * (SIMDNORM_BINNED_LIMBS - 1) = 96 bits below the largest value's
 * leading bit. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"

/* Weight of bin 0's digit: 2^BINNED_E0, a multiple of 32 below the least
 * double's 2^-1074, so that every double's last bit lies on the grid. */
#define BINNED_E0 (-1088)
#define BINNED_EMPTY INT32_MIN

enum { BINNED_NAN = 1, BINNED_PINF = 2, BINNED_NINF = 4 };

void simdnorm_binned_clear(simdnorm_binned *b)
{
    memset(b->limb, 0, sizeof b->limb);
    b->top = BINNED_EMPTY;
    b->flags = 0;
}

/* Moves the window up to top (> b->top): limbs shift down, the lowest drop. */
static void binned_raise(simdnorm_binned *b, int32_t top)
{
    const int32_t shift = top - b->top;
    for (int i = SIMDNORM_BINNED_LIMBS - 1; i >= 0; i--)
        b->limb[i] = i - shift >= 0 ? b->limb[i - shift] : 0;
    b->top = top;
}

static inline __attribute__((always_inline)) void binned_add(simdnorm_binned *b, double x)
{
    if (x != x) {
        b->flags |= BINNED_NAN;
        return;
    }
    if (x == INFINITY || x == -INFINITY) {
        b->flags |= x > 0 ? BINNED_PINF : BINNED_NINF;
        return;
    }
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    const int neg = (int)(u >> 63);
    int e = (int)((u >> 52) & 0x7ff);
    uint64_t m = u & ((UINT64_C(1) << 52) - 1);
    if (e == 0) {
        if (m == 0)
            return; /* +-0 */
        e = 1;      /* subnormal: m * 2^-1074 */
    } else {
        m |= UINT64_C(1) << 52;
    }
    /* x's last bit sits a = e - 1075 - BINNED_E0 bits above 2^BINNED_E0 */
    const int a = e - 1075 - BINNED_E0;
    const int32_t bin0 = a >> 5;
    const int o = a & 31;
    const uint64_t rest = o ? m >> (32 - o) : m >> 32; /* (m << o) >> 32, < 2^52 */
    int64_t d[3] = {(int64_t)((m << o) & 0xffffffffu), (int64_t)(rest & 0xffffffffu),
                    (int64_t)(rest >> 32)};
    const int32_t high = bin0 + (d[2] ? 2 : d[1] ? 1 : 0);
    if (b->top == BINNED_EMPTY) {
        memset(b->limb, 0, sizeof b->limb);
        b->top = high;
    } else if (high > b->top) {
        binned_raise(b, high);
    }
    for (int k = 0; k < 3; k++) {
        const int32_t i = b->top - (bin0 + k);
        if (i >= 0 && i < SIMDNORM_BINNED_LIMBS)
            b->limb[i] += neg ? -d[k] : d[k];
    }
}

void simdnorm_binned_add(simdnorm_binned *b, double x) { binned_add(b, x); }

void simdnorm_binned_merge(simdnorm_binned *a, const simdnorm_binned *b)
{
    a->flags |= b->flags;
    if (b->top == BINNED_EMPTY)
        return;
    if (a->top == BINNED_EMPTY) {
        memcpy(a->limb, b->limb, sizeof a->limb);
        a->top = b->top;
        return;
    }
    if (b->top > a->top)
        binned_raise(a, b->top);
    const int32_t shift = a->top - b->top;
    for (int i = 0; i < SIMDNORM_BINNED_LIMBS; i++)
        if (i - shift >= 0)
            a->limb[i] += b->limb[i - shift];
}

/* ---- double-double helpers (each result a fixed sequence of IEEE
 * operations and fma: the same bits everywhere) --------------------------- */

typedef struct dd {
    double hi, lo;
} dd;

static dd two_sum(double a, double b)
{
    const double s = a + b, bb = s - a;
    const dd r = {s, (a - (s - bb)) + (b - bb)};
    return r;
}

static dd fast_two_sum(double a, double b)
{
    const double s = a + b;
    const dd r = {s, b - (s - a)};
    return r;
}

static dd two_prod(double a, double b)
{
    const double p = a * b;
    const dd r = {p, fma(a, b, -p)};
    return r;
}

static dd dd_add(dd x, dd y)
{
    dd s = two_sum(x.hi, y.hi);
    return fast_two_sum(s.hi, s.lo + (x.lo + y.lo));
}

static dd dd_mul(dd x, dd y)
{
    dd p = two_prod(x.hi, y.hi);
    return fast_two_sum(p.hi, p.lo + (x.hi * y.lo + x.lo * y.hi));
}

static dd dd_div_d(dd x, double d)
{
    const double q1 = x.hi / d;
    const dd p = two_prod(q1, d);
    const dd r = two_sum(x.hi, -p.hi);
    const double q2 = (r.hi + (r.lo - p.lo + x.lo)) / d;
    return fast_two_sum(q1, q2);
}

/* v * 2^w (v an integer below 2^32 in magnitude): one rounding at most (a
 * result below the normal range), as ldexp's. */
static double scaled(double v, int w)
{
    if (w < -1022 || w > 1023)
        return ldexp(v, w);
    const uint64_t u = (uint64_t)(w + 1023) << 52;
    double p;
    memcpy(&p, &u, sizeof p);
    return v * p;
}

/* The kept value of b's finite part as a double-double: the limbs' halves
 * (exact doubles) summed from the lowest, zero limbs skipped. */
static dd binned_dd(const simdnorm_binned *b)
{
    dd acc = {0.0, 0.0};
    if (b->top == BINNED_EMPTY)
        return acc;
    for (int i = SIMDNORM_BINNED_LIMBS - 1; i >= 0; i--) {
        if (b->limb[i] == 0)
            continue;
        const int w = 32 * (b->top - i) + BINNED_E0; /* the limb's weight */
        const int64_t hi = b->limb[i] >> 32;         /* floor */
        const double lo = (double)(b->limb[i] - hi * ((int64_t)1 << 32));
        const dd t1 = two_sum(acc.hi, scaled(lo, w));
        acc.hi = t1.hi;
        acc.lo += t1.lo;
        const dd t2 = two_sum(acc.hi, scaled((double)hi, w + 32));
        acc.hi = t2.hi;
        acc.lo += t2.lo;
    }
    return fast_two_sum(acc.hi, acc.lo);
}

/* NaN when the flags hold a NaN or both infinities, else the infinity. */
static double binned_nonfinite(uint32_t flags)
{
    if ((flags & BINNED_NAN) || (flags & (BINNED_PINF | BINNED_NINF)) == (BINNED_PINF | BINNED_NINF))
        return NAN;
    return flags & BINNED_PINF ? INFINITY : -INFINITY;
}

double simdnorm_binned_value(const simdnorm_binned *b)
{
    if (b->flags)
        return binned_nonfinite(b->flags);
    return binned_dd(b).hi;
}

/* ---- block sinks --------------------------------------------------------- */

void simdnorm_bn_sink_clear(size_t cw, simdnorm_bn_sink *k)
{
    for (size_t j = 0; j < cw; j++) {
        simdnorm_binned_clear(&k[j].s);
        simdnorm_binned_clear(&k[j].q);
        simdnorm_binned_clear(&k[j].m);
    }
}

void simdnorm_bn_sink_add(size_t cw, simdnorm_bn_sink *k, double count, const double *mean,
                          const double *m2)
{
    for (size_t j = 0; j < cw; j++) {
        const double mu = mean[j];
        if (m2[j] != m2[j]) { /* the tree's non-finite rule: mean +-Inf or NaN */
            binned_add(&k[j].s, mu);
            k[j].m.flags |= BINNED_NAN;
            continue;
        }
        /* count*mean = sh + sl and count*mean^2 = (sh + sl)*mean, exactly */
        const dd s = two_prod(count, mu), q1 = two_prod(s.hi, mu), q2 = two_prod(s.lo, mu);
        binned_add(&k[j].s, s.hi);
        binned_add(&k[j].s, s.lo);
        binned_add(&k[j].q, q1.hi);
        binned_add(&k[j].q, q1.lo);
        binned_add(&k[j].q, q2.hi);
        binned_add(&k[j].q, q2.lo);
        binned_add(&k[j].m, m2[j]);
    }
}

void simdnorm_bn_sink_merge(size_t cw, simdnorm_bn_sink *a, const simdnorm_bn_sink *b)
{
    for (size_t j = 0; j < cw; j++) {
        simdnorm_binned_merge(&a[j].s, &b[j].s);
        simdnorm_binned_merge(&a[j].q, &b[j].q);
        simdnorm_binned_merge(&a[j].m, &b[j].m);
    }
}

/* mean = S/N, M2 = M + (Q - S^2/N) in double-double, rounded to double; a
 * channel that met the non-finite rule: mean +-Inf or NaN as the plain sum
 * of its blocks' means would be, M2 NaN. */
void simdnorm_bn_sink_moments(size_t cw, const simdnorm_bn_sink *k, double count, double *mean,
                              double *m2)
{
    for (size_t j = 0; j < cw; j++) {
        if (k[j].m.flags || k[j].s.flags) {
            mean[j] = k[j].s.flags ? binned_nonfinite(k[j].s.flags) : NAN;
            m2[j] = NAN;
            continue;
        }
        const dd s = binned_dd(&k[j].s), q = binned_dd(&k[j].q), m = binned_dd(&k[j].m);
        mean[j] = dd_div_d(s, count).hi;
        const dd s2n = dd_div_d(dd_mul(s, s), count);
        const dd between = dd_add(q, (dd){-s2n.hi, -s2n.lo});
        const double r = dd_add(m, between).hi;
        m2[j] = r > 0.0 ? r : 0.0; /* the exact value is >= 0 */
    }
}

void simdnorm_bn_sums_sink_clear(size_t cw, simdnorm_bn_sums_sink *k)
{
    for (size_t j = 0; j < cw; j++) {
        simdnorm_binned_clear(&k[j].s1);
        simdnorm_binned_clear(&k[j].s2);
    }
}

void simdnorm_bn_sums_sink_merge(size_t cw, simdnorm_bn_sums_sink *a, const simdnorm_bn_sums_sink *b)
{
    for (size_t j = 0; j < cw; j++) {
        simdnorm_binned_merge(&a[j].s1, &b[j].s1);
        simdnorm_binned_merge(&a[j].s2, &b[j].s2);
    }
}

void simdnorm_bn_sums_sink_add(size_t cw, simdnorm_bn_sums_sink *k, const double *s1,
                               const double *s2)
{
    for (size_t j = 0; j < cw; j++) {
        binned_add(&k[j].s1, s1[j]);
        binned_add(&k[j].s2, s2[j]);
    }
}

void simdnorm_bn_sums_sink_value(size_t cw, const simdnorm_bn_sums_sink *k, double *s1,
                                 double *s2)
{
    for (size_t j = 0; j < cw; j++) {
        s1[j] = simdnorm_binned_value(&k[j].s1);
        s2[j] = simdnorm_binned_value(&k[j].s2);
    }
}
