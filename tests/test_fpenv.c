/* test_fpenv.c - the caller's floating-point environment never changes a
 * result (DESIGN §4.1): every output of LayerNorm, RMSNorm, LayerNorm with
 * GELU, BatchNorm training and inference (NCHW, NHWC), the activation, and
 * the backward passes (LayerNorm, RMSNorm, BatchNorm with batch and with
 * fixed statistics),
 * computed with flush-to-zero / denormals-are-zero set, with the rounding
 * toward zero, up, or down, or with the exception traps enabled, on 1 and
 * 2 threads, is bit for bit the result of the default environment on one
 * thread; and every call leaves the control register of the calling thread
 * (and of the OpenMP worker threads, when the test is built with OpenMP)
 * exactly as it found it. On every ISA this CPU runs.
 *
 * The data: subnormal-heavy inputs (DAZ and FTZ change them), and normal
 * data with a large mean offset (the rounding mode changes the sums). */
#include "common.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* ---- the control register ------------------------------------------------
 * ctrl_get: the control bits only (x86: MXCSR without the sticky flags;
 * AArch64: FPCR; elsewhere: the C99 rounding mode). */
#if defined(__x86_64__)
#include <xmmintrin.h>
typedef unsigned long long ctrl_t;
#define CTRL_DEFAULT 0x1F80ull
static ctrl_t ctrl_get(void) { return _mm_getcsr() & 0xFFC0u; }
static void ctrl_set(ctrl_t v) { _mm_setcsr((_mm_getcsr() & 0x3Fu) | (unsigned)v); }
typedef struct fpmode {
    const char *name;
    ctrl_t set, clear; /* bits to set and clear in the default state */
    int emulated;      /* also run under qemu-x86_64 (the native run has them all) */
} fpmode;
static const fpmode modes[] = {
    {"ftz_daz", 0x8040, 0, 1},
    {"round_toward_zero", 0x6000, 0, 1},
    {"round_up", 0x4000, 0, 0},
    {"round_down_ftz", 0xA000, 0, 0},
    /* last: without the guard, the first inexact result would trap */
    {"round_up_daz_all_traps_enabled", 0x4040, 0x1F80, 1},
};
#define MODE_SKIPPED(m, emu) ((emu) && !(m)->emulated)
#elif defined(__aarch64__)
typedef unsigned long long ctrl_t;
#define CTRL_DEFAULT ctrl_default
static ctrl_t ctrl_default;
static ctrl_t ctrl_get(void)
{
    unsigned long long v;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(v) : : "memory");
    return v;
}
static void ctrl_set(ctrl_t v) { __asm__ __volatile__("msr fpcr, %0" : : "r"(v) : "memory"); }
typedef struct fpmode {
    const char *name;
    ctrl_t set, clear;
} fpmode;
#define FZ (1ull << 24)
#define FZ16 (1ull << 19)
#define RMODE(m) ((ctrl_t)(m) << 22)
#define TRAPS ((0x1Full << 8) | (1ull << 15)) /* RAZ/WI where not implemented */
#define AFP 7ull                              /* FIZ, AH, NEP: RAZ/WI without FEAT_AFP */
static const fpmode modes[] = {
    {"fz", FZ, 0},
    {"round_toward_zero", RMODE(3), 0},
    {"round_up", RMODE(1), 0},
    {"round_down_fz_fz16", RMODE(2) | FZ | FZ16, 0},
    {"fz_fiz_ah", FZ | AFP, 0},
    {"round_up_all_traps_enabled", RMODE(1) | TRAPS, 0},
};
#else
#include <fenv.h>
typedef int ctrl_t;
#define CTRL_DEFAULT FE_TONEAREST
static ctrl_t ctrl_get(void) { return fegetround(); }
static void ctrl_set(ctrl_t v) { fesetround(v); }
typedef struct fpmode {
    const char *name;
    ctrl_t set, clear;
} fpmode;
static const fpmode modes[] = {
#ifdef FE_TOWARDZERO
    {"round_toward_zero", FE_TOWARDZERO, 0},
#endif
#ifdef FE_UPWARD
    {"round_up", FE_UPWARD, 0},
#endif
    {"default", FE_TONEAREST, 0},
};
#endif
#ifndef MODE_SKIPPED
#define MODE_SKIPPED(m, emu) 0
#endif
#define N_MODES (sizeof modes / sizeof *modes)

#if defined(__x86_64__) || defined(__aarch64__)
static ctrl_t mode_value(const fpmode *m) { return (CTRL_DEFAULT & ~m->clear) | m->set; }
#else
static ctrl_t mode_value(const fpmode *m) { return m->set; }
#endif

/* Under emulation (SIMDNORM_TEST_EMULATED, set by tests/meson.build for the
 * qemu runs) smaller shapes, still large enough to be split over 2 threads
 * (at least 512 KiB moved). */
static int emulated(void) { return getenv("SIMDNORM_TEST_EMULATED") != NULL; }

/* ---- the problems ------------------------------------------------------- */
enum op { LN, RMS, LN_GELU, BN_TRAIN, BN_INFER, ACT, LN_BWD, RMS_BWD, BN_BWD, BN_BWD_FIXED,
               GN, GN_BWD };
enum { MAX_OUT = 5 };

typedef struct problem {
    enum op op;
    simdnorm_layout layout;
    size_t a, b, c; /* rows, cols; BN, GN: n, c, spatial (GN: c/8 groups); ACT: n */
    const float *x, *g, *beta, *stat_mean, *stat_var;
    const float *dy, *mean, *rstd; /* the backward passes: saved or fixed statistics */
    int n_out;
    size_t len[MAX_OUT];
} problem;

static void set_lengths(problem *p)
{
    switch (p->op) {
    case LN:
    case LN_GELU:
        p->n_out = 3; /* y, mean, rstd */
        p->len[0] = p->a * p->b, p->len[1] = p->len[2] = p->a;
        break;
    case RMS:
        p->n_out = 2; /* y, rstd */
        p->len[0] = p->a * p->b, p->len[1] = p->a;
        break;
    case BN_TRAIN:
        p->n_out = 5; /* y, save mean, save rstd, running mean, running var */
        p->len[0] = p->a * p->b * p->c;
        p->len[1] = p->len[2] = p->len[3] = p->len[4] = p->b;
        break;
    case BN_INFER:
        p->n_out = 1;
        p->len[0] = p->a * p->b * p->c;
        break;
    case ACT:
        p->n_out = 1;
        p->len[0] = p->a;
        break;
    case LN_BWD:
    case RMS_BWD:
        p->n_out = p->op == LN_BWD ? 3 : 2; /* dx, dgamma, dbeta */
        p->len[0] = p->a * p->b, p->len[1] = p->len[2] = p->b;
        break;
    case BN_BWD:
    case BN_BWD_FIXED:
        p->n_out = 3; /* dx, dgamma, dbeta */
        p->len[0] = p->a * p->b * p->c, p->len[1] = p->len[2] = p->b;
        break;
    case GN:
        p->n_out = 3; /* y, mean, rstd */
        p->len[0] = p->a * p->b * p->c;
        p->len[1] = p->len[2] = p->a * (p->b / 8);
        break;
    case GN_BWD:
        p->n_out = 3; /* dx, dgamma, dbeta */
        p->len[0] = p->a * p->b * p->c;
        p->len[1] = p->len[2] = p->b;
        break;
    }
}

/* Fill the outputs with a sentinel and the running statistics with their
 * starting values (the call updates them). */
static void reset_outputs(const problem *p, float **o)
{
    for (int i = 0; i < p->n_out; i++)
        for (size_t j = 0; j < p->len[i]; j++)
            o[i][j] = from_bits(SENTINEL_BITS);
    if (p->op == BN_TRAIN)
        for (size_t j = 0; j < p->b; j++)
            o[3][j] = p->stat_mean[j], o[4][j] = p->stat_var[j];
}

/* The call: no floating-point operation of the test's own around it. */
static simdnorm_status call(const problem *p, float **o)
{
    simdnorm_norm_options opt;
    memset(&opt, 0, sizeof opt);
    switch (p->op) {
    case LN:
        return simdnorm_layer_norm_f32(p->a, p->b, p->x, p->b, p->g, p->beta, 1e-5f, o[0], p->b,
                                       o[1], o[2]);
    case LN_GELU:
        opt.activation = SIMDNORM_ACT_GELU_ERF;
        return simdnorm_layer_norm_ex_f32(p->a, p->b, p->x, p->b, p->g, p->beta, 1e-5f, o[0],
                                          p->b, o[1], o[2], &opt);
    case RMS:
        return simdnorm_rms_norm_f32(p->a, p->b, p->x, p->b, p->g, 1e-5f, o[0], p->b, o[1]);
    case BN_TRAIN:
        return simdnorm_batch_norm_train_f32(p->layout, p->a, p->b, p->c, p->x, p->g, p->beta,
                                             1e-5f, 0.1f, o[3], o[4], o[0], o[1], o[2]);
    case BN_INFER:
        return simdnorm_batch_norm_infer_f32(p->layout, p->a, p->b, p->c, p->x, p->g, p->beta,
                                             p->stat_mean, p->stat_var, 1e-5f, o[0]);
    case ACT:
        return simdnorm_activate_f32(p->a, p->x, SIMDNORM_ACT_SILU, o[0]);
    case LN_BWD:
        return simdnorm_layer_norm_bwd_f32(p->a, p->b, p->dy, p->b, p->x, p->b, p->g, p->mean,
                                           p->rstd, o[0], p->b, o[1], o[2]);
    case RMS_BWD:
        return simdnorm_rms_norm_bwd_f32(p->a, p->b, p->dy, p->b, p->x, p->b, p->g, p->rstd, o[0],
                                         p->b, o[1]);
    case BN_BWD:
    case BN_BWD_FIXED:
        return simdnorm_batch_norm_bwd_f32(p->layout, p->a, p->b, p->c, p->dy, p->x, p->g, p->mean,
                                           p->rstd, p->op == BN_BWD, o[0], o[1], o[2]);
    case GN:
        return simdnorm_group_norm_f32(p->layout, p->a, p->b, p->c, p->b / 8, p->x, p->g,
                                       p->beta, 1e-5f, o[0], o[1], o[2]);
    case GN_BWD: /* dy = x; the statistics arrays as the saved mean and rstd */
        return simdnorm_group_norm_bwd_f32(p->layout, p->a, p->b, p->c, p->b / 8, p->x, p->x,
                                           p->g, p->stat_mean, p->stat_var, o[0], o[1], o[2]);
    }
    return SIMDNORM_ERR_PARAM;
}

/* ---- setting the environment of every thread ----------------------------
 * The calling thread, and (built with OpenMP) the worker threads of a team
 * of 2, which the library's parallel regions reuse: a caller may set
 * FTZ/DAZ on all its threads, and the library's workers must not compute
 * under it. after[] gets what each thread reads back. */
static void set_all(ctrl_t v)
{
#ifdef _OPENMP
#pragma omp parallel num_threads(2)
    ctrl_set(v);
#endif
    ctrl_set(v);
}

static int check_all(ctrl_t want, const char *what)
{
    int ok = ctrl_get() == want;
    CHECK(ok, "%s: the calling thread's control register reads %#llx after the call, set %#llx",
          what, (unsigned long long)ctrl_get(), (unsigned long long)want);
#ifdef _OPENMP
    int bad = 0;
#pragma omp parallel num_threads(2) reduction(+ : bad)
    bad += ctrl_get() != want;
    CHECK(bad == 0, "%s: %d worker threads' control registers changed", what, bad);
    ok = ok && bad == 0;
#else
    (void)what;
#endif
    return ok;
}

/* First differing element of two outputs, or -1. */
static long first_diff(const float *a, const float *b, size_t n, size_t *count)
{
    long first = -1;
    *count = 0;
    for (size_t i = 0; i < n; i++)
        if (fbits(a[i]) != fbits(b[i])) {
            if (first < 0)
                first = (long)i;
            ++*count;
        }
    return first;
}

static const char *const out_names[][MAX_OUT] = {
    [LN] = {"y", "mean", "rstd"},
    [RMS] = {"y", "rstd"},
    [LN_GELU] = {"y", "mean", "rstd"},
    [BN_TRAIN] = {"y", "save_mean", "save_rstd", "running_mean", "running_var"},
    [BN_INFER] = {"y"},
    [ACT] = {"y"},
    [LN_BWD] = {"dx", "dgamma", "dbeta"},
    [RMS_BWD] = {"dx", "dgamma"},
    [BN_BWD] = {"dx", "dgamma", "dbeta"},
    [BN_BWD_FIXED] = {"dx", "dgamma", "dbeta"},
    [GN] = {"y", "mean", "rstd"},
    [GN_BWD] = {"dx", "dgamma", "dbeta"},
};

/* Run p in the default state on 1 thread, then in every mode on 1 and 2
 * threads: bitwise equal outputs, control registers as set. */
static void run_problem(const problem *p)
{
    float *ref[MAX_OUT], *got[MAX_OUT];
    for (int i = 0; i < p->n_out; i++) {
        ref[i] = malloc(p->len[i] * sizeof(float));
        got[i] = malloc(p->len[i] * sizeof(float));
    }
    set_all(CTRL_DEFAULT);
    simdnorm_set_num_threads(1);
    reset_outputs(p, ref);
    CHECK(call(p, ref) == SIMDNORM_OK, "default state: the call failed");
    for (size_t m = 0; m <= N_MODES; m++) {
        /* m == N_MODES: the default state again, on 2 threads too */
        if (m < N_MODES && MODE_SKIPPED(&modes[m], emulated()))
            continue;
        const char *name = m < N_MODES ? modes[m].name : "default";
        const ctrl_t v = m < N_MODES ? mode_value(&modes[m]) : CTRL_DEFAULT;
        for (int threads = 1; threads <= 2; threads++) {
            if (m == N_MODES && threads == 1)
                continue;
            char what[96];
            snprintf(what, sizeof what, "%s, %d thread%s", name, threads, threads > 1 ? "s" : "");
            simdnorm_set_num_threads(threads);
            reset_outputs(p, got);
            set_all(v);
            const ctrl_t as_set = ctrl_get(); /* bits this CPU does not have read as 0 */
            const simdnorm_status st = call(p, got);
            check_all(as_set, what);
            set_all(CTRL_DEFAULT);
            CHECK(st == SIMDNORM_OK, "%s: status %d", what, (int)st);
            for (int i = 0; i < p->n_out; i++) {
                size_t count;
                const long at = first_diff(ref[i], got[i], p->len[i], &count);
                CHECK(at < 0, "%s: %s differs in %zu of %zu (first [%ld]: %a, default 1 thread %a)",
                      what, out_names[p->op][i], count, p->len[i], at,
                      at < 0 ? 0.0 : (double)got[i][at], at < 0 ? 0.0 : (double)ref[i][at]);
            }
        }
    }
    simdnorm_set_num_threads(1);
    for (int i = 0; i < p->n_out; i++)
        free(ref[i]), free(got[i]);
}

/* ---- the data ----------------------------------------------------------- */

/* Subnormal-heavy: 15 of 16 values subnormal (random sign and mantissa),
 * the rest normal but tiny (|x| < 2^-120), so that a row's statistics and
 * outputs depend on every subnormal. */
static void fill_subnormal(float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const uint64_t r = rng_u64();
        uint32_t bits = (uint32_t)(r & 0x7FFFFFu) | (uint32_t)(r >> 63) << 31;
        if (i % 16 == 15)
            bits |= (uint32_t)(1 + (r >> 32) % 7) << 23; /* exponent 1..7 */
        x[i] = from_bits(bits);
    }
}

typedef struct dataset {
    const char *name;
    int subnormal;
} dataset;
static const dataset datasets[] = {{"subnormal", 1}, {"offset", 0}};

/* The inputs of one op and data set: x, gamma, beta (NULL for the
 * subnormal data: an addend of normal size would hide the subnormals), and
 * for BatchNorm the running statistics. gamma scales the subnormal data's
 * outputs back into the subnormal range (flush-to-zero applies to them).
 * The backward passes also get dy (subnormal, or normal about 0.5) and the
 * statistics of the forward, computed here in the default environment
 * (fixed statistics: the running ones, rstd = 1/sqrt(var + 1e-5)). */
static void make_problem(problem *p, enum op op, simdnorm_layout layout, const dataset *d,
                         float **bufs)
{
    const int emu = emulated();
    memset(p, 0, sizeof *p);
    p->op = op;
    p->layout = layout;
    size_t n, ch;
    switch (op) {
    case LN:
    case RMS:
    case LN_GELU:
    case LN_BWD:
    case RMS_BWD:
        /* the offset data with an odd row length: 1/cols is not exact */
        p->a = d->subnormal ? (emu ? 80 : 512) : (emu ? 96 : 384);
        p->b = d->subnormal ? 1024 : 777;
        n = p->a * p->b, ch = p->b;
        break;
    case BN_TRAIN:
    case BN_INFER:
    case BN_BWD:
    case BN_BWD_FIXED:
    case GN:
    case GN_BWD:
        if (layout == SIMDNORM_NCHW)
            p->a = emu ? 2 : 8, p->b = 64, p->c = emu ? 640 : 1024;
        else /* NHWC threads take >= 128 channels each */
            p->a = emu ? 1 : 4, p->b = 256, p->c = emu ? 320 : 512;
        n = p->a * p->b * p->c, ch = p->b;
        break;
    default:
        p->a = emu ? (size_t)1 << 17 : (size_t)1 << 19;
        n = p->a, ch = 1;
        break;
    }
    float *x = bufs[0] = malloc(n * sizeof(float));
    float *g = bufs[1] = malloc(ch * sizeof(float));
    float *b = bufs[2] = malloc(ch * sizeof(float));
    float *rm = bufs[3] = malloc(ch * sizeof(float));
    float *rv = bufs[4] = malloc(ch * sizeof(float));
    if (d->subnormal) {
        fill_subnormal(x, n);
        if (op == ACT) /* GELU/SiLU of a subnormal is subnormal; mix in normal values */
            for (size_t i = 0; i < n; i += 3)
                x[i] = (float)(3.0 * rng_normal());
        fill_normal(g, ch, 0x1p-12, 0x1p-15);
    } else {
        fill_normal(x, n, 1000.0, op == ACT ? 1000.0 : 1.0);
        fill_normal(g, ch, 1.0, 0.1);
        fill_normal(b, ch, 0.0, 0.1);
    }
    for (size_t j = 0; j < ch; j++) {
        /* inference: as trained stats would be */
        rm[j] = d->subnormal ? 0.0f : (float)(1000.0 + 0.01 * rng_normal());
        rv[j] = d->subnormal ? 0x1p-140f : (float)(1.0 + 0.1 * rng_unif());
    }
    p->x = x;
    p->g = g;
    p->beta = d->subnormal ? NULL : b;
    p->stat_mean = rm;
    p->stat_var = rv;
    if (op >= LN_BWD) {
        const size_t ns = op == LN_BWD || op == RMS_BWD ? p->a : ch; /* statistics */
        float *dy = bufs[5] = malloc(n * sizeof(float));
        float *mean = bufs[6] = malloc(ns * sizeof(float));
        float *rstd = bufs[7] = malloc(ns * sizeof(float));
        float *y = malloc(n * sizeof(float));
        if (d->subnormal)
            fill_subnormal(dy, n);
        else
            fill_normal(dy, n, 0.5, 1.0);
        simdnorm_status st = SIMDNORM_OK;
        if (op == LN_BWD)
            st = simdnorm_layer_norm_f32(p->a, p->b, x, p->b, NULL, NULL, 1e-5f, y, p->b, mean, rstd);
        else if (op == RMS_BWD)
            st = simdnorm_rms_norm_f32(p->a, p->b, x, p->b, NULL, 1e-5f, y, p->b, rstd);
        else if (op == BN_BWD)
            st = simdnorm_batch_norm_train_f32(layout, p->a, p->b, p->c, x, NULL, NULL, 1e-5f, 0.1f,
                                               NULL, NULL, y, mean, rstd);
        else
            for (size_t j = 0; j < ch; j++)
                mean[j] = rm[j], rstd[j] = (float)(1.0 / sqrt((double)rv[j] + 1e-5));
        if (st != SIMDNORM_OK) {
            printf("the forward for the backward's statistics failed: %d\n", (int)st);
            exit(2);
        }
        free(y);
        p->dy = dy;
        p->mean = mean;
        p->rstd = rstd;
    }
    set_lengths(p);
}

static const struct {
    const char *name;
    enum op op;
    simdnorm_layout layout;
} ops[] = {
    {"layer_norm", LN, SIMDNORM_NCHW},
    {"rms_norm", RMS, SIMDNORM_NCHW},
    {"layer_norm_ex_gelu", LN_GELU, SIMDNORM_NCHW},
    {"batch_norm_train_nchw", BN_TRAIN, SIMDNORM_NCHW},
    {"batch_norm_train_nhwc", BN_TRAIN, SIMDNORM_NHWC},
    {"batch_norm_infer_nchw", BN_INFER, SIMDNORM_NCHW},
    {"batch_norm_infer_nhwc", BN_INFER, SIMDNORM_NHWC},
    {"activate_silu", ACT, SIMDNORM_NCHW},
    {"layer_norm_bwd", LN_BWD, SIMDNORM_NCHW},
    {"rms_norm_bwd", RMS_BWD, SIMDNORM_NCHW},
    {"batch_norm_bwd_nchw", BN_BWD, SIMDNORM_NCHW},
    {"batch_norm_bwd_nhwc", BN_BWD, SIMDNORM_NHWC},
    {"batch_norm_bwd_fixed_stats_nhwc", BN_BWD_FIXED, SIMDNORM_NHWC},
    {"group_norm_nchw", GN, SIMDNORM_NCHW},
    {"group_norm_nhwc", GN, SIMDNORM_NHWC},
    {"group_norm_bwd_nchw", GN_BWD, SIMDNORM_NCHW},
    {"group_norm_bwd_nhwc", GN_BWD, SIMDNORM_NHWC},
};
#define N_OPS (sizeof ops / sizeof *ops)

int main(void)
{
#if defined(__aarch64__)
    ctrl_default = ctrl_get() & ~(FZ | FZ16 | RMODE(3) | TRAPS | AFP);
#endif
    set_all(CTRL_DEFAULT);
    for (size_t o = 0; o < N_OPS; o++)
        for (size_t d = 0; d < sizeof datasets / sizeof *datasets; d++) {
            problem p;
            float *bufs[8] = {NULL};
            rng_seed(100 + 10 * o + d);
            make_problem(&p, ops[o].op, ops[o].layout, &datasets[d], bufs);
            for (size_t i = 0; i < N_ARCH_ISAS; i++) {
                char name[96];
                snprintf(name, sizeof name, "%s_%s_bitwise_in_every_fp_env", ops[o].name,
                         datasets[d].name);
                if (!begin_isa_case(name, arch_isas[i]))
                    continue;
                run_problem(&p);
                h_end();
            }
            for (int i = 0; i < 8; i++)
                free(bufs[i]);
        }
    return h_summary();
}
