/* act_ref.h - the float64 reference of the smooth activations, the ULP
 * measure and the input ranges, shared by tools/act-exhaustive and
 * tests/test_act.c.
 *
 * The reference, in double, written without the cancellations of the
 * textbook forms:
 *   GELU(erf)  x Phi(x) = x (1 - erfc(x/sqrt2)/2) for x >= 0,
 *              x erfc(-x/sqrt2)/2 below (0.5 x (1 + erf(x/sqrt2)));
 *   GELU(tanh) x / (1 + e^-w), w = 2 sqrt(2/pi) (x + 0.044715 x^3)
 *              (0.5 x (1 + tanh(w/2)));
 *   SiLU       x / (1 + e^-x).
 * The ULP of a reference value v is 2^(e-23) for 2^e <= |v| < 2^(e+1),
 * e >= -126, and 2^-149 below it (float's spacing there). */
#ifndef SIMDNORM_ACT_REF_H
#define SIMDNORM_ACT_REF_H

#include <math.h>

#include "simdnorm.h"

static inline double act_ref(int act, double x)
{
    switch (act) {
    case SIMDNORM_ACT_GELU_ERF:
        return x >= 0 ? x * (1.0 - 0.5 * erfc(x * 0.70710678118654752440))
                      : 0.5 * x * erfc(-x * 0.70710678118654752440);
    case SIMDNORM_ACT_GELU_TANH: {
        const double w = 1.5957691216057307117 * (x + 0.044715 * x * x * x);
        return x / (1.0 + exp(-w));
    }
    case SIMDNORM_ACT_SILU:
        return x / (1.0 + exp(-x));
    default:
        return x;
    }
}

static inline double act_ulp_of(double v)
{
    const double a = fabs(v);
    if (a < 0x1p-126)
        return 0x1p-149;
    int e;
    frexp(a, &e); /* a in [2^(e-1), 2^e) */
    return ldexp(1.0, e - 1 - 23);
}

/* The ranges of x the tables report, lo <= x < hi. */
typedef struct act_range {
    const char *name;
    double lo, hi;
} act_range;

static const act_range act_ranges[] = {
    {"x < -88", -INFINITY, -88.0},
    {"-88 <= x < -10", -88.0, -10.0},
    {"-10 <= x < -3", -10.0, -3.0},
    {"-3 <= x < -1", -3.0, -1.0},
    {"-1 <= x <= -2^-10", -1.0, -0x1p-10},
    {"\\|x\\| < 2^-10", -0x1p-10, 0x1p-10},
    {"2^-10 <= x < 1", 0x1p-10, 1.0},
    {"1 <= x < 3", 1.0, 3.0},
    {"3 <= x < 10", 3.0, 10.0},
    {"x >= 10", 10.0, INFINITY},
};
#define ACT_N_RANGES (sizeof act_ranges / sizeof *act_ranges)

/* The range of a non-NaN x (-2^-10 belongs to "-1 <= x <= -2^-10"). */
static inline int act_range_of(float x)
{
    if (x == -0x1p-10f)
        return 4;
    for (int r = 0; r < (int)ACT_N_RANGES; r++)
        if (x >= act_ranges[r].lo && x < act_ranges[r].hi)
            return r;
    return (int)ACT_N_RANGES - 1; /* +inf */
}

#endif
