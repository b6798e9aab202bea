/* simdnorm-ab - two builds of libsimdnorm.so timed against each other in
 * one process, for a before/after measurement of a kernel change on a
 * noisy machine. Separate benchmark runs of the two builds
 * (bench/ab.py) differ by about 15 % on a shared 2-core VM from one
 * minute to the next; calls of the two libraries alternated in one
 * process see the same machine, and their ratio moves by 2-5 %.
 *
 *   simdnorm-ab BASE.so NEW.so OP ARGS... [-r ROUNDS]
 *
 *   OP ARGS:  layer_norm ROWS COLS        rms_norm ROWS COLS
 *             layer_norm_bwd ROWS COLS    rms_norm_bwd ROWS COLS
 *             bn_train nchw|nhwc N C S    bn_bwd nchw|nhwc N C S
 *             gn nchw|nhwc N C S G        gn_bwd nchw|nhwc N C S G
 *             layer_norm_bf16 ROWS COLS   rms_norm_bf16 ROWS COLS
 *             layer_norm_f16 ROWS COLS    rms_norm_f16 ROWS COLS
 *
 * Each library is loaded into a namespace of its own (dlmopen), so both
 * keep their own dispatcher and thread pool; SIMDNORM_ISA and
 * OMP_NUM_THREADS apply to both. The forward ops write y, mean and rstd
 * (gamma and beta given); the backward ones dx, dgamma and dbeta
 * (training statistics). Before timing, the two libraries' outputs are
 * compared bit for bit (a change that alters results says so). Then ROUNDS
 * rounds (default 9): in each, each library (the order alternating) runs
 * three batches of calls (about 4e6 elements a batch), the best batch's
 * time per call is the round's; printed: the best time per call of each,
 * the GB/s of the new one (bytes as bench/: x + y, or dy + x + dx; 16-bit
 * elements count two bytes; their x is the float x narrowed), and the
 * median of the rounds' new/base ratios with its quartiles.
 * Build: meson (tools/meson.build; not installed). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simdnorm.h"

typedef struct lib {
    __typeof__(&simdnorm_layer_norm_f32) ln;
    __typeof__(&simdnorm_rms_norm_f32) rms;
    __typeof__(&simdnorm_layer_norm_bwd_f32) ln_bwd;
    __typeof__(&simdnorm_rms_norm_bwd_f32) rms_bwd;
    __typeof__(&simdnorm_batch_norm_train_f32) bn_train;
    __typeof__(&simdnorm_batch_norm_bwd_f32) bn_bwd;
    __typeof__(&simdnorm_group_norm_f32) gn;
    __typeof__(&simdnorm_group_norm_bwd_f32) gn_bwd;
    __typeof__(&simdnorm_layer_norm_bf16) ln_bf16;
    __typeof__(&simdnorm_rms_norm_bf16) rms_bf16;
    __typeof__(&simdnorm_layer_norm_f16) ln_f16;
    __typeof__(&simdnorm_rms_norm_f16) rms_f16;
    __typeof__(&simdnorm_convert_f32_to_bf16) to_bf16;
    __typeof__(&simdnorm_convert_f32_to_f16) to_f16;
} lib;

enum op { LN, RMS, LN_BWD, RMS_BWD, BN_TRAIN, BN_BWD, GN, GN_BWD, LN_BF16, RMS_BF16, LN_F16, RMS_F16 };
static const char *const op_names[] = {"layer_norm",      "rms_norm",      "layer_norm_bwd",
                                       "rms_norm_bwd",    "bn_train",      "bn_bwd",
                                       "gn",              "gn_bwd",        "layer_norm_bf16",
                                       "rms_norm_bf16",   "layer_norm_f16", "rms_norm_f16"};
static int is_row_op(enum op op) { return op <= RMS_BWD || op >= LN_BF16; }
static int is_16bit(enum op op) { return op >= LN_BF16; }

typedef struct call {
    enum op op;
    simdnorm_layout layout;
    size_t rows, cols;        /* row norms */
    size_t n, c, sp, groups;  /* BatchNorm, GroupNorm */
    size_t elems, nstat, nch; /* elements of x; statistics; gamma's length */
    float *x, *dy, *gamma, *beta, *mean, *rstd, *rmean, *rvar;
    uint16_t *xh; /* the 16-bit ops' x: x narrowed (the base library's conversion) */
} call;

/* The outputs of one call: out (y or dx; a 16-bit op's y in its first
 * half), s1/s2 (mean and rstd, or dgamma and dbeta). */
typedef struct outs {
    float *out, *s1, *s2;
} outs;

static int run(const lib *l, const call *c, const outs *o)
{
    switch (c->op) {
    case LN:
        return l->ln(c->rows, c->cols, c->x, c->cols, c->gamma, c->beta, 1e-5f, o->out, c->cols,
                     o->s1, o->s2);
    case RMS:
        return l->rms(c->rows, c->cols, c->x, c->cols, c->gamma, 1e-5f, o->out, c->cols, o->s1);
    case LN_BWD:
        return l->ln_bwd(c->rows, c->cols, c->dy, c->cols, c->x, c->cols, c->gamma, c->mean,
                         c->rstd, o->out, c->cols, o->s1, o->s2);
    case RMS_BWD:
        return l->rms_bwd(c->rows, c->cols, c->dy, c->cols, c->x, c->cols, c->gamma, c->rstd,
                          o->out, c->cols, o->s1);
    case BN_TRAIN:
        return l->bn_train(c->layout, c->n, c->c, c->sp, c->x, c->gamma, c->beta, 1e-5f, 0.1f,
                           c->rmean, c->rvar, o->out, o->s1, o->s2);
    case BN_BWD:
        return l->bn_bwd(c->layout, c->n, c->c, c->sp, c->dy, c->x, c->gamma, c->mean, c->rstd, 1,
                         o->out, o->s1, o->s2);
    case GN:
        return l->gn(c->layout, c->n, c->c, c->sp, c->groups, c->x, c->gamma, c->beta, 1e-5f,
                     o->out, o->s1, o->s2);
    case GN_BWD:
        return l->gn_bwd(c->layout, c->n, c->c, c->sp, c->groups, c->dy, c->x, c->gamma, c->mean,
                         c->rstd, o->out, o->s1, o->s2);
    case LN_BF16:
        return l->ln_bf16(c->rows, c->cols, c->xh, c->cols, c->gamma, c->beta, 1e-5f,
                          (uint16_t *)(void *)o->out, c->cols, o->s1, o->s2);
    case RMS_BF16:
        return l->rms_bf16(c->rows, c->cols, c->xh, c->cols, c->gamma, 1e-5f,
                           (uint16_t *)(void *)o->out, c->cols, o->s1);
    case LN_F16:
        return l->ln_f16(c->rows, c->cols, c->xh, c->cols, c->gamma, c->beta, 1e-5f,
                         (uint16_t *)(void *)o->out, c->cols, o->s1, o->s2);
    case RMS_F16:
        return l->rms_f16(c->rows, c->cols, c->xh, c->cols, c->gamma, 1e-5f,
                          (uint16_t *)(void *)o->out, c->cols, o->s1);
    }
    return -1;
}

static void *sym(void *h, const char *name)
{
    void *p = dlsym(h, name);
    if (!p) {
        fprintf(stderr, "simdnorm-ab: %s: %s\n", name, dlerror());
        exit(2);
    }
    return p;
}

static void load(const char *path, lib *l)
{
    void *h = dlmopen(LM_ID_NEWLM, path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "simdnorm-ab: %s\n", dlerror());
        exit(2);
    }
    /* a function pointer from dlsym's void *, copied as bytes (ISO C has
     * no conversion between the two; POSIX makes their representations
     * agree) */
#define SYM(field, name)                                                       \
    do {                                                                       \
        void *p_ = sym(h, name);                                               \
        _Static_assert(sizeof p_ == sizeof l->field, "pointer sizes");         \
        memcpy(&l->field, &p_, sizeof p_);                                     \
    } while (0)
    SYM(ln, "simdnorm_layer_norm_f32");
    SYM(rms, "simdnorm_rms_norm_f32");
    SYM(ln_bwd, "simdnorm_layer_norm_bwd_f32");
    SYM(rms_bwd, "simdnorm_rms_norm_bwd_f32");
    SYM(bn_train, "simdnorm_batch_norm_train_f32");
    SYM(bn_bwd, "simdnorm_batch_norm_bwd_f32");
    SYM(gn, "simdnorm_group_norm_f32");
    SYM(gn_bwd, "simdnorm_group_norm_bwd_f32");
    SYM(ln_bf16, "simdnorm_layer_norm_bf16");
    SYM(rms_bf16, "simdnorm_rms_norm_bf16");
    SYM(ln_f16, "simdnorm_layer_norm_f16");
    SYM(rms_f16, "simdnorm_rms_norm_f16");
    SYM(to_bf16, "simdnorm_convert_f32_to_bf16");
    SYM(to_f16, "simdnorm_convert_f32_to_f16");
#undef SYM
}

static float *floats(size_t n)
{
    /* page-aligned, as large tensors come from the allocator */
    float *p = aligned_alloc(4096, ((n * sizeof(float) + 4095) / 4096) * 4096);
    if (!p) {
        fprintf(stderr, "simdnorm-ab: out of memory\n");
        exit(2);
    }
    memset(p, 0, n * sizeof(float));
    return p;
}

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void usage(void)
{
    fprintf(stderr, "usage: simdnorm-ab BASE.so NEW.so OP ARGS... [-r ROUNDS]\n"
                    "  layer_norm|rms_norm|layer_norm_bwd|rms_norm_bwd ROWS COLS\n"
                    "  bn_train|bn_bwd nchw|nhwc N C S\n"
                    "  gn|gn_bwd nchw|nhwc N C S G\n"
                    "  layer_norm_bf16|rms_norm_bf16|layer_norm_f16|rms_norm_f16 ROWS COLS\n");
    exit(2);
}

static size_t arg_size(const char *s)
{
    char *end;
    const unsigned long long v = strtoull(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v == 0)
        usage();
    return (size_t)v;
}

int main(int argc, char **argv)
{
    int rounds = 9;
    if (argc > 2 && strcmp(argv[argc - 2], "-r") == 0) {
        rounds = (int)arg_size(argv[argc - 1]);
        argc -= 2;
    }
    if (argc < 6)
        usage();
    call c = {0};
    int op = -1;
    for (int i = 0; i < (int)(sizeof op_names / sizeof *op_names); i++)
        if (strcmp(argv[3], op_names[i]) == 0)
            op = i;
    if (op < 0)
        usage();
    c.op = (enum op)op;
    if (is_row_op(c.op)) {
        if (argc != 6)
            usage();
        c.rows = arg_size(argv[4]);
        c.cols = arg_size(argv[5]);
        c.elems = c.rows * c.cols;
        c.nstat = c.rows;
        c.nch = c.cols;
    } else {
        const int grouped = c.op == GN || c.op == GN_BWD;
        if (argc != (grouped ? 9 : 8))
            usage();
        if (strcmp(argv[4], "nchw") == 0)
            c.layout = SIMDNORM_NCHW;
        else if (strcmp(argv[4], "nhwc") == 0)
            c.layout = SIMDNORM_NHWC;
        else
            usage();
        c.n = arg_size(argv[5]);
        c.c = arg_size(argv[6]);
        c.sp = arg_size(argv[7]);
        c.groups = grouped ? arg_size(argv[8]) : 1;
        c.elems = c.n * c.c * c.sp;
        c.nstat = grouped ? c.n * c.groups : c.c;
        c.nch = c.c;
    }
    const int bwd = c.op == LN_BWD || c.op == RMS_BWD || c.op == BN_BWD || c.op == GN_BWD;
    lib libs[2];
    load(argv[1], &libs[0]);
    load(argv[2], &libs[1]);

    /* inputs: x with an offset and spread per element, dy centred */
    c.x = floats(c.elems);
    c.dy = floats(c.elems);
    for (size_t i = 0; i < c.elems; i++) {
        c.x[i] = 0.5f + 0.01f * (float)(i % 97) + 0.3f * (float)(i % 13);
        c.dy[i] = 0.02f * (float)(i % 89) - 0.9f;
    }
    const size_t nvec = c.nch > c.nstat ? c.nch : c.nstat;
    c.gamma = floats(nvec);
    c.beta = floats(nvec);
    c.mean = floats(nvec);
    c.rstd = floats(nvec);
    c.rmean = floats(nvec);
    c.rvar = floats(nvec);
    for (size_t j = 0; j < nvec; j++) {
        c.gamma[j] = 1.0f + 1e-4f * (float)(j % 101);
        c.beta[j] = 0.01f * (float)(j % 7);
        c.rvar[j] = 1.0f;
    }
    if (is_16bit(c.op)) {
        c.xh = (uint16_t *)(void *)floats((c.elems + 1) / 2);
        if ((c.op == LN_BF16 || c.op == RMS_BF16 ? libs[0].to_bf16 : libs[0].to_f16)(c.elems, c.x, c.xh) !=
            SIMDNORM_OK) {
            fprintf(stderr, "simdnorm-ab: the 16-bit conversion failed\n");
            return 2;
        }
    }
    /* the backward's statistics: the forward's (base library) */
    if (bwd) {
        const outs f = {floats(c.elems), c.mean, c.rstd};
        call fc = c;
        fc.op = c.op == LN_BWD ? LN : c.op == RMS_BWD ? RMS : c.op == BN_BWD ? BN_TRAIN : GN;
        const outs fr = {f.out, fc.op == RMS ? c.rstd : c.mean, c.rstd};
        if (run(&libs[0], &fc, &fr) != SIMDNORM_OK) {
            fprintf(stderr, "simdnorm-ab: the forward for the statistics failed\n");
            return 2;
        }
        free(f.out);
    }

    /* the two libraries' outputs bit for bit */
    outs o[2];
    for (int i = 0; i < 2; i++) {
        o[i] = (outs){floats(c.elems), floats(nvec), floats(nvec)};
        const int st = run(&libs[i], &c, &o[i]);
        if (st != SIMDNORM_OK) {
            fprintf(stderr, "simdnorm-ab: %s returned %d\n", argv[1 + i], st);
            return 2;
        }
    }
    const size_t esize = is_16bit(c.op) ? sizeof(uint16_t) : sizeof(float);
    const int same = memcmp(o[0].out, o[1].out, c.elems * esize) == 0 &&
                     memcmp(o[0].s1, o[1].s1, nvec * sizeof(float)) == 0 &&
                     memcmp(o[0].s2, o[1].s2, nvec * sizeof(float)) == 0;

    int per = (int)(4e6 / (double)c.elems);
    per = per < 1 ? 1 : per > 2000 ? 2000 : per;
    double best[2] = {INFINITY, INFINITY};
    double *ratio = malloc((size_t)rounds * sizeof *ratio);
    for (int r = 0; r < rounds; r++) {
        double t[2];
        for (int w = 0; w < 2; w++) {
            const int i = (r & 1) ? 1 - w : w;
            double b = INFINITY;
            for (int rep = 0; rep < 3; rep++) {
                const double t0 = now_ns();
                for (int k = 0; k < per; k++)
                    run(&libs[i], &c, &o[i]);
                const double tt = (now_ns() - t0) / per;
                b = tt < b ? tt : b;
            }
            t[i] = b;
            best[i] = b < best[i] ? b : best[i];
        }
        ratio[r] = t[1] / t[0];
    }
    qsort(ratio, (size_t)rounds, sizeof *ratio, cmp_double);
    const double bytes = (bwd ? 3.0 : 2.0) * (double)c.elems * (double)esize;
    const char *isa = getenv("SIMDNORM_ISA");
    printf("%s %s", isa ? isa : "default", op_names[c.op]);
    for (int i = 4; i < argc; i++)
        printf(" %s", argv[i]);
    printf(": base %.1f us, new %.1f us (%.1f GB/s); new/base median %.3f [%.3f .. %.3f] of %d "
           "rounds%s\n",
           best[0] / 1e3, best[1] / 1e3, bytes / best[1], ratio[rounds / 2], ratio[rounds / 4],
           ratio[(3 * rounds) / 4], rounds, same ? "" : "; OUTPUTS DIFFER");
    return 0;
}
