/* common.h - test helpers: a seeded RNG, guard-page buffers, the float64
 * reference formulas, and the list of ISAs this architecture has. */
#ifndef SIMDNORM_TEST_COMMON_H
#define SIMDNORM_TEST_COMMON_H



#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"
#include "simdnorm.h"

/* ---- seeded RNG (splitmix64) ------------------------------------------- */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static inline void rng_seed(uint64_t s) { rng_state = s * 0x9e3779b97f4a7c15ull + 1; }
static uint64_t rng_u64(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
/* uniform in [0, 1) */
static inline double rng_unif(void) { return (double)(rng_u64() >> 11) * 0x1p-53; }
/* approximately standard normal (Irwin-Hall of 4, rescaled) */
static inline double rng_normal(void)
{
    return (rng_unif() + rng_unif() + rng_unif() + rng_unif() - 2.0) * 1.7320508075688772;
}
static inline void fill_normal(float *x, size_t n, double offset, double scale)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(offset + scale * rng_normal());
}

/* ---- guard-page buffers --------------------------------------------------
 * guarded(n) returns n floats whose last one ends exactly where a PROT_NONE
 * page begins, so any read or write past the end faults. */
typedef struct guarded_buf {
    void *base;
    size_t len;
    float *p;
} guarded_buf;

static inline guarded_buf guarded(size_t n)
{
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    const size_t bytes = n * sizeof(float);
    const size_t data_pages = (bytes + page - 1) / page;
    guarded_buf g;
    g.len = (data_pages + 1) * page;
    g.base = mmap(NULL, g.len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g.base == MAP_FAILED) {
        printf("mmap failed\n");
        exit(2);
    }
    char *guard = (char *)g.base + data_pages * page;
    mprotect(guard, page, PROT_NONE);
    g.p = (float *)(void *)(guard - bytes);
    return g;
}
static inline void guarded_free(guarded_buf g) { munmap(g.base, g.len); }

/* n floats starting `mis` floats (mod 16) past a 64-byte boundary. mis == 0:
 * guarded(n), the last float against the guard page. Otherwise the span
 * ends 1..16 floats before the guard page (guarded(n) alone fixes the start
 * by n, whatever the offset a caller adds), so a misaligned start is really
 * misaligned. */
static inline float *guarded_at(guarded_buf *g, size_t n, size_t mis)
{
    if (mis % 16 == 0) {
        *g = guarded(n);
        return g->p;
    }
    *g = guarded(n + 16);
    float *p = g->p;
    while (((uintptr_t)p % 64) != (mis % 16) * sizeof(float))
        p++;
    return p;
}

/* n 16-bit elements (bf16/f16 storage) ending exactly at a PROT_NONE page. */
typedef struct guarded_h {
    guarded_buf g;
    uint16_t *p;
} guarded_h;
static inline guarded_h guarded16(size_t n)
{
    guarded_h h;
    h.g = guarded((n + 1) / 2);
    h.p = (uint16_t *)(void *)((char *)h.g.p + (n + 1) / 2 * sizeof(float) - n * sizeof(uint16_t));
    return h;
}
static inline void guarded16_free(guarded_h h) { guarded_free(h.g); }

/* ---- bits ------------------------------------------------------------- */
static inline uint32_t fbits(float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}
static inline float from_bits(uint32_t u)
{
    float v;
    memcpy(&v, &u, sizeof v);
    return v;
}
#define SENTINEL_BITS 0x7fa5a5a5u /* a signalling NaN no kernel produces */

/* ---- the ISAs ------------------------------------------------------------
 * All of them come from the one list (kernels/isa_list.h): isa_count()
 * counts it through the public API (simdnorm_isa_name gives "unknown" past
 * the last), arch_isas holds those compiled into this build. */
#include "isa_list.h"

static inline int isa_count(void)
{
    int n = 0;
    while (strcmp(simdnorm_isa_name((simdnorm_isa)n), "unknown") != 0)
        n++;
    return n;
}

#define ARCH_ISA_(E, tok, P, level) SIMDNORM_IF_##E(SIMDNORM_ISA_##E, )
static const simdnorm_isa arch_isas[] = {SIMDNORM_ISAS(ARCH_ISA_)};
#undef ARCH_ISA_
#define N_ARCH_ISAS (sizeof arch_isas / sizeof *arch_isas)

/* SIMDNORM_TEST_ISAS=a,b: only those ISAs' cases run (the valgrind runs:
 * tests/ship/meson.build); unset or empty, every ISA's. */
static inline int isa_listed(simdnorm_isa isa)
{
    const char *only = getenv("SIMDNORM_TEST_ISAS");
    if (!only || !*only)
        return 1;
    const char *n = simdnorm_isa_name(isa), *p = only;
    const size_t len = strlen(n);
    while (*p) {
        const char *e = strchr(p, ',');
        const size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == len && strncmp(p, n, len) == 0)
            return 1;
        p += l + (e != NULL);
    }
    return 0;
}

/* Start case "<name>[<isa>]"; returns 0 (and reports a skip) when the CPU
 * cannot run the ISA or SIMDNORM_TEST_ISAS leaves it out, else selects it. */
static inline int begin_isa_case(const char *name, simdnorm_isa isa)
{
    h_begin("%s[%s]", name, simdnorm_isa_name(isa));
    if (!simdnorm_isa_available(isa)) {
        h_skip("this CPU cannot run it");
        return 0;
    }
    if (!isa_listed(isa)) {
        h_skip("not in SIMDNORM_TEST_ISAS");
        return 0;
    }
    if (simdnorm_set_isa(isa) != SIMDNORM_OK || simdnorm_active_isa() != isa) {
        CHECK(0, "could not select %s", simdnorm_isa_name(isa));
        h_end();
        return 0;
    }
    return 1;
}

/* In a sanitized build (SIMDNORM_TEST_SANITIZED, set by tests/meson.build)
 * a case that calls with tensors beyond the from-memory size (tens of
 * MiB, a minute of the ASan run on the scalar kernels) runs on the CPU's
 * default ISA only: what a sanitizer checks there is the ISA-independent
 * driver (the from-memory chunking and scratch), which every ISA shares;
 * each ISA's kernels are checked under the sanitizer on every tail by
 * test_kernels, and the unsanitized native run keeps the case on every
 * ISA. Returns 1 (and reports a skip) when the case is to be left out. */
static inline int sanitized_default_only(simdnorm_isa isa)
{
    if (!getenv("SIMDNORM_TEST_SANITIZED"))
        return 0;
    simdnorm_isa best = SIMDNORM_ISA_SCALAR;
    for (size_t i = 0; i < N_ARCH_ISAS; i++)
        if (simdnorm_isa_available(arch_isas[i]))
            best = arch_isas[i];
    if (isa == best)
        return 0;
    h_skip("sanitized build: this from-memory case runs on the default ISA only");
    return 1;
}

/* ---- float64 references ------------------------------------------------- */
typedef struct ref_stats {
    double mean, var, rstd;
} ref_stats;

/* Two-pass float64 LayerNorm statistics of one row; biased variance. */
static inline ref_stats ref_layer_norm_row(size_t n, const float *x, double eps)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    const double mean = s / (double)n;
    double q = 0, c = 0;
    for (size_t i = 0; i < n; i++) {
        const double d = (double)x[i] - mean;
        q += d * d;
        c += d;
    }
    ref_stats r;
    r.mean = mean;
    r.var = (q - c * c / (double)n) / (double)n;
    if (r.var < 0)
        r.var = 0;
    r.rstd = 1.0 / sqrt(r.var + eps);
    return r;
}

/* float64 RMSNorm statistics: mean square and rstd. */
static inline ref_stats ref_rms_norm_row(size_t n, const float *x, double eps)
{
    double q = 0;
    for (size_t i = 0; i < n; i++)
        q += (double)x[i] * (double)x[i];
    ref_stats r;
    r.mean = 0;
    r.var = q / (double)n;
    r.rstd = 1.0 / sqrt(r.var + eps);
    return r;
}

/* |got - want| <= tol * max(1, |want|), NaN matching NaN, Inf matching Inf. */
static inline int close_to(float got, double want, double tol)
{
    if (isnan(want))
        return isnan(got);
    if (isinf(want))
        return isinf(got) && (got > 0) == (want > 0);
    if (!isfinite(got))
        return 0;
    return fabs((double)got - want) <= tol * fmax(1.0, fabs(want));
}

#endif /* SIMDNORM_TEST_COMMON_H */
