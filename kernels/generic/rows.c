/* rows.c - the row engine (kernels.h: f32_layer_norm_rows, f32_rms_norm_rows),
 * written once and compiled for every ISA against its vector header.
 *
 * A batch is VD_N rows (AVX-512 8, AVX2 4, NEON 2, scalar 1): their fast
 * sums are taken one row after another (independent dependency chains),
 * folded together where the vector header can (vd_fold_rows), and finished
 * together in the lanes of one double register: the verdict on the fast
 * sums (dispatch/stats.c, judge_fast_sums), the variance, rstd = 1/sqrt(var
 * + eps) and the normalize plan (internal.h, simdnorm_plan_normalize) are
 * the same double operations, lane by lane, so every bit is what the
 * per-row definition gives. Each row is then normalized by the inlined
 * normalize loop (generic/normalize.h). A row the vector finish does not
 * take goes to the plain-C per-row path (simdnorm_*_row_slow). A batch of
 * one row (a 1-row call, a decode step; every row from 2049 floats on) is
 * finished in scalar double in the kernel instead (one_row_plan): for one
 * row the lane-parallel finish (the fold across rows, vector division and
 * square root) only lengthens the chain (1x8 LayerNorm, AVX-512: ~61 ns
 * before the engine, ~95 ns through it), and the per-row path's calls
 * (the verdict, the plan, an indirect normalize) cost as much again.
 * Compiled once per storage type (generic/storage.h): the bf16_/f16_
 * engines read the job's 16-bit xh (widened in registers) and write its yh
 * (narrowed once), with the float operations of the f32 engine; their rare
 * rows go to simdnorm_*_row_slow_half. */
#include <float.h>
#include <math.h>

#include SIMDNORM_VEC_HEADER
#include "generic/lanes.h"
#include "generic/act.h"
#include "generic/storage.h"
#include "generic/normalize.h"
#include "generic/reduce.h"

/* One row's fast sums up to the in-register halvings (and all of them
 * where the header has no vd_fold_rows), the rounds interleaved or in
 * order (reduce.h, moments_lanes_with), inlined into the out-of-line
 * functions below: inlined into the batch loop, GCC spilled the 32 lanes'
 * registers inside the hot loop (1x4096 RMSNorm ran at half speed). */
static ALWAYS_INLINE void row_moments_with(size_t n, const sx *x, float shift, vd *v1, vd *v2,
                                           int interleave)
{
    vd s[LANE_VD], q[LANE_VD];
    moments_lanes_with(n, x, shift, s, q, interleave);
    *v1 = lanes_fold_to_reg(s);
    *v2 = lanes_fold_to_reg(q);
}

static ALWAYS_INLINE vd row_sumsq_with(size_t n, const sx *x, int interleave)
{
    vd q[LANE_VD];
    sumsq_lanes_with(n, x, q, interleave);
    return lanes_fold_to_reg(q);
}

static __attribute__((noinline)) void row_moments(size_t n, const sx *x, float shift, vd *v1,
                                                  vd *v2)
{
    row_moments_with(n, x, shift, v1, v2, 1);
}

static __attribute__((noinline)) vd row_sumsq(size_t n, const sx *x)
{
    return row_sumsq_with(n, x, 1);
}

/* In order: for the rows of a call from memory. */
static __attribute__((noinline)) void row_moments_seq(size_t n, const sx *x, float shift, vd *v1,
                                                      vd *v2)
{
    row_moments_with(n, x, shift, v1, v2, 0);
}

static __attribute__((noinline)) vd row_sumsq_seq(size_t n, const sx *x)
{
    return row_sumsq_with(n, x, 0);
}

/* A row of one round (n <= ROUND_ELEMS): moments_lanes' only step, its
 * double lanes kept in registers (the general function keeps them on the
 * stack across its rounds: store, reload and the frame's realignment were
 * ~45 % of a 64-float row's sums). */
static __attribute__((noinline)) void row_moments_short(size_t n, const sx *x, float shift,
                                                        vd *v1, vd *v2)
{
    vd s[LANE_VD], q[LANE_VD];
    moments_round(x, 0, n, vf_set1(-shift), s, q, 1);
    *v1 = lanes_fold_to_reg(s);
    *v2 = lanes_fold_to_reg(q);
}

static __attribute__((noinline)) vd row_sumsq_short(size_t n, const sx *x)
{
    vd q[LANE_VD];
    sumsq_round(x, 0, n, q, 1);
    return lanes_fold_to_reg(q);
}

/* ---- Short rows: VF_N <= n <= 2 * SIMDNORM_LANES --------------------------
 * A row is at most SHORT_VMAX vectors (generic/lanes.h) and its sums, its
 * normalize and its tails are inlined into the batch loop as straight code
 * for each vector count V
 * (the general path's per-row call, its round loop and its partial loads
 * were a third of a 33-float row's instructions: AVX2 343 -> 232 a row,
 * `ROWS=248 valgrind --tool=callgrind tools/qemu-icount/lncall 33 200 avx2
 * affine` built for x86, see tools/qemu-icount/lncall.c). The loads
 * past the row's end stay inside the job: a row that is not the range's
 * last (more: row r + 1 < r1 is this thread's) reads its last vector whole
 * - into the next row, which nobody writes yet - and drops the lanes past
 * n (vf_keep_first, as the partial step of moments_round; the same
 * operations, so the same bits); the range's last row loads a part. The
 * normalize never reads or writes past the row: its last, partial vector
 * is taken as the VF_N elements that end at n, computed before any store
 * (in place the overlap still holds x) and stored last, rewriting the
 * overlap with the same values. SHORT_VMAX, short_rows_ok and SHORT_WITH_V:
 * generic/lanes.h. */

/* Whether short rows take the next batch's statistics before this batch's
 * normalize (the pipe of ln_short_rows and rms_short_rows): in cache
 * always; from memory for rows of up to 40 floats, still bound by the core
 * there. Measured (LayerNorm, 64 MiB of x, one thread, without / with the
 * pipe, ns a row, AVX-512 / AVX2; a throwaway loop alternating the two
 * libraries, best of 60 calls): 33 floats 23.6 -> 22.3 / 26.9 -> 22.3; 40
 * 21.6 -> 20.3 / 24.5 -> 22.3; 48 22.0 -> 23.3 / 25.2 -> 25.5; 64 28.7 ->
 * 34.9 / 31.7 -> 34.6 (33 and 64: `python3 bench/ab.py` on
 * layer_norm/.../cols:33|64/rows:508400|262144). */
static ALWAYS_INLINE int short_rows_pipe(const simdnorm_row_job *j)
{
    return !j->from_memory || j->cols <= 40;
}

/* moments_round(x, 0, n, -shift) and the halvings across registers of a
 * short row of V vectors; more: the lanes past n may be read (see above). */
static ALWAYS_INLINE void short_row_moments(size_t V, size_t n, const sx *x, float shift, int more,
                                            vd *v1, vd *v2)
{
    const vf nk = vf_set1(-shift);
    vf p[LANE_VF], r[LANE_VF];
#pragma GCC unroll 32
    for (size_t j = 0; j < LANE_VF; j++)
        p[j] = r[j] = vf_zero();
#pragma GCC unroll 32
    for (size_t k = 0; k < V; k++) {
        const size_t c = k + 1 < V ? VF_N : n - k * VF_N;
        const vf v = c == VF_N || more ? vx_loadu(x + k * VF_N) : vx_load_part(x + k * VF_N, c);
        vf d = vf_addk(v, nk);
        if (k + 1 == V && c < VF_N)
            d = vf_keep_first(d, c);
        p[k % LANE_VF] = vf_add(p[k % LANE_VF], d);
        r[k % LANE_VF] = vf_fma(d, d, r[k % LANE_VF]);
    }
    *v1 = lanes_widen_fold_to_reg(p);
    *v2 = lanes_widen_fold_to_reg(r);
}

/* sumsq_round(x, 0, n) and the halvings across registers of a short row. */
static ALWAYS_INLINE vd short_row_sumsq(size_t V, size_t n, const sx *x, int more)
{
    vf r[LANE_VF];
#pragma GCC unroll 32
    for (size_t j = 0; j < LANE_VF; j++)
        r[j] = vf_zero();
#pragma GCC unroll 32
    for (size_t k = 0; k < V; k++) {
        const size_t c = k + 1 < V ? VF_N : n - k * VF_N;
        vf v = c == VF_N || more ? vx_loadu(x + k * VF_N) : vx_load_part(x + k * VF_N, c);
        if (k + 1 == V && c < VF_N)
            v = vf_keep_first(v, c);
        r[k % LANE_VF] = vf_fma(v, v, r[k % LANE_VF]);
    }
    return lanes_widen_fold_to_reg(r);
}

/* normalize_span of a short row of V vectors without activation or
 * streaming: the same per-element operations (normalize_full, or
 * normalize_pair for whole pairs where the storage has them); a partial
 * last vector as the VF_N elements ending at n (see above). */
static ALWAYS_INLINE void short_row_normalize_with(size_t V, size_t n, const sx *x,
                                                  float shift_s, float scale_s, float offset_s,
                                                  const float *gamma, const float *beta, sx *y,
                                                  int has_gamma, int has_beta, int act)
{
    const vf shift = vf_set1(shift_s), scale = vf_set1(scale_s), offset = vf_set1(offset_s);
    const size_t last = n - VF_N; /* the last vector's start: (V-1) * VF_N when n fills it */
    vf out[SHORT_VMAX];
#if VX_HAS_PAIR
    /* In pairs (storage.h): vectors [0, Q) as whole pairs; then an odd V's
     * last vector alone, an even V's last two as the pair of 2 VF_N
     * elements ending at n (overlapping the pair before as the lone last
     * vector does); V = 2: one vector at 0, one ending at n, as below. */
    const size_t Q = V % 2 ? V - 1 : V >= 4 ? V - 2 : 0;
#pragma GCC unroll 32
    for (size_t k = 0; k < Q; k += 2)
        normalize_pair(k * VF_N, x, shift, scale, offset, gamma, beta, has_gamma, has_beta,
                       act, NULL, &out[k], &out[k + 1]);
    if (V % 2 == 0 && V >= 4) {
        normalize_pair(n - 2 * VF_N, x, shift, scale, offset, gamma, beta, has_gamma, has_beta,
                       act, NULL, &out[V - 2], &out[V - 1]);
    } else {
#pragma GCC unroll 32
        for (size_t k = Q; k < V; k++)
            out[k] = normalize_full(k + 1 < V ? k * VF_N : last, x, shift, scale, offset, gamma,
                                    beta, has_gamma, has_beta, act, NULL);
    }
#pragma GCC unroll 32
    for (size_t k = 0; k < Q; k += 2)
        vx_store_npair_c(y + k * VF_N, out[k], out[k + 1]);
    if (V % 2 == 0 && V >= 4) {
        vx_store_npair_c(y + n - 2 * VF_N, out[V - 2], out[V - 1]);
    } else {
#pragma GCC unroll 32
        for (size_t k = Q; k < V; k++)
            vx_storeu_c(y + (k + 1 < V ? k * VF_N : last), out[k]);
    }
#else
#pragma GCC unroll 32
    for (size_t k = 0; k < V; k++)
        out[k] = normalize_full(k + 1 < V ? k * VF_N : last, x, shift, scale, offset, gamma, beta,
                                has_gamma, has_beta, act, NULL);
#pragma GCC unroll 32
    for (size_t k = 0; k < V; k++)
        vx_storeu_c(y + (k + 1 < V ? k * VF_N : last), out[k]);
#endif
}

/* A row's sums: one round, or for a call whose x comes from memory (mem)
 * in order, or interleaved. */
static ALWAYS_INLINE void row_moments_for(int mem, size_t n, const sx *x, float shift, vd *v1,
                                          vd *v2)
{
    if (n <= ROUND_ELEMS)
        row_moments_short(n, x, shift, v1, v2);
    else if (mem)
        row_moments_seq(n, x, shift, v1, v2);
    else
        row_moments(n, x, shift, v1, v2);
}

static ALWAYS_INLINE vd row_sumsq_for(int mem, size_t n, const sx *x)
{
    return n <= ROUND_ELEMS ? row_sumsq_short(n, x) : mem ? row_sumsq_seq(n, x) : row_sumsq(n, x);
}

/* Normalize row r of the job with its plan; act 0 inline, the activations
 * through the out-of-line loops. Both prefetch pf (next_row: the same row
 * of the next batch, or NULL) meanwhile, so the next statistics pass
 * reads it in cache. plain (engine_plain; act 0 only): the row's outputs
 * cannot be NaN, and their canonical-NaN select is left out. */
static ALWAYS_INLINE void engine_normalize(const simdnorm_row_job *j, size_t r, const sx *xr,
                                           float shift, float scale, float offset,
                                           const float *beta, int stream, const sx *pf,
                                           int plain)
{
    sx *yr = JY(j) + r * j->y_stride;
    const int none = plain ? NORMALIZE_AFFINE_ONLY : SIMDNORM_ACT_NONE;
    if (j->act == SIMDNORM_ACT_NONE)
        normalize_affine(j->cols, xr, shift, scale, offset, j->gamma, beta, yr, none, stream,
                         plain ? NULL : pf); /* plain: in cache, nothing to prefetch */
    else if (stream)
        normalize_act_stream(j->cols, xr, shift, scale, offset, j->gamma, beta, yr, j->act, pf);
    else
        normalize_act(j->cols, xr, shift, scale, offset, j->gamma, beta, yr, j->act, pf);
}

/* Row i of the batch after the one at r (NULL past r1, or where nothing
 * is prefetched), for engine_normalize to prefetch:
 * - with an activation, always: its arithmetic keeps the core busy while
 *   the next rows come from memory (LayerNorm + GELU, 64 MiB: the
 *   activation's time was otherwise added to the memory-bound norm's);
 * - without, for calls from memory with rows of ROW_PREFETCH_MIN_COLS or
 *   more. Without it the next row's reads began only when its statistics
 *   pass did, after this row's stores, and reads and writes took turns.
 *   LayerNorm / RMSNorm at 64 MiB, one thread, Zen 3 AVX2, frac against a
 *   streaming copy in the same loop, without -> with (best of 10, two
 *   rounds; /tmp throwaway `ln COLS OP`): 128 floats 0.48-0.53 -> 0.61-0.62
 *   / 0.70 -> 0.80-0.85; 256 0.49-0.51 -> 0.71-0.73 / 0.59 -> 0.83-0.85;
 *   1024 0.64-0.68 -> 0.71-0.73 / 0.62-0.66 -> 0.84-0.87; 2048 0.58 -> 0.73
 *   / 0.63 -> 0.82-0.84 (rows past a block, 4096 floats, are not the
 *   engine's: dispatch/rows.c). Shorter rows are bound by the
 *   core: 65 floats lost (LayerNorm 0.45-0.48 -> 0.43), and 33 and 64 (the
 *   short-row path) did not gain with the next batch or one 2-8 KiB ahead.
 * The same bits: a prefetch changes no value. */
#define ROW_PREFETCH_MIN_COLS 80
static ALWAYS_INLINE const sx *next_row(const simdnorm_row_job *j, size_t r, size_t bn,
                                        size_t i, size_t r1)
{
    const int pf = j->act != SIMDNORM_ACT_NONE ||
                   (j->from_memory && j->cols >= ROW_PREFETCH_MIN_COLS);
    return pf && r + bn + i < r1 ? JX(j) + (r + bn + i) * j->x_stride : NULL;
}

/* simdnorm_head_shift of a row, its 8-element head summed in the vector
 * header (the same pairwise double additions). */
static ALWAYS_INLINE float row_shift(size_t n, const sx *x)
{
#if SX_IS_F32
    return n >= 8 ? (float)(vd_head8_sum(x) * 0.125) : simdnorm_head_shift(n, x);
#else
    /* the head widened (exact) by the vector loads, then the same sum */
    float h[VF_N > 8 ? VF_N : 8];
    if (n >= 8) {
#if VF_N > 8
        /* a whole-vector store: the head sum's loads are forwarded from it
         * (from a masked store they are not: 20 % of a 64-column row) */
        vf_storeu(h, vx_load_part(x, 8));
#else
        for (size_t i = 0; i < 8; i += VF_N)
            vf_storeu(h + i, vx_loadu(x + i));
#endif
        return (float)(vd_head8_sum(h) * 0.125);
    }
    for (size_t i = 0; i < n; i++)
        h[i] = SX_STORAGE == 1 ? simdnorm_bf16_widen1(x[i]) : simdnorm_f16_widen1(x[i]);
    return simdnorm_head_shift(n, h);
#endif
}

/* The per-row path of the rare rows (kernels.h): plain C in dispatch/. */
#if SX_IS_F32
#define ROW_SLOW_LN(j, r, sh, s1, s2) simdnorm_layer_norm_row_slow((j), (r), (sh), (s1), (s2))
#define ROW_SLOW_RMS(j, r, ss) simdnorm_rms_norm_row_slow((j), (r), (ss))
#else
#define ROW_SLOW_LN(j, r, sh, s1, s2)                                         \
    simdnorm_layer_norm_row_slow_half((j), SX_STORAGE, (r), (sh), (s1), (s2))
#define ROW_SLOW_RMS(j, r, ss) simdnorm_rms_norm_row_slow_half((j), SX_STORAGE, (r), (ss))
#endif

/* ---- Rows whose outputs cannot be NaN ------------------------------------
 * The canonical-NaN select (act.h: a compare and a blend a vector, two of
 * a LayerNorm's five vector operations a vector on the FMA pipes of x86)
 * changes nothing where no output lane can be NaN. With every gamma and
 * beta finite, a fast row (finite sums: every x finite; the verdict's
 * accurate M2: |x - mean| * rstd <= sqrt(M2) * sqrt(n / M2) = sqrt(n) and
 * a little, eps >= 0; |mean - shift| * scale is about |offset|) with
 * |offset| < 2^100 has finite u = fmaf(x - shift, scale, offset), |u| <
 * 2^101, and fmaf(u, gamma, beta) of finite operands is never NaN (it may
 * round to +-Inf, which stays). So a call without activation whose gamma and beta
 * are finite (checked once per call and thread: floats_finite) normalizes
 * its fast rows without the select (normalize_vf's act
 * NORMALIZE_AFFINE_ONLY) and sends a row with a larger offset to the
 * per-row path, which selects: the same bits either way. Only for ranges
 * of ENGINE_PLAIN_MIN_ROWS rows or more (the check reads gamma and beta),
 * of at most ENGINE_PLAIN_MAX_COLS floats (longer rows overflow the L1
 * cache with gamma and beta, and the loop waits on the L2 either way) and
 * not for calls from memory (bound by memory, the select costs nothing
 * there; so the plain loops never prefetch, which keeps their code the
 * plain loop GCC makes of them: with the prefetch test inside, GCC left it
 * in the loop of this second copy). */
#define ENGINE_PLAIN_MIN_ROWS 16
#define ENGINE_PLAIN_MAX_COLS 2048
#define ENGINE_PLAIN_MAX_OFFSET 0x1p100

/* Whether all n floats at p are finite (p NULL: none, true): x * 0 is +-0,
 * or NaN for x = +-Inf or NaN, summed in 8 chains (the fma's latency). */
static NOINLINE int floats_finite(size_t n, const float *p)
{
    if (!p)
        return 1;
    const vf zero = vf_zero();
    vf a[8];
#pragma GCC unroll 8
    for (size_t k = 0; k < 8; k++)
        a[k] = zero;
    size_t i = 0;
    for (; i + 8 * VF_N <= n; i += 8 * VF_N)
#pragma GCC unroll 8
        for (size_t k = 0; k < 8; k++)
            a[k] = vf_fma(vf_loadu(p + i + k * VF_N), zero, a[k]);
    for (; i < n; i += VF_N)
        a[0] = vf_fma(vf_load_part(p + i, n - i < VF_N ? n - i : VF_N), zero, a[0]);
#pragma GCC unroll 8
    for (size_t k = 1; k < 8; k++)
        a[0] = vf_add(a[0], a[k]);
    return !vfm_any(vf_nlt(a[0], vf_set1(1.0f))); /* !(NaN < 1) */
}

static ALWAYS_INLINE int engine_plain(const simdnorm_row_job *j, size_t rows)
{
#if !SX_IS_F32
    /* float storage only: the plain copies are a second instantiation of the
     * engine's loops (rows.c's compile time 79 -> 117 s of CPU a build for
     * all storage types), and the 16-bit loops spend more on the widening
     * and narrowing than on the select */
    (void)j;
    (void)rows;
    return 0;
#endif
    return j->act == SIMDNORM_ACT_NONE && !j->from_memory && rows >= ENGINE_PLAIN_MIN_ROWS &&
           j->cols <= ENGINE_PLAIN_MAX_COLS && floats_finite(j->cols, j->gamma) &&
           floats_finite(j->cols, j->beta);
}

/* Rows per batch: VD_N, or fewer when VD_N rows of x would not stay in
 * the L1 cache (16 KiB of them) until they are normalized - the batch
 * takes all its rows' sums before it writes any (4096-float rows in
 * batches of 8 ran 10-15 % slower in cache than row by row). From memory
 * (mem: the job's from_memory) rows of 512 elements or more go one at a
 * time: a batch reads all its rows, then writes all of them, and the reads
 * of memory stall while it writes (LayerNorm of 768 / 1000-float rows at
 * 64 MiB, AVX-512: 0.6-0.7 of the copy limit in batches of 5 / 4, about
 * 0.9 row by row; the in-process loop of commit 8f28df4). A batch of one row takes
 * the lone-row finish. Same bits whatever the batch. */
static ALWAYS_INLINE size_t batch_rows(size_t n, int mem)
{
    if (mem && n >= 512)
        return 1;
    const size_t fit = ((size_t)16 << 10) / (n * sizeof(sx));
    return fit >= VD_N ? VD_N : fit >= 1 ? fit : 1;
}

/* The plan of m rows whose double mean and variance are in lanes: which
 * are fast (bit r), and their float shift, scale, offset; the saved mean
 * and rstd of the fast rows are stored (a slow row stores its own). The
 * operations of simdnorm_plan_normalize, lane by lane; plain (engine_plain)
 * also sends a row whose |offset| is 2^100 or more to the per-row path. */
static ALWAYS_INLINE unsigned engine_plan(const simdnorm_row_job *j, size_t r, size_t m, vd mean,
                                          vd var, unsigned ok, float shift[VD_N],
                                          float scale[VD_N], float offset[VD_N], int plain)
{
    const vd rstd = vd_div(vd_set1(1.0), vd_sqrt(vd_add(var, vd_set1(j->eps))));
    const vd rf = vd_round_f32(rstd);
    const vdmask fast =
        vdm_and(vdm_and(vd_lt(vd_abs(mean), vd_set1(0x1p125)),
                        vd_lt(vd_mul(var, vd_set1((double)j->cols)), vd_set1(0x1p250))),
                vdm_and(vd_ge(rf, vd_set1(FLT_MIN)), vd_le(rf, vd_set1(FLT_MAX))));
    const vd sh = vd_round_f32(mean);
    const vd lo = vd_round_f32(vd_sub(mean, sh));
    const vd off = vd_mul(vd_neg(lo), rf);
    vd_store_f32(shift, sh, VD_N);
    vd_store_f32(scale, rf, VD_N);
    vd_store_f32(offset, off, VD_N);
    if (j->mean)
        vd_store_f32(j->mean + r, mean, m);
    if (j->rstd)
        vd_store_f32(j->rstd + r, rf, m);
    if (plain)
        ok &= vdm_bits(vd_lt(vd_abs(off), vd_set1(ENGINE_PLAIN_MAX_OFFSET)));
    return ok & vdm_bits(fast);
}

/* engine_plan for a single row, in scalar double: the same operations on
 * one lane (IEEE double division and square root are correctly rounded
 * in either), so the same bits. Returns whether the row is fast; then its
 * shift, scale, offset are set and its mean and rstd stored (a slow row
 * stores its own). */
static ALWAYS_INLINE int one_row_plan(const simdnorm_row_job *j, size_t r, double mean,
                                      double var, float *shift, float *scale, float *offset,
                                      int plain)
{
    const double rstd = 1.0 / sqrt(var + j->eps);
    const double rf = (double)(float)rstd;
    if (!(fabs(mean) < 0x1p125 && var * (double)j->cols < 0x1p250 && rf >= FLT_MIN &&
          rf <= FLT_MAX))
        return 0;
    const double sh = (double)(float)mean;
    const double lo = (double)(float)(mean - sh);
    *shift = (float)sh;
    *scale = (float)rf;
    *offset = (float)(-lo * rf);
    if (plain && !(fabsf(*offset) < (float)ENGINE_PLAIN_MAX_OFFSET))
        return 0;
    if (j->mean)
        j->mean[r] = (float)mean;
    if (j->rstd)
        j->rstd[r] = (float)rf;
    return 1;
}

/* The verdict of judge_fast_sums on a lone LayerNorm row's fast sums s1,
 * s2 (shift sh) and, where fast, one_row_plan: whether the row is fast. */
static ALWAYS_INLINE int ln_one_row_fast(const simdnorm_row_job *j, size_t r, float sh,
                                         double s1, double s2, float *shift, float *scale,
                                         float *offset, int plain)
{
    const double dm = s1 * j->inv_cols, c = s1 * dm, m2 = s2 - c;
    return fabs(s1) < (double)INFINITY && fabs(s2) < (double)INFINITY && c <= m2 &&
           m2 >= 0x1p-60 * (double)j->cols &&
           one_row_plan(j, r, (double)sh + dm, m2 * j->inv_cols, shift, scale, offset, plain);
}

/* The same for a lone RMSNorm row's sum of squares ss
 * (simdnorm_fast_sumsq_ok). */
static ALWAYS_INLINE int rms_one_row_fast(const simdnorm_row_job *j, size_t r, double ss,
                                          float *shift, float *scale, float *offset, int plain)
{
    return fabs(ss) < (double)INFINITY && ss >= 0x1p-60 * (double)j->cols &&
           one_row_plan(j, r, 0.0, ss * j->inv_cols, shift, scale, offset, plain);
}

/* Row r of a LayerNorm alone: its fast sums, the verdict of
 * judge_fast_sums and one_row_plan in scalar double, the inlined
 * normalize; a row they do not take goes to the per-row path. */
static ALWAYS_INLINE void layer_norm_one_row(const simdnorm_row_job *j, size_t r, int stream,
                                              const sx *pf, int plain)
{
    const size_t n = j->cols;
    const sx *xr = JX(j) + r * j->x_stride;
    const float sh = row_shift(n, xr);
    vd a, b;
    row_moments_for(j->from_memory, n, xr, sh, &a, &b);
    const double s1 = vd_fold(a), s2 = vd_fold(b);
    float shift, scale, offset;
    if (ln_one_row_fast(j, r, sh, s1, s2, &shift, &scale, &offset, plain))
        engine_normalize(j, r, xr, shift, scale, offset, j->beta, stream, pf, plain);
    else
        ROW_SLOW_LN(j, r, sh, s1, s2);
}

/* Row r of an RMSNorm alone, as layer_norm_one_row (simdnorm_fast_sumsq_ok). */
static ALWAYS_INLINE void rms_norm_one_row(const simdnorm_row_job *j, size_t r, int stream,
                                            const sx *pf, int plain)
{
    const size_t n = j->cols;
    const sx *xr = JX(j) + r * j->x_stride;
    const double ss = vd_fold(row_sumsq_for(j->from_memory, n, xr));
    float shift, scale, offset;
    if (rms_one_row_fast(j, r, ss, &shift, &scale, &offset, plain))
        engine_normalize(j, r, xr, shift, scale, offset, NULL, stream, pf, plain);
    else
        ROW_SLOW_RMS(j, r, ss);
}

/* The statistics of a batch of m rows from row r (m <= VD_N): each row's
 * head shift sh (and as a double, shd) and its fast sums folded to s1, s2
 * (rows past m: 0). */
static ALWAYS_INLINE void ln_batch_stats(const simdnorm_row_job *j, size_t r, size_t m,
                                         float sh[VD_N], double shd[VD_N], double s1[VD_N],
                                         double s2[VD_N])
{
    const size_t n = j->cols;
    const int mem = j->from_memory;
    const sx *xr[VD_N];
    for (size_t i = 0; i < VD_N; i++) {
        xr[i] = JX(j) + (r + (i < m ? i : 0)) * j->x_stride;
        sh[i] = i < m ? row_shift(n, xr[i]) : 0.0f;
        shd[i] = (double)sh[i];
    }
#if defined(VD_HAS_FOLD_ROWS)
    vd v1[VD_N], v2[VD_N];
    for (size_t i = 0; i < VD_N; i++) {
        if (i < m)
            row_moments_for(mem, n, xr[i], sh[i], &v1[i], &v2[i]);
        else
            v1[i] = v2[i] = vd_zero(); /* no row: its lanes are never used */
    }
    vd_storeu(s1, vd_fold_rows(v1));
    vd_storeu(s2, vd_fold_rows(v2));
#else
    for (size_t i = 0; i < VD_N; i++) {
        if (i < m) {
            vd a, b;
            row_moments_for(mem, n, xr[i], sh[i], &a, &b);
            s1[i] = vd_fold(a);
            s2[i] = vd_fold(b);
        } else {
            s1[i] = s2[i] = 0.0;
        }
    }
#endif
}

/* The finish of a LayerNorm batch (its statistics as ln_batch_stats left
 * them): judge_fast_sums - finite sums, the shift within one standard
 * deviation (c <= m2), no underflow that matters - and engine_plan. */
static ALWAYS_INLINE unsigned ln_batch_finish(const simdnorm_row_job *j, size_t r, size_t m,
                                              const double shd[VD_N], const double s1[VD_N],
                                              const double s2[VD_N], float shift[VD_N],
                                              float scale[VD_N], float offset[VD_N], int plain)
{
    const vd inv_n = vd_set1(j->inv_cols), tiny = vd_set1(0x1p-60 * (double)j->cols);
    const vd inf = vd_set1((double)INFINITY);
    const vd S1 = vd_loadu(s1), S2 = vd_loadu(s2);
    const vd dm = vd_mul(S1, inv_n), c = vd_mul(S1, dm), m2 = vd_sub(S2, c);
    const vd mean = vd_add(vd_loadu(shd), dm);
    const vdmask ok = vdm_and(vdm_and(vd_lt(vd_abs(S1), inf), vd_lt(vd_abs(S2), inf)),
                              vdm_and(vd_le(c, m2), vd_ge(m2, tiny)));
    return engine_plan(j, r, m, mean, vd_mul(m2, inv_n), vdm_bits(ok), shift, scale, offset,
                       plain);
}

/* Rows [r0, r1) of a LayerNorm that are not short (short_rows_ok; those
 * are ln_short_rows'), in batches of batch_rows: the batch's statistics,
 * its finish, then its rows normalized - the fast ones inline, the others
 * through the per-row path. */
static OPT_INLINE void layer_norm_rows(const simdnorm_row_job *j, size_t r0, size_t r1,
                                       int stream, int plain)
{
    const size_t bn = batch_rows(j->cols, j->from_memory);
    float sh[VD_N];
    double shd[VD_N], s1[VD_N], s2[VD_N];
    size_t m = 0;
    for (size_t r = r0; r < r1; r += m) {
        m = r1 - r < bn ? r1 - r : bn;
        if (m == 1 && j->act == SIMDNORM_ACT_NONE) {
            /* one row: the scalar finish has the shorter dependency chain;
             * same bits. With an activation the batch path below, chosen
             * when only it prefetched the next row (not measured again
             * since both do). */
            layer_norm_one_row(j, r, stream, next_row(j, r, 1, 0, r1), plain);
            continue;
        }
        ln_batch_stats(j, r, m, sh, shd, s1, s2);
        float shift[VD_N], scale[VD_N], offset[VD_N];
        const unsigned fast =
            ln_batch_finish(j, r, m, shd, s1, s2, shift, scale, offset, plain);
        for (size_t i = 0; i < m; i++) {
            const sx *xr = JX(j) + (r + i) * j->x_stride;
            if (fast >> i & 1)
                engine_normalize(j, r + i, xr, shift[i], scale[i], offset[i], j->beta, stream,
                                 next_row(j, r, bn, i, r1), plain);
            else
                ROW_SLOW_LN(j, r + i, sh[i], s1[i], s2[i]);
        }
    }
}

/* The statistics of an RMSNorm batch, as ln_batch_stats: ss. */
static ALWAYS_INLINE void rms_batch_stats(const simdnorm_row_job *j, size_t r, size_t m,
                                          double ss[VD_N])
{
    const size_t n = j->cols;
    const int mem = j->from_memory;
    const sx *xr[VD_N];
    for (size_t i = 0; i < VD_N; i++)
        xr[i] = JX(j) + (r + (i < m ? i : 0)) * j->x_stride;
#if defined(VD_HAS_FOLD_ROWS)
    vd v[VD_N];
    for (size_t i = 0; i < VD_N; i++)
        v[i] = i < m ? row_sumsq_for(mem, n, xr[i]) : vd_zero();
    vd_storeu(ss, vd_fold_rows(v));
#else
    for (size_t i = 0; i < VD_N; i++)
        ss[i] = i < m ? vd_fold(row_sumsq_for(mem, n, xr[i])) : 0.0;
#endif
}

/* The finish of an RMSNorm batch: simdnorm_fast_sumsq_ok (finite, no
 * underflow that matters) and engine_plan. */
static ALWAYS_INLINE unsigned rms_batch_finish(const simdnorm_row_job *j, size_t r, size_t m,
                                               const double ss[VD_N], float shift[VD_N],
                                               float scale[VD_N], float offset[VD_N], int plain)
{
    const vd inv_n = vd_set1(j->inv_cols), tiny = vd_set1(0x1p-60 * (double)j->cols);
    const vd inf = vd_set1((double)INFINITY);
    const vd SS = vd_loadu(ss);
    const vdmask ok = vdm_and(vd_lt(vd_abs(SS), inf), vd_ge(SS, tiny));
    return engine_plan(j, r, m, vd_zero(), vd_mul(SS, inv_n), vdm_bits(ok), shift, scale,
                       offset, plain);
}

/* Rows [r0, r1) of an RMSNorm that are not short, as layer_norm_rows. */
static OPT_INLINE void rms_norm_rows(const simdnorm_row_job *j, size_t r0, size_t r1,
                                     int stream, int plain)
{
    const size_t bn = batch_rows(j->cols, j->from_memory);
    double ss[VD_N];
    size_t m = 0;
    for (size_t r = r0; r < r1; r += m) {
        m = r1 - r < bn ? r1 - r : bn;
        if (m == 1 && j->act == SIMDNORM_ACT_NONE) { /* one row: as in layer_norm_rows */
            rms_norm_one_row(j, r, stream, next_row(j, r, 1, 0, r1), plain);
            continue;
        }
        rms_batch_stats(j, r, m, ss);
        float shift[VD_N], scale[VD_N], offset[VD_N];
        const unsigned fast = rms_batch_finish(j, r, m, ss, shift, scale, offset, plain);
        for (size_t i = 0; i < m; i++) {
            const sx *xr = JX(j) + (r + i) * j->x_stride;
            if (fast >> i & 1)
                engine_normalize(j, r + i, xr, shift[i], scale[i], offset[i], NULL, stream,
                                 next_row(j, r, bn, i, r1), plain);
            else
                ROW_SLOW_RMS(j, r + i, ss[i]);
        }
    }
}

/* ---- Short rows: the call's vector count fixed ----------------------------
 * Rows of VF_N..2*SIMDNORM_LANES floats (short_rows_ok; never streamed) run
 * these loops, instantiated per vector count V by one switch per call
 * (SHORT_WITH_V), and per affine (gamma, beta present) by one branch per
 * batch: each row's code is then its straight vector work and its address.
 * Through the general loop - a switch on V in every row's statistics and
 * normalize, the affine tests, next_row and the row addresses per row - an
 * AVX2 33-float LayerNorm row took 240 instructions, ~75 of them that
 * bookkeeping (`ROWS=1985 valgrind --tool=callgrind ./lncall 33 20 avx2
 * affine`, tools/qemu-icount/lncall.c). The statistics of a short row may
 * read past its end (short_row_moments) where row r + i + 1 < r1 exists.
 *
 * With pipe, the next batch's statistics are taken between this batch's
 * finish and its normalize: the finish's chain (the fold, the division,
 * the square root) then runs beside independent work, and the normalize
 * finds its plan ready (33-float rows in cache, 1985 of them, ns a row
 * without / with the pipe, the throwaway loop above: LayerNorm AVX-512 19.0
 * / 18.3, AVX2 23.2 / 19.7; RMSNorm 12.1 / 10.6, 14.7 / 11.8). Where the
 * rows come from memory the pipe is short_rows_pipe's choice. The next
 * batch is only read, never written, before its own normalize, so in place
 * is safe. Same bits: every row's operations are those of the general
 * loop's (short_row_moments and short_row_sumsq are moments_round and
 * sumsq_round with the halvings across registers). */

/* A lone short row at a range's end (a 1-row call: ln_short_lone below):
 * layer_norm_one_row / rms_norm_one_row, out of line, once for all V. */
static NOINLINE void ln_short_one_row(const simdnorm_row_job *j, size_t r, int plain)
{
    if (plain)
        layer_norm_one_row(j, r, 0, NULL, 1);
    else
        layer_norm_one_row(j, r, 0, NULL, 0);
}

static NOINLINE void rms_short_one_row(const simdnorm_row_job *j, size_t r, int plain)
{
    if (plain)
        rms_norm_one_row(j, r, 0, NULL, 1);
    else
        rms_norm_one_row(j, r, 0, NULL, 0);
}

/* ln_batch_stats of a batch of m short rows of V vectors. */
static ALWAYS_INLINE void ln_short_stats(size_t V, const simdnorm_row_job *j, size_t r, size_t m,
                                         size_t r1, float sh[VD_N], double shd[VD_N],
                                         double s1[VD_N], double s2[VD_N])
{
    const size_t n = j->cols, xs = j->x_stride;
    const sx *x = JX(j) + r * xs;
#if defined(VD_HAS_FOLD_ROWS)
    vd v1[VD_N], v2[VD_N];
#endif
    /* the shifts first: each row's sums wait on its shift's chain */
#pragma GCC unroll 16
    for (size_t i = 0; i < VD_N; i++) {
        sh[i] = i < m ? row_shift(n, x + i * xs) : 0.0f;
        shd[i] = (double)sh[i];
    }
#pragma GCC unroll 16
    for (size_t i = 0; i < VD_N; i++) {
        vd a = vd_zero(), b = vd_zero(); /* no row: its lanes are never used */
        if (i < m)
            short_row_moments(V, n, x + i * xs, sh[i], r + i + 1 < r1, &a, &b);
#if defined(VD_HAS_FOLD_ROWS)
        v1[i] = a;
        v2[i] = b;
#else
        s1[i] = vd_fold(a);
        s2[i] = vd_fold(b);
#endif
    }
#if defined(VD_HAS_FOLD_ROWS)
    vd_storeu(s1, vd_fold_rows(v1));
    vd_storeu(s2, vd_fold_rows(v2));
#endif
}

/* rms_batch_stats of a batch of m short rows of V vectors. */
static ALWAYS_INLINE void rms_short_stats(size_t V, const simdnorm_row_job *j, size_t r,
                                          size_t m, size_t r1, double ss[VD_N])
{
    const size_t n = j->cols, xs = j->x_stride;
    const sx *x = JX(j) + r * xs;
#if defined(VD_HAS_FOLD_ROWS)
    vd v[VD_N];
#pragma GCC unroll 16
    for (size_t i = 0; i < VD_N; i++)
        v[i] = i < m ? short_row_sumsq(V, n, x + i * xs, r + i + 1 < r1) : vd_zero();
    vd_storeu(ss, vd_fold_rows(v));
#else
    for (size_t i = 0; i < VD_N; i++)
        ss[i] = i < m ? vd_fold(short_row_sumsq(V, n, x + i * xs, r + i + 1 < r1)) : 0.0;
#endif
}

/* The fast rows (bit i of fast) of a batch of m short rows of V vectors
 * from row r normalized with the affine (G gamma, B beta) and no
 * activation; a row not fast is left to the caller. */
static ALWAYS_INLINE void short_normalize_with(size_t V, int G, int B, const simdnorm_row_job *j,
                                               size_t r, size_t m, unsigned fast,
                                               const float shift[VD_N], const float scale[VD_N],
                                               const float offset[VD_N], int plain)
{
    const size_t n = j->cols, xs = j->x_stride, ys = j->y_stride;
    const sx *x = JX(j) + r * xs;
    sx *y = JY(j) + r * ys;
    const int none = plain ? NORMALIZE_AFFINE_ONLY : SIMDNORM_ACT_NONE;
    for (size_t i = 0; i < m; i++)
        if (fast >> i & 1)
            short_row_normalize_with(V, n, x + i * xs, shift[i], scale[i], offset[i], j->gamma,
                                     j->beta, y + i * ys, G, B, none);
}

/* The fast rows of a batch of short rows normalized: short_normalize_with
 * for the job's affine (beta: the job's, LayerNorm; 0, RMSNorm), or with
 * an activation through the out-of-line loop. */
static ALWAYS_INLINE void short_normalize(size_t V, const simdnorm_row_job *j, size_t r,
                                          size_t m, size_t r1, unsigned fast, int beta,
                                          const float shift[VD_N], const float scale[VD_N],
                                          const float offset[VD_N], int plain)
{
    const int B = beta && j->beta;
    if (j->act != SIMDNORM_ACT_NONE) {
        for (size_t i = 0; i < m; i++)
            if (fast >> i & 1)
                engine_normalize(j, r + i, JX(j) + (r + i) * j->x_stride, shift[i], scale[i],
                                 offset[i], B ? j->beta : NULL, 0, next_row(j, r, m, i, r1),
                                 plain);
    } else if (j->gamma && B) {
        short_normalize_with(V, 1, 1, j, r, m, fast, shift, scale, offset, plain);
    } else if (j->gamma) {
        short_normalize_with(V, 1, 0, j, r, m, fast, shift, scale, offset, plain);
    } else if (B) {
        short_normalize_with(V, 0, 1, j, r, m, fast, shift, scale, offset, plain);
    } else {
        short_normalize_with(V, 0, 0, j, r, m, fast, shift, scale, offset, plain);
    }
}

/* A short row of V vectors alone (a 1-row call): layer_norm_one_row /
 * rms_norm_one_row with the short loops' normalize (V fixed) and, for
 * LayerNorm, their statistics - the same operations, so the same bits.
 * One row against the general one-row path, the two libraries
 * alternated in one process (best of 60 x 20000 calls, /tmp throwaway
 * ab1), ns, AVX2 (AVX-512): LayerNorm 8 floats 51.7 -> 48.2, 16 (59.4 ->
 * 54.5), 33 58.5 -> 53.8 (62.9 -> 58.7), 64 56.9 -> 55.8 (64.4 -> 60.2);
 * RMSNorm 33 39.0 -> 34.6. The
 * RMSNorm row keeps the general sum of squares (row_sumsq_for): through
 * short_row_sumsq its rows of 8 and 16 floats took 1.08-1.17x the time. */
static ALWAYS_INLINE void ln_short_lone(size_t V, const simdnorm_row_job *j, size_t r, int plain)
{
    const size_t n = j->cols;
    const sx *xr = JX(j) + r * j->x_stride;
    const float sh = row_shift(n, xr);
    vd a, b;
    short_row_moments(V, n, xr, sh, 0, &a, &b);
    const double s1 = vd_fold(a), s2 = vd_fold(b);
    float shift[VD_N], scale[VD_N], offset[VD_N];
    if (ln_one_row_fast(j, r, sh, s1, s2, shift, scale, offset, plain))
        short_normalize(V, j, r, 1, r + 1, 1u, 1, shift, scale, offset, plain);
    else
        ROW_SLOW_LN(j, r, sh, s1, s2);
}

static ALWAYS_INLINE void rms_short_lone(size_t V, const simdnorm_row_job *j, size_t r,
                                         int plain)
{
    const double ss = vd_fold(row_sumsq_for(j->from_memory, j->cols, JX(j) + r * j->x_stride));
    float shift[VD_N], scale[VD_N], offset[VD_N];
    if (rms_one_row_fast(j, r, ss, shift, scale, offset, plain))
        short_normalize(V, j, r, 1, r + 1, 1u, 0, shift, scale, offset, plain);
    else
        ROW_SLOW_RMS(j, r, ss);
}

/* Rows [r0, r1) of a LayerNorm of short rows of V vectors. */
static ALWAYS_INLINE void ln_short_rows(size_t V, const simdnorm_row_job *j, size_t r0, size_t r1,
                                        int pipe, int plain)
{
    float sh[2][VD_N];
    double shd[2][VD_N], s1[2][VD_N], s2[2][VD_N];
    size_t cur = 0, m = 0;
    for (size_t r = r0; r < r1; r += m, cur ^= pipe) {
        m = r1 - r < VD_N ? r1 - r : VD_N;
        if (m == 1 && j->act == SIMDNORM_ACT_NONE) { /* as in layer_norm_rows */
            ln_short_one_row(j, r, plain);
            continue;
        }
        if (!pipe || r == r0)
            ln_short_stats(V, j, r, m, r1, sh[cur], shd[cur], s1[cur], s2[cur]);
        float shift[VD_N], scale[VD_N], offset[VD_N];
        const unsigned fast = ln_batch_finish(j, r, m, shd[cur], s1[cur], s2[cur], shift, scale,
                                              offset, plain);
        const size_t rn = r + m, mn = r1 - rn < VD_N ? r1 - rn : VD_N;
        if (pipe && rn < r1 && !(mn == 1 && j->act == SIMDNORM_ACT_NONE))
            ln_short_stats(V, j, rn, mn, r1, sh[cur ^ 1], shd[cur ^ 1], s1[cur ^ 1],
                           s2[cur ^ 1]);
        short_normalize(V, j, r, m, r1, fast, 1, shift, scale, offset, plain);
        if (fast != (1u << m) - 1)
            for (size_t i = 0; i < m; i++)
                if (!(fast >> i & 1))
                    ROW_SLOW_LN(j, r + i, sh[cur][i], s1[cur][i], s2[cur][i]);
    }
}

/* Rows [r0, r1) of an RMSNorm of short rows of V vectors. */
static ALWAYS_INLINE void rms_short_rows(size_t V, const simdnorm_row_job *j, size_t r0,
                                         size_t r1, int pipe, int plain)
{
    double ss[2][VD_N];
    size_t cur = 0, m = 0;
    for (size_t r = r0; r < r1; r += m, cur ^= pipe) {
        m = r1 - r < VD_N ? r1 - r : VD_N;
        if (m == 1 && j->act == SIMDNORM_ACT_NONE) { /* as in layer_norm_rows */
            rms_short_one_row(j, r, plain);
            continue;
        }
        if (!pipe || r == r0)
            rms_short_stats(V, j, r, m, r1, ss[cur]);
        float shift[VD_N], scale[VD_N], offset[VD_N];
        const unsigned fast = rms_batch_finish(j, r, m, ss[cur], shift, scale, offset, plain);
        const size_t rn = r + m, mn = r1 - rn < VD_N ? r1 - rn : VD_N;
        if (pipe && rn < r1 && !(mn == 1 && j->act == SIMDNORM_ACT_NONE))
            rms_short_stats(V, j, rn, mn, r1, ss[cur ^ 1]);
        short_normalize(V, j, r, m, r1, fast, 0, shift, scale, offset, plain);
        if (fast != (1u << m) - 1)
            for (size_t i = 0; i < m; i++)
                if (!(fast >> i & 1))
                    ROW_SLOW_RMS(j, r + i, ss[cur][i]);
    }
}

/* One instantiation of the loops per vector count where the build inlines
 * for speed; in the ASan builds (GCC's __SANITIZE_ADDRESS__, clang's
 * address_sanitizer feature) and at -O0 one, with V at run time: there
 * every inlined copy keeps stack slots of its own, and the 8 copies took
 * layer_norm_short's frame in clang's -O1 ASan build (the fuzz build) to
 * 4.6 MB (tests/stack_frames.py's limit: 4 MiB). */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SHORT_LOOP_V_AT_RUN_TIME 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || !defined(__OPTIMIZE__)
#define SHORT_LOOP_V_AT_RUN_TIME 1
#endif
#ifdef SHORT_LOOP_V_AT_RUN_TIME
#define SHORT_LOOP_WITH_V(n, stmt)                                                               \
    do {                                                                                         \
        const size_t V = ((n) + VF_N - 1) / VF_N;                                                \
        stmt;                                                                                    \
    } while (0)
#else
#define SHORT_LOOP_WITH_V(n, stmt) SHORT_WITH_V(n, stmt)
#endif

static OPT_INLINE void layer_norm_short(const simdnorm_row_job *j, size_t r0, size_t r1,
                                        int pipe, int plain)
{
    if (r1 - r0 == 1 && j->act == SIMDNORM_ACT_NONE)
        SHORT_LOOP_WITH_V(j->cols, ln_short_lone(V, j, r0, plain));
    else
        SHORT_LOOP_WITH_V(j->cols, ln_short_rows(V, j, r0, r1, pipe, plain));
}

static OPT_INLINE void rms_norm_short(const simdnorm_row_job *j, size_t r0, size_t r1, int pipe,
                                      int plain)
{
    if (r1 - r0 == 1 && j->act == SIMDNORM_ACT_NONE)
        SHORT_LOOP_WITH_V(j->cols, rms_short_lone(V, j, r0, plain));
    else
        SHORT_LOOP_WITH_V(j->cols, rms_short_rows(V, j, r0, r1, pipe, plain));
}

/* ---- Tiny rows: 1 <= n < TINY_MAX_COLS (8; NEON 4), rows in lanes -------
 * A row narrower than one vector pays a vector's work - partial loads, the
 * halvings inside a register, a partial store - for each of its few
 * elements. Here VF_N rows at a time are turned on their side: column l of
 * the block's rows is one vector (vf_gather_rows), lane i row i. A row's
 * canonical lane l (kernels.h) holds its element l alone (n < 8 <
 * SIMDNORM_LANES), so its fast sums are the canonical halvings done
 * across the column vectors - vertical additions, VF_N rows at once - and
 * its head shift is simdnorm_head_shift's pairwise sum done the same way.
 * The lanes past n hold +0 in the canonical sums and are left out: every
 * lane they would be added to holds (double)(0.0f + d) or (double)fmaf(d,
 * d, 0), never -0, so adding +0 changes no bit (the head shift, whose x
 * may be -0, adds its zeros as one +0: tiny_shift). The finish is the
 * batches' (ln_batch_finish, rms_batch_finish) on each VD_N rows. A packed
 * block (x and y rows n floats apart, every row fast, no activation) is
 * normalized in the vectors it lies in: element e of the block is row e /
 * n's, whose shift, scale and offset vf_permute brings to e's lane, and
 * gamma and beta are read in their pattern (gamma[e % n]), built once per
 * call. Other blocks are normalized row by row (engine_normalize) and their
 * slow rows take the per-row path; the rows past the last whole block take
 * the general loop.
 * The same operations on every row, so the same bits (test_rows
 * tiny_rows_in_lanes). Float storage only (a gather of 16-bit elements is
 * not one instruction); not on scalar (one-lane vectors). The backward's
 * tiny rows (generic/bwd.c) share the layout and the helpers of
 * generic/lanes.h. */
#if SX_IS_F32 && defined(VF_HAS_ROWS_IN_LANES)
#define TINY_ROWS 1
/* Blocks of a call from which the packed blocks' pattern is built (its
 * n * VF_N elements cost about one block's normalize). */
#define TINY_PATTERN_MIN_BLOCKS 4
static ALWAYS_INLINE int tiny_rows_ok(const simdnorm_row_job *j, size_t rows)
{
    return j->cols < TINY_MAX_COLS && rows >= VF_N && j->x_stride <= (size_t)INT32_MAX / VF_N;
}

/* Columns l < N of the block of rows from r: c[l] lane i is row r + i's
 * element l. */
static ALWAYS_INLINE void tiny_columns(size_t N, const simdnorm_row_job *j, size_t r,
                                       vf c[VF_N])
{
    const size_t xs = j->x_stride;
    const float *x = JX(j) + r * xs;
#pragma GCC unroll 16
    for (size_t l = 0; l < N; l++)
        c[l] = vf_gather_rows(x + l, xs);
}

/* The block's head shifts (simdnorm_head_shift of each row: the pairwise
 * sum of 8 elements, zeros past N, times 1/N, rounded to float); hd: the
 * same as doubles. The zeros' additions are left out but one: adding +0
 * changes only a -0 (to +0), and every sum that the zeros reach is
 * followed by more additions of +0, so the full sum is the sum of the N
 * present elements (pairwise, as in the full tree) plus +0 once. */
static ALWAYS_INLINE vf tiny_shift(size_t N, const vf c[VF_N], vd hd[VD_PER_VF])
{
    const vd recip = vd_set1(1.0 / (double)N); /* recip[N] of kernels.h (N < 8) */
    vd w[8][VD_PER_VF], s[VD_PER_VF];
#pragma GCC unroll 8
    for (size_t l = 0; l < N; l++)
        vf_widen(c[l], w[l]);
#pragma GCC unroll 2
    for (size_t h = 0; h < VD_PER_VF; h++) {
        size_t m = N; /* the pairwise tree of w[0..m): neighbours first */
#pragma GCC unroll 3
        for (size_t d = 1; d < 8; d *= 2) {
#pragma GCC unroll 4
            for (size_t l = 0; l + d < m; l += 2 * d)
                w[l][h] = vd_add(w[l][h], w[l + d][h]);
        }
        s[h] = vd_mul(vd_add(w[0][h], vd_zero()), recip);
    }
    const vf sh = vf_narrow_vd(s);
    vf_widen(sh, hd);
    return sh;
}

/* A block of rows from r not normalized as packed: each fast row by
 * engine_normalize (beta: the job's, LayerNorm; 0, RMSNorm); out of line,
 * one copy for all N. */
static NOINLINE void tiny_by_row(const simdnorm_row_job *j, size_t r, unsigned fast, int beta,
                                 const float shift[VF_N], const float scale[VF_N],
                                 const float offset[VF_N], int plain)
{
    for (size_t i = 0; i < VF_N; i++)
        if (fast >> i & 1)
            engine_normalize(j, r + i, JX(j) + (r + i) * j->x_stride, shift[i], scale[i],
                             offset[i], beta ? j->beta : NULL, 0, NULL, plain);
}

/* A packed block of N vectors at x, y normalized with the rows' shift,
 * scale and offset in lanes (G gamma, B beta, act as normalize_vf). */
static ALWAYS_INLINE void tiny_packed_with(size_t N, const float *x, float *y,
                                           const tiny_pattern *p, vf shv, vf scv, vf ofv,
                                           int G, int B, int act)
{
#pragma GCC unroll 16
    for (size_t k = 0; k < N; k++) {
        const vi i = vi_loadu(p->row[k]);
        const vf g = G ? vf_loadu(p->g[k]) : vf_zero(), b = B ? vf_loadu(p->b[k]) : vf_zero();
        vf_storeu(y + k * VF_N, normalize_vf(vf_loadu(x + k * VF_N), vf_permute(shv, i),
                                             vf_permute(scv, i), vf_permute(ofv, i), g, b, G,
                                             B, act));
    }
}

/* The fast rows of the block from r normalized: packed (p set, every row
 * fast) or row by row. */
static ALWAYS_INLINE void tiny_normalize(size_t N, const simdnorm_row_job *j, size_t r,
                                        const tiny_pattern *p, unsigned fast, int beta,
                                        const float shift[VF_N], const float scale[VF_N],
                                        const float offset[VF_N], int plain)
{
    if (!p || fast != (unsigned)((1ul << VF_N) - 1)) {
        tiny_by_row(j, r, fast, beta, shift, scale, offset, plain);
        return;
    }
    const float *x = JX(j) + r * N;
    float *y = JY(j) + r * N;
    const vf shv = vf_loadu(shift), scv = vf_loadu(scale), ofv = vf_loadu(offset);
    const int none = plain ? NORMALIZE_AFFINE_ONLY : SIMDNORM_ACT_NONE;
    const int B = beta && j->beta;
    if (j->gamma && B)
        tiny_packed_with(N, x, y, p, shv, scv, ofv, 1, 1, none);
    else if (j->gamma)
        tiny_packed_with(N, x, y, p, shv, scv, ofv, 1, 0, none);
    else if (B)
        tiny_packed_with(N, x, y, p, shv, scv, ofv, 0, 1, none);
    else
        tiny_packed_with(N, x, y, p, shv, scv, ofv, 0, 0, none);
}

/* A block's statistics and plan (tiny_ln_stats, tiny_rms_stats), kept
 * until its rows are written (tiny_out). */
typedef struct {
    float sh[VF_N], shift[VF_N], scale[VF_N], offset[VF_N];
    double s1[VF_N], s2[VF_N]; /* RMSNorm: s1 the sum of squares */
    unsigned fast;
} tiny_plan;

/* The statistics and plan of a LayerNorm block of VF_N tiny rows from r. */
static ALWAYS_INLINE void tiny_ln_stats(size_t N, const simdnorm_row_job *j, size_t r,
                                        int plain, tiny_plan *t)
{
    vf c[VF_N];
    tiny_columns(N, j, r, c);
    vd hd[VD_PER_VF], a[VD_PER_VF][VF_N], q[VD_PER_VF][VF_N];
    const vf shv = tiny_shift(N, c, hd), nk = vf_neg(shv);
#pragma GCC unroll 16
    for (size_t l = 0; l < N; l++) {
        const vf d = vf_addk(c[l], nk);
        tiny_put(l, d, d, d, 0, a, q);
    }
    double shd[VF_N];
    vf_storeu(t->sh, shv);
    t->fast = 0;
#pragma GCC unroll 2
    for (size_t h = 0; h < VD_PER_VF; h++) {
        const size_t o = h * VD_N;
        vd_storeu(shd + o, hd[h]);
        vd_storeu(t->s1 + o, tiny_fold(N, a[h]));
        vd_storeu(t->s2 + o, tiny_fold(N, q[h]));
        t->fast |= ln_batch_finish(j, r + o, VD_N, shd + o, t->s1 + o, t->s2 + o, t->shift + o,
                                   t->scale + o, t->offset + o, plain)
                   << o;
    }
}

/* The same for an RMSNorm block. */
static ALWAYS_INLINE void tiny_rms_stats(size_t N, const simdnorm_row_job *j, size_t r,
                                         int plain, tiny_plan *t)
{
    vf c[VF_N];
    tiny_columns(N, j, r, c);
    vd a[VD_PER_VF][VF_N], q[VD_PER_VF][VF_N]; /* a: not used */
#pragma GCC unroll 16
    for (size_t l = 0; l < N; l++)
        tiny_put(l, c[l], c[l], c[l], 0, a, q);
    t->fast = 0;
#pragma GCC unroll 2
    for (size_t h = 0; h < VD_PER_VF; h++) {
        const size_t o = h * VD_N;
        vd_storeu(t->s1 + o, tiny_fold(N, q[h]));
        t->fast |= rms_batch_finish(j, r + o, VD_N, t->s1 + o, t->shift + o, t->scale + o,
                                    t->offset + o, plain)
                   << o;
    }
}

/* The rows of the block from r written: the fast ones normalized
 * (tiny_normalize; rms: no beta), the others by the per-row path. */
static ALWAYS_INLINE void tiny_out(size_t N, const simdnorm_row_job *j, size_t r,
                                   const tiny_pattern *p, int rms, int plain, const tiny_plan *t)
{
    const unsigned all = (unsigned)((1ul << VF_N) - 1);
    tiny_normalize(N, j, r, p, t->fast, !rms, t->shift, t->scale, t->offset, plain);
    if (t->fast != all)
        for (size_t i = 0; i < VF_N; i++) {
            if (t->fast >> i & 1)
                continue;
            if (rms)
                ROW_SLOW_RMS(j, r + i, t->s1[i]);
            else
                ROW_SLOW_LN(j, r + i, t->sh[i], t->s1[i], t->s2[i]);
        }
}

/* nb blocks of tiny rows from r0, each block's statistics taken before the
 * block before it is written: the plan's chain (the gathers, the shift,
 * the sums, the division and square root) then overlaps that block's
 * normalize, which finds its plan ready. The next block is only read
 * before its own normalize, so in place holds. */
static ALWAYS_INLINE void tiny_blocks(size_t N, const simdnorm_row_job *j, size_t r0, size_t nb,
                                      const tiny_pattern *p, int rms, int plain)
{
    tiny_plan t[2];
    if (rms)
        tiny_rms_stats(N, j, r0, plain, &t[0]);
    else
        tiny_ln_stats(N, j, r0, plain, &t[0]);
    /* From memory, a packed call's rows TINY_PREFETCH_BLOCKS blocks ahead
     * are prefetched: LayerNorm at 64 MiB of x, rows of 2 / 4 / 7 floats,
     * 0.83-0.88 / 0.78-0.86 / 0.77-0.81 the time without (RMSNorm
     * 0.71-0.78 / 0.65-0.75 / 0.62-0.63; AVX2 and AVX-512, the two libraries
     * alternated in one process, /tmp/s33/lnab.c); 16 blocks ahead the same. */
    const int pf = j->from_memory && p;
    for (size_t b = 0; b < nb; b++) {
        if (pf && b + TINY_PREFETCH_BLOCKS < nb) {
            const char *q = (const char *)(JX(j) + (r0 + (b + TINY_PREFETCH_BLOCKS) * VF_N) * N);
            for (size_t o = 0; o < VF_N * N * sizeof(float); o += 64)
                __builtin_prefetch(q + o);
        }
        if (b + 1 < nb) {
            if (rms)
                tiny_rms_stats(N, j, r0 + (b + 1) * VF_N, plain, &t[(b + 1) & 1]);
            else
                tiny_ln_stats(N, j, r0 + (b + 1) * VF_N, plain, &t[(b + 1) & 1]);
        }
        tiny_out(N, j, r0 + b * VF_N, p, rms, plain, &t[b & 1]);
    }
}

/* The whole blocks of tiny rows in [r0, r1) (rms: RMSNorm); returns the
 * first row left (fewer than VF_N rows: the general loop's). */
static OPT_INLINE size_t norm_tiny(const simdnorm_row_job *j, size_t r0, size_t r1, int rms,
                                   int plain)
{
    const size_t nb = (r1 - r0) / VF_N;
    tiny_pattern pat;
    const int packed = j->act == SIMDNORM_ACT_NONE && j->x_stride == j->cols &&
                       j->y_stride == j->cols && nb >= TINY_PATTERN_MIN_BLOCKS;
    if (packed)
        tiny_pattern_fill(j->cols, j->gamma, j->beta, &pat);
    const tiny_pattern *p = packed ? &pat : NULL;
    if (rms && plain)
        TINY_WITH_N(j->cols, tiny_blocks(N, j, r0, nb, p, 1, 1));
    else if (rms)
        TINY_WITH_N(j->cols, tiny_blocks(N, j, r0, nb, p, 1, 0));
    else if (plain)
        TINY_WITH_N(j->cols, tiny_blocks(N, j, r0, nb, p, 0, 1));
    else
        TINY_WITH_N(j->cols, tiny_blocks(N, j, r0, nb, p, 0, 0));
    return r0 + nb * VF_N;
}
#define layer_norm_tiny(j, r0, r1, plain) norm_tiny(j, r0, r1, 0, plain)
#define rms_norm_tiny(j, r0, r1, plain) norm_tiny(j, r0, r1, 1, plain)
#define TINY_ENTRY_(TINY, j, r0, r1)                                                             \
    if (tiny_rows_ok(j, (r1) - (r0))) {                                                          \
        r0 = TINY(j, r0, r1, engine_plain(j, (r1) - (r0)));                                      \
        if (r0 == (r1))                                                                          \
            break;                                                                               \
    }
#else
#define TINY_ENTRY_(TINY, j, r0, r1)
#endif

/* An entry point's choice among the instantiations of ROWS (layer_norm_rows
 * or rms_norm_rows) and SHORT (layer_norm_short or rms_norm_short):
 * streamed (one store fence at the end; where the ISA has streaming
 * stores; short rows never are), short rows or not, plain (engine_plain)
 * or not; the short rows' pipe at run time (one copy less). */
#if VF_STREAM_ALIGN
#define ENGINE_STREAMED_(ROWS, j, r0, r1)                                                        \
    if ((j)->stream) {                                                                           \
        ROWS(j, r0, r1, 2, 0);                                                                   \
        vf_stream_fence();                                                                       \
        break;                                                                                   \
    }
#else
#define ENGINE_STREAMED_(ROWS, j, r0, r1)
#endif
#define ENGINE_ENTRY_(ROWS, SHORT, TINY, j, r0, r1)                                             \
    do {                                                                                         \
        size_t ra_ = (r0);                                                                       \
        TINY_ENTRY_(TINY, j, ra_, r1)                                                            \
        ENGINE_STREAMED_(ROWS, j, ra_, r1)                                                       \
        const int shortr_ = short_rows_ok((j)->cols), plain_ = engine_plain(j, (r1) - ra_);     \
        if (shortr_ && plain_)                                                                   \
            SHORT(j, ra_, r1, short_rows_pipe(j), 1);                                            \
        else if (shortr_)                                                                        \
            SHORT(j, ra_, r1, short_rows_pipe(j), 0);                                            \
        else if (plain_)                                                                         \
            ROWS(j, ra_, r1, 0, 1);                                                              \
        else                                                                                     \
            ROWS(j, ra_, r1, 0, 0);                                                              \
    } while (0)

/* Contract: kernels.h, f32_layer_norm_rows. */
void SIMDNORM_SKERNEL(layer_norm_rows)(const simdnorm_row_job *j, size_t r0, size_t r1)
{
    ENGINE_ENTRY_(layer_norm_rows, layer_norm_short, layer_norm_tiny, j, r0, r1);
}

/* Contract: kernels.h, f32_rms_norm_rows. */
void SIMDNORM_SKERNEL(rms_norm_rows)(const simdnorm_row_job *j, size_t r0, size_t r1)
{
    ENGINE_ENTRY_(rms_norm_rows, rms_norm_short, rms_norm_tiny, j, r0, r1);
}
