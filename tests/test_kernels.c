/* test_kernels.c - every kernel of every ISA this CPU runs, called directly
 * (as dav1d's checkasm does) and compared bit for bit with the scalar
 * kernel: the double sums of the reductions too, on wide-range data where
 * any change of summation order or of fused vs unfused arithmetic shows. */
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

static void case_moments(const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    for (size_t li = 0; li < N_LENGTHS; li++) {
        const size_t n = length_at(li);
        rng_seed(1000 + n);
        guarded_buf xb = guarded(n);
        fill_wide(xb.p, n);
        const float shift = xb.p[n / 2];
        double got[2], want[2];
        k->f32_moments(n, xb.p, shift, got);
        ref->f32_moments(n, xb.p, shift, want);
        CHECK(dbits(got[0]) == dbits(want[0]) && dbits(got[1]) == dbits(want[1]),
              "n %zu: moments (%.17g, %.17g), scalar (%.17g, %.17g)", n, got[0], got[1],
              want[0], want[1]);
        k->f32_moments_exact(n, xb.p, shift, got);
        ref->f32_moments_exact(n, xb.p, shift, want);
        CHECK(dbits(got[0]) == dbits(want[0]) && dbits(got[1]) == dbits(want[1]),
              "n %zu: moments_exact (%.17g, %.17g), scalar (%.17g, %.17g)", n, got[0],
              got[1], want[0], want[1]);
        double sg = k->f32_sumsq(n, xb.p), sw = ref->f32_sumsq(n, xb.p);
        CHECK(dbits(sg) == dbits(sw), "n %zu: sumsq %.17g, scalar %.17g", n, sg, sw);
        sg = k->f32_sumsq_exact(n, xb.p);
        sw = ref->f32_sumsq_exact(n, xb.p);
        CHECK(dbits(sg) == dbits(sw), "n %zu: sumsq_exact %.17g, scalar %.17g", n, sg, sw);
        guarded_free(xb);
    }
}

static void case_normalize(const simdnorm_kernels *k, const simdnorm_kernels *ref)
{
    for (size_t li = 0; li < N_LENGTHS; li++) {
        const size_t n = length_at(li);
        rng_seed(2000 + n);
        guarded_buf xb = guarded(n), gb = guarded(n), bb = guarded(n);
        guarded_buf y1 = guarded(n), y2 = guarded(n);
        fill_wide(xb.p, n);
        fill_wide(gb.p, n);
        fill_wide(bb.p, n);
        if (n > 10) { /* NaN and Inf inputs: canonical NaN out, on every ISA */
            xb.p[3] = NAN;
            gb.p[5] = INFINITY;
            bb.p[7] = from_bits(0xff800001u);
        }
        const float shift = (float)rng_normal(), scale = (float)(rng_unif() + 0.5);
        const float offset = (float)(rng_normal() * 1e-3);
        for (int v = 0; v < 4; v++) {
            const float *g = v & 1 ? gb.p : NULL, *b = v & 2 ? bb.p : NULL;
            k->f32_normalize(n, xb.p, shift, scale, offset, g, b, y1.p);
            ref->f32_normalize(n, xb.p, shift, scale, offset, g, b, y2.p);
            CHECK(memcmp(y1.p, y2.p, n * sizeof(float)) == 0,
                  "n %zu variant %d: y differs from scalar", n, v);
            for (size_t i = 0; i < n; i++)
                if (isnan(y1.p[i]))
                    CHECK(fbits(y1.p[i]) == SIMDNORM_CANONICAL_NAN_BITS, "non-canonical NaN");
            /* in place: the same bits */
            memcpy(y2.p, xb.p, n * sizeof(float));
            k->f32_normalize(n, y2.p, shift, scale, offset, g, b, y2.p);
            CHECK(memcmp(y1.p, y2.p, n * sizeof(float)) == 0, "n %zu: in place differs", n);
        }
        guarded_free(xb);
        guarded_free(gb);
        guarded_free(bb);
        guarded_free(y1);
        guarded_free(y2);
    }
}

int main(void)
{
    const simdnorm_kernels *ref = simdnorm_kernels_for(SIMDNORM_ISA_SCALAR);
    static const struct {
        const char *name;
        void (*fn)(const simdnorm_kernels *, const simdnorm_kernels *);
    } cases[] = {
        {"f32_moments_sumsq_fast_and_exact_bitwise", case_moments},
        {"f32_normalize_bitwise", case_normalize},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
        for (size_t i = 0; i < N_ARCH_ISAS; i++) {
            const simdnorm_isa isa = arch_isas[i];
            if (isa == SIMDNORM_ISA_SCALAR)
                continue; /* the reference itself */
            h_begin("%s[%s]", cases[c].name, simdnorm_isa_name(isa));
            if (!simdnorm_kernels_for(isa)) {
                CHECK(0, "%s is not compiled in", simdnorm_isa_name(isa));
            } else if (!simdnorm_isa_available(isa)) {
                h_skip("this CPU cannot run it");
                continue;
            } else {
                cases[c].fn(simdnorm_kernels_for(isa), ref);
            }
            h_end();
        }
    return h_summary();
}
