/* test_golden.c - golden output hashes: a fixed, seeded set of inputs for
 * every public function - LayerNorm, RMSNorm, BatchNorm training and
 * inference, the fused epilogues, the backward passes, GroupNorm forward and
 * backward, the bf16/f16 twins - (and the raw double sums of the reduction kernels),
 * hashed bit for bit and compared with tests/golden_hashes.h. The same file
 * is asserted on x86 (scalar, AVX2, AVX-512) and on aarch64 (scalar, NEON):
 * results are identical across architectures, not only across the ISAs of
 * one machine, and on an x86 CPU without FMA (qemu-x86_64 -cpu Nehalem:
 * scalar's C fmaf is libm's software fma there).   test_golden --print
 * writes the table anew. */
#include "common.h"
#include "cpu.h"
#include "internal.h"
#include "half.h"

typedef struct golden {
    const char *name;
    uint64_t hash;
} golden;

static const golden expected[] = {
#include "golden_hashes.h"
};
#define N_EXPECTED (sizeof expected / sizeof *expected)

/* FNV-1a over bytes. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}
#define FNV_SEED 0xcbf29ce484222325ull

/* Inputs: kind 0 normal, 1 offset 1e6 std 1, 2 near FLT_MAX, 3 wide exponent
 * range, 4 with NaN and Inf rows. */
static void fill_kind(float *x, size_t n, size_t cols, int kind)
{
    for (size_t i = 0; i < n; i++) {
        switch (kind) {
        case 0: x[i] = (float)(0.5 + 2.0 * rng_normal()); break;
        case 1: x[i] = (float)(1e6 + rng_normal()); break;
        case 2: x[i] = (float)((2.0 * rng_unif() - 1.0) * 0.999 * FLT_MAX); break;
        case 3: x[i] = (float)(rng_normal() * ldexp(1.0, (int)(rng_u64() % 81) - 40)); break;
        default: x[i] = (float)rng_normal(); break;
        }
    }
    if (kind == 4 && n >= 3 * cols) {
        x[cols + cols / 2] = INFINITY;
        x[2 * cols] = NAN;
    }
}

typedef struct shape {
    size_t rows, cols;
} shape;
static const shape shapes[] = {{3, 1}, {5, 33}, {4, 64}, {3, 768}, {2, 4097}, {1, 100003}};
#define N_SHAPES (sizeof shapes / sizeof *shapes)

static int print_mode;
static size_t checked;

static void record(const char *name, uint64_t h)
{
    if (print_mode) {
        printf("    {\"%s\", 0x%016llxull},\n", name, (unsigned long long)h);
        return;
    }
    for (size_t i = 0; i < N_EXPECTED; i++)
        if (strcmp(expected[i].name, name) == 0) {
            CHECK(expected[i].hash == h, "%s: hash %016llx, golden %016llx", name,
                  (unsigned long long)h, (unsigned long long)expected[i].hash);
            checked++;
            return;
        }
    CHECK(0, "%s has no golden hash", name);
}

static void golden_rows(void)
{
    char name[96];
    for (size_t s = 0; s < N_SHAPES; s++)
        for (int kind = 0; kind < 5; kind++)
            for (int v = 0; v < 4; v++) {
                const size_t rows = shapes[s].rows, cols = shapes[s].cols, n = rows * cols;
                rng_seed(1 + s * 131 + (size_t)kind * 17 + (size_t)v);
                float *x = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float));
                float *g = malloc(cols * sizeof(float)), *b = malloc(cols * sizeof(float));
                float mean[8], rstd[8];
                fill_kind(x, n, cols, kind);
                for (size_t j = 0; j < cols; j++) {
                    g[j] = (float)(0.5 + rng_unif());
                    b[j] = (float)rng_normal();
                }
                const float *gp = v & 1 ? g : NULL, *bp = v & 2 ? b : NULL;
                CHECK(simdnorm_layer_norm_f32(rows, cols, x, cols, gp, bp, 1e-5f, y, cols, mean,
                                              rstd) == SIMDNORM_OK, "layer_norm failed");
                uint64_t h = fnv(FNV_SEED, y, n * sizeof(float));
                h = fnv(h, mean, rows * sizeof(float));
                h = fnv(h, rstd, rows * sizeof(float));
                snprintf(name, sizeof name, "layer_norm_%zux%zu_kind%d_affine%d", rows, cols, kind, v);
                record(name, h);
                if (!(v & 2)) {
                    CHECK(simdnorm_rms_norm_f32(rows, cols, x, cols, gp, 1e-5f, y, cols, rstd) ==
                              SIMDNORM_OK, "rms_norm failed");
                    h = fnv(fnv(FNV_SEED, y, n * sizeof(float)), rstd, rows * sizeof(float));
                    snprintf(name, sizeof name, "rms_norm_%zux%zu_kind%d_gamma%d", rows, cols, kind, v);
                    record(name, h);
                }
                free(x);
                free(y);
                free(g);
                free(b);
            }
}

/* BatchNorm's per-channel moments (simdnorm_batch_norm_moments_f32), their
 * double bits: the sample tree's order (README "BatchNorm"), many samples,
 * both layouts, planes shorter and longer than a block, 2-D, NaN/Inf. */
static void golden_moments(void)
{
    static const struct {
        size_t n, c, sp;
    } mshapes[] = {{33, 5, 50}, {100, 7, 1}, {37, 3, 300}, {6, 19, 9}, {64, 2, 3},
                   {5000, 2, 1}, {4300, 3, 4}}; /* the last two cut into blocks */
    char name[96];
    for (size_t s = 0; s < sizeof mshapes / sizeof *mshapes; s++)
        for (int layout = 0; layout < 2; layout++)
            for (int kind = 0; kind < 5; kind += 4) {
                const size_t n = mshapes[s].n, c = mshapes[s].c, sp = mshapes[s].sp, total = n * c * sp;
                rng_seed(700 + s * 7 + (size_t)layout * 3 + (size_t)kind);
                float *x = malloc(total * sizeof(float));
                simdnorm_moments *m = malloc(c * sizeof *m);
                fill_kind(x, total, c * sp, kind);
                if (kind == 4)
                    x[total / 2] = -INFINITY;
                const simdnorm_layout lay = layout ? SIMDNORM_NHWC : SIMDNORM_NCHW;
                CHECK(simdnorm_batch_norm_moments_f32(lay, n, c, sp, x, m) == SIMDNORM_OK,
                      "batch_norm_moments failed");
                snprintf(name, sizeof name, "batch_norm_moments_%s_%zux%zux%zu_kind%d",
                         layout ? "nhwc" : "nchw", n, c, sp, kind);
                record(name, fnv(FNV_SEED, m, c * sizeof *m));
                free(x);
                free(m);
            }
}

/* BatchNorm, training (with saved and running statistics) and inference,
 * both layouts, planes shorter and longer than a block. */
static void golden_batch_norm(void)
{
    static const struct {
        size_t n, c, sp;
    } bshapes[] = {{4, 19, 50}, {3, 70, 9}, {40, 5, 1}, {2, 3, 5000}, {17, 64, 1},
                   {4500, 3, 1}, {4200, 2, 5}}; /* the last two cut into blocks */
    char name[96];
    for (size_t s = 0; s < sizeof bshapes / sizeof *bshapes; s++)
        for (int layout = 0; layout < 2; layout++)
            for (int kind = 0; kind < 5; kind += 2) {
                const size_t n = bshapes[s].n, c = bshapes[s].c, sp = bshapes[s].sp, total = n * c * sp;
                rng_seed(500 + s * 7 + (size_t)layout * 3 + (size_t)kind);
                float *x = malloc(total * sizeof(float)), *y = malloc(total * sizeof(float));
                float *v[8];
                for (int i = 0; i < 8; i++)
                    v[i] = malloc(c * sizeof(float));
                fill_kind(x, total, c * sp, kind);
                for (size_t j = 0; j < c; j++) {
                    v[0][j] = (float)(0.5 + rng_unif()); /* gamma */
                    v[1][j] = (float)rng_normal();       /* beta */
                    v[2][j] = (float)rng_normal();       /* running mean */
                    v[3][j] = (float)(0.5 + rng_unif()); /* running var */
                }
                const simdnorm_layout lay = layout ? SIMDNORM_NHWC : SIMDNORM_NCHW;
                CHECK(simdnorm_batch_norm_train_f32(lay, n, c, sp, x, v[0], v[1], 1e-5f, 0.1f, v[2],
                                                    v[3], y, v[4], v[5]) == SIMDNORM_OK,
                      "batch_norm_train failed");
                uint64_t h = fnv(FNV_SEED, y, total * sizeof(float));
                for (int i = 2; i < 6; i++)
                    h = fnv(h, v[i], c * sizeof(float));
                snprintf(name, sizeof name, "batch_norm_train_%s_%zux%zux%zu_kind%d",
                         layout ? "nhwc" : "nchw", n, c, sp, kind);
                record(name, h);
                CHECK(simdnorm_batch_norm_infer_f32(lay, n, c, sp, x, v[0], v[1], v[2], v[3], 1e-5f,
                                                    y) == SIMDNORM_OK,
                      "batch_norm_infer failed");
                snprintf(name, sizeof name, "batch_norm_infer_%s_%zux%zux%zu_kind%d",
                         layout ? "nhwc" : "nchw", n, c, sp, kind);
                record(name, fnv(FNV_SEED, y, total * sizeof(float)));
                free(x);
                free(y);
                for (int i = 0; i < 8; i++)
                    free(v[i]);
            }
}

/* The fused epilogues: LayerNorm/RMSNorm with residual, bias, h and every
 * activation, BatchNorm with every activation, and the activation on its
 * own. */
static void golden_fused(void)
{
    static const shape fshapes[] = {{5, 33}, {3, 768}, {2, 4097}};
    static const char *const act_names[] = {"none", "relu", "gelu_erf", "gelu_tanh", "silu"};
    char name[128];
    for (size_t s = 0; s < sizeof fshapes / sizeof *fshapes; s++)
        for (int kind = 0; kind < 5; kind += 2)
            for (int act = SIMDNORM_ACT_NONE; act <= SIMDNORM_ACT_SILU; act++) {
                const size_t rows = fshapes[s].rows, cols = fshapes[s].cols, n = rows * cols;
                rng_seed(9000 + s * 131 + (size_t)kind * 17 + (size_t)act);
                float *x = malloc(n * sizeof(float)), *r = malloc(n * sizeof(float));
                float *y = malloc(n * sizeof(float)), *h = malloc(n * sizeof(float));
                float *g = malloc(cols * sizeof(float)), *b = malloc(cols * sizeof(float));
                float *bias = malloc(cols * sizeof(float)), mean[8], rstd[8];
                fill_kind(x, n, cols, kind);
                fill_kind(r, n, cols, 0);
                for (size_t j = 0; j < cols; j++) {
                    g[j] = (float)(0.5 + rng_unif());
                    b[j] = (float)rng_normal();
                    bias[j] = (float)(0.1 * rng_normal());
                }
                simdnorm_norm_options o = {r, cols, bias, (simdnorm_activation)act, h, cols};
                CHECK(simdnorm_layer_norm_ex_f32(rows, cols, x, cols, g, b, 1e-5f, y, cols, mean,
                                                 rstd, &o) == SIMDNORM_OK,
                      "layer_norm_ex failed");
                uint64_t hh = fnv(FNV_SEED, y, n * sizeof(float));
                hh = fnv(hh, h, n * sizeof(float));
                hh = fnv(fnv(hh, mean, rows * sizeof(float)), rstd, rows * sizeof(float));
                snprintf(name, sizeof name, "fused_layer_norm_%zux%zu_kind%d_residual_bias_%s",
                         rows, cols, kind, act_names[act]);
                record(name, hh);
                o.bias = NULL;
                o.h = NULL;
                CHECK(simdnorm_rms_norm_ex_f32(rows, cols, x, cols, g, 1e-5f, y, cols, rstd, &o) ==
                          SIMDNORM_OK,
                      "rms_norm_ex failed");
                hh = fnv(fnv(FNV_SEED, y, n * sizeof(float)), rstd, rows * sizeof(float));
                snprintf(name, sizeof name, "fused_rms_norm_%zux%zu_kind%d_residual_%s", rows,
                         cols, kind, act_names[act]);
                record(name, hh);
                CHECK(simdnorm_activate_f32(n, x, (simdnorm_activation)act, y) == SIMDNORM_OK,
                      "activate failed");
                snprintf(name, sizeof name, "activate_%zux%zu_kind%d_%s", rows, cols, kind,
                         act_names[act]);
                record(name, fnv(FNV_SEED, y, n * sizeof(float)));
                free(x);
                free(r);
                free(y);
                free(h);
                free(g);
                free(b);
                free(bias);
            }
    static const struct {
        size_t n, c, sp;
    } bshapes[] = {{4, 19, 50}, {40, 5, 1}};
    for (size_t s = 0; s < sizeof bshapes / sizeof *bshapes; s++)
        for (int layout = 0; layout < 2; layout++)
            for (int act = SIMDNORM_ACT_RELU; act <= SIMDNORM_ACT_SILU; act++) {
                const size_t n = bshapes[s].n, c = bshapes[s].c, sp = bshapes[s].sp, total = n * c * sp;
                rng_seed(9500 + s * 7 + (size_t)layout * 3 + (size_t)act);
                float *x = malloc(total * sizeof(float)), *y = malloc(total * sizeof(float));
                float g[19], b[19], m[19], v[19];
                fill_kind(x, total, c * sp, 4);
                for (size_t j = 0; j < c; j++) {
                    g[j] = (float)(0.5 + rng_unif());
                    b[j] = (float)rng_normal();
                    m[j] = (float)(0.1 * rng_normal());
                    v[j] = (float)(0.5 + rng_unif());
                }
                const simdnorm_layout lay = layout ? SIMDNORM_NHWC : SIMDNORM_NCHW;
                simdnorm_norm_options o = {NULL, 0, NULL, (simdnorm_activation)act, NULL, 0};
                CHECK(simdnorm_batch_norm_train_ex_f32(lay, n, c, sp, x, g, b, 1e-5f, 0.1f, NULL,
                                                       NULL, y, NULL, NULL, &o) == SIMDNORM_OK,
                      "batch_norm_train_ex failed");
                snprintf(name, sizeof name, "fused_batch_norm_train_%s_%zux%zux%zu_%s",
                         layout ? "nhwc" : "nchw", n, c, sp, act_names[act]);
                record(name, fnv(FNV_SEED, y, total * sizeof(float)));
                CHECK(simdnorm_batch_norm_infer_ex_f32(lay, n, c, sp, x, g, b, m, v, 1e-5f, y, &o) ==
                          SIMDNORM_OK,
                      "batch_norm_infer_ex failed");
                snprintf(name, sizeof name, "fused_batch_norm_infer_%s_%zux%zux%zu_%s",
                         layout ? "nhwc" : "nchw", n, c, sp, act_names[act]);
                record(name, fnv(FNV_SEED, y, total * sizeof(float)));
                free(x);
                free(y);
            }
}

/* The backward passes: dx, dgamma and dbeta of seeded inputs, with the
 * forward's saved statistics (BatchNorm with fixed statistics: given ones).
 * kind 4 puts a NaN in row 0 of dy (channel 0 for BatchNorm) besides the
 * NaN/Inf rows of x. */
static void golden_backward(void)
{
    static const shape rshapes[] = {{3, 1}, {5, 33}, {4, 64}, {3, 768}, {2, 4097}};
    static const int kinds[] = {0, 1, 3, 4};
    char name[96];
    for (size_t s = 0; s < sizeof rshapes / sizeof *rshapes; s++)
        for (size_t k = 0; k < 4; k++)
            for (int gamma = 0; gamma < 2; gamma++) {
                const int kind = kinds[k];
                const size_t rows = rshapes[s].rows, cols = rshapes[s].cols, n = rows * cols;
                rng_seed(20000 + s * 131 + (size_t)kind * 17 + (size_t)gamma);
                float *x = malloc(n * sizeof(float)), *dy = malloc(n * sizeof(float));
                float *y = malloc(n * sizeof(float)), *dx = malloc(n * sizeof(float));
                float *g = malloc(cols * sizeof(float)), *dg = malloc(cols * sizeof(float));
                float *db = malloc(cols * sizeof(float)), mean[8], rstd[8];
                fill_kind(x, n, cols, kind);
                fill_kind(dy, n, cols, 0);
                if (kind == 4)
                    dy[cols / 3] = NAN;
                for (size_t j = 0; j < cols; j++)
                    g[j] = (float)((j % 5 == 3 ? -0.5 : 0.5) + rng_unif());
                const float *gp = gamma ? g : NULL;
                CHECK(simdnorm_layer_norm_f32(rows, cols, x, cols, NULL, NULL, 1e-5f, y, cols, mean,
                                              rstd) == SIMDNORM_OK, "layer_norm failed");
                CHECK(simdnorm_layer_norm_bwd_f32(rows, cols, dy, cols, x, cols, gp, mean, rstd, dx,
                                                  cols, dg, db) == SIMDNORM_OK,
                      "layer_norm_bwd failed");
                uint64_t h = fnv(FNV_SEED, dx, n * sizeof(float));
                h = fnv(fnv(h, dg, cols * sizeof(float)), db, cols * sizeof(float));
                snprintf(name, sizeof name, "layer_norm_bwd_%zux%zu_kind%d_gamma%d", rows, cols, kind,
                         gamma);
                record(name, h);
                CHECK(simdnorm_rms_norm_f32(rows, cols, x, cols, NULL, 1e-5f, y, cols, rstd) ==
                          SIMDNORM_OK, "rms_norm failed");
                CHECK(simdnorm_rms_norm_bwd_f32(rows, cols, dy, cols, x, cols, gp, rstd, dx, cols, dg) ==
                          SIMDNORM_OK, "rms_norm_bwd failed");
                h = fnv(fnv(FNV_SEED, dx, n * sizeof(float)), dg, cols * sizeof(float));
                snprintf(name, sizeof name, "rms_norm_bwd_%zux%zu_kind%d_gamma%d", rows, cols, kind,
                         gamma);
                record(name, h);
                free(x), free(dy), free(y), free(dx), free(g), free(dg), free(db);
            }
    static const struct {
        size_t n, c, sp;
    } bshapes[] = {{4, 19, 50}, {3, 70, 9}, {40, 5, 1}, {2, 3, 5000}, {17, 64, 1},
                   {4500, 3, 1}, {4200, 2, 5}}; /* the last two cut into blocks */
    for (size_t s = 0; s < sizeof bshapes / sizeof *bshapes; s++)
        for (int layout = 0; layout < 2; layout++)
            for (int training = 0; training < 2; training++)
                for (int kind = 0; kind < 5; kind += 4) {
                    const size_t n = bshapes[s].n, c = bshapes[s].c, sp = bshapes[s].sp;
                    const size_t total = n * c * sp;
                    rng_seed(21000 + s * 7 + (size_t)layout * 3 + (size_t)training * 5 + (size_t)kind);
                    float *x = malloc(total * sizeof(float)), *dy = malloc(total * sizeof(float));
                    float *y = malloc(total * sizeof(float)), *dx = malloc(total * sizeof(float));
                    float *v[5];
                    for (int i = 0; i < 5; i++)
                        v[i] = malloc(c * sizeof(float)); /* gamma mean rstd dgamma dbeta */
                    fill_kind(x, total, c * sp, kind);
                    fill_kind(dy, total, c * sp, 0);
                    if (kind == 4)
                        dy[0] = NAN;
                    for (size_t j = 0; j < c; j++) {
                        v[0][j] = (float)(0.5 + rng_unif());
                        v[1][j] = (float)(0.1 * rng_normal());
                        v[2][j] = (float)(1.0 / sqrt(0.5 + rng_unif() + 1e-5));
                    }
                    const simdnorm_layout lay = layout ? SIMDNORM_NHWC : SIMDNORM_NCHW;
                    if (training)
                        CHECK(simdnorm_batch_norm_train_f32(lay, n, c, sp, x, NULL, NULL, 1e-5f, 0.1f,
                                                            NULL, NULL, y, v[1], v[2]) == SIMDNORM_OK,
                              "batch_norm_train failed");
                    CHECK(simdnorm_batch_norm_bwd_f32(lay, n, c, sp, dy, x, training ? v[0] : NULL,
                                                      v[1], v[2], training, dx, v[3], v[4]) ==
                              SIMDNORM_OK,
                          "batch_norm_bwd failed");
                    uint64_t h = fnv(FNV_SEED, dx, total * sizeof(float));
                    h = fnv(fnv(h, v[3], c * sizeof(float)), v[4], c * sizeof(float));
                    snprintf(name, sizeof name, "batch_norm_bwd_%s_%zux%zux%zu_train%d_kind%d",
                             layout ? "nhwc" : "nchw", n, c, sp, training, kind);
                    record(name, h);
                    free(x), free(dy), free(y), free(dx);
                    for (int i = 0; i < 5; i++)
                        free(v[i]);
                }
    /* dgamma/dbeta over many rows (samples): the canonical block and chunk
     * order of the reductions, the same on every architecture */
    static const shape many[] = {{1000, 33}, {20000, 8}, {300, 4097}};
    for (size_t s = 0; s < sizeof many / sizeof *many; s++) {
        const size_t rows = many[s].rows, cols = many[s].cols, n = rows * cols;
        rng_seed(22000 + s);
        float *x = malloc(n * sizeof(float)), *dy = malloc(n * sizeof(float));
        float *y = malloc(n * sizeof(float)), *dx = malloc(n * sizeof(float));
        float *g = malloc(cols * sizeof(float)), *dg = malloc(cols * sizeof(float));
        const size_t ns = rows > cols ? rows : cols; /* statistics: rows, or channels */
        float *db = malloc(cols * sizeof(float)), *mean = malloc(ns * sizeof(float));
        float *rstd = malloc(ns * sizeof(float));
        fill_kind(x, n, cols, 0);
        fill_kind(dy, n, cols, 0);
        for (size_t j = 0; j < cols; j++)
            g[j] = (float)(0.5 + rng_unif());
        CHECK(simdnorm_layer_norm_f32(rows, cols, x, cols, NULL, NULL, 1e-5f, y, cols, mean, rstd) ==
                  SIMDNORM_OK, "layer_norm failed");
        CHECK(simdnorm_layer_norm_bwd_f32(rows, cols, dy, cols, x, cols, g, mean, rstd, dx, cols, dg,
                                          db) == SIMDNORM_OK, "layer_norm_bwd failed");
        uint64_t h = fnv(FNV_SEED, dx, n * sizeof(float));
        h = fnv(fnv(h, dg, cols * sizeof(float)), db, cols * sizeof(float));
        snprintf(name, sizeof name, "layer_norm_bwd_%zux%zu_many_rows", rows, cols);
        record(name, h);
        CHECK(simdnorm_rms_norm_f32(rows, cols, x, cols, NULL, 1e-5f, y, cols, rstd) == SIMDNORM_OK,
              "rms_norm failed");
        CHECK(simdnorm_rms_norm_bwd_f32(rows, cols, dy, cols, x, cols, g, rstd, dx, cols, dg) ==
                  SIMDNORM_OK, "rms_norm_bwd failed");
        h = fnv(fnv(FNV_SEED, dx, n * sizeof(float)), dg, cols * sizeof(float));
        snprintf(name, sizeof name, "rms_norm_bwd_%zux%zu_many_rows", rows, cols);
        record(name, h);
        for (int layout = 0; layout < 2; layout++) { /* the same data as [n, c, spatial] */
            const size_t bn = rows / 10, bc = cols, bsp = 10; /* NHWC: 10 positions per sample */
            const simdnorm_layout lay = layout ? SIMDNORM_NHWC : SIMDNORM_NCHW;
            CHECK(simdnorm_batch_norm_train_f32(lay, bn, bc, bsp, x, NULL, NULL, 1e-5f, 0.1f, NULL,
                                                NULL, y, mean, rstd) == SIMDNORM_OK,
                  "batch_norm_train failed");
            CHECK(simdnorm_batch_norm_bwd_f32(lay, bn, bc, bsp, dy, x, g, mean, rstd, 1, dx, dg, db) ==
                      SIMDNORM_OK, "batch_norm_bwd failed");
            h = fnv(FNV_SEED, dx, n * sizeof(float));
            h = fnv(fnv(h, dg, cols * sizeof(float)), db, cols * sizeof(float));
            snprintf(name, sizeof name, "batch_norm_bwd_%s_%zux%zux%zu_many_samples",
                     layout ? "nhwc" : "nchw", bn, bc, bsp);
            record(name, h);
        }
        free(x), free(dy), free(y), free(dx), free(g), free(dg), free(db), free(mean), free(rstd);
    }
}

/* GroupNorm / InstanceNorm (issue 14), forward (y, mean, rstd) and backward
 * (dx, dgamma, dbeta from the forward's statistics), both layouts, groups 1,
 * between and c, groups longer than a block, NHWC groups wider than 256
 * channels, NaN/Inf groups (kind 4), an NHWC backward unit beyond
 * GN_SUMS_BLOCK_BYTES (96 x 1400: its sums in blocks of rows). A block of its own in golden_hashes.h. */
static void golden_group_norm(void)
{
    static const struct {
        size_t n, c, sp, g[3];
    } gshapes[] = {{2, 6, 50, {1, 3, 6}},     {1, 4, 5000, {1, 2, 4}}, {3, 300, 2, {1, 30, 300}},
                   {4, 8, 1, {1, 2, 8}},      {1, 96, 1400, {1, 8, 96}}};
    char name[128];
    for (size_t s = 0; s < sizeof gshapes / sizeof *gshapes; s++)
        for (int layout = 0; layout < 2; layout++)
            for (int gi = 0; gi < 3; gi++)
                for (int kind = 0; kind < 5; kind += 2) {
                    const size_t n = gshapes[s].n, c = gshapes[s].c, sp = gshapes[s].sp;
                    const size_t groups = gshapes[s].g[gi], total = n * c * sp, pairs = n * groups;
                    rng_seed(12000 + s * 31 + (size_t)layout * 7 + (size_t)gi * 3 + (size_t)kind);
                    float *x = malloc(total * sizeof(float)), *y = malloc(total * sizeof(float));
                    float *dy = malloc(total * sizeof(float)), *g = malloc(c * sizeof(float));
                    float *b = malloc(c * sizeof(float)), *dg = malloc(c * sizeof(float));
                    float *db = malloc(c * sizeof(float)), *m = malloc(pairs * sizeof(float));
                    float *r = malloc(pairs * sizeof(float));
                    fill_kind(x, total, c * sp, kind);
                    fill_kind(dy, total, c * sp, 0);
                    for (size_t j = 0; j < c; j++) {
                        g[j] = (float)(0.5 + rng_unif());
                        b[j] = (float)rng_normal();
                    }
                    const simdnorm_layout lay = layout ? SIMDNORM_NHWC : SIMDNORM_NCHW;
                    const float *gp = kind == 2 ? NULL : g, *bp = kind == 2 ? NULL : b;
                    CHECK(simdnorm_group_norm_f32(lay, n, c, sp, groups, x, gp, bp, 1e-5f, y, m, r) ==
                              SIMDNORM_OK,
                          "group_norm failed");
                    uint64_t h = fnv(FNV_SEED, y, total * sizeof(float));
                    h = fnv(fnv(h, m, pairs * sizeof(float)), r, pairs * sizeof(float));
                    snprintf(name, sizeof name, "group_norm_%s_%zux%zux%zu_g%zu_kind%d",
                             layout ? "nhwc" : "nchw", n, c, sp, groups, kind);
                    record(name, h);
                    CHECK(simdnorm_group_norm_bwd_f32(lay, n, c, sp, groups, dy, x, gp, m, r, y, dg,
                                                      db) == SIMDNORM_OK,
                          "group_norm_bwd failed");
                    h = fnv(FNV_SEED, y, total * sizeof(float));
                    h = fnv(fnv(h, dg, c * sizeof(float)), db, c * sizeof(float));
                    snprintf(name, sizeof name, "group_norm_bwd_%s_%zux%zux%zu_g%zu_kind%d",
                             layout ? "nhwc" : "nchw", n, c, sp, groups, kind);
                    record(name, h);
                    free(x);
                    free(y);
                    free(dy);
                    free(g);
                    free(b);
                    free(dg);
                    free(db);
                    free(m);
                    free(r);
                }
}

/* Raw double sums of the reduction kernels: a change of summation order that
 * rounding to float would hide still shows here. */
/* The 16-bit storage twins (bf16, f16): forward, the options (residual,
 * bias, h, an activation), the activation alone, the backward; inputs of
 * fill_kind narrowed to 16 bits (kernels/half.h), outputs hashed as stored. */
static void golden_half(void)
{
    static const shape hs[] = {{3, 1}, {5, 33}, {4, 64}, {3, 768}, {2, 4097}, {1, 9000}};
    char name[96];
    for (int st = 1; st <= 2; st++)
        for (size_t s = 0; s < sizeof hs / sizeof *hs; s++)
            for (int kind = 0; kind < 5; kind++) {
                const size_t rows = hs[s].rows, cols = hs[s].cols, n = rows * cols;
                const char *sn = st == 1 ? "bf16" : "f16";
                rng_seed(91 + s * 131 + (size_t)kind * 17 + (size_t)st);
                float *xf = malloc(n * sizeof(float)), *g = malloc(cols * sizeof(float)),
                      *b = malloc(cols * sizeof(float)), *dg = malloc(cols * sizeof(float)),
                      *db = malloc(cols * sizeof(float));
                uint16_t *x = malloc(n * 2), *r = malloc(n * 2), *y = malloc(n * 2),
                         *h = malloc(n * 2), *dy = malloc(n * 2);
                float mean[8], rstd[8];
                fill_kind(xf, n, cols, kind);
                for (size_t i = 0; i < n; i++)
                    x[i] = st == 1 ? simdnorm_bf16_narrow1(xf[i]) : simdnorm_f16_narrow1(xf[i]);
                for (size_t i = 0; i < n; i++) {
                    const float v = (float)rng_normal();
                    r[i] = st == 1 ? simdnorm_bf16_narrow1(v) : simdnorm_f16_narrow1(v);
                    dy[i] = st == 1 ? simdnorm_bf16_narrow1(0.5f * v) : simdnorm_f16_narrow1(0.5f * v);
                }
                for (size_t j = 0; j < cols; j++) {
                    g[j] = (float)(0.5 + rng_unif());
                    b[j] = (float)rng_normal();
                }
                simdnorm_status e1, e2;
                if (st == 1) {
                    e1 = simdnorm_layer_norm_bf16(rows, cols, x, cols, g, b, 1e-5f, y, cols, mean, rstd);
                } else {
                    e1 = simdnorm_layer_norm_f16(rows, cols, x, cols, g, b, 1e-5f, y, cols, mean, rstd);
                }
                CHECK(e1 == SIMDNORM_OK, "%s layer_norm failed", sn);
                uint64_t hh = fnv(fnv(fnv(FNV_SEED, y, n * 2), mean, rows * 4), rstd, rows * 4);
                snprintf(name, sizeof name, "%s_layer_norm_%zux%zu_kind%d", sn, rows, cols, kind);
                record(name, hh);
                e1 = st == 1 ? simdnorm_rms_norm_bf16(rows, cols, x, cols, g, 1e-5f, y, cols, rstd)
                             : simdnorm_rms_norm_f16(rows, cols, x, cols, g, 1e-5f, y, cols, rstd);
                CHECK(e1 == SIMDNORM_OK, "%s rms_norm failed", sn);
                hh = fnv(fnv(FNV_SEED, y, n * 2), rstd, rows * 4);
                snprintf(name, sizeof name, "%s_rms_norm_%zux%zu_kind%d", sn, rows, cols, kind);
                record(name, hh);
                if (st == 1) {
                    const simdnorm_norm_options_bf16 o = {r, cols, b, SIMDNORM_ACT_GELU_TANH, h, cols};
                    e1 = simdnorm_layer_norm_ex_bf16(rows, cols, x, cols, g, NULL, 1e-5f, y, cols,
                                                     mean, rstd, &o);
                } else {
                    const simdnorm_norm_options_f16 o = {r, cols, b, SIMDNORM_ACT_GELU_TANH, h, cols};
                    e1 = simdnorm_layer_norm_ex_f16(rows, cols, x, cols, g, NULL, 1e-5f, y, cols,
                                                    mean, rstd, &o);
                }
                CHECK(e1 == SIMDNORM_OK, "%s layer_norm_ex failed", sn);
                hh = fnv(fnv(fnv(fnv(FNV_SEED, y, n * 2), h, n * 2), mean, rows * 4), rstd, rows * 4);
                snprintf(name, sizeof name, "%s_layer_norm_ex_%zux%zu_kind%d", sn, rows, cols, kind);
                record(name, hh);
                e1 = st == 1 ? simdnorm_activate_bf16(n, x, SIMDNORM_ACT_SILU, y)
                             : simdnorm_activate_f16(n, x, SIMDNORM_ACT_SILU, y);
                CHECK(e1 == SIMDNORM_OK, "%s activate failed", sn);
                snprintf(name, sizeof name, "%s_activate_silu_%zux%zu_kind%d", sn, rows, cols, kind);
                record(name, fnv(FNV_SEED, y, n * 2));
                /* the backward from this forward's statistics (mean, rstd above) */
                e2 = st == 1 ? simdnorm_layer_norm_bwd_bf16(rows, cols, dy, cols, x, cols, g, mean,
                                                            rstd, y, cols, dg, db)
                             : simdnorm_layer_norm_bwd_f16(rows, cols, dy, cols, x, cols, g, mean,
                                                           rstd, y, cols, dg, db);
                CHECK(e2 == SIMDNORM_OK, "%s layer_norm_bwd failed", sn);
                hh = fnv(fnv(fnv(FNV_SEED, y, n * 2), dg, cols * 4), db, cols * 4);
                snprintf(name, sizeof name, "%s_layer_norm_bwd_%zux%zu_kind%d", sn, rows, cols, kind);
                record(name, hh);
                free(xf);
                free(g);
                free(b);
                free(dg);
                free(db);
                free(x);
                free(r);
                free(y);
                free(h);
                free(dy);
            }
}

static void golden_kernels(const simdnorm_kernels *k)
{
    static const size_t lens[] = {1, 31, 32, 33, 255, 256, 257, 1000, 4096, 100003};
    char name[64];
    for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
        const size_t n = lens[i];
        rng_seed(7777 + n);
        float *x = malloc(n * sizeof(float));
        fill_kind(x, n, n, 3);
        double m[2], e[2];
        k->f32_moments(n, x, x[n / 3], m);
        k->f32_moments_exact(n, x, x[n / 3], e);
        const double sq = k->f32_sumsq(n, x), sqe = k->f32_sumsq_exact(n, x);
        uint64_t h = fnv(fnv(FNV_SEED, m, sizeof m), e, sizeof e);
        h = fnv(fnv(h, &sq, sizeof sq), &sqe, sizeof sqe);
        snprintf(name, sizeof name, "kernel_sums_%zu", n);
        record(name, h);
        free(x);
    }
}

/* The channel norms' 16-bit twins: BatchNorm training (with running
 * statistics) and its backward, GroupNorm and its backward, both layouts,
 * inputs of fill_kind narrowed to 16 bits, outputs hashed as stored. */
static void golden_half_channels(void)
{
    static const struct {
        size_t n, c, sp, groups;
    } cs[] = {{4, 16, 49, 4}, {3, 64, 1, 8}, {2, 8, 300, 2}};
    char name[128];
    for (int st = 1; st <= 2; st++)
        for (size_t s = 0; s < sizeof cs / sizeof *cs; s++)
            for (int layout = 0; layout < 2; layout++) {
                const size_t n = cs[s].n, c = cs[s].c, sp = cs[s].sp, G = cs[s].groups,
                             t = n * c * sp;
                const char *sn = st == 1 ? "bf16" : "f16";
                const simdnorm_layout lay = layout ? SIMDNORM_NHWC : SIMDNORM_NCHW;
                rng_seed(13000 + s * 17 + (size_t)layout * 5 + (size_t)st);
                float *xf = malloc(t * sizeof(float)), *st8 = malloc(8 * c * sizeof(float));
                uint16_t *x = malloc(t * 2), *dy = malloc(t * 2), *y = malloc(t * 2);
                fill_kind(xf, t, c * sp, 1);
                for (size_t i = 0; i < t; i++) {
                    x[i] = st == 1 ? simdnorm_bf16_narrow1(xf[i]) : simdnorm_f16_narrow1(xf[i]);
                    const float v = (float)rng_normal();
                    dy[i] = st == 1 ? simdnorm_bf16_narrow1(v) : simdnorm_f16_narrow1(v);
                }
                float *g = st8, *b = st8 + c, *rm = st8 + 2 * c, *rv = st8 + 3 * c,
                      *sm = st8 + 4 * c, *sr = st8 + 5 * c, *dg = st8 + 6 * c, *db = st8 + 7 * c;
                for (size_t j = 0; j < c; j++) {
                    g[j] = (float)(0.5 + rng_unif());
                    b[j] = (float)rng_normal();
                    rm[j] = 0.0f;
                    rv[j] = 1.0f;
                }
                simdnorm_status e =
                    st == 1 ? simdnorm_batch_norm_train_bf16(lay, n, c, sp, x, g, b, 1e-5f, 0.1f, rm,
                                                             rv, y, sm, sr)
                            : simdnorm_batch_norm_train_f16(lay, n, c, sp, x, g, b, 1e-5f, 0.1f, rm,
                                                            rv, y, sm, sr);
                CHECK(e == SIMDNORM_OK, "batch_norm_train twin failed");
                uint64_t h = fnv(fnv(FNV_SEED, y, t * 2), rm, 4 * c * sizeof(float));
                snprintf(name, sizeof name, "batch_norm_train_%s_%s_%zux%zux%zu", sn,
                         layout ? "nhwc" : "nchw", n, c, sp);
                record(name, h);
                e = st == 1 ? simdnorm_batch_norm_bwd_bf16(lay, n, c, sp, dy, x, g, sm, sr, 1, y, dg,
                                                           db)
                            : simdnorm_batch_norm_bwd_f16(lay, n, c, sp, dy, x, g, sm, sr, 1, y, dg,
                                                          db);
                CHECK(e == SIMDNORM_OK, "batch_norm_bwd twin failed");
                h = fnv(fnv(FNV_SEED, y, t * 2), dg, 2 * c * sizeof(float));
                snprintf(name, sizeof name, "batch_norm_bwd_%s_%s_%zux%zux%zu", sn,
                         layout ? "nhwc" : "nchw", n, c, sp);
                record(name, h);
                /* GroupNorm: mean and rstd [n*G] (<= c here) at sm and sr */
                e = st == 1 ? simdnorm_group_norm_bf16(lay, n, c, sp, G, x, g, b, 1e-5f, y, sm, sr)
                            : simdnorm_group_norm_f16(lay, n, c, sp, G, x, g, b, 1e-5f, y, sm, sr);
                CHECK(e == SIMDNORM_OK, "group_norm twin failed");
                h = fnv(fnv(fnv(FNV_SEED, y, t * 2), sm, n * G * sizeof(float)), sr,
                        n * G * sizeof(float));
                snprintf(name, sizeof name, "group_norm_%s_%s_%zux%zux%zu_g%zu", sn,
                         layout ? "nhwc" : "nchw", n, c, sp, G);
                record(name, h);
                e = st == 1 ? simdnorm_group_norm_bwd_bf16(lay, n, c, sp, G, dy, x, g, sm, sr, y,
                                                           dg, db)
                            : simdnorm_group_norm_bwd_f16(lay, n, c, sp, G, dy, x, g, sm, sr, y,
                                                          dg, db);
                CHECK(e == SIMDNORM_OK, "group_norm_bwd twin failed");
                h = fnv(fnv(FNV_SEED, y, t * 2), dg, 2 * c * sizeof(float));
                snprintf(name, sizeof name, "group_norm_bwd_%s_%s_%zux%zux%zu_g%zu", sn,
                         layout ? "nhwc" : "nchw", n, c, sp, G);
                record(name, h);
                free(xf);
                free(st8);
                free(x);
                free(dy);
                free(y);
            }
}

int main(int argc, char **argv)
{
    print_mode = argc > 1 && strcmp(argv[1], "--print") == 0;
    if (print_mode) {
        simdnorm_set_isa(SIMDNORM_ISA_SCALAR);
        printf("/* golden_hashes.h - written by `test_golden --print` (scalar ISA). */\n");
        golden_rows();
        golden_batch_norm();
        golden_moments();
        golden_kernels(simdnorm_kernels_for(SIMDNORM_ISA_SCALAR));
        golden_fused();
        golden_backward();
        golden_group_norm();
        golden_half();
        golden_half_channels();
        return 0;
    }
    for (size_t i = 0; i < N_ARCH_ISAS; i++) {
        if (!begin_isa_case("golden_hashes_public_functions", arch_isas[i]))
            continue;
        checked = 0;
        golden_rows();
        golden_batch_norm();
        golden_moments();
        golden_fused();
        golden_backward();
        golden_group_norm();
        golden_half();
        golden_half_channels();
        CHECK(checked > 0, "no golden hash compared");
        h_end();
        if (!begin_isa_case("golden_hashes_kernel_sums", arch_isas[i]))
            continue;
        golden_kernels(simdnorm_kernels_for(arch_isas[i]));
        h_end();
    }
    return h_summary();
}
