/* kernels.h - the kernel families of simdnorm: their types, their contracts,
 * and the canonical reduction order that makes every ISA bit-for-bit equal. */
#ifndef SIMDNORM_KERNELS_H
#define SIMDNORM_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "simdnorm.h" /* simdnorm_activation */

/* ---- The canonical reduction order ---------------------------------------
 * Every reduction over a span x[0..n) uses SIMDNORM_LANES logical lanes:
 * element i goes to lane i % SIMDNORM_LANES and each lane accumulates its
 * elements in increasing i. The lanes are folded by halves: lane l += lane
 * l+16, then l += l+8, l += l+4, l += l+2, l += l+1 (lane 0 holds the result).
 * An ISA maps the 32 lanes onto as many registers as it needs (AVX-512: 2 zmm
 * of floats / 4 of doubles, AVX2: 4 ymm / 8, NEON: 8 q / 16, scalar: an
 * array), so the order - and every bit of the result - does not depend on
 * the vector width.
 *
 * Two kernel families implement it:
 * - the fast ones (f32_moments, f32_sumsq) sum each lane in float over rounds
 *   of SIMDNORM_ROUND lane elements (SIMDNORM_LANES * SIMDNORM_ROUND span
 *   elements, rounds aligned to the span start), starting every round from
 *   +0.0f, and add each lane's round sum into a double lane accumulator; a
 *   float sum of at most 8 terms has a relative error of at most 8 * 2^-24,
 *   and the double accumulators make the length of the span irrelevant;
 * - the exact ones (f32_moments_exact, f32_sumsq_exact) accumulate each lane
 *   in double directly (exact or nearly so for float data, never overflowing).
 * dispatch/stats.c takes the fast result when it provably meets the
 * accuracy contract (good shift, no overflow, no underflow) and the exact
 * kernel otherwise; the choice depends only on bitwise-identical values, so
 * it is the same on every ISA.
 *
 * Long rows are cut into blocks of SIMDNORM_BLOCK elements; each block's
 * moments are taken about a shift close to its mean, and the blocks are
 * merged in order with Chan's formula (dispatch/stats.c). */
#define SIMDNORM_LANES 32
#define SIMDNORM_ROUND 8
#define SIMDNORM_BLOCK 4096

/* The one NaN every kernel writes, so NaN results are bitwise equal too
 * (x86 and Arm generate NaNs with different signs and payloads). */
#define SIMDNORM_CANONICAL_NAN_BITS 0x7fc00000u

/* f32_moments: shifted first and second moments of one span, fast.
 * Reads x[0..n), 1 <= n, any alignment, never past x[n-1]. With the float
 * d_i = x_i - shift it writes out[0] = sum d_i and out[1] = sum d_i^2 in the
 * canonical order, fast family: per lane and round, p += d and
 * q = fmaf(d, d, q) in float, then acc0 += (double)p, acc1 += (double)q.
 * A NaN or Inf in x, or a d_i^2 round sum beyond FLT_MAX, makes an output
 * non-finite. */
typedef void simdnorm_f32_moments_kernel(size_t n, const float *x, float shift,
                                        double out[2]);
typedef simdnorm_f32_moments_kernel *simdnorm_f32_moments_fn;

/* f32_sumsq: sum of squares of one span, fast family: per lane and round
 * q = fmaf(x, x, q) in float, then acc += (double)q. Reads x[0..n), n >= 1. */
typedef double simdnorm_f32_sumsq_kernel(size_t n, const float *x);
typedef simdnorm_f32_sumsq_kernel *simdnorm_f32_sumsq_fn;

/* f32_moments_seq / f32_sumsq_seq: f32_moments / f32_sumsq, the same
 * outputs bit for bit, reading x in order, one round at a time: for spans
 * that come from memory, where the interleaved rounds' reads (R places 1 KiB
 * apart) defeat the hardware prefetchers (generic/reduce.h). */
typedef simdnorm_f32_moments_kernel simdnorm_f32_moments_seq_kernel;
typedef simdnorm_f32_moments_fn simdnorm_f32_moments_seq_fn;
typedef simdnorm_f32_sumsq_kernel simdnorm_f32_sumsq_seq_kernel;
typedef simdnorm_f32_sumsq_fn simdnorm_f32_sumsq_seq_fn;

/* f32_moments_rows / f32_sumsq_rows: f32_moments / f32_sumsq of each of
 * `rows` rows of n elements (1 <= n), row r at x + r*stride, bit for bit
 * what the one-row kernel gives for that row (about shift[r]): s1[r], s2[r]
 * (ss[r]). For short rows an ISA may share work across rows (AVX-512 folds
 * eight rows' lanes at once); any row count, any alignment. */
typedef void simdnorm_f32_moments_rows_kernel(size_t rows, size_t n, const float *x,
                                             size_t stride, const float *shift,
                                             double *s1, double *s2);
typedef simdnorm_f32_moments_rows_kernel *simdnorm_f32_moments_rows_fn;
typedef void simdnorm_f32_sumsq_rows_kernel(size_t rows, size_t n, const float *x,
                                           size_t stride, double *ss);
typedef simdnorm_f32_sumsq_rows_kernel *simdnorm_f32_sumsq_rows_fn;

/* f32_moments_exact: as f32_moments, exact family: d_i = (double)x_i -
 * (double)shift, acc0 += d and acc1 = fma(d, d, acc1) in double. Never
 * overflows; non-finite output iff x holds a NaN or an Inf. */
typedef void simdnorm_f32_moments_exact_kernel(size_t n, const float *x,
                                              float shift, double out[2]);
typedef simdnorm_f32_moments_exact_kernel *simdnorm_f32_moments_exact_fn;

/* f32_sumsq_exact: sum of x_i^2, exact family: acc = fma(x, x, acc) in
 * double. Reads x[0..n), n >= 1. */
typedef double simdnorm_f32_sumsq_exact_kernel(size_t n, const float *x);
typedef simdnorm_f32_sumsq_exact_kernel *simdnorm_f32_sumsq_exact_fn;

/* ---- The activation epilogue -------------------------------------------
 * act(v) of a float v, for act a simdnorm_activation, as a fixed sequence
 * of float operations, each one exact or one IEEE rounding (fmaf fused),
 * written once for every ISA (generic/act_math.h, the sequences in full,
 * and README.md "Activations"), so every ISA and architecture, and the
 * scalar kernels on a CPU without FMA (C fmaf: libm's exact software fma),
 * give the same bits:
 *   NONE       v
 *   RELU       v > 0 ? v : +0                       (NaN stays NaN)
 *   GELU_ERF   v Phi(v) = v/2 + a D(a) = max(v, 0) - a Q(a), a = |v|,
 *              Q(a) = erfc(a/sqrt2)/2, D = 1/2 - Q: for a < 4 a degree-7
 *              polynomial of one of 8 pieces of a (D/2 on [0, 1/2), -a Q
 *              beyond); for a >= 4 a Q(a) = e^(-a^2/2) S(1/a^2).
 *   GELU_TANH  v sigma(w) = v / (1 + e^-w), w = v (A + B v^2), A = 2
 *              sqrt(2/pi), B = 0.044715 A (0.5 v (1 + tanh(w/2))), w to
 *              float precision as hi + lo in the exp's argument.
 *   SILU       v / (1 + e^-v)
 *   where e^-z = 2^k e^-g, g = z + k ln2, |g| <= ln2/2, e^-g a degree-6
 *   polynomial, and 1 + e^-z is (1 + 2^k) - 2^k g q(-g), one rounding.
 * then a NaN is written as the canonical NaN. The results are within 2 ULP
 * of the exact function on every float input (tools/act-exhaustive). */
/* Runs stmt with the identifier A bound to the activation act as a
 * compile-time constant: a kernel gets one inlined copy of its loop per
 * activation (their rare tails stay out of line), and act 0 (or any value
 * outside the enum, which the entry points reject) the plain loop. */
#define SIMDNORM_WITH_CONST_ACT(act, A, stmt)                                 \
    switch (act) {                                                            \
    case SIMDNORM_ACT_RELU: { enum { A = SIMDNORM_ACT_RELU }; stmt; } break;  \
    case SIMDNORM_ACT_GELU_ERF: { enum { A = SIMDNORM_ACT_GELU_ERF }; stmt; } break; \
    case SIMDNORM_ACT_GELU_TANH: { enum { A = SIMDNORM_ACT_GELU_TANH }; stmt; } break; \
    case SIMDNORM_ACT_SILU: { enum { A = SIMDNORM_ACT_SILU }; stmt; } break;  \
    default: { enum { A = SIMDNORM_ACT_NONE }; stmt; } break;                 \
    }

/* f32_normalize: the normalize-scale-shift of one span, with the activation
 * epilogue act (kernels.h above; 0 = none). For each i < n:
 *   t = x_i - shift;  u = fmaf(t, scale, offset);
 *   v = fmaf(u, gamma_i, beta_i)  (both given),  u * gamma_i  (gamma only),
 *       u + beta_i (beta only),   u  (neither);
 *   y_i = act(v),
 * and a NaN y_i is written as the canonical NaN. Every operation is one
 * IEEE float rounding (fmaf fused), so all ISAs agree bit for bit. Reads
 * x, gamma, beta [0..n), writes y[0..n), any alignment, nothing past n-1;
 * y == x (exact in place) is allowed, any other overlap is not. With act 0
 * the kernel runs the loop it had before activations existed.
 * pf: NULL, or the first of n elements of one object that the caller
 * reads next (from memory: the next row); never dereferenced, it may
 * overlap anything. The kernel prefetches pf[i] beside each full vector at
 * i (not the partial last one; not on scalar): a hint that changes no
 * value. */
typedef void simdnorm_f32_normalize_kernel(size_t n, const float *x,
                                          float shift, float scale,
                                          float offset, const float *gamma,
                                          const float *beta, int act, float *y,
                                          const float *pf);
typedef simdnorm_f32_normalize_kernel *simdnorm_f32_normalize_fn;

/* f32_activate: y_i = act(x_i) for i < n, NaN canonical: the epilogue on
 * its own (the slow paths' outputs, simdnorm_activate_f32). Reads x[0..n),
 * writes y[0..n), any alignment, nothing past n-1; y == x allowed. */
typedef void simdnorm_f32_activate_kernel(size_t n, const float *x, int act, float *y);
typedef simdnorm_f32_activate_kernel *simdnorm_f32_activate_fn;

/* f32_add: the residual add, h_i = (x_i + r_i) + b_i, each add one float
 * rounding, r or b skipped when NULL (both NULL: a copy), a NaN h_i
 * written as the canonical NaN. Reads x, r, b [0..n), writes h[0..n), any
 * alignment, nothing past n-1; h == x or h == r allowed (each element is
 * read before it is written), any other overlap is not. */
typedef void simdnorm_f32_add_kernel(size_t n, const float *x, const float *r,
                                    const float *b, float *h);
typedef simdnorm_f32_add_kernel *simdnorm_f32_add_fn;

/* ---- Channel (column) kernels: BatchNorm over channels-last data --------
 * A [rows, channels] matrix whose row r starts at x + r*stride (stride >=
 * channels): NHWC data has rows = n*spatial and stride = channels. */

/* f32_channel_moments: shifted sums of every column of blocks of rows, the
 * NHWC counterpart of f32_moments. There are `groups` blocks, block g being
 * the [rows, channels] matrix at x + g*group_stride (row r of it at
 * + r*stride). For each block g and channel c < channels, with
 * K = (double)(block g's row 0, channel c) and d_r = (double)(block g's row
 * r, channel c) - K, it writes
 *   s1[g*channels + c] = sum d_r,  s2[g*channels + c] = sum d_r^2
 * accumulated in ONE sequential chain per channel and block, r = 0, 1, ...,
 * rows-1, starting from +0.0: s1 = s1 + d, s2 = fma(d, d, s2). (d may
 * equally be computed as fma(x, 1, -K): one rounding of the same exact
 * value.) A SIMD kernel puts channels (and, when there are few channels,
 * blocks) in vector lanes and walks down the rows, so the order of every
 * chain's arithmetic is the same on every ISA and for any vector width: the
 * results are bit-for-bit the scalar ones by construction. Several blocks per
 * call let a kernel keep enough independent chains in flight when channels
 * are few (one chain per register would wait an add latency per row).
 * rows >= 1, channels >= 1, groups >= 1; reads only the elements named
 * (any alignment, nothing past the last element of a block's last row);
 * writes only s1/s2[0..groups*channels). The caller cuts columns into blocks
 * of SIMDNORM_BLOCK rows and merges them in order (dispatch/batch_norm.c);
 * a NaN or Inf makes only its own channel's sums non-finite. */
typedef void simdnorm_f32_channel_moments_kernel(size_t rows, size_t channels,
                                                const float *x, size_t stride,
                                                size_t groups, size_t group_stride,
                                                double *s1, double *s2);
typedef simdnorm_f32_channel_moments_kernel *simdnorm_f32_channel_moments_fn;

/* f32_normalize_channels: per-channel normalize-scale-shift of a [rows,
 * channels] matrix, the NHWC counterpart of f32_normalize. For r < rows,
 * c < channels, with i = r*stride + c:
 *   y_i = act(fmaf(x_i - shift[c], scale[c], offset[c])),
 * a NaN y_i written as the canonical NaN: the same two roundings as
 * f32_normalize with gamma = beta = NULL, then the same epilogue, so all
 * ISAs agree bit for bit.
 * Reads x_i, shift/scale/offset[0..channels); writes only the y_i (the
 * elements between rows, stride > channels, are not touched); any alignment,
 * nothing past the last element. y == x (exact in place) is allowed, any
 * other overlap is not. */
typedef void simdnorm_f32_normalize_channels_kernel(size_t rows, size_t channels,
                                                   const float *x, size_t stride,
                                                   const float *shift,
                                                   const float *scale,
                                                   const float *offset, int act,
                                                   float *y);
typedef simdnorm_f32_normalize_channels_kernel *simdnorm_f32_normalize_channels_fn;

/* f32_normalize_stream, f32_normalize_channels_stream: the same contracts
 * and the same bits as f32_normalize and f32_normalize_channels, for
 * outputs too large for the caches: y may be written with non-temporal
 * (streaming) stores, which skip the read-for-ownership of y and do not
 * evict useful lines, and the call ends with a store fence. Where an ISA has
 * no such stores (scalar, NEON) they are the plain kernels. */

/* ---- The row engine: LayerNorm / RMSNorm over batches of rows ------------
 * One call's rows as the engine kernels take them. Row r of x starts at
 * x + r*x_stride, of y at y + r*y_stride; gamma/beta/mean/rstd may be NULL;
 * inv_cols = 1/(double)cols; stream: 0 plain stores, 2 streaming stores of
 * y without a fence (the kernel fences once, at its end). k is the table
 * the rare rows' slow path (below) takes its kernels from. */
struct simdnorm_kernels;
typedef struct simdnorm_row_job {
    const struct simdnorm_kernels *k;
    size_t cols;
    const float *x, *gamma, *beta;
    size_t x_stride, y_stride;
    float *y, *mean, *rstd;
    double eps, inv_cols;
    int act, stream;
    /* 16-bit storage (the bf16_ and f16_ engines): x and y as 16-bit
     * elements, strides in elements; x, y above unused (NULL) there. */
    const uint16_t *xh;
    uint16_t *yh;
    /* 1: x comes from memory (the call's x + y exceed the caches; set
     * whenever stream is): the sums read each row in order and rows of
     * 512 elements or more go one at a time (generic/rows.c). Same bits. */
    int from_memory;
} simdnorm_row_job;

/* f32_layer_norm_rows / f32_rms_norm_rows: rows [r0, r1) of a LayerNorm
 * (RMSNorm) whose rows are one block (1 <= cols <= SIMDNORM_BLOCK), each
 * bit for bit what the per-row definition gives (dispatch/rows.c, stats.c:
 * the shift of simdnorm_head_shift, the fast sums of f32_moments /
 * f32_sumsq, the verdict and plan of stats.c, the normalize of
 * f32_normalize with the activation). The kernel takes the statistics of
 * VD_N rows at a time (independent chains), finishes them together in
 * double vector lanes - divisions, square roots, the fast/exact verdict as
 * a mask - and normalizes each row in place of an indirect call; a row
 * the vector finish does not take (a shift more than one standard
 * deviation off, overflow, underflow, NaN/Inf, a plan that is not fast)
 * goes to simdnorm_layer_norm_row_slow / simdnorm_rms_norm_row_slow. A
 * batch of a single row is finished in scalar double (the same operations).
 * Reads rows r0..r1-1 of x (and gamma, beta), writes the same rows of y
 * and of mean, rstd; in place (y == x, same stride) allowed. */
typedef void simdnorm_f32_layer_norm_rows_kernel(const simdnorm_row_job *j, size_t r0, size_t r1);
typedef simdnorm_f32_layer_norm_rows_kernel *simdnorm_f32_layer_norm_rows_fn;
typedef void simdnorm_f32_rms_norm_rows_kernel(const simdnorm_row_job *j, size_t r0, size_t r1);
typedef simdnorm_f32_rms_norm_rows_kernel *simdnorm_f32_rms_norm_rows_fn;

/* The per-row path, in plain C compiled once (dispatch/rows.c): row r of
 * the job from its fast sums s1, s2 about shift (LayerNorm) or ss
 * (RMSNorm), finished, planned and normalized as the per-row definition
 * does (the rare rows, and single rows). */
void simdnorm_layer_norm_row_slow(const simdnorm_row_job *j, size_t r, float shift, double s1,
                                  double s2);
void simdnorm_rms_norm_row_slow(const simdnorm_row_job *j, size_t r, double ss);
/* The same for the 16-bit engines (storage 1: bf16, 2: f16; dispatch/rows.c):
 * the row widened into a float scratch for the statistics' rare retries
 * and the slow normalize, whose float result is narrowed once; a fast plan
 * normalizes the 16-bit row directly (bf16_normalize / f16_normalize). */
void simdnorm_layer_norm_row_slow_half(const simdnorm_row_job *j, int storage, size_t r,
                                       float shift, double s1, double s2);
void simdnorm_rms_norm_row_slow_half(const simdnorm_row_job *j, int storage, size_t r, double ss);

/* The first shift of a block of n >= 1 elements: the mean of its first (up
 * to) 8 elements, a pairwise sum times a rounded reciprocal (no division on
 * the critical path of short rows; any float close to the mean will do).
 * Inline: the row engine takes it for every row. */
static inline float simdnorm_head_shift(size_t n, const float *x)
{
    static const double recip[9] = {0, 1.0, 1.0 / 2, 1.0 / 3, 1.0 / 4,
                                    1.0 / 5, 1.0 / 6, 1.0 / 7, 1.0 / 8};
    if (n >= 8)
        return (float)(((((double)x[0] + x[1]) + ((double)x[2] + x[3])) +
                         (((double)x[4] + x[5]) + ((double)x[6] + x[7]))) * 0.125);
    double v[8] = {0};
    for (size_t i = 0; i < n; i++)
        v[i] = x[i];
    const double sum = ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
    return (float)(sum * recip[n]);
}

/* ---- Backward (gradients): kernels.h's sums and dx sequences -------------
 * With g = dy * gamma (float mul; dy when there is no gamma) and
 * xhat = (x - mean) * rstd (two float roundings; RMSNorm: x * rstd), a
 * span's (row's, plane's) two sums, in the canonical lane order of the fast
 * family (lanes i % 32, rounds of 8 lane elements summed in float from +0:
 * p += g, q = fmaf(g, xhat, q), each round's sums added into double lanes,
 * lanes folded by halves):
 *   s1 = sum g,  s2 = sum g * xhat.
 * From them the span's coefficients, in double (simdnorm_bwd_coeffs below):
 * w = rstd * gs (gs: the span's scalar gamma - BatchNorm's gamma_c - else
 * 1), k = -(w * (s2 / n)), o = -(w * (s1 / n)), each rounded to float once,
 * and the gradient of each element:
 *   dx = fmaf(g, w, fmaf(xhat, k, o))          (LayerNorm, BatchNorm)
 *   dx = fmaf(g, w, xhat * k)                  (RMSNorm: no mean, no s1)
 * with a NaN written as the canonical NaN. The float sums of 8 terms have a
 * relative error of at most 8 * 2^-24 of the sum of |terms|; every other
 * step is one rounding, so dx is within a few 2^-24 of the gradient's scale
 * (DESIGN §4.6 asks 1e-5). A term beyond FLT_MAX / 8 may overflow the float
 * round sum: that span's dx is then non-finite (other spans are not
 * touched). */
#define SIMDNORM_BWD_ROWS 8
static inline void simdnorm_bwd_coeffs(double s1, double s2, double inv_n, double w_d, float *w,
                                       float *k, float *o)
{
    *w = (float)w_d;
    *k = (float)(-(w_d * (s2 * inv_n)));
    *o = (float)(-(w_d * (s1 * inv_n)));
}
/* f32_bwd_sums: s1, s2 (above) of one span of n >= 1 elements into
 * out[0], out[1], about the scalars mean and rstd, gamma the per-element
 * array or NULL. Reads dy, x, gamma [0..n), any alignment, nothing past n-1.
 * (BatchNorm NCHW: one plane.) */
typedef void simdnorm_f32_bwd_sums_kernel(size_t n, const float *dy, const float *x,
                                         const float *gamma, float mean, float rstd,
                                         double out[2]);
typedef simdnorm_f32_bwd_sums_kernel *simdnorm_f32_bwd_sums_fn;
/* f32_bwd_sums_seq: f32_bwd_sums, the same bits, reading in order (one
 * round at a time): for spans from memory (f32_moments_seq). */
typedef simdnorm_f32_bwd_sums_kernel simdnorm_f32_bwd_sums_seq_kernel;
typedef simdnorm_f32_bwd_sums_fn simdnorm_f32_bwd_sums_seq_fn;
/* f32_bwd_dx: dx of one span (the LayerNorm/BatchNorm sequence above) from
 * its float coefficients; gamma per element or NULL. Reads dy, x, gamma,
 * writes dx [0..n); dx == dy allowed (in place), any alignment. */
typedef void simdnorm_f32_bwd_dx_kernel(size_t n, const float *dy, const float *x,
                                       const float *gamma, float mean, float rstd, float w,
                                       float k, float o, float *dx);
typedef simdnorm_f32_bwd_dx_kernel *simdnorm_f32_bwd_dx_fn;
/* f32_bwd_dx_stream: the same contract and the same bits as f32_bwd_dx,
 * for dx too large for the caches: a span whose dx starts on a stream
 * boundary stores its full vectors non-temporally (no read-for-ownership
 * of dx), one off a boundary of 8 KiB or more too (the row norms' rule,
 * generic/bwd.c BWD_NT_ANY_MIN_BYTES), shorter ones plain; the call ends
 * with a store fence. Where an ISA has no such stores (scalar, NEON) it is
 * the plain kernel. */
typedef simdnorm_f32_bwd_dx_kernel simdnorm_f32_bwd_dx_stream_kernel;
typedef simdnorm_f32_bwd_dx_fn simdnorm_f32_bwd_dx_stream_fn;
/* f32_bwd_channel_sums: the NHWC form of the BatchNorm sums over a
 * [rows, channels] matrix (row r at + r*stride; one sample's spatial
 * positions), ONE double chain per channel down the rows, from +0.0:
 *   xhat = (float)((x - mean[c]) * rstd[c])  (float ops),
 *   s1[c] = s1[c] + (double)dy,  s2[c] = fma((double)dy, (double)xhat, s2[c])
 * (the product is exact in double). Overwrites s1, s2 [0..channels). The
 * caller adds the per-sample results in sample order (dispatch/backward.c).
 * Any alignment; rows, channels >= 1. */
typedef void simdnorm_f32_bwd_channel_sums_kernel(size_t rows, size_t channels,
                                                 const float *dy, const float *x,
                                                 size_t stride, const float *mean,
                                                 const float *rstd, double *s1, double *s2);
typedef simdnorm_f32_bwd_channel_sums_kernel *simdnorm_f32_bwd_channel_sums_fn;
/* f32_bwd_channel_sums_seq: f32_bwd_channel_sums, the same bits, for
 * tensors from memory: rows of more than one tile of channels are read in
 * blocks of rows (4 KiB, at least 4 rows), every channel's chain parked in
 * s1/s2 between blocks, instead of each tile of channels walking down all
 * the rows. */
typedef simdnorm_f32_bwd_channel_sums_kernel simdnorm_f32_bwd_channel_sums_seq_kernel;
typedef simdnorm_f32_bwd_channel_sums_fn simdnorm_f32_bwd_channel_sums_seq_fn;
/* f32_bwd_dx_channels: the NHWC dx of a [rows, channels] matrix, each
 * element the f32_bwd_dx sequence (no gamma array) with its channel's
 * mean[c], rstd[c], w[c], k[c], o[c]. Writes only the dx elements named;
 * dx == dy allowed; any alignment. */
typedef void simdnorm_f32_bwd_dx_channels_kernel(size_t rows, size_t channels,
                                                const float *dy, const float *x,
                                                size_t stride, const float *mean,
                                                const float *rstd, const float *w,
                                                const float *k, const float *o, float *dx);
typedef simdnorm_f32_bwd_dx_channels_kernel *simdnorm_f32_bwd_dx_channels_fn;
/* f32_bwd_dx_channels_stream: the same contract and the same bits as
 * f32_bwd_dx_channels, for dx too large for the caches (the
 * f32_normalize_channels_stream rule): the rows of a tile whose dx starts
 * on a stream boundary store their full vectors non-temporally (no
 * read-for-ownership of dx), and the call ends with a store fence. Where
 * an ISA has no such stores (scalar, NEON) it is the plain kernel. */
typedef simdnorm_f32_bwd_dx_channels_kernel simdnorm_f32_bwd_dx_channels_stream_kernel;
typedef simdnorm_f32_bwd_dx_channels_fn simdnorm_f32_bwd_dx_channels_stream_fn;
/* The rows of one LayerNorm/RMSNorm backward call, as f32_norm_bwd_rows
 * takes them: row r of dy/x/dx at + r*stride; mean NULL means RMSNorm;
 * gamma NULL: 1; dx NULL: no dx; dgamma (dbeta) is asked where blk_g
 * (blk_b) is given, its sums going to acc_g (acc_b) and out_g (out_b)
 * (below). inv_cols = 1/(double)cols. */
typedef struct simdnorm_bwd_job {
    size_t cols;
    const float *dy, *x, *gamma, *mean, *rstd;
    size_t dy_stride, x_stride, dx_stride;
    float *dx;
    double *acc_g, *acc_b;
    double inv_cols;
    int stream; /* 1: write dx with streaming stores from each row's first
                 * VX_STREAM_ALIGN boundary on (rows of VF_N elements or
                 * more, dx aligned to its element), one fence at the end of
                 * the kernel call */
    /* 16-bit storage (bf16_/f16_norm_bwd_rows): dy, x, dx as 16-bit
     * elements, strides in elements; dy, x, dx above unused there. */
    const uint16_t *dyh, *xh;
    uint16_t *dxh;
    /* 1: the rows come from memory (the call's tensors exceed the caches):
     * the row sums read in order (f32_bwd_sums_seq's). Same bits. */
    int from_memory;
    /* NULL (not asked) or [cols] floats each, any contents: the current
     * block's float column sums (f32_norm_bwd_rows below); each may be
     * out_g / out_b itself. */
    float *blk_g, *blk_b;
    /* NULL, or where asked (both or neither): [cols] floats each, the
     * range's dgamma/dbeta, written by its last block (below). */
    float *out_g, *out_b;
} simdnorm_bwd_job;
/* f32_norm_bwd_rows: rows [r0, r1) of a row-norm backward, in blocks of
 * SIMDNORM_BWD_ROWS rows starting at r0 (the caller starts r0 on a multiple
 * of SIMDNORM_BWD_ROWS of the call; the last block may be short). For each
 * row: f32_bwd_sums (gamma per element, the row's mean and rstd; RMSNorm:
 * mean 0 and only s2), simdnorm_bwd_coeffs with w_d = rstd, then f32_bwd_dx
 * (RMSNorm: its sequence) - bit for bit those kernels. dgamma/dbeta, where
 * asked (blk_g/blk_b given): for each column j, each block's float sums
 *   bg = fmaf(dy, xhat, bg),  bb = bb + dy   over the block's rows in order,
 * from +0 (the block's xhat are the dx pass's; the kernel may keep the sums
 * in blk_g/blk_b between rows, or in registers), go as doubles to the
 * range's partial acc_g[j], acc_b[j]: the range's first block stores
 * 0.0 + bg (their contents on entry are never read), each later block adds
 * its own, acc + bg - except, where out_g/out_b are given, the range's last
 * block, which writes the float (acc + bg) (a range of one block: (float)
 * (0.0 + bg)) to out_g[j], a NaN as the canonical NaN, and not acc; acc
 * may then be NULL for a range of one block. Reads the rows of dy, x,
 * gamma, mean, rstd; writes the rows of dx, acc_g/acc_b, out_g/out_b and
 * may write blk_g, blk_b; dx == dy with equal strides allowed. */
typedef void simdnorm_f32_norm_bwd_rows_kernel(const simdnorm_bwd_job *j, size_t r0, size_t r1);
typedef simdnorm_f32_norm_bwd_rows_kernel *simdnorm_f32_norm_bwd_rows_fn;

/* ---- BatchNorm's sample tree (dispatch/internal.h) ----------------------
 * Chan's merge of a node b into a node a, per channel, the operations of
 * simdnorm_moments_merge_with in its order, every one an IEEE double
 * operation of its own (no fma):
 *   d = mb - ma,  qa = (qa + qb) + (d*d)*wab,  ma = ma + d*wb.
 * f32_bn_rows_nodes: the level-lev node (lev 1, 2 or 3) of a 2-D
 * BatchNorm's tree over the 2^lev consecutive samples (rows) x + r*stride,
 * r < 2^lev, for channels [0, cw): leaves {(double)x + 0, (double)x -
 * (double)x} (what f32_channel_moments and simdnorm_block_moments give one
 * row: a -0 mean made +0, NaN M2 for a NaN or Inf), a node of level k + 1
 * the merge of its halves with wb = 0.5, wab = 2^(k-1) (exactly
 * simdnorm_merge_weights_of(2^k, 2^k)). Writes mean[0..cw), m2[0..cw);
 * reads the rows' first cw floats; cw >= 1, any alignment.
 * f64_chan_merge: the merge for j < cw, ma[j], qa[j] updated with mb[j],
 * qb[j] and the weights wb, wab (simdnorm_merge_weights_of(ca, cb)) - the
 * finite merge of simdnorm_bn_merge_slots_finite. a and b must not
 * overlap; any alignment; nothing past cw read or written.
 * Every value is the same bits on every ISA except a NaN's sign and payload
 * (which operand's NaN an x86 add passes on depends on the compiler's
 * operand order): a NaN M2 only tells the caller that the channel holds a
 * NaN or Inf, and the caller redoes such a channel with the non-finite rule
 * (dispatch/batch_norm.c, bn_walk), so no NaN of these kernels is
 * returned; the backward's NaN sums become canonical NaNs (dgamma, dbeta,
 * dx). */
typedef void simdnorm_f32_bn_rows_nodes_kernel(unsigned lev, size_t cw, const float *x,
                                              size_t stride, double *mean, double *m2);
typedef simdnorm_f32_bn_rows_nodes_kernel *simdnorm_f32_bn_rows_nodes_fn;
/* f32_bn_bwd_rows_nodes: the backward's level-lev node (lev 1, 2 or 3) of
 * a 2-D BatchNorm's tree over the 2^lev consecutive rows dy/x + r*stride:
 * leaves f32_bwd_channel_sums of one row (s1 = 0 + (double)dy, s2 =
 * fma((double)dy, (double)xhat, 0), xhat = (x - mean[c]) * rstd[c] in
 * float), a node left + right in double. Writes s1[0..cw), s2[0..cw);
 * reads the rows' first cw floats and mean, rstd [0..cw); cw >= 1, any
 * alignment. */
typedef void simdnorm_f32_bn_bwd_rows_nodes_kernel(unsigned lev, size_t cw, const float *dy,
                                                  const float *x, size_t stride,
                                                  const float *mean, const float *rstd,
                                                  double *s1, double *s2);
typedef simdnorm_f32_bn_bwd_rows_nodes_kernel *simdnorm_f32_bn_bwd_rows_nodes_fn;
typedef void simdnorm_f64_chan_merge_kernel(size_t cw, double wb, double wab, double *ma,
                                           double *qa, const double *mb, const double *qb);
typedef simdnorm_f64_chan_merge_kernel *simdnorm_f64_chan_merge_fn;

/* The stream variants have their plain kernels' types. */
typedef simdnorm_f32_normalize_kernel simdnorm_f32_normalize_stream_kernel;
typedef simdnorm_f32_normalize_fn simdnorm_f32_normalize_stream_fn;
typedef simdnorm_f32_normalize_channels_kernel simdnorm_f32_normalize_channels_stream_kernel;
typedef simdnorm_f32_normalize_channels_fn simdnorm_f32_normalize_channels_stream_fn;

/* ---- 16-bit storage: bf16 and f16 families --------------------------------
 * The families that read or write activation tensors are compiled once
 * more per 16-bit storage type (kernels/meson.build: the same generic
 * sources with SIMDNORM_STORAGE_BF16 / SIMDNORM_STORAGE_F16), named
 * <storage>_<family>. Their contracts are the float32 families' with x, y
 * (dy, dx, residual) 16-bit: every element is widened in registers (exact),
 * the float32 family's float operations run unchanged on it, and every
 * 16-bit output element is narrowed once in registers, round to nearest
 * even, NaN canonical (kernels/half.h; the vector headers' vbf16_* and
 * vfp16_*). So each output is bit for bit the float32 family's output on
 * the widened inputs, narrowed. Strides and lengths count elements; any
 * alignment; nothing past the last element is read or written; the
 * in-place rules of the float32 families hold (y == x exactly).
 *   <s>_widen(n, x, y)     y_i = x_i as float (NaN: the canonical float NaN)
 *   <s>_narrow(n, x, y)    y_i = x_i rounded to 16 bits
 *   <s>_normalize(_stream), <s>_activate   as f32_normalize(_stream),
 *                          f32_activate; gamma, beta float
 *   <s>_add(n, x, r, b, h) as f32_add with x, r 16-bit, b and h float (h is
 *                          the float input of the norm that follows)
 *   <s>_layer_norm_rows, <s>_rms_norm_rows   the row engine on the job's
 *                          xh/yh (rows of one block; the rare rows through
 *                          simdnorm_*_row_slow_half)
 *   <s>_norm_bwd_rows      f32_norm_bwd_rows on the job's dyh/xh/dxh
 *   <s>_moments_rows, <s>_moments_seq   as f32_moments_rows, f32_moments_seq
 *                          (BatchNorm's NCHW statistics, the row norms'
 *                          rows longer than a block)
 *   <s>_sumsq, <s>_sumsq_seq   as f32_sumsq, f32_sumsq_seq (RMSNorm's rows
 *                          longer than a block)
 *   <s>_bwd_sums(_seq), <s>_bwd_dx(_stream), <s>_bwd_channel_sums(_seq), <s>_bwd_dx_channels(_stream)
 *                          as the f32_ families (dy, x, dx 16-bit; BatchNorm's
 *                          and GroupNorm's backward)
 *   <s>_channel_moments    as f32_channel_moments (each element widened to
 *                          double; BatchNorm's and GroupNorm's NHWC
 *                          statistics)
 *   <s>_normalize_channels(_stream)   as f32_normalize_channels(_stream);
 *                          shift, scale, offset float (BatchNorm's and
 *                          GroupNorm's NHWC normalize) */
#define SIMDNORM_HALF_TYPES_(s, T)                                                                \
    typedef void simdnorm_##s##_widen_kernel(size_t n, const T *x, float *y);                     \
    typedef simdnorm_##s##_widen_kernel *simdnorm_##s##_widen_fn;                                 \
    typedef void simdnorm_##s##_narrow_kernel(size_t n, const float *x, T *y);                    \
    typedef simdnorm_##s##_narrow_kernel *simdnorm_##s##_narrow_fn;                               \
    typedef void simdnorm_##s##_normalize_kernel(size_t n, const T *x, float shift, float scale,  \
                                                 float offset, const float *gamma,                \
                                                 const float *beta, int act, T *y,                \
                                                 const T *pf);                                    \
    typedef simdnorm_##s##_normalize_kernel *simdnorm_##s##_normalize_fn;                         \
    typedef simdnorm_##s##_normalize_kernel simdnorm_##s##_normalize_stream_kernel;               \
    typedef simdnorm_##s##_normalize_fn simdnorm_##s##_normalize_stream_fn;                       \
    typedef void simdnorm_##s##_activate_kernel(size_t n, const T *x, int act, T *y);             \
    typedef simdnorm_##s##_activate_kernel *simdnorm_##s##_activate_fn;                           \
    typedef void simdnorm_##s##_add_kernel(size_t n, const T *x, const T *r, const float *b,      \
                                           float *h);                                             \
    typedef simdnorm_##s##_add_kernel *simdnorm_##s##_add_fn;                                     \
    typedef simdnorm_f32_layer_norm_rows_kernel simdnorm_##s##_layer_norm_rows_kernel;            \
    typedef simdnorm_f32_layer_norm_rows_fn simdnorm_##s##_layer_norm_rows_fn;                    \
    typedef simdnorm_f32_rms_norm_rows_kernel simdnorm_##s##_rms_norm_rows_kernel;                \
    typedef simdnorm_f32_rms_norm_rows_fn simdnorm_##s##_rms_norm_rows_fn;                        \
    typedef simdnorm_f32_norm_bwd_rows_kernel simdnorm_##s##_norm_bwd_rows_kernel;                \
    typedef simdnorm_f32_norm_bwd_rows_fn simdnorm_##s##_norm_bwd_rows_fn;                        \
    typedef void simdnorm_##s##_moments_rows_kernel(size_t rows, size_t n, const T *x,            \
                                                    size_t stride, const float *shift,           \
                                                    double *s1, double *s2);                     \
    typedef simdnorm_##s##_moments_rows_kernel *simdnorm_##s##_moments_rows_fn;                   \
    typedef void simdnorm_##s##_moments_seq_kernel(size_t n, const T *x, float shift,             \
                                                   double out[2]);                               \
    typedef simdnorm_##s##_moments_seq_kernel *simdnorm_##s##_moments_seq_fn;                     \
    typedef double simdnorm_##s##_sumsq_kernel(size_t n, const T *x);                             \
    typedef simdnorm_##s##_sumsq_kernel *simdnorm_##s##_sumsq_fn;                                 \
    typedef simdnorm_##s##_sumsq_kernel simdnorm_##s##_sumsq_seq_kernel;                          \
    typedef simdnorm_##s##_sumsq_fn simdnorm_##s##_sumsq_seq_fn;                                  \
    typedef void simdnorm_##s##_bwd_sums_kernel(size_t n, const T *dy, const T *x,                \
                                                const float *gamma, float mean, float rstd,       \
                                                double out[2]);                                   \
    typedef simdnorm_##s##_bwd_sums_kernel *simdnorm_##s##_bwd_sums_fn;                           \
    typedef simdnorm_##s##_bwd_sums_kernel simdnorm_##s##_bwd_sums_seq_kernel;                    \
    typedef simdnorm_##s##_bwd_sums_fn simdnorm_##s##_bwd_sums_seq_fn;                            \
    typedef void simdnorm_##s##_bwd_dx_kernel(size_t n, const T *dy, const T *x,                  \
                                              const float *gamma, float mean, float rstd,         \
                                              float w, float k, float o, T *dx);                  \
    typedef simdnorm_##s##_bwd_dx_kernel *simdnorm_##s##_bwd_dx_fn;                               \
    typedef simdnorm_##s##_bwd_dx_kernel simdnorm_##s##_bwd_dx_stream_kernel;                     \
    typedef simdnorm_##s##_bwd_dx_fn simdnorm_##s##_bwd_dx_stream_fn;                             \
    typedef void simdnorm_##s##_bwd_channel_sums_kernel(size_t rows, size_t channels,             \
                                                        const T *dy, const T *x, size_t stride,   \
                                                        const float *mean, const float *rstd,     \
                                                        double *s1, double *s2);                  \
    typedef simdnorm_##s##_bwd_channel_sums_kernel *simdnorm_##s##_bwd_channel_sums_fn;           \
    typedef simdnorm_##s##_bwd_channel_sums_kernel simdnorm_##s##_bwd_channel_sums_seq_kernel;    \
    typedef simdnorm_##s##_bwd_channel_sums_fn simdnorm_##s##_bwd_channel_sums_seq_fn;            \
    typedef void simdnorm_##s##_bwd_dx_channels_kernel(                                           \
        size_t rows, size_t channels, const T *dy, const T *x, size_t stride, const float *mean,  \
        const float *rstd, const float *w, const float *k, const float *o, T *dx);                \
    typedef simdnorm_##s##_bwd_dx_channels_kernel *simdnorm_##s##_bwd_dx_channels_fn;             \
    typedef simdnorm_##s##_bwd_dx_channels_kernel simdnorm_##s##_bwd_dx_channels_stream_kernel;   \
    typedef simdnorm_##s##_bwd_dx_channels_fn simdnorm_##s##_bwd_dx_channels_stream_fn;           \
    typedef void simdnorm_##s##_channel_moments_kernel(size_t rows, size_t channels, const T *x,  \
                                                       size_t stride, size_t groups,              \
                                                       size_t group_stride, double *s1,           \
                                                       double *s2);                               \
    typedef simdnorm_##s##_channel_moments_kernel *simdnorm_##s##_channel_moments_fn;             \
    typedef void simdnorm_##s##_normalize_channels_kernel(                                        \
        size_t rows, size_t channels, const T *x, size_t stride, const float *shift,              \
        const float *scale, const float *offset, int act, T *y);                                  \
    typedef simdnorm_##s##_normalize_channels_kernel *simdnorm_##s##_normalize_channels_fn;       \
    typedef simdnorm_##s##_normalize_channels_kernel simdnorm_##s##_normalize_channels_stream_kernel; \
    typedef simdnorm_##s##_normalize_channels_fn simdnorm_##s##_normalize_channels_stream_fn;
SIMDNORM_HALF_TYPES_(bf16, simdnorm_bf16)
SIMDNORM_HALF_TYPES_(f16, simdnorm_f16)

/* The families of one 16-bit storage s (s##_<family>): part of the one list
 * below, once per storage type. */
#define SIMDNORM_HALF_FAMILIES(X, a, s)                                       \
    X(a, s##_widen)                                                           \
    X(a, s##_narrow)                                                          \
    X(a, s##_normalize)                                                       \
    X(a, s##_normalize_stream)                                                \
    X(a, s##_activate)                                                        \
    X(a, s##_add)                                                             \
    X(a, s##_layer_norm_rows)                                                 \
    X(a, s##_rms_norm_rows)                                                   \
    X(a, s##_norm_bwd_rows)                                                   \
    X(a, s##_moments_rows)                                                    \
    X(a, s##_moments_seq)                                                     \
    X(a, s##_sumsq)                                                           \
    X(a, s##_sumsq_seq)                                                       \
    X(a, s##_bwd_sums)                                                        \
    X(a, s##_bwd_sums_seq)                                                    \
    X(a, s##_bwd_dx)                                                          \
    X(a, s##_bwd_dx_stream)                                                   \
    X(a, s##_bwd_channel_sums)                                                \
    X(a, s##_bwd_channel_sums_seq)                                            \
    X(a, s##_bwd_dx_channels)                                                 \
    X(a, s##_bwd_dx_channels_stream)                                          \
    X(a, s##_channel_moments)                                                 \
    X(a, s##_normalize_channels)                                              \
    X(a, s##_normalize_channels_stream)

/* ---- The one list of kernel families -------------------------------------
 * SIMDNORM_KERNEL_FAMILIES(X, a) calls X(a, family) for every family above;
 * family f has the function type simdnorm_<f>_kernel, the table field f,
 * and the definition simdnorm_<f>_<isa> in each ISA that defines it
 * (isa_list.h). Adding a family: its type and contract above, one line
 * here, its generic source (kernels/generic/), a test in test_kernels.c. */
#define SIMDNORM_KERNEL_FAMILIES(X, a)                                        \
    X(a, f32_moments)                                                         \
    X(a, f32_sumsq)                                                           \
    X(a, f32_moments_seq)                                                     \
    X(a, f32_sumsq_seq)                                                       \
    X(a, f32_moments_rows)                                                    \
    X(a, f32_sumsq_rows)                                                      \
    X(a, f32_moments_exact)                                                   \
    X(a, f32_sumsq_exact)                                                     \
    X(a, f32_normalize)                                                       \
    X(a, f32_normalize_stream)                                                \
    X(a, f32_channel_moments)                                                 \
    X(a, f32_normalize_channels)                                              \
    X(a, f32_normalize_channels_stream)                                       \
    X(a, f32_activate)                                                        \
    X(a, f32_add)                                                             \
    X(a, f32_layer_norm_rows)                                                 \
    X(a, f32_rms_norm_rows)                                                   \
    X(a, f32_bwd_sums)                                                        \
    X(a, f32_bwd_sums_seq)                                                    \
    X(a, f32_bwd_dx)                                                          \
    X(a, f32_bwd_dx_stream)                                                   \
    X(a, f32_bwd_channel_sums)                                                \
    X(a, f32_bwd_channel_sums_seq)                                            \
    X(a, f32_bwd_dx_channels)                                                 \
    X(a, f32_bwd_dx_channels_stream)                                          \
    X(a, f32_norm_bwd_rows)                                                   \
    X(a, f32_bn_rows_nodes)                                                   \
    X(a, f32_bn_bwd_rows_nodes)                                               \
    X(a, f64_chan_merge)                                                      \
    SIMDNORM_HALF_FAMILIES(X, a, bf16)                                        \
    SIMDNORM_HALF_FAMILIES(X, a, f16)

/* One table per ISA: a pointer per family, filled once by the dispatcher
 * (dispatch/isa.c: the parent's table, then the ISA's own kernels) before
 * it is published, never modified after. */
#define SIMDNORM_TABLE_FIELD_(a, f) simdnorm_##f##_fn f;
typedef struct simdnorm_kernels {
    int isa; /* simdnorm_isa */
    /* The table of the ISA this one cascades from (isa_list.h), where it
     * is compiled in and this CPU runs it, else NULL (set at the ISA
     * choice, dispatch/isa.c): the row norms hand it the calls on which
     * this ISA's kernels measured slower (dispatch/rows.c,
     * row_norm_kernels). */
    const struct simdnorm_kernels *parent;
    SIMDNORM_KERNEL_FAMILIES(SIMDNORM_TABLE_FIELD_, ~)
} simdnorm_kernels;
#undef SIMDNORM_TABLE_FIELD_

#include "isa_list.h"

/* Every family of every ISA of the list, declared (declaring a kernel that
 * is not built is harmless: nothing refers to it), so every definition -
 * generic or ISA-specific - sees its prototype, also where an ISA's
 * library builds a family its table does not take. */
#define SIMDNORM_DECLARE_KERNEL_(isa, f) simdnorm_##f##_kernel simdnorm_##f##_##isa;
#define SIMDNORM_DECLARE_ISA_(E, isa, P, level) SIMDNORM_KERNEL_FAMILIES(SIMDNORM_DECLARE_KERNEL_, isa)
SIMDNORM_ISAS(SIMDNORM_DECLARE_ISA_)
#undef SIMDNORM_DECLARE_ISA_

#endif /* SIMDNORM_KERNELS_H */
