/* test_thread_count.c - every output (LayerNorm, RMSNorm, BatchNorm) bit for
 * bit the same for 1, 2, 3, 4, 7 and 16 threads (oversubscribing the
 * machine on purpose), on every ISA;
 * calls from inside a parallel region stay on their thread; the thread
 * count API checks its argument. */
#include "common.h"
#include "internal.h"

#ifdef _OPENMP
#include <omp.h>
#endif

static const int counts[] = {1, 2, 3, 4, 7, 16};
#define N_COUNTS (sizeof counts / sizeof *counts)

typedef struct outputs {
    float *y, *mean, *rstd;
} outputs;

static void run_ln(size_t rows, size_t cols, const float *x, const float *g, const float *b,
                   outputs o, int rms)
{
    simdnorm_status st = rms ? simdnorm_rms_norm_f32(rows, cols, x, cols, g, 1e-5f, o.y, cols, o.rstd)
                             : simdnorm_layer_norm_f32(rows, cols, x, cols, g, b, 1e-5f, o.y, cols,
                                                       o.mean, o.rstd);
    CHECK(st == SIMDNORM_OK, "status %d", st);
}

/* Under emulation (SIMDNORM_TEST_EMULATED, set by tests/meson.build for the
 * qemu runs) smaller shapes, still large enough to be split over threads. */
static int emulated(void) { return getenv("SIMDNORM_TEST_EMULATED") != NULL; }

static void case_rows_bitwise_any_thread_count(void)
{
    /* the last: rows of 5 floats, the row engine's rows in lanes */
    static const size_t full[][2] = {{2000, 777}, {37, 65536}, {5000, 33}, {60000, 5}};
    static const size_t small[][2] = {{400, 777}, {9, 16384}, {2500, 33}, {30000, 5}};
    const size_t(*shapes)[2] = emulated() ? small : full;
    for (size_t s = 0; s < 4; s++) {
        const size_t rows = shapes[s][0], cols = shapes[s][1], n = rows * cols;
        rng_seed(s + 1);
        float *x = malloc(n * sizeof(float)), *g = malloc(cols * sizeof(float));
        float *b = malloc(cols * sizeof(float));
        fill_normal(x, n, 3.0, 2.0);
        fill_normal(g, cols, 1.0, 0.1);
        fill_normal(b, cols, 0.0, 0.1);
        for (int rms = 0; rms < 2; rms++) {
            outputs ref = {malloc(n * 4), malloc(rows * 4), malloc(rows * 4)};
            outputs got = {malloc(n * 4), malloc(rows * 4), malloc(rows * 4)};
            simdnorm_set_num_threads(1);
            run_ln(rows, cols, x, g, b, ref, rms);
            for (size_t c = 1; c < N_COUNTS; c++) {
                simdnorm_set_num_threads(counts[c]);
                memset(got.y, 0, n * 4);
                run_ln(rows, cols, x, g, b, got, rms);
                CHECK(memcmp(ref.y, got.y, n * 4) == 0 && memcmp(ref.rstd, got.rstd, rows * 4) == 0 &&
                          (rms || memcmp(ref.mean, got.mean, rows * 4) == 0),
                      "%s %zux%zu: %d threads differ from 1", rms ? "rms" : "ln", rows, cols, counts[c]);
            }
            free(ref.y), free(ref.mean), free(ref.rstd);
            free(got.y), free(got.mean), free(got.rstd);
        }
        free(x), free(g), free(b);
    }
    simdnorm_set_num_threads(1);
}

/* BatchNorm training and inference, both layouts and 2-D: channel ranges
 * (NHWC training: blocks of rows) per thread must not change a bit. */
static void case_batch_norm_bitwise_any_thread_count(void)
{
    /* 4500 (4200) samples: a batch cut into blocks of 4096 samples, the
     * whole blocks' sums merged across threads. NHWC training splits blocks of 4096 rows (and, with few blocks,
     * units of 128 channels): 3 channels over 10 blocks, 300 channels over
     * 3 blocks (the last one short) */
    static const size_t full[][3] = {{8, 64, 784}, {4, 50, 3136}, {4500, 512, 1}, {6, 1000, 49},
                                     {10, 3, 4000}, {3, 300, 3000}};
    static const size_t small[][3] = {{2, 64, 784}, {1, 50, 3136}, {4200, 64, 1}, {2, 1000, 49},
                                      {10, 3, 2000}, {3, 300, 1500}};
    const size_t(*shapes)[3] = emulated() ? small : full;
    for (size_t si = 0; si < 6; si++)
        for (int layout = 0; layout < 2; layout++) {
            const size_t n = shapes[si][0], c = shapes[si][1], sp = shapes[si][2], total = n * c * sp;
            rng_seed(40 + si);
            float *x = malloc(total * 4), *g = malloc(c * 4), *b = malloc(c * 4);
            fill_normal(x, total, 2.0, 3.0);
            fill_normal(g, c, 1.0, 0.1);
            fill_normal(b, c, 0.0, 0.1);
            /* per thread count: y, save mean, save rstd, running mean, running var, inference y */
            float *out[N_COUNTS][6];
            const simdnorm_layout lay = layout ? SIMDNORM_NHWC : SIMDNORM_NCHW;
            for (size_t t = 0; t < N_COUNTS; t++) {
                for (int i = 0; i < 6; i++)
                    out[t][i] = malloc((i == 0 || i == 5 ? total : c) * 4);
                for (size_t j = 0; j < c; j++)
                    out[t][3][j] = 0.5f, out[t][4][j] = 2.0f;
                simdnorm_set_num_threads(counts[t]);
                CHECK(simdnorm_batch_norm_train_f32(lay, n, c, sp, x, g, b, 1e-5f, 0.1f, out[t][3],
                                                    out[t][4], out[t][0], out[t][1], out[t][2]) ==
                          SIMDNORM_OK,
                      "train failed");
                CHECK(simdnorm_batch_norm_infer_f32(lay, n, c, sp, x, g, b, out[t][3], out[t][4],
                                                    1e-5f, out[t][5]) == SIMDNORM_OK,
                      "infer failed");
                if (t > 0)
                    for (int i = 0; i < 6; i++)
                        CHECK(memcmp(out[0][i], out[t][i], (i == 0 || i == 5 ? total : c) * 4) == 0,
                              "%s %zux%zux%zu output %d: %d threads differ from 1",
                              layout ? "nhwc" : "nchw", n, c, sp, i, counts[t]);
            }
            for (size_t t = 0; t < N_COUNTS; t++)
                for (int i = 0; i < 6; i++)
                    free(out[t][i]);
            free(x), free(g), free(b);
        }
    simdnorm_set_num_threads(1);
}

int main(void)
{
    h_begin("set_num_threads_checks_its_argument");
    CHECK(simdnorm_set_num_threads(0) == SIMDNORM_ERR_PARAM, "0 accepted");
    CHECK(simdnorm_set_num_threads(-3) == SIMDNORM_ERR_PARAM, "-3 accepted");
    CHECK(simdnorm_set_num_threads(5) == SIMDNORM_OK && simdnorm_get_num_threads() == 5,
          "set 5, get %d", simdnorm_get_num_threads());
    h_end();

    h_begin("large_calls_use_the_threads");
#ifdef _OPENMP
    simdnorm_set_num_threads(4);
    CHECK(simdnorm_threads_for((size_t)64 << 20, 1000) == 4, "4 threads for 64 MiB: %d",
          simdnorm_threads_for((size_t)64 << 20, 1000));
    CHECK(simdnorm_threads_for(4096, 1000) == 1, "a small call must stay on its thread");
    CHECK(simdnorm_threads_for((size_t)64 << 20, 3) == 3, "no more threads than parts");
    int nested = 0;
#pragma omp parallel num_threads(2)
    {
#pragma omp single
        nested = simdnorm_threads_for((size_t)64 << 20, 1000);
    }
    CHECK(nested == 1, "inside a parallel region a call must stay on its thread: %d", nested);
    h_end();
#else
    h_skip("built without OpenMP");
#endif

    for (size_t i = 0; i < N_ARCH_ISAS; i++) {
        if (begin_isa_case("rows_bitwise_for_1_2_3_4_7_16_threads", arch_isas[i])) {
            case_rows_bitwise_any_thread_count();
            h_end();
        }
        if (begin_isa_case("batch_norm_bitwise_for_1_2_3_4_7_16_threads", arch_isas[i])) {
            case_batch_norm_bitwise_any_thread_count();
            h_end();
        }
    }
    return h_summary();
}
