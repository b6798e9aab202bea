/* backward.c - public entry points of the gradients (LayerNorm, RMSNorm,
 * BatchNorm backward): validate everything, then the kernels of the active
 * table in the canonical order (kernels.h "Backward"):
 *
 *  - dx of a row / plane / channel from its two sums (f32_bwd_sums, the
 *    canonical lanes) and three float coefficients (simdnorm_bwd_coeffs);
 *  - LayerNorm/RMSNorm dgamma, dbeta: rows in blocks of SIMDNORM_BWD_ROWS
 *    (float sums per column, f32_norm_bwd_rows), the blocks cut into at most
 *    BWD_CHUNKS chunks of consecutive blocks (min(16, max(1, blocks / 8)):
 *    a function of rows only),
 *    each chunk's blocks added into its own double partial in block order,
 *    the partials added in chunk order. A thread takes whole chunks, so the
 *    result does not depend on the thread count. A call of one chunk
 *    leaves the rounding to float to its last block (the kernel writes
 *    dgamma/dbeta), and a call of one block needs no partial at all;
 *  - BatchNorm's channel sums: per sample (an NCHW plane: f32_bwd_sums; an
 *    NHWC sample: f32_bwd_channel_sums, one double chain per channel), the
 *    per-sample sums added in double along the sample tree, and past 4096
 *    samples the blocks' sums added exactly (internal.h, "BatchNorm's
 *    sample tree" and "BatchNorm's blocks"). A thread takes whole
 *    channels. A split of the batch by samples cannot change this order
 *    (simdnorm_mpi). */
#include <stdlib.h>

#include "fpenv.h"
#include "internal.h"

/* The most chunks a row-norm backward's dgamma/dbeta are cut into: also the
 * most threads such a call uses. */
#define BWD_CHUNKS 16
/* The fewest blocks a chunk has when there are fewer than BWD_CHUNKS. */
#define BWD_CHUNK_BLOCKS 8

/* Channels per part of the NHWC BatchNorm backward's thread split (a
 * thread reads whole cache lines of every row: 64 floats = 4 lines). */
#define BN_BWD_NHWC_UNIT 64

/* Zeroes the cols floats of dgamma and dbeta (either may be NULL): the sums
 * over no rows. They must not overlap each other. */
static simdnorm_status zero_params(size_t cols, float *dgamma, float *dbeta)
{
    size_t gb = 0, bb = 0;
    if (!simdnorm_matrix_span(dgamma, 1, cols, cols, &gb) ||
        !simdnorm_matrix_span(dbeta, 1, cols, cols, &bb))
        return SIMDNORM_ERR_SHAPE;
    if (simdnorm_overlaps(dgamma, gb, dbeta, bb))
        return SIMDNORM_ERR_OVERLAP;
    if (dgamma)
        memset(dgamma, 0, cols * sizeof(float));
    if (dbeta)
        memset(dbeta, 0, cols * sizeof(float));
    return SIMDNORM_OK;
}

/* ---- LayerNorm / RMSNorm -------------------------------------------------- */

enum { RB_DY, RB_X, RB_GAMMA, RB_MEAN, RB_RSTD, RB_DX, RB_DGAMMA, RB_DBETA, RB_ALL };

/* dy, x, dx of es bytes per element (4; 2 for the 16-bit twins). */
static simdnorm_status check_norm_bwd(size_t rows, size_t cols, const void *dy, size_t dy_stride,
                                      const void *x, size_t x_stride, const float *gamma,
                                      const float *mean, const float *rstd, int rms,
                                      const void *dx, size_t dx_stride, const float *dgamma,
                                      const float *dbeta, size_t es)
{
    if (!dy || !x || !rstd || (!rms && !mean))
        return SIMDNORM_ERR_NULL;
    if (cols == 0 || dy_stride < cols || x_stride < cols || (dx && dx_stride < cols))
        return SIMDNORM_ERR_SHAPE;
    size_t b[RB_ALL];
    if (!simdnorm_matrix_span_es(dy, rows, cols, dy_stride, es, &b[RB_DY]) ||
        !simdnorm_matrix_span_es(x, rows, cols, x_stride, es, &b[RB_X]) ||
        !simdnorm_matrix_span(gamma, 1, cols, cols, &b[RB_GAMMA]) ||
        !simdnorm_matrix_span(rms ? NULL : mean, 1, rows, rows, &b[RB_MEAN]) ||
        !simdnorm_matrix_span(rstd, 1, rows, rows, &b[RB_RSTD]) ||
        !simdnorm_matrix_span_es(dx, rows, cols, dx ? dx_stride : cols, es, &b[RB_DX]) ||
        !simdnorm_matrix_span(dgamma, 1, cols, cols, &b[RB_DGAMMA]) ||
        !simdnorm_matrix_span(dbeta, 1, cols, cols, &b[RB_DBETA]))
        return SIMDNORM_ERR_SHAPE;
    const simdnorm_buffer buf[RB_ALL] = {
        [RB_DY] = {dy, b[RB_DY], dy_stride, 0, 0},
        [RB_X] = {x, b[RB_X], x_stride, 0, 0},
        [RB_GAMMA] = {gamma, b[RB_GAMMA], 0, 0, 0},
        [RB_MEAN] = {rms ? NULL : mean, b[RB_MEAN], 0, 0, 0},
        [RB_RSTD] = {rstd, b[RB_RSTD], 0, 0, 0},
        [RB_DX] = {dx, b[RB_DX], dx_stride, 1u << RB_DY, 1},
        [RB_DGAMMA] = {dgamma, b[RB_DGAMMA], 0, 0, 1},
        [RB_DBETA] = {dbeta, b[RB_DBETA], 0, 0, 1},
    };
    return simdnorm_check_overlap(buf, RB_ALL);
}

/* One call's dgamma/dbeta state (two chunks or more): chunk c holds blocks
 * [c*nb/nch, (c+1)*nb/nch). sets: per chunk (nt > 1) or, on one thread,
 * the running total (chunk 0's partial) and the current chunk's partial
 * (part) - nacc doubles per column each (dgamma, and dbeta when asked). */
typedef struct norm_bwd_ctx {
    const simdnorm_kernels *k;
    simdnorm_f32_norm_bwd_rows_fn rows_fn; /* the storage's: f32_, bf16_, f16_norm_bwd_rows */
    simdnorm_bwd_job job;
    size_t rows, nb, nch;
    int want_g, want_b, one_thread;
    double *total, *part; /* [nacc][cols] */
    float *blk;           /* per chunk (nt > 1) or one set: [nacc][cols] */
} norm_bwd_ctx;

static size_t chunk_row(const norm_bwd_ctx *c, size_t ch)
{
    const size_t r = ch * c->nb / c->nch * SIMDNORM_BWD_ROWS;
    return r < c->rows ? r : c->rows;
}

static void norm_bwd_dx_body(void *ctx, size_t b0, size_t b1)
{
    const norm_bwd_ctx *c = ctx;
    const size_t r1 = b1 * SIMDNORM_BWD_ROWS;
    c->rows_fn(&c->job, b0 * SIMDNORM_BWD_ROWS, r1 < c->rows ? r1 : c->rows);
}

/* The job's dgamma/dbeta partials and scratch rows: acc and blk each hold
 * [nacc][cols] (dgamma's first where both are asked). */
static void job_sums(simdnorm_bwd_job *jb, const norm_bwd_ctx *c, double *acc, float *blk)
{
    const size_t cols = c->job.cols;
    jb->acc_g = c->want_g ? acc : NULL;
    jb->acc_b = c->want_b ? acc + (c->want_g ? cols : 0) : NULL;
    jb->blk_g = c->want_g ? blk : NULL;
    jb->blk_b = c->want_b ? blk + (c->want_g ? cols : 0) : NULL;
}

static void norm_bwd_chunk_body(void *ctx, size_t c0, size_t c1)
{
    const norm_bwd_ctx *c = ctx;
    const size_t cols = c->job.cols, nacc = (size_t)(c->want_g + c->want_b);
    for (size_t ch = c0; ch < c1; ch++) {
        /* one thread: the first chunk's partial is the running total */
        double *acc = !c->one_thread ? c->part + ch * nacc * cols : ch == 0 ? c->total : c->part;
        simdnorm_bwd_job jb = c->job; /* the chunk's first block sets acc */
        job_sums(&jb, c, acc, c->one_thread ? c->blk : c->blk + ch * nacc * cols);
        c->rows_fn(&jb, chunk_row(c, ch), chunk_row(c, ch + 1));
        if (c->one_thread && ch > 0) /* the running total, in chunk order */
            for (size_t i = 0; i < nacc * cols; i++)
                c->total[i] += acc[i];
    }
}

static void store_params(size_t cols, const double *acc, float *out)
{
    for (size_t j = 0; j < cols; j++)
        out[j] = simdnorm_canonical_nan((float)acc[j]);
}

/* dgamma/dbeta of a call of one chunk (one thread): the kernel's last block
 * writes them; a call of one block takes its float sums in dgamma/dbeta
 * themselves (no partial: the block's sums are the result, 0.0 + b rounded
 * back to float). */
static simdnorm_status norm_bwd_one_chunk(const norm_bwd_ctx *c, float *dgamma, float *dbeta)
{
    const size_t cols = c->job.cols, nacc = (size_t)(c->want_g + c->want_b);
    simdnorm_bwd_job jb = c->job;
    jb.out_g = dgamma;
    jb.out_b = dbeta;
    if (c->nb == 1) {
        jb.blk_g = dgamma;
        jb.blk_b = dbeta;
        c->rows_fn(&jb, 0, c->rows);
        return SIMDNORM_OK;
    }
    double *mem = malloc(nacc * cols * (sizeof(double) + sizeof(float)));
    if (!mem)
        return SIMDNORM_ERR_NOMEM;
    job_sums(&jb, c, mem, (float *)(mem + nacc * cols));
    c->rows_fn(&jb, 0, c->rows);
    free(mem);
    return SIMDNORM_OK;
}

/* dgamma/dbeta of a call of two chunks or more, over nt threads (a
 * function of bytes and chunks): each chunk's partial (one thread: the
 * running total and the current chunk's), added in chunk order, then
 * rounded to float. */
static simdnorm_status norm_bwd_chunks(norm_bwd_ctx *c, size_t bytes, float *dgamma, float *dbeta)
{
    const size_t cols = c->job.cols, nacc = (size_t)(c->want_g + c->want_b);
    const int nt = simdnorm_threads_for(bytes, c->nch);
    c->one_thread = nt <= 1;
    /* per set, nacc double partials and nacc float scratch rows (kernels.h,
     * simdnorm_bwd_job) */
    const size_t sets = c->one_thread ? 2 : c->nch;
    double *mem = malloc(sets * nacc * cols * (sizeof(double) + sizeof(float)));
    if (!mem)
        return SIMDNORM_ERR_NOMEM;
    c->total = mem;
    c->part = !c->one_thread ? mem : mem + nacc * cols;
    c->blk = (float *)(mem + sets * nacc * cols);
    if (c->one_thread) {
        norm_bwd_chunk_body(c, 0, c->nch);
    } else {
        simdnorm_parallel_run(nt, c->nch, norm_bwd_chunk_body, c);
        /* the partials in chunk order: total = P0, total += P1, ... */
        for (size_t ch = 1; ch < c->nch; ch++) {
            const double *p = c->part + ch * nacc * cols;
            for (size_t i = 0; i < nacc * cols; i++)
                c->total[i] += p[i];
        }
    }
    if (dgamma)
        store_params(cols, c->total, dgamma);
    if (dbeta)
        store_params(cols, c->total + (c->want_g ? cols : 0), dbeta);
    free(mem);
    return SIMDNORM_OK;
}

/* storage 0: float32 dy, x, dx; 1: bf16; 2: f16 (16-bit twins: the
 * bf16_/f16_norm_bwd_rows kernels, the same sums and bits on the widened
 * values, dx narrowed once). */
static simdnorm_status norm_bwd(int rms, int storage, size_t rows, size_t cols, const void *dy,
                                size_t dy_stride, const void *x, size_t x_stride,
                                const float *gamma, const float *mean, const float *rstd,
                                void *dx, size_t dx_stride, float *dgamma, float *dbeta)
{
    if (rows == 0)
        return cols == 0 ? SIMDNORM_OK : zero_params(cols, dgamma, dbeta);
    const size_t es = storage ? sizeof(uint16_t) : sizeof(float);
    const simdnorm_status st = check_norm_bwd(rows, cols, dy, dy_stride, x, x_stride, gamma, mean,
                                              rstd, rms, dx, dx_stride, dgamma, dbeta, es);
    if (st != SIMDNORM_OK || (!dx && !dgamma && !dbeta))
        return st;
    norm_bwd_ctx c;
    c.k = simdnorm_active_kernels();
    c.job = (simdnorm_bwd_job){.cols = cols, .gamma = gamma, .mean = rms ? NULL : mean,
                               .rstd = rstd, .dy_stride = dy_stride, .x_stride = x_stride,
                               .dx_stride = dx_stride, .inv_cols = 0.0};
    if (storage) {
        c.job.dyh = dy;
        c.job.xh = x;
        c.job.dxh = dx;
        c.rows_fn = storage == 1 ? c.k->bf16_norm_bwd_rows : c.k->f16_norm_bwd_rows;
    } else {
        c.job.dy = dy;
        c.job.x = x;
        c.job.dx = dx;
        c.rows_fn = c.k->f32_norm_bwd_rows;
    }
    c.rows = rows;
    c.nb = (rows + SIMDNORM_BWD_ROWS - 1) / SIMDNORM_BWD_ROWS;
    c.want_g = dgamma != NULL;
    c.want_b = dbeta != NULL;
    /* bytes read and written: dy, x (and dx) */
    const size_t bytes = rows * cols * es * (dx ? 3 : 2);
    /* dx with streaming stores when the three tensors exceed the caches
     * (the forward's SIMDNORM_STREAM_BYTES rule), rows of 512 bytes or more,
     * at any element alignment (the kernel streams from each row's first
     * boundary on) */
    c.job.stream = dx && bytes > SIMDNORM_STREAM_BYTES && ((uintptr_t)dx % es) == 0 &&
                   cols * es >= 512;
    c.job.from_memory = bytes > SIMDNORM_STREAM_BYTES;
    simdnorm_status ret = SIMDNORM_OK;
    /* every floating-point operation under the canonical environment (a
     * caller's rounding mode or unmasked inexact trap must not reach it) */
    const simdnorm_fpenv saved = simdnorm_fpenv_enter();
    c.job.inv_cols = 1.0 / (double)cols;
    if (!dgamma && !dbeta) {
        simdnorm_parallel_for(c.nb, c.nb, bytes, norm_bwd_dx_body, &c);
    } else {
        /* chunks of at least BWD_CHUNK_BLOCKS blocks (each chunk costs a
         * pass over its partials), at most BWD_CHUNKS of them */
        const size_t nch = c.nb / BWD_CHUNK_BLOCKS;
        c.nch = nch < 1 ? 1 : nch > BWD_CHUNKS ? BWD_CHUNKS : nch;
        ret = c.nch == 1 ? norm_bwd_one_chunk(&c, dgamma, dbeta)
                         : norm_bwd_chunks(&c, bytes, dgamma, dbeta);
    }
    simdnorm_fpenv_leave(saved);
    return ret;
}

SIMDNORM_API simdnorm_status simdnorm_layer_norm_bwd_f32(size_t rows, size_t cols, const float *dy,
                                                         size_t dy_stride, const float *x,
                                                         size_t x_stride, const float *gamma,
                                                         const float *mean, const float *rstd,
                                                         float *dx, size_t dx_stride,
                                                         float *dgamma, float *dbeta)
{
    return norm_bwd(0, 0, rows, cols, dy, dy_stride, x, x_stride, gamma, mean, rstd, dx,
                    dx_stride, dgamma, dbeta);
}

SIMDNORM_API simdnorm_status simdnorm_rms_norm_bwd_f32(size_t rows, size_t cols, const float *dy,
                                                       size_t dy_stride, const float *x,
                                                       size_t x_stride, const float *gamma,
                                                       const float *rstd, float *dx,
                                                       size_t dx_stride, float *dgamma)
{
    return norm_bwd(1, 0, rows, cols, dy, dy_stride, x, x_stride, gamma, NULL, rstd, dx,
                    dx_stride, dgamma, NULL);
}

/* The 16-bit twins (include/simdnorm.h "16-bit storage"). */
#define BWD_HALF_TWINS_(S, N)                                                                    \
    SIMDNORM_API simdnorm_status simdnorm_layer_norm_bwd_##S(                                    \
        size_t rows, size_t cols, const simdnorm_##S *dy, size_t dy_stride,                      \
        const simdnorm_##S *x, size_t x_stride, const float *gamma, const float *mean,           \
        const float *rstd, simdnorm_##S *dx, size_t dx_stride, float *dgamma, float *dbeta)      \
    {                                                                                            \
        return norm_bwd(0, N, rows, cols, dy, dy_stride, x, x_stride, gamma, mean, rstd, dx,      \
                        dx_stride, dgamma, dbeta);                                               \
    }                                                                                            \
    SIMDNORM_API simdnorm_status simdnorm_rms_norm_bwd_##S(                                      \
        size_t rows, size_t cols, const simdnorm_##S *dy, size_t dy_stride,                      \
        const simdnorm_##S *x, size_t x_stride, const float *gamma, const float *rstd,           \
        simdnorm_##S *dx, size_t dx_stride, float *dgamma)                                       \
    {                                                                                            \
        return norm_bwd(1, N, rows, cols, dy, dy_stride, x, x_stride, gamma, NULL, rstd, dx,      \
                        dx_stride, dgamma, NULL);                                                \
    }
BWD_HALF_TWINS_(bf16, 1)
BWD_HALF_TWINS_(f16, 2)

/* ---- BatchNorm ----------------------------------------------------------- */

enum { BB_DY, BB_X, BB_GAMMA, BB_MEAN, BB_RSTD, BB_DX, BB_DGAMMA, BB_DBETA, BB_ALL };

typedef struct bn_bwd_ctx {
    const simdnorm_kernels *k;
    int nhwc, training;
    /* dy, x, dx: float32 (0) or 16-bit (1 bf16, 2 f16: the pointers hold
     * 16-bit elements, read and written by the storage's kernels) */
    int storage;
    size_t n, c, spatial;
    const float *dy, *x, *gamma, *mean, *rstd;
    float *dx, *dgamma, *dbeta;
    double inv_count;
    /* NHWC scratch: the channel sums [c] each, the tree's slots
     * [height][c] each (slot d of channel ch at d*c + ch), the coefficients
     * [c] each (fixed statistics: w, and zeros for shift and offset) */
    double *s1, *s2, *p1, *p2;
    float *w, *kk, *o;
    /* the sample tree: samples are global g0 + s; given1/given2 (the
     * batch's sums, from simdnorm_bn_bwd_from_sums) replace the walk;
     * nodes1/nodes2 (simdnorm_bn_node_sums): write the walk's maximal nodes
     * there ([k*c + ch]) and stop */
    size_t g0, height;
    const double *given1, *given2;
    double *nodes1, *nodes2;
    /* a batch cut into blocks (internal.h, "BatchNorm's blocks"): whole
     * blocks' sums go to sink[c] (a node-sums call's output; else scratch
     * of the NHWC walk - the NCHW walk keeps a channel's own) */
    int blocked;
    simdnorm_bn_sums_sink *sink;
    /* a call from memory: the NCHW planes' sums in order (f32_bwd_sums_seq),
     * NHWC samples' in blocks of rows (f32_bwd_channel_sums_seq), and the
     * NHWC dx with streaming stores (f32_bwd_dx_channels_stream) */
    int seq;
    /* the NHWC scratch given by the caller (simdnorm_bn_node_sums_scratch
     * bytes at least), or NULL: bn_bwd_run allocates it */
    void *scratch;
} bn_bwd_ctx;

/* A coefficient the float kernels may take: NaN (it propagates as the
 * formula does), 0, or a normal float. */
static int bn_coeff_ok(double v)
{
    return v != v || v == 0.0 || (fabs(v) >= FLT_MIN && fabs(v) <= FLT_MAX);
}

/* The channel's dgamma, dbeta from its sums, and its dx coefficients;
 * returns whether the float kernels may take the channel (w = rstd*gamma,
 * k and o each 0, NaN or a normal float). Else - a w, k or o that would
 * round to a subnormal, to 0 or to Inf - the channel's dx is
 * bn_dx_slow's (plain double C: the same bits on every ISA). */
static int bn_finish_channel(const bn_bwd_ctx *c, size_t ch, double s1, double s2, float *w,
                             float *k, float *o)
{
    if (c->dgamma)
        c->dgamma[ch] = simdnorm_canonical_nan((float)s2);
    if (c->dbeta)
        c->dbeta[ch] = simdnorm_canonical_nan((float)s1);
    const double wd = (double)c->rstd[ch] * (c->gamma ? (double)c->gamma[ch] : 1.0);
    if (c->training) {
        simdnorm_bwd_coeffs(s1, s2, c->inv_count, wd, w, k, o);
        return bn_coeff_ok(wd) && bn_coeff_ok(-(wd * (s2 * c->inv_count))) &&
               bn_coeff_ok(-(wd * (s1 * c->inv_count)));
    }
    *w = (float)wd;
    *k = *o = 0.0f;
    return bn_coeff_ok(wd);
}

/* dx of one channel in double, element i at element off + i*stride of
 * dy/x/dx, i < len (an NCHW plane: stride 1; an NHWC channel: stride c):
 * training dx = w*(dy - s1/N - xhat*(s2/N)) with xhat = (x - mean)*rstd,
 * fixed statistics dx = dy*w (w = rstd*gamma), rounded once (a 16-bit dx
 * narrowed once from that float), NaN canonical. */
static void bn_dx_slow(const bn_bwd_ctx *c, size_t ch, double s1, double s2, size_t off,
                       size_t stride, size_t len)
{
    const double wd = (double)c->rstd[ch] * (c->gamma ? (double)c->gamma[ch] : 1.0);
    const double c1 = s1 * c->inv_count, c2 = s2 * c->inv_count;
    const double mean = c->mean[ch], rstd = c->rstd[ch];
    for (size_t i = 0; i < len; i++) {
        const size_t e = off + i * stride;
        const double d = simdnorm_st_get(c->storage, c->dy, e);
        const double v =
            c->training
                ? wd * (d - c1 - ((double)simdnorm_st_get(c->storage, c->x, e) - mean) * rstd * c2)
                : d * wd;
        simdnorm_st_put(c->storage, c->dx, e, simdnorm_canonical_nan((float)v));
    }
}

/* Channels of bn_bwd_nchw_body's blocks: their planes are read sample by
 * sample, in memory order (as many as BN_BWD_PLANE_SUMS doubles of plane
 * sums hold: 2 per plane, n planes per channel; at least 1, at most
 * BN_BWD_CH_BLOCK, and as many as keep the block's dy and x within
 * BN_BWD_BLOCK_BYTES, which the dx pass then re-reads from the L2).
 * Channel by channel - a channel's n planes, one per sample, c planes
 * apart - each plane began a new stream from memory: for planes of 14x14
 * that cost more than reading them. BatchNorm NCHW backward, one thread,
 * Zen 3 AVX2 (512 KiB L2), 4 KiB-aligned tensors, best of 20 (/tmp
 * throwaway), ms, channel by channel / blocks of 256 KiB / of 1 MiB /
 * unbounded: (32, 1024, 14x14) 8.3-8.6 / 5.9-6.7 / 5.2-5.5 / 4.8-5.7,
 * (32, 256, 28x28) 5.9-6.5 / 6.2-6.5 / 5.0-5.2 / 4.9-5.3; in cache (2, 64,
 * 56x56) 0.114-0.136 / 0.109-0.142 / 0.114-0.135 / 0.155-0.172 (the dx
 * pass read the planes again from L3); in cache 1 MiB against 256 KiB
 * (best of 30, three rounds): (32, 256, 14x14) 0.67-0.76 / 0.75-0.92, (16,
 * 64, 28x28) 0.251-0.254 / 0.277-0.278, (4, 128, 32x32) 0.144 /
 * 0.136-0.141, (2, 64, 56x56) even. From memory the blocks were unbounded
 * until session 39: on its Xeon (Sapphire Rapids class, 2 MiB L2) blocks
 * of 1 MiB took 0.79-0.82 (AVX-512) and 0.82-0.87 (AVX2) of the time at
 * (32, 64, 56x56), (32, 1024, 14x14) and (128, 256, 14x14) (base and new
 * library alternated in one process, /tmp/s39/abbn.c, median of 5). */
#define BN_BWD_PLANE_SUMS 4096
#define BN_BWD_CH_BLOCK 256
#define BN_BWD_BLOCK_BYTES (1024 << 10)
/* From memory, a plane of dx at least this long is written with
 * streaming stores (f32_bwd_dx_stream, a fence after each plane), which
 * skip reading dx before writing it. Same Xeon and tool, with the 1 MiB
 * blocks, time streaming / plain stores, AVX-512 (AVX2): planes of 56x56
 * (32, 64, 56x56) 0.79 (0.87); 1568 floats (32, 128, 1568) 0.82 (0.95),
 * (64, 64, 1568) 0.85 (0.96); 28x28 (32, 256, 28x28) 0.89 (1.06); 14x14
 * (32, 1024, 14x14) 1.21 (1.81), (32, 256, 14x14) 1.38 (2.24): a fence
 * per 784-byte plane. */
#define BN_BWD_NT_MIN_BYTES 4096

/* The channel's sums s1, s2 from its n plane sums p[s * stride] (2
 * doubles each; p NULL: each plane's summed here): the sample tree
 * (internal.h), leaves the planes' sums, merged left + right; a blocked
 * batch's whole blocks summed exactly (its sink). When the call wants the
 * tree's maximal nodes (nodes1/nodes2) they are written for channel ch
 * instead (a blocked batch: and its sink, c->sink[ch]), s1/s2 not set. */
static void bn_bwd_tree(const bn_bwd_ctx *c, size_t ch, const double *p, size_t stride,
                       double *s1, double *s2)
{
    simdnorm_tree t;
    double q1[SIMDNORM_TREE_MAX], q2[SIMDNORM_TREE_MAX];
    simdnorm_bn_sums_sink ks; /* a blocked batch's whole blocks */
    simdnorm_bn_sums_sink_clear(1, &ks);
    t.top = 0;
    for (size_t s = 0; s < c->n; s++) {
        double leaf[2];
        const double *ps = p ? p + s * stride : leaf;
        if (!p)
            simdnorm_bwd_sums_st(c->k, c->storage, c->seq, c->spatial, c->dy, c->x,
                                 s * c->c * c->spatial + ch * c->spatial, NULL, c->mean[ch],
                                 c->rstd[ch], leaf);
        size_t d = t.top;
        q1[d] = ps[0];
        q2[d] = ps[1];
        for (unsigned m = simdnorm_tree_push(&t, c->g0 + s, 0); m > 0; m--, d--) {
            q1[d - 1] = q1[d - 1] + q1[d];
            q2[d - 1] = q2[d - 1] + q2[d];
        }
        if (c->blocked && simdnorm_tree_block_done(&t)) {
            t.top--;
            simdnorm_bn_sums_sink_add(1, &ks, q1 + t.top, q2 + t.top);
        }
    }
    if (c->nodes1) {
        for (size_t d = 0; d < t.top; d++) {
            c->nodes1[d * c->c + ch] = q1[d];
            c->nodes2[d * c->c + ch] = q2[d];
        }
        if (c->blocked)
            c->sink[ch] = ks;
        return;
    }
    simdnorm_bn_fold_sums_slots(&t, 1, q1, q2);
    if (c->blocked) { /* the short last block, then the blocks' exact sums */
        if (t.top)
            simdnorm_bn_sums_sink_add(1, &ks, q1, q2);
        simdnorm_bn_sums_sink_value(1, &ks, s1, s2);
        return;
    }
    *s1 = q1[0];
    *s2 = q2[0];
}

/* Channels [c0, c1) of an NCHW backward, in blocks of channels: the
 * block's plane sums sample by sample, each channel's tree and
 * coefficients, then its dx sample by sample (in place, dx == dy: every
 * plane of the block is summed before any is written). */
static void bn_bwd_nchw_body(void *ctx, size_t c0, size_t c1)
{
    const bn_bwd_ctx *c = ctx;
    const size_t sp = c->spatial, plane_stride = c->c * sp;
    const int sums = !c->given1 && (c->training || c->dgamma || c->dbeta);
    double p[BN_BWD_PLANE_SUMS], s1[BN_BWD_CH_BLOCK], s2[BN_BWD_CH_BLOCK];
    float w[BN_BWD_CH_BLOCK], k[BN_BWD_CH_BLOCK], o[BN_BWD_CH_BLOCK];
    unsigned char fast[BN_BWD_CH_BLOCK];
    const size_t es = c->storage ? 2 : sizeof(float);
    size_t blk = BN_BWD_PLANE_SUMS / (2 * c->n), fit = BN_BWD_BLOCK_BYTES / (2 * c->n * sp * es);
    if (fit < blk) /* the block's dy and x stay in the L2 for its dx */
        blk = fit;
    /* from memory: dx with streaming stores, planes of BN_BWD_NT_MIN_BYTES on */
    const int stream = c->seq && sp * es >= BN_BWD_NT_MIN_BYTES;
    blk = blk < 1 ? 1 : blk > BN_BWD_CH_BLOCK ? BN_BWD_CH_BLOCK : blk;
    for (size_t b0 = c0; b0 < c1; b0 += blk) {
        const size_t nb = c1 - b0 < blk ? c1 - b0 : blk;
        /* plane (s, b0 + j)'s sums at p[(s * nb + j) * 2]; or (blk 1: one
         * channel whose n planes exceed the buffer) summed in the tree */
        const int buffered = sums && 2 * c->n * nb <= BN_BWD_PLANE_SUMS;
        if (buffered)
            for (size_t s = 0; s < c->n; s++)
                for (size_t j = 0; j < nb; j++)
                    simdnorm_bwd_sums_st(c->k, c->storage, c->seq, sp, c->dy, c->x,
                                         s * plane_stride + (b0 + j) * sp, NULL,
                                         c->mean[b0 + j], c->rstd[b0 + j], p + (s * nb + j) * 2);
        const int nodes_only = sums && c->nodes1; /* the walk's nodes, no outputs */
        for (size_t j = 0; j < nb; j++) {
            const size_t ch = b0 + j;
            s1[j] = s2[j] = 0.0;
            if (c->given1) {
                s1[j] = c->given1[ch];
                s2[j] = c->given2[ch];
            } else if (sums) { /* unbuffered (n > BN_BWD_PLANE_SUMS / 2, nb 1): summed there */
                bn_bwd_tree(c, ch, buffered ? p + 2 * j : NULL, 2 * nb, &s1[j], &s2[j]);
            }
            if (!nodes_only)
                fast[j] = (unsigned char)bn_finish_channel(c, ch, s1[j], s2[j], &w[j], &k[j], &o[j]);
        }
        if (nodes_only || !c->dx)
            continue;
        for (size_t s = 0; s < c->n; s++)
            for (size_t j = 0; j < nb; j++) {
                const size_t ch = b0 + j, off = s * plane_stride + ch * sp;
                if (!fast[j])
                    bn_dx_slow(c, ch, s1[j], s2[j], off, 1, sp);
                else if (c->training)
                    simdnorm_bwd_dx_st(c->k, c->storage, stream, sp, c->dy, c->x, c->dx, off, NULL,
                                       c->mean[ch], c->rstd[ch], w[j], k[j], o[j]);
                else /* dx = g * rstd: fmaf(dy - 0, w, 0) */
                    simdnorm_normalize_st(c->k, c->storage, sp, c->dy, c->dx, off, 0.0f, w[j],
                                          0.0f, 0);
            }
    }
}

static void bn_nhwc_dx(const bn_bwd_ctx *c, size_t c0, size_t nc, size_t rows);

/* Channels of one piece of bn_bwd_rows_nodes_half (two stack buffers of 8
 * rows of them: 16 KiB). */
#define BN_BWD_NODE_CH 256

/* A 16-bit 2-D call's level-lev node of the 2^lev rows from sample s,
 * channels [c0, c0 + nc), into slot d: f32_bn_bwd_rows_nodes on the rows
 * widened (exact) in pieces of BN_BWD_NODE_CH channels on the stack - the
 * node the float32 call computes. */
static void bn_bwd_rows_nodes_half(const bn_bwd_ctx *c, unsigned lev, size_t s, size_t c0,
                                   size_t nc, size_t d)
{
    float bdy[8 * BN_BWD_NODE_CH], bx[8 * BN_BWD_NODE_CH];
    const size_t rows = (size_t)1 << lev, cc = c->c;
    const uint16_t *dy = (const uint16_t *)(const void *)c->dy,
                   *x = (const uint16_t *)(const void *)c->x;
    for (size_t j = 0; j < nc; j += BN_BWD_NODE_CH) {
        const size_t w = nc - j < BN_BWD_NODE_CH ? nc - j : BN_BWD_NODE_CH;
        for (size_t r = 0; r < rows; r++) {
            const size_t off = (s + r) * cc + c0 + j;
            simdnorm_half_widen_k(c->k, c->storage, w, dy + off, bdy + r * w);
            simdnorm_half_widen_k(c->k, c->storage, w, x + off, bx + r * w);
        }
        c->k->f32_bn_bwd_rows_nodes(lev, w, bdy, bx, w, c->mean + c0 + j, c->rstd + c0 + j,
                                    c->p1 + d * cc + c0 + j, c->p2 + d * cc + c0 + j);
    }
}

static void bn_bwd_nhwc_body(void *ctx, size_t u0, size_t u1)
{
    const bn_bwd_ctx *c = ctx;
    const size_t c0 = u0 * BN_BWD_NHWC_UNIT, c1m = u1 * BN_BWD_NHWC_UNIT;
    const size_t c1 = c1m < c->c ? c1m : c->c, nc = c1 - c0, rows = c->n * c->spatial;
    const size_t sample = c->spatial * c->c;
    const int sums = c->training || c->dgamma || c->dbeta;
    if (c->given1) {
        for (size_t ch = c0; ch < c1; ch++) {
            c->s1[ch] = c->given1[ch];
            c->s2[ch] = c->given2[ch];
        }
    } else if (sums) {
        /* the sample tree (internal.h): leaves the samples' sums, merged
         * left + right, slot d of channel ch at p1/p2[d*c + ch] */
        const size_t cc = c->c;
        simdnorm_tree t;
        t.top = 0;
        if (c->blocked)
            simdnorm_bn_sums_sink_clear(nc, c->sink + c0);
        for (size_t s = 0; s < c->n;) {
            size_t d = t.top;
            const size_t gs = c->g0 + s;
            unsigned lev = 0;
            if (c->spatial == 1 && (gs & 1) == 0 && c->n - s >= 2) {
                /* 2-D: 8 rows starting on a multiple of 8 (else 2 rows on
                 * an even index) become their tree node (level 3, else 1)
                 * in registers: the leaves' f32_bwd_channel_sums and their
                 * sums left + right (a 16-bit call's rows widened on the
                 * stack first: bn_bwd_rows_nodes_half) */
                lev = (gs & 7) == 0 && c->n - s >= 8 ? 3 : 1;
                if (c->storage)
                    bn_bwd_rows_nodes_half(c, lev, s, c0, nc, d);
                else
                    c->k->f32_bn_bwd_rows_nodes(lev, nc, c->dy + s * cc + c0,
                                                c->x + s * cc + c0, cc, c->mean + c0,
                                                c->rstd + c0, c->p1 + d * cc + c0,
                                                c->p2 + d * cc + c0);
            } else {
                simdnorm_bwd_channel_sums_st(c->k, c->storage, c->spatial, nc, c->dy, c->x,
                                             s * sample + c0, cc, c->mean + c0, c->rstd + c0,
                                             c->p1 + d * cc + c0, c->p2 + d * cc + c0, c->seq);
            }
            s += (size_t)1 << lev;
            for (unsigned m = simdnorm_tree_push(&t, gs, lev); m > 0; m--, d--) {
                double *a1 = c->p1 + (d - 1) * cc, *a2 = c->p2 + (d - 1) * cc;
                const double *b1 = c->p1 + d * cc, *b2 = c->p2 + d * cc;
                for (size_t ch = c0; ch < c1; ch++) {
                    a1[ch] = a1[ch] + b1[ch];
                    a2[ch] = a2[ch] + b2[ch];
                }
            }
            if (c->blocked && simdnorm_tree_block_done(&t)) { /* a whole block */
                t.top--;
                simdnorm_bn_sums_sink_add(nc, c->sink + c0, c->p1 + t.top * cc + c0,
                                          c->p2 + t.top * cc + c0);
            }
        }
        if (c->nodes1) {
            for (size_t d = 0; d < t.top; d++)
                for (size_t ch = c0; ch < c1; ch++) {
                    c->nodes1[d * cc + ch] = c->p1[d * cc + ch];
                    c->nodes2[d * cc + ch] = c->p2[d * cc + ch];
                }
            return;
        }
        /* the root: slot 0 + (slot 1 + (...)), this thread's channels (a
         * blocked batch: the short last block's, into the sink) */
        for (size_t ch = c0; ch < c1 && t.top; ch++) {
            double r1 = c->p1[(t.top - 1) * cc + ch], r2 = c->p2[(t.top - 1) * cc + ch];
            for (size_t d = t.top - 1; d-- > 0;) {
                r1 = c->p1[d * cc + ch] + r1;
                r2 = c->p2[d * cc + ch] + r2;
            }
            c->s1[ch] = r1;
            c->s2[ch] = r2;
        }
        if (c->blocked) {
            if (t.top)
                simdnorm_bn_sums_sink_add(nc, c->sink + c0, c->s1 + c0, c->s2 + c0);
            simdnorm_bn_sums_sink_value(nc, c->sink + c0, c->s1 + c0, c->s2 + c0);
        }
    }
    size_t slow = 0;
    for (size_t ch = c0; ch < c1; ch++)
        slow += !bn_finish_channel(c, ch, sums ? c->s1[ch] : 0.0, sums ? c->s2[ch] : 0.0,
                                   &c->w[ch], &c->kk[ch], &c->o[ch]);
    if (!c->dx)
        return;
    if (!slow) {
        bn_nhwc_dx(c, c0, nc, rows);
        return;
    }
    /* rare channels the float kernels cannot take: column by column, each
     * channel by the kernel or by the double path (each reads its own dy
     * before it writes it: in place stays right) */
    for (size_t ch = c0; ch < c1; ch++) {
        float w, k, o;
        const double s1 = sums ? c->s1[ch] : 0.0, s2 = sums ? c->s2[ch] : 0.0;
        if (bn_finish_channel(c, ch, s1, s2, &w, &k, &o))
            bn_nhwc_dx(c, ch, 1, rows);
        else
            bn_dx_slow(c, ch, s1, s2, ch, c->c, rows);
    }
}

/* The NHWC kernel pass of channels [c0, c0 + nc) over all rows. */
static void bn_nhwc_dx(const bn_bwd_ctx *c, size_t c0, size_t nc, size_t rows)
{
    if (c->training)
        simdnorm_bwd_dx_channels_st(c->k, c->storage, c->seq, rows, nc, c->dy, c->x, c->dx, c0,
                                    c->c, c->mean + c0, c->rstd + c0, c->w + c0, c->kk + c0,
                                    c->o + c0);
    else /* dx = g * rstd: fmaf(dy - 0, w, 0); kk and o are zeros here */
        simdnorm_normalize_channels_st(c->k, c->storage, 0, rows, nc, c->dy, c->dx, c0, c->c,
                                       c->kk + c0, c->w + c0, c->o + c0, 0);
}

/* Bytes of the NHWC walk's scratch without a sink: per channel s1, s2,
 * the tree's h slots of p1, p2 (doubles), w, kk, o (floats). */
static size_t bn_nhwc_scratch_bytes(size_t c, size_t h)
{
    return c * ((2 + 2 * h) * sizeof(double) + 3 * sizeof(float));
}

/* A validated BatchNorm backward (or its node sums): scratch, then the
 * threads (NCHW: channels; NHWC: units of BN_BWD_NHWC_UNIT channels).
 * total: the batch's element count (the averages' N). */
static simdnorm_status bn_bwd_run(bn_bwd_ctx *ctx, double total)
{
    const size_t c = ctx->c, count = ctx->n * ctx->spatial;
    const size_t es = ctx->storage ? 2 : sizeof(float);
    const size_t bytes = count * c * es * (ctx->dx ? 4 : 2);
    ctx->seq = simdnorm_from_memory(count * c, es);
    void *mem = NULL, *scr = NULL;
    if (ctx->nhwc) {
        const size_t h = simdnorm_tree_height(ctx->g0, ctx->n);
        /* a blocked walk's sink: the caller's (node sums) or here */
        const size_t sinks = ctx->blocked && !ctx->sink ? c : 0;
        scr = ctx->scratch;
        if (!scr)
            scr = mem = malloc(sinks * sizeof(simdnorm_bn_sums_sink) + bn_nhwc_scratch_bytes(c, h));
        if (!scr)
            return SIMDNORM_ERR_NOMEM;
        if (sinks)
            ctx->sink = scr;
        ctx->s1 = (double *)((simdnorm_bn_sums_sink *)scr + sinks);
        ctx->s2 = ctx->s1 + c;
        ctx->p1 = ctx->s2 + c;
        ctx->p2 = ctx->p1 + h * c;
        ctx->w = (float *)(ctx->p2 + h * c);
        ctx->kk = ctx->w + c;
        ctx->o = ctx->kk + c;
    }
    const simdnorm_fpenv saved = simdnorm_fpenv_enter();
    ctx->inv_count = 1.0 / total; /* under the canonical environment */
    if (ctx->nhwc) {
        const size_t units = (c + BN_BWD_NHWC_UNIT - 1) / BN_BWD_NHWC_UNIT;
        simdnorm_parallel_for(units, units, bytes, bn_bwd_nhwc_body, ctx);
    } else {
        simdnorm_parallel_for(c, c, bytes, bn_bwd_nchw_body, ctx);
    }
    simdnorm_fpenv_leave(saved);
    free(mem);
    return SIMDNORM_OK;
}

/* storage: dy, x, dx float32 (0) or 16-bit (the twins: 1 bf16, 2 f16),
 * read and written in 16 bits by the storage's kernels (bn_bwd_ctx). */
static simdnorm_status bn_bwd(int storage, simdnorm_layout layout, size_t n, size_t c,
                              size_t spatial, const void *dy, const void *x, const float *gamma,
                              const float *mean, const float *rstd, int training, void *dx,
                              float *dgamma, float *dbeta)
{
    const size_t es = storage ? 2 : sizeof(float);
    if ((unsigned)layout > (unsigned)SIMDNORM_NHWC)
        return SIMDNORM_ERR_PARAM;
    if (c == 0)
        return SIMDNORM_OK;
    size_t count;
    if (__builtin_mul_overflow(n, spatial, &count))
        return SIMDNORM_ERR_SHAPE;
    if (count == 0)
        return training ? SIMDNORM_ERR_SHAPE : zero_params(c, dgamma, dbeta);
    if (!dy || !x || !mean || !rstd)
        return SIMDNORM_ERR_NULL;
    size_t b[BB_ALL];
    if (!simdnorm_matrix_span_es(dy, count, c, c, es, &b[BB_DY]) ||
        !simdnorm_matrix_span_es(x, count, c, c, es, &b[BB_X]) ||
        !simdnorm_matrix_span_es(dx, count, c, c, es, &b[BB_DX]) ||
        !simdnorm_matrix_span(gamma, 1, c, c, &b[BB_GAMMA]) ||
        !simdnorm_matrix_span(mean, 1, c, c, &b[BB_MEAN]) ||
        !simdnorm_matrix_span(rstd, 1, c, c, &b[BB_RSTD]) ||
        !simdnorm_matrix_span(dgamma, 1, c, c, &b[BB_DGAMMA]) ||
        !simdnorm_matrix_span(dbeta, 1, c, c, &b[BB_DBETA]))
        return SIMDNORM_ERR_SHAPE;
    const simdnorm_buffer buf[BB_ALL] = {
        [BB_DY] = {dy, b[BB_DY], c, 0, 0},
        [BB_X] = {x, b[BB_X], c, 0, 0},
        [BB_GAMMA] = {gamma, b[BB_GAMMA], 0, 0, 0},
        [BB_MEAN] = {mean, b[BB_MEAN], 0, 0, 0},
        [BB_RSTD] = {rstd, b[BB_RSTD], 0, 0, 0},
        [BB_DX] = {dx, b[BB_DX], c, 1u << BB_DY, 1},
        [BB_DGAMMA] = {dgamma, b[BB_DGAMMA], 0, 0, 1},
        [BB_DBETA] = {dbeta, b[BB_DBETA], 0, 0, 1},
    };
    const simdnorm_status st = simdnorm_check_overlap(buf, BB_ALL);
    if (st != SIMDNORM_OK || (!dx && !dgamma && !dbeta))
        return st;

    bn_bwd_ctx ctx = {.k = simdnorm_active_kernels(), .nhwc = layout == SIMDNORM_NHWC || spatial == 1,
                      .training = training != 0, .n = n, .c = c, .spatial = spatial, .dy = dy,
                      .x = x, .gamma = gamma, .mean = mean, .rstd = rstd, .dx = dx,
                      .dgamma = dgamma, .dbeta = dbeta, .inv_count = 0.0,
                      .blocked = simdnorm_bn_blocked(n)};
    ctx.storage = storage;
    return bn_bwd_run(&ctx, (double)count);
}

SIMDNORM_API simdnorm_status simdnorm_batch_norm_bwd_f32(simdnorm_layout layout, size_t n,
                                                         size_t c, size_t spatial,
                                                         const float *dy, const float *x,
                                                         const float *gamma, const float *mean,
                                                         const float *rstd, int training,
                                                         float *dx, float *dgamma, float *dbeta)
{
    return bn_bwd(0, layout, n, c, spatial, dy, x, gamma, mean, rstd, training, dx, dgamma,
                  dbeta);
}
simdnorm_status simdnorm_batch_norm_bwd_bf16(simdnorm_layout layout, size_t n, size_t c,
                                             size_t spatial, const simdnorm_bf16 *dy,
                                             const simdnorm_bf16 *x, const float *gamma,
                                             const float *mean, const float *rstd, int training,
                                             simdnorm_bf16 *dx, float *dgamma, float *dbeta)
{
    return bn_bwd(1, layout, n, c, spatial, dy, x, gamma, mean, rstd, training, dx, dgamma,
                  dbeta);
}
simdnorm_status simdnorm_batch_norm_bwd_f16(simdnorm_layout layout, size_t n, size_t c,
                                            size_t spatial, const simdnorm_f16 *dy,
                                            const simdnorm_f16 *x, const float *gamma,
                                            const float *mean, const float *rstd, int training,
                                            simdnorm_f16 *dx, float *dgamma, float *dbeta)
{
    return bn_bwd(2, layout, n, c, spatial, dy, x, gamma, mean, rstd, training, dx, dgamma,
                  dbeta);
}

/* ---- what simdnorm_mpi needs (internal.h) ---------------------------------- */

size_t simdnorm_bn_node_sums_scratch(simdnorm_layout layout, size_t n, size_t c, size_t spatial)
{
    if (!(layout == SIMDNORM_NHWC || spatial == 1) || n == 0)
        return 0;
    /* a first sample g0 > 0 gives the taller tree: the bound for any g0 */
    return bn_nhwc_scratch_bytes(c, simdnorm_tree_height(1, n));
}

size_t simdnorm_bn_node_sums(int storage, simdnorm_layout layout, size_t n, size_t c,
                             size_t spatial, const void *dy, const void *x, const float *mean,
                             const float *rstd, size_t g0, size_t n_total, double *s1, double *s2,
                             simdnorm_bn_sums_sink *sink, void *scratch)
{
    const int blocked = simdnorm_bn_blocked(n_total);
    bn_bwd_ctx ctx = {.k = simdnorm_active_kernels(), .nhwc = layout == SIMDNORM_NHWC || spatial == 1,
                      .training = 1, .storage = storage, .n = n, .c = c, .spatial = spatial,
                      .dy = dy, .x = x, .mean = mean, .rstd = rstd, .g0 = g0, .nodes1 = s1,
                      .nodes2 = s2, .blocked = blocked, .sink = blocked ? sink : NULL,
                      .scratch = scratch};
    if (blocked)
        simdnorm_bn_sums_sink_clear(c, sink);
    if (n)
        (void)bn_bwd_run(&ctx, (double)(n * spatial)); /* the scratch given: cannot fail */
    size_t first[SIMDNORM_TREE_MAX];
    unsigned char level[SIMDNORM_TREE_MAX];
    return simdnorm_tree_nodes_capped(g0, n, blocked, first, level);
}

simdnorm_status simdnorm_bn_bwd_from_sums(int storage, simdnorm_layout layout, size_t n,
                                          size_t c, size_t spatial, double total, const void *dy,
                                          const void *x, const float *gamma, const float *mean,
                                          const float *rstd, const double *s1, const double *s2,
                                          void *dx, float *dgamma, float *dbeta)
{
    bn_bwd_ctx ctx = {.k = simdnorm_active_kernels(), .nhwc = layout == SIMDNORM_NHWC || spatial == 1,
                      .training = 1, .storage = storage, .n = n, .c = c, .spatial = spatial,
                      .dy = dy, .x = x,
                      .gamma = gamma, .mean = mean, .rstd = rstd, .dx = n * spatial != 0 ? dx : NULL,
                      .dgamma = dgamma, .dbeta = dbeta, .given1 = s1, .given2 = s2};
    if (n * spatial == 0) {
        const simdnorm_fpenv saved = simdnorm_fpenv_enter();
        ctx.inv_count = 1.0 / total;
        for (size_t ch = 0; ch < c; ch++) {
            float w, k, o;
            (void)bn_finish_channel(&ctx, ch, s1[ch], s2[ch], &w, &k, &o);
        }
        simdnorm_fpenv_leave(saved);
        return SIMDNORM_OK;
    }
    return bn_bwd_run(&ctx, total);
}
