/* batch_norm.c - public entry points of BatchNorm (training and inference,
 * NCHW and NHWC): validate everything, then per channel a statistics pass
 * and a normalize pass through the active kernel table.
 *
 * Reduction order (the same on every ISA, thread count and split of the
 * batch by samples - the last for simdnorm_mpi): BatchNorm's sample tree
 * (internal.h, "BatchNorm's sample tree"; README "Across processes"). A
 * leaf is one sample's per-channel moments, computed from that sample
 * alone; the node over samples [j*2^k, (j+1)*2^k) Chan-merges its two
 * halves; bn_walk walks the samples in order with a stack of complete nodes
 * and right-folds the stack at the end. A batch of more than
 * SIMDNORM_BN_BLOCK (4096) samples is walked one block at a time
 * (bn_walk_blocks): each whole block's root goes to the sink, the exact
 * order-independent sum of the blocks (internal.h, "BatchNorm's blocks";
 * bn_binned.c), the short last block's root too, and the sink gives the
 * statistics (bn_batch_moments). The leaves:
 *  - NCHW (spatial > 1): the plane x[i][ch][0..spatial) through
 *    simdnorm_span_moments (f32_moments over blocks of SIMDNORM_BLOCK
 *    elements, each shifted by its first element, Chan-merged in order;
 *    one f32_moments_rows call for a chunk's planes when a plane is one
 *    block).
 *  - NHWC (spatial > 1): the sample's spatial rows in blocks of
 *    SIMDNORM_BLOCK rows counted from the sample's first row:
 *    f32_channel_moments accumulates every channel in double, sequentially
 *    down the rows, shifted by the block's first row (s1 += d,
 *    s2 = fma(d, d, s2)); simdnorm_block_moments gives the block's mean and
 *    M2; a sample's blocks are Chan-merged in row order.
 *  - 2-D (spatial == 1, either layout): the value itself, {x + 0, x - x};
 *    f32_bn_rows_nodes builds 8 rows' (or 2 rows') node in double vector
 *    lanes, f64_chan_merge the merges above it (the same operations).
 * Channels go in chunks of BN_CHUNK (fewer for very deep trees: the slots
 * live on the stack, BN_TREE_BYTES). NHWC training with several threads
 * splits the samples: each thread walks its range of the tree into its own
 * slots (a blocked batch: its whole blocks into its own sink) and the
 * ranges' nodes are folded in order on the calling thread, the sinks
 * merged (train_nhwc; if its scratch cannot be allocated, run_nhwc on one
 * thread, the same bits).
 *  Training reads x twice (statistics, then normalize) and writes y once;
 *  inference reads x once and writes y once. When x + y exceed
 *  BN_STREAM_BYTES the normalize uses the streaming kernels (non-temporal
 *  stores: y is not read for ownership; the same bits).
 *
 * Activation (the _ex functions): fused into the normalize kernels (y =
 * act(fmaf(...)), kernels.h); a slow channel gets it by f32_activate on
 * its float results, the same operation on the same values.
 *
 * Normalize: the shared statistics -> plan -> normalize path of internal.h
 * (stats.c), the one the row norms take, with its folded rule
 * (SIMDNORM_PLAN_FOLDED): per channel, from the channel's double mean and
 * rstd = 1/sqrt(var + eps), simdnorm_plan_from_stats gives
 *   shift = mean_hi = (float)mean, mean_lo = (float)(mean - mean_hi),
 *   scale = (float)(rstd*gamma) (rstd without gamma),
 *   offset = (float)(beta - mean_lo*scale) (beta absent: 0),
 * and the kernels compute y = fmaf(x - shift, scale, offset): gamma is
 * folded into the scale only, and the mean is NOT folded into the bias (the
 * fold x*scale + (beta - mean*scale) loses |mean|*2^-24*scale, 1.2e-4 at
 * mean 1000, std 1): x - mean_hi is exact or nearly so, and mean_lo goes in
 * through the fma's addend. NCHW normalizes each plane with
 * simdnorm_apply_normalize_ch (f32_normalize, gamma = beta = NULL, or the slow
 * path); NHWC calls f32_normalize_channels with the plans' per-channel
 * shift/scale/offset arrays. Inference has a float mean: mean_lo = 0.
 *
 * Slow path: a channel whose statistics are not finite (a NaN or Inf in it),
 * whose scale is not a normal float (0 is allowed: it is exact), whose
 * offset overflows (beta finite), or whose values may be too large for
 * x - mean_hi in float (training: simdnorm_moments_mag_ok, |mean| +
 * sqrt(M2) >= 2^126, which bounds every |x|; inference:
 * simdnorm_given_mean_mag_ok, |mean| >= 2^103, past which x - mean can
 * round to Inf for some finite x) goes, for that channel only, to the shared
 * slow path simdnorm_normalize_slow in its folded form: plain double C,
 * y = (float)(((double)x - mean)*rstd*gamma + beta), rounded once. NCHW
 * takes it plane by plane (contiguous), NHWC down the channel's column
 * (stride c): there the kernel first writes y = x for such a channel (a
 * slow plan's parameters are the identity, shift +0, scale 1, offset -0,
 * signed zeros included), so the slow pass can read x even in place.
 *
 * Saved and running statistics, per channel, in double, rounded once:
 * save_mean = mean, save_rstd = 1/sqrt(var_biased + eps) (the plan's
 * rstd_f), running = (1 - m)*running + m*batch with the unbiased variance
 * M2/(count - 1) (PyTorch). A channel with a NaN or Inf saves the plain
 * float64 mean of its elements (+-Inf or NaN, as the reference formula
 * gives), rstd NaN and y NaN (its plan keeps the moments' mean, so it is
 * slow), and its running statistics get what the formula gives. NaN outputs
 * are canonical. */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "fpenv.h"
#include "internal.h"

/* Channels per chunk: the per-channel scratch lives on the stack. */
#define BN_CHUNK 256

/* Above this many bytes of x + y the normalize uses the streaming kernels
 * (DESIGN §6: non-temporal stores win only when x + y exceed ~24 MiB), for
 * NCHW only with planes of at least BN_STREAM_MIN_RUN floats. A streaming
 * call fences at its end, once per plane here, and a short plane's partial
 * lines at both ends are stored plainly: 14x14 planes streamed ran 4x
 * slower than stored plainly, and without the fence still 2x (Zen 3 AVX2,
 * one thread, simdnorm-bench, ms, 64 / 1024 floats: (32,1024,14x14)
 * training 11.7-11.9 / 4.3-4.8, inference 9.2-9.6 / 2.1-2.3; /tmp/s21/bnf
 * throwaway, 28x28 inference 2.09-2.13 / 1.91-1.99; 56x56 and up stream as
 * before). */
#define BN_STREAM_BYTES SIMDNORM_STREAM_BYTES
#define BN_STREAM_MIN_RUN 1024

/* Below this many channels the NHWC normalize views R consecutive rows as
 * one row of c*R >= BN_NARROW channels (the per-channel arrays repeated R
 * times), so the kernel's vectors are full; per element nothing changes. */
#define BN_NARROW 64

typedef struct bn_call {
    int train, nhwc, stream, act;
    size_t n, c, spatial;
    const float *x, *gamma, *beta;
    const float *mean, *var; /* inference */
    double eps, momentum;
    float *running_mean, *running_var, *y, *save_mean, *save_rstd;
    const simdnorm_moments *given; /* training from given moments, else NULL */
    int storage; /* x and y: 0 float32; 16-bit (the twins): 1 bf16, 2 f16 */
} bn_call;

/* ---- the statistics: the sample tree (internal.h) -------------------------- */

/* The tree slots (means and M2s of a chunk's channels) live on the stack,
 * at most this many bytes: chunks get narrower for very deep trees. */
#define BN_TREE_BYTES (48u << 10)

/* Channels per statistics chunk for a tree of `height` slots. */
static size_t tree_chunk(size_t height)
{
    const size_t cw = BN_TREE_BYTES / (height * 2 * sizeof(double));
    return cw < BN_CHUNK ? (cw ? cw : 1) : BN_CHUNK;
}

/* A leaf holding a NaN or Inf: its mean becomes the plain float64 mean of
 * its len elements (x[i*stride]: +-Inf or NaN), its M2 NaN (the tree's
 * non-finite rule). */
static void leaf_nonfinite(const float *x, size_t len, size_t stride, double *mean, double *m2)
{
    double sum = 0.0;
    for (size_t r = 0; r < len; r++)
        sum += x[r * stride];
    *mean = sum / (double)len;
    *m2 = NAN;
}

/* ---- x of either storage (bn_call.x holds 16-bit elements when
 * a->storage): the NHWC walk's accesses at element offsets ---------------- */

/* leaf_nonfinite of the len elements x[off + r*stride]. */
static void leaf_nonfinite_at(const bn_call *a, size_t off, size_t len, size_t stride,
                              double *mean, double *m2)
{
    if (!a->storage) {
        leaf_nonfinite(a->x + off, len, stride, mean, m2);
        return;
    }
    *mean = simdnorm_half_sum(a->storage, len, (const uint16_t *)(const void *)a->x + off,
                              stride) /
            (double)len;
    *m2 = NAN;
}

/* The walk over the n samples of x (global sample index g0 + i) for the
 * channels [c0, c0 + cw), cw <= BN_CHUNK: each sample's leaf, pushed and
 * merged (internal.h); on return t holds the range's maximal nodes, slot d
 * at mean + d*cw and m2 + d*cw (simdnorm_tree_height(g0, n) slots).
 * Leaves: NCHW the plane's simdnorm_span_moments (one f32_moments_rows call
 * for the chunk's planes of a sample when a plane is one block, finished
 * as simdnorm_span_moments finishes it); NHWC the sample's spatial rows,
 * blocks of SIMDNORM_BLOCK rows from the sample's first row by
 * f32_channel_moments (several samples' single blocks in one call when a
 * sample is shorter than a block), simdnorm_block_moments, Chan-merged in
 * row order; spatial 1 (2-D) the value itself, {1, x + 0, x - x} - what
 * f32_channel_moments and simdnorm_block_moments give one row (+0 sums, a
 * -0 mean made +0; NaN sums for a NaN or Inf). */
/* Planes of at least this many elements of a call from memory (a->stream:
 * x + y beyond BN_STREAM_BYTES) take their fast sums in order, plane by
 * plane (f32_moments_seq: f32_moments_rows' bits), not interleaved
 * (reduce.h): the interleaved rounds' reads defeat the prefetchers. */
#define BN_SEQ_MIN_PLANE 512

static void planes_moments_seq(const simdnorm_kernels *k, size_t cw, size_t sp, const float *x,
                               const float *shift, double *s1, double *s2)
{
    for (size_t j = 0; j < cw; j++) {
        double o[2];
        k->f32_moments_seq(sp, x + j * sp, shift[j], o);
        s1[j] = o[0];
        s2[j] = o[1];
    }
}

/* The leaves of the cw consecutive 16-bit NCHW planes at x + off
 * (a->spatial elements each) into lm/lq, read in 16 bits by the storage's
 * moments kernels: bn_walk's float leaves (simdnorm_head_shift, one
 * <s>_moments_rows call for planes of one block - per plane <s>_moments_seq
 * from memory - and simdnorm_finish_block; simdnorm_span_moments for longer
 * planes; the non-finite rule's plain mean) in their 16-bit forms, the
 * same bits as the float32 call on the widened tensor. */
static void half_planes_leaves(const simdnorm_kernels *k, const bn_call *a, size_t off, size_t cw,
                               double *lm, double *lq)
{
    const size_t sp = a->spatial;
    const int st = a->storage;
    const uint16_t *x = (const uint16_t *)(const void *)a->x + off;
    float buf[SIMDNORM_BLOCK]; /* a block that needs the float slow sums */
    if (sp > SIMDNORM_BLOCK) {
        for (size_t j = 0; j < cw; j++) {
            const simdnorm_moments pm =
                simdnorm_span_moments_half(k, st, sp, x + j * sp, a->stream, buf);
            lm[j] = pm.mean;
            lq[j] = pm.m2;
        }
    } else {
        float shift[BN_CHUNK];
        double s1[BN_CHUNK], s2[BN_CHUNK];
        for (size_t j = 0; j < cw; j++)
            shift[j] = simdnorm_head_shift_half(k, st, sp, x + j * sp);
        if (a->stream && sp >= BN_SEQ_MIN_PLANE) {
            for (size_t j = 0; j < cw; j++) {
                double o[2];
                (st == 1 ? k->bf16_moments_seq : k->f16_moments_seq)(sp, x + j * sp, shift[j], o);
                s1[j] = o[0];
                s2[j] = o[1];
            }
        } else {
            (st == 1 ? k->bf16_moments_rows : k->f16_moments_rows)(cw, sp, x, sp, shift, s1, s2);
        }
        for (size_t j = 0; j < cw; j++) {
            const double sums[2] = {s1[j], s2[j]};
            const simdnorm_moments pm =
                simdnorm_finish_block_half(k, st, sp, x + j * sp, shift[j], sums, buf);
            lm[j] = pm.mean;
            lq[j] = pm.m2;
        }
    }
    for (size_t j = 0; j < cw; j++)
        if (!(isfinite(lm[j]) && isfinite(lq[j]))) { /* leaf_nonfinite's rule */
            lm[j] = simdnorm_half_sum(st, sp, x + j * sp, 1) / (double)sp;
            lq[j] = NAN;
        }
}

static void bn_walk(const simdnorm_kernels *k, const bn_call *a, size_t c0, size_t cw, size_t g0,
                    simdnorm_tree *t, double *mean, double *m2, int rule)
{
    const size_t n = a->n, c = a->c, sp = a->spatial;
    const double spd = (double)sp;
    float shift[BN_CHUNK];
    double s1[BN_CHUNK], s2[BN_CHUNK];
    t->top = 0;
    for (size_t i = 0; i < n;) {
        const size_t gi = g0 + i;
        if (a->nhwc && sp == 1 && !rule && (gi & 1) == 0 && n - i >= 2) {
            /* 2-D: 8 rows starting on a multiple of 8 (else 2 rows on an
             * even index) become their tree node (level 3, else 1) in
             * registers (f32_bn_rows_nodes: the leaves {x + 0, x - x} and
             * simdnorm_bn_merge_slots_finite's operations, node by node) */
            const unsigned lev = (gi & 7) == 0 && n - i >= 8 ? 3 : 1;
            size_t d = t->top;
            if (a->storage) { /* the rows widened on the stack (exact) */
                float rows[8 * BN_CHUNK];
                for (size_t r = 0; r < ((size_t)1 << lev); r++)
                    simdnorm_half_widen_k(k, a->storage, cw,
                                          (const uint16_t *)(const void *)a->x + (i + r) * c + c0,
                                          rows + r * cw);
                k->f32_bn_rows_nodes(lev, cw, rows, cw, mean + d * cw, m2 + d * cw);
            } else {
                k->f32_bn_rows_nodes(lev, cw, a->x + i * c + c0, c, mean + d * cw, m2 + d * cw);
            }
            unsigned lv = lev;
            for (unsigned mrg = simdnorm_tree_push(t, gi, lev); mrg > 0; mrg--, d--, lv++) {
                const double cn = simdnorm_tree_count(lv, spd);
                simdnorm_bn_merge_slots_finite(k, cw, cn, cn, mean + (d - 1) * cw,
                                               m2 + (d - 1) * cw, mean + d * cw, m2 + d * cw);
            }
            i += (size_t)1 << lev;
            continue;
        }
        size_t cnt = 1; /* samples whose leaves the kernel gave now */
        if (a->nhwc && sp > 1 && sp < SIMDNORM_BLOCK) {
            cnt = BN_CHUNK / cw < n - i ? BN_CHUNK / cw : n - i;
            simdnorm_channel_moments_st(k, a->storage, sp, cw, a->x, i * sp * c + c0, c, cnt,
                                        sp * c, s1, s2);
        }
        for (size_t g = 0; g < cnt; g++, i++) {
            size_t d = t->top;
            double *lm = mean + d * cw, *lq = m2 + d * cw;
            if (a->nhwc) {
                const size_t xs = i * sp * c + c0; /* the sample's first row (offset) */
                if (sp == 1) {
                    for (size_t j = 0; j < cw; j++) {
                        const double v = (double)simdnorm_st_get(a->storage, a->x, xs + j);
                        lm[j] = v + 0.0;
                        lq[j] = v - v;
                    }
                } else if (sp < SIMDNORM_BLOCK) {
                    for (size_t j = 0; j < cw; j++) {
                        const simdnorm_moments bm = simdnorm_block_moments(
                            sp, simdnorm_st_get(a->storage, a->x, xs + j), s1[g * cw + j], s2[g * cw + j]);
                        lm[j] = bm.mean;
                        lq[j] = bm.m2;
                    }
                } else {
                    const size_t gmax = BN_CHUNK / cw, nfull = sp / SIMDNORM_BLOCK;
                    for (size_t r0 = 0; r0 < sp;) {
                        size_t groups = 1, len = sp - r0;
                        if (r0 / SIMDNORM_BLOCK < nfull) {
                            len = SIMDNORM_BLOCK;
                            groups = nfull - r0 / SIMDNORM_BLOCK;
                            if (groups > gmax)
                                groups = gmax;
                        }
                        const size_t xb = xs + r0 * c;
                        simdnorm_channel_moments_st(k, a->storage, len, cw, a->x, xb, c, groups,
                                                    SIMDNORM_BLOCK * c, s1, s2);
                        for (size_t b = 0; b < groups; b++, r0 += len) {
                            const size_t xg = xb + b * SIMDNORM_BLOCK * c;
                            /* every channel merges r0 and len rows here */
                            const simdnorm_merge_weights w =
                                simdnorm_merge_weights_of((double)r0, (double)len);
                            for (size_t j = 0; j < cw; j++) {
                                const simdnorm_moments bm = simdnorm_block_moments(
                                    len, simdnorm_st_get(a->storage, a->x, xg + j), s1[b * cw + j], s2[b * cw + j]);
                                if (r0 == 0) {
                                    lm[j] = bm.mean;
                                    lq[j] = bm.m2;
                                } else {
                                    const simdnorm_moments acc = {(double)r0, lm[j], lq[j]};
                                    const simdnorm_moments r =
                                        simdnorm_moments_merge_with(acc, bm, w);
                                    lm[j] = r.mean;
                                    lq[j] = r.m2;
                                }
                            }
                        }
                    }
                }
                if (sp > 1)
                    for (size_t j = 0; j < cw; j++)
                        if (!(isfinite(lm[j]) && isfinite(lq[j])))
                            leaf_nonfinite_at(a, xs + j, sp, c, &lm[j], &lq[j]);
            } else if (a->storage) {
                half_planes_leaves(k, a, (i * c + c0) * sp, cw, lm, lq);
            } else {
                const float *xi = a->x + (i * c + c0) * sp;
                if (sp <= SIMDNORM_BLOCK) {
                    /* The chunk's planes of sample i are cw rows of sp
                     * elements: one f32_moments_rows call gives each plane
                     * bit for bit the fast sums simdnorm_span_moments would
                     * take, and simdnorm_finish_block finishes them as it
                     * would. */
                    for (size_t j = 0; j < cw; j++)
                        shift[j] = simdnorm_head_shift(sp, xi + j * sp);
                    if (a->stream && sp >= BN_SEQ_MIN_PLANE)
                        planes_moments_seq(k, cw, sp, xi, shift, s1, s2);
                    else
                        k->f32_moments_rows(cw, sp, xi, sp, shift, s1, s2);
                    for (size_t j = 0; j < cw; j++) {
                        const double s[2] = {s1[j], s2[j]};
                        const simdnorm_moments pm =
                            simdnorm_finish_block(k, sp, xi + j * sp, shift[j], s);
                        lm[j] = pm.mean;
                        lq[j] = pm.m2;
                    }
                } else {
                    for (size_t j = 0; j < cw; j++) {
                        const simdnorm_moments pm =
                            a->stream ? simdnorm_span_moments_mem(k, sp, xi + j * sp)
                                      : simdnorm_span_moments(k, sp, xi + j * sp);
                        lm[j] = pm.mean;
                        lq[j] = pm.m2;
                    }
                }
                for (size_t j = 0; j < cw; j++)
                    if (!(isfinite(lm[j]) && isfinite(lq[j])))
                        leaf_nonfinite(xi + j * sp, sp, 1, &lm[j], &lq[j]);
            }
            unsigned lv = 0;
            for (unsigned mrg = simdnorm_tree_push(t, g0 + i, 0); mrg > 0; mrg--, d--, lv++) {
                const double cn = simdnorm_tree_count(lv, spd);
                if (rule)
                    simdnorm_bn_merge_slots(cw, cn, cn, mean + (d - 1) * cw, m2 + (d - 1) * cw,
                                            mean + d * cw, m2 + d * cw);
                else
                    simdnorm_bn_merge_slots_finite(k, cw, cn, cn, mean + (d - 1) * cw,
                                                   m2 + (d - 1) * cw, mean + d * cw, m2 + d * cw);
            }
        }
    }
    if (rule)
        return;
    /* A channel with a NaN or Inf (a NaN M2 in some node): walked again
     * alone with the non-finite rule, whose finite merges are the same
     * operations. */
    for (size_t j = 0; j < cw; j++) {
        int bad = 0;
        for (size_t d = 0; d < t->top; d++)
            bad |= m2[d * cw + j] != m2[d * cw + j];
        if (!bad)
            continue;
        double rm[SIMDNORM_TREE_MAX], rq[SIMDNORM_TREE_MAX];
        simdnorm_tree t1;
        bn_walk(k, a, c0 + j, 1, g0, &t1, rm, rq, 1);
        for (size_t d = 0; d < t->top; d++) {
            mean[d * cw + j] = rm[d];
            m2[d * cw + j] = rq[d];
        }
    }
}

/* Samples [s0, s0 + len) of a as a call of their own (x from sample s0). */
static bn_call bn_piece(const bn_call *a, size_t s0, size_t len)
{
    bn_call sub = *a;
    sub.n = len;
    sub.x = (const float *)(const void *)((const char *)a->x +
                                          s0 * a->spatial * a->c * (a->storage ? 2 : sizeof(float)));
    return sub;
}

/* The walk of a's samples [0, a->n) (global indices from g0) for channels
 * [c0, c0 + cw), in the blocks of a batch of n_total samples (internal.h,
 * "BatchNorm's blocks"): one walk per piece of the range that lies in one
 * block. A blocked batch's whole blocks go to sink[0, cw); the other
 * pieces' nodes stay in slots mean/m2 + d*cw (d < the count returned;
 * descriptors in first/level). Slots: simdnorm_tree_height(g0, a->n). */
static size_t bn_walk_blocks(const simdnorm_kernels *k, const bn_call *a, size_t c0, size_t cw,
                             size_t g0, size_t n_total, simdnorm_bn_sink *sink, double *mean,
                             double *m2, size_t *first, unsigned char *level)
{
    const int blocked = simdnorm_bn_blocked(n_total);
    const double block_count = (double)SIMDNORM_BN_BLOCK * (double)a->spatial;
    size_t nodes = 0;
    for (size_t s0 = 0; s0 < a->n;) {
        const size_t g = g0 + s0;
        size_t len = a->n - s0;
        if (blocked && SIMDNORM_BN_BLOCK - g % SIMDNORM_BN_BLOCK < len)
            len = SIMDNORM_BN_BLOCK - g % SIMDNORM_BN_BLOCK;
        const bn_call sub = bn_piece(a, s0, len);
        simdnorm_tree t;
        bn_walk(k, &sub, c0, cw, g, &t, mean + nodes * cw, m2 + nodes * cw, 0);
        if (blocked && len == SIMDNORM_BN_BLOCK) { /* a whole block: its root */
            simdnorm_bn_sink_add(cw, sink, block_count, mean + nodes * cw, m2 + nodes * cw);
        } else {
            for (size_t d = 0; d < t.top; d++) {
                first[nodes + d] = t.first[d];
                level[nodes + d] = t.level[d];
            }
            nodes += t.top;
        }
        s0 += len;
    }
    return nodes;
}

/* The batch moments of channels [c0, c0 + cw) (cw <= tree_chunk of the
 * height from 0) into mean/m2 [cw]: the tree's root, or for a blocked
 * batch the sink of its blocks (the short last block's nodes folded to its
 * root first). */
static void bn_batch_moments(const simdnorm_kernels *k, const bn_call *a, size_t c0, size_t cw,
                             double *rmean, double *rm2)
{
    double buf[BN_TREE_BYTES / sizeof(double)];
    size_t first[SIMDNORM_TREE_MAX];
    unsigned char level[SIMDNORM_TREE_MAX];
    const size_t h = simdnorm_tree_height(0, a->n);
    double *mean = buf, *m2 = buf + h * cw;
    const int blocked = simdnorm_bn_blocked(a->n);
    simdnorm_bn_sink sink[BN_CHUNK];
    if (blocked)
        simdnorm_bn_sink_clear(cw, sink);
    const size_t nodes = bn_walk_blocks(k, a, c0, cw, 0, a->n, sink, mean, m2, first, level);
    simdnorm_tree t; /* what the walk left: the last block's nodes */
    t.top = nodes;
    memcpy(t.level, level, nodes);
    memcpy(t.first, first, nodes * sizeof *first);
    const double sp = (double)a->spatial;
    simdnorm_bn_fold_slots(&t, cw, sp, mean, m2);
    if (blocked) {
        if (nodes)
            simdnorm_bn_sink_add(cw, sink, (double)(a->n - first[0]) * sp, mean, m2);
        simdnorm_bn_sink_moments(cw, sink, (double)a->n * sp, rmean, rm2);
    } else {
        memcpy(rmean, mean, cw * sizeof *rmean);
        memcpy(rm2, m2, cw * sizeof *rm2);
    }
}

/* The batch moments of channels [c0, c0 + cw) into acc (or the given
 * moments). */
static void chunk_moments(const simdnorm_kernels *k, const bn_call *a, size_t c0, size_t cw,
                          simdnorm_moments *acc)
{
    if (a->given) {
        memcpy(acc, a->given + c0, cw * sizeof *acc);
        return;
    }
    double mean[BN_CHUNK], m2[BN_CHUNK];
    bn_batch_moments(k, a, c0, cw, mean, m2);
    const double count = (double)a->n * (double)a->spatial;
    for (size_t j = 0; j < cw; j++) {
        acc[j].count = count;
        acc[j].mean = mean[j];
        acc[j].m2 = m2[j];
    }
}

/* Channels per chunk of a training call: BN_CHUNK, fewer when the tree's
 * slots would not fit BN_TREE_BYTES (given moments: no tree). */
static size_t train_chunk(const bn_call *a)
{
    return a->train && !a->given ? tree_chunk(simdnorm_tree_height(0, a->n)) : BN_CHUNK;
}

/* Training: the plan of a channel from its moments (internal.h, folded
 * rule); no side effect, so a slow channel's plan can be taken again. */
static inline __attribute__((always_inline)) simdnorm_norm_plan
train_plan(const bn_call *a, size_t ch, simdnorm_moments m)
{
    const int finite = isfinite(m.mean) && isfinite(m.m2);
    const double var = finite ? m.m2 / m.count : NAN;
    return simdnorm_plan_from_stats(SIMDNORM_PLAN_FOLDED, simdnorm_moments_mag_ok(m.mean, m.m2),
                                    m.mean, 1.0 / sqrt(var + a->eps), a->gamma, a->beta, ch);
}

/* Training: from a channel's moments, its saved and running statistics and
 * its plan (internal.h, folded rule). A non-finite channel's moments carry
 * the plain float64 mean (the tree's non-finite rule), saved as is. */
static inline __attribute__((always_inline)) simdnorm_norm_plan
train_channel(const bn_call *a, size_t ch, simdnorm_moments m)
{
    const int finite = isfinite(m.mean) && isfinite(m.m2);
    const double mean = m.mean;
    const simdnorm_norm_plan p = train_plan(a, ch, m);
    if (a->save_mean)
        a->save_mean[ch] = simdnorm_canonical_nan((float)mean);
    if (a->save_rstd)
        a->save_rstd[ch] = p.rstd_f;
    if (a->running_mean) {
        const double mom = a->momentum;
        const double unbiased = finite ? m.m2 / (m.count - 1.0) : NAN;
        a->running_mean[ch] = simdnorm_canonical_nan(
            (float)((1.0 - mom) * (double)a->running_mean[ch] + mom * mean));
        a->running_var[ch] = simdnorm_canonical_nan(
            (float)((1.0 - mom) * (double)a->running_var[ch] + mom * unbiased));
    }
    return p;
}

/* Inference: the plan of a channel from the given stats. */
static inline __attribute__((always_inline)) simdnorm_norm_plan
infer_channel(const bn_call *a, size_t ch)
{
    const double rstd = 1.0 / sqrt((double)a->var[ch] + a->eps);
    return simdnorm_plan_from_stats(SIMDNORM_PLAN_FOLDED | SIMDNORM_PLAN_NO_RSTD_F,
                                    simdnorm_given_mean_mag_ok(a->mean[ch]),
                                    (double)a->mean[ch], rstd, a->gamma, a->beta, ch);
}

/* ---- NCHW: chunks of channels, planes in memory order -------------------- */

/* Both passes go through memory in order (sample by sample, the chunk's
 * planes of each sample one after the other): on the machine of DESIGN §6
 * the statistics of one channel at a time (its planes a whole sample apart)
 * read memory at half the speed, which costs more than a second read from
 * memory saves. The statistics: chunk_moments (the sample tree). */
static void run_nchw(const simdnorm_kernels *k, const bn_call *a, size_t cb, size_t ce)
{
    const size_t n = a->n, c = a->c, sp = a->spatial;
    const int stream = a->stream && sp >= BN_STREAM_MIN_RUN;
    const simdnorm_f32_normalize_fn normalize =
        stream ? k->f32_normalize_stream : k->f32_normalize;
    simdnorm_moments acc[BN_CHUNK];
    simdnorm_norm_plan p[BN_CHUNK];
    const size_t chunk = train_chunk(a);
    for (size_t c0 = cb; c0 < ce; c0 += chunk) {
        const size_t cw = ce - c0 < chunk ? ce - c0 : chunk;
        if (a->train)
            chunk_moments(k, a, c0, cw, acc);
        for (size_t j = 0; j < cw; j++)
            p[j] = a->train ? train_channel(a, c0 + j, acc[j]) : infer_channel(a, c0 + j);
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < cw; j++) {
                const size_t off = (i * c + c0 + j) * sp;
                if (a->storage) /* 16 bits in and out */
                    simdnorm_apply_normalize_ch_half(
                        k, a->storage, stream, &p[j], sp, (const uint16_t *)(const void *)a->x + off,
                        a->gamma, a->beta, c0 + j, a->act, (uint16_t *)(void *)a->y + off, NULL);
                else
                    simdnorm_apply_normalize_ch(k, normalize, &p[j], sp, a->x + off, a->gamma,
                                                a->beta, c0 + j, a->act, a->y + off, NULL);
            }
    }
}

/* ---- NHWC (and 2-D): chunks of channels, blocks of rows ------------------ */

/* y = act(f(x)) for the channels [c0, c0+cw) of every row with the kernel;
 * the arrays have BN_CHUNK entries, of which the first cw are set. */
static void nhwc_normalize_chunk(const simdnorm_kernels *k, const bn_call *a, size_t c0,
                                 size_t cw, float *shift, float *scale, float *offset,
                                 int act)
{
    const size_t rows = a->n * a->spatial, c = a->c;
    simdnorm_normalize_channels_rows(k, a->storage, a->stream, rows, c, c0, cw, a->x, a->y,
                                     shift, scale, offset, act, BN_NARROW, BN_CHUNK);
}

/* The slow channels of a chunk, after the kernel wrote y = x there: the
 * shared slow path down each channel's column (stride c). */
static void nhwc_slow_channels(const bn_call *a, size_t c0, size_t cw,
                               const simdnorm_norm_plan *p)
{
    const size_t rows = a->n * a->spatial, c = a->c;
    for (size_t j = 0; j < cw; j++) {
        if (p[j].fast)
            continue;
        const size_t ch = c0 + j;
        simdnorm_normalize_slow(&p[j], rows, a->x + ch, c, a->gamma, a->beta, ch, a->y + ch,
                                c);
    }
}

/* y = act(y) for the channels [c0, c0+cw) of every row. */
static void nhwc_activate_chunk(const simdnorm_kernels *k, const bn_call *a, size_t c0,
                                size_t cw)
{
    const size_t rows = a->n * a->spatial, c = a->c;
    if (cw == c) {
        k->f32_activate(rows * c, a->y, a->act, a->y);
        return;
    }
    for (size_t r = 0; r < rows; r++)
        k->f32_activate(cw, a->y + r * c + c0, a->act, a->y + r * c + c0);
}

/* Rows per block of nhwc_half_slow_chunk (a block's slow columns, widened,
 * live on the stack: BN_SLOW_ROWS * BN_CHUNK floats, 16 KiB). */
#define BN_SLOW_ROWS 16

/* A 16-bit call's NHWC normalize of channels [c0, c0 + cw) when some of
 * them are slow (plans p; shift/scale/offset the kernel's arrays, the
 * identity for a slow channel): in blocks of BN_SLOW_ROWS rows, the slow
 * channels' x widened into a float block on the stack, the 16-bit kernel
 * over all cw channels with the activation fused (a slow lane's y is
 * overwritten next), then each slow channel from its widened x through the
 * slow path and f32_activate, narrowed into y once. The float32 call's
 * values: its kernel writes the fast channels without the activation and
 * activates float y in a pass of its own (the same float operations). */
static void nhwc_half_slow_chunk(const simdnorm_kernels *k, const bn_call *a, size_t c0,
                                 size_t cw, const float *shift, const float *scale,
                                 const float *offset, const simdnorm_norm_plan *p)
{
    const size_t rows = a->n * a->spatial, c = a->c;
    size_t slow[BN_CHUNK], ns = 0;
    for (size_t j = 0; j < cw; j++)
        if (!p[j].fast)
            slow[ns++] = j;
    float col[BN_SLOW_ROWS * BN_CHUNK];
    for (size_t r0 = 0; r0 < rows; r0 += BN_SLOW_ROWS) {
        const size_t rn = rows - r0 < BN_SLOW_ROWS ? rows - r0 : BN_SLOW_ROWS;
        for (size_t q = 0; q < ns; q++)
            for (size_t r = 0; r < rn; r++)
                col[q * BN_SLOW_ROWS + r] =
                    simdnorm_half_at(a->storage, a->x, (r0 + r) * c + c0 + slow[q]);
        simdnorm_normalize_channels_st(k, a->storage, a->stream, rn, cw, a->x, a->y,
                                       r0 * c + c0, c, shift, scale, offset, a->act);
        for (size_t q = 0; q < ns; q++) {
            const size_t j = slow[q];
            float *v = col + q * BN_SLOW_ROWS;
            simdnorm_normalize_slow(&p[j], rn, v, 1, a->gamma, a->beta, c0 + j, v, 1);
            if (a->act != SIMDNORM_ACT_NONE)
                k->f32_activate(rn, v, a->act, v);
            for (size_t r = 0; r < rn; r++)
                simdnorm_half_put(a->storage, a->y, (r0 + r) * c + c0 + j, v[r]);
        }
    }
}

static void run_nhwc(const simdnorm_kernels *k, const bn_call *a, size_t cb, size_t ce)
{
    simdnorm_moments acc[BN_CHUNK];
    simdnorm_norm_plan p[BN_CHUNK];
    float shift[BN_CHUNK], scale[BN_CHUNK], offset[BN_CHUNK];
    const size_t chunk = train_chunk(a);
    for (size_t c0 = cb; c0 < ce; c0 += chunk) {
        const size_t cw = ce - c0 < chunk ? ce - c0 : chunk;
        int any_slow = 0;
        if (a->train)
            chunk_moments(k, a, c0, cw, acc);
        for (size_t j = 0; j < cw; j++) {
            p[j] = a->train ? train_channel(a, c0 + j, acc[j]) : infer_channel(a, c0 + j);
            shift[j] = p[j].shift;
            scale[j] = p[j].scale;
            offset[j] = p[j].offset;
            any_slow |= !p[j].fast;
        }
        if (any_slow && a->storage) {
            nhwc_half_slow_chunk(k, a, c0, cw, shift, scale, offset, p);
            continue;
        }
        /* A slow channel is computed after the kernel wrote y = x there (so
         * the slow pass can read x in place); the activation then runs as a
         * pass of its own over the chunk, on the same float values. */
        nhwc_normalize_chunk(k, a, c0, cw, shift, scale, offset,
                             any_slow ? SIMDNORM_ACT_NONE : a->act);
        if (any_slow) {
            nhwc_slow_channels(a, c0, cw, p);
            if (a->act != SIMDNORM_ACT_NONE)
                nhwc_activate_chunk(k, a, c0, cw);
        }
    }
}

/* ---- NHWC training: samples (or channels) over threads ------------------
 * The statistics pass splits the samples into one contiguous range per
 * thread: each thread walks its range (bn_walk from the range's first
 * global index) and keeps the maximal aligned nodes it ends with, all
 * channels; the calling thread pushes every thread's nodes in sample order
 * onto one stack and folds (simdnorm_bn_fold_node_moments) - the tree's
 * own merges, so the bits do not depend on the thread count (the MPI
 * library reduces its ranks the same way). With fewer samples than
 * threads the channels are cut into units of BN_NHWC_UNIT instead (each
 * thread walks all samples of its channels). The normalize pass splits the
 * rows: every thread normalizes all channels of its rows. */

/* Channels of one statistics unit when samples are too few for the threads. */
#define BN_NHWC_UNIT 128

/* Scratch up to this many bytes lives on the stack, more is malloc'ed. */
#define BN_STACK_SCRATCH (16u << 10)

typedef struct nhwc_train {
    const simdnorm_kernels *k;
    const bn_call *a;
    size_t rows;
    size_t rep;             /* normalize: rows seen as one wide row (1: none) */
    size_t nt;              /* sample split: its ranges; 0: channel units */
    size_t *base, *count;   /* sample split: range r's first node slot, its nodes */
    size_t *first;          /* node descriptors, at base[r] + k */
    unsigned char *level;
    double *mean, *m2;      /* channel moments [c]; sample split: nodes [slot][c] */
    simdnorm_bn_sink *sink; /* sample split of a blocked batch: range r's at [r*c] */
    float *shift, *scale, *offset; /* per channel, repeated rep times */
    int act;
} nhwc_train;

/* Sample split: ranges [r0, r1), range r = samples [r*n/nt, (r+1)*n/nt). */
static void nhwc_stats_samples(void *ctx, size_t r0, size_t r1)
{
    const nhwc_train *t = ctx;
    const bn_call *a = t->a;
    const size_t c = a->c;
    double buf[BN_TREE_BYTES / sizeof(double)];
    for (size_t r = r0; r < r1; r++) {
        const size_t i0 = r * a->n / t->nt, i1 = (r + 1) * a->n / t->nt;
        bn_call sub = *a;
        sub.n = i1 - i0;
        /* the range's first sample, in elements of the storage */
        sub.x = (const float *)(const void *)((const char *)a->x +
                                              i0 * a->spatial * c * (a->storage ? 2 : sizeof(float)));
        const size_t h = simdnorm_tree_height(i0, sub.n), chunk = tree_chunk(h);
        simdnorm_bn_sink *sink = t->sink ? t->sink + r * c : NULL;
        if (sink)
            simdnorm_bn_sink_clear(c, sink);
        size_t nodes = 0;
        for (size_t c0 = 0; c0 < c; c0 += chunk) {
            const size_t cw = c - c0 < chunk ? c - c0 : chunk;
            nodes = bn_walk_blocks(t->k, &sub, c0, cw, i0, a->n, sink ? sink + c0 : NULL, buf,
                                   buf + h * cw, t->first + t->base[r], t->level + t->base[r]);
            for (size_t d = 0; d < nodes; d++)
                for (size_t j = 0; j < cw; j++) {
                    t->mean[(t->base[r] + d) * c + c0 + j] = buf[d * cw + j];
                    t->m2[(t->base[r] + d) * c + c0 + j] = buf[(h + d) * cw + j];
                }
        }
        t->count[r] = nodes;
    }
}

/* Channel split: units [u0, u1) of BN_NHWC_UNIT channels, each channel's
 * moments (chunk_moments) into mean/m2 [c]; units (0, 0): all channels on
 * this thread, in chunks as wide as the tree allows (no unit boundary). */
static void nhwc_stats_units(void *ctx, size_t u0, size_t u1)
{
    const nhwc_train *t = ctx;
    const bn_call *a = t->a;
    const size_t c = a->c, chunk = train_chunk(a);
    simdnorm_moments acc[BN_CHUNK];
    const size_t ce = u1 == 0 ? c : u1 * BN_NHWC_UNIT < c ? u1 * BN_NHWC_UNIT : c;
    for (size_t c0 = u0 * BN_NHWC_UNIT; c0 < ce; c0 += chunk) {
        const size_t cw = ce - c0 < chunk ? ce - c0 : chunk;
        chunk_moments(t->k, a, c0, cw, acc);
        for (size_t j = 0; j < cw; j++) {
            t->mean[c0 + j] = acc[j].mean;
            t->m2[c0 + j] = acc[j].m2;
        }
    }
}

/* Normalize parts [p0, p1): rows [p0*rep, min(p1*rep, rows)), all
 * channels; rep rows at a time as one wide row when rep > 1. */
static void nhwc_normalize_range(void *ctx, size_t p0, size_t p1)
{
    const nhwc_train *t = ctx;
    const bn_call *a = t->a;
    const size_t c = a->c;
    const size_t r0 = p0 * t->rep, r1 = p1 * t->rep < t->rows ? p1 * t->rep : t->rows;
    size_t done = r0;
    if (t->rep > 1) {
        const size_t wide_rows = (r1 - r0) / t->rep, wide = c * t->rep;
        if (wide_rows)
            simdnorm_normalize_channels_st(t->k, a->storage, a->stream, wide_rows, wide, a->x,
                                           a->y, r0 * c, wide, t->shift, t->scale, t->offset,
                                           t->act);
        done += wide_rows * t->rep;
    }
    if (done < r1)
        simdnorm_normalize_channels_st(t->k, a->storage, a->stream, r1 - done, c, a->x, a->y,
                                       done * c, c, t->shift, t->scale, t->offset, t->act);
}

/* Channel ch's moments in train_nhwc's scratch (or the given ones' count). */
static simdnorm_moments nhwc_moments(const nhwc_train *t, size_t ch)
{
    const bn_call *a = t->a;
    const simdnorm_moments m = {a->given ? a->given[ch].count : (double)t->rows, t->mean[ch],
                                t->m2[ch]};
    return m;
}

/* Training, NHWC, and inference of rows wider than a chunk (run()): 0 if
 * the scratch could not be allocated (the caller then takes run_nhwc, the
 * same bits on one thread). Inference takes no statistics: each channel's
 * plan is infer_channel's, and the normalize is the same pass over whole
 * rows. */
static int train_nhwc(const simdnorm_kernels *k, const bn_call *a, size_t bytes)
{
    const size_t rows = a->n * a->spatial, c = a->c;
    const int infer = !a->train;
    nhwc_train t = {k, a, rows, 1, 0, NULL, NULL, NULL, NULL, NULL, NULL,
                    NULL, NULL, NULL, NULL, a->act};
    /* threads: by samples, or by units of channels when the samples are
     * fewer than the threads */
    const size_t units = (c + BN_NHWC_UNIT - 1) / BN_NHWC_UNIT;
    const int nt = a->given || infer
                       ? 1
                       : simdnorm_threads_for(bytes, a->n > units ? a->n : units);
    size_t slots = 0;
    if (nt > 1 && a->n >= (size_t)nt) {
        t.nt = (size_t)nt;
        for (size_t r = 0; r < t.nt; r++) {
            const size_t i0 = r * a->n / t.nt, i1 = (r + 1) * a->n / t.nt;
            slots += simdnorm_tree_height(i0, i1 - i0);
        }
    }
    const size_t nf = c < BN_CHUNK ? BN_CHUNK : c;
    const size_t sinks = t.nt && simdnorm_bn_blocked(a->n) ? t.nt * c : 0;
    const size_t need = sinks * sizeof(simdnorm_bn_sink) +
                        (t.nt ? 2 * slots * c : 2 * c) * sizeof(double) +
                        (2 * t.nt + slots) * sizeof(size_t) + 3 * nf * sizeof(float) + slots;
    _Alignas(64) unsigned char stack[BN_STACK_SCRATCH];
    void *mem = need <= sizeof stack ? (void *)stack : malloc(need);
    if (!mem)
        return 0;
    t.sink = sinks ? mem : NULL;
    t.mean = (double *)((simdnorm_bn_sink *)mem + sinks);
    t.m2 = t.mean + (t.nt ? slots * c : c);
    t.base = (size_t *)(t.m2 + (t.nt ? slots * c : c));
    t.count = t.base + t.nt;
    t.first = t.count + t.nt;
    t.shift = (float *)(t.first + slots);
    t.scale = t.shift + nf;
    t.offset = t.scale + nf;
    t.level = (unsigned char *)(t.offset + nf);

    if (infer) {
        /* no statistics */
    } else if (a->given) {
        for (size_t ch = 0; ch < c; ch++) {
            t.mean[ch] = a->given[ch].mean;
            t.m2[ch] = a->given[ch].m2;
        }
    } else if (t.nt) {
        for (size_t r = 0, b = 0; r < t.nt; r++) {
            const size_t i0 = r * a->n / t.nt, i1 = (r + 1) * a->n / t.nt;
            t.base[r] = b;
            b += simdnorm_tree_height(i0, i1 - i0);
        }
        simdnorm_parallel_run(nt, t.nt, nhwc_stats_samples, &t);
        /* the ranges' nodes, contiguous in sample order, then the fold */
        size_t total = 0;
        for (size_t r = 0; r < t.nt; r++)
            for (size_t d = 0; d < t.count[r]; d++, total++) {
                const size_t from = t.base[r] + d;
                if (from != total) {
                    memmove(t.mean + total * c, t.mean + from * c, c * sizeof(double));
                    memmove(t.m2 + total * c, t.m2 + from * c, c * sizeof(double));
                    t.first[total] = t.first[from];
                    t.level[total] = t.level[from];
                }
            }
        for (size_t r = 1; t.sink && r < t.nt; r++) /* exact: any order gives these bits */
            simdnorm_bn_sink_merge(c, t.sink, t.sink + r * c);
        simdnorm_bn_fold_node_moments(total, t.first, t.level, c, a->spatial, t.mean, t.m2,
                                      t.sink, a->n);
    } else if (nt > 1) {
        simdnorm_parallel_run(nt, units, nhwc_stats_units, &t);
    } else {
        nhwc_stats_units(&t, 0, 0);
    }

    int any_slow = 0;
    for (size_t ch = 0; ch < c; ch++) {
        const simdnorm_norm_plan p =
            infer ? infer_channel(a, ch) : train_channel(a, ch, nhwc_moments(&t, ch));
        t.shift[ch] = p.shift;
        t.scale[ch] = p.scale;
        t.offset[ch] = p.offset;
        any_slow |= !p.fast;
    }
    if (any_slow && a->storage) {
        /* a 16-bit call with a slow channel: chunk by chunk on this thread,
         * the slow channels widened on the stack (rare: a NaN or Inf, or
         * statistics failing the fast plan's magnitude test) */
        simdnorm_norm_plan p[BN_CHUNK];
        for (size_t c0 = 0; c0 < c; c0 += BN_CHUNK) {
            const size_t cw = c - c0 < BN_CHUNK ? c - c0 : BN_CHUNK;
            for (size_t j = 0; j < cw; j++)
                p[j] = infer ? infer_channel(a, c0 + j)
                             : train_plan(a, c0 + j, nhwc_moments(&t, c0 + j));
            nhwc_half_slow_chunk(k, a, c0, cw, t.shift + c0, t.scale + c0, t.offset + c0, p);
        }
        if (mem != (void *)stack)
            free(mem);
        return 1;
    }
    /* A slow channel is computed after the kernel wrote y = x there (so the
     * slow pass can read x in place); the activation then runs as a pass of
     * its own, on the same float values. */
    if (any_slow)
        t.act = SIMDNORM_ACT_NONE;
    if (c < BN_NARROW) {
        /* Narrow: rep rows as one row of c*rep channels; c*rep a multiple of
         * 16 floats where that fits, so that every wide row of an aligned y
         * starts on a 64-byte boundary (streaming stores). */
        size_t u16 = 16;
        while (c % (16 / u16 * 2) == 0 && u16 > 1)
            u16 /= 2; /* u16 = 16 / gcd(c, 16) */
        t.rep = (BN_NARROW + c * u16 - 1) / (c * u16) * u16;
        if (c * t.rep > BN_CHUNK)
            t.rep = (BN_NARROW + c - 1) / c;
        for (size_t j = c; j < c * t.rep; j++) {
            t.shift[j] = t.shift[j - c];
            t.scale[j] = t.scale[j - c];
            t.offset[j] = t.offset[j - c];
        }
    }
    /* normalize parts: whole wide rows, about a block's rows each thread's
     * range apart from the statistics ranges */
    const size_t nparts = (rows + t.rep - 1) / t.rep;
    const int ntn = simdnorm_threads_for(bytes, nparts);
    if (ntn > 1)
        simdnorm_parallel_run(ntn, nparts, nhwc_normalize_range, &t);
    else
        nhwc_normalize_range(&t, 0, nparts);

    if (any_slow) {
        for (size_t ch = 0; ch < c; ch++) {
            const simdnorm_norm_plan p =
                infer ? infer_channel(a, ch) : train_plan(a, ch, nhwc_moments(&t, ch));
            if (!p.fast)
                simdnorm_normalize_slow(&p, rows, a->x + ch, c, a->gamma, a->beta, ch,
                                        a->y + ch, c);
        }
        if (a->act != SIMDNORM_ACT_NONE)
            k->f32_activate(rows * c, a->y, a->act, a->y);
    }
    if (mem != (void *)stack)
        free(mem);
    return 1;
}

/* ---- validation (DESIGN §5) ---------------------------------------------
 * In order: parameters (eps, momentum, layout, options: a valid activation
 * and no residual, bias or h), empty output (c == 0;
 * inference with n*spatial == 0), NULL pointers (x, y; inference mean, var;
 * running_mean without running_var or the reverse), shape (training
 * n*spatial < 2, n*c*spatial*sizeof(float) beyond PTRDIFF_MAX or the address
 * space), overlap (any output with any input or another output, byte ranges,
 * except y == x). *done is set for an empty output. */
static simdnorm_status check_bn(const bn_call *a, simdnorm_layout layout, float eps,
                                float momentum, const simdnorm_norm_options *opt, int *done)
{
    *done = 0;
    if (!simdnorm_eps_ok(eps))
        return SIMDNORM_ERR_PARAM;
    if (a->train && !(momentum >= 0.0f && momentum <= 1.0f)) /* NaN fails too */
        return SIMDNORM_ERR_PARAM;
    if (layout != SIMDNORM_NCHW && layout != SIMDNORM_NHWC)
        return SIMDNORM_ERR_PARAM;
    if (opt && (!simdnorm_act_ok(opt->activation) || opt->residual || opt->bias || opt->h))
        return SIMDNORM_ERR_PARAM;
    if (a->c == 0 || (!a->train && (a->n == 0 || a->spatial == 0))) {
        *done = 1;
        return SIMDNORM_OK;
    }
    if (!a->x || !a->y)
        return SIMDNORM_ERR_NULL;
    if (!a->train && (!a->mean || !a->var))
        return SIMDNORM_ERR_NULL;
    if (!a->running_mean != !a->running_var)
        return SIMDNORM_ERR_NULL;
    const size_t max_elems = (size_t)PTRDIFF_MAX / sizeof(float);
    if (a->n == 0 || a->spatial == 0) /* training only gets here */
        return SIMDNORM_ERR_SHAPE;
    if (a->spatial > max_elems / a->n)
        return SIMDNORM_ERR_SHAPE;
    const size_t rows = a->n * a->spatial;
    if (a->train && rows < 2)
        return SIMDNORM_ERR_SHAPE;
    if (a->c > max_elems / rows)
        return SIMDNORM_ERR_SHAPE;
    const size_t total = rows * a->c;
    /* inputs: x, gamma, beta, mean, var; outputs: y (may be x: in place),
     * save_mean, save_rstd, running_mean, running_var (read too, but
     * written) */
    simdnorm_buffer buf[10] = {
        {a->x, 0, 0, 0, 0},    {a->gamma, 0, 0, 0, 0},        {a->beta, 0, 0, 0, 0},
        {a->mean, 0, 0, 0, 0}, {a->var, 0, 0, 0, 0},          {a->y, 0, 0, 1u << 0, 1},
        {a->save_mean, 0, 0, 0, 1}, {a->save_rstd, 0, 0, 0, 1}, {a->running_mean, 0, 0, 0, 1},
        {a->running_var, 0, 0, 0, 1},
    };
    for (int i = 0; i < 10; i++) {
        const size_t len = i == 0 || i == 5 ? total : a->c;
        const size_t es = (i == 0 || i == 5) && a->storage ? 2 : sizeof(float);
        if (!simdnorm_matrix_span_es(buf[i].p, 1, len, len, es, &buf[i].bytes))
            return SIMDNORM_ERR_SHAPE;
    }
    return simdnorm_check_overlap(buf, 10);
}

/* NHWC threads take at least this many channels each, starting on multiples
 * of it: a thread reads its slice of every row, and with slices of a few
 * cache lines the adjacent-line prefetch pulls its neighbour's lines too.
 * Measured, (32, 64, 56x56) NHWC training, AVX-512: 16-channel slices ran
 * 0.81x of one thread on 2 threads; with 128 it stays on one thread. */
#define BN_NHWC_MIN_CHANNELS 128

/* The parallel-for body: channel units [u0, u1) (units of `unit` channels,
 * the last one short). */
typedef struct bn_split {
    const simdnorm_kernels *k;
    const bn_call *a;
    size_t unit;
} bn_split;

static void bn_range(void *ctx, size_t u0, size_t u1)
{
    const bn_split *s = ctx;
    const bn_call *a = s->a;
    const size_t cb = u0 * s->unit;
    const size_t ce = u1 * s->unit < a->c ? u1 * s->unit : a->c;
    if (a->nhwc)
        run_nhwc(s->k, a, cb, ce);
    else
        run_nchw(s->k, a, cb, ce);
}

/* spatial == 1 (2-D input) is the same memory in both layouts: the NHWC path
 * takes it, so the two layouts give the same bits there.
 * Threads split the channels into contiguous ranges (NHWC training: blocks
 * of rows, train_nhwc): a channel's statistics (a block's sums) and its
 * normalize (a row's) are computed whole by one thread, in the same fixed
 * order as on one thread, so no bit depends on the thread count. If the
 * NHWC training scratch cannot be allocated, run_nhwc computes the same
 * bits on one thread. */
static void run(bn_call *a)
{
    const simdnorm_kernels *k = simdnorm_active_kernels();
    a->nhwc = a->nhwc || a->spatial == 1;
    const size_t es = a->storage ? 2 : sizeof(float);
    a->stream = simdnorm_from_memory(a->n * a->c * a->spatial, es);
    const size_t c = a->c, unit = a->nhwc ? BN_NHWC_MIN_CHANNELS : 1;
    const size_t bytes = a->n * a->spatial * c * es * (a->train ? 3 : 2);
    /* NHWC inference of rows wider than a chunk takes train_nhwc's
     * normalize too: run_nhwc's chunks of BN_CHUNK channels each walked all
     * rows, reading a slice of every row per pass (32x1024x14x14, Zen 3
     * AVX2: 0.5-0.6x oneDNN's speed, in CHANGELOG); so does inference whose
     * channel units (below) would leave threads idle (c < 128: one thread),
     * its rows split over the threads instead */
    const int nt_rows = a->nhwc && !a->train ? simdnorm_threads_for(bytes, a->n * a->spatial) : 1;
    if (a->nhwc && (a->train || c > BN_CHUNK || (nt_rows > 1 && (size_t)nt_rows > c / unit)) &&
        train_nhwc(k, a, bytes))
        return;
    bn_split sp = {k, a, unit};
    /* at most c / unit threads: a short last unit gets none of its own */
    simdnorm_parallel_for((c + unit - 1) / unit, c / unit, bytes, bn_range, &sp);
}

/* half_walk_moments' parallel body: units [u0, u1) of `unit` channels,
 * each walked in chunks the tree allows (chunk_moments). */
typedef struct bn_walk_split {
    const simdnorm_kernels *k;
    const bn_call *b;
    size_t unit, chunk;
    simdnorm_moments *m;
} bn_walk_split;

static void walk_units(void *ctx, size_t u0, size_t u1)
{
    const bn_walk_split *w = ctx;
    const size_t cb = u0 * w->unit, ce = u1 * w->unit < w->b->c ? u1 * w->unit : w->b->c;
    for (size_t c0 = cb; c0 < ce; c0 += w->chunk)
        chunk_moments(w->k, w->b, c0, ce - c0 < w->chunk ? ce - c0 : w->chunk, w->m + c0);
}

/* The batch moments m[c] of a 16-bit call: the sample tree's walk over the
 * 16-bit tensor itself (bn_walk: NCHW half_planes_leaves, NHWC the 16-bit
 * channel moments, 2-D the tree kernel on rows widened on the stack),
 * chunks of channels as the float32 call's; from memory (x beyond half of
 * SIMDNORM_STREAM_BYTES in 16 bits) NCHW planes' sums in order. x is read
 * once, in 16 bits. Threads split the channels (NCHW: units of one channel;
 * NHWC: units of BN_NHWC_MIN_CHANNELS, a thread reading whole cache lines
 * of every row): each channel's walk is the same wherever it runs, so the
 * bits do not depend on the thread count. */
static simdnorm_status half_walk_moments(const bn_call *a, simdnorm_moments *m)
{
    bn_call b = *a;
    b.given = NULL;
    b.nhwc = a->nhwc || a->spatial == 1; /* as run(): 2-D takes the NHWC walk */
    b.stream = simdnorm_from_memory(a->n * a->c * a->spatial, 2);
    const size_t unit = b.nhwc ? BN_NHWC_MIN_CHANNELS : 1;
    bn_walk_split w = {simdnorm_active_kernels(), &b, unit,
                       tree_chunk(simdnorm_tree_height(0, a->n)), m};
    /* at most c / unit threads: a short last unit gets none of its own */
    simdnorm_parallel_for((a->c + unit - 1) / unit, a->c / unit ? a->c / unit : 1,
                          a->n * a->c * a->spatial * 2, walk_units, &w);
    return SIMDNORM_OK;
}

/* The 16-bit NCHW training forward (NHWC and 2-D: train_nhwc) in two
 * passes: the batch's moments
 * (half_walk_moments, from the 16-bit tensor), then the normalize from them
 * (run() given them: train_from_moments, bit for bit the plain training
 * call), on the 16-bit tensors. x is read twice and y written once in 16
 * bits. SIMDNORM_ERR_NOMEM (the moments' array) before anything is
 * written. */
static simdnorm_status train_half(bn_call *a)
{
    simdnorm_moments *m = malloc(a->c * sizeof *m);
    if (!m)
        return SIMDNORM_ERR_NOMEM;
    simdnorm_status r = half_walk_moments(a, m);
    if (r == SIMDNORM_OK) {
        a->given = m;
        run(a);
        a->given = NULL;
    }
    free(m);
    return r;
}

/* Validation, then run (a 16-bit training call: train_half). */
static simdnorm_status bn_entry(bn_call *a, simdnorm_layout layout, float eps, float momentum,
                                const simdnorm_norm_options *opt)
{
    int done;
    const simdnorm_status st = check_bn(a, layout, eps, momentum, opt, &done);
    if (st != SIMDNORM_OK || done)
        return st;
    if (opt)
        a->act = (int)opt->activation;
    simdnorm_status r = SIMDNORM_OK;
    const simdnorm_fpenv fe = simdnorm_fpenv_enter(); /* fpenv.h */
    /* 16-bit NCHW training: train_half; NHWC and 2-D (spatial 1) training
     * take train_nhwc as float32 does, the statistics over threads by
     * samples (run) */
    if (a->storage && a->train && !(a->nhwc || a->spatial == 1))
        r = train_half(a); /* check_bn ensured n * spatial >= 2 */
    else
        run(a);
    simdnorm_fpenv_leave(fe);
    return r;
}

static simdnorm_status bn_train(int storage, simdnorm_layout layout, size_t n, size_t c,
                                size_t spatial, const void *x, const float *gamma,
                                const float *beta, float eps, float momentum,
                                float *running_mean, float *running_var, void *y,
                                float *save_mean, float *save_rstd,
                                const simdnorm_norm_options *opt)
{
    bn_call a = {1, layout == SIMDNORM_NHWC, 0, SIMDNORM_ACT_NONE, n, c, spatial, x, gamma,
                 beta, NULL, NULL, eps, momentum, running_mean, running_var, y, save_mean,
                 save_rstd, NULL, storage};
    return bn_entry(&a, layout, eps, momentum, opt);
}

static simdnorm_status bn_infer(int storage, simdnorm_layout layout, size_t n, size_t c,
                                size_t spatial, const void *x, const float *gamma,
                                const float *beta, const float *mean, const float *var,
                                float eps, void *y, const simdnorm_norm_options *opt)
{
    bn_call a = {0, layout == SIMDNORM_NHWC, 0, SIMDNORM_ACT_NONE, n, c, spatial, x, gamma,
                 beta, mean, var, eps, 0.0, NULL, NULL, y, NULL, NULL, NULL, storage};
    return bn_entry(&a, layout, eps, 0.0f, opt);
}

simdnorm_status simdnorm_batch_norm_train_ex_f32(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial, const float *x,
    const float *gamma, const float *beta, float eps, float momentum,
    float *running_mean, float *running_var, float *y, float *save_mean, float *save_rstd,
    const simdnorm_norm_options *opt)
{
    return bn_train(0, layout, n, c, spatial, x, gamma, beta, eps, momentum, running_mean,
                    running_var, y, save_mean, save_rstd, opt);
}

simdnorm_status simdnorm_batch_norm_infer_ex_f32(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial, const float *x,
    const float *gamma, const float *beta, const float *mean, const float *var, float eps,
    float *y, const simdnorm_norm_options *opt)
{
    return bn_infer(0, layout, n, c, spatial, x, gamma, beta, mean, var, eps, y, opt);
}

simdnorm_status simdnorm_batch_norm_train_f32(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial, const float *x,
    const float *gamma, const float *beta, float eps, float momentum,
    float *running_mean, float *running_var, float *y, float *save_mean, float *save_rstd)
{
    return simdnorm_batch_norm_train_ex_f32(layout, n, c, spatial, x, gamma, beta, eps,
                                            momentum, running_mean, running_var, y,
                                            save_mean, save_rstd, NULL);
}

simdnorm_status simdnorm_batch_norm_infer_f32(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial, const float *x,
    const float *gamma, const float *beta, const float *mean, const float *var, float eps,
    float *y)
{
    return simdnorm_batch_norm_infer_ex_f32(layout, n, c, spatial, x, gamma, beta, mean, var,
                                            eps, y, NULL);
}

/* ---- mergeable moments (simdnorm.h) ----------------------------------------- */

/* The per-channel walk of channel chunks [p0, p1) of `chunk` channels from
 * global sample g0: root = 1 (single batch: its moments into m) or 0 (a
 * range of a batch of n_total samples: node k's channel ch at
 * mean/m2[k*c + ch], a blocked batch's whole blocks into sink[c]). */
typedef struct bn_moments_job {
    const simdnorm_kernels *k;
    const bn_call *a;
    size_t chunk, g0, n_total;
    int root;
    simdnorm_moments *m;
    double *mean, *m2;
    simdnorm_bn_sink *sink;
} bn_moments_job;

static void moments_range(void *ctx, size_t p0, size_t p1)
{
    const bn_moments_job *j = ctx;
    const bn_call *a = j->a;
    const size_t c = a->c, h = simdnorm_tree_height(j->g0, a->n);
    for (size_t p = p0; p < p1; p++) {
        const size_t c0 = p * j->chunk, cw = c - c0 < j->chunk ? c - c0 : j->chunk;
        if (j->root) {
            double mean[BN_CHUNK], m2[BN_CHUNK];
            bn_batch_moments(j->k, a, c0, cw, mean, m2);
            const double count = (double)a->n * (double)a->spatial;
            for (size_t i = 0; i < cw; i++) {
                j->m[c0 + i].count = count;
                j->m[c0 + i].mean = mean[i];
                j->m[c0 + i].m2 = m2[i];
            }
            continue;
        }
        double buf[BN_TREE_BYTES / sizeof(double)]; /* the root path's are its callee's */
        size_t first[SIMDNORM_TREE_MAX];
        unsigned char level[SIMDNORM_TREE_MAX];
        double *mean = buf, *m2 = buf + h * cw;
        const size_t nodes = bn_walk_blocks(j->k, a, c0, cw, j->g0, j->n_total,
                                            j->sink ? j->sink + c0 : NULL, mean, m2, first, level);
        for (size_t d = 0; d < nodes; d++)
            for (size_t i = 0; i < cw; i++) {
                j->mean[d * c + c0 + i] = mean[d * cw + i];
                j->m2[d * c + c0 + i] = m2[d * cw + i];
            }
    }
}

/* Runs moments_range over all channel chunks (threads take whole chunks). */
static void moments_run(bn_moments_job *j)
{
    bn_call *a = (bn_call *)j->a;
    a->nhwc = a->nhwc || a->spatial == 1;
    j->k = simdnorm_active_kernels();
    j->chunk = tree_chunk(simdnorm_tree_height(j->g0, a->n));
    const size_t parts = (a->c + j->chunk - 1) / j->chunk;
    simdnorm_parallel_for(parts, parts, a->n * a->spatial * a->c * sizeof(float), moments_range,
                          j);
}

static simdnorm_status bn_moments(int storage, simdnorm_layout layout, size_t n, size_t c,
                                  size_t spatial, const void *x, simdnorm_moments *m)
{
    if (layout != SIMDNORM_NCHW && layout != SIMDNORM_NHWC)
        return SIMDNORM_ERR_PARAM;
    if (c == 0)
        return SIMDNORM_OK;
    if (!m)
        return SIMDNORM_ERR_NULL;
    const size_t max_elems = (size_t)PTRDIFF_MAX / sizeof(float);
    if (n != 0 && spatial > max_elems / n)
        return SIMDNORM_ERR_SHAPE;
    const size_t rows = n * spatial;
    if (rows != 0 && c > max_elems / rows)
        return SIMDNORM_ERR_SHAPE;
    if (c > (size_t)PTRDIFF_MAX / sizeof(simdnorm_moments))
        return SIMDNORM_ERR_SHAPE;
    if (rows != 0 && !x)
        return SIMDNORM_ERR_NULL;
    size_t xb = 0, mb = 0;
    if ((rows && !simdnorm_matrix_span_es(x, 1, rows * c, rows * c, storage ? 2 : sizeof(float),
                                          &xb)) ||
        (uintptr_t)m > UINTPTR_MAX - c * sizeof(simdnorm_moments))
        return SIMDNORM_ERR_SHAPE;
    mb = c * sizeof(simdnorm_moments);
    if (rows && simdnorm_overlaps(x, xb, m, mb))
        return SIMDNORM_ERR_OVERLAP;
    if (rows == 0) {
        memset(m, 0, mb);
        return SIMDNORM_OK;
    }
    bn_call a = {1, layout == SIMDNORM_NHWC, 0, SIMDNORM_ACT_NONE, n, c, spatial, x, NULL,
                 NULL, NULL, NULL, 0.0, 0.0, NULL, NULL, NULL, NULL, NULL, NULL, 0};
    a.stream = simdnorm_from_memory(rows * c, sizeof(float)); /* planes_moments_seq */
    bn_moments_job j = {NULL, &a, 0, 0, n, 1, m, NULL, NULL, NULL};
    const simdnorm_fpenv fe = simdnorm_fpenv_enter(); /* fpenv.h */
    if (storage) { /* the twins: the walk over the 16-bit tensor */
        a.storage = storage;
        const simdnorm_status r = half_walk_moments(&a, m);
        if (r != SIMDNORM_OK) {
            simdnorm_fpenv_leave(fe);
            return r;
        }
    } else {
        moments_run(&j);
    }
    for (size_t ch = 0; ch < c; ch++) {
        m[ch].mean = simdnorm_canonical_nan_d(m[ch].mean);
        m[ch].m2 = simdnorm_canonical_nan_d(m[ch].m2);
    }
    simdnorm_fpenv_leave(fe);
    return SIMDNORM_OK;
}

SIMDNORM_API simdnorm_status simdnorm_batch_norm_moments_f32(simdnorm_layout layout, size_t n,
                                                             size_t c, size_t spatial,
                                                             const float *x, simdnorm_moments *m)
{
    return bn_moments(0, layout, n, c, spatial, x, m);
}

size_t simdnorm_bn_node_moments(int storage, simdnorm_layout layout, size_t n, size_t c,
                                size_t spatial, const void *x, size_t g0, size_t n_total,
                                double *mean, double *m2, simdnorm_bn_sink *sink)
{
    /* bn_walk reads a 16-bit x through the storage's kernels */
    bn_call a = {1, layout == SIMDNORM_NHWC, 0, SIMDNORM_ACT_NONE, n, c, spatial, x, NULL,
                 NULL, NULL, NULL, 0.0, 0.0, NULL, NULL, NULL, NULL, NULL, NULL, storage};
    const int blocked = simdnorm_bn_blocked(n_total);
    bn_moments_job j = {NULL, &a, 0, g0, n_total, 0, NULL, mean, m2, blocked ? sink : NULL};
    if (blocked)
        simdnorm_bn_sink_clear(c, sink);
    const simdnorm_fpenv fe = simdnorm_fpenv_enter(); /* fpenv.h */
    if (n)
        moments_run(&j);
    simdnorm_fpenv_leave(fe);
    size_t first[SIMDNORM_TREE_MAX];
    unsigned char level[SIMDNORM_TREE_MAX];
    return simdnorm_tree_nodes_capped(g0, n, blocked, first, level);
}

/* Validation of train_from_moments: as check_bn for training, except that
 * n*spatial may be 0 (x, y then unused) and the moments are checked
 * (counts finite and >= 1, >= 2 with running statistics) and are an input
 * for the overlap rule. */
static simdnorm_status check_from_moments(const bn_call *a, simdnorm_layout layout, float eps,
                                          float momentum)
{
    if (!simdnorm_eps_ok(eps) || !(momentum >= 0.0f && momentum <= 1.0f))
        return SIMDNORM_ERR_PARAM;
    if (layout != SIMDNORM_NCHW && layout != SIMDNORM_NHWC)
        return SIMDNORM_ERR_PARAM;
    if (a->c == 0)
        return SIMDNORM_OK;
    const size_t max_elems = (size_t)PTRDIFF_MAX / sizeof(float);
    if (a->n != 0 && a->spatial > max_elems / a->n)
        return SIMDNORM_ERR_SHAPE;
    const size_t rows = a->n * a->spatial;
    if (!a->given || (rows && (!a->x || !a->y)) || !a->running_mean != !a->running_var)
        return SIMDNORM_ERR_NULL;
    if ((rows && a->c > max_elems / rows) ||
        a->c > (size_t)PTRDIFF_MAX / sizeof(simdnorm_moments) ||
        (uintptr_t)a->given > UINTPTR_MAX - a->c * sizeof(simdnorm_moments))
        return SIMDNORM_ERR_SHAPE;
    for (size_t ch = 0; ch < a->c; ch++) {
        const double cnt = a->given[ch].count;
        if (!(isfinite(cnt) && cnt >= 1.0))
            return SIMDNORM_ERR_PARAM;
    }
    if (a->running_mean)
        for (size_t ch = 0; ch < a->c; ch++)
            if (a->given[ch].count < 2.0)
                return SIMDNORM_ERR_SHAPE;
    const size_t total = rows * a->c;
    simdnorm_buffer buf[9] = {
        {rows ? a->x : NULL, 0, 0, 0, 0}, {a->gamma, 0, 0, 0, 0}, {a->beta, 0, 0, 0, 0},
        {a->given, 0, 0, 0, 0},           {rows ? a->y : NULL, 0, 0, 1u << 0, 1},
        {a->save_mean, 0, 0, 0, 1},       {a->save_rstd, 0, 0, 0, 1},
        {a->running_mean, 0, 0, 0, 1},    {a->running_var, 0, 0, 0, 1},
    };
    for (int i = 0; i < 9; i++) {
        const size_t len = i == 0 || i == 4 ? total : i == 3 ? a->c * 6 : a->c;
        const size_t es = (i == 0 || i == 4) && a->storage ? 2 : sizeof(float);
        if (buf[i].p && !simdnorm_matrix_span_es(buf[i].p, 1, len, len, es, &buf[i].bytes))
            return SIMDNORM_ERR_SHAPE;
    }
    return simdnorm_check_overlap(buf, 9);
}

static simdnorm_status bn_from_moments(int storage, simdnorm_layout layout, size_t n, size_t c,
                                       size_t spatial, const void *x, const simdnorm_moments *m,
                                       const float *gamma, const float *beta, float eps,
                                       float momentum, float *running_mean, float *running_var,
                                       void *y, float *save_mean, float *save_rstd)
{
    bn_call a = {1, layout == SIMDNORM_NHWC, 0, SIMDNORM_ACT_NONE, n, c, spatial, x, gamma,
                 beta, NULL, NULL, eps, momentum, running_mean, running_var, y, save_mean,
                 save_rstd, m, storage};
    const simdnorm_status st = check_from_moments(&a, layout, eps, momentum);
    if (st != SIMDNORM_OK || c == 0)
        return st;
    const simdnorm_fpenv fe = simdnorm_fpenv_enter(); /* fpenv.h */
    if (n * spatial == 0) {
        for (size_t ch = 0; ch < c; ch++)
            (void)train_channel(&a, ch, m[ch]);
    } else {
        run(&a);
    }
    simdnorm_fpenv_leave(fe);
    return SIMDNORM_OK;
}

SIMDNORM_API simdnorm_status simdnorm_batch_norm_train_from_moments_f32(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial, const float *x,
    const simdnorm_moments *m, const float *gamma, const float *beta, float eps, float momentum,
    float *running_mean, float *running_var, float *y, float *save_mean, float *save_rstd)
{
    return bn_from_moments(0, layout, n, c, spatial, x, m, gamma, beta, eps, momentum,
                           running_mean, running_var, y, save_mean, save_rstd);
}

/* ---- the 16-bit twins (simdnorm.h "16-bit storage"; half.c) ---------------- */

/* The float32 options a twin's 16-bit options stand for, for validation
 * (BatchNorm takes only the activation: the other fields' presence is
 * checked) - NULL for NULL. */
#define BN_OPT16(opt, o)                                                       \
    ((opt) ? ((o).residual = (const float *)(const void *)(opt)->residual,    \
              (o).residual_stride = (opt)->residual_stride, (o).bias = (opt)->bias, \
              (o).activation = (opt)->activation, (o).h = (float *)(void *)(opt)->h, \
              (o).h_stride = (opt)->h_stride, &(o))                           \
           : NULL)

#define BN_TWINS(T, ST)                                                        \
    simdnorm_status simdnorm_batch_norm_train_ex_##T(                          \
        simdnorm_layout layout, size_t n, size_t c, size_t spatial, const simdnorm_##T *x, \
        const float *gamma, const float *beta, float eps, float momentum,      \
        float *running_mean, float *running_var, simdnorm_##T *y, float *save_mean, \
        float *save_rstd, const simdnorm_norm_options_##T *opt)                \
    {                                                                          \
        simdnorm_norm_options o;                                               \
        return bn_train(ST, layout, n, c, spatial, x, gamma, beta, eps, momentum, running_mean, \
                        running_var, y, save_mean, save_rstd, BN_OPT16(opt, o)); \
    }                                                                          \
    simdnorm_status simdnorm_batch_norm_train_##T(                             \
        simdnorm_layout layout, size_t n, size_t c, size_t spatial, const simdnorm_##T *x, \
        const float *gamma, const float *beta, float eps, float momentum,      \
        float *running_mean, float *running_var, simdnorm_##T *y, float *save_mean, \
        float *save_rstd)                                                      \
    {                                                                          \
        return bn_train(ST, layout, n, c, spatial, x, gamma, beta, eps, momentum, running_mean, \
                        running_var, y, save_mean, save_rstd, NULL);           \
    }                                                                          \
    simdnorm_status simdnorm_batch_norm_infer_ex_##T(                          \
        simdnorm_layout layout, size_t n, size_t c, size_t spatial, const simdnorm_##T *x, \
        const float *gamma, const float *beta, const float *mean, const float *var, float eps, \
        simdnorm_##T *y, const simdnorm_norm_options_##T *opt)                 \
    {                                                                          \
        simdnorm_norm_options o;                                               \
        return bn_infer(ST, layout, n, c, spatial, x, gamma, beta, mean, var, eps, y, \
                        BN_OPT16(opt, o));                                     \
    }                                                                          \
    simdnorm_status simdnorm_batch_norm_infer_##T(                             \
        simdnorm_layout layout, size_t n, size_t c, size_t spatial, const simdnorm_##T *x, \
        const float *gamma, const float *beta, const float *mean, const float *var, float eps, \
        simdnorm_##T *y)                                                       \
    {                                                                          \
        return bn_infer(ST, layout, n, c, spatial, x, gamma, beta, mean, var, eps, y, NULL); \
    }                                                                          \
    simdnorm_status simdnorm_batch_norm_moments_##T(simdnorm_layout layout, size_t n, size_t c, \
                                                    size_t spatial, const simdnorm_##T *x, \
                                                    simdnorm_moments *m)       \
    {                                                                          \
        return bn_moments(ST, layout, n, c, spatial, x, m);                    \
    }                                                                          \
    simdnorm_status simdnorm_batch_norm_train_from_moments_##T(                \
        simdnorm_layout layout, size_t n, size_t c, size_t spatial, const simdnorm_##T *x, \
        const simdnorm_moments *m, const float *gamma, const float *beta, float eps, \
        float momentum, float *running_mean, float *running_var, simdnorm_##T *y, \
        float *save_mean, float *save_rstd)                                    \
    {                                                                          \
        return bn_from_moments(ST, layout, n, c, spatial, x, m, gamma, beta, eps, momentum, \
                               running_mean, running_var, y, save_mean, save_rstd); \
    }

BN_TWINS(bf16, 1)
BN_TWINS(f16, 2)
