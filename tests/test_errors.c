/* test_errors.c - every error of DESIGN §5 for the row norms, BatchNorm, the
 * fused epilogues (_ex, simdnorm_activate_f32) and the ISA control, each
 * proving that no byte of any buffer changed. */
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
    if (want != SIMDNORM_OK || strstr(name, "rows_0") || strstr(name, "noop"))
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

/* ---- the _ex row norms: residual, bias, h, activation -------------------- */
#define RES (arena + 448)
#define BIAS (arena + 512)
#define H (arena + 544)

typedef struct ex_args {
    ln_args a;
    simdnorm_norm_options o;
} ex_args;

static ex_args ex_ok(void)
{
    ex_args e = {ln_ok(), {RES, COLS, BIAS, SIMDNORM_ACT_GELU_ERF, H, COLS}};
    return e;
}
static simdnorm_status ln_ex(ex_args e)
{
    return simdnorm_layer_norm_ex_f32(e.a.rows, e.a.cols, e.a.x, e.a.xs, e.a.g, e.a.b, e.a.eps,
                                      e.a.y, e.a.ys, e.a.mean, e.a.rstd, &e.o);
}
static simdnorm_status rms_ex(ex_args e)
{
    return simdnorm_rms_norm_ex_f32(e.a.rows, e.a.cols, e.a.x, e.a.xs, e.a.g, e.a.eps, e.a.y,
                                    e.a.ys, e.a.rstd, &e.o);
}

#define EX_CASE(fn_name, change)                                              \
    static simdnorm_status ln_ex_##fn_name(void)                              \
    {                                                                         \
        ex_args e = ex_ok();                                                  \
        change;                                                               \
        return ln_ex(e);                                                      \
    }                                                                         \
    static simdnorm_status rms_ex_##fn_name(void)                             \
    {                                                                         \
        ex_args e = ex_ok();                                                  \
        change;                                                               \
        return rms_ex(e);                                                     \
    }

EX_CASE(valid, (void)0)
EX_CASE(valid_every_activation, for (int t = 0; t <= SIMDNORM_ACT_SILU; t++) {
    e.o.activation = (simdnorm_activation)t;
    if (ln_ex(e) != SIMDNORM_OK)
        return SIMDNORM_ERR_PARAM;
})
EX_CASE(activation_unknown, e.o.activation = (simdnorm_activation)5)
EX_CASE(activation_negative, e.o.activation = (simdnorm_activation)-1)
EX_CASE(activation_unknown_rows_0, e.o.activation = (simdnorm_activation)77; e.a.rows = 0)
EX_CASE(rows_0_is_noop, e.a.rows = 0; e.a.x = NULL; e.a.y = NULL; e.o.residual = NULL; e.o.h = NULL)
EX_CASE(residual_stride_lt_cols, e.o.residual_stride = COLS - 1)
EX_CASE(h_stride_lt_cols, e.o.h_stride = COLS - 1)
EX_CASE(residual_size_overflow, e.o.residual_stride = SIZE_MAX / 4 + 1)
EX_CASE(y_partly_overlaps_residual, e.a.y = RES + 3)
EX_CASE(y_is_residual_other_stride, e.a.y = (float *)RES; e.a.ys = COLS + 1)
EX_CASE(y_is_residual_ok, e.a.y = (float *)RES)
EX_CASE(y_overlaps_bias, e.a.y = BIAS - 30)
EX_CASE(h_overlaps_y, e.o.h = Y + 5)
EX_CASE(h_is_y, e.o.h = Y)
EX_CASE(h_partly_overlaps_x, e.o.h = X + 1)
EX_CASE(h_is_x_other_stride, e.o.h = X; e.o.h_stride = COLS + 2)
EX_CASE(h_is_x_ok, e.o.h = X)
EX_CASE(h_is_residual_ok, e.o.h = (float *)RES)
EX_CASE(h_is_x_and_y_is_residual_ok, e.o.h = X; e.a.y = (float *)RES)
EX_CASE(h_overlaps_gamma, e.o.h = GAMMA - 20)
EX_CASE(h_overlaps_bias, e.o.h = BIAS - 25)
EX_CASE(rstd_overlaps_residual, e.a.rstd = RES + 9)
EX_CASE(rstd_overlaps_h, e.a.rstd = H + 31)
EX_CASE(rstd_overlaps_bias, e.a.rstd = BIAS + 4)
EX_CASE(bias_only_ok, e.o.residual = NULL)
EX_CASE(h_without_residual_or_bias_ok, e.o.residual = NULL; e.o.bias = NULL)
static simdnorm_status ln_ex_mean_overlaps_h(void) { ex_args e = ex_ok(); e.a.mean = H + 2; return ln_ex(e); }
static simdnorm_status ln_ex_mean_overlaps_residual(void) { ex_args e = ex_ok(); e.a.mean = RES; return ln_ex(e); }

/* ---- the activation on its own ------------------------------------------ */
#define AX (arena + 640)
#define AY (arena + 672)
static simdnorm_status act_valid(void) { return simdnorm_activate_f32(16, AX, SIMDNORM_ACT_SILU, AY); }
static simdnorm_status act_unknown(void) { return simdnorm_activate_f32(16, AX, (simdnorm_activation)5, AY); }
static simdnorm_status act_unknown_n_0(void) { return simdnorm_activate_f32(0, AX, (simdnorm_activation)9, AY); }
static simdnorm_status act_n_0_noop(void) { return simdnorm_activate_f32(0, NULL, SIMDNORM_ACT_RELU, NULL); }
static simdnorm_status act_x_null(void) { return simdnorm_activate_f32(16, NULL, SIMDNORM_ACT_RELU, AY); }
static simdnorm_status act_y_null(void) { return simdnorm_activate_f32(16, AX, SIMDNORM_ACT_RELU, NULL); }
static simdnorm_status act_size_overflow(void) { return simdnorm_activate_f32(SIZE_MAX / 2, AX, SIMDNORM_ACT_RELU, AY); }
static simdnorm_status act_y_partly_overlaps_x(void) { return simdnorm_activate_f32(16, AX, SIMDNORM_ACT_RELU, AX + 4); }
static simdnorm_status act_in_place_ok(void) { return simdnorm_activate_f32(16, AX, SIMDNORM_ACT_GELU_TANH, AX); }

/* ---- BatchNorm: n = 2, c = 4, spatial = 3 ------------------------------- */
enum { BN_N = 2, BN_C = 4, BN_SP = 3, BN_TOTAL = BN_N * BN_C * BN_SP };
#define BX (arena + 256)
#define BY (arena + 320)
#define BG (arena + 352)
#define BB (arena + 360)
#define BSM (arena + 368)
#define BSR (arena + 376)
#define BRM (arena + 384)
#define BRV (arena + 392)
#define BMEAN (arena + 400)
#define BVAR (arena + 408)

typedef struct bn_args {
    simdnorm_layout layout;
    size_t n, c, sp;
    const float *x, *g, *b;
    float eps, momentum;
    float *rm, *rv, *y, *sm, *sr;
    const float *mean, *var;
} bn_args;

static bn_args bn_ok(void)
{
    bn_args a = {SIMDNORM_NCHW, BN_N, BN_C, BN_SP, BX, BG, BB, 1e-5f, 0.1f,
                 BRM, BRV, BY, BSM, BSR, BMEAN, BVAR};
    return a;
}
static simdnorm_status bn_train(bn_args a)
{
    return simdnorm_batch_norm_train_f32(a.layout, a.n, a.c, a.sp, a.x, a.g, a.b, a.eps,
                                         a.momentum, a.rm, a.rv, a.y, a.sm, a.sr);
}
static simdnorm_status bn_infer(bn_args a)
{
    return simdnorm_batch_norm_infer_f32(a.layout, a.n, a.c, a.sp, a.x, a.g, a.b, a.mean,
                                         a.var, a.eps, a.y);
}

/* A case for training only (T), inference only (I), or both (BN). */
#define T_CASE(name, change)                                                  \
    static simdnorm_status bnt_##name(void)                                   \
    {                                                                         \
        bn_args a = bn_ok();                                                  \
        change;                                                               \
        return bn_train(a);                                                   \
    }
#define I_CASE(name, change)                                                  \
    static simdnorm_status bni_##name(void)                                   \
    {                                                                         \
        bn_args a = bn_ok();                                                  \
        change;                                                               \
        return bn_infer(a);                                                   \
    }
#define BN_CASE(name, change) T_CASE(name, change) I_CASE(name, change)

BN_CASE(valid, (void)0)
BN_CASE(valid_nhwc, a.layout = SIMDNORM_NHWC)
BN_CASE(eps_negative, a.eps = -1e-5f)
BN_CASE(eps_nan, a.eps = NAN)
BN_CASE(eps_inf, a.eps = INFINITY)
BN_CASE(eps_nan_c_0, a.eps = NAN; a.c = 0)
BN_CASE(layout_unknown, a.layout = (simdnorm_layout)2)
BN_CASE(layout_negative, a.layout = (simdnorm_layout)-1)
BN_CASE(layout_unknown_c_0, a.layout = (simdnorm_layout)7; a.c = 0)
T_CASE(momentum_negative, a.momentum = -0.1f)
T_CASE(momentum_above_1, a.momentum = 1.0001f)
T_CASE(momentum_nan, a.momentum = NAN)
T_CASE(momentum_inf, a.momentum = INFINITY)
T_CASE(momentum_bad_without_running, a.momentum = 2.0f; a.rm = NULL; a.rv = NULL)
T_CASE(momentum_0_ok, a.momentum = 0.0f)
T_CASE(momentum_1_ok, a.momentum = 1.0f)
BN_CASE(c_0_noop, a.c = 0; a.x = NULL; a.y = NULL; a.mean = NULL; a.var = NULL)
I_CASE(n_0_noop, a.n = 0; a.x = NULL; a.y = NULL; a.mean = NULL; a.var = NULL)
I_CASE(spatial_0_noop, a.sp = 0; a.x = NULL; a.y = NULL)
T_CASE(n_0, a.n = 0)
T_CASE(spatial_0, a.sp = 0)
T_CASE(n_spatial_1, a.n = 1; a.sp = 1)
T_CASE(n_spatial_1_nhwc, a.n = 1; a.sp = 1; a.layout = SIMDNORM_NHWC)
T_CASE(n_spatial_2_ok, a.n = 2; a.sp = 1)
BN_CASE(x_null, a.x = NULL)
BN_CASE(y_null, a.y = NULL)
I_CASE(mean_null, a.mean = NULL)
I_CASE(var_null, a.var = NULL)
T_CASE(running_mean_without_var, a.rv = NULL)
T_CASE(running_var_without_mean, a.rm = NULL)
T_CASE(no_optional_ok, a.g = NULL; a.b = NULL; a.rm = NULL; a.rv = NULL; a.sm = NULL; a.sr = NULL)
BN_CASE(size_overflow_n, a.n = SIZE_MAX / 2)
BN_CASE(size_overflow_n_spatial, a.n = SIZE_MAX / 2; a.sp = 5)
BN_CASE(size_overflow_c, a.c = SIZE_MAX / 4)
BN_CASE(size_overflow_ptrdiff, a.n = 1; a.c = 4; a.sp = (size_t)PTRDIFF_MAX / 16 + 1)
BN_CASE(y_partly_overlaps_x, a.y = BX + 1)
BN_CASE(y_overlaps_x_end, a.y = BX + BN_TOTAL - 1)
BN_CASE(y_overlaps_gamma, a.y = BG - BN_TOTAL + 1)
BN_CASE(y_overlaps_beta, a.y = BB - 3)
BN_CASE(in_place_ok, a.y = (float *)BX)
BN_CASE(gamma_is_beta_ok, a.b = BG)
I_CASE(y_overlaps_mean, a.y = BMEAN - 2)
I_CASE(y_overlaps_var, a.y = BVAR)
I_CASE(mean_is_var_ok, a.var = BMEAN)
T_CASE(save_mean_overlaps_x, a.sm = BX + 20)
T_CASE(save_mean_overlaps_y, a.sm = BY)
T_CASE(save_mean_overlaps_gamma, a.sm = BG + 3)
T_CASE(save_mean_is_save_rstd, a.sm = BSR)
T_CASE(save_rstd_overlaps_beta, a.sr = BB + 1)
T_CASE(save_rstd_overlaps_running_mean, a.sr = BRM + 3)
T_CASE(running_mean_overlaps_running_var, a.rm = BRV - 1)
T_CASE(running_mean_is_running_var, a.rm = BRV)
T_CASE(running_var_overlaps_x, a.rv = BX)
T_CASE(running_var_overlaps_y, a.rv = BY + 23)
T_CASE(running_mean_overlaps_gamma, a.rm = BG + 2)
T_CASE(running_mean_overlaps_save_mean, a.rm = BSM)

/* BatchNorm _ex: an activation only. */
static simdnorm_norm_options bn_opt(simdnorm_activation act)
{
    simdnorm_norm_options o = {NULL, 0, NULL, act, NULL, 0};
    return o;
}
#define BN_EX_CASE(name, change)                                              \
    static simdnorm_status bnt_ex_##name(void)                                \
    {                                                                         \
        bn_args a = bn_ok();                                                  \
        simdnorm_norm_options o = bn_opt(SIMDNORM_ACT_SILU);                  \
        change;                                                               \
        return simdnorm_batch_norm_train_ex_f32(a.layout, a.n, a.c, a.sp, a.x, a.g, a.b, a.eps, \
                                                a.momentum, a.rm, a.rv, a.y, a.sm, a.sr, &o); \
    }                                                                         \
    static simdnorm_status bni_ex_##name(void)                                \
    {                                                                         \
        bn_args a = bn_ok();                                                  \
        simdnorm_norm_options o = bn_opt(SIMDNORM_ACT_SILU);                  \
        change;                                                               \
        return simdnorm_batch_norm_infer_ex_f32(a.layout, a.n, a.c, a.sp, a.x, a.g, a.b, a.mean, \
                                                a.var, a.eps, a.y, &o);       \
    }
BN_EX_CASE(valid, (void)0)
BN_EX_CASE(valid_nhwc_relu, a.layout = SIMDNORM_NHWC; o.activation = SIMDNORM_ACT_RELU)
BN_EX_CASE(activation_unknown, o.activation = (simdnorm_activation)5)
BN_EX_CASE(activation_negative, o.activation = (simdnorm_activation)-2)
BN_EX_CASE(activation_unknown_c_0, o.activation = (simdnorm_activation)5; a.c = 0)
BN_EX_CASE(residual_set, o.residual = RES; o.residual_stride = BN_C)
BN_EX_CASE(bias_set, o.bias = BIAS)
BN_EX_CASE(h_set, o.h = H; o.h_stride = BN_C)
BN_EX_CASE(c_0_noop, a.c = 0; a.x = NULL; a.y = NULL)
BN_EX_CASE(y_partly_overlaps_x, a.y = BX + 1)

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

#define BN_T(name, want) expect("bn_train_" #name, want, bnt_##name);
#define BN_I(name, want) expect("bn_infer_" #name, want, bni_##name);
#define BN_BOTH(name, want) BN_T(name, want) BN_I(name, want)
    BN_BOTH(valid, SIMDNORM_OK)
    BN_BOTH(valid_nhwc, SIMDNORM_OK)
    BN_BOTH(eps_negative, SIMDNORM_ERR_PARAM)
    BN_BOTH(eps_nan, SIMDNORM_ERR_PARAM)
    BN_BOTH(eps_inf, SIMDNORM_ERR_PARAM)
    BN_BOTH(eps_nan_c_0, SIMDNORM_ERR_PARAM)
    BN_BOTH(layout_unknown, SIMDNORM_ERR_PARAM)
    BN_BOTH(layout_negative, SIMDNORM_ERR_PARAM)
    BN_BOTH(layout_unknown_c_0, SIMDNORM_ERR_PARAM)
    BN_T(momentum_negative, SIMDNORM_ERR_PARAM)
    BN_T(momentum_above_1, SIMDNORM_ERR_PARAM)
    BN_T(momentum_nan, SIMDNORM_ERR_PARAM)
    BN_T(momentum_inf, SIMDNORM_ERR_PARAM)
    BN_T(momentum_bad_without_running, SIMDNORM_ERR_PARAM)
    BN_T(momentum_0_ok, SIMDNORM_OK)
    BN_T(momentum_1_ok, SIMDNORM_OK)
    BN_BOTH(c_0_noop, SIMDNORM_OK)
    BN_I(n_0_noop, SIMDNORM_OK)
    BN_I(spatial_0_noop, SIMDNORM_OK)
    BN_T(n_0, SIMDNORM_ERR_SHAPE)
    BN_T(spatial_0, SIMDNORM_ERR_SHAPE)
    BN_T(n_spatial_1, SIMDNORM_ERR_SHAPE)
    BN_T(n_spatial_1_nhwc, SIMDNORM_ERR_SHAPE)
    BN_T(n_spatial_2_ok, SIMDNORM_OK)
    BN_BOTH(x_null, SIMDNORM_ERR_NULL)
    BN_BOTH(y_null, SIMDNORM_ERR_NULL)
    BN_I(mean_null, SIMDNORM_ERR_NULL)
    BN_I(var_null, SIMDNORM_ERR_NULL)
    BN_T(running_mean_without_var, SIMDNORM_ERR_NULL)
    BN_T(running_var_without_mean, SIMDNORM_ERR_NULL)
    BN_T(no_optional_ok, SIMDNORM_OK)
    BN_BOTH(size_overflow_n, SIMDNORM_ERR_SHAPE)
    BN_BOTH(size_overflow_n_spatial, SIMDNORM_ERR_SHAPE)
    BN_BOTH(size_overflow_c, SIMDNORM_ERR_SHAPE)
    BN_BOTH(size_overflow_ptrdiff, SIMDNORM_ERR_SHAPE)
    BN_BOTH(y_partly_overlaps_x, SIMDNORM_ERR_OVERLAP)
    BN_BOTH(y_overlaps_x_end, SIMDNORM_ERR_OVERLAP)
    BN_BOTH(y_overlaps_gamma, SIMDNORM_ERR_OVERLAP)
    BN_BOTH(y_overlaps_beta, SIMDNORM_ERR_OVERLAP)
    BN_BOTH(in_place_ok, SIMDNORM_OK)
    BN_BOTH(gamma_is_beta_ok, SIMDNORM_OK)
    BN_I(y_overlaps_mean, SIMDNORM_ERR_OVERLAP)
    BN_I(y_overlaps_var, SIMDNORM_ERR_OVERLAP)
    BN_I(mean_is_var_ok, SIMDNORM_OK)
    BN_T(save_mean_overlaps_x, SIMDNORM_ERR_OVERLAP)
    BN_T(save_mean_overlaps_y, SIMDNORM_ERR_OVERLAP)
    BN_T(save_mean_overlaps_gamma, SIMDNORM_ERR_OVERLAP)
    BN_T(save_mean_is_save_rstd, SIMDNORM_ERR_OVERLAP)
    BN_T(save_rstd_overlaps_beta, SIMDNORM_ERR_OVERLAP)
    BN_T(save_rstd_overlaps_running_mean, SIMDNORM_ERR_OVERLAP)
    BN_T(running_mean_overlaps_running_var, SIMDNORM_ERR_OVERLAP)
    BN_T(running_mean_is_running_var, SIMDNORM_ERR_OVERLAP)
    BN_T(running_var_overlaps_x, SIMDNORM_ERR_OVERLAP)
    BN_T(running_var_overlaps_y, SIMDNORM_ERR_OVERLAP)
    BN_T(running_mean_overlaps_gamma, SIMDNORM_ERR_OVERLAP)
    BN_T(running_mean_overlaps_save_mean, SIMDNORM_ERR_OVERLAP)

#define EX_BOTH(fn_name, want)                                                \
    expect("layer_norm_ex_" #fn_name, want, ln_ex_##fn_name);                 \
    expect("rms_norm_ex_" #fn_name, want, rms_ex_##fn_name);
    EX_BOTH(valid, SIMDNORM_OK)
    EX_BOTH(valid_every_activation, SIMDNORM_OK)
    EX_BOTH(activation_unknown, SIMDNORM_ERR_PARAM)
    EX_BOTH(activation_negative, SIMDNORM_ERR_PARAM)
    EX_BOTH(activation_unknown_rows_0, SIMDNORM_ERR_PARAM)
    EX_BOTH(rows_0_is_noop, SIMDNORM_OK)
    EX_BOTH(residual_stride_lt_cols, SIMDNORM_ERR_SHAPE)
    EX_BOTH(h_stride_lt_cols, SIMDNORM_ERR_SHAPE)
    EX_BOTH(residual_size_overflow, SIMDNORM_ERR_SHAPE)
    EX_BOTH(y_partly_overlaps_residual, SIMDNORM_ERR_OVERLAP)
    EX_BOTH(y_is_residual_other_stride, SIMDNORM_ERR_OVERLAP)
    EX_BOTH(y_is_residual_ok, SIMDNORM_OK)
    EX_BOTH(y_overlaps_bias, SIMDNORM_ERR_OVERLAP)
    EX_BOTH(h_overlaps_y, SIMDNORM_ERR_OVERLAP)
    EX_BOTH(h_is_y, SIMDNORM_ERR_OVERLAP)
    EX_BOTH(h_partly_overlaps_x, SIMDNORM_ERR_OVERLAP)
    EX_BOTH(h_is_x_other_stride, SIMDNORM_ERR_OVERLAP)
    EX_BOTH(h_is_x_ok, SIMDNORM_OK)
    EX_BOTH(h_is_residual_ok, SIMDNORM_OK)
    EX_BOTH(h_is_x_and_y_is_residual_ok, SIMDNORM_OK)
    EX_BOTH(h_overlaps_gamma, SIMDNORM_ERR_OVERLAP)
    EX_BOTH(h_overlaps_bias, SIMDNORM_ERR_OVERLAP)
    EX_BOTH(rstd_overlaps_residual, SIMDNORM_ERR_OVERLAP)
    EX_BOTH(rstd_overlaps_h, SIMDNORM_ERR_OVERLAP)
    EX_BOTH(rstd_overlaps_bias, SIMDNORM_ERR_OVERLAP)
    EX_BOTH(bias_only_ok, SIMDNORM_OK)
    EX_BOTH(h_without_residual_or_bias_ok, SIMDNORM_OK)
    expect("layer_norm_ex_mean_overlaps_h", SIMDNORM_ERR_OVERLAP, ln_ex_mean_overlaps_h);
    expect("layer_norm_ex_mean_overlaps_residual", SIMDNORM_ERR_OVERLAP, ln_ex_mean_overlaps_residual);

#define BN_EX(name, want)                                                     \
    expect("bn_train_ex_" #name, want, bnt_ex_##name);                        \
    expect("bn_infer_ex_" #name, want, bni_ex_##name);
    BN_EX(valid, SIMDNORM_OK)
    BN_EX(valid_nhwc_relu, SIMDNORM_OK)
    BN_EX(activation_unknown, SIMDNORM_ERR_PARAM)
    BN_EX(activation_negative, SIMDNORM_ERR_PARAM)
    BN_EX(activation_unknown_c_0, SIMDNORM_ERR_PARAM)
    BN_EX(residual_set, SIMDNORM_ERR_PARAM)
    BN_EX(bias_set, SIMDNORM_ERR_PARAM)
    BN_EX(h_set, SIMDNORM_ERR_PARAM)
    BN_EX(c_0_noop, SIMDNORM_OK)
    BN_EX(y_partly_overlaps_x, SIMDNORM_ERR_OVERLAP)

    expect("activate_valid", SIMDNORM_OK, act_valid);
    expect("activate_unknown", SIMDNORM_ERR_PARAM, act_unknown);
    expect("activate_unknown_n_0", SIMDNORM_ERR_PARAM, act_unknown_n_0);
    expect("activate_n_0_noop", SIMDNORM_OK, act_n_0_noop);
    expect("activate_x_null", SIMDNORM_ERR_NULL, act_x_null);
    expect("activate_y_null", SIMDNORM_ERR_NULL, act_y_null);
    expect("activate_size_overflow", SIMDNORM_ERR_SHAPE, act_size_overflow);
    expect("activate_y_partly_overlaps_x", SIMDNORM_ERR_OVERLAP, act_y_partly_overlaps_x);
    expect("activate_in_place_ok", SIMDNORM_OK, act_in_place_ok);

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
