/* bwd_dump.c - writes the inputs and the library's outputs of the backward
 * passes for a fixed set of seeded cases to a binary file, which
 * tests/torch/check_backward.py compares with PyTorch's own backward ops.
 *
 * Usage: bwd_dump FILE
 * Format (native byte order, which is the reader's: both run on one
 * machine): "SNBW", uint32 version 1, uint32 case count, then per case
 *   int32 fn (0 LayerNorm, 1 RMSNorm, 2 BatchNorm), int32 layout
 *   (BatchNorm: 0 NCHW, 1 NHWC), int32 training, int32 has_gamma,
 *   uint64 a, b, c (rows, cols, 0 / n, c, spatial),
 *   float32 arrays: dy [T], x [T], gamma [F] (if has_gamma), mean [S]
 *   (LayerNorm and BatchNorm), rstd [S], dx [T], dgamma [F], dbeta [F]
 *   (LayerNorm and BatchNorm)
 * with T the elements, F the features (cols / c) and S the statistics
 * (rows / c). The statistics are the library's forward's (or, where a case
 * says so, shifted or arbitrary ones); the backward takes them as given. */
#include <stdio.h>

#include "../common.h"

static FILE *out;
static unsigned n_cases;

static void put(const void *p, size_t bytes)
{
    if (bytes && fwrite(p, 1, bytes, out) != bytes) {
        fprintf(stderr, "bwd_dump: write failed\n");
        exit(2);
    }
}

static void header(int fn, int layout, int training, int has_gamma, size_t a, size_t b, size_t c)
{
    const int32_t h[4] = {fn, layout, training, has_gamma};
    const uint64_t s[3] = {a, b, c};
    put(h, sizeof h);
    put(s, sizeof s);
    n_cases++;
}

static void *alloc(size_t n) { return malloc((n ? n : 1) * sizeof(float)); }

static void check(simdnorm_status st, const char *what)
{
    if (st != SIMDNORM_OK) {
        fprintf(stderr, "bwd_dump: %s: %s\n", what, simdnorm_status_str(st));
        exit(1);
    }
}

/* stats: 0 the forward's, 1 shifted (a quarter std, rstd 10% off), 2 arbitrary */
static void row_case(int rms, size_t rows, size_t cols, double x_off, double x_sd, double dy_off,
                     int has_gamma, int stats, int nan_row)
{
    const size_t n = rows * cols;
    float *x = alloc(n), *dy = alloc(n), *y = alloc(n), *dx = alloc(n), *g = alloc(cols);
    float *dg = alloc(cols), *db = alloc(cols), *mean = alloc(rows), *rstd = alloc(rows);
    fill_normal(x, n, x_off, x_sd);
    fill_normal(dy, n, dy_off, 1.0);
    for (size_t j = 0; j < cols; j++)
        g[j] = (float)((j % 5 == 3 ? -0.5 : 0.5) + rng_unif());
    if (nan_row)
        dy[cols + cols / 2] = NAN;
    check(rms ? simdnorm_rms_norm_f32(rows, cols, x, cols, NULL, 1e-5f, y, cols, rstd)
              : simdnorm_layer_norm_f32(rows, cols, x, cols, NULL, NULL, 1e-5f, y, cols, mean, rstd),
          "forward");
    for (size_t r = 0; r < rows; r++) {
        if (stats == 1) {
            if (!rms)
                mean[r] = (float)(mean[r] + 0.25 / rstd[r]);
            rstd[r] = (float)(rstd[r] * 1.1);
        } else if (stats == 2) {
            if (!rms)
                mean[r] = (float)(mean[r] + rng_normal() / rstd[r]);
            rstd[r] = (float)(rstd[r] * (0.3 + 2.0 * rng_unif()));
        }
    }
    const float *gp = has_gamma ? g : NULL;
    check(rms ? simdnorm_rms_norm_bwd_f32(rows, cols, dy, cols, x, cols, gp, rstd, dx, cols, dg)
              : simdnorm_layer_norm_bwd_f32(rows, cols, dy, cols, x, cols, gp, mean, rstd, dx, cols,
                                            dg, db),
          "backward");
    header(rms, 0, 1, has_gamma, rows, cols, 0);
    put(dy, n * 4);
    put(x, n * 4);
    if (has_gamma)
        put(g, cols * 4);
    if (!rms)
        put(mean, rows * 4);
    put(rstd, rows * 4);
    put(dx, n * 4);
    put(dg, cols * 4);
    if (!rms)
        put(db, cols * 4);
    free(x), free(dy), free(y), free(dx), free(g), free(dg), free(db), free(mean), free(rstd);
}

static void bn_case(simdnorm_layout layout, size_t n, size_t c, size_t sp, double x_off,
                    double x_sd, int training, int has_gamma)
{
    const size_t total = n * c * sp;
    float *x = alloc(total), *dy = alloc(total), *y = alloc(total), *dx = alloc(total);
    float *g = alloc(c), *mean = alloc(c), *rstd = alloc(c), *dg = alloc(c), *db = alloc(c);
    fill_normal(x, total, x_off, x_sd);
    fill_normal(dy, total, 0.0, 1.0);
    for (size_t j = 0; j < c; j++)
        g[j] = (float)((j % 5 == 3 ? -0.5 : 0.5) + rng_unif());
    if (training) {
        check(simdnorm_batch_norm_train_f32(layout, n, c, sp, x, NULL, NULL, 1e-5f, 0.1f, NULL,
                                            NULL, y, mean, rstd),
              "forward");
    } else { /* running statistics near the data's */
        for (size_t j = 0; j < c; j++) {
            mean[j] = (float)(x_off + 0.1 * x_sd * rng_normal());
            rstd[j] = (float)(1.0 / sqrt(x_sd * x_sd * (0.8 + 0.4 * rng_unif()) + 1e-5));
        }
    }
    check(simdnorm_batch_norm_bwd_f32(layout, n, c, sp, dy, x, has_gamma ? g : NULL, mean, rstd,
                                      training, dx, dg, db),
          "backward");
    header(2, layout == SIMDNORM_NHWC, training, has_gamma, n, c, sp);
    put(dy, total * 4);
    put(x, total * 4);
    if (has_gamma)
        put(g, c * 4);
    put(mean, c * 4);
    put(rstd, c * 4);
    put(dx, total * 4);
    put(dg, c * 4);
    put(db, c * 4);
    free(x), free(dy), free(y), free(dx), free(g), free(mean), free(rstd), free(dg), free(db);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bwd_dump FILE\n");
        return 2;
    }
    out = fopen(argv[1], "wb");
    if (!out) {
        perror(argv[1]);
        return 2;
    }
    const uint32_t head[3] = {0x57424e53u /* "SNBW" */, 1, 0};
    put(head, sizeof head);
    static const struct {
        size_t rows, cols;
        double x_off, x_sd, dy_off;
    } rshapes[] = {
        {4, 3, 0.0, 1.0, 0.0},      {7, 33, 2.0, 3.0, 0.0},    {64, 64, -1.0, 0.5, 0.5},
        {5, 768, 1e4, 1.0, 0.0},    {3, 4097, 100.0, 0.01, 3.0}, {2, 65537, -1e3, 2.0, 30.0},
    };
    for (size_t s = 0; s < sizeof rshapes / sizeof *rshapes; s++)
        for (int rms = 0; rms < 2; rms++)
            for (int gamma = 0; gamma < 2; gamma++) {
                rng_seed(300 + s * 10 + (size_t)rms * 2 + (size_t)gamma);
                row_case(rms, rshapes[s].rows, rshapes[s].cols, rshapes[s].x_off, rshapes[s].x_sd,
                         rshapes[s].dy_off, gamma, (int)((s + (size_t)gamma) % 3), 0);
            }
    for (int rms = 0; rms < 2; rms++) { /* a NaN in row 1's dy */
        rng_seed(400 + (size_t)rms);
        row_case(rms, 5, 33, 1.0, 1.0, 0.0, 1, 0, 1);
    }
    static const struct {
        int layout;
        size_t n, c, sp;
        double x_off, x_sd;
    } bshapes[] = {
        {0, 4, 19, 50, 1.0, 2.0}, {1, 3, 70, 9, -2.0, 0.5}, {0, 40, 5, 1, 0.0, 1.0},
        {1, 40, 5, 1, 3.0, 1.0},  {0, 2, 3, 5000, 1e3, 1.0}, {1, 8, 16, 49, 1e2, 0.1},
    };
    for (size_t s = 0; s < sizeof bshapes / sizeof *bshapes; s++)
        for (int training = 0; training < 2; training++)
            for (int gamma = 0; gamma < 2; gamma++) {
                rng_seed(500 + s * 10 + (size_t)training * 2 + (size_t)gamma);
                bn_case(bshapes[s].layout ? SIMDNORM_NHWC : SIMDNORM_NCHW, bshapes[s].n,
                        bshapes[s].c, bshapes[s].sp, bshapes[s].x_off, bshapes[s].x_sd, training,
                        gamma);
            }
    /* the case count, into the header */
    if (fseek(out, 8, SEEK_SET) != 0 || fwrite(&n_cases, 4, 1, out) != 1 || fclose(out) != 0) {
        fprintf(stderr, "bwd_dump: write failed\n");
        return 2;
    }
    printf("bwd_dump: %u cases written to %s\n", n_cases, argv[1]);
    return 0;
}
