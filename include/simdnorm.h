/* simdnorm.h - the whole public API of simdnorm: SIMD CPU kernels for
 * LayerNorm, RMSNorm and BatchNorm, bit-for-bit identical on every ISA. */
#ifndef SIMDNORM_H
#define SIMDNORM_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32) && defined(SIMDNORM_BUILDING_DLL)
#define SIMDNORM_API __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define SIMDNORM_API __attribute__((visibility("default")))
#else
#define SIMDNORM_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- version ---------------------------------------------------------------
 * The version of this header. The build fails if it differs from meson.build's
 * project version. Semantic versioning; CHANGELOG.md lists the changes. */
#define SIMDNORM_VERSION_MAJOR 0
#define SIMDNORM_VERSION_MINOR 1
#define SIMDNORM_VERSION_PATCH 0

/* The version of the library linked at run time, "MAJOR.MINOR.PATCH" (a
 * static string, e.g. "0.1.0"); it can differ from the SIMDNORM_VERSION_*
 * macros a program was compiled with when the shared library was updated. */
SIMDNORM_API const char *simdnorm_version(void);

/* ---- status --------------------------------------------------------------
 * Every function returns a status and writes nothing when it fails. */
typedef enum simdnorm_status {
    SIMDNORM_OK = 0,
    SIMDNORM_ERR_NULL,         /* a required pointer is NULL */
    SIMDNORM_ERR_SHAPE,        /* zero where not allowed, stride < row, size overflow */
    SIMDNORM_ERR_PARAM,        /* eps < 0 or not finite, momentum outside [0,1], bad enum */
    SIMDNORM_ERR_ISA,          /* ISA not compiled in or not runnable on this CPU/OS */
    SIMDNORM_ERR_OVERLAP,      /* an output partly overlaps an input or another output */
    SIMDNORM_ERR_NOMEM         /* scratch memory could not be allocated (backward; 16-bit twins of long rows) */
} simdnorm_status;

/* A static, human-readable message; never NULL (unknown values get one too). */
SIMDNORM_API const char *simdnorm_status_str(simdnorm_status s);

/* ---- ISA control --------------------------------------------------------- */
/* AVX512BF16: AVX-512 on a CPU with AVX512-BF16, whose bf16 twins narrow
 * with its conversion instruction (the same bits; every other kernel is
 * AVX512's). Added after NEON, so the earlier values keep theirs. */
typedef enum simdnorm_isa {
    SIMDNORM_ISA_SCALAR = 0, SIMDNORM_ISA_AVX2, SIMDNORM_ISA_AVX512, SIMDNORM_ISA_NEON,
    SIMDNORM_ISA_AVX512BF16
} simdnorm_isa;

/* The ISA that calls use now. The first use of the library picks the best ISA
 * the CPU and OS can run, or the one named by the environment variable
 * SIMDNORM_ISA=scalar|avx2|avx512|neon|avx512bf16 if it is runnable (else the
 * best). */
SIMDNORM_API simdnorm_isa    simdnorm_active_isa(void);
/* 1 if the ISA is compiled in and runnable on this CPU/OS, else 0. */
SIMDNORM_API int             simdnorm_isa_available(simdnorm_isa isa);
/* Force an ISA for all later calls (all threads). SIMDNORM_ERR_PARAM for a
 * value outside the enum, SIMDNORM_ERR_ISA if unavailable; then nothing changes. */
SIMDNORM_API simdnorm_status simdnorm_set_isa(simdnorm_isa isa);
/* "scalar", "avx2", "avx512", "neon", "avx512bf16"; "unknown" for other values. */
SIMDNORM_API const char     *simdnorm_isa_name(simdnorm_isa isa);

/* ---- LayerNorm and RMSNorm ------------------------------------------------
 * Normalize each row of a [rows, cols] matrix. Row r of x starts at
 * x + r*x_stride (strides count floats). y == x with x_stride == y_stride is
 * in place; any other overlap of an output with an input or another output
 * is SIMDNORM_ERR_OVERLAP. rows == 0 is a no-op returning SIMDNORM_OK.
 * Results are bit-for-bit identical on every ISA and thread count; NaN
 * outputs are the canonical quiet NaN (0x7fc00000). */
SIMDNORM_API simdnorm_status simdnorm_layer_norm_f32(
    size_t rows, size_t cols,
    const float *x, size_t x_stride,        /* row r starts at x + r*x_stride */
    const float *gamma, const float *beta,  /* [cols] each, optional: 1 and 0 */
    float eps,
    float *y, size_t y_stride,              /* y == x with equal strides: in place */
    float *mean, float *rstd);              /* [rows] each, optional: saved stats */

SIMDNORM_API simdnorm_status simdnorm_rms_norm_f32(
    size_t rows, size_t cols,
    const float *x, size_t x_stride,
    const float *gamma,                     /* [cols], optional */
    float eps,
    float *y, size_t y_stride,
    float *rstd);                           /* [rows], optional: 1/sqrt(mean(x^2)+eps) */

/* ---- BatchNorm -------------------------------------------------------------
 * Per-channel statistics over the batch and spatial positions of an
 * [n, c, spatial] (NCHW) or [n, spatial, c] (NHWC) tensor, dense, no
 * strides. y == x is in place; any other overlap of an output (y, save_*,
 * running_*) with an input or another output is SIMDNORM_ERR_OVERLAP.
 * c == 0 is a no-op returning SIMDNORM_OK (so is inference with
 * n*spatial == 0). Outputs are bit-for-bit identical on every ISA and thread
 * count; NaN outputs are the canonical quiet NaN (0x7fc00000). A channel with
 * a NaN or Inf gets what the float64 formulas give it (y and rstd NaN) and
 * affects no other channel. */
typedef enum simdnorm_layout {
    SIMDNORM_NCHW = 0,   /* x[n][c][s]: each channel is a contiguous plane per sample */
    SIMDNORM_NHWC        /* x[n][s][c]: channels last */
} simdnorm_layout;        /* a 2-D [n, c] input is either layout with spatial = 1 */

/* Training: mean and biased variance of each channel over its n*spatial
 * elements; y = (x - mean) / sqrt(var + eps) * gamma + beta; save_mean = mean,
 * save_rstd = 1/sqrt(var + eps) (as PyTorch's save_mean/save_invstd). Running
 * statistics as PyTorch updates them: run = (1 - momentum)*run +
 * momentum*batch, running_var with the unbiased variance var*count/(count-1).
 * eps finite >= 0, momentum in [0, 1] (checked even without running stats),
 * else SIMDNORM_ERR_PARAM. Reads x twice (statistics, then normalize). */
SIMDNORM_API simdnorm_status simdnorm_batch_norm_train_f32(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial,
    const float *x,
    const float *gamma, const float *beta,    /* [c] each, optional */
    float eps, float momentum,
    float *running_mean, float *running_var,  /* [c] each, optional (both or neither); updated */
    float *y,
    float *save_mean, float *save_rstd);      /* [c] each, optional */
/* n * spatial must be >= 2 (the unbiased running variance needs it). */

/* Inference: y = (x - mean) / sqrt(var + eps) * gamma + beta with the given
 * (running) statistics; reads x once, writes y once. The mean is not folded
 * into the bias (x*s + (beta - mean*s) loses ~|mean|*2^-24*s when |mean| >>
 * std), so the result is as accurate as training's. */
SIMDNORM_API simdnorm_status simdnorm_batch_norm_infer_f32(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial,
    const float *x,
    const float *gamma, const float *beta,    /* optional */
    const float *mean, const float *var,      /* [c] each, required (running stats) */
    float eps,
    float *y);

/* ---- Mergeable moments (BatchNorm statistics in pieces) ---------------------
 * The per-channel statistics of a BatchNorm batch as count, mean and M2
 * (the sum of squared deviations from the mean), in double. The batch
 * reduction of BatchNorm (training forward and backward) follows a fixed
 * binary tree over the samples (README "BatchNorm"): leaves are single
 * samples, the node over samples [j*2^k, (j+1)*2^k) merges its two halves
 * (Chan's formula); a batch of more than 4096 samples is cut into blocks of
 * 4096 whose roots are summed exactly, in any order (README "Numerics").
 * So any split of a batch by whole samples reassembles to the same bits
 * (simdnorm_mpi.h does that across processes). A channel with a NaN or Inf has m2 NaN and as mean the
 * plain float64 mean of its elements (+-Inf or NaN); NaN outputs are
 * canonical (0x7ff8000000000000). */
typedef struct simdnorm_moments {
    double count, mean, m2;                 /* m2: sum of squared deviations */
} simdnorm_moments;

/* Per-channel moments of one batch, as the BatchNorm training forward
 * computes them (the root of its sample tree, or past 4096 samples the
 * exact sum of its blocks; m[ch].count = n*spatial).
 * n*spatial == 0 gives the empty moments {0, 0, 0} (x may then be NULL);
 * c == 0 is a no-op. m must not overlap x. */
SIMDNORM_API simdnorm_status simdnorm_batch_norm_moments_f32(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial,
    const float *x, simdnorm_moments *m);   /* [c] */

/* out[i] = a[i] merged with b[i] (a's elements before b's), Chan's formula
 * with BatchNorm's rule for a NaN/Inf channel; a side with count 0 is the
 * identity (out[i] is the other side, exactly). out may be a or b (exact
 * alias); a partial overlap is SIMDNORM_ERR_OVERLAP. Every count must be
 * finite and >= 0 (SIMDNORM_ERR_PARAM). Merging the moments of samples
 * [0, 2^k) with those of the next m <= 2^k samples gives bit for bit the
 * moments of the whole (a node of the tree) while 2^k + m <= 4096; other
 * splits give the same statistics up to rounding. */
SIMDNORM_API simdnorm_status simdnorm_moments_merge(size_t c, const simdnorm_moments *a,
                                                    const simdnorm_moments *b,
                                                    simdnorm_moments *out);

/* BatchNorm training forward with given per-channel moments (e.g. merged
 * across processes) instead of those of x; everything else as
 * simdnorm_batch_norm_train_f32: y from x normalized with the given
 * statistics, save_mean/save_rstd and running statistics from them.
 * train_from_moments(x, moments_of(x)) is bit for bit
 * simdnorm_batch_norm_train_f32(x). Every m[i].count must be finite and
 * >= 1 (SIMDNORM_ERR_PARAM); m[i].count >= 2 where running statistics are
 * given (SIMDNORM_ERR_SHAPE). n*spatial may be 0 (x and y may then be NULL):
 * only the saved and running statistics are written. */
SIMDNORM_API simdnorm_status simdnorm_batch_norm_train_from_moments_f32(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial,
    const float *x, const simdnorm_moments *m,
    const float *gamma, const float *beta, float eps, float momentum,
    float *running_mean, float *running_var,
    float *y, float *save_mean, float *save_rstd);

/* ---- Fused epilogues: residual add and activation ---------------------------
 * The _ex functions are the plain ones with options; opt == NULL (or an
 * all-zero struct) gives exactly the plain function's results.
 *
 * Activation, applied to each output v of the norm (after gamma/beta), as
 * a fixed sequence of float operations, the same bits on every ISA and
 * CPU, within 2 ULP of the exact function for every float v:
 *   SIMDNORM_ACT_RELU       v > 0 ? v : +0
 *   SIMDNORM_ACT_GELU_ERF   0.5 v (1 + erf(v / sqrt(2)))
 *   SIMDNORM_ACT_GELU_TANH  0.5 v (1 + tanh(sqrt(2/pi) (v + 0.044715 v^3)))
 *   SIMDNORM_ACT_SILU       v / (1 + exp(-v))
 * (the exact float operation sequence is in the README). A value outside
 * the enum is SIMDNORM_ERR_PARAM. */
typedef enum simdnorm_activation {
    SIMDNORM_ACT_NONE = 0,
    SIMDNORM_ACT_RELU,
    SIMDNORM_ACT_GELU_ERF,
    SIMDNORM_ACT_GELU_TANH,
    SIMDNORM_ACT_SILU
} simdnorm_activation;

/* Options of the _ex functions; zero-initialize and set what is used.
 * Residual add (LayerNorm and RMSNorm; ONNX Runtime's SkipLayerNormalization):
 *   h = (x + residual) + bias,  each add rounded to float once, residual or
 *   bias skipped when NULL; the statistics are taken over h, y = norm(h),
 *   and h is written to `h` when given (h = x when both are NULL).
 * residual, h: [rows, cols] matrices with their own strides (>= cols);
 * bias: [cols]. Exact in place is allowed for y and h on x or residual
 * (same pointer, same stride); y and h must not overlap each other, nor
 * any other input. BatchNorm takes only `activation` (residual, bias or h
 * set: SIMDNORM_ERR_PARAM). */
typedef struct simdnorm_norm_options {
    const float *residual;          /* optional [rows, cols] */
    size_t residual_stride;         /* floats between rows of residual */
    const float *bias;              /* optional [cols], added after residual */
    simdnorm_activation activation; /* applied to y */
    float *h;                       /* optional output [rows, cols]: x + residual + bias */
    size_t h_stride;                /* floats between rows of h */
} simdnorm_norm_options;

/* LayerNorm with options: per row, h = x (+ residual) (+ bias),
 * y = act((h - mean(h)) * rstd(h) * gamma + beta); mean/rstd are h's. One
 * read of x and residual and one write of y (and h) for rows of up to 8192
 * floats (h is formed in a 64 KiB buffer on the calling thread's stack);
 * longer rows form h in h (or y) and read it twice, as the plain functions
 * read x. */
SIMDNORM_API simdnorm_status simdnorm_layer_norm_ex_f32(
    size_t rows, size_t cols,
    const float *x, size_t x_stride,
    const float *gamma, const float *beta,
    float eps,
    float *y, size_t y_stride,
    float *mean, float *rstd,
    const simdnorm_norm_options *opt);      /* NULL: simdnorm_layer_norm_f32 */

/* RMSNorm with options: h as above, y = act(h * rstd(h) * gamma). */
SIMDNORM_API simdnorm_status simdnorm_rms_norm_ex_f32(
    size_t rows, size_t cols,
    const float *x, size_t x_stride,
    const float *gamma,
    float eps,
    float *y, size_t y_stride,
    float *rstd,
    const simdnorm_norm_options *opt);      /* NULL: simdnorm_rms_norm_f32 */

/* BatchNorm with an activation on y (opt->activation; the other options
 * must be unset). Everything else as the plain functions. */
SIMDNORM_API simdnorm_status simdnorm_batch_norm_train_ex_f32(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial,
    const float *x,
    const float *gamma, const float *beta,
    float eps, float momentum,
    float *running_mean, float *running_var,
    float *y,
    float *save_mean, float *save_rstd,
    const simdnorm_norm_options *opt);

SIMDNORM_API simdnorm_status simdnorm_batch_norm_infer_ex_f32(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial,
    const float *x,
    const float *gamma, const float *beta,
    const float *mean, const float *var,
    float eps,
    float *y,
    const simdnorm_norm_options *opt);

/* The activation on its own: y[i] = act(x[i]) for i < n, the same bits as
 * the fused epilogue (so a separate pass after a plain norm equals the
 * fused call). y == x is in place; any other overlap is
 * SIMDNORM_ERR_OVERLAP; n == 0 is a no-op. */
SIMDNORM_API simdnorm_status simdnorm_activate_f32(
    size_t n, const float *x, simdnorm_activation act, float *y);

/* ---- backward (gradients; PyTorch's formulas) -------------------------------
 * With xhat = (x - mean) * rstd (RMSNorm: x * rstd) and g = dy * gamma
 * (gamma = 1 when NULL), averages over the forward's elements (a row; a
 * channel's n*spatial elements):
 *   LayerNorm  dx = rstd * (g - avg(g) - xhat * avg(g * xhat))
 *   RMSNorm    dx = rstd * (g - xhat * avg(g * xhat))
 *   BatchNorm  training != 0: as LayerNorm per channel; training == 0 (fixed
 *              statistics): dx = g * rstd
 *   dgamma = sum dy * xhat,  dbeta = sum dy  (over rows / n*spatial)
 * mean and rstd are the forward's saved statistics (BatchNorm with fixed
 * statistics: the running mean and 1/sqrt(running_var + eps)). Every output
 * is bit-for-bit the same on every ISA and for every thread count (the
 * sums, dgamma and dbeta included: their order is canonical, README
 * "Backward"). dx may be dy (exact in place: same pointer, same stride);
 * any other overlap between an output and an input or another output is
 * SIMDNORM_ERR_OVERLAP. Outputs all NULL is a no-op (after validation).
 * rows == 0 (BatchNorm: n*spatial == 0 with training == 0) writes zeros to
 * dgamma/dbeta; BatchNorm training needs n*spatial >= 1. */
SIMDNORM_API simdnorm_status simdnorm_layer_norm_bwd_f32(
    size_t rows, size_t cols,
    const float *dy, size_t dy_stride,
    const float *x, size_t x_stride,
    const float *gamma,                     /* [cols], optional */
    const float *mean, const float *rstd,   /* [rows] each, required: the forward's */
    float *dx, size_t dx_stride,            /* optional; dx == dy, equal strides: in place */
    float *dgamma, float *dbeta);           /* [cols] each, optional; overwritten */

SIMDNORM_API simdnorm_status simdnorm_rms_norm_bwd_f32(
    size_t rows, size_t cols,
    const float *dy, size_t dy_stride,
    const float *x, size_t x_stride,
    const float *gamma,                     /* optional */
    const float *rstd,                      /* [rows], required */
    float *dx, size_t dx_stride,            /* optional; may be dy (in place) */
    float *dgamma);                         /* [cols], optional; overwritten */

SIMDNORM_API simdnorm_status simdnorm_batch_norm_bwd_f32(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial,
    const float *dy, const float *x,
    const float *gamma,                     /* [c], optional */
    const float *mean, const float *rstd,   /* [c]: save_mean/save_rstd, or the running
                                               mean and 1/sqrt(running_var + eps) */
    int training,                           /* nonzero: batch statistics; 0: fixed */
    float *dx,                              /* optional; may be dy (in place) */
    float *dgamma, float *dbeta);           /* [c] each, optional; overwritten */

/* ---- GroupNorm and InstanceNorm ---------------------------------------------
 * Channels are split into `groups` equal groups of c/groups consecutive
 * channels; statistics per (sample, group) over its (c/groups)*spatial
 * elements, biased variance, rstd = 1/sqrt(var + eps); gamma/beta per
 * channel (PyTorch's torch.nn.functional.group_norm):
 *   y = (x - mean[i, g]) * rstd[i, g] * gamma[ch] + beta[ch].
 * groups == c is InstanceNorm, groups == 1 LayerNorm over (C, spatial) with a
 * per-channel affine. groups == 0 or not dividing c: SIMDNORM_ERR_SHAPE;
 * spatial == 0 (with n, c >= 1): SIMDNORM_ERR_SHAPE; n == 0 or c == 0: a
 * no-op (the backward writes zeros to dgamma/dbeta for n == 0). x, y, dy,
 * dx: [n, c, spatial] (NCHW) or [n, spatial, c] (NHWC), dense. mean/rstd:
 * [n*groups], index i*groups + g; saved as float (mean; 1/sqrt(var + eps)).
 * Backward (native_group_norm_backward): with xhat = (x - mean)*rstd and
 * g = dy*gamma[ch], averages over the group's elements:
 *   dx = rstd * (g - avg(g) - xhat * avg(g * xhat)),
 *   dgamma[ch] = sum dy * xhat,  dbeta[ch] = sum dy  (over samples and spatial).
 * Every output is bit-for-bit the same on every ISA and for every thread
 * count; NCHW's statistics are a LayerNorm row's, NHWC's are taken in a
 * channel order of their own (README "GroupNorm"). y == x and dx == dy are
 * in place; any other overlap of an output with an input or another output
 * is SIMDNORM_ERR_OVERLAP. The backward (and nothing else) may return
 * SIMDNORM_ERR_NOMEM for its scratch, before anything is written. */
SIMDNORM_API simdnorm_status simdnorm_group_norm_f32(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial, size_t groups,
    const float *x,
    const float *gamma, const float *beta,  /* [c] each, optional */
    float eps,
    float *y,                               /* may be x (in place) */
    float *mean, float *rstd);              /* [n*groups] each, optional: index i*groups + g */

SIMDNORM_API simdnorm_status simdnorm_group_norm_bwd_f32(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial, size_t groups,
    const float *dy, const float *x,
    const float *gamma,                     /* optional */
    const float *mean, const float *rstd,   /* [n*groups] each, required */
    float *dx,                              /* optional; may be dy */
    float *dgamma, float *dbeta);           /* [c] each, optional; overwritten */

/* ---- 16-bit storage (bf16, f16), float32 math --------------------------------
 * Tensors of activations (x, y, dy, dx, residual, h) stored as 16-bit bit
 * patterns: bfloat16 (the top half of a float32) or IEEE 754 binary16.
 * Every function below is the twin of the float32 function of the same name
 * with _f32: the same parameters, with exactly those tensors 16-bit; gamma,
 * beta, bias and every statistic (mean, rstd, dgamma, dbeta) stay float32.
 * Strides count elements. Contract (bit for bit, every ISA, every thread
 * count): a twin's 16-bit outputs are the float32 function's outputs on the
 * widened inputs, each narrowed once, round to nearest even (overflow to
 * +-Inf, NaN as the canonical 0x7fc0 / 0x7e00); its float outputs are the
 * float32 function's bits. Overlaps are counted in bytes; a 16-bit y (dx,
 * h) may be exactly its 16-bit x (dy, x or residual) for in place, as in
 * the float32 functions. The row-norm twins may return SIMDNORM_ERR_NOMEM
 * before anything is written: with a residual, bias or h for rows longer
 * than 8192 elements, and RMSNorm for rows longer than 16384. */
typedef uint16_t simdnorm_bf16; /* bfloat16, as bits */
typedef uint16_t simdnorm_f16;  /* IEEE 754 binary16, as bits */

/* Conversions of n values (n == 0: a no-op). Widening is exact (a NaN is
 * written as the canonical float NaN 0x7fc00000); narrowing rounds to
 * nearest even, subnormals included, overflow to +-Inf, NaN canonical
 * (0x7fc0, 0x7e00). x and y must not overlap (SIMDNORM_ERR_OVERLAP);
 * NULL with n > 0: SIMDNORM_ERR_NULL. The same bits on every ISA. */
SIMDNORM_API simdnorm_status simdnorm_convert_f32_to_bf16(size_t n, const float *x, simdnorm_bf16 *y);
SIMDNORM_API simdnorm_status simdnorm_convert_bf16_to_f32(size_t n, const simdnorm_bf16 *x, float *y);
SIMDNORM_API simdnorm_status simdnorm_convert_f32_to_f16(size_t n, const float *x, simdnorm_f16 *y);
SIMDNORM_API simdnorm_status simdnorm_convert_f16_to_f32(size_t n, const simdnorm_f16 *x, float *y);

/* ---- bf16: the 16-bit storage twins (bfloat16) -------------------------------- */
typedef struct simdnorm_norm_options_bf16 {
    const simdnorm_bf16 *residual;   /* optional [rows, cols], bf16 */
    size_t residual_stride;         /* elements between rows of residual */
    const float *bias;              /* optional [cols], float32, added after residual */
    simdnorm_activation activation; /* applied to y */
    simdnorm_bf16 *h;                /* optional output [rows, cols], bf16: x + residual + bias */
    size_t h_stride;                /* elements between rows of h */
} simdnorm_norm_options_bf16;

SIMDNORM_API simdnorm_status simdnorm_layer_norm_bf16(
    size_t rows, size_t cols, const simdnorm_bf16 *x, size_t x_stride,
    const float *gamma, const float *beta, float eps,
    simdnorm_bf16 *y, size_t y_stride, float *mean, float *rstd);
SIMDNORM_API simdnorm_status simdnorm_rms_norm_bf16(
    size_t rows, size_t cols, const simdnorm_bf16 *x, size_t x_stride,
    const float *gamma, float eps, simdnorm_bf16 *y, size_t y_stride, float *rstd);
SIMDNORM_API simdnorm_status simdnorm_layer_norm_ex_bf16(
    size_t rows, size_t cols, const simdnorm_bf16 *x, size_t x_stride,
    const float *gamma, const float *beta, float eps,
    simdnorm_bf16 *y, size_t y_stride, float *mean, float *rstd,
    const simdnorm_norm_options_bf16 *opt);
SIMDNORM_API simdnorm_status simdnorm_rms_norm_ex_bf16(
    size_t rows, size_t cols, const simdnorm_bf16 *x, size_t x_stride,
    const float *gamma, float eps, simdnorm_bf16 *y, size_t y_stride, float *rstd,
    const simdnorm_norm_options_bf16 *opt);
SIMDNORM_API simdnorm_status simdnorm_activate_bf16(
    size_t n, const simdnorm_bf16 *x, simdnorm_activation act, simdnorm_bf16 *y);
SIMDNORM_API simdnorm_status simdnorm_layer_norm_bwd_bf16(
    size_t rows, size_t cols, const simdnorm_bf16 *dy, size_t dy_stride,
    const simdnorm_bf16 *x, size_t x_stride, const float *gamma,
    const float *mean, const float *rstd,
    simdnorm_bf16 *dx, size_t dx_stride, float *dgamma, float *dbeta);
SIMDNORM_API simdnorm_status simdnorm_rms_norm_bwd_bf16(
    size_t rows, size_t cols, const simdnorm_bf16 *dy, size_t dy_stride,
    const simdnorm_bf16 *x, size_t x_stride, const float *gamma, const float *rstd,
    simdnorm_bf16 *dx, size_t dx_stride, float *dgamma);
/* BatchNorm, its moments and GroupNorm (x, y, dy, dx bf16): validated as
 * the float32 functions (byte ranges), then computed on a float scratch of
 * the widened tensors (malloc'ed: SIMDNORM_ERR_NOMEM, before anything is
 * written, if it cannot be had). */
SIMDNORM_API simdnorm_status simdnorm_batch_norm_train_bf16(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial, const simdnorm_bf16 *x,
    const float *gamma, const float *beta, float eps, float momentum,
    float *running_mean, float *running_var, simdnorm_bf16 *y,
    float *save_mean, float *save_rstd);
SIMDNORM_API simdnorm_status simdnorm_batch_norm_infer_bf16(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial, const simdnorm_bf16 *x,
    const float *gamma, const float *beta, const float *mean, const float *var,
    float eps, simdnorm_bf16 *y);
SIMDNORM_API simdnorm_status simdnorm_batch_norm_train_ex_bf16(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial, const simdnorm_bf16 *x,
    const float *gamma, const float *beta, float eps, float momentum,
    float *running_mean, float *running_var, simdnorm_bf16 *y,
    float *save_mean, float *save_rstd, const simdnorm_norm_options_bf16 *opt);
SIMDNORM_API simdnorm_status simdnorm_batch_norm_infer_ex_bf16(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial, const simdnorm_bf16 *x,
    const float *gamma, const float *beta, const float *mean, const float *var,
    float eps, simdnorm_bf16 *y, const simdnorm_norm_options_bf16 *opt);
SIMDNORM_API simdnorm_status simdnorm_batch_norm_moments_bf16(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial, const simdnorm_bf16 *x,
    simdnorm_moments *m);
SIMDNORM_API simdnorm_status simdnorm_batch_norm_train_from_moments_bf16(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial, const simdnorm_bf16 *x,
    const simdnorm_moments *m, const float *gamma, const float *beta, float eps,
    float momentum, float *running_mean, float *running_var, simdnorm_bf16 *y,
    float *save_mean, float *save_rstd);
SIMDNORM_API simdnorm_status simdnorm_batch_norm_bwd_bf16(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial,
    const simdnorm_bf16 *dy, const simdnorm_bf16 *x, const float *gamma,
    const float *mean, const float *rstd, int training,
    simdnorm_bf16 *dx, float *dgamma, float *dbeta);
SIMDNORM_API simdnorm_status simdnorm_group_norm_bf16(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial, size_t groups,
    const simdnorm_bf16 *x, const float *gamma, const float *beta, float eps,
    simdnorm_bf16 *y, float *mean, float *rstd);
SIMDNORM_API simdnorm_status simdnorm_group_norm_bwd_bf16(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial, size_t groups,
    const simdnorm_bf16 *dy, const simdnorm_bf16 *x, const float *gamma,
    const float *mean, const float *rstd,
    simdnorm_bf16 *dx, float *dgamma, float *dbeta);

/* ---- f16: the 16-bit storage twins (IEEE binary16) -------------------------------- */
typedef struct simdnorm_norm_options_f16 {
    const simdnorm_f16 *residual;   /* optional [rows, cols], f16 */
    size_t residual_stride;         /* elements between rows of residual */
    const float *bias;              /* optional [cols], float32, added after residual */
    simdnorm_activation activation; /* applied to y */
    simdnorm_f16 *h;                /* optional output [rows, cols], f16: x + residual + bias */
    size_t h_stride;                /* elements between rows of h */
} simdnorm_norm_options_f16;

SIMDNORM_API simdnorm_status simdnorm_layer_norm_f16(
    size_t rows, size_t cols, const simdnorm_f16 *x, size_t x_stride,
    const float *gamma, const float *beta, float eps,
    simdnorm_f16 *y, size_t y_stride, float *mean, float *rstd);
SIMDNORM_API simdnorm_status simdnorm_rms_norm_f16(
    size_t rows, size_t cols, const simdnorm_f16 *x, size_t x_stride,
    const float *gamma, float eps, simdnorm_f16 *y, size_t y_stride, float *rstd);
SIMDNORM_API simdnorm_status simdnorm_layer_norm_ex_f16(
    size_t rows, size_t cols, const simdnorm_f16 *x, size_t x_stride,
    const float *gamma, const float *beta, float eps,
    simdnorm_f16 *y, size_t y_stride, float *mean, float *rstd,
    const simdnorm_norm_options_f16 *opt);
SIMDNORM_API simdnorm_status simdnorm_rms_norm_ex_f16(
    size_t rows, size_t cols, const simdnorm_f16 *x, size_t x_stride,
    const float *gamma, float eps, simdnorm_f16 *y, size_t y_stride, float *rstd,
    const simdnorm_norm_options_f16 *opt);
SIMDNORM_API simdnorm_status simdnorm_activate_f16(
    size_t n, const simdnorm_f16 *x, simdnorm_activation act, simdnorm_f16 *y);
SIMDNORM_API simdnorm_status simdnorm_layer_norm_bwd_f16(
    size_t rows, size_t cols, const simdnorm_f16 *dy, size_t dy_stride,
    const simdnorm_f16 *x, size_t x_stride, const float *gamma,
    const float *mean, const float *rstd,
    simdnorm_f16 *dx, size_t dx_stride, float *dgamma, float *dbeta);
SIMDNORM_API simdnorm_status simdnorm_rms_norm_bwd_f16(
    size_t rows, size_t cols, const simdnorm_f16 *dy, size_t dy_stride,
    const simdnorm_f16 *x, size_t x_stride, const float *gamma, const float *rstd,
    simdnorm_f16 *dx, size_t dx_stride, float *dgamma);
/* BatchNorm, its moments and GroupNorm (x, y, dy, dx f16): validated as
 * the float32 functions (byte ranges), then computed on a float scratch of
 * the widened tensors (malloc'ed: SIMDNORM_ERR_NOMEM, before anything is
 * written, if it cannot be had). */
SIMDNORM_API simdnorm_status simdnorm_batch_norm_train_f16(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial, const simdnorm_f16 *x,
    const float *gamma, const float *beta, float eps, float momentum,
    float *running_mean, float *running_var, simdnorm_f16 *y,
    float *save_mean, float *save_rstd);
SIMDNORM_API simdnorm_status simdnorm_batch_norm_infer_f16(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial, const simdnorm_f16 *x,
    const float *gamma, const float *beta, const float *mean, const float *var,
    float eps, simdnorm_f16 *y);
SIMDNORM_API simdnorm_status simdnorm_batch_norm_train_ex_f16(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial, const simdnorm_f16 *x,
    const float *gamma, const float *beta, float eps, float momentum,
    float *running_mean, float *running_var, simdnorm_f16 *y,
    float *save_mean, float *save_rstd, const simdnorm_norm_options_f16 *opt);
SIMDNORM_API simdnorm_status simdnorm_batch_norm_infer_ex_f16(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial, const simdnorm_f16 *x,
    const float *gamma, const float *beta, const float *mean, const float *var,
    float eps, simdnorm_f16 *y, const simdnorm_norm_options_f16 *opt);
SIMDNORM_API simdnorm_status simdnorm_batch_norm_moments_f16(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial, const simdnorm_f16 *x,
    simdnorm_moments *m);
SIMDNORM_API simdnorm_status simdnorm_batch_norm_train_from_moments_f16(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial, const simdnorm_f16 *x,
    const simdnorm_moments *m, const float *gamma, const float *beta, float eps,
    float momentum, float *running_mean, float *running_var, simdnorm_f16 *y,
    float *save_mean, float *save_rstd);
SIMDNORM_API simdnorm_status simdnorm_batch_norm_bwd_f16(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial,
    const simdnorm_f16 *dy, const simdnorm_f16 *x, const float *gamma,
    const float *mean, const float *rstd, int training,
    simdnorm_f16 *dx, float *dgamma, float *dbeta);
SIMDNORM_API simdnorm_status simdnorm_group_norm_f16(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial, size_t groups,
    const simdnorm_f16 *x, const float *gamma, const float *beta, float eps,
    simdnorm_f16 *y, float *mean, float *rstd);
SIMDNORM_API simdnorm_status simdnorm_group_norm_bwd_f16(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial, size_t groups,
    const simdnorm_f16 *dy, const simdnorm_f16 *x, const float *gamma,
    const float *mean, const float *rstd,
    simdnorm_f16 *dx, float *dgamma, float *dbeta);

/* ---- threads ---------------------------------------------------------------
 * Large calls split their rows (BatchNorm: its fixed blocks and channels)
 * over OpenMP threads; results are bit-for-bit the same for every thread
 * count. Small calls and calls from inside an OpenMP parallel region run on
 * the calling thread. */
/* n >= 1 threads for later calls (all threads); SIMDNORM_ERR_PARAM otherwise. */
SIMDNORM_API simdnorm_status simdnorm_set_num_threads(int n);
/* The count set, or by default OpenMP's (OMP_NUM_THREADS is respected);
 * 1 in a build without OpenMP. */
SIMDNORM_API int             simdnorm_get_num_threads(void);

#ifdef __cplusplus
}
#endif

#endif /* SIMDNORM_H */
