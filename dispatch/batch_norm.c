/* batch_norm.c - public entry points of BatchNorm (training and inference,
 * NCHW and NHWC): validate everything, then per channel a statistics pass
 * and a normalize pass through the active kernel table.
 *
 * Reduction order (fixed by blocks; the same on every ISA, and the order a
 * thread split will keep):
 *  - NCHW (spatial > 1): each plane x[i][ch][0..spatial) goes through
 *    simdnorm_span_moments (f32_moments over blocks of SIMDNORM_BLOCK
 *    elements, each shifted by its first element, Chan-merged in order), and
 *    the planes of a channel are Chan-merged (simdnorm_moments_merge, its
 *    weights computed once per sample) in sample order i = 0..n-1. Both
 *    passes walk memory in order, BN_CHUNK channels at a time (all channels
 *    when c <= BN_CHUNK).
 *  - NHWC, and any 2-D input (spatial == 1, where the two layouts are the
 *    same memory): the M = n*spatial rows of c channels are cut into blocks of
 *    SIMDNORM_BLOCK rows (the last one shorter). In a block, f32_channel_moments
 *    accumulates every channel in double, sequentially down the rows, shifted
 *    by the block's first row: s1 += d, s2 = fma(d, d, s2); the block's
 *    moments are then mean = K + s1/len, M2 = s2 - s1*(s1/len) clamped at 0
 *    (simdnorm_block_moments, as for a span), and blocks are Chan-merged in
 *    row order. Training keeps every block's sums in a scratch array (on
 *    the stack when small), so that threads can take blocks of rows and the
 *    merge still runs in row order (train_nhwc); inference processes
 *    channels in chunks of BN_CHUNK with the per-channel scratch on the
 *    stack.
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
 * NCHW only with planes of at least BN_STREAM_MIN_RUN floats. */
#define BN_STREAM_BYTES SIMDNORM_STREAM_BYTES
#define BN_STREAM_MIN_RUN 64

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
} bn_call;

/* The plain float64 mean of a channel holding a NaN or Inf (+-Inf or NaN,
 * as the reference formula gives it). */
static double plain_mean(const bn_call *a, size_t ch)
{
    double sum = 0.0;
    if (a->nhwc) {
        const size_t rows = a->n * a->spatial;
        for (size_t r = 0; r < rows; r++)
            sum += a->x[r * a->c + ch];
    } else {
        for (size_t i = 0; i < a->n; i++) {
            const float *plane = a->x + (i * a->c + ch) * a->spatial;
            for (size_t s = 0; s < a->spatial; s++)
                sum += plane[s];
        }
    }
    return sum / ((double)a->n * (double)a->spatial);
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
 * its plan (internal.h, folded rule). Reads x (plain_mean) only for a non-finite
 * channel, before that channel is normalized. */
static inline __attribute__((always_inline)) simdnorm_norm_plan
train_channel(const bn_call *a, size_t ch, simdnorm_moments m)
{
    const int finite = isfinite(m.mean) && isfinite(m.m2);
    const double mean = finite ? m.mean : plain_mean(a, ch);
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
 * memory saves. Planes of a channel still merge in sample order. */
static void run_nchw(const simdnorm_kernels *k, const bn_call *a, size_t cb, size_t ce)
{
    const size_t n = a->n, c = a->c, sp = a->spatial;
    const simdnorm_f32_normalize_fn normalize =
        a->stream && sp >= BN_STREAM_MIN_RUN ? k->f32_normalize_stream : k->f32_normalize;
    simdnorm_moments acc[BN_CHUNK];
    float shift[BN_CHUNK];
    double s1[BN_CHUNK], s2[BN_CHUNK];
    simdnorm_norm_plan p[BN_CHUNK];
    for (size_t c0 = cb; c0 < ce; c0 += BN_CHUNK) {
        const size_t cw = ce - c0 < BN_CHUNK ? ce - c0 : BN_CHUNK;
        if (a->train) {
            for (size_t i = 0; i < n; i++) {
                /* every channel merges i*sp and sp elements here */
                const simdnorm_merge_weights w =
                    simdnorm_merge_weights_of((double)i * (double)sp, (double)sp);
                const float *xi = a->x + (i * c + c0) * sp;
                if (sp <= SIMDNORM_BLOCK) {
                    /* The chunk's planes of sample i are cw rows of sp
                     * elements: one f32_moments_rows call gives each plane
                     * bit for bit the fast sums simdnorm_span_moments would
                     * take, and simdnorm_finish_block finishes them as it
                     * would. The kernel runs for all
                     * planes first, so the scalar finishes and merges of
                     * different planes overlap (same arithmetic, same bits). */
                    for (size_t j = 0; j < cw; j++)
                        shift[j] = simdnorm_head_shift(sp, xi + j * sp);
                    k->f32_moments_rows(cw, sp, xi, sp, shift, s1, s2);
                    for (size_t j = 0; j < cw; j++) {
                        const double s[2] = {s1[j], s2[j]};
                        const simdnorm_moments pm =
                            simdnorm_finish_block(k, sp, xi + j * sp, shift[j], s);
                        acc[j] = i == 0 ? pm : simdnorm_moments_merge_with(acc[j], pm, w);
                    }
                } else {
                    for (size_t j = 0; j < cw; j++) {
                        const simdnorm_moments pm = simdnorm_span_moments(k, sp, xi + j * sp);
                        acc[j] = i == 0 ? pm : simdnorm_moments_merge_with(acc[j], pm, w);
                    }
                }
            }
        }
        for (size_t j = 0; j < cw; j++)
            p[j] = a->train ? train_channel(a, c0 + j, acc[j]) : infer_channel(a, c0 + j);
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < cw; j++) {
                const size_t off = (i * c + c0 + j) * sp;
                const float *xp = a->x + off;
                float *yp = a->y + off;
                simdnorm_apply_normalize_ch(k, normalize, &p[j], sp, xp, a->gamma, a->beta,
                                            c0 + j, a->act, yp);
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
    const simdnorm_f32_normalize_channels_fn normalize =
        a->stream ? k->f32_normalize_channels_stream : k->f32_normalize_channels;
    simdnorm_normalize_channels_rows(normalize, rows, c, c0, cw, a->x, a->y, shift, scale,
                                     offset, act, BN_NARROW, BN_CHUNK);
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

static void run_nhwc(const simdnorm_kernels *k, const bn_call *a, size_t cb, size_t ce)
{
    const size_t rows = a->n * a->spatial, c = a->c;
    double s1[BN_CHUNK], s2[BN_CHUNK];
    simdnorm_moments acc[BN_CHUNK];
    simdnorm_norm_plan p[BN_CHUNK];
    float shift[BN_CHUNK], scale[BN_CHUNK], offset[BN_CHUNK];
    for (size_t c0 = cb; c0 < ce; c0 += BN_CHUNK) {
        const size_t cw = ce - c0 < BN_CHUNK ? ce - c0 : BN_CHUNK;
        int any_slow = 0;
        if (a->train) {
            /* Full blocks go to the kernel several at a time when the chunk
             * is narrow (its results fill s1/s2: groups*cw <= BN_CHUNK), so
             * that a kernel has independent chains to interleave; the blocks
             * are still merged one by one in row order. */
            const size_t gmax = BN_CHUNK / cw;
            size_t r0 = 0;
            while (r0 < rows) {
                size_t groups = (rows - r0) / SIMDNORM_BLOCK, len = SIMDNORM_BLOCK;
                if (groups == 0) {
                    groups = 1;
                    len = rows - r0;
                }
                if (groups > gmax)
                    groups = gmax;
                const float *xb = a->x + r0 * c + c0;
                k->f32_channel_moments(len, cw, xb, c, groups, SIMDNORM_BLOCK * c, s1, s2);
                for (size_t g = 0; g < groups; g++, r0 += len) {
                    const float *xg = xb + g * SIMDNORM_BLOCK * c;
                    const double *g1 = s1 + g * cw, *g2 = s2 + g * cw;
                    /* every channel merges r0 and len rows here */
                    const simdnorm_merge_weights w =
                        simdnorm_merge_weights_of((double)r0, (double)len);
                    for (size_t j = 0; j < cw; j++) {
                        const simdnorm_moments bm = simdnorm_block_moments(len, xg[j], g1[j], g2[j]);
                        acc[j] = r0 == 0 ? bm : simdnorm_moments_merge_with(acc[j], bm, w);
                    }
                }
            }
        }
        for (size_t j = 0; j < cw; j++) {
            p[j] = a->train ? train_channel(a, c0 + j, acc[j]) : infer_channel(a, c0 + j);
            shift[j] = p[j].shift;
            scale[j] = p[j].scale;
            offset[j] = p[j].offset;
            any_slow |= !p[j].fast;
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

/* ---- NHWC training: blocks of rows over threads --------------------------
 * The statistics pass splits the M = n*spatial rows by their blocks of
 * SIMDNORM_BLOCK rows: each thread runs f32_channel_moments over its blocks
 * and keeps every block's sums (s1, s2 per channel and block) in a scratch
 * array; the calling thread then turns each block's sums into its moments
 * (simdnorm_block_moments' operations) and Chan-merges them in row order,
 * channel after channel in lockstep (the same double operations per
 * channel as a merge done block by block: the bits do not depend on the
 * thread count). When there are too few blocks to share, the channels are
 * cut into units of BN_NHWC_UNIT too (each thread then reads a slice of
 * every row). The normalize pass splits the rows: every thread normalizes
 * all channels of its rows, the same rows its statistics came from where
 * the splits match. */

/* Channels of one statistics unit when blocks are too few for the threads. */
#define BN_NHWC_UNIT 128

/* Scratch up to this many bytes lives on the stack, more is malloc'ed. */
#define BN_STACK_SCRATCH (16u << 10)

typedef struct nhwc_train {
    const simdnorm_kernels *k;
    const bn_call *a;
    size_t rows, nb, nfull; /* rows; blocks; full blocks */
    size_t unit;            /* channels per statistics unit */
    size_t rep;             /* normalize: rows seen as one wide row (1: none) */
    double *s1, *s2;        /* unit u's sums at nb*c0, block b's at + b*cw */
    float *shift, *scale, *offset; /* per channel, repeated rep times */
    int act;
} nhwc_train;

/* Statistics parts [p0, p1): part p is block p % nb of unit p / nb. */
static void nhwc_stats_range(void *ctx, size_t p0, size_t p1)
{
    const nhwc_train *t = ctx;
    const bn_call *a = t->a;
    const size_t c = a->c, nb = t->nb;
    for (size_t p = p0; p < p1;) {
        const size_t u = p / nb, b = p % nb;
        const size_t be = p1 - p < nb - b ? b + (p1 - p) : nb;
        const size_t c0 = u * t->unit, cw = c - c0 < t->unit ? c - c0 : t->unit;
        double *o1 = t->s1 + nb * c0, *o2 = t->s2 + nb * c0;
        const size_t fe = be < t->nfull ? be : t->nfull;
        if (b < fe)
            t->k->f32_channel_moments(SIMDNORM_BLOCK, cw, a->x + b * SIMDNORM_BLOCK * c + c0, c,
                                      fe - b, SIMDNORM_BLOCK * c, o1 + b * cw, o2 + b * cw);
        if (be > fe) /* the short last block */
            t->k->f32_channel_moments(t->rows - fe * SIMDNORM_BLOCK, cw,
                                      a->x + fe * SIMDNORM_BLOCK * c + c0, c, 1, 0, o1 + fe * cw,
                                      o2 + fe * cw);
        p += be - b;
    }
}

/* Blocks -> channel moments, in place: unit u's block-0 slots end up
 * holding each channel's mean (s1) and M2 (s2). Per channel exactly
 * simdnorm_block_moments and simdnorm_moments_merge_with, blocks in row
 * order. */
static void nhwc_merge_blocks(const nhwc_train *t)
{
    const bn_call *a = t->a;
    const size_t c = a->c, nb = t->nb, rows = t->rows;
    for (size_t c0 = 0; c0 < c; c0 += t->unit) {
        const size_t cw = c - c0 < t->unit ? c - c0 : t->unit;
        double *restrict m1 = t->s1 + nb * c0, *restrict m2 = t->s2 + nb * c0;
        const float *restrict k0 = a->x + c0;
        const double len0 = (double)(rows < SIMDNORM_BLOCK ? rows : SIMDNORM_BLOCK);
        for (size_t j = 0; j < cw; j++) {
            const double dm = m1[j] / len0;
            const double q = m2[j] - m1[j] * dm;
            m1[j] = (double)k0[j] + dm;
            m2[j] = q < 0.0 ? 0.0 : q;
        }
        for (size_t b = 1; b < nb; b++) {
            const size_t r0 = b * SIMDNORM_BLOCK;
            const size_t len = rows - r0 < SIMDNORM_BLOCK ? rows - r0 : SIMDNORM_BLOCK;
            const simdnorm_merge_weights w = simdnorm_merge_weights_of((double)r0, (double)len);
            const double dlen = (double)len;
            const double *restrict g1 = m1 + b * cw, *restrict g2 = m2 + b * cw;
            const float *restrict kb = a->x + r0 * c + c0;
            for (size_t j = 0; j < cw; j++) {
                const double dm = g1[j] / dlen;
                const double bmean = (double)kb[j] + dm;
                const double q = g2[j] - g1[j] * dm;
                const double bm2 = q < 0.0 ? 0.0 : q;
                const double delta = bmean - m1[j];
                m1[j] = m1[j] + delta * w.wb;
                m2[j] = m2[j] + bm2 + delta * delta * w.wab;
            }
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
    const simdnorm_f32_normalize_channels_fn normalize =
        a->stream ? t->k->f32_normalize_channels_stream : t->k->f32_normalize_channels;
    const size_t r0 = p0 * t->rep, r1 = p1 * t->rep < t->rows ? p1 * t->rep : t->rows;
    size_t done = r0;
    if (t->rep > 1) {
        const size_t wide_rows = (r1 - r0) / t->rep, wide = c * t->rep;
        if (wide_rows)
            normalize(wide_rows, wide, a->x + r0 * c, wide, t->shift, t->scale, t->offset,
                      t->act, a->y + r0 * c);
        done += wide_rows * t->rep;
    }
    if (done < r1)
        normalize(r1 - done, c, a->x + done * c, c, t->shift, t->scale, t->offset, t->act,
                  a->y + done * c);
}

/* Training, NHWC: 0 if the scratch could not be allocated (the caller
 * then takes run_nhwc, the same bits on one thread). */
static int train_nhwc(const simdnorm_kernels *k, const bn_call *a, size_t bytes)
{
    const size_t rows = a->n * a->spatial, c = a->c;
    nhwc_train t = {k, a, rows, (rows + SIMDNORM_BLOCK - 1) / SIMDNORM_BLOCK,
                    rows / SIMDNORM_BLOCK, c, 1, NULL, NULL, NULL, NULL, NULL, a->act};
    /* threads: by blocks, and by units of channels too when the blocks
     * are fewer than four per thread */
    const size_t units_max = (c + BN_NHWC_UNIT - 1) / BN_NHWC_UNIT;
    const int nt = simdnorm_threads_for(bytes, t.nb * units_max);
    if (nt > 1 && t.nb < 4 * (size_t)nt && units_max > 1)
        t.unit = BN_NHWC_UNIT;
    const size_t units = (c + t.unit - 1) / t.unit;
    const size_t nf = c < BN_CHUNK ? BN_CHUNK : c;
    const size_t need = 2 * t.nb * c * sizeof(double) + 3 * nf * sizeof(float);
    _Alignas(64) unsigned char stack[BN_STACK_SCRATCH];
    void *mem = need <= sizeof stack ? (void *)stack : malloc(need);
    if (!mem)
        return 0;
    t.s1 = mem;
    t.s2 = t.s1 + t.nb * c;
    t.shift = (float *)(t.s2 + t.nb * c);
    t.scale = t.shift + nf;
    t.offset = t.scale + nf;

    const size_t parts = t.nb * units;
    if (nt > 1)
        simdnorm_parallel_run(nt, parts, nhwc_stats_range, &t);
    else
        nhwc_stats_range(&t, 0, parts);
    nhwc_merge_blocks(&t);

    int any_slow = 0;
    for (size_t c0 = 0; c0 < c; c0 += t.unit) {
        const size_t cw = c - c0 < t.unit ? c - c0 : t.unit;
        const double *m1 = t.s1 + t.nb * c0, *m2 = t.s2 + t.nb * c0;
        for (size_t j = 0; j < cw; j++) {
            const simdnorm_moments m = {(double)rows, m1[j], m2[j]};
            const simdnorm_norm_plan p = train_channel(a, c0 + j, m);
            t.shift[c0 + j] = p.shift;
            t.scale[c0 + j] = p.scale;
            t.offset[c0 + j] = p.offset;
            any_slow |= !p.fast;
        }
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
        for (size_t c0 = 0; c0 < c; c0 += t.unit) {
            const size_t cw = c - c0 < t.unit ? c - c0 : t.unit;
            const double *m1 = t.s1 + t.nb * c0, *m2 = t.s2 + t.nb * c0;
            for (size_t j = 0; j < cw; j++) {
                const simdnorm_moments m = {(double)rows, m1[j], m2[j]};
                const simdnorm_norm_plan p = train_plan(a, c0 + j, m);
                if (!p.fast)
                    simdnorm_normalize_slow(&p, rows, a->x + c0 + j, c, a->gamma, a->beta,
                                            c0 + j, a->y + c0 + j, c);
            }
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
        if (!simdnorm_matrix_span(buf[i].p, 1, len, len, &buf[i].bytes))
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
    a->stream = a->n * a->c * a->spatial > BN_STREAM_BYTES / (2 * sizeof(float));
    const size_t c = a->c, unit = a->nhwc ? BN_NHWC_MIN_CHANNELS : 1;
    const size_t bytes = a->n * a->spatial * c * sizeof(float) * (a->train ? 3 : 2);
    if (a->train && a->nhwc && train_nhwc(k, a, bytes))
        return;
    bn_split sp = {k, a, unit};
    /* at most c / unit threads: a short last unit gets none of its own */
    simdnorm_parallel_for((c + unit - 1) / unit, c / unit, bytes, bn_range, &sp);
}

simdnorm_status simdnorm_batch_norm_train_ex_f32(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial, const float *x,
    const float *gamma, const float *beta, float eps, float momentum,
    float *running_mean, float *running_var, float *y, float *save_mean, float *save_rstd,
    const simdnorm_norm_options *opt)
{
    bn_call a = {1, layout == SIMDNORM_NHWC, 0, SIMDNORM_ACT_NONE, n, c, spatial, x, gamma,
                 beta, NULL, NULL, eps, momentum, running_mean, running_var, y, save_mean,
                 save_rstd};
    int done;
    const simdnorm_status st = check_bn(&a, layout, eps, momentum, opt, &done);
    if (st != SIMDNORM_OK || done)
        return st;
    if (opt)
        a.act = (int)opt->activation;
    const simdnorm_fpenv fe = simdnorm_fpenv_enter(); /* fpenv.h */
    run(&a);
    simdnorm_fpenv_leave(fe);
    return SIMDNORM_OK;
}

simdnorm_status simdnorm_batch_norm_infer_ex_f32(
    simdnorm_layout layout, size_t n, size_t c, size_t spatial, const float *x,
    const float *gamma, const float *beta, const float *mean, const float *var, float eps,
    float *y, const simdnorm_norm_options *opt)
{
    bn_call a = {0, layout == SIMDNORM_NHWC, 0, SIMDNORM_ACT_NONE, n, c, spatial, x, gamma,
                 beta, mean, var, eps, 0.0, NULL, NULL, y, NULL, NULL};
    int done;
    const simdnorm_status st = check_bn(&a, layout, eps, 0.0f, opt, &done);
    if (st != SIMDNORM_OK || done)
        return st;
    if (opt)
        a.act = (int)opt->activation;
    const simdnorm_fpenv fe = simdnorm_fpenv_enter(); /* fpenv.h */
    run(&a);
    simdnorm_fpenv_leave(fe);
    return SIMDNORM_OK;
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
