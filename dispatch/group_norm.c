/* group_norm.c - public entry points of GroupNorm / InstanceNorm (forward and
 * backward, NCHW and NHWC): validate everything, then per (sample, group)
 * the statistics -> plan -> normalize path of internal.h (forward) and the
 * backward kernels per (sample, channel) (backward). No kernel family of its
 * own: the row reductions (simdnorm_span_moments), the channel reductions
 * (f32_channel_moments), the normalize kernels and the backward kernels do
 * all the work.
 *
 * Canonical orders (the same on every ISA and for every thread count):
 *  - forward NCHW: a (sample, group) is one contiguous span of
 *    len = (c/groups)*spatial floats; its moments are
 *    simdnorm_span_moments of that span (blocks of SIMDNORM_BLOCK elements,
 *    each fast or exact, Chan-merged in order): exactly the statistics of a
 *    LayerNorm row of len elements. mean/rstd are saved as the row norms
 *    save them (var = M2 * (1/len), rstd = 1/sqrt(var + eps)), so they are
 *    bit for bit LayerNorm's over the [n*groups, len] matrix.
 *  - forward NHWC: per (sample, channel), the sample's spatial rows in
 *    blocks of SIMDNORM_BLOCK rows, each block's sums one double chain down
 *    the rows about the block's first value (f32_channel_moments,
 *    simdnorm_block_moments), blocks Chan-merged in row order (BatchNorm
 *    NHWC's order, within one sample); then the group's channels Chan-merged
 *    in channel order. This differs from NCHW's order (as BatchNorm's two
 *    layouts differ): the two layouts agree to DESIGN §4's bounds, not bit
 *    for bit (spatial == 1 is the same memory in both layouts, a [n, c]
 *    matrix whose groups are contiguous: it takes the NCHW path, so a 2-D
 *    GroupNorm's statistics are LayerNorm's too).
 *  - normalize: per channel ch of group g, the folded plan
 *    (SIMDNORM_PLAN_FOLDED) from the group's double mean and rstd and
 *    gamma[ch], beta[ch]; NCHW f32_normalize (or its streaming twin) per
 *    plane, NHWC f32_normalize_channels over the sample's rows with
 *    per-channel shift/scale/offset; slow channels through
 *    simdnorm_normalize_slow (NHWC: after the kernel wrote y = x there).
 *    A group holding a NaN or Inf saves the plain float64 mean of its
 *    elements, rstd NaN, and y NaN (its plan is slow); no other group is
 *    touched.
 *  - backward (PyTorch's native_group_norm_backward; g = dy*gamma_c,
 *    xhat = (x - mean)*rstd with the group's saved float mean and rstd):
 *    per (sample, channel) s1 = sum dy, s2 = sum dy*xhat - NCHW:
 *    f32_bwd_sums over the plane (no gamma), NHWC: f32_bwd_channel_sums over
 *    the sample's rows (one double chain per channel); per (sample, group)
 *    S1 = sum gamma_c*s1_c, S2 = sum gamma_c*s2_c in double in channel
 *    order; the coefficients w_c = (float)(rstd*gamma_c) and, through
 *    simdnorm_bwd_coeffs, k = (float)(-(rstd*(S2/len))),
 *    o = (float)(-(rstd*(S1/len))); dx = fmaf(dy, w_c, fmaf(xhat, k, o))
 *    (f32_bwd_dx per plane, f32_bwd_dx_channels per sample).
 *    dgamma_c = sum over samples of s2_c, dbeta_c = sum of s1_c, in double
 *    in sample order (the per-sample sums are kept in a scratch array and
 *    added after the parallel part).
 *
 * Threads. Forward: when there are at least as many (sample, group) pairs
 * as threads, each thread takes whole pairs (NHWC: units of one sample's
 * consecutive groups) and computes each pair's statistics and its
 * normalize while the pair is in its caches. With fewer pairs than threads,
 * three phases: the blocks' moments (NCHW: blocks of a span; NHWC: blocks
 * of rows x chunks of channels) in parallel into a scratch array, the
 * merges in the canonical order on the calling thread, then the normalize
 * in parallel pieces (elementwise). Backward: whole pairs (NHWC: units of
 * groups) per thread; with fewer pairs than threads, the sums per plane
 * (NHWC: per chunk of channels) in parallel, the per-group coefficients on
 * the calling thread, dx in parallel pieces. Every output is computed by
 * the same operations in the same order on every path. */
#include <stdlib.h>

#include "fpenv.h"
#include "internal.h"

/* Channels of one NHWC step (its per-channel scratch, ~60 KiB, lives on the
 * stack, as the row engine's 64 KiB). 512 rather than 256: a sample of
 * (320 channels, 64x64) then goes in one step of whole rows, ~10% faster in
 * alternating runs against PyTorch (bench/torch_group_norm.py). The results
 * do not depend on it. */
#define GN_CHUNK 512

/* Below this many channels a whole-sample NHWC normalize views R rows as one
 * row of c*R channels (the per-channel arrays repeated), as BatchNorm does. */
#define GN_NARROW 64

/* Planes shorter than this are normalized with plain stores even in a
 * streaming call (BatchNorm's BN_STREAM_MIN_RUN: a fence per plane; /tmp
 * throwaway, GroupNorm(32) NCHW (32,1024,14x14), Zen 3, 11.1-11.2 ms with
 * 64, 3.1-3.3 with 1024). */
#define GN_STREAM_MIN_RUN 1024

/* An NHWC backward unit (or chunk) whose dy and x exceed this many bytes
 * takes its channel sums in blocks of rows (f32_bwd_channel_sums_seq) even
 * in a call that is not from memory (each tile of channels walking down
 * all the rows reads the rows' other slices from further out than the L1).
 * GroupNorm NHWC backward, one thread, Xeon (Sapphire Rapids class, 2 MiB
 * L2), base and new library alternated in one process (/tmp/s39/abgn.c,
 * median of 5 rounds), time blocks / walk, AVX2 (AVX-512), by the unit's
 * dy + x: (2, 320, 64x64) 10 MiB 0.94 (0.88), (2, 640, 32x32) 5 MiB 0.95
 * (0.96), (1, 256, 32x32) 2 MiB 0.94 (0.90), (2, 1280, 16x16) 1 MiB 0.93
 * (0.97), (4, 128, 32x32) 1 MiB 0.93 (0.93), (4, 256, 16x16) 512 KiB 0.92
 * (0.94); but (2, 512, 8x8) 256 KiB 1.14 (1.11), (8, 320, 8x8) 160 KiB
 * 1.13 (1.04), (1, 1280, 4x4) 160 KiB 1.07 (1.05). */
#define GN_SUMS_BLOCK_BYTES (256 << 10)

/* Elements of one part of a phased (elementwise) normalize or dx. */
#define GN_PIECE 16384

/* simdnorm_parallel_run on nt threads, or the body on the calling thread
 * (already in the canonical state) when nt <= 1. */
static void gn_run(int nt, size_t parts, simdnorm_range_fn body, void *ctx)
{
    if (nt <= 1)
        body(ctx, 0, parts);
    else
        simdnorm_parallel_run(nt, parts, body, ctx);
}

/* The statistics of one (sample, group). */
typedef struct gn_stats {
    double mean, rstd;
    int mag_ok;
} gn_stats;

/* ---- forward ------------------------------------------------------------- */

typedef struct gn_fwd {
    const simdnorm_kernels *k;
    int nhwc;
    size_t n, c, sp, groups, cpg, len; /* cpg: channels per group; len = cpg*sp */
    double eps, inv_len;
    const float *x, *gamma, *beta;
    float *y, *mean, *rstd;
    simdnorm_f32_normalize_fn normalize;              /* NCHW planes */
    /* NCHW spans' moments: in order (the _mem form) for a call from memory */
    simdnorm_moments (*span_moments)(const simdnorm_kernels *, size_t, const float *);
    /* 16-bit (the twins, 1 bf16, 2 f16; 0 float32): x and y hold 16-bit
     * elements, read and written by the storage's kernels; mem: from memory
     * (in-order sums, streaming normalize: NCHW for planes of
     * GN_STREAM_MIN_RUN) */
    int storage, mem;
    size_t gpu, units;      /* NHWC pair path: groups per unit, units per sample */
    /* the phased path's scratch */
    size_t nblk, nchunk, npiece;
    simdnorm_moments *bm;   /* NCHW [pairs][nblk]; NHWC [n][nblk][c] */
    gn_stats *st;           /* [pairs] */
    float *shift, *scale, *offset; /* NHWC [n*c] */
    unsigned char *slow;    /* NHWC [n*c] */
} gn_fwd;

/* The plain float64 mean of a pair holding a NaN or Inf (+-Inf or NaN in any
 * order of the sum: finite float sums cannot overflow a double). */
static float gn_plain_mean(const gn_fwd *a, size_t pair)
{
    double sum = 0.0;
    if (a->storage && !a->nhwc) {
        sum = simdnorm_half_sum(a->storage, a->len,
                                (const uint16_t *)(const void *)a->x + pair * a->len, 1);
    } else if (a->storage) { /* NHWC: rows in order, the group's channels in each */
        const size_t i = pair / a->groups, g = pair % a->groups;
        const size_t off = i * a->sp * a->c + g * a->cpg;
        for (size_t r = 0; r < a->sp; r++)
            for (size_t j = 0; j < a->cpg; j++)
                sum += simdnorm_half_at(a->storage, a->x, off + r * a->c + j);
    } else if (!a->nhwc) {
        const float *p = a->x + pair * a->len;
        for (size_t e = 0; e < a->len; e++)
            sum += p[e];
    } else {
        const size_t i = pair / a->groups, g = pair % a->groups;
        const float *p = a->x + i * a->sp * a->c + g * a->cpg;
        for (size_t r = 0; r < a->sp; r++)
            for (size_t j = 0; j < a->cpg; j++)
                sum += p[r * a->c + j];
    }
    return simdnorm_canonical_nan((float)(sum / (double)a->len));
}

/* A pair's statistics from its moments, as the row norms take them; saves
 * mean and rstd. Reads x (non-finite pairs) before the pair is written. */
static gn_stats gn_finish(const gn_fwd *a, size_t pair, simdnorm_moments m)
{
    const int finite = isfinite(m.mean) && isfinite(m.m2);
    gn_stats s;
    s.mean = m.mean;
    s.rstd = 1.0 / sqrt((finite ? m.m2 * a->inv_len : NAN) + a->eps);
    s.mag_ok = simdnorm_moments_mag_ok(m.mean, m.m2);
    if (a->mean)
        a->mean[pair] = finite ? (float)m.mean : gn_plain_mean(a, pair);
    if (a->rstd)
        a->rstd[pair] = simdnorm_canonical_nan((float)s.rstd);
    return s;
}

static inline __attribute__((always_inline)) simdnorm_norm_plan
gn_plan(const gn_fwd *a, const gn_stats *s, size_t ch)
{
    return simdnorm_plan_from_stats(SIMDNORM_PLAN_FOLDED | SIMDNORM_PLAN_NO_RSTD_F, s->mag_ok,
                                    s->mean, s->rstd, a->gamma, a->beta, ch);
}

/* NCHW: elements [e0, e1) of the pair's span, plane piece by plane piece.
 * next (calls from memory): the following pair is this thread's next, so
 * each piece's normalize prefetches the same piece of it (kernels.h,
 * f32_normalize's pf) - its statistics pass then reads the caches while
 * this pair's stores go out, as the row norms' long rows do. */
static void nchw_normalize(const gn_fwd *a, size_t pair, const gn_stats *s, size_t e0, size_t e1,
                           int next)
{
    const size_t g = pair % a->groups, base = pair * a->len;
    const size_t pf = a->mem && next ? base + a->len : 0; /* 0: none */
    while (e0 < e1) {
        const size_t j = e0 / a->sp, pe = (j + 1) * a->sp, end = pe < e1 ? pe : e1;
        const size_t ch = g * a->cpg + j;
        const simdnorm_norm_plan p = gn_plan(a, s, ch);
        if (a->storage) {
            const uint16_t *xh = (const uint16_t *)(const void *)a->x;
            simdnorm_apply_normalize_ch_half(a->k, a->storage, a->mem && a->sp >= GN_STREAM_MIN_RUN,
                                             &p, end - e0, xh + base + e0, a->gamma, a->beta, ch,
                                             SIMDNORM_ACT_NONE,
                                             (uint16_t *)(void *)a->y + base + e0,
                                             pf ? xh + pf + e0 : NULL);
        } else {
            simdnorm_apply_normalize_ch(a->k, a->normalize, &p, end - e0, a->x + base + e0,
                                        a->gamma, a->beta, ch, SIMDNORM_ACT_NONE,
                                        a->y + base + e0, pf ? a->x + pf + e0 : NULL);
        }
        e0 = end;
    }
}

/* The moments of the NCHW span of len elements at element off of x (a
 * 16-bit call's through the storage's moments kernels, the same bits). */
static simdnorm_moments gn_span(const gn_fwd *a, size_t off, size_t len)
{
    if (a->storage) {
        float buf[SIMDNORM_BLOCK]; /* a block that needs the float slow sums */
        return simdnorm_span_moments_half(a->k, a->storage, len,
                                          (const uint16_t *)(const void *)a->x + off, a->mem, buf);
    }
    return a->span_moments(a->k, len, a->x + off);
}

/* NCHW pair path: pairs [p0, p1), each its moments, then its normalize
 * (the span is still in the caches). */
static void nchw_pairs(void *ctx, size_t p0, size_t p1)
{
    const gn_fwd *a = ctx;
    for (size_t p = p0; p < p1; p++) {
        const simdnorm_moments m = gn_span(a, p * a->len, a->len);
        const gn_stats s = gn_finish(a, p, m);
        nchw_normalize(a, p, &s, 0, a->len, p + 1 < p1);
    }
}

/* NCHW phase 1: the moments of blocks u = pair*nblk + b (simdnorm_span_moments
 * of a block is the block's moments inside a span, bit for bit). */
static void nchw_blocks(void *ctx, size_t u0, size_t u1)
{
    const gn_fwd *a = ctx;
    for (size_t u = u0; u < u1; u++) {
        const size_t pair = u / a->nblk, off = (u % a->nblk) * SIMDNORM_BLOCK;
        const size_t len = a->len - off < SIMDNORM_BLOCK ? a->len - off : SIMDNORM_BLOCK;
        a->bm[u] = gn_span(a, pair * a->len + off, len);
    }
}

/* NCHW phase 3: pieces u = pair*npiece + q. */
static void nchw_pieces(void *ctx, size_t u0, size_t u1)
{
    const gn_fwd *a = ctx;
    for (size_t u = u0; u < u1; u++) {
        const size_t pair = u / a->npiece, e0 = (u % a->npiece) * GN_PIECE;
        nchw_normalize(a, pair, &a->st[pair], e0, a->len - e0 < GN_PIECE ? a->len : e0 + GN_PIECE,
                       0);
    }
}

/* NHWC: the moments of channels [c0, c0+cw) (cw <= GN_CHUNK) of rows
 * [0, rows) from element xs of x (row r at xs + r*c), blocks of
 * SIMDNORM_BLOCK rows merged in row order (BatchNorm NHWC's reduction;
 * several blocks per kernel call when the chunk is narrow). */
static void nhwc_channel_moments(const gn_fwd *a, size_t xs, size_t rows, size_t c0, size_t cw,
                                 simdnorm_moments *acc)
{
    const size_t c = a->c;
    double s1[GN_CHUNK], s2[GN_CHUNK];
    const size_t gmax = GN_CHUNK / cw;
    size_t r0 = 0;
    while (r0 < rows) {
        size_t nb = (rows - r0) / SIMDNORM_BLOCK, len = SIMDNORM_BLOCK;
        if (nb == 0) {
            nb = 1;
            len = rows - r0;
        }
        if (nb > gmax)
            nb = gmax;
        const size_t xb = xs + r0 * c + c0;
        simdnorm_channel_moments_st(a->k, a->storage, len, cw, a->x, xb, c, nb, SIMDNORM_BLOCK * c,
                                    s1, s2);
        for (size_t b = 0; b < nb; b++, r0 += len) {
            const size_t xg = xb + b * SIMDNORM_BLOCK * c;
            const double *g1 = s1 + b * cw, *g2 = s2 + b * cw;
            const simdnorm_merge_weights w = simdnorm_merge_weights_of((double)r0, (double)len);
            for (size_t j = 0; j < cw; j++) {
                const simdnorm_moments bm =
                    simdnorm_block_moments(len, simdnorm_st_get(a->storage, a->x, xg + j), g1[j], g2[j]);
                acc[j] = r0 == 0 ? bm : simdnorm_moments_merge_with(acc[j], bm, w);
            }
        }
    }
}

/* NHWC: y = f(x) for channels [c0, c0+cw) of `rows` rows from element off
 * of x and y (stride c) with the storage's kernel; `whole`: the rows hold
 * exactly these channels (c0 == 0, cw == c), and narrow ones are viewed as
 * wider rows. The arrays have GN_CHUNK entries. */
static void nhwc_normalize_rows(const gn_fwd *a, size_t off, size_t rows, size_t c0, size_t cw,
                                float *shift, float *scale, float *offset)
{
    const size_t es = a->storage ? 2 : sizeof(float);
    simdnorm_normalize_channels_rows(a->k, a->storage, a->mem, rows, a->c, c0, cw,
                                     (const char *)(const void *)a->x + off * es,
                                     (char *)(void *)a->y + off * es, shift, scale, offset,
                                     SIMDNORM_ACT_NONE, GN_NARROW, GN_CHUNK);
}

/* NHWC: a slow channel's column (rows elements from element off of x and
 * y, stride c) through the slow path, after the kernel wrote y = x there. */
static void nhwc_slow_column(const gn_fwd *a, const simdnorm_norm_plan *p, size_t rows,
                             size_t off, size_t ch)
{
    if (a->storage)
        simdnorm_normalize_slow_half(p, a->storage, rows,
                                     (const uint16_t *)(const void *)a->x + off, a->c, a->gamma,
                                     a->beta, ch, (uint16_t *)(void *)a->y + off, a->c);
    else
        simdnorm_normalize_slow(p, rows, a->x + off, a->c, a->gamma, a->beta, ch, a->y + off,
                                a->c);
}

/* NHWC pair path: sample i, groups [g0, g1) (at most GN_CHUNK channels, or
 * one group): statistics, then the normalize over the sample's rows. */
static void nhwc_unit(const gn_fwd *a, size_t i, size_t g0, size_t g1)
{
    const size_t c = a->c, sp = a->sp, cpg = a->cpg, cb = g0 * cpg, ce = g1 * cpg;
    const size_t xs = i * sp * c; /* the sample's first element */
    simdnorm_moments acc[GN_CHUNK], gacc[GN_CHUNK];
    gn_stats st[GN_CHUNK];
    /* the merge of a group's channel at position j has the same weights in
     * every group (counts j*sp and sp): computed once per unit (the same
     * bits as simdnorm_mom_merge) */
    simdnorm_merge_weights wpos[GN_CHUNK];
    const size_t npos = cpg < GN_CHUNK ? cpg : GN_CHUNK;
    for (size_t j = 1; j < npos && j < ce - cb; j++)
        wpos[j] = simdnorm_merge_weights_of((double)j * (double)sp, (double)sp);
    for (size_t c0 = cb; c0 < ce; c0 += GN_CHUNK) {
        const size_t cw = ce - c0 < GN_CHUNK ? ce - c0 : GN_CHUNK;
        nhwc_channel_moments(a, xs, sp, c0, cw, acc);
        for (size_t j = 0; j < cw; j++) { /* the group's channels in order */
            const size_t ch = c0 + j, gi = ch / cpg - g0, pos = ch % cpg;
            if (pos == 0)
                gacc[gi] = acc[j];
            else if (pos < npos)
                gacc[gi] = simdnorm_moments_merge_with(gacc[gi], acc[j], wpos[pos]);
            else
                gacc[gi] = simdnorm_mom_merge(gacc[gi], acc[j]);
        }
    }
    for (size_t g = g0; g < g1; g++)
        st[g - g0] = gn_finish(a, i * a->groups + g, gacc[g - g0]);
    float shift[GN_CHUNK], scale[GN_CHUNK], offset[GN_CHUNK];
    for (size_t c0 = cb; c0 < ce; c0 += GN_CHUNK) {
        const size_t cw = ce - c0 < GN_CHUNK ? ce - c0 : GN_CHUNK;
        int any_slow = 0;
        for (size_t j = 0; j < cw; j++) {
            const size_t ch = c0 + j;
            const simdnorm_norm_plan p = gn_plan(a, &st[ch / cpg - g0], ch);
            shift[j] = p.shift;
            scale[j] = p.scale;
            offset[j] = p.offset;
            any_slow |= !p.fast;
        }
        nhwc_normalize_rows(a, xs, sp, c0, cw, shift, scale, offset);
        if (any_slow) /* after the kernel wrote y = x there */
            for (size_t j = 0; j < cw; j++) {
                const size_t ch = c0 + j;
                const simdnorm_norm_plan p = gn_plan(a, &st[ch / cpg - g0], ch);
                if (!p.fast)
                    nhwc_slow_column(a, &p, sp, xs + ch, ch);
            }
    }
}

/* NHWC pair path: units u = i*units + r, unit r of a sample being groups
 * [r*gpu, min((r+1)*gpu, groups)). */
static void nhwc_units(void *ctx, size_t u0, size_t u1)
{
    const gn_fwd *a = ctx;
    for (size_t u = u0; u < u1; u++) {
        const size_t i = u / a->units, g0 = (u % a->units) * a->gpu;
        nhwc_unit(a, i, g0, a->groups - g0 < a->gpu ? a->groups : g0 + a->gpu);
    }
}

/* NHWC phase 1: u = (i*nblk + b)*nchunk + q: block b (rows) of sample i,
 * channels [q*GN_CHUNK, ...), its block moments into bm[(i*nblk + b)*c + ch]. */
static void nhwc_blocks(void *ctx, size_t u0, size_t u1)
{
    const gn_fwd *a = ctx;
    const size_t c = a->c;
    for (size_t u = u0; u < u1; u++) {
        const size_t q = u % a->nchunk, ib = u / a->nchunk, i = ib / a->nblk, b = ib % a->nblk;
        const size_t c0 = q * GN_CHUNK, cw = c - c0 < GN_CHUNK ? c - c0 : GN_CHUNK;
        const size_t r0 = b * SIMDNORM_BLOCK;
        const size_t len = a->sp - r0 < SIMDNORM_BLOCK ? a->sp - r0 : SIMDNORM_BLOCK;
        nhwc_channel_moments(a, (i * a->sp + r0) * c, len, c0, cw, a->bm + ib * c + c0);
    }
}

/* NHWC phase 3: u = i*npiece + q: rows [q*rows_per, ...) of sample i, all
 * channels, with the sample's arrays. */
static void nhwc_pieces(void *ctx, size_t u0, size_t u1)
{
    const gn_fwd *a = ctx;
    const size_t c = a->c, per = (a->sp + a->npiece - 1) / a->npiece;
    for (size_t u = u0; u < u1; u++) {
        const size_t i = u / a->npiece, r0 = (u % a->npiece) * per;
        if (r0 >= a->sp)
            continue;
        const size_t rows = a->sp - r0 < per ? a->sp - r0 : per;
        const size_t off = (i * a->sp + r0) * c;
        simdnorm_normalize_channels_st(a->k, a->storage, a->mem, rows, c, a->x, a->y, off, c,
                                       a->shift + i * c, a->scale + i * c, a->offset + i * c,
                                       SIMDNORM_ACT_NONE);
        for (size_t ch = 0; ch < c; ch++)
            if (a->slow[i * c + ch]) {
                const simdnorm_norm_plan p = gn_plan(a, &a->st[i * a->groups + ch / a->cpg], ch);
                nhwc_slow_column(a, &p, rows, off + ch, ch);
            }
    }
}

/* The phased forward (fewer pairs than nt threads): 0, or -1 when its
 * scratch could not be allocated (the caller then takes the pair path). */
static int gn_forward_phased(gn_fwd *a, int nt)
{
    const size_t pairs = a->n * a->groups, c = a->c;
    if (!a->nhwc) {
        a->nblk = (a->len + SIMDNORM_BLOCK - 1) / SIMDNORM_BLOCK;
        a->npiece = (a->len + GN_PIECE - 1) / GN_PIECE;
        void *mem = malloc(pairs * (a->nblk * sizeof(simdnorm_moments) + sizeof(gn_stats)));
        if (!mem)
            return -1;
        a->bm = mem;
        a->st = (gn_stats *)(a->bm + pairs * a->nblk);
        simdnorm_parallel_run(nt, pairs * a->nblk, nchw_blocks, a);
        for (size_t p = 0; p < pairs; p++) {
            simdnorm_moments m = a->bm[p * a->nblk];
            for (size_t b = 1; b < a->nblk; b++)
                m = simdnorm_mom_merge(m, a->bm[p * a->nblk + b]);
            a->st[p] = gn_finish(a, p, m);
        }
        simdnorm_parallel_run(nt, pairs * a->npiece, nchw_pieces, a);
        free(mem);
        return 0;
    }
    a->nblk = (a->sp + SIMDNORM_BLOCK - 1) / SIMDNORM_BLOCK;
    a->nchunk = (c + GN_CHUNK - 1) / GN_CHUNK;
    const size_t per_piece = GN_PIECE / c ? GN_PIECE / c : 1;
    a->npiece = (a->sp + per_piece - 1) / per_piece;
    const size_t nc = a->n * c;
    void *mem = malloc(a->n * a->nblk * c * sizeof(simdnorm_moments) + pairs * sizeof(gn_stats) +
                       nc * (3 * sizeof(float) + 1));
    if (!mem)
        return -1;
    a->bm = mem;
    a->st = (gn_stats *)(a->bm + a->n * a->nblk * c);
    a->shift = (float *)(a->st + pairs);
    a->scale = a->shift + nc;
    a->offset = a->scale + nc;
    a->slow = (unsigned char *)(a->offset + nc);
    simdnorm_parallel_run(nt, a->n * a->nblk * a->nchunk, nhwc_blocks, a);
    for (size_t i = 0; i < a->n; i++) {
        simdnorm_moments g = {0.0, 0.0, 0.0};
        for (size_t ch = 0; ch < c; ch++) {
            const simdnorm_moments *b = a->bm + i * a->nblk * c + ch;
            simdnorm_moments m = b[0];
            for (size_t k = 1; k < a->nblk; k++) /* blocks in row order */
                m = simdnorm_mom_merge(m, b[k * c]);
            g = ch % a->cpg == 0 ? m : simdnorm_mom_merge(g, m); /* channels in order */
            if (ch % a->cpg == a->cpg - 1)
                a->st[i * a->groups + ch / a->cpg] = gn_finish(a, i * a->groups + ch / a->cpg, g);
        }
        for (size_t ch = 0; ch < c; ch++) {
            const simdnorm_norm_plan p = gn_plan(a, &a->st[i * a->groups + ch / a->cpg], ch);
            a->shift[i * c + ch] = p.shift;
            a->scale[i * c + ch] = p.scale;
            a->offset[i * c + ch] = p.offset;
            a->slow[i * c + ch] = !p.fast;
        }
    }
    simdnorm_parallel_run(nt, a->n * a->npiece, nhwc_pieces, a);
    free(mem);
    return 0;
}

static void gn_forward(gn_fwd *a)
{
    const size_t pairs = a->n * a->groups, total = a->n * a->c * a->sp;
    const size_t es = a->storage ? 2 : sizeof(float);
    const int stream = simdnorm_from_memory(total, es);
    a->mem = stream;
    a->normalize = stream && a->sp >= GN_STREAM_MIN_RUN ? a->k->f32_normalize_stream
                                                        : a->k->f32_normalize;
    a->span_moments = stream ? simdnorm_span_moments_mem : simdnorm_span_moments;
    /* x read twice (statistics, normalize), y written */
    const int nt = simdnorm_threads_for(total * es * 3, (size_t)-1);
    if ((size_t)nt > pairs && gn_forward_phased(a, nt) == 0)
        return;
    if (!a->nhwc) {
        simdnorm_parallel_for(pairs, pairs, total * es * 3, nchw_pairs, a);
        return;
    }
    /* units of whole groups, at most GN_CHUNK channels (or one group); more,
     * smaller units when there are fewer than threads */
    size_t gpu = a->cpg <= GN_CHUNK ? GN_CHUNK / a->cpg : 1;
    if (gpu > a->groups)
        gpu = a->groups;
    size_t units = (a->groups + gpu - 1) / gpu;
    if (a->n * units < (size_t)nt) {
        size_t want = ((size_t)nt + a->n - 1) / a->n;
        if (want > a->groups)
            want = a->groups;
        gpu = (a->groups + want - 1) / want;
        units = (a->groups + gpu - 1) / gpu;
    }
    a->gpu = gpu;
    a->units = units;
    simdnorm_parallel_for(a->n * units, a->n * units, total * sizeof(float) * 3, nhwc_units, a);
}

/* ---- validation (DESIGN §5) ------------------------------------------------
 * In order: parameters (eps; layout), groups (0 or not dividing c:
 * SIMDNORM_ERR_SHAPE), empty output (n == 0 or c == 0: a no-op; the
 * backward zeroes dgamma/dbeta for n == 0), NULL pointers, shape (spatial
 * == 0: a reduction over no elements; n*c*spatial*sizeof(float) beyond
 * PTRDIFF_MAX or the address space), overlap (an output with any input or
 * another output, except y == x / dx == dy). */

/* The shape of a call with n, c >= 1: 0 when spatial == 0 or the tensor's
 * size overflows, else 1 with *total = n*c*spatial. */
static int gn_total(size_t n, size_t c, size_t spatial, size_t *total)
{
    const size_t max_elems = (size_t)PTRDIFF_MAX / sizeof(float);
    if (spatial == 0 || spatial > max_elems / n || c > max_elems / (n * spatial))
        return 0;
    *total = n * c * spatial;
    return 1;
}

enum { GF_X, GF_GAMMA, GF_BETA, GF_Y, GF_MEAN, GF_RSTD, GF_ALL };

/* storage: x, y float32 (0) or 16-bit (the twins: 1 bf16, 2 f16): read and
 * written in 16 bits by the storage's kernels - NCHW (and spatial 1) the
 * moments and normalize kernels (gn_span, nchw_normalize), NHWC the channel
 * moments and channel normalize kernels (nhwc_channel_moments,
 * nhwc_normalize_rows), a slow channel's column widened on the stack
 * (simdnorm_normalize_slow_half) - the float32 call's bits, narrowed. */
static simdnorm_status gn_forward_entry(int storage, simdnorm_layout layout, size_t n, size_t c,
                                        size_t spatial, size_t groups, const void *x,
                                        const float *gamma, const float *beta, float eps,
                                        void *y, float *mean, float *rstd)
{
    const size_t es = storage ? 2 : sizeof(float);
    if (!simdnorm_eps_ok(eps) || (unsigned)layout > (unsigned)SIMDNORM_NHWC)
        return SIMDNORM_ERR_PARAM;
    if (groups == 0 || c % groups != 0)
        return SIMDNORM_ERR_SHAPE;
    if (n == 0 || c == 0)
        return SIMDNORM_OK;
    if (!x || !y)
        return SIMDNORM_ERR_NULL;
    size_t total, b[GF_ALL];
    if (!gn_total(n, c, spatial, &total) ||
        !simdnorm_matrix_span_es(x, 1, total, total, es, &b[GF_X]) ||
        !simdnorm_matrix_span(gamma, 1, c, c, &b[GF_GAMMA]) ||
        !simdnorm_matrix_span(beta, 1, c, c, &b[GF_BETA]) ||
        !simdnorm_matrix_span_es(y, 1, total, total, es, &b[GF_Y]) ||
        !simdnorm_matrix_span(mean, 1, n * groups, n * groups, &b[GF_MEAN]) ||
        !simdnorm_matrix_span(rstd, 1, n * groups, n * groups, &b[GF_RSTD]))
        return SIMDNORM_ERR_SHAPE;
    const simdnorm_buffer buf[GF_ALL] = {
        [GF_X] = {x, b[GF_X], 0, 0, 0},
        [GF_GAMMA] = {gamma, b[GF_GAMMA], 0, 0, 0},
        [GF_BETA] = {beta, b[GF_BETA], 0, 0, 0},
        [GF_Y] = {y, b[GF_Y], 0, 1u << GF_X, 1},
        [GF_MEAN] = {mean, b[GF_MEAN], 0, 0, 1},
        [GF_RSTD] = {rstd, b[GF_RSTD], 0, 0, 1},
    };
    const simdnorm_status st = simdnorm_check_overlap(buf, GF_ALL);
    if (st != SIMDNORM_OK)
        return st;
    const size_t cpg = c / groups;
    gn_fwd a = {.k = simdnorm_active_kernels(), .nhwc = layout == SIMDNORM_NHWC && spatial > 1,
                .n = n, .c = c, .sp = spatial, .groups = groups, .cpg = cpg,
                .len = cpg * spatial, .eps = eps,
                .x = x, .gamma = gamma, .beta = beta, .y = y, .mean = mean, .rstd = rstd,
                .storage = storage};
    const simdnorm_fpenv fe = simdnorm_fpenv_enter(); /* fpenv.h */
    /* every floating-point operation under the canonical environment (at
     * -O0 this division ran before it and trapped on a caller's unmasked
     * inexact exception: test_fpenv) */
    a.inv_len = 1.0 / (double)(cpg * spatial);
    gn_forward(&a);
    simdnorm_fpenv_leave(fe);
    return SIMDNORM_OK;
}

SIMDNORM_API simdnorm_status simdnorm_group_norm_f32(simdnorm_layout layout, size_t n, size_t c,
                                                     size_t spatial, size_t groups,
                                                     const float *x, const float *gamma,
                                                     const float *beta, float eps, float *y,
                                                     float *mean, float *rstd)
{
    return gn_forward_entry(0, layout, n, c, spatial, groups, x, gamma, beta, eps, y, mean, rstd);
}
simdnorm_status simdnorm_group_norm_bf16(simdnorm_layout layout, size_t n, size_t c,
                                         size_t spatial, size_t groups, const simdnorm_bf16 *x,
                                         const float *gamma, const float *beta, float eps,
                                         simdnorm_bf16 *y, float *mean, float *rstd)
{
    return gn_forward_entry(1, layout, n, c, spatial, groups, x, gamma, beta, eps, y, mean, rstd);
}
simdnorm_status simdnorm_group_norm_f16(simdnorm_layout layout, size_t n, size_t c,
                                        size_t spatial, size_t groups, const simdnorm_f16 *x,
                                        const float *gamma, const float *beta, float eps,
                                        simdnorm_f16 *y, float *mean, float *rstd)
{
    return gn_forward_entry(2, layout, n, c, spatial, groups, x, gamma, beta, eps, y, mean, rstd);
}

/* ---- backward ------------------------------------------------------------ */

typedef struct gn_bwd {
    const simdnorm_kernels *k;
    int nhwc;
    size_t n, c, sp, groups, cpg, len;
    double inv_len;
    const float *dy, *x, *gamma, *mean, *rstd;
    float *dx;
    double *s1, *s2;               /* [n*c]: the (sample, channel) sums */
    float *cm, *cr, *cw, *ck, *co; /* NHWC [n*c]: per channel mean, rstd, w, k, o */
    float *pk, *po;                /* NCHW phased [pairs]: k, o */
    unsigned char *slow;           /* phased [pairs]: the pair takes gn_dx_slow */
    size_t gpu, units, npiece;
    /* a call from memory: the NCHW planes' sums in order (f32_bwd_sums_seq),
     * NHWC channels' in blocks of rows (f32_bwd_channel_sums_seq), and the
     * NHWC dx with streaming stores (f32_bwd_dx_channels_stream) */
    int seq;
    /* dy, x, dx: float32 (0) or 16-bit (1 bf16, 2 f16: the pointers hold
     * 16-bit elements, read and written by the storage's kernels) */
    int storage;
} gn_bwd;

/* w_c = (float)(rstd*gamma_c) (rstd without gamma). */
static float gn_w(const gn_bwd *b, size_t pair, size_t ch)
{
    return (float)((double)b->rstd[pair] * (b->gamma ? (double)b->gamma[ch] : 1.0));
}

/* A pair's sums from its channels' sums: S1 = sum gamma_c*s1_c,
 * S2 = sum gamma_c*s2_c in channel order (double). */
static void gn_pair_sums(const gn_bwd *b, size_t pair, double *S1, double *S2)
{
    const size_t base = pair * b->cpg, g0 = (pair % b->groups) * b->cpg;
    for (size_t j = 0; j < b->cpg; j++) {
        const double gm = b->gamma ? (double)b->gamma[g0 + j] : 1.0;
        *S1 = j == 0 ? gm * b->s1[base + j] : *S1 + gm * b->s1[base + j];
        *S2 = j == 0 ? gm * b->s2[base + j] : *S2 + gm * b->s2[base + j];
    }
}

/* A coefficient the float kernels may take: NaN (it propagates as the
 * formula does), 0, or a normal float (as BatchNorm's, backward.c). */
static int gn_coeff_ok(double v)
{
    return v != v || v == 0.0 || (fabs(v) >= FLT_MIN && fabs(v) <= FLT_MAX);
}

/* A pair's k and o (simdnorm_bwd_coeffs with w = rstd); returns whether
 * the float kernels may take the pair: k, o and every channel's
 * w_c = rstd*gamma_c each 0, NaN or a normal float. Else - one of them
 * would round to a subnormal, to 0 or to Inf - the pair's dx is
 * gn_dx_slow's. */
static int gn_pair_coeffs(const gn_bwd *b, size_t pair, float *k, float *o)
{
    double S1, S2;
    gn_pair_sums(b, pair, &S1, &S2);
    float w;
    const double rstd = (double)b->rstd[pair];
    simdnorm_bwd_coeffs(S1, S2, b->inv_len, rstd, &w, k, o);
    int ok = gn_coeff_ok(-(rstd * (S2 * b->inv_len))) && gn_coeff_ok(-(rstd * (S1 * b->inv_len)));
    const size_t g0 = (pair % b->groups) * b->cpg;
    for (size_t j = 0; j < b->cpg && ok; j++)
        ok = gn_coeff_ok(rstd * (b->gamma ? (double)b->gamma[g0 + j] : 1.0));
    return ok;
}

/* dx of channel ch of pair p in double, element i at element off +
 * i*stride of dy/x/dx, i < len (NCHW a plane or a piece of it: stride 1;
 * NHWC: stride c): dx = rstd*(dy*gamma_c - S1/len - (x - mean)*rstd*(S2/len)),
 * rounded once (a 16-bit dx narrowed once from that float), NaN canonical:
 * the same bits on every ISA. Reads each element before it writes it (in
 * place). */
static void gn_dx_slow(const gn_bwd *b, size_t p, size_t ch, size_t off, size_t stride,
                       size_t len)
{
    double S1, S2;
    gn_pair_sums(b, p, &S1, &S2);
    const double c1 = S1 * b->inv_len, c2 = S2 * b->inv_len;
    const double mean = b->mean[p], rstd = b->rstd[p];
    const double gm = b->gamma ? (double)b->gamma[ch] : 1.0;
    for (size_t i = 0; i < len; i++) {
        const size_t e = off + i * stride;
        const double v = rstd * ((double)simdnorm_st_get(b->storage, b->dy, e) * gm - c1 -
                                 ((double)simdnorm_st_get(b->storage, b->x, e) - mean) * rstd * c2);
        simdnorm_st_put(b->storage, b->dx, e, simdnorm_canonical_nan((float)v));
    }
}

/* NCHW pair path: pairs [p0, p1), each its planes' sums, then their dx. */
static void bwd_nchw_pairs(void *ctx, size_t p0, size_t p1)
{
    const gn_bwd *b = ctx;
    const size_t sp = b->sp;
    for (size_t p = p0; p < p1; p++) {
        const float mean = b->mean[p], rstd = b->rstd[p];
        for (size_t j = 0; j < b->cpg; j++) {
            const size_t q = p * b->cpg + j, off = q * sp; /* q = i*c + ch */
            double s[2];
            simdnorm_bwd_sums_st(b->k, b->storage, b->seq, sp, b->dy, b->x, off, NULL, mean,
                                 rstd, s);
            b->s1[q] = s[0];
            b->s2[q] = s[1];
        }
        if (!b->dx)
            continue;
        float k, o;
        const int fast = gn_pair_coeffs(b, p, &k, &o);
        for (size_t j = 0; j < b->cpg; j++) {
            const size_t q = p * b->cpg + j, off = q * sp;
            if (fast)
                simdnorm_bwd_dx_st(b->k, b->storage, 0, sp, b->dy, b->x, b->dx, off, NULL, mean,
                                   rstd, gn_w(b, p, q % b->c), k, o);
            else
                gn_dx_slow(b, p, q % b->c, off, 1, sp);
        }
    }
}

/* NCHW phase 1: the sums of planes [q0, q1). */
static void bwd_nchw_planes(void *ctx, size_t q0, size_t q1)
{
    const gn_bwd *b = ctx;
    for (size_t q = q0; q < q1; q++) {
        const size_t p = q / b->cpg, off = q * b->sp;
        double s[2];
        simdnorm_bwd_sums_st(b->k, b->storage, b->seq, b->sp, b->dy, b->x, off, NULL, b->mean[p],
                             b->rstd[p], s);
        b->s1[q] = s[0];
        b->s2[q] = s[1];
    }
}

/* NCHW phase 3: dx of plane pieces u = q*npiece + t. */
static void bwd_nchw_pieces(void *ctx, size_t u0, size_t u1)
{
    const gn_bwd *b = ctx;
    for (size_t u = u0; u < u1; u++) {
        const size_t q = u / b->npiece, e0 = (u % b->npiece) * GN_PIECE, p = q / b->cpg;
        const size_t len = b->sp - e0 < GN_PIECE ? b->sp - e0 : GN_PIECE, off = q * b->sp + e0;
        if (b->slow[p])
            gn_dx_slow(b, p, q % b->c, off, 1, len);
        else
            simdnorm_bwd_dx_st(b->k, b->storage, 0, len, b->dy, b->x, b->dx, off, NULL, b->mean[p],
                               b->rstd[p], gn_w(b, p, q % b->c), b->pk[p], b->po[p]);
    }
}

/* NHWC: the per-channel mean and rstd of channels [cb, ce) of sample i. */
static void bwd_nhwc_fill(const gn_bwd *b, size_t i, size_t cb, size_t ce)
{
    for (size_t ch = cb; ch < ce; ch++) {
        const size_t p = i * b->groups + ch / b->cpg;
        b->cm[i * b->c + ch] = b->mean[p];
        b->cr[i * b->c + ch] = b->rstd[p];
    }
}

/* NHWC: the coefficients of the channels of pair p; whether the float
 * kernels may take it (gn_pair_coeffs). */
static int bwd_nhwc_coeffs(const gn_bwd *b, size_t p)
{
    float k, o;
    const int fast = gn_pair_coeffs(b, p, &k, &o);
    const size_t g0 = (p % b->groups) * b->cpg;
    for (size_t j = 0; j < b->cpg; j++) {
        const size_t q = p * b->cpg + j;
        b->cw[q] = gn_w(b, p, g0 + j);
        b->ck[q] = k;
        b->co[q] = o;
    }
    return fast;
}

/* NHWC dx of groups [g0, g1) of sample i over rows [r0, r0 + rows): the
 * runs of pairs the float kernel may take in one call each, a pair whose
 * coefficients it may not (slow[g - g0] != 0) channel by channel in double. */
static void bwd_nhwc_dx(const gn_bwd *b, size_t i, size_t g0, size_t g1, size_t r0, size_t rows,
                        const unsigned char *slow)
{
    const size_t c = b->c, base = (i * b->sp + r0) * c, q0 = i * c;
    size_t g = g0;
    while (g < g1) {
        size_t e = g;
        while (e < g1 && !slow[e - g0])
            e++;
        if (e > g) {
            const size_t cb = g * b->cpg, off = base + cb;
            simdnorm_bwd_dx_channels_st(b->k, b->storage, b->seq, rows, (e - g) * b->cpg, b->dy,
                                        b->x, b->dx, off, c, b->cm + q0 + cb, b->cr + q0 + cb,
                                        b->cw + q0 + cb, b->ck + q0 + cb, b->co + q0 + cb);
        }
        if (e < g1)
            for (size_t ch = e * b->cpg; ch < (e + 1) * b->cpg; ch++)
                gn_dx_slow(b, i * b->groups + e, ch, base + ch, c, rows);
        g = e + 1;
    }
}

/* Whether the NHWC channel sums of nc channels over a sample's rows take
 * the blocked form (GN_SUMS_BLOCK_BYTES). */
static int bwd_nhwc_sums_seq(const gn_bwd *b, size_t nc)
{
    return b->seq || 2 * b->sp * nc * (b->storage ? 2 : sizeof(float)) > GN_SUMS_BLOCK_BYTES;
}

/* NHWC pair path: units u = i*units + r (groups [r*gpu, ...) of sample i):
 * the channels' sums over the sample's rows, then their dx. */
static void bwd_nhwc_units(void *ctx, size_t u0, size_t u1)
{
    const gn_bwd *b = ctx;
    const size_t c = b->c;
    for (size_t u = u0; u < u1; u++) {
        const size_t i = u / b->units, g0 = (u % b->units) * b->gpu;
        const size_t g1 = b->groups - g0 < b->gpu ? b->groups : g0 + b->gpu;
        const size_t cb = g0 * b->cpg, nc = (g1 - g0) * b->cpg, q = i * c + cb;
        const size_t off = i * b->sp * c + cb;
        bwd_nhwc_fill(b, i, cb, cb + nc);
        simdnorm_bwd_channel_sums_st(b->k, b->storage, b->sp, nc, b->dy, b->x, off, c, b->cm + q,
                                     b->cr + q, b->s1 + q, b->s2 + q, bwd_nhwc_sums_seq(b, nc));
        if (!b->dx)
            continue;
        unsigned char slow[GN_CHUNK]; /* g1 - g0 <= GN_CHUNK (gn_backward) */
        int any = 0;
        for (size_t g = g0; g < g1; g++)
            any |= slow[g - g0] = (unsigned char)!bwd_nhwc_coeffs(b, i * b->groups + g);
        if (!any)
            simdnorm_bwd_dx_channels_st(b->k, b->storage, b->seq, b->sp, nc, b->dy, b->x, b->dx,
                                        off, c, b->cm + q, b->cr + q, b->cw + q, b->ck + q,
                                        b->co + q);
        else
            bwd_nhwc_dx(b, i, g0, g1, 0, b->sp, slow);
    }
}

/* NHWC phase 1: u = i*nchunk + t: channels [t*GN_CHUNK, ...) of sample i. */
static void bwd_nhwc_chunks(void *ctx, size_t u0, size_t u1)
{
    const gn_bwd *b = ctx;
    const size_t c = b->c, nchunk = (c + GN_CHUNK - 1) / GN_CHUNK;
    for (size_t u = u0; u < u1; u++) {
        const size_t i = u / nchunk, cb = (u % nchunk) * GN_CHUNK;
        const size_t nc = c - cb < GN_CHUNK ? c - cb : GN_CHUNK, q = i * c + cb;
        const size_t off = i * b->sp * c + cb;
        bwd_nhwc_fill(b, i, cb, cb + nc);
        simdnorm_bwd_channel_sums_st(b->k, b->storage, b->sp, nc, b->dy, b->x, off, c, b->cm + q,
                                     b->cr + q, b->s1 + q, b->s2 + q, bwd_nhwc_sums_seq(b, nc));
    }
}

/* NHWC phase 3: u = i*npiece + t: rows [t*per, ...) of sample i. */
static void bwd_nhwc_pieces(void *ctx, size_t u0, size_t u1)
{
    const gn_bwd *b = ctx;
    const size_t c = b->c, per = (b->sp + b->npiece - 1) / b->npiece;
    for (size_t u = u0; u < u1; u++) {
        const size_t i = u / b->npiece, r0 = (u % b->npiece) * per;
        if (r0 >= b->sp)
            continue;
        const size_t rows = b->sp - r0 < per ? b->sp - r0 : per;
        const size_t off = (i * b->sp + r0) * c;
        const unsigned char *slow = b->slow + i * b->groups;
        if (!memchr(slow, 1, b->groups)) {
            simdnorm_bwd_dx_channels_st(b->k, b->storage, b->seq, rows, c, b->dy, b->x, b->dx,
                                        off, c, b->cm + i * c, b->cr + i * c, b->cw + i * c,
                                        b->ck + i * c, b->co + i * c);
            continue;
        }
        bwd_nhwc_dx(b, i, 0, b->groups, r0, rows, slow);
    }
}

static void gn_backward(gn_bwd *b, int nt)
{
    const size_t pairs = b->n * b->groups, nc = b->n * b->c;
    const int phased = (size_t)nt > pairs;
    b->seq = simdnorm_from_memory(nc * b->sp, b->storage ? 2 : sizeof(float));
    if (!b->nhwc) {
        if (!phased) {
            gn_run(nt, pairs, bwd_nchw_pairs, b);
            return;
        }
        gn_run(nt, nc, bwd_nchw_planes, b);
        if (!b->dx)
            return;
        for (size_t p = 0; p < pairs; p++)
            b->slow[p] = (unsigned char)!gn_pair_coeffs(b, p, &b->pk[p], &b->po[p]);
        b->npiece = (b->sp + GN_PIECE - 1) / GN_PIECE;
        gn_run(nt, nc * b->npiece, bwd_nchw_pieces, b);
        return;
    }
    if (!phased) {
        /* Units of up to GN_CHUNK channels. Tried and left (session 40,
         * Xeon VM, one thread, tools/simdnorm-ab): from memory, units of
         * fewer groups so that a unit's dy and x fit the L2 (512 KiB - 1
         * MiB), for the dx pass to re-read them from there: (2,320,64x64)
         * and (2,640,32x32) 0.95-1.04x the time (the sums pass then reads
         * a slice of each row), (1,64,256x256) 22-49x (one channel a unit,
         * each walking all rows). */
        size_t gpu = b->cpg <= GN_CHUNK ? GN_CHUNK / b->cpg : 1;
        if (gpu > b->groups)
            gpu = b->groups;
        size_t units = (b->groups + gpu - 1) / gpu;
        if (b->n * units < (size_t)nt) {
            size_t want = ((size_t)nt + b->n - 1) / b->n;
            if (want > b->groups)
                want = b->groups;
            gpu = (b->groups + want - 1) / want;
            units = (b->groups + gpu - 1) / gpu;
        }
        b->gpu = gpu;
        b->units = units;
        gn_run(nt, b->n * units, bwd_nhwc_units, b);
        return;
    }
    gn_run(nt, b->n * ((b->c + GN_CHUNK - 1) / GN_CHUNK), bwd_nhwc_chunks, b);
    if (!b->dx)
        return;
    for (size_t p = 0; p < pairs; p++)
        b->slow[p] = (unsigned char)!bwd_nhwc_coeffs(b, p);
    const size_t per = GN_PIECE / b->c ? GN_PIECE / b->c : 1;
    b->npiece = (b->sp + per - 1) / per;
    gn_run(nt, b->n * b->npiece, bwd_nhwc_pieces, b);
}

enum { GB_DY, GB_X, GB_GAMMA, GB_MEAN, GB_RSTD, GB_DX, GB_DGAMMA, GB_DBETA, GB_ALL };

/* storage: dy, x, dx float32 (0) or 16-bit (1 bf16, 2 f16), read and
 * written in 16 bits by the storage's backward kernels (gn_bwd.storage). */
static simdnorm_status gn_backward_entry(int storage, simdnorm_layout layout, size_t n, size_t c,
                                         size_t spatial, size_t groups, const void *dy,
                                         const void *x, const float *gamma, const float *mean,
                                         const float *rstd, void *dx, float *dgamma,
                                         float *dbeta)
{
    const size_t es = storage ? 2 : sizeof(float);
    if ((unsigned)layout > (unsigned)SIMDNORM_NHWC)
        return SIMDNORM_ERR_PARAM;
    if (groups == 0 || c % groups != 0)
        return SIMDNORM_ERR_SHAPE;
    if (c == 0)
        return SIMDNORM_OK;
    if (n == 0) { /* sums over no samples */
        size_t gb = 0, bb = 0;
        if (!simdnorm_matrix_span(dgamma, 1, c, c, &gb) ||
            !simdnorm_matrix_span(dbeta, 1, c, c, &bb))
            return SIMDNORM_ERR_SHAPE;
        if (simdnorm_overlaps(dgamma, gb, dbeta, bb))
            return SIMDNORM_ERR_OVERLAP;
        if (dgamma)
            memset(dgamma, 0, c * sizeof(float));
        if (dbeta)
            memset(dbeta, 0, c * sizeof(float));
        return SIMDNORM_OK;
    }
    if (!dy || !x || !mean || !rstd)
        return SIMDNORM_ERR_NULL;
    size_t total, b[GB_ALL];
    const size_t pairs = n * groups;
    if (!gn_total(n, c, spatial, &total) ||
        !simdnorm_matrix_span_es(dy, 1, total, total, es, &b[GB_DY]) ||
        !simdnorm_matrix_span_es(x, 1, total, total, es, &b[GB_X]) ||
        !simdnorm_matrix_span(gamma, 1, c, c, &b[GB_GAMMA]) ||
        !simdnorm_matrix_span(mean, 1, pairs, pairs, &b[GB_MEAN]) ||
        !simdnorm_matrix_span(rstd, 1, pairs, pairs, &b[GB_RSTD]) ||
        !simdnorm_matrix_span_es(dx, 1, total, total, es, &b[GB_DX]) ||
        !simdnorm_matrix_span(dgamma, 1, c, c, &b[GB_DGAMMA]) ||
        !simdnorm_matrix_span(dbeta, 1, c, c, &b[GB_DBETA]))
        return SIMDNORM_ERR_SHAPE;
    const simdnorm_buffer buf[GB_ALL] = {
        [GB_DY] = {dy, b[GB_DY], 0, 0, 0},
        [GB_X] = {x, b[GB_X], 0, 0, 0},
        [GB_GAMMA] = {gamma, b[GB_GAMMA], 0, 0, 0},
        [GB_MEAN] = {mean, b[GB_MEAN], 0, 0, 0},
        [GB_RSTD] = {rstd, b[GB_RSTD], 0, 0, 0},
        [GB_DX] = {dx, b[GB_DX], 0, 1u << GB_DY, 1},
        [GB_DGAMMA] = {dgamma, b[GB_DGAMMA], 0, 0, 1},
        [GB_DBETA] = {dbeta, b[GB_DBETA], 0, 0, 1},
    };
    const simdnorm_status st = simdnorm_check_overlap(buf, GB_ALL);
    if (st != SIMDNORM_OK || (!dx && !dgamma && !dbeta))
        return st;

    const size_t cpg = c / groups, nc = n * c;
    gn_bwd g = {.k = simdnorm_active_kernels(), .nhwc = layout == SIMDNORM_NHWC && spatial > 1,
                .n = n, .c = c, .sp = spatial, .groups = groups, .cpg = cpg, .len = cpg * spatial,
                .dy = dy, .x = x, .gamma = gamma,
                .mean = mean, .rstd = rstd, .dx = dx, .storage = storage};
    /* dy, x read (twice: sums, dx), dx written */
    const int nt = simdnorm_threads_for(total * es * (dx ? 4 : 2), (size_t)-1);
    /* scratch: the sums; NHWC the per-channel arrays, NCHW phased k and o */
    const size_t floats = g.nhwc ? 5 * nc : (size_t)nt > pairs ? 2 * pairs : 0;
    /* and the phased paths' per-pair slow flags (gn_pair_coeffs) */
    void *mem = malloc(2 * nc * sizeof(double) + floats * sizeof(float) + pairs);
    if (!mem)
        return SIMDNORM_ERR_NOMEM;
    g.s1 = mem;
    g.s2 = g.s1 + nc;
    if (g.nhwc) {
        g.cm = (float *)(g.s2 + nc);
        g.cr = g.cm + nc;
        g.cw = g.cr + nc;
        g.ck = g.cw + nc;
        g.co = g.ck + nc;
    } else {
        g.pk = (float *)(g.s2 + nc);
        g.po = g.pk + pairs;
    }
    g.slow = (unsigned char *)((float *)(g.s2 + nc) + floats);
    const simdnorm_fpenv fe = simdnorm_fpenv_enter();
    g.inv_len = 1.0 / (double)(cpg * spatial); /* under the canonical environment */
    gn_backward(&g, nt);
    /* dgamma, dbeta: the per-sample sums in sample order */
    for (size_t ch = 0; ch < c; ch++) {
        double sg = g.s2[ch], sb = g.s1[ch];
        for (size_t i = 1; i < n; i++) {
            sg += g.s2[i * c + ch];
            sb += g.s1[i * c + ch];
        }
        if (dgamma)
            dgamma[ch] = simdnorm_canonical_nan((float)sg);
        if (dbeta)
            dbeta[ch] = simdnorm_canonical_nan((float)sb);
    }
    simdnorm_fpenv_leave(fe);
    free(mem);
    return SIMDNORM_OK;
}

SIMDNORM_API simdnorm_status simdnorm_group_norm_bwd_f32(simdnorm_layout layout, size_t n,
                                                         size_t c, size_t spatial, size_t groups,
                                                         const float *dy, const float *x,
                                                         const float *gamma, const float *mean,
                                                         const float *rstd, float *dx,
                                                         float *dgamma, float *dbeta)
{
    return gn_backward_entry(0, layout, n, c, spatial, groups, dy, x, gamma, mean, rstd, dx,
                             dgamma, dbeta);
}
simdnorm_status simdnorm_group_norm_bwd_bf16(simdnorm_layout layout, size_t n, size_t c,
                                             size_t spatial, size_t groups,
                                             const simdnorm_bf16 *dy, const simdnorm_bf16 *x,
                                             const float *gamma, const float *mean,
                                             const float *rstd, simdnorm_bf16 *dx,
                                             float *dgamma, float *dbeta)
{
    return gn_backward_entry(1, layout, n, c, spatial, groups, dy, x, gamma, mean, rstd, dx,
                             dgamma, dbeta);
}
simdnorm_status simdnorm_group_norm_bwd_f16(simdnorm_layout layout, size_t n, size_t c,
                                            size_t spatial, size_t groups, const simdnorm_f16 *dy,
                                            const simdnorm_f16 *x, const float *gamma,
                                            const float *mean, const float *rstd,
                                            simdnorm_f16 *dx, float *dgamma, float *dbeta)
{
    return gn_backward_entry(2, layout, n, c, spatial, groups, dy, x, gamma, mean, rstd, dx,
                             dgamma, dbeta);
}
