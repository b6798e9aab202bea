/* tree.c - BatchNorm's sample tree in double vector lanes (kernels.h:
 * f32_bn_rows_nodes, f32_bn_bwd_rows_nodes, f64_chan_merge): the Chan
 * merges (and the backward's sums) of the tree
 * (dispatch/internal.h, "BatchNorm's sample tree"), channels in the lanes
 * of vd registers, written once and compiled for every ISA against its
 * vector header. Each channel's arithmetic is the same sequence of IEEE
 * operations on every ISA (the merges: separate vd_mul and vd_add, no fma), so
 * the results are the same bits whatever the lanes. Any alignment; nothing
 * past a row's or an array's last element is read or written. */
#include SIMDNORM_VEC_HEADER
#include "generic/lanes.h"

/* Chan's merge of node b into node a, the operations of
 * simdnorm_moments_merge_with (internal.h) in its order:
 *   d = mb - ma;  qa = (qa + qb) + (d*d)*wab;  ma = ma + d*wb. */
static ALWAYS_INLINE void chan_merge(vd *ma, vd *qa, vd mb, vd qb, vd wb, vd wab)
{
    const vd d = vd_sub(mb, *ma);
    *qa = vd_add(vd_add(*qa, qb), vd_mul(vd_mul(d, d), wab));
    *ma = vd_add(*ma, vd_mul(d, wb));
}

/* ---- f32_bn_rows_nodes, f32_bn_bwd_rows_nodes ------------------------------
 * A node of level k over VF_N channels (VD_PER_VF registers each of its
 * two values: mean and M2, or the backward's s1 and s2), built the way the
 * tree defines it, from the leaves of rows r0 .. r0 + 2^k - 1. Forward: a
 * leaf is {x + 0, x - x}; the node of level k + 1 merges its two halves of
 * level k, each of count 2^k, with the weights simdnorm_merge_weights_of(2^k,
 * 2^k) gives exactly: wb = 2^k / 2^(k+1) = 0.5, wab = 2^k * 2^k / 2^(k+1) =
 * 2^(k-1). Backward: a leaf is f32_bwd_channel_sums of one row, {0 + g,
 * fma(g, xhat, 0)}, a node left + right. Halves first (the tree's order;
 * independent halves may run in any order, their bits do not depend on
 * it). */
typedef struct rows_node {
    vd a[VD_PER_VF], b[VD_PER_VF];
} rows_node;

typedef struct rows_src {
    const float *x, *dy; /* column j of row r at + r*stride + j; dy: backward */
    size_t stride;
    vf mean, rstd; /* backward: the channels' */
} rows_src;

static ALWAYS_INLINE vf rows_load(const float *p, size_t nj)
{
    return nj == VF_N ? vf_loadu(p) : vf_load_part(p, nj);
}

static ALWAYS_INLINE rows_node rows_leaf(int bwd, const rows_src *s, size_t r, size_t nj)
{
    const size_t at = r * s->stride;
    vd w[VD_PER_VF], h[VD_PER_VF];
    if (nj == VF_N)
        vf_load_widen(bwd ? s->dy + at : s->x + at, w);
    else
        vf_widen(vf_load_part(bwd ? s->dy + at : s->x + at, nj), w);
    if (bwd)
        vf_widen(vf_mul(vf_sub(rows_load(s->x + at, nj), s->mean), s->rstd), h);
    rows_node n;
#pragma GCC unroll 2
    for (size_t i = 0; i < VD_PER_VF; i++) {
        n.a[i] = bwd ? vd_add(vd_zero(), w[i]) : vd_add(w[i], vd_zero());
        n.b[i] = bwd ? vd_fma(w[i], h[i], vd_zero()) : vd_sub(w[i], w[i]);
    }
    return n;
}

static ALWAYS_INLINE rows_node rows_join(int bwd, rows_node l, rows_node r, double wab)
{
    const vd vwb = vd_set1(0.5), vwab = vd_set1(wab);
#pragma GCC unroll 2
    for (size_t i = 0; i < VD_PER_VF; i++) {
        if (bwd) {
            l.a[i] = vd_add(l.a[i], r.a[i]);
            l.b[i] = vd_add(l.b[i], r.b[i]);
        } else {
            chan_merge(&l.a[i], &l.b[i], r.a[i], r.b[i], vwb, vwab);
        }
    }
    return l;
}

/* The level-1, 2, 3 nodes from row r0. */
static ALWAYS_INLINE rows_node rows_node1(int bwd, const rows_src *s, size_t r0, size_t nj)
{
    return rows_join(bwd, rows_leaf(bwd, s, r0, nj), rows_leaf(bwd, s, r0 + 1, nj), 0.5);
}
static ALWAYS_INLINE rows_node rows_node2(int bwd, const rows_src *s, size_t r0, size_t nj)
{
    return rows_join(bwd, rows_node1(bwd, s, r0, nj), rows_node1(bwd, s, r0 + 2, nj), 1.0);
}
static ALWAYS_INLINE rows_node rows_node3(int bwd, const rows_src *s, size_t r0, size_t nj)
{
    return rows_join(bwd, rows_node2(bwd, s, r0, nj), rows_node2(bwd, s, r0 + 4, nj), 2.0);
}

static ALWAYS_INLINE void rows_store(rows_node n, size_t nj, double *a, double *b)
{
#pragma GCC unroll 2
    for (size_t i = 0; i < VD_PER_VF; i++) {
        const size_t at = i * VD_N;
        if (nj >= at + VD_N) {
            vd_storeu(a + at, n.a[i]);
            vd_storeu(b + at, n.b[i]);
        } else if (nj > at) {
            vd_store_part(a + at, n.a[i], nj - at);
            vd_store_part(b + at, n.b[i], nj - at);
        }
    }
}

/* Columns [j, j + nj) of the level-lev node (nj <= VF_N). */
static ALWAYS_INLINE void rows_nodes_at(int bwd, unsigned lev, rows_src s, const float *mean,
                                        const float *rstd, size_t j, size_t nj, double *a,
                                        double *b)
{
    s.x += j;
    s.dy += bwd ? j : 0;
    if (bwd) {
        s.mean = rows_load(mean + j, nj);
        s.rstd = rows_load(rstd + j, nj);
    }
    const rows_node n = lev == 1   ? rows_node1(bwd, &s, 0, nj)
                        : lev == 2 ? rows_node2(bwd, &s, 0, nj)
                                   : rows_node3(bwd, &s, 0, nj);
    rows_store(n, nj, a + j, b + j);
}

static ALWAYS_INLINE void rows_nodes_lev(int bwd, unsigned lev, size_t cw, const rows_src *s,
                                         const float *mean, const float *rstd, double *a,
                                         double *b)
{
    size_t j = 0;
    for (; j + VF_N <= cw; j += VF_N)
        rows_nodes_at(bwd, lev, *s, mean, rstd, j, VF_N, a, b);
    if (j < cw)
        rows_nodes_at(bwd, lev, *s, mean, rstd, j, cw - j, a, b);
}

static ALWAYS_INLINE void rows_nodes(int bwd, unsigned lev, size_t cw, const rows_src *s,
                                     const float *mean, const float *rstd, double *a, double *b)
{
    if (lev == 3)
        rows_nodes_lev(bwd, 3, cw, s, mean, rstd, a, b);
    else if (lev == 2)
        rows_nodes_lev(bwd, 2, cw, s, mean, rstd, a, b);
    else
        rows_nodes_lev(bwd, 1, cw, s, mean, rstd, a, b);
}

void SIMDNORM_KERNEL(f32_bn_rows_nodes)(unsigned lev, size_t cw, const float *x, size_t stride,
                                        double *mean, double *m2)
{
    const rows_src s = {x, x, stride, vf_zero(), vf_zero()};
    rows_nodes(0, lev, cw, &s, NULL, NULL, mean, m2);
}

void SIMDNORM_KERNEL(f32_bn_bwd_rows_nodes)(unsigned lev, size_t cw, const float *dy,
                                            const float *x, size_t stride, const float *mean,
                                            const float *rstd, double *s1, double *s2)
{
    const rows_src s = {x, dy, stride, vf_zero(), vf_zero()};
    rows_nodes(1, lev, cw, &s, mean, rstd, s1, s2);
}

/* ---- f64_chan_merge -------------------------------------------------------- */
void SIMDNORM_KERNEL(f64_chan_merge)(size_t cw, double wb, double wab, double *ma, double *qa,
                                     const double *mb, const double *qb)
{
    const vd vwb = vd_set1(wb), vwab = vd_set1(wab);
    size_t j = 0;
    for (; j + 2 * VD_N <= cw; j += 2 * VD_N) {
        vd m0 = vd_loadu(ma + j), q0 = vd_loadu(qa + j);
        vd m1 = vd_loadu(ma + j + VD_N), q1 = vd_loadu(qa + j + VD_N);
        chan_merge(&m0, &q0, vd_loadu(mb + j), vd_loadu(qb + j), vwb, vwab);
        chan_merge(&m1, &q1, vd_loadu(mb + j + VD_N), vd_loadu(qb + j + VD_N), vwb, vwab);
        vd_storeu(ma + j, m0);
        vd_storeu(qa + j, q0);
        vd_storeu(ma + j + VD_N, m1);
        vd_storeu(qa + j + VD_N, q1);
    }
    for (; j < cw; j += VD_N) {
        const size_t n = cw - j < VD_N ? cw - j : VD_N;
        vd m = vd_load_part(ma + j, n), q = vd_load_part(qa + j, n);
        chan_merge(&m, &q, vd_load_part(mb + j, n), vd_load_part(qb + j, n), vwb, vwab);
        vd_store_part(ma + j, m, n);
        vd_store_part(qa + j, q, n);
    }
}
