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

/* simdnorm_matrix_span for elements of es bytes (16-bit storage: es = 2;
 * strides and cols in elements, the span in bytes). */
static inline int simdnorm_matrix_span_es(const void *p, size_t rows, size_t cols, size_t stride,
                                          size_t es, size_t *span)
{
    size_t elems;
    if (__builtin_mul_overflow(rows, stride, &elems) || elems > (size_t)PTRDIFF_MAX / es)
        return 0;
    const size_t bytes = p ? ((rows - 1) * stride + cols) * es : 0;
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

/* count, mean and sum of squared deviations (M2) of a set of floats: the
 * public simdnorm_moments (simdnorm.h) is the one type. */

/* Moments of x[0..n) (n >= 1): blocks of SIMDNORM_BLOCK elements, each
 * taken by the fast or, where it cannot meet the contract, the exact kernel
 * (stats.c), merged left to right with Chan's formula. Non-finite mean or
 * m2 iff x holds a NaN or an Inf. */
simdnorm_moments simdnorm_span_moments(const simdnorm_kernels *k, size_t n,
                                       const float *x);

/* The 16-bit forms (storage 1 bf16, 2 f16; x holds 16-bit elements) of
 * simdnorm_head_shift, simdnorm_finish_block (n <= SIMDNORM_BLOCK) and
 * simdnorm_span_moments (mem: the in-order sums, as _mem), through the
 * storage's moments kernels: the same operations on the same (widened)
 * values, the same bits as the float forms on the widened span. Only a
 * block whose fast sums cannot meet the contract is widened, into buf
 * (SIMDNORM_BLOCK floats), and finished there in float. */
float simdnorm_head_shift_half(const simdnorm_kernels *k, int storage, size_t n, const void *x);
simdnorm_moments simdnorm_finish_block_half(const simdnorm_kernels *k, int storage, size_t n,
                                            const void *x, float shift, const double fast[2],
                                            float *buf);
simdnorm_moments simdnorm_span_moments_half(const simdnorm_kernels *k, int storage, size_t n,
                                            const void *x, int mem, float *buf);

/* Sum of squares of x[0..n) (n >= 1): the fast kernel, or the exact one
 * where float squares overflowed or underflowed. */
double simdnorm_span_sumsq(const simdnorm_kernels *k, size_t n, const float *x);

/* The same, the same bits, for spans read from memory: the fast sums
 * reading x in order (f32_moments_seq, f32_sumsq_seq). */
simdnorm_moments simdnorm_span_moments_mem(const simdnorm_kernels *k, size_t n,
                                           const float *x);
double simdnorm_span_sumsq_mem(const simdnorm_kernels *k, size_t n, const float *x);

/* The moments of one block of len values from its shifted sums
 * s1 = sum (x - shift), s2 = sum (x - shift)^2, shift being one of the
 * values (the block's first): mean = shift + s1/len, M2 = s2 - s1*(s1/len)
 * clamped at 0. Shared by the row (f32_moments) and the channel
 * (f32_channel_moments) reductions. */
simdnorm_moments simdnorm_block_moments(size_t len, float shift, double s1, double s2);

/* Chan's merge: the moments of the union of a and b, in that order (the
 * public simdnorm_moments_merge is BatchNorm's array form, simdnorm_bn_merge). */
simdnorm_moments simdnorm_mom_merge(simdnorm_moments a, simdnorm_moments b);

/* The merge's weights depend only on the two counts: n = ca + cb,
 * wb = cb/n, wab = ca*cb/n. A caller that merges many pairs with the same
 * counts (all channels of one BatchNorm sample or block) computes them once;
 * simdnorm_mom_merge is exactly merge_with(a, b, weights(a.count,
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

/* ---- BatchNorm's sample tree (bn_tree.c) ------------------------------------
 * The canonical order of BatchNorm's batch reductions (training forward
 * statistics, backward sums): a fixed binary tree over the global sample
 * indices. A leaf is one sample's per-channel result; the node over samples
 * [j*2^k, (j+1)*2^k) is merge(left half, right half), a node with an empty
 * half is its other half, and the root over [0, 2^K) (2^K >= n) is the
 * batch's. Forward merge: Chan's (simdnorm_moments_merge_with, weights from
 * the two counts) with the non-finite rule below; backward: double +.
 *
 * Walking samples in order with a stack of "complete" nodes (whole aligned
 * subtrees) computes it: push a node, then while the two top nodes are
 * siblings (same level k, the lower one starting on an even multiple of
 * 2^k) merge them; at the end the stack holds the maximal aligned complete
 * nodes of the range walked, and the root is their right fold
 * (s[0] + (s[1] + (... + s[top-1]))) - exactly the tree with its empty
 * halves dropped. A range [g0, g0 + n) of global indices ends with the
 * maximal aligned nodes of that range (simdnorm_tree_nodes); pushing every
 * range's nodes, in sample order, onto one stack and folding gives the same
 * root bits as one walk over [0, N): threads, micro-batches and MPI ranks
 * all reduce this way. Past SIMDNORM_BN_BLOCK samples the tree stops at
 * blocks ("BatchNorm's blocks", below).
 *
 * Non-finite rule (forward): a leaf whose channel holds a NaN or Inf gets
 * m2 = NaN and as mean its plain float64 mean (+-Inf or NaN); a merge whose
 * M2 comes out NaN (an input had a NaN M2: finite data never gives one)
 * takes mean = a.mean + b.mean - so the root's mean is what the plain
 * float64 mean of the whole channel is (+Inf, -Inf or NaN), whatever the
 * split. */

/* The most nodes a stack holds: maximal nodes of any range of 64-bit
 * indices, plus the one pushed. */
#define SIMDNORM_TREE_MAX 130

typedef struct simdnorm_tree {
    size_t top;                            /* nodes on the stack */
    size_t first[SIMDNORM_TREE_MAX];       /* node d covers [first, first + 2^level) */
    unsigned char level[SIMDNORM_TREE_MAX];
} simdnorm_tree;

/* Stack slots a walk over n samples from global index g0 needs: the
 * maximal nodes of the range plus one (from 0: bit length of n plus one). */
static inline size_t simdnorm_tree_height(size_t g0, size_t n)
{
    size_t bits = 0;
    while (bits < 64 && (n >> bits) != 0)
        bits++;
    return g0 == 0 ? bits + 1 : 2 * bits + 2;
}

/* Pushes the node [first, first + 2^level) (its data already in slot
 * t->top) and merges siblings on the stack; returns how many merges the
 * caller must do now, the i-th (i = 0, 1, ...) being slot d-1 = merge(slot
 * d-1, slot d) for d = (the old t->top) - i, between two nodes of level
 * level + i. */
static inline unsigned simdnorm_tree_push(simdnorm_tree *t, size_t first, unsigned level)
{
    size_t d = t->top;
    unsigned m = 0;
    while (d > 0 && t->level[d - 1] == level && ((t->first[d - 1] >> level) & 1) == 0 &&
           t->first[d - 1] + ((size_t)1 << level) == first) {
        first = t->first[--d];
        level++;
        m++;
    }
    t->first[d] = first;
    t->level[d] = (unsigned char)level;
    t->top = d + 1;
    return m;
}

/* The maximal aligned nodes of [g0, g0 + n) in order (what a walk over that
 * range leaves on its stack): writes first[], level[], returns how many (at
 * most SIMDNORM_TREE_MAX - 1). */
size_t simdnorm_tree_nodes(size_t g0, size_t n, size_t *first, unsigned char *level);

/* Elements of a node of `level` over samples of sp elements: exact in
 * double (a power-of-two scaling). */
static inline double simdnorm_tree_count(unsigned level, double sp) { return ldexp(sp, (int)level); }

/* The forward merge of slot b into slot a for cw channels (means and M2s;
 * counts ca, cb >= 1): Chan's merge_with per channel with the non-finite
 * rule. */
static inline void simdnorm_bn_merge_slots(size_t cw, double ca, double cb,
                                           double *__restrict ma, double *__restrict qa,
                                           const double *__restrict mb, const double *__restrict qb)
{
    const simdnorm_merge_weights w = simdnorm_merge_weights_of(ca, cb);
    for (size_t j = 0; j < cw; j++) {
        const double delta = mb[j] - ma[j];
        const double mean = ma[j] + delta * w.wb;
        const double q = qa[j] + qb[j] + delta * delta * w.wab;
        ma[j] = q == q ? mean : ma[j] + mb[j];
        qa[j] = q;
    }
}

/* The same merge for slots known to hold finite moments only: Chan's
 * operations alone (no select), bit for bit what simdnorm_bn_merge_slots
 * gives finite inputs, in the ISA's double vector lanes (the kernel
 * f64_chan_merge of k). A NaN M2 in an input shows as a NaN M2 in the
 * output (its mean is then not the rule's): callers redo such a channel
 * with simdnorm_bn_merge_slots. */
static inline void simdnorm_bn_merge_slots_finite(const simdnorm_kernels *k, size_t cw, double ca,
                                                  double cb, double *ma, double *qa,
                                                  const double *mb, const double *qb)
{
    const simdnorm_merge_weights w = simdnorm_merge_weights_of(ca, cb);
    k->f64_chan_merge(cw, w.wb, w.wab, ma, qa, mb, qb);
}

/* The root of a forward stack: right fold of slots [0, t->top) into slot 0
 * (slot d at mean + d*cw, m2 + d*cw; its count 2^level[d] * sp). */
void simdnorm_bn_fold_slots(const simdnorm_tree *t, size_t cw, double sp, double *mean,
                            double *m2);

/* The same for the backward's sums (slot 0 = s[0] + (s[1] + ...)). */
void simdnorm_bn_fold_sums_slots(const simdnorm_tree *t, size_t cw, double *s1, double *s2);

/* ---- BatchNorm's blocks (bn_binned.c) ----------------------------------
 * A batch of more than SIMDNORM_BN_BLOCK samples is cut into blocks of
 * SIMDNORM_BN_BLOCK = 2^SIMDNORM_BN_BLOCK_LEVEL samples at multiples of it
 * in the global sample index (the last block may be shorter). Within a
 * block the sample tree above holds (the block's root is its node of level
 * SIMDNORM_BN_BLOCK_LEVEL, or the right fold of a short last block's
 * nodes); the blocks' roots are then summed in a way that does not depend
 * on the order: exactly, in binned accumulators (simdnorm_binned). So no
 * split of the batch by samples - threads, MPI ranks - can change a bit,
 * and an MPI rank sends its blocks' sums (O(c) bytes) and the nodes of at
 * most two partial blocks (levels < SIMDNORM_BN_BLOCK_LEVEL), never
 * O(log n) nodes per channel. A batch of SIMDNORM_BN_BLOCK samples or
 * fewer is one block, its root the tree's (no sink: the bits of the tree
 * alone, as before the blocks).
 *
 * Walks of a blocked batch stop merging at the block level: a node that
 * reaches SIMDNORM_BN_BLOCK_LEVEL is a whole block, added to the sink and
 * popped (simdnorm_tree_block_done), or the walk goes one block at a time
 * (batch_norm.c, bn_walk_blocks). What such a walk leaves on its stack
 * are the maximal aligned nodes of its range with a level below the
 * block's (simdnorm_tree_nodes_capped): a block split between ranges is
 * completed when the ranges' nodes are pushed in order onto one stack.
 *
 * Forward, per block (count elements, moments mean and M2): the sink adds
 * S = count*mean and Q = count*mean^2 exactly (two_prod: 2 and 4 doubles)
 * and M = M2; the batch's mean = S/N and M2 = M + (Q - S^2/N), evaluated in
 * double-double from the exact sums and rounded to double (faithfully, the
 * same bits everywhere). A block with the
 * non-finite rule's NaN M2 marks its channel (mean +-Inf or NaN as the
 * plain sum of the means would be, M2 NaN). Backward: s1 and s2 of each
 * block summed exactly, rounded to double. The sums are exact within the
 * window of SIMDNORM_BINNED_LIMBS bins below the largest value's. */
#define SIMDNORM_BN_BLOCK_LEVEL 12
#define SIMDNORM_BN_BLOCK ((size_t)1 << SIMDNORM_BN_BLOCK_LEVEL)
#define SIMDNORM_BINNED_LIMBS 4
/* The most samples a batch's sinks stay exact for (a limb takes 2^31
 * digits, the forward's Q accumulator 4 per block: 2^29 blocks). The MPI
 * library checks it (SIMDNORM_ERR_SHAPE); one process cannot hold such a
 * batch (2^41 samples). */
#define SIMDNORM_BN_MAX_SAMPLES ((size_t)1 << 41)

typedef struct simdnorm_binned {
    int64_t limb[SIMDNORM_BINNED_LIMBS]; /* limb[i]: the digits of bin top - i */
    int32_t top;                         /* the highest bin reached; INT32_MIN: empty */
    uint32_t flags;                      /* NaN / +Inf / -Inf added */
} simdnorm_binned;

void simdnorm_binned_clear(simdnorm_binned *b);
void simdnorm_binned_add(simdnorm_binned *b, double x);
void simdnorm_binned_merge(simdnorm_binned *a, const simdnorm_binned *b);
/* The sum rounded to double (NaN if a NaN or both infinities were added, else
 * the infinity added). */
double simdnorm_binned_value(const simdnorm_binned *b);

typedef struct simdnorm_bn_sink {
    simdnorm_binned s, q, m;
} simdnorm_bn_sink;
typedef struct simdnorm_bn_sums_sink {
    simdnorm_binned s1, s2;
} simdnorm_bn_sums_sink;

void simdnorm_bn_sink_clear(size_t cw, simdnorm_bn_sink *k);
/* Adds one block per channel: count elements, mean[j], m2[j]. */
void simdnorm_bn_sink_add(size_t cw, simdnorm_bn_sink *k, double count, const double *mean,
                          const double *m2);
void simdnorm_bn_sink_merge(size_t cw, simdnorm_bn_sink *a, const simdnorm_bn_sink *b);
/* The batch's mean and M2 per channel (count: the batch's elements). */
void simdnorm_bn_sink_moments(size_t cw, const simdnorm_bn_sink *k, double count, double *mean,
                              double *m2);
void simdnorm_bn_sums_sink_clear(size_t cw, simdnorm_bn_sums_sink *k);
void simdnorm_bn_sums_sink_merge(size_t cw, simdnorm_bn_sums_sink *a,
                                 const simdnorm_bn_sums_sink *b);
/* Adds one block's s1[j], s2[j] per channel; the batch's sums, rounded to double. */
void simdnorm_bn_sums_sink_add(size_t cw, simdnorm_bn_sums_sink *k, const double *s1,
                               const double *s2);
void simdnorm_bn_sums_sink_value(size_t cw, const simdnorm_bn_sums_sink *k, double *s1,
                                 double *s2);

/* Whether a batch of n samples is cut into blocks. */
static inline int simdnorm_bn_blocked(size_t n) { return n > SIMDNORM_BN_BLOCK; }

/* After a push's merges in a blocked walk: whether the top node is a whole
 * block - the caller then adds slot t->top - 1 to its sink and pops it
 * (t->top--). */
static inline int simdnorm_tree_block_done(const simdnorm_tree *t)
{
    return t->top > 0 && t->level[t->top - 1] == SIMDNORM_BN_BLOCK_LEVEL;
}

/* The nodes a walk over [g0, g0 + n) leaves: simdnorm_tree_nodes, and for
 * a blocked batch only those below the block level. */
size_t simdnorm_tree_nodes_capped(size_t g0, size_t n, int blocked, size_t *first,
                                  unsigned char *level);

/* ---- 16-bit storage: widening and narrowing inside a call -------------------
 * storage 1: bf16, 2: f16. The storage's widen / narrow kernel of table k
 * on n elements, on this thread (no thread split, no FP-environment switch:
 * for short pieces inside a call). */
static inline void simdnorm_half_widen_k(const simdnorm_kernels *k, int storage, size_t n,
                                         const void *x, float *y)
{
    if (storage == 1)
        k->bf16_widen(n, (const simdnorm_bf16 *)x, y);
    else
        k->f16_widen(n, (const simdnorm_f16 *)x, y);
}
static inline void simdnorm_half_narrow_k(const simdnorm_kernels *k, int storage, size_t n,
                                          const float *x, void *y)
{
    if (storage == 1)
        k->bf16_narrow(n, x, (simdnorm_bf16 *)y);
    else
        k->f16_narrow(n, x, (simdnorm_f16 *)y);
}
/* ---- what simdnorm_mpi needs (hidden; the MPI library links the static
 * core). Nodes are the maximal aligned nodes of the caller's global range
 * [g0, g0 + n) (simdnorm_tree_nodes), node k's channel ch at [k*c + ch].
 * Arguments are validated by the caller (sizes, pointers, overlaps). */

/* storage (these and simdnorm_bn_bwd_from_sums): the activation tensors
 * (x, dy, dx) are float32 (0) or 16-bit (1 bf16, 2 f16), read and written in
 * 16 bits by the storage's kernels, as the single-process twins do. */

/* Forward: each node's per-channel mean and M2 (its count is 2^level *
 * spatial), the nodes simdnorm_tree_nodes_capped gives, of a batch of
 * n_total samples; a blocked batch's whole blocks into sink[c] (cleared
 * first; unused otherwise). Returns the node count. n may be 0. */
size_t simdnorm_bn_node_moments(int storage, simdnorm_layout layout, size_t n, size_t c,
                                size_t spatial, const void *x, size_t g0, size_t n_total,
                                double *mean, double *m2, simdnorm_bn_sink *sink);

/* Backward (training): each node's per-channel sums s1 = sum dy,
 * s2 = sum dy*xhat, and the sink, as simdnorm_bn_node_moments. scratch:
 * simdnorm_bn_node_sums_scratch(layout, n, c, spatial) bytes (NULL where
 * that is 0), taken by the caller before its ranks agree on a status, so
 * that this cannot fail. */
size_t simdnorm_bn_node_sums_scratch(simdnorm_layout layout, size_t n, size_t c, size_t spatial);
size_t simdnorm_bn_node_sums(int storage, simdnorm_layout layout, size_t n, size_t c,
                             size_t spatial, const void *dy, const void *x, const float *mean,
                             const float *rstd, size_t g0, size_t n_total, double *s1, double *s2,
                             simdnorm_bn_sums_sink *sink, void *scratch);

/* The batch's statistics from every range's nodes in sample order
 * (first[k], level[k]; data of node k at [k*c], count >= 1), in place: the
 * arrays serve as the stack (slot d <= node k), the result ends in [0, c) -
 * forward the per-channel mean and M2, backward s1 and s2. A blocked batch
 * passes its sink (every range's whole blocks merged into it, [c]) and,
 * forward, its n_total samples: the blocks the nodes complete and the
 * short last block go to the sink, which gives the result; else (sink
 * NULL) the result is the tree's root. */
void simdnorm_bn_fold_node_moments(size_t count, const size_t *first, const unsigned char *level,
                                   size_t c, size_t spatial, double *mean, double *m2,
                                   simdnorm_bn_sink *sink, size_t n_total);
void simdnorm_bn_fold_node_sums(size_t count, const size_t *first, const unsigned char *level,
                                size_t c, double *s1, double *s2, simdnorm_bn_sums_sink *sink);

/* BatchNorm training backward of n local samples with the batch's sums
 * (s1, s2 [c], of `total` elements): dx, dgamma, dbeta as
 * simdnorm_batch_norm_bwd_f32 (training) gives them for the whole batch.
 * Validated by the caller; n may be 0 (only dgamma/dbeta). */
simdnorm_status simdnorm_bn_bwd_from_sums(int storage, simdnorm_layout layout, size_t n,
                                          size_t c, size_t spatial, double total, const void *dy,
                                          const void *x, const float *gamma, const float *mean,
                                          const float *rstd, const double *s1, const double *s2,
                                          void *dx, float *dgamma, float *dbeta);

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


/* The canonical double NaN (0x7ff8000000000000) for NaN, else v: the
 * public moments' NaN. */
static inline double simdnorm_canonical_nan_d(double v)
{
    if (v != v) {
        const uint64_t bits = 0x7ff8000000000000ull;
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

/* ---- the normalize path: statistics -> plan -> normalize ----------------
 *
 * Every norm normalizes "spans" (a LayerNorm/RMSNorm row; a BatchNorm
 * plane or channel; a GroupNorm channel of one sample) by the same three
 * steps:
 *
 *  1. statistics: a double mean and variance of the span or of the set it
 *     belongs to (simdnorm_span_moments, simdnorm_span_sumsq, the channel
 *     moments; for GroupNorm the moments of one (sample, group), for the
 *     backward the saved mean and rstd), and rstd = 1/sqrt(var + eps);
 *  2. the plan (simdnorm_plan_from_stats): decided from those doubles before
 *     any of the span is written - whether the float kernel may take it
 *     (fast) and with which shift, scale, offset, or else the slow path's
 *     double mean and rstd; plus the float rstd a forward saves;
 *  3. the normalize: the kernel (f32_normalize and its streaming twin,
 *     f32_normalize_channels for strided spans) computing
 *     y = act(fmaf(x - shift, scale, offset)) [row plans: then gamma/beta
 *     per element, kernels.h], or the one slow path, simdnorm_normalize_slow
 *     (plain double C, compiled once: the same bits on every ISA) followed
 *     by the activation on its float results (k->f32_activate: the same
 *     operation on the same values, so the same bits as fused).
 *     simdnorm_apply_normalize(_ch) does step 3 for a contiguous span.
 *
 * Two affine forms, fixed by the plan's rule:
 *  - SIMDNORM_PLAN_ROW (LayerNorm, RMSNorm): gamma/beta are per-element
 *    arrays applied after the normalize, in the kernel:
 *    y_i = fmaf(u_i, gamma_i, beta_i), u_i = (x_i - shift)*scale + offset.
 *    The plan has no affine scalars. Fast iff |mean| < 2^125,
 *    var*n < 2^250 (simdnorm_row_mag_ok: x - mean_hi cannot overflow, as
 *    every |x - mean| <= sqrt(M2) < 2^125) and rstd_f is a normal float;
 *    scale = rstd_f, offset = -(mean_lo*rstd_f).
 *    Slow: u = (float)(((double)x_i - mean)*rstd), then fmaf(u, gamma_i,
 *    beta_i) / u*gamma_i / u + beta_i / u, exactly as the kernel applies
 *    them.
 *  - SIMDNORM_PLAN_FOLDED (BatchNorm; GroupNorm; any norm whose gamma/beta
 *    are one scalar per span): gamma_c is folded into the scale and beta_c
 *    into the offset, scale = (float)(rstd*gamma_c), offset =
 *    (float)(beta_c - mean_lo*scale), and the kernel gets no arrays. Fast iff
 *    the caller's magnitude test holds (mag_ok: |x - mean_hi| cannot overflow
 *    a float for any x of the span - simdnorm_moments_mag_ok from moments,
 *    simdnorm_given_mean_mag_ok from a given float mean), the mean is
 *    finite, the scale is a normal float or exactly 0 (sc == 0 in double)
 *    and the offset is finite (or beta_c is not).
 *    Slow: t = (((double)x - mean)*rstd)*gamma_c + beta_c in double (each
 *    step only when that scalar is present), rounded once to float.
 * Both: the mean is not folded into the bias (x*scale + (beta - mean*scale)
 * loses |mean|*2^-24*scale): x - mean_hi is exact or nearly so and mean_lo
 * goes in through the fma's addend. A slow plan's kernel parameters are the
 * identity (shift +0, scale 1, offset -0: y = x, signed zeros included), so
 * a kernel pass over many spans (NHWC channels) may include a slow one and
 * the slow path then rewrites it, reading x even in place. NaN outputs of
 * the slow path are canonical; rstd_f is (float)rstd, NaN canonical.
 * The two rules differ in bits (the offset's zero sign: -(0*r) is -0,
 * beta 0 - 0*r is +0; the scale tests), so they stay two rules. */

typedef enum simdnorm_plan_rule {
    SIMDNORM_PLAN_ROW = 0,    /* per-element gamma/beta, row norms' tests */
    SIMDNORM_PLAN_FOLDED = 1, /* per-span gamma_c/beta_c folded, BatchNorm's */
    /* or-ed into either: the call saves no rstd (inference), rstd_f is left
     * 0 - its conversion and NaN test cost a small inference ~2% */
    SIMDNORM_PLAN_NO_RSTD_F = 2,
} simdnorm_plan_rule;

/* How one span is normalized (see above). */
typedef struct simdnorm_norm_plan {
    int fast;                   /* the kernel with shift/scale/offset */
    float shift, scale, offset; /* the identity when !fast */
    double mean, rstd;          /* for the slow path */
    float rstd_f;               /* the saved rstd: (float)rstd, canonical NaN
                                 * (0 under SIMDNORM_PLAN_NO_RSTD_F) */
    int folded;                 /* affine form: SIMDNORM_PLAN_FOLDED's */
} simdnorm_norm_plan;

/* The row norms' magnitude test: |mean| < 2^125 and var*n < 2^250. */
static inline int simdnorm_row_mag_ok(size_t n, double mean, double var)
{
    return fabs(mean) < 0x1p125 && var * (double)n < 0x1p250;
}

/* The magnitude test from a span's (or group's) moments: finite, and
 * |mean| + sqrt(M2) < 2^126, which bounds every |x| (BatchNorm training). */
static inline int simdnorm_moments_mag_ok(double mean, double m2)
{
    return isfinite(mean) && isfinite(m2) && fabs(mean) + sqrt(m2) < 0x1p126;
}

/* The magnitude test for a given float mean (BatchNorm inference, and a
 * backward from saved statistics): |mean| < 2^103, past which x - mean can
 * round to Inf for some finite x. */
static inline int simdnorm_given_mean_mag_ok(float mean) { return fabsf(mean) < 0x1p103f; }

/* The plan of a span from its double mean and rstd (= 1/sqrt(var + eps)).
 * rule (a simdnorm_plan_rule, SIMDNORM_PLAN_NO_RSTD_F or-ed in or not)
 * SIMDNORM_PLAN_ROW: mag_ok = simdnorm_row_mag_ok(n, mean, var),
 * gamma = beta = NULL. rule SIMDNORM_PLAN_FOLDED: mag_ok the caller's
 * magnitude test; gamma, beta the per-channel arrays (NULL where absent) and
 * ch the span's channel: gamma_c = gamma[ch], beta_c = beta[ch]. Inline: with the rule a constant it compiles to
 * exactly that rule's operations (a group of short rows, the channels of a
 * small BatchNorm call plan without a call each). */
static inline __attribute__((always_inline)) simdnorm_norm_plan
simdnorm_plan_from_stats(unsigned rule, int mag_ok, double mean, double rstd,
                         const float *gamma, const float *beta, size_t ch)
{
    simdnorm_norm_plan p;
    p.mean = mean;
    p.rstd = rstd;
    const float rstd_f = (float)rstd;
    p.rstd_f = rule & SIMDNORM_PLAN_NO_RSTD_F ? 0.0f : simdnorm_canonical_nan(rstd_f);
    p.folded = (rule & SIMDNORM_PLAN_FOLDED) != 0;
    p.fast = 0;
    if (!p.folded) {
        /* u = (x - mean_hi)*rstd - mean_lo*rstd */
        if (mag_ok && rstd_f >= FLT_MIN && rstd_f <= FLT_MAX) {
            p.fast = 1;
            p.shift = (float)mean;
            const float mean_lo = (float)(mean - (double)p.shift);
            p.scale = rstd_f;
            p.offset = (float)(-(double)mean_lo * (double)rstd_f);
        }
    } else if (mag_ok && isfinite(mean)) {
        const double sc = gamma ? rstd * (double)gamma[ch] : rstd;
        const double b = beta ? (double)beta[ch] : 0.0;
        const float scale = (float)sc;
        const float mean_hi = (float)mean;
        const float mean_lo = (float)(mean - (double)mean_hi);
        const float offset = (float)(b - (double)mean_lo * (double)scale);
        if ((sc == 0.0 || (fabsf(scale) >= FLT_MIN && fabsf(scale) <= FLT_MAX)) &&
            (isfinite(offset) || !isfinite(b))) {
            p.fast = 1;
            p.shift = mean_hi;
            p.scale = scale;
            p.offset = offset;
        }
    }
    if (!p.fast) {
        p.shift = 0.0f;
        p.scale = 1.0f;
        p.offset = -0.0f;
    }
    return p;
}

/* The row norms' plan from a row's double mean and var (RMSNorm: mean 0,
 * var the mean square): simdnorm_plan_from_stats with SIMDNORM_PLAN_ROW. */
static inline simdnorm_norm_plan simdnorm_plan_normalize(size_t n, double mean, double var,
                                                         double eps)
{
    return simdnorm_plan_from_stats(SIMDNORM_PLAN_ROW, simdnorm_row_mag_ok(n, mean, var), mean,
                                    1.0 / sqrt(var + eps), NULL, NULL, 0);
}

/* The one slow path: y[i*y_stride] from x[i*x_stride], i < n, in double
 * with the plan's mean and rstd, in the plan's affine form: a row plan with
 * the per-element arrays gamma[i], beta[i] (ch unused), a folded plan with
 * the span's scalars gamma[ch], beta[ch] (the arrays and channel its plan
 * got); NULL: absent. NaN made canonical; no activation (the caller's
 * f32_activate follows). Any plan may be taken by it (fast ones too: the
 * same formulas), x == y allowed with equal strides. */
void simdnorm_normalize_slow(const simdnorm_norm_plan *p, size_t n, const float *x,
                             size_t x_stride, const float *gamma, const float *beta, size_t ch,
                             float *y, size_t y_stride);

/* y = act(normalize(x)) of a contiguous span with its plan: `normalize`
 * (f32_normalize or, for large outputs, f32_normalize_stream: the same
 * bits) with the activation fused - given the per-element gamma/beta of a
 * row plan, none for a folded one (they are in its scale/offset) - or the
 * slow path followed by k's f32_activate in place. gamma, beta, ch as for
 * simdnorm_normalize_slow; pf the kernel's prefetch hint (kernels.h: the n
 * floats read next, or NULL). */
static inline void simdnorm_apply_normalize_ch(const simdnorm_kernels *k,
                                               simdnorm_f32_normalize_fn normalize,
                                               const simdnorm_norm_plan *p, size_t n,
                                               const float *x, const float *gamma,
                                               const float *beta, size_t ch, int act, float *y,
                                               const float *pf)
{
    if (p->fast) {
        if (p->folded)
            normalize(n, x, p->shift, p->scale, p->offset, NULL, NULL, act, y, pf);
        else
            normalize(n, x, p->shift, p->scale, p->offset, gamma, beta, act, y, pf);
        return;
    }
    simdnorm_normalize_slow(p, n, x, 1, gamma, beta, ch, y, 1);
    if (act != SIMDNORM_ACT_NONE)
        k->f32_activate(n, y, act, y);
}

/* The same for a row plan (per-element gamma/beta; the row norms). */
static inline void simdnorm_apply_normalize(const simdnorm_kernels *k,
                                            simdnorm_f32_normalize_fn normalize,
                                            const simdnorm_norm_plan *p, size_t n,
                                            const float *x, const float *gamma,
                                            const float *beta, int act, float *y,
                                            const float *pf)
{
    simdnorm_apply_normalize_ch(k, normalize, p, n, x, gamma, beta, 0, act, y, pf);
}

/* The plain float64 sum, in order, of n 16-bit elements x[i*stride]
 * widened (storage 1 bf16, 2 f16): the non-finite rule's mean of a 16-bit
 * BatchNorm leaf or GroupNorm pair. */
double simdnorm_half_sum(int storage, size_t n, const void *x, size_t stride);

/* The 16-bit element x[i] widened to float (storage 1 bf16, 2 f16). */
float simdnorm_half_at(int storage, const void *x, size_t i);

/* simdnorm_apply_normalize_ch on n 16-bit elements (storage 1 bf16, 2 f16;
 * stream: the normalize kernel's streaming form): a fast plan through the
 * storage's normalize kernel (kernels.h "16-bit storage": f32_normalize's
 * output on the widened span, narrowed), a slow one in pieces of 1024
 * elements widened on the stack, the float path there, narrowed - every
 * output the float32 call's, narrowed once (BatchNorm's and GroupNorm's
 * NCHW planes). pf: the fast kernel's prefetch hint (n 16-bit elements),
 * or NULL. */
void simdnorm_apply_normalize_ch_half(const simdnorm_kernels *k, int storage, int stream,
                                      const simdnorm_norm_plan *p, size_t n, const void *x,
                                      const float *gamma, const float *beta, size_t ch, int act,
                                      void *y, const void *pf);

/* simdnorm_normalize_slow on n 16-bit elements x[i*x_stride] (storage 1
 * bf16, 2 f16) into y[i*y_stride]: in pieces of 1024 widened on the stack,
 * each output narrowed once (the float32 call's outputs, narrowed). No
 * activation. x == y allowed with equal strides. */
void simdnorm_normalize_slow_half(const simdnorm_norm_plan *p, int storage, size_t n,
                                  const void *x, size_t x_stride, const float *gamma,
                                  const float *beta, size_t ch, void *y, size_t y_stride);

/* One call of a storage's channel normalize kernel (kernels.h:
 * f32_normalize_channels, or its bf16_/f16_ twin for storage 1/2 - 16-bit
 * x and y, the float32 kernel's outputs narrowed; stream: the streaming
 * form, the same bits) on the [rows, channels] matrix whose row r starts
 * at element off + r*stride of x and of y. */
static inline void simdnorm_normalize_channels_st(const simdnorm_kernels *k, int storage,
                                                  int stream, size_t rows, size_t channels,
                                                  const void *x, void *y, size_t off,
                                                  size_t stride, const float *shift,
                                                  const float *scale, const float *offset,
                                                  int act)
{
    if (storage == 0)
        (stream ? k->f32_normalize_channels_stream : k->f32_normalize_channels)(
            rows, channels, (const float *)x + off, stride, shift, scale, offset, act,
            (float *)y + off);
    else if (storage == 1)
        (stream ? k->bf16_normalize_channels_stream : k->bf16_normalize_channels)(
            rows, channels, (const simdnorm_bf16 *)x + off, stride, shift, scale, offset, act,
            (simdnorm_bf16 *)y + off);
    else
        (stream ? k->f16_normalize_channels_stream : k->f16_normalize_channels)(
            rows, channels, (const simdnorm_f16 *)x + off, stride, shift, scale, offset, act,
            (simdnorm_f16 *)y + off);
}

/* The storage's kernel (storage 0: the f32_ family; 1, 2: its bf16_/f16_
 * twin, the float32 family's outputs on the widened elements, narrowed) on
 * dy, x, dx (y) from element off: BatchNorm's and GroupNorm's backward.
 * seq: the in-order form (f32_bwd_sums_seq). */
static inline void simdnorm_bwd_sums_st(const simdnorm_kernels *k, int storage, int seq, size_t n,
                                        const void *dy, const void *x, size_t off,
                                        const float *gamma, float mean, float rstd,
                                        double out[2])
{
    if (storage == 0)
        (seq ? k->f32_bwd_sums_seq : k->f32_bwd_sums)(n, (const float *)dy + off,
                                                      (const float *)x + off, gamma, mean, rstd,
                                                      out);
    else if (storage == 1)
        (seq ? k->bf16_bwd_sums_seq : k->bf16_bwd_sums)(n, (const simdnorm_bf16 *)dy + off,
                                                        (const simdnorm_bf16 *)x + off, gamma,
                                                        mean, rstd, out);
    else
        (seq ? k->f16_bwd_sums_seq : k->f16_bwd_sums)(n, (const simdnorm_f16 *)dy + off,
                                                      (const simdnorm_f16 *)x + off, gamma, mean,
                                                      rstd, out);
}
/* stream: f32_bwd_dx_stream (dx from memory: streaming stores, a fence). */
static inline void simdnorm_bwd_dx_st(const simdnorm_kernels *k, int storage, int stream, size_t n,
                                      const void *dy, const void *x, void *dx, size_t off,
                                      const float *gamma, float mean, float rstd, float w,
                                      float kk, float o)
{
    if (storage == 0)
        (stream ? k->f32_bwd_dx_stream : k->f32_bwd_dx)(n, (const float *)dy + off,
                                                        (const float *)x + off, gamma, mean, rstd,
                                                        w, kk, o, (float *)dx + off);
    else if (storage == 1)
        (stream ? k->bf16_bwd_dx_stream : k->bf16_bwd_dx)(
            n, (const simdnorm_bf16 *)dy + off, (const simdnorm_bf16 *)x + off, gamma, mean, rstd,
            w, kk, o, (simdnorm_bf16 *)dx + off);
    else
        (stream ? k->f16_bwd_dx_stream : k->f16_bwd_dx)(
            n, (const simdnorm_f16 *)dy + off, (const simdnorm_f16 *)x + off, gamma, mean, rstd,
            w, kk, o, (simdnorm_f16 *)dx + off);
}
/* seq: the form for tensors from memory (f32_bwd_channel_sums_seq). */
static inline void simdnorm_bwd_channel_sums_st(const simdnorm_kernels *k, int storage,
                                                size_t rows, size_t channels, const void *dy,
                                                const void *x, size_t off, size_t stride,
                                                const float *mean, const float *rstd, double *s1,
                                                double *s2, int seq)
{
    if (storage == 0)
        (seq ? k->f32_bwd_channel_sums_seq : k->f32_bwd_channel_sums)(
            rows, channels, (const float *)dy + off, (const float *)x + off, stride, mean, rstd,
            s1, s2);
    else if (storage == 1)
        (seq ? k->bf16_bwd_channel_sums_seq : k->bf16_bwd_channel_sums)(
            rows, channels, (const simdnorm_bf16 *)dy + off, (const simdnorm_bf16 *)x + off,
            stride, mean, rstd, s1, s2);
    else
        (seq ? k->f16_bwd_channel_sums_seq : k->f16_bwd_channel_sums)(
            rows, channels, (const simdnorm_f16 *)dy + off, (const simdnorm_f16 *)x + off, stride,
            mean, rstd, s1, s2);
}
/* The storage's f32_bwd_dx_channels (stream: its _stream form, for dx
 * from memory) on the [rows, channels] matrices from element off. */
static inline void simdnorm_bwd_dx_channels_st(const simdnorm_kernels *k, int storage, int stream,
                                               size_t rows, size_t channels, const void *dy,
                                               const void *x, void *dx, size_t off,
                                               size_t stride, const float *mean,
                                               const float *rstd, const float *w,
                                               const float *kk, const float *o)
{
    if (storage == 0)
        (stream ? k->f32_bwd_dx_channels_stream : k->f32_bwd_dx_channels)(
            rows, channels, (const float *)dy + off, (const float *)x + off, stride, mean, rstd, w,
            kk, o, (float *)dx + off);
    else if (storage == 1)
        (stream ? k->bf16_bwd_dx_channels_stream : k->bf16_bwd_dx_channels)(
            rows, channels, (const simdnorm_bf16 *)dy + off, (const simdnorm_bf16 *)x + off,
            stride, mean, rstd, w, kk, o, (simdnorm_bf16 *)dx + off);
    else
        (stream ? k->f16_bwd_dx_channels_stream : k->f16_bwd_dx_channels)(
            rows, channels, (const simdnorm_f16 *)dy + off, (const simdnorm_f16 *)x + off, stride,
            mean, rstd, w, kk, o, (simdnorm_f16 *)dx + off);
}
/* The storage's channel moments kernel (f32_channel_moments or its twin)
 * on the [rows, channels] matrix from element off of x (row stride
 * `stride`), `groups` blocks gstride apart: BatchNorm's and GroupNorm's
 * NHWC statistics. */
static inline void simdnorm_channel_moments_st(const simdnorm_kernels *k, int storage,
                                               size_t rows, size_t channels, const void *x,
                                               size_t off, size_t stride, size_t groups,
                                               size_t gstride, double *s1, double *s2)
{
    if (storage == 0)
        k->f32_channel_moments(rows, channels, (const float *)x + off, stride, groups, gstride,
                               s1, s2);
    else if (storage == 1)
        k->bf16_channel_moments(rows, channels, (const simdnorm_bf16 *)x + off, stride, groups,
                                gstride, s1, s2);
    else
        k->f16_channel_moments(rows, channels, (const simdnorm_f16 *)x + off, stride, groups,
                               gstride, s1, s2);
}
/* The storage's normalize kernel without gamma/beta (f32_normalize or its
 * twin) on n elements from element off of x and y. */
static inline void simdnorm_normalize_st(const simdnorm_kernels *k, int storage, size_t n,
                                         const void *x, void *y, size_t off, float shift,
                                         float scale, float offset, int act)
{
    if (storage == 0)
        k->f32_normalize(n, (const float *)x + off, shift, scale, offset, NULL, NULL, act,
                         (float *)y + off, NULL);
    else if (storage == 1)
        k->bf16_normalize(n, (const simdnorm_bf16 *)x + off, shift, scale, offset, NULL, NULL,
                          act, (simdnorm_bf16 *)y + off, NULL);
    else
        k->f16_normalize(n, (const simdnorm_f16 *)x + off, shift, scale, offset, NULL, NULL, act,
                         (simdnorm_f16 *)y + off, NULL);
}
/* Element i of a tensor of the storage as float (a 16-bit one widened),
 * and v stored there (a 16-bit one narrowed once). */
static inline float simdnorm_st_get(int storage, const void *p, size_t i)
{
    return storage ? simdnorm_half_at(storage, p, i) : ((const float *)p)[i];
}
void simdnorm_half_put(int storage, void *p, size_t i, float v);
static inline void simdnorm_st_put(int storage, void *p, size_t i, float v)
{
    if (storage)
        simdnorm_half_put(storage, p, i, v);
    else
        ((float *)p)[i] = v;
}

/* The NHWC normalize of channels [c0, c0 + cw) of a [rows, c] matrix
 * (stride c; x, y of the storage: simdnorm_normalize_channels_st) with
 * per-channel shift/scale/offset arrays of `cap` entries (the first cw
 * set). Narrow and dense (cw == c < narrow): R rows are one row of c*R
 * channels, the arrays repeated R times (c*R a multiple of 16 floats where
 * that fits in cap, so every wide row of an aligned y starts on a 64-byte
 * boundary for streaming stores); the rest row by row. Shared by BatchNorm
 * and GroupNorm; the same bits either way (each element's operations do
 * not depend on the row's width). */
static inline void simdnorm_normalize_channels_rows(const simdnorm_kernels *k, int storage,
                                                    int stream, size_t rows, size_t c, size_t c0,
                                                    size_t cw, const void *x, void *y,
                                                    float *shift, float *scale, float *offset,
                                                    int act, size_t narrow, size_t cap)
{
    size_t done = 0;
    if (cw == c && c < narrow) {
        size_t unit = 16;
        while (c % (16 / unit * 2) == 0 && unit > 1)
            unit /= 2; /* unit = 16 / gcd(c, 16) */
        size_t rep = (narrow + c * unit - 1) / (c * unit) * unit;
        if (c * rep > cap)
            rep = (narrow + c - 1) / c;
        const size_t wide = c * rep;
        for (size_t j = c; j < wide; j++) {
            shift[j] = shift[j - c];
            scale[j] = scale[j - c];
            offset[j] = offset[j - c];
        }
        const size_t wide_rows = rows / rep;
        if (wide_rows)
            simdnorm_normalize_channels_st(k, storage, stream, wide_rows, wide, x, y, 0, wide,
                                           shift, scale, offset, act);
        done = wide_rows * rep;
    }
    if (done < rows)
        simdnorm_normalize_channels_st(k, storage, stream, rows - done, cw, x, y, done * c + c0,
                                       c, shift, scale, offset, act);
}

/* Above this many bytes of x + y a call writes y with streaming
 * (non-temporal) stores: DESIGN §6 measured them winning only when x + y
 * exceed ~24 MiB and losing badly below ~16 MiB. */
#define SIMDNORM_STREAM_BYTES ((size_t)24 << 20)

/* Whether a call whose x and y hold elems elements of es bytes each comes
 * from memory: x + y beyond SIMDNORM_STREAM_BYTES. Such calls stream their
 * outputs (where rows allow) and take their sums in order (the _seq / _mem
 * forms, ARCHITECTURE.md "From memory"). */
static inline int simdnorm_from_memory(size_t elems, size_t es)
{
    return elems > SIMDNORM_STREAM_BYTES / (2 * es);
}

/* Whether a call with activation act may stream y: not with GELU or SiLU,
 * whose arithmetic, not memory, bounds the normalize loop (tens of
 * operations a vector). There the streaming stores cost time: LayerNorm
 * + act at 64 MiB, one thread, AVX2 Zen 3, ns an element streaming ->
 * plain stores (two runs of the /tmp throwaway `fa`, the engine's stream
 * flag forced off): GELU(erf) 768 floats 1.24-1.37 -> 1.12-1.15, 256
 * 1.22-1.28 -> 1.16-1.18, 2048 1.24 -> 1.07-1.15, 4096 1.12-1.15 ->
 * 1.06-1.16; SiLU 768 0.87-0.94 -> 0.70-0.73. NONE and ReLU stream as the
 * size says. Same bits either way. The row norms (dispatch/rows.c) ask;
 * BatchNorm's fused activation (ReLU in practice; GELU there not
 * measured) streams as before. */
static inline int simdnorm_act_streams(int act)
{
    return act == SIMDNORM_ACT_NONE || act == SIMDNORM_ACT_RELU;
}

#endif /* SIMDNORM_INTERNAL_H */
