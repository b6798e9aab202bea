/* test_act.c - the smooth activations' float sequences (GELU(erf),
 * GELU(tanh), SiLU; kernels/generic/act_math.h) on ~285 000 float inputs
 * over every range - each binade from the subnormals to FLT_MAX, both
 * signs, a dense sweep of [-16, 16], the sequences' own boundaries (pieces,
 * tails) and their neighbours, and the special values:
 *   - bit for bit equal on every ISA this CPU runs (scalar's C fmaf is
 *     libm's software fma on a CPU without FMA: the same bits);
 *   - against a float64 reference (tools/act-exhaustive/act_ref.h, libm)
 *     and against a second, independent one built from SLEEF's
 *     double-precision erfc and exp: at most 2 ULP of the result, and
 *     |error| <= 2^-23 max(1, |x|) (the bounds tools/act-exhaustive
 *     establishes on all 2^32 inputs, README "Activations");
 *   - NaN in, the canonical NaN out; +inf -> +inf; -inf -> NaN (what
 *     0.5 x (1 + erf(x/sqrt2)) and x / (1 + e^-x) give). */
#include <sleef.h>

#include "common.h"
#include "internal.h"
#include "act_ref.h"

static const simdnorm_activation acts[] = {SIMDNORM_ACT_GELU_ERF, SIMDNORM_ACT_GELU_TANH,
                                           SIMDNORM_ACT_SILU};
static const char *const act_names[] = {"gelu_erf", "gelu_tanh", "silu"};

/* The second reference: the same formulas (act_ref.h) with SLEEF's
 * double-precision functions (purec: no FMA needed) in place of libm's. */
static double sleef_ref(int act, double x)
{
    switch (act) {
    case SIMDNORM_ACT_GELU_ERF:
        return x >= 0 ? x * (1.0 - 0.5 * Sleef_erfcd1_u15purec(x * 0.70710678118654752440))
                      : 0.5 * x * Sleef_erfcd1_u15purec(-x * 0.70710678118654752440);
    case SIMDNORM_ACT_GELU_TANH: {
        const double w = 1.5957691216057307117 * (x + 0.044715 * x * x * x);
        return x / (1.0 + Sleef_expd1_u10purec(-w));
    }
    default:
        return x / (1.0 + Sleef_expd1_u10purec(-x));
    }
}

/* The inputs: returns their count. */
static size_t make_inputs(float *x, size_t cap)
{
    size_t n = 0;
#define PUT(v)                                                                 \
    do {                                                                       \
        if (n < cap)                                                           \
            x[n++] = (v);                                                      \
    } while (0)
    /* every binade (biased exponent 0: the subnormals), both signs, 400
     * mantissas each: the binade's ends and random ones */
    for (uint32_t e = 0; e < 255; e++)
        for (uint32_t sign = 0; sign < 2; sign++)
            for (int k = 0; k < 400; k++) {
                const uint32_t m = k == 0 ? 0 : k == 1 ? 0x7fffff : k == 2 ? 1
                                 : (uint32_t)(rng_u64() & 0x7fffff);
                PUT(from_bits(sign << 31 | e << 23 | m));
            }
    /* a dense sweep of [-16, 16] */
    for (int k = 0; k < 80000; k++)
        PUT((float)(32.0 * rng_unif() - 16.0));
    /* the sequences' boundaries and their neighbours (float steps) */
    static const float edges[] = {0.5f, 1.0f, 1.5f, 2.0f, 2.5f, 3.0f, 3.5f, 4.0f, 4.7f, 10.0f,
                                  14.5f, 16.25f, 16.5f, 87.0f, 88.0f, 88.72f, 103.9f, 110.0f,
                                  0x1.fffffep1f, 0x1p-10f, 0x1p-126f, 0x1p-149f};
    for (size_t i = 0; i < sizeof edges / sizeof *edges; i++)
        for (int s = -1; s <= 1; s += 2) {
            float v = (float)s * edges[i];
            for (int k = 0; k < 8; k++)
                v = nextafterf(v, -INFINITY);
            for (int k = 0; k < 17; k++) {
                PUT(v);
                v = nextafterf(v, INFINITY);
            }
        }
    static const float special[] = {0.0f, -0.0f, FLT_MIN, -FLT_MIN, FLT_MAX, -FLT_MAX,
                                    INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof special / sizeof *special; i++)
        PUT(special[i]);
    static const uint32_t nans[] = {0x7fc00000u, 0xffc00000u, 0x7f800001u, 0xff812345u,
                                    0x7fffffffu};
    for (size_t i = 0; i < sizeof nans / sizeof *nans; i++)
        PUT(from_bits(nans[i]));
#undef PUT
    return n;
}

/* The accuracy of y = act(x) against one reference: failures counted by
 * kind, the worst ULP and |error| / (2^-23 max(1, |x|)) kept. */
typedef struct acc {
    size_t bad_ulp, bad_abs, bad_special;
    double max_ulp, max_abs;
    float worst_x;
} acc;

static void check_value(acc *a, int act, float x, float y, double ref)
{
    if (isnan(x) || isinf(x)) {
        /* NaN -> canonical NaN; +inf -> +inf; -inf -> canonical NaN */
        const int ok = (isnan(x) || x < 0) ? fbits(y) == SIMDNORM_CANONICAL_NAN_BITS
                                           : (isinf(y) && y > 0);
        a->bad_special += !ok;
        return;
    }
    (void)act;
    if (!isfinite(y)) {
        a->bad_special++;
        return;
    }
    const double err = fabs((double)y - ref);
    const double u = err / act_ulp_of(ref);
    const double ab = err / (0x1p-23 * fmax(1.0, fabs((double)x)));
    if (u > a->max_ulp) {
        a->max_ulp = u;
        a->worst_x = x;
    }
    if (ab > a->max_abs)
        a->max_abs = ab;
    a->bad_ulp += u > 2.0;
    a->bad_abs += ab > 1.0;
}

int main(void)
{
    const size_t cap = 400000;
    float *x = malloc(cap * sizeof(float)), *y0 = malloc(cap * sizeof(float));
    float *y = malloc(cap * sizeof(float));
    rng_seed(12);
    const size_t n = make_inputs(x, cap);
    const simdnorm_kernels *scalar = simdnorm_kernels_for(SIMDNORM_ISA_SCALAR);

    for (size_t a = 0; a < sizeof acts / sizeof *acts; a++) {
        const int act = acts[a];
        scalar->f32_activate(n, x, act, y0);

        /* the two references */
        h_begin("%s_%zu_inputs_vs_float64_libm_and_sleef", act_names[a], n);
        acc lib = {0}, slf = {0};
        for (size_t i = 0; i < n; i++) {
            const double r1 = act_ref(act, x[i]), r2 = sleef_ref(act, x[i]);
            check_value(&lib, act, x[i], y0[i], r1);
            check_value(&slf, act, x[i], y0[i], r2);
        }
        printf("  %s: max %.3f ULP (libm; at x = %a), %.3f ULP (SLEEF), max |err| / (2^-23"
               " max(1, |x|)) %.3f\n",
               act_names[a], lib.max_ulp, (double)lib.worst_x, slf.max_ulp, lib.max_abs);
        CHECK(lib.bad_ulp == 0 && slf.bad_ulp == 0,
              "%zu / %zu results beyond 2 ULP (worst %.3f at %a)", lib.bad_ulp, slf.bad_ulp,
              lib.max_ulp, (double)lib.worst_x);
        CHECK(lib.bad_abs == 0 && slf.bad_abs == 0, "%zu results beyond 2^-23 max(1, |x|)",
              lib.bad_abs);
        CHECK(lib.bad_special == 0, "%zu NaN/Inf results wrong", lib.bad_special);
        h_end();

        /* every ISA, bit for bit */
        for (size_t k = 0; k < N_ARCH_ISAS; k++) {
            h_begin("%s_bitwise[%s]", act_names[a], simdnorm_isa_name(arch_isas[k]));
            if (!simdnorm_isa_available(arch_isas[k])) {
                h_skip("this CPU cannot run it");
                continue;
            }
            simdnorm_kernels_for(arch_isas[k])->f32_activate(n, x, act, y);
            size_t diff = 0, first = 0;
            for (size_t i = 0; i < n; i++)
                if (fbits(y[i]) != fbits(y0[i]) && diff++ == 0)
                    first = i;
            CHECK(diff == 0, "%zu results differ from scalar, first f(%a) = %a, scalar %a", diff,
                  (double)x[first], (double)y[first], (double)y0[first]);
            /* the public entry point, on this ISA */
            simdnorm_set_isa(arch_isas[k]);
            simdnorm_activate_f32(n, x, (simdnorm_activation)act, y);
            CHECK(memcmp(y, y0, n * sizeof(float)) == 0, "simdnorm_activate_f32 differs");
            h_end();
        }
    }
    free(x);
    free(y0);
    free(y);
    return h_summary();
}
