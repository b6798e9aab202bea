/* mpi.c - simdnorm_mpi: BatchNorm across MPI ranks (include/simdnorm_mpi.h),
 * bit for bit one process over the whole batch. Built into its own library
 * with the core linked statically (its hidden internal functions: the
 * sample tree's nodes and folds, internal.h); only the two functions
 * below are exported (simdnorm_mpi.map).
 *
 * One call:
 *  1. every rank checks its own arguments as the single-process function
 *     would (a rank without samples may pass NULL tensors); the backward
 *     also allocates its NHWC walk's scratch here
 *     (simdnorm_bn_node_sums_scratch), a failure being its status;
 *  2. MPI_Allgather of a header {status, n_local, c, spatial, layout, eps,
 *     momentum}: every rank learns every rank's sample offset and derives
 *     the same verdict (the first failing rank's status, or a mismatch);
 *  3. scratch for every rank's nodes: on the stack where it fits
 *     SYNC_STACK_BYTES (every rank computes the same size from the same
 *     headers, so all take the stack together and nothing can fail: two
 *     collectives a call), else malloc'ed and MPI_Allreduce (MIN) of
 *     "allocated", so that an allocation failure is every rank's
 *     SIMDNORM_ERR_NOMEM (three collectives);
 *  4. the rank's maximal aligned nodes (simdnorm_bn_node_moments / _sums;
 *     for a batch of more than 4096 samples those below the block level,
 *     and its whole blocks' exact sums, its sink: internal.h, "BatchNorm's
 *     blocks") written in place into its slot of the receive buffer,
 *     MPI_Allgatherv: per rank 16*c bytes a node and 120*c (backward 80*c)
 *     of sink, at most 24 nodes past 4096 samples - O(c);
 *  5. every rank merges all sinks (exact: any order gives the same bits),
 *     folds all nodes in rank (= sample) order onto them or to the root
 *     (simdnorm_bn_fold_node_*) and finishes its own samples with it
 *     (the storage's simdnorm_batch_norm_train_from_moments_* /
 *     simdnorm_bn_bwd_from_sums: the 16-bit twins read and write their
 *     tensors in 16 bits throughout, without a widened copy).
 * Nothing is written before step 5, and step 5 cannot fail. */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fpenv.h"
#include "internal.h"
#include "simdnorm_mpi.h"

enum { H_STATUS, H_N, H_C, H_SPATIAL, H_LAYOUT, H_EPS, H_MOMENTUM, H_PAD, H_LEN };

/* Ranks whose headers fit on the stack (64 bytes each). */
#define HDR_STACK 256

/* Scratch (step 3) taken from the stack up to this size: the nodes of
 * K ranks of one node each for K * c <= ~2000 (32 * K * c bytes and a
 * little), e.g. (32, 64, 56, 56) over 4 ranks: 8.3 KB. 64 KiB as the
 * 16-bit row norms' scratch (rows.c). */
#define SYNC_STACK_BYTES ((size_t)64 << 10)

static int64_t float_bits(float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    return (int64_t)u;
}

/* The rank's own arguments, as the single-process training forward checks
 * them, except that n_local may be 0 (x, y unused then) and the batch-size
 * rule is the whole batch's (checked after the exchange). */
static simdnorm_status check_train_local(size_t es, simdnorm_layout layout, size_t n, size_t c,
                                         size_t spatial, const void *x, const float *gamma,
                                         const float *beta, float eps, float momentum,
                                         const float *running_mean, const float *running_var,
                                         const void *y, const float *save_mean,
                                         const float *save_rstd)
{
    if (!simdnorm_eps_ok(eps) || !(momentum >= 0.0f && momentum <= 1.0f))
        return SIMDNORM_ERR_PARAM;
    if (layout != SIMDNORM_NCHW && layout != SIMDNORM_NHWC)
        return SIMDNORM_ERR_PARAM;
    if (c == 0)
        return SIMDNORM_OK;
    const size_t max_elems = (size_t)PTRDIFF_MAX / sizeof(float);
    if (n != 0 && spatial > max_elems / n)
        return SIMDNORM_ERR_SHAPE;
    const size_t rows = n * spatial;
    if ((rows && (!x || !y)) || !running_mean != !running_var)
        return SIMDNORM_ERR_NULL;
    if ((rows && c > max_elems / rows) || c > (size_t)INT_MAX / (2 * SIMDNORM_TREE_MAX))
        return SIMDNORM_ERR_SHAPE;
    const size_t total = rows * c;
    simdnorm_buffer buf[8] = {
        {rows ? x : NULL, 0, 0, 0, 0}, {gamma, 0, 0, 0, 0},        {beta, 0, 0, 0, 0},
        {rows ? y : NULL, 0, 0, 1u << 0, 1}, {save_mean, 0, 0, 0, 1}, {save_rstd, 0, 0, 0, 1},
        {running_mean, 0, 0, 0, 1},    {running_var, 0, 0, 0, 1},
    };
    for (int i = 0; i < 8; i++) {
        const int act = i == 0 || i == 3;
        const size_t len = act ? total : c;
        if (buf[i].p &&
            !simdnorm_matrix_span_es(buf[i].p, 1, len, len, act ? es : sizeof(float), &buf[i].bytes))
            return SIMDNORM_ERR_SHAPE;
    }
    return simdnorm_check_overlap(buf, 8);
}

/* The rank's own arguments, as the single-process backward (training)
 * checks them; n_local may be 0 (dy, x, dx unused then). */
static simdnorm_status check_bwd_local(size_t es, simdnorm_layout layout, size_t n, size_t c,
                                       size_t spatial, const void *dy, const void *x,
                                       const float *gamma, const float *mean, const float *rstd,
                                       const void *dx, const float *dgamma, const float *dbeta)
{
    if (layout != SIMDNORM_NCHW && layout != SIMDNORM_NHWC)
        return SIMDNORM_ERR_PARAM;
    if (c == 0)
        return SIMDNORM_OK;
    const size_t max_elems = (size_t)PTRDIFF_MAX / sizeof(float);
    if (n != 0 && spatial > max_elems / n)
        return SIMDNORM_ERR_SHAPE;
    const size_t rows = n * spatial;
    if (!mean || !rstd || (rows && (!dy || !x)))
        return SIMDNORM_ERR_NULL;
    if ((rows && c > max_elems / rows) || c > (size_t)INT_MAX / (2 * SIMDNORM_TREE_MAX))
        return SIMDNORM_ERR_SHAPE;
    const size_t total = rows * c;
    simdnorm_buffer buf[8] = {
        {rows ? dy : NULL, 0, 0, 0, 0}, {rows ? x : NULL, 0, 0, 0, 0}, {gamma, 0, 0, 0, 0},
        {mean, 0, 0, 0, 0},             {rstd, 0, 0, 0, 0},
        {rows ? dx : NULL, 0, 0, 1u << 0, 1}, {dgamma, 0, 0, 0, 1}, {dbeta, 0, 0, 0, 1},
    };
    for (int i = 0; i < 8; i++) {
        const int act = i == 0 || i == 1 || i == 5;
        const size_t len = act ? total : c;
        if (buf[i].p &&
            !simdnorm_matrix_span_es(buf[i].p, 1, len, len, act ? es : sizeof(float), &buf[i].bytes))
            return SIMDNORM_ERR_SHAPE;
    }
    return simdnorm_check_overlap(buf, 8);
}

/* One call's exchange state. */
typedef struct sync_call {
    MPI_Comm comm;
    int size, rank;
    int64_t *hdr;          /* [size][H_LEN] */
    int64_t hdr_stack[HDR_STACK * H_LEN];
    size_t g0, total_n;    /* this rank's first global sample; the batch's n */
    size_t nodes, mine;    /* all ranks' nodes; this rank's */
    int blocked;           /* the batch is cut into blocks (internal.h) */
    size_t sink_words;     /* doubles of a rank's sink (blocked; else 0) */
    int *counts, *displs;  /* Allgatherv, in doubles */
    size_t *first;         /* every node's descriptor, rank order */
    unsigned char *level;
    double *recv;          /* rank r's slot: [a: mine*c][b: mine*c][its sink] */
    double *a, *b;         /* contiguous per node [k*c]: mean/m2 or s1/s2 */
    double *sink;          /* the ranks' sinks merged (sink_words) */
    void *mem;             /* the scratch: stack_mem or malloc'ed */
    /* last: not cleared per call */
    double stack_mem[SYNC_STACK_BYTES / sizeof(double)];
} sync_call;

/* Steps 2-3: the header exchange and its verdict, then the scratch and the
 * agreement on it. Returns the status every rank returns. */
static simdnorm_status exchange_header(sync_call *s, simdnorm_status local, size_t n, size_t c,
                                       size_t spatial, simdnorm_layout layout, float eps,
                                       float momentum, size_t min_batch, size_t sink_bytes)
{
    const MPI_Comm comm = s->comm;
    memset(s, 0, offsetof(sync_call, stack_mem));
    s->comm = comm;
    if (MPI_Comm_size(comm, &s->size) != MPI_SUCCESS || MPI_Comm_rank(comm, &s->rank) != MPI_SUCCESS)
        return SIMDNORM_ERR_PARAM;
    const int64_t mine[H_LEN] = {local, (int64_t)n, (int64_t)c, (int64_t)spatial,
                                 (int64_t)layout, float_bits(eps), float_bits(momentum), 0};
    /* the headers: on the stack up to HDR_STACK ranks, else malloc'ed (a
     * rank that cannot allocate them cannot take part: it returns
     * SIMDNORM_ERR_NOMEM and the others wait - the one case without an
     * agreed status) */
    s->hdr = (size_t)s->size <= HDR_STACK ? s->hdr_stack : malloc((size_t)s->size * sizeof mine);
    if (!s->hdr)
        return SIMDNORM_ERR_NOMEM;
    if (MPI_Allgather(mine, H_LEN, MPI_INT64_T, s->hdr, H_LEN, MPI_INT64_T, s->comm) !=
        MPI_SUCCESS)
        return SIMDNORM_ERR_PARAM;
    /* the verdict, the same on every rank */
    simdnorm_status st = SIMDNORM_OK;
    size_t total = 0;
    int total_overflow = 0;
    for (int r = 0; r < s->size; r++) {
        const int64_t *h = s->hdr + (size_t)r * H_LEN;
        if (st == SIMDNORM_OK && h[H_STATUS] != SIMDNORM_OK)
            st = (simdnorm_status)h[H_STATUS];
        if (r == s->rank)
            s->g0 = total;
        total_overflow |= __builtin_add_overflow(total, (size_t)h[H_N], &total);
    }
    if (st != SIMDNORM_OK)
        return st;
    for (int r = 1; r < s->size; r++) {
        const int64_t *h = s->hdr + (size_t)r * H_LEN;
        if (h[H_C] != s->hdr[H_C] || h[H_SPATIAL] != s->hdr[H_SPATIAL])
            return SIMDNORM_ERR_SHAPE;
        if (h[H_LAYOUT] != s->hdr[H_LAYOUT] || h[H_EPS] != s->hdr[H_EPS] ||
            h[H_MOMENTUM] != s->hdr[H_MOMENTUM])
            return SIMDNORM_ERR_PARAM;
    }
    if (c == 0)
        return SIMDNORM_OK;
    const size_t max_elems = (size_t)PTRDIFF_MAX / sizeof(float);
    if (total_overflow || (total != 0 && spatial > max_elems / total) ||
        (total * spatial != 0 && c > max_elems / (total * spatial)) ||
        total * spatial < min_batch || total > SIMDNORM_BN_MAX_SAMPLES)
        return SIMDNORM_ERR_SHAPE;
    s->total_n = total;
    s->blocked = simdnorm_bn_blocked(total);
    s->sink_words = s->blocked ? c * sink_bytes / sizeof(double) : 0;

    /* every rank's nodes (a blocked batch: those below the block level) */
    size_t nodes = 0;
    for (size_t r = 0, g = 0; r < (size_t)s->size; r++) {
        const size_t nr = (size_t)s->hdr[r * H_LEN + H_N];
        size_t f[SIMDNORM_TREE_MAX];
        unsigned char l[SIMDNORM_TREE_MAX];
        nodes += simdnorm_tree_nodes_capped(g, nr, s->blocked, f, l);
        g += nr;
    }
    s->nodes = nodes;
    /* recv: 2*nodes*c doubles and every rank's sink (at least 3*c: it
     * holds the batch's moments afterwards), a and b: nodes*c each (at
     * least c: the fold's result), the merged sink */
    const size_t ab = (nodes ? nodes : 1) * c;
    size_t recv_len = 2 * nodes * c + (size_t)s->size * s->sink_words;
    recv_len = recv_len < 3 * c ? 3 * c : recv_len;
    const size_t need = (recv_len + 2 * ab + s->sink_words) * sizeof(double) +
                        nodes * sizeof(size_t) + (size_t)s->size * 2 * sizeof(int) + nodes;
    if (need <= sizeof s->stack_mem) {
        s->mem = s->stack_mem; /* on every rank (the same need): no agreement */
    } else {
        s->mem = malloc(need);
        int ok = s->mem != NULL, all_ok = 0;
        if (MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, s->comm) != MPI_SUCCESS)
            return SIMDNORM_ERR_PARAM;
        if (!all_ok)
            return SIMDNORM_ERR_NOMEM;
    }
    s->recv = s->mem;
    s->a = s->recv + recv_len;
    s->b = s->a + ab;
    s->sink = s->b + ab;
    s->first = (size_t *)(s->sink + s->sink_words);
    s->counts = (int *)(s->first + nodes);
    s->displs = s->counts + s->size;
    s->level = (unsigned char *)(s->displs + s->size);
    size_t k = 0, g = 0;
    for (int r = 0; r < s->size; r++) {
        const size_t nr = (size_t)s->hdr[(size_t)r * H_LEN + H_N];
        const size_t cnt = simdnorm_tree_nodes_capped(g, nr, s->blocked, s->first + k,
                                                      s->level + k);
        const size_t count = 2 * cnt * c + s->sink_words,
                     displ = 2 * k * c + (size_t)r * s->sink_words;
        if (count > (size_t)INT_MAX || displ > (size_t)INT_MAX - count)
            return SIMDNORM_ERR_SHAPE; /* every rank alike: beyond one Allgatherv */
        s->counts[r] = (int)count;
        s->displs[r] = (int)displ;
        if (r == s->rank)
            s->mine = cnt;
        k += cnt;
        g += nr;
    }
    return SIMDNORM_OK;
}

/* Step 4's exchange and the unpacking into s->a, s->b ([k*c] per node). */
static simdnorm_status exchange_nodes(sync_call *s, size_t c)
{
    /* as 64-bit integers: the sinks' int64 limbs must travel as bits (a
     * double copy could quiet a signalling-NaN pattern), doubles do too */
    if (MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, s->recv, s->counts, s->displs,
                       MPI_INT64_T, s->comm) != MPI_SUCCESS)
        return SIMDNORM_ERR_PARAM;
    for (int r = 0, k0 = 0; r < s->size; r++) {
        const size_t cnt = ((size_t)s->counts[r] - s->sink_words) / (2 * c);
        const double *src = s->recv + s->displs[r];
        memcpy(s->a + k0 * c, src, cnt * c * sizeof(double));
        memcpy(s->b + k0 * c, src + cnt * c, cnt * c * sizeof(double));
        k0 += (int)cnt;
    }
    return SIMDNORM_OK;
}

static void sync_free(sync_call *s)
{
    if (s->hdr != s->hdr_stack)
        free(s->hdr);
    if (s->mem != s->stack_mem)
        free(s->mem);
}

/* The batch's moments m[c] given: the rank's samples normalized, its
 * statistics outputs written, as the single-process function from them. */
static simdnorm_status train_from(int storage, simdnorm_layout layout, size_t n, size_t c,
                                  size_t spatial, const void *x, const simdnorm_moments *m,
                                  const float *gamma, const float *beta, float eps,
                                  float momentum, float *running_mean, float *running_var,
                                  void *y, float *save_mean, float *save_rstd)
{
    if (storage == 1)
        return simdnorm_batch_norm_train_from_moments_bf16(layout, n, c, spatial, x, m, gamma,
                                                           beta, eps, momentum, running_mean,
                                                           running_var, y, save_mean, save_rstd);
    if (storage == 2)
        return simdnorm_batch_norm_train_from_moments_f16(layout, n, c, spatial, x, m, gamma,
                                                          beta, eps, momentum, running_mean,
                                                          running_var, y, save_mean, save_rstd);
    return simdnorm_batch_norm_train_from_moments_f32(layout, n, c, spatial, x, m, gamma, beta,
                                                      eps, momentum, running_mean, running_var,
                                                      y, save_mean, save_rstd);
}

/* storage: x, y float32 (0) or 16-bit (the twins: 1 bf16, 2 f16), read
 * and written in 16 bits by the storage's kernels (no scratch copy). */
static simdnorm_status sync_train(int storage, MPI_Comm comm, simdnorm_layout layout,
                                  size_t n_local, size_t c, size_t spatial, const void *x,
                                  const float *gamma, const float *beta, float eps,
                                  float momentum, float *running_mean, float *running_var,
                                  void *y, float *save_mean, float *save_rstd)
{
    const simdnorm_status local =
        check_train_local(storage ? 2 : sizeof(float), layout, n_local, c, spatial, x, gamma,
                          beta, eps, momentum, running_mean, running_var, y, save_mean,
                          save_rstd);
    sync_call s;
    s.comm = comm;
    simdnorm_status st = exchange_header(&s, local, n_local, c, spatial, layout, eps, momentum, 2,
                                         sizeof(simdnorm_bn_sink));
    if (st != SIMDNORM_OK || c == 0) {
        sync_free(&s);
        return st;
    }
    double *mine = s.recv + s.displs[s.rank];
    simdnorm_bn_sink *sink = (simdnorm_bn_sink *)(void *)(mine + 2 * s.mine * c);
    if (s.mine || s.blocked)
        (void)simdnorm_bn_node_moments(storage, layout, n_local, c, spatial, x, s.g0, s.total_n,
                                       mine, mine + s.mine * c, sink);
    st = exchange_nodes(&s, c);
    if (st == SIMDNORM_OK) {
        /* the merges and the sink's double-double finish need the canonical
         * environment, as in the single-process call (fpenv.h) */
        const simdnorm_fpenv fe = simdnorm_fpenv_enter();
        simdnorm_bn_sink *all = NULL;
        if (s.blocked) { /* the ranks' sinks merged (exact: the order is free) */
            all = (simdnorm_bn_sink *)(void *)s.sink;
            simdnorm_bn_sink_clear(c, all);
            for (int r = 0; r < s.size; r++)
                simdnorm_bn_sink_merge(c, all, (const simdnorm_bn_sink *)(const void *)(
                                                   s.recv + s.displs[r] + s.counts[r] - s.sink_words));
        }
        simdnorm_bn_fold_node_moments(s.nodes, s.first, s.level, c, spatial, s.a, s.b, all,
                                      s.total_n);
        simdnorm_fpenv_leave(fe);
        /* the batch's moments, in the recv buffer (no longer needed) */
        simdnorm_moments *m = (simdnorm_moments *)(void *)s.recv;
        const double count = (double)s.total_n * (double)spatial;
        for (size_t ch = 0; ch < c; ch++) {
            m[ch].count = count;
            m[ch].mean = s.a[ch];
            m[ch].m2 = s.b[ch];
        }
        st = train_from(storage, layout, n_local, c, spatial, x, m, gamma, beta, eps, momentum,
                        running_mean, running_var, y, save_mean, save_rstd);
    }
    sync_free(&s);
    return st;
}

SIMDNORM_API simdnorm_status simdnorm_sync_batch_norm_train_f32(
    MPI_Comm comm, simdnorm_layout layout, size_t n_local, size_t c, size_t spatial,
    const float *x, const float *gamma, const float *beta, float eps, float momentum,
    float *running_mean, float *running_var, float *y, float *save_mean, float *save_rstd)
{
    return sync_train(0, comm, layout, n_local, c, spatial, x, gamma, beta, eps, momentum,
                      running_mean, running_var, y, save_mean, save_rstd);
}

SIMDNORM_API simdnorm_status simdnorm_sync_batch_norm_train_bf16(
    MPI_Comm comm, simdnorm_layout layout, size_t n_local, size_t c, size_t spatial,
    const simdnorm_bf16 *x, const float *gamma, const float *beta, float eps, float momentum,
    float *running_mean, float *running_var, simdnorm_bf16 *y, float *save_mean,
    float *save_rstd)
{
    return sync_train(1, comm, layout, n_local, c, spatial, x, gamma, beta, eps, momentum,
                      running_mean, running_var, y, save_mean, save_rstd);
}

SIMDNORM_API simdnorm_status simdnorm_sync_batch_norm_train_f16(
    MPI_Comm comm, simdnorm_layout layout, size_t n_local, size_t c, size_t spatial,
    const simdnorm_f16 *x, const float *gamma, const float *beta, float eps, float momentum,
    float *running_mean, float *running_var, simdnorm_f16 *y, float *save_mean,
    float *save_rstd)
{
    return sync_train(2, comm, layout, n_local, c, spatial, x, gamma, beta, eps, momentum,
                      running_mean, running_var, y, save_mean, save_rstd);
}

/* storage: as sync_train (dy, x, dx). */
static simdnorm_status sync_bwd(int storage, MPI_Comm comm, simdnorm_layout layout,
                                size_t n_local, size_t c, size_t spatial, const void *dy,
                                const void *x, const float *gamma, const float *mean,
                                const float *rstd, void *dx, float *dgamma, float *dbeta)
{
    simdnorm_status local = check_bwd_local(storage ? 2 : sizeof(float), layout, n_local, c,
                                            spatial, dy, x, gamma, mean, rstd, dx, dgamma, dbeta);
    /* the NHWC walk's scratch, before the header: a rank that cannot have
     * it says SIMDNORM_ERR_NOMEM there, and every rank returns it */
    void *scratch = NULL;
    if (local == SIMDNORM_OK) {
        const size_t sb = simdnorm_bn_node_sums_scratch(layout, n_local, c, spatial);
        if (sb && !(scratch = malloc(sb)))
            local = SIMDNORM_ERR_NOMEM;
    }
    sync_call s;
    s.comm = comm;
    simdnorm_status st = exchange_header(&s, local, n_local, c, spatial, layout, 0.0f, 0.0f, 1,
                                         sizeof(simdnorm_bn_sums_sink));
    if (st != SIMDNORM_OK || c == 0) {
        sync_free(&s);
        free(scratch);
        return st;
    }
    double *mine = s.recv + s.displs[s.rank];
    simdnorm_bn_sums_sink *sink = (simdnorm_bn_sums_sink *)(void *)(mine + 2 * s.mine * c);
    if (s.mine || s.blocked)
        (void)simdnorm_bn_node_sums(storage, layout, n_local, c, spatial, dy, x, mean, rstd,
                                    s.g0, s.total_n, mine, mine + s.mine * c, sink, scratch);
    free(scratch);
    st = exchange_nodes(&s, c);
    if (st == SIMDNORM_OK) {
        const simdnorm_fpenv fe = simdnorm_fpenv_enter(); /* as sync_train */
        simdnorm_bn_sums_sink *all = NULL;
        if (s.blocked) { /* the ranks' sinks merged (exact: the order is free) */
            all = (simdnorm_bn_sums_sink *)(void *)s.sink;
            simdnorm_bn_sums_sink_clear(c, all);
            for (int r = 0; r < s.size; r++)
                simdnorm_bn_sums_sink_merge(
                    c, all, (const simdnorm_bn_sums_sink *)(const void *)(
                                s.recv + s.displs[r] + s.counts[r] - s.sink_words));
        }
        simdnorm_bn_fold_node_sums(s.nodes, s.first, s.level, c, s.a, s.b, all);
        simdnorm_fpenv_leave(fe);
        if (dx || dgamma || dbeta)
            st = simdnorm_bn_bwd_from_sums(storage, layout, n_local, c, spatial,
                                           (double)(s.total_n * spatial), dy, x, gamma, mean,
                                           rstd, s.a, s.b, dx, dgamma, dbeta);
    }
    sync_free(&s);
    return st;
}

SIMDNORM_API simdnorm_status simdnorm_sync_batch_norm_bwd_f32(
    MPI_Comm comm, simdnorm_layout layout, size_t n_local, size_t c, size_t spatial,
    const float *dy, const float *x, const float *gamma, const float *mean, const float *rstd,
    float *dx, float *dgamma, float *dbeta)
{
    return sync_bwd(0, comm, layout, n_local, c, spatial, dy, x, gamma, mean, rstd, dx, dgamma,
                    dbeta);
}

SIMDNORM_API simdnorm_status simdnorm_sync_batch_norm_bwd_bf16(
    MPI_Comm comm, simdnorm_layout layout, size_t n_local, size_t c, size_t spatial,
    const simdnorm_bf16 *dy, const simdnorm_bf16 *x, const float *gamma, const float *mean,
    const float *rstd, simdnorm_bf16 *dx, float *dgamma, float *dbeta)
{
    return sync_bwd(1, comm, layout, n_local, c, spatial, dy, x, gamma, mean, rstd, dx, dgamma,
                    dbeta);
}

SIMDNORM_API simdnorm_status simdnorm_sync_batch_norm_bwd_f16(
    MPI_Comm comm, simdnorm_layout layout, size_t n_local, size_t c, size_t spatial,
    const simdnorm_f16 *dy, const simdnorm_f16 *x, const float *gamma, const float *mean,
    const float *rstd, simdnorm_f16 *dx, float *dgamma, float *dbeta)
{
    return sync_bwd(2, comm, layout, n_local, c, spatial, dy, x, gamma, mean, rstd, dx, dgamma,
                    dbeta);
}
