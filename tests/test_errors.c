/* test_errors.c - every error of DESIGN §5 for the row norms and the ISA
 * control, each proving that no byte of any buffer changed. */
#include <stdint.h>

#include "common.h"

enum { COLS = 8, ROWS = 4, ARENA = 1024 };

/* One arena holds every buffer, so an overlap case and a write anywhere are
 * both seen by comparing the whole arena before and after. */
static float arena[ARENA], before[ARENA];

static void reset_arena(void)
{
    for (size_t i = 0; i < ARENA; i++)
        arena[i] = (float)(i % 13) - 6.0f;
    memcpy(before, arena, sizeof arena);
}

#define X (arena)
#define Y (arena + 64)
#define GAMMA (arena + 128)
#define BETA (arena + 144)
#define MEAN (arena + 160)
#define RSTD (arena + 168)

typedef simdnorm_status (*call_fn)(void);

static void expect(const char *name, simdnorm_status want, simdnorm_status (*fn)(void))
{
    h_begin("%s", name);
    reset_arena();
    const simdnorm_status got = fn();
    CHECK(got == want, "status %d (%s), want %d (%s)", got, simdnorm_status_str(got), want,
          simdnorm_status_str(want));
    if (want != SIMDNORM_OK || strstr(name, "rows_0"))
        CHECK(memcmp(arena, before, sizeof arena) == 0, "a byte was written");
    h_end();
}

/* LayerNorm call with one argument changed from a valid baseline. */
typedef struct ln_args {
    size_t rows, cols;
    const float *x;
    size_t xs;
    const float *g, *b;
    float eps;
    float *y;
    size_t ys;
    float *mean, *rstd;
} ln_args;

static ln_args ln_ok(void)
{
    ln_args a = {ROWS, COLS, X, COLS, GAMMA, BETA, 1e-5f, Y, COLS, MEAN, RSTD};
    return a;
}
static simdnorm_status ln(ln_args a)
{
    return simdnorm_layer_norm_f32(a.rows, a.cols, a.x, a.xs, a.g, a.b, a.eps, a.y, a.ys,
                                   a.mean, a.rstd);
}
static simdnorm_status rms(ln_args a)
{
    return simdnorm_rms_norm_f32(a.rows, a.cols, a.x, a.xs, a.g, a.eps, a.y, a.ys, a.rstd);
}

/* Each case: a name, the expected status, and the change to the baseline. */
#define CASE(fn_name, want, change)                                           \
    static simdnorm_status ln_##fn_name(void)                                 \
    {                                                                         \
        ln_args a = ln_ok();                                                  \
        change;                                                               \
        return ln(a);                                                         \
    }                                                                         \
    static simdnorm_status rms_##fn_name(void)                                \
    {                                                                         \
        ln_args a = ln_ok();                                                  \
        change;                                                               \
        return rms(a);                                                        \
    }

CASE(valid, SIMDNORM_OK, (void)0)
CASE(eps_negative, SIMDNORM_ERR_PARAM, a.eps = -1e-5f)
CASE(eps_nan, SIMDNORM_ERR_PARAM, a.eps = NAN)
CASE(eps_inf, SIMDNORM_ERR_PARAM, a.eps = INFINITY)
CASE(eps_nan_rows_0, SIMDNORM_ERR_PARAM, a.eps = NAN; a.rows = 0)
CASE(rows_0_is_noop, SIMDNORM_OK, a.rows = 0; a.x = NULL; a.y = NULL)
CASE(x_null, SIMDNORM_ERR_NULL, a.x = NULL)
CASE(y_null, SIMDNORM_ERR_NULL, a.y = NULL)
CASE(cols_0, SIMDNORM_ERR_SHAPE, a.cols = 0)
CASE(x_stride_lt_cols, SIMDNORM_ERR_SHAPE, a.xs = COLS - 1)
CASE(y_stride_lt_cols, SIMDNORM_ERR_SHAPE, a.ys = COLS - 1)
CASE(x_stride_lt_cols_one_row, SIMDNORM_ERR_SHAPE, a.xs = COLS - 1; a.rows = 1)
CASE(size_overflow_rows, SIMDNORM_ERR_SHAPE, a.rows = SIZE_MAX / 2)
CASE(size_overflow_stride, SIMDNORM_ERR_SHAPE, a.xs = SIZE_MAX / 4 + 1)
CASE(size_overflow_ptrdiff, SIMDNORM_ERR_SHAPE, a.rows = 2; a.ys = (size_t)PTRDIFF_MAX / 4)
CASE(y_partly_overlaps_x, SIMDNORM_ERR_OVERLAP, a.y = X + 1; a.ys = COLS)
CASE(y_interleaved_with_x, SIMDNORM_ERR_OVERLAP, a.xs = 2 * COLS; a.ys = 2 * COLS; a.y = X + COLS)
CASE(y_is_x_other_stride, SIMDNORM_ERR_OVERLAP, a.y = X; a.ys = COLS + 1)
CASE(y_overlaps_gamma, SIMDNORM_ERR_OVERLAP, a.y = GAMMA - 4)
CASE(rstd_overlaps_x, SIMDNORM_ERR_OVERLAP, a.rstd = X + 2)
CASE(rstd_overlaps_y, SIMDNORM_ERR_OVERLAP, a.rstd = Y + 30)
CASE(rstd_overlaps_gamma, SIMDNORM_ERR_OVERLAP, a.rstd = GAMMA + 7)
CASE(in_place_ok, SIMDNORM_OK, a.y = (float *)X; a.ys = COLS)

/* LayerNorm-only: beta and mean. */
static simdnorm_status ln_y_overlaps_beta(void) { ln_args a = ln_ok(); a.y = BETA - 31; return ln(a); }
static simdnorm_status ln_mean_overlaps_rstd(void) { ln_args a = ln_ok(); a.mean = RSTD - 2; return ln(a); }
static simdnorm_status ln_mean_is_rstd(void) { ln_args a = ln_ok(); a.mean = RSTD; return ln(a); }
static simdnorm_status ln_mean_overlaps_x(void) { ln_args a = ln_ok(); a.mean = X + 31; return ln(a); }
static simdnorm_status ln_mean_overlaps_beta(void) { ln_args a = ln_ok(); a.mean = BETA; return ln(a); }
static simdnorm_status ln_mean_overlaps_y(void) { ln_args a = ln_ok(); a.mean = Y; return ln(a); }

static simdnorm_status set_isa_bad_enum(void) { return simdnorm_set_isa((simdnorm_isa)99); }
static simdnorm_status set_isa_negative_enum(void) { return simdnorm_set_isa((simdnorm_isa)-1); }
static simdnorm_status set_isa_other_arch(void)
{
#if defined(__aarch64__)
    return simdnorm_set_isa(SIMDNORM_ISA_AVX2);
#else
    return simdnorm_set_isa(SIMDNORM_ISA_NEON);
#endif
}

int main(void)
{
#define BOTH(fn_name, want)                                                   \
    expect("layer_norm_" #fn_name, want, ln_##fn_name);                       \
    expect("rms_norm_" #fn_name, want, rms_##fn_name);
    BOTH(valid, SIMDNORM_OK)
    BOTH(eps_negative, SIMDNORM_ERR_PARAM)
    BOTH(eps_nan, SIMDNORM_ERR_PARAM)
    BOTH(eps_inf, SIMDNORM_ERR_PARAM)
    BOTH(eps_nan_rows_0, SIMDNORM_ERR_PARAM)
    BOTH(rows_0_is_noop, SIMDNORM_OK)
    BOTH(x_null, SIMDNORM_ERR_NULL)
    BOTH(y_null, SIMDNORM_ERR_NULL)
    BOTH(cols_0, SIMDNORM_ERR_SHAPE)
    BOTH(x_stride_lt_cols, SIMDNORM_ERR_SHAPE)
    BOTH(y_stride_lt_cols, SIMDNORM_ERR_SHAPE)
    BOTH(x_stride_lt_cols_one_row, SIMDNORM_ERR_SHAPE)
    BOTH(size_overflow_rows, SIMDNORM_ERR_SHAPE)
    BOTH(size_overflow_stride, SIMDNORM_ERR_SHAPE)
    BOTH(size_overflow_ptrdiff, SIMDNORM_ERR_SHAPE)
    BOTH(y_partly_overlaps_x, SIMDNORM_ERR_OVERLAP)
    BOTH(y_interleaved_with_x, SIMDNORM_ERR_OVERLAP)
    BOTH(y_is_x_other_stride, SIMDNORM_ERR_OVERLAP)
    BOTH(y_overlaps_gamma, SIMDNORM_ERR_OVERLAP)
    BOTH(rstd_overlaps_x, SIMDNORM_ERR_OVERLAP)
    BOTH(rstd_overlaps_y, SIMDNORM_ERR_OVERLAP)
    BOTH(rstd_overlaps_gamma, SIMDNORM_ERR_OVERLAP)
    BOTH(in_place_ok, SIMDNORM_OK)
    expect("layer_norm_y_overlaps_beta", SIMDNORM_ERR_OVERLAP, ln_y_overlaps_beta);
    expect("layer_norm_mean_overlaps_rstd", SIMDNORM_ERR_OVERLAP, ln_mean_overlaps_rstd);
    expect("layer_norm_mean_is_rstd", SIMDNORM_ERR_OVERLAP, ln_mean_is_rstd);
    expect("layer_norm_mean_overlaps_x", SIMDNORM_ERR_OVERLAP, ln_mean_overlaps_x);
    expect("layer_norm_mean_overlaps_beta", SIMDNORM_ERR_OVERLAP, ln_mean_overlaps_beta);
    expect("layer_norm_mean_overlaps_y", SIMDNORM_ERR_OVERLAP, ln_mean_overlaps_y);

    const simdnorm_isa isa_before = simdnorm_active_isa();
    expect("set_isa_bad_enum", SIMDNORM_ERR_PARAM, set_isa_bad_enum);
    expect("set_isa_negative_enum", SIMDNORM_ERR_PARAM, set_isa_negative_enum);
    expect("set_isa_other_arch", SIMDNORM_ERR_ISA, set_isa_other_arch);
    h_begin("set_isa_failure_changes_nothing");
    CHECK(simdnorm_active_isa() == isa_before, "active ISA changed by a failed set_isa");
    h_end();

    h_begin("status_str_names_every_status");
    for (int s = SIMDNORM_OK; s <= SIMDNORM_ERR_OVERLAP + 1; s++) {
        const char *m = simdnorm_status_str((simdnorm_status)s);
        CHECK(m && *m, "no message for status %d", s);
    }
    CHECK(strcmp(simdnorm_status_str(SIMDNORM_ERR_NULL), simdnorm_status_str(SIMDNORM_ERR_SHAPE)) != 0,
          "two statuses share a message");
    CHECK(strcmp(simdnorm_isa_name((simdnorm_isa)42), "unknown") == 0, "unknown ISA name");
    h_end();
    return h_summary();
}
