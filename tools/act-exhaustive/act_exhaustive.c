/* act_exhaustive.c - every one of the 2^32 float inputs through an
 * activation kernel (simdnorm_f32_activate_<isa>, default scalar) against
 * a float64 reference, for GELU(erf), GELU(tanh) and SiLU; and the same
 * for the SLEEF-based sequences simdnorm used before its own (computed here
 * with SLEEF's deterministic FMA-class scalar functions, which give the
 * bits the old kernels gave on every ISA). Prints, per input range, the
 * maximum error in ULP of the result and the maximum absolute error over
 * 2^-23 max(1, |x|), as Markdown tables (README.md, "Activations").
 *
 *   act-exhaustive [--act=gelu_erf|gelu_tanh|silu] [--isa=<token>]
 *                  [--no-old] [--check-isas] [--step=N] [--worst]
 *
 * --check-isas  also runs every ISA this machine has over all inputs and
 *               requires their bits to equal the chosen kernel's
 * --step=N      every N-th bit pattern only (a quick look)
 * --worst       print the input of each maximum
 * OpenMP threads split the inputs (OMP_NUM_THREADS); a 2-core machine takes
 * a few minutes per activation. Not a test: run it when a sequence
 * changes, and put its tables in the README.
 *
 * The reference and the ULP measure: act_ref.h. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(_OPENMP)
#include <omp.h>
#endif

#include "act_ref.h"
#include "internal.h"
#include "isa_list.h"

#ifndef FP_FAST_FMA
#define FP_FAST_FMA /* sleef.h: declare the purecfma functions (see old_act) */
#endif
#include <sleef.h>

#define SQRT1_2F 0x1.6a09e6p-1f
#define SQRT2_PIF 0x1.988454p-1f
#define GELU_TANH_C 0.044715f

/* ---- the sequences before simdnorm had its own (CHANGELOG) --------------
 * h = 0.5f v; e = erff(v SQRT1_2F); fmaf(h, e, h)  and so on, with SLEEF's
 * deterministic FMA-class functions ("finz": the same bits on every ISA).
 * They execute FMA instructions: this needs an x86 CPU with FMA. */
static float old_act(int act, float v)
{
    switch (act) {
    case SIMDNORM_ACT_GELU_ERF: {
        const float h = v * 0.5f;
        return fmaf(h, Sleef_finz_erff1_u10purecfma(v * SQRT1_2F), h);
    }
    case SIMDNORM_ACT_GELU_TANH: {
        const float h = v * 0.5f;
        const float p = fmaf((v * v) * GELU_TANH_C, v, v);
        return fmaf(h, Sleef_finz_tanhf1_u10purecfma(p * SQRT2_PIF), h);
    }
    default:
        return v / (1.0f + Sleef_finz_expf1_u10purecfma(-v));
    }
}

typedef struct stat {
    uint64_t n;
    double max_ulp, max_abs; /* abs: |err| / (2^-23 max(1, |x|)) */
    float arg_ulp, arg_abs;
    uint64_t over2;          /* inputs with more than 2 ULP */
} stat;

typedef struct stats {
    stat r[ACT_N_RANGES];
    uint64_t bad;            /* NaN/Inf where the reference is not, or the reverse */
    float first_bad;
    uint64_t isa_diff;       /* --check-isas: inputs on which some ISA differs */
    float first_isa_diff;
} stats;

static void account(stats *s, float x, float y, double ref)
{
    if (isnan(ref) || isinf(ref) || !isfinite(y)) {
        const int ok = isnan(ref) ? isnan(y) : isinf(ref) ? (y == (float)ref) : 0;
        if (!ok && s->bad++ == 0)
            s->first_bad = x;
        return;
    }
    stat *t = &s->r[act_range_of(x)];
    const double err = fabs((double)y - ref);
    const double u = err / act_ulp_of(ref);
    const double a = err / (0x1p-23 * fmax(1.0, fabs((double)x)));
    t->n++;
    if (u > t->max_ulp) {
        t->max_ulp = u;
        t->arg_ulp = x;
    }
    if (a > t->max_abs) {
        t->max_abs = a;
        t->arg_abs = x;
    }
    t->over2 += u > 2.0;
}

static void merge(stats *into, const stats *s)
{
    for (size_t r = 0; r < ACT_N_RANGES; r++) {
        stat *a = &into->r[r];
        const stat *b = &s->r[r];
        a->n += b->n;
        a->over2 += b->over2;
        if (b->max_ulp > a->max_ulp) {
            a->max_ulp = b->max_ulp;
            a->arg_ulp = b->arg_ulp;
        }
        if (b->max_abs > a->max_abs) {
            a->max_abs = b->max_abs;
            a->arg_abs = b->arg_abs;
        }
    }
    if (s->bad && !into->bad)
        into->first_bad = s->first_bad;
    into->bad += s->bad;
    if (s->isa_diff && !into->isa_diff)
        into->first_isa_diff = s->first_isa_diff;
    into->isa_diff += s->isa_diff;
}

/* ---- the sweep ---------------------------------------------------------- */

#define BLOCK 65536

typedef struct check_isa {
    const char *name;
    simdnorm_f32_activate_fn fn;
} check_isa;

static void sweep(int act, simdnorm_f32_activate_fn fn, int old, const check_isa *chk, int nchk,
                  uint64_t step, stats *s_new, stats *s_old)
{
    const uint64_t total = ((uint64_t)1 << 32) / step;
    const uint64_t blocks = (total + BLOCK - 1) / BLOCK;
    memset(s_new, 0, sizeof *s_new);
    memset(s_old, 0, sizeof *s_old);
#pragma omp parallel
    {
        stats ln, lo;
        memset(&ln, 0, sizeof ln);
        memset(&lo, 0, sizeof lo);
        float *x = malloc(BLOCK * sizeof(float)), *y = malloc(BLOCK * sizeof(float));
        float *z = malloc(BLOCK * sizeof(float));
#pragma omp for schedule(dynamic, 16)
        for (uint64_t b = 0; b < blocks; b++) {
            const uint64_t first = b * BLOCK;
            const size_t n = (size_t)(first + BLOCK <= total ? BLOCK : total - first);
            for (size_t i = 0; i < n; i++) {
                const uint32_t bits = (uint32_t)((first + i) * step);
                memcpy(&x[i], &bits, sizeof bits);
            }
            fn(n, x, act, y);
            for (int c = 0; c < nchk; c++) {
                chk[c].fn(n, x, act, z);
                if (memcmp(y, z, n * sizeof(float)) != 0)
                    for (size_t i = 0; i < n; i++)
                        if (memcmp(&y[i], &z[i], sizeof(float)) != 0 && ln.isa_diff++ == 0)
                            ln.first_isa_diff = x[i];
            }
            for (size_t i = 0; i < n; i++) {
                const double ref = act_ref(act, x[i]);
                account(&ln, x[i], y[i], ref);
                if (old)
                    account(&lo, x[i], old_act(act, x[i]), ref);
            }
        }
#pragma omp critical
        {
            merge(s_new, &ln);
            merge(s_old, &lo);
        }
        free(x);
        free(y);
        free(z);
    }
}

static void fmt_ulp(char *buf, size_t len, double u)
{
    if (u >= 1e4)
        snprintf(buf, len, "%.2g", u);
    else
        snprintf(buf, len, "%.3f", u);
}

static void print_table(const char *act_name, const stats *sn, const stats *so, int old, int worst)
{
    printf("\n%s: max error in ULP of the result, and max |error| / (2^-23 max(1, |x|))\n\n",
           act_name);
    if (old) {
        printf("| x | inputs | ULP (SLEEF) | ULP (new) | > 2 ULP (new) | abs (SLEEF) | abs (new) |\n");
        printf("|---|---:|---:|---:|---:|---:|---:|\n");
    } else {
        printf("| x | inputs | ULP | > 2 ULP | abs |\n");
        printf("|---|---:|---:|---:|---:|\n");
    }
    for (size_t r = 0; r < ACT_N_RANGES; r++) {
        const stat *a = &sn->r[r], *b = &so->r[r];
        char un[32], uo[32];
        fmt_ulp(un, sizeof un, a->max_ulp);
        fmt_ulp(uo, sizeof uo, b->max_ulp);
        if (old)
            printf("| %s | %llu | %s | %s | %llu | %.3f | %.3f |\n", act_ranges[r].name,
                   (unsigned long long)a->n, uo, un, (unsigned long long)a->over2, b->max_abs,
                   a->max_abs);
        else
            printf("| %s | %llu | %s | %llu | %.3f |\n", act_ranges[r].name, (unsigned long long)a->n,
                   un, (unsigned long long)a->over2, a->max_abs);
    }
    if (worst)
        for (size_t r = 0; r < ACT_N_RANGES; r++)
            printf("  %-20s new: ulp at %a (%.9g), abs at %a%s", act_ranges[r].name,
                   (double)sn->r[r].arg_ulp, (double)sn->r[r].arg_ulp, (double)sn->r[r].arg_abs,
                   old ? "" : "\n"),
                old ? printf("; old: ulp at %a (%.9g), abs at %a\n", (double)so->r[r].arg_ulp,
                             (double)so->r[r].arg_ulp, (double)so->r[r].arg_abs)
                    : 0;
    printf("\nNaN/Inf mismatches: new %llu%s", (unsigned long long)sn->bad, sn->bad ? " (first " : "");
    if (sn->bad)
        printf("%a)", (double)sn->first_bad);
    if (old) {
        printf(", SLEEF %llu", (unsigned long long)so->bad);
        if (so->bad)
            printf(" (first %a)", (double)so->first_bad);
    }
    printf("\n");
}

int main(int argc, char **argv)
{
    const char *isa_name = "scalar";
    int acts[3] = {SIMDNORM_ACT_GELU_ERF, SIMDNORM_ACT_GELU_TANH, SIMDNORM_ACT_SILU};
    const char *act_names[3] = {"GELU(erf)", "GELU(tanh)", "SiLU"};
    int use[3] = {1, 1, 1};
    int old = 1, check = 0, worst = 0;
    uint64_t step = 1;
    for (int i = 1; i < argc; i++) {
        if (!strncmp(argv[i], "--act=", 6)) {
            use[0] = !strcmp(argv[i] + 6, "gelu_erf");
            use[1] = !strcmp(argv[i] + 6, "gelu_tanh");
            use[2] = !strcmp(argv[i] + 6, "silu");
            if (!use[0] && !use[1] && !use[2]) {
                fprintf(stderr, "act-exhaustive: unknown activation %s\n", argv[i] + 6);
                return 2;
            }
        } else if (!strncmp(argv[i], "--isa=", 6)) {
            isa_name = argv[i] + 6;
        } else if (!strcmp(argv[i], "--no-old")) {
            old = 0;
        } else if (!strcmp(argv[i], "--check-isas")) {
            check = 1;
        } else if (!strcmp(argv[i], "--worst")) {
            worst = 1;
        } else if (!strncmp(argv[i], "--step=", 7)) {
            step = strtoull(argv[i] + 7, NULL, 10);
            if (step == 0 || (step & (step - 1))) {
                fprintf(stderr, "act-exhaustive: --step must be a power of 2\n");
                return 2;
            }
        } else {
            fprintf(stderr, "usage: act-exhaustive [--act=gelu_erf|gelu_tanh|silu] "
                            "[--isa=<token>] [--no-old] [--check-isas] [--step=N] [--worst]\n");
            return 2;
        }
    }

    /* the ISAs this build has and this CPU runs */
    check_isa all[8];
    int nall = 0;
    simdnorm_f32_activate_fn fn = NULL;
#define AE_ISA_(E, tok, P, level)                                                               \
    SIMDNORM_IF_##E(if (simdnorm_isa_available(SIMDNORM_ISA_##E)) {                            \
        all[nall].name = #tok;                                                                  \
        all[nall++].fn = simdnorm_kernels_for(SIMDNORM_ISA_##E)->f32_activate;                  \
    })
    SIMDNORM_ISAS(AE_ISA_)
#undef AE_ISA_
    for (int i = 0; i < nall; i++)
        if (!strcmp(all[i].name, isa_name))
            fn = all[i].fn;
    if (!fn) {
        fprintf(stderr, "act-exhaustive: ISA %s is not available here\n", isa_name);
        return 2;
    }
    check_isa chk[8];
    int nchk = 0;
    if (check)
        for (int i = 0; i < nall; i++)
            if (strcmp(all[i].name, isa_name))
                chk[nchk++] = all[i];
    if (old && !simdnorm_isa_available(SIMDNORM_ISA_AVX2) && !simdnorm_isa_available(SIMDNORM_ISA_NEON)) {
        fprintf(stderr, "act-exhaustive: the SLEEF sequences need FMA; --no-old\n");
        old = 0;
    }

    printf("act-exhaustive: kernel simdnorm_f32_activate_%s, %s inputs%s%s\n", isa_name,
           step == 1 ? "all 2^32" : "every step-th of the 2^32", check ? ", ISAs checked:" : "",
           check ? "" : "");
    for (int c = 0; c < nchk; c++)
        printf(" %s", chk[c].name);
    if (nchk)
        printf("\n");
    int failed = 0;
    for (int a = 0; a < 3; a++) {
        if (!use[a])
            continue;
        stats sn, so;
        sweep(acts[a], fn, old, chk, nchk, step, &sn, &so);
        print_table(act_names[a], &sn, &so, old, worst);
        if (check) {
            printf("ISAs differing from %s: %llu inputs", isa_name, (unsigned long long)sn.isa_diff);
            if (sn.isa_diff)
                printf(" (first %a)", (double)sn.first_isa_diff);
            printf("\n");
        }
        failed |= sn.bad != 0 || sn.isa_diff != 0;
        fflush(stdout);
    }
    return failed;
}
