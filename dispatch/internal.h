/* internal.h - what the public entry points share: the active kernel table,
 * argument validation, and the statistics that turn sums into a normalize. */
#ifndef SIMDNORM_INTERNAL_H
#define SIMDNORM_INTERNAL_H

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"
#include "simdnorm.h"

/* The kernel table in use now; never NULL; first call runs the ISA choice. */
const simdnorm_kernels *simdnorm_active_kernels(void);

/* The table of an ISA if compiled in (runnable or not), else NULL. */
const simdnorm_kernels *simdnorm_kernels_for(simdnorm_isa isa);

/* ---- threads (threads.c) ----------------------------------------------- */

/* Bytes (read + written) below which one more thread does not pay for the
 * fork and join (GOMP: a few microseconds). */
#define SIMDNORM_MIN_BYTES_PER_THREAD ((size_t)256 << 10)

/* How many threads a call moving `bytes` in at most `max_parts` independent
 * parts should use: 1 when small, when called inside a parallel region (no
 * oversubscription), or without OpenMP; else up to simdnorm_get_num_threads. */
int simdnorm_threads_for(size_t bytes, size_t max_parts);

/* The body of a parallel loop: parts [begin, end) of the caller's work,
 * under the canonical floating-point state (fpenv.h). */
typedef void (*simdnorm_range_fn)(void *ctx, size_t begin, size_t end);

/* Runs body on nt >= 2 OpenMP threads, thread t taking the parts
 * [t*parts/nt, (t+1)*parts/nt) (empty ranges skipped), each worker entering
 * and leaving the canonical floating-point state around its range; returns
 * when all are done. Out of line (threads.c): the only OpenMP parallel
 * region of the library. Without OpenMP, one call body(ctx, 0, parts). */
void simdnorm_parallel_run(int nt, size_t parts, simdnorm_range_fn body, void *ctx);

/* The parallel for of every entry point: [0, parts) split into contiguous
 * ranges over simdnorm_threads_for(bytes, max_threads) threads (callers pass
 * max_threads = parts, or fewer when a short last part must not get a
 * thread of its own). A body must compute every output the same way
 * whichever range it falls in, so that no bit depends on the split. One
 * thread (small, nested, or no OpenMP): body(ctx, 0, parts) on the calling
 * thread, which is already in the canonical state - inline, so a constant
 * body is a direct (inlinable) call and a small call pays only the thread
 * count rule. */
static inline __attribute__((always_inline)) void
simdnorm_parallel_for(size_t parts, size_t max_threads, size_t bytes, simdnorm_range_fn body,
                      void *ctx)
{
    const int nt = simdnorm_threads_for(bytes, max_threads);
    if (__builtin_expect(nt <= 1, 1))
        body(ctx, 0, parts);
    else
        simdnorm_parallel_run(nt, parts, body, ctx);
}

/* ---- validation -------------------------------------------------------  */

/* Inline, and without divisions: they run on every call, and a 64-bit
 * division per check cost the 1x8 call ~30 ns. */

/* eps >= 0 and finite. */
static inline int simdnorm_eps_ok(float eps) { return isfinite(eps) && eps >= 0.0f; }

/* act is a value of simdnorm_activation (compared as unsigned: any other
 * value, negative included, is rejected whatever type the enum got). */
static inline int simdnorm_act_ok(simdnorm_activation act)
{
    return (unsigned)act <= (unsigned)SIMDNORM_ACT_SILU;
}

/* Bytes spanned by a [rows, cols] matrix with the given row stride (rows >= 1,
 * stride >= cols >= 1): 0 on overflow of rows*stride*sizeof(float) beyond
 * PTRDIFF_MAX or of the address range starting at p; else sets *span to the
 * bytes from p to the end of the last row (0 for p == NULL: an absent
 * optional array spans nothing). */
static inline int simdnorm_matrix_span(const void *p, size_t rows, size_t cols, size_t stride,
                                       size_t *span)
{
    size_t elems;
    if (__builtin_mul_overflow(rows, stride, &elems) ||
        elems > (size_t)PTRDIFF_MAX / sizeof(float))
        return 0;
    const size_t bytes = p ? ((rows - 1) * stride + cols) * sizeof(float) : 0;
    if ((uintptr_t)p > UINTPTR_MAX - bytes)
        return 0;
    *span = bytes;
    return 1;
}

/* Whether [a, a+abytes) and [b, b+bbytes) intersect; NULL or empty never do. */
static inline int simdnorm_overlaps(const void *a, size_t abytes, const void *b, size_t bbytes)
{
    if (!a || !b || abytes == 0 || bbytes == 0)
        return 0;
    const uintptr_t pa = (uintptr_t)a, pb = (uintptr_t)b;
    return pa < pb + bbytes && pb < pa + abytes;
}

/* One buffer of a call, for simdnorm_check_overlap: its start, the bytes it
 * spans (simdnorm_matrix_span; NULL or 0: absent, overlaps nothing), its row
 * stride in floats (for the in-place rule; 0 for a plain array), whether
 * the call writes it, and which inputs it may be exactly: bit i of
 * may_alias set means "buffer i of the list, if it has the same start and
 * the same stride" (in place: each element is read before it is written).
 * may_alias names inputs only. */
typedef struct simdnorm_buffer {
    const void *p;
    size_t bytes;
    size_t stride;
    unsigned may_alias;
    int out;
} simdnorm_buffer;

/* DESIGN §5's overlap rule over a call's list of buffers (at most 32):
 * SIMDNORM_ERR_OVERLAP if the byte range of an output intersects that of
 * any other buffer of the list (input or output), except an allowed exact
 * alias; else SIMDNORM_OK. Inline and fully unrolled: the callers' lists
 * are constant in length and in their out/may_alias fields, so this folds
 * to the pairwise compares a hand-written check would make (each pair of
 * outputs once, absent optional buffers dropped where known). */
static inline __attribute__((always_inline)) simdnorm_status
simdnorm_check_overlap(const simdnorm_buffer *b, size_t n)
{
#pragma GCC unroll 16
    for (size_t i = 0; i < n; i++) {
        if (!b[i].out)
            continue;
#pragma GCC unroll 16
        for (size_t j = 0; j < n; j++) {
            if (j == i || (j < i && b[j].out)) /* an output pair: checked at j */
                continue;
            if (((b[i].may_alias >> j) & 1u) && b[i].p == b[j].p && b[i].stride == b[j].stride)
                continue;
            if (simdnorm_overlaps(b[i].p, b[i].bytes, b[j].p, b[j].bytes))
                return SIMDNORM_ERR_OVERLAP;
        }
    }
    return SIMDNORM_OK;
}

/* ---- statistics (stats.c) ---------------------------------------------- */

/* count, mean and sum of squared deviations (M2) of a set of floats. */
typedef struct simdnorm_moments {
    double count, mean, m2;
} simdnorm_moments;

/* Moments of x[0..n) (n >= 1): blocks of SIMDNORM_BLOCK elements, each
 * taken by the fast or, where it cannot meet the contract, the exact kernel
 * (stats.c), merged left to right with Chan's formula. Non-finite mean or
 * m2 iff x holds a NaN or an Inf. */
simdnorm_moments simdnorm_span_moments(const simdnorm_kernels *k, size_t n,
                                       const float *x);

/* Sum of squares of x[0..n) (n >= 1): the fast kernel, or the exact one
 * where float squares overflowed or underflowed. */
double simdnorm_span_sumsq(const simdnorm_kernels *k, size_t n, const float *x);

/* The moments of one block of len values from its shifted sums
 * s1 = sum (x - shift), s2 = sum (x - shift)^2, shift being one of the
 * values (the block's first): mean = shift + s1/len, M2 = s2 - s1*(s1/len)
 * clamped at 0. Shared by the row (f32_moments) and the channel
 * (f32_channel_moments) reductions. */
simdnorm_moments simdnorm_block_moments(size_t len, float shift, double s1, double s2);

/* Chan's merge: the moments of the union of a and b, in that order. */
simdnorm_moments simdnorm_moments_merge(simdnorm_moments a, simdnorm_moments b);

/* The merge's weights depend only on the two counts: n = ca + cb,
 * wb = cb/n, wab = ca*cb/n. A caller that merges many pairs with the same
 * counts (all channels of one BatchNorm sample or block) computes them once;
 * simdnorm_moments_merge is exactly merge_with(a, b, weights(a.count,
 * b.count)), so the results are the same bits. */
typedef struct simdnorm_merge_weights {
    double n, wb, wab;
} simdnorm_merge_weights;

static inline simdnorm_merge_weights simdnorm_merge_weights_of(double ca, double cb)
{
    simdnorm_merge_weights w;
    w.n = ca + cb;
    w.wb = cb / w.n;
    w.wab = ca * cb / w.n;
    return w;
}

static inline simdnorm_moments simdnorm_moments_merge_with(simdnorm_moments a,
                                                           simdnorm_moments b,
                                                           simdnorm_merge_weights w)
{
    const double delta = b.mean - a.mean;
    simdnorm_moments m;
    m.count = w.n;
    m.mean = a.mean + delta * w.wb;
    m.m2 = a.m2 + b.m2 + delta * delta * w.wab;
    return m;
}

/* The canonical NaN for NaN, else v. Inline: BatchNorm calls it several
 * times per channel. */
static inline float simdnorm_canonical_nan(float v)
{
    if (v != v) {
        const uint32_t bits = SIMDNORM_CANONICAL_NAN_BITS;
        memcpy(&v, &bits, sizeof v);
    }
    return v;
}


/* The moments of one block x[0..n) (n <= SIMDNORM_BLOCK) from its fast sums
 * `fast` = f32_moments(n, x, shift) about shift = simdnorm_head_shift(n, x):
 * those sums when they meet the accuracy contract, else the retry about the
 * mean they found or the exact kernel - what simdnorm_span_moments gives a
 * one-block span, bit for bit. */
simdnorm_moments simdnorm_finish_block(const simdnorm_kernels *k, size_t n, const float *x,
                                       float shift, const double fast[2]);

/* Whether a fast sum of squares meets the contract (finite, no underflow
 * that matters); else simdnorm_span_sumsq takes the exact kernel. */
int simdnorm_fast_sumsq_ok(size_t n, double ss);

/* The accurate fallback for rows the float fast path cannot take (Inf/NaN
 * input, rstd not a normal float, values near FLT_MAX): for each i,
 * u = (float)(((double)x_i - mean) * rstd), then gamma/beta exactly as the
 * f32_normalize kernel applies them, NaN made canonical. Plain C compiled
 * once, so it is the same on every ISA. */
void simdnorm_normalize_slow(size_t n, const float *x, double mean, double rstd,
                             const float *gamma, const float *beta, float *y);

/* How one span (row, plane) is normalized, decided from its double mean and
 * var before any of it is written: the f32_normalize kernel's parameters
 * when the fast path is exact enough and safe from overflow, else the slow
 * path's double mean and rstd. rstd_f is the saved rstd (canonical NaN). */
typedef struct simdnorm_norm_plan {
    int fast;
    float shift, scale, offset;
    double mean, rstd;
    float rstd_f;
} simdnorm_norm_plan;

/* Inline, so that a group of short rows plans without a call per row. */
static inline simdnorm_norm_plan simdnorm_plan_normalize(size_t n, double mean, double var,
                                                         double eps)
{
    simdnorm_norm_plan p;
    p.mean = mean;
    p.rstd = 1.0 / sqrt(var + eps);
    const float rstd_f = (float)p.rstd;
    p.rstd_f = simdnorm_canonical_nan(rstd_f);
    /* Fast path: t = x - mean_hi cannot overflow (|mean| < 2^125 and every
     * |x - mean| <= sqrt(M2) < 2^125) and rstd is a normal float; the lost
     * low part of the mean is put back through the fma's addend:
     * u = t*rstd - mean_lo*rstd. */
    p.fast = fabs(mean) < 0x1p125 && var * (double)n < 0x1p250 && rstd_f >= FLT_MIN &&
             rstd_f <= FLT_MAX;
    p.shift = p.fast ? (float)mean : 0.0f;
    const float mean_lo = p.fast ? (float)(mean - (double)p.shift) : 0.0f;
    p.scale = rstd_f;
    p.offset = p.fast ? (float)(-(double)mean_lo * (double)rstd_f) : 0.0f;
    return p;
}
/* y = act(normalize(x)) with the plan: `normalize` (f32_normalize or, for
 * large outputs, f32_normalize_stream: the same bits) with the activation
 * fused, or the slow path followed by k's f32_activate in place (the
 * activation of the same float values, so the same bits). */
void simdnorm_apply_normalize(const simdnorm_kernels *k, simdnorm_f32_normalize_fn normalize,
                              const simdnorm_norm_plan *p, size_t n, const float *x,
                              const float *gamma, const float *beta, int act, float *y);

/* Above this many bytes of x + y a call writes y with streaming
 * (non-temporal) stores: DESIGN §6 measured them winning only when x + y
 * exceed ~24 MiB and losing badly below ~16 MiB. */
#define SIMDNORM_STREAM_BYTES ((size_t)24 << 20)

/* Normalize one span given its double mean and var (LayerNorm row,
 * BatchNorm plane): y = (x - mean) * rstd, gamma, beta. Picks the f32 fast
 * path when it is exact enough and safe from overflow, else the slow path.
 * Returns the float rstd = 1/sqrt(var + eps). */
float simdnorm_normalize_span(const simdnorm_kernels *k, size_t n, const float *x,
                              double mean, double var, double eps,
                              const float *gamma, const float *beta, float *y);

#endif /* SIMDNORM_INTERNAL_H */
