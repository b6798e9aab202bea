/* tree.c - BatchNorm's sample tree in double vector lanes (kernels.h:
 * f32_bn_rows_nodes, f64_chan_merge): the Chan merges of the tree
 * (dispatch/internal.h, "BatchNorm's sample tree"), channels in the lanes
 * of vd registers, written once and compiled for every ISA against its
 * vector header. Each channel's arithmetic is the same sequence of IEEE
 * double operations on every ISA (separate vd_mul and vd_add: no fma), so
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

/* ---- f32_bn_rows_nodes ----------------------------------------------------
 * A node of level k over VF_N channels (VD_PER_VF registers each of means
 * and M2s), built the way the tree defines it: a leaf is {x + 0, x - x};
 * the node of level k + 1 merges its two halves of level k, each of count
 * 2^k, with the weights simdnorm_merge_weights_of(2^k, 2^k) gives exactly:
 * wb = 2^k / 2^(k+1) = 0.5, wab = 2^k * 2^k / 2^(k+1) = 2^(k-1). */
typedef struct rows_node {
    vd m[VD_PER_VF], q[VD_PER_VF];
} rows_node;

static ALWAYS_INLINE rows_node rows_leaf(const float *x, size_t nj)
{
    const vf v = nj == VF_N ? vf_loadu(x) : vf_load_part(x, nj);
    vd w[VD_PER_VF];
    vf_widen(v, w);
    rows_node r;
#pragma GCC unroll 2
    for (size_t h = 0; h < VD_PER_VF; h++) {
        r.m[h] = vd_add(w[h], vd_zero());
        r.q[h] = vd_sub(w[h], w[h]);
    }
    return r;
}

static ALWAYS_INLINE rows_node rows_join(rows_node a, rows_node b, double wab)
{
    const vd vwb = vd_set1(0.5), vwab = vd_set1(wab);
#pragma GCC unroll 2
    for (size_t h = 0; h < VD_PER_VF; h++)
        chan_merge(&a.m[h], &a.q[h], b.m[h], b.q[h], vwb, vwab);
    return a;
}

/* The level-1, 2, 3 nodes of rows x, x + s, ...: halves first (the
 * tree's order; independent halves may run in any order, their bits do
 * not depend on it). */
static ALWAYS_INLINE rows_node rows_node1(const float *x, size_t s, size_t nj)
{
    return rows_join(rows_leaf(x, nj), rows_leaf(x + s, nj), 0.5);
}
static ALWAYS_INLINE rows_node rows_node2(const float *x, size_t s, size_t nj)
{
    return rows_join(rows_node1(x, s, nj), rows_node1(x + 2 * s, s, nj), 1.0);
}
static ALWAYS_INLINE rows_node rows_node3(const float *x, size_t s, size_t nj)
{
    return rows_join(rows_node2(x, s, nj), rows_node2(x + 4 * s, s, nj), 2.0);
}

static ALWAYS_INLINE void rows_store(rows_node r, size_t nj, double *mean, double *m2)
{
#pragma GCC unroll 2
    for (size_t h = 0; h < VD_PER_VF; h++) {
        const size_t at = h * VD_N;
        if (nj >= at + VD_N) {
            vd_storeu(mean + at, r.m[h]);
            vd_storeu(m2 + at, r.q[h]);
        } else if (nj > at) {
            vd_store_part(mean + at, r.m[h], nj - at);
            vd_store_part(m2 + at, r.q[h], nj - at);
        }
    }
}

static ALWAYS_INLINE void rows_nodes_lev(unsigned lev, size_t cw, const float *x, size_t stride,
                                         double *mean, double *m2)
{
    size_t j = 0;
    for (; j + VF_N <= cw; j += VF_N) {
        const rows_node r = lev == 1   ? rows_node1(x + j, stride, VF_N)
                            : lev == 2 ? rows_node2(x + j, stride, VF_N)
                                       : rows_node3(x + j, stride, VF_N);
        rows_store(r, VF_N, mean + j, m2 + j);
    }
    if (j < cw) {
        const size_t nj = cw - j;
        const rows_node r = lev == 1   ? rows_node1(x + j, stride, nj)
                            : lev == 2 ? rows_node2(x + j, stride, nj)
                                       : rows_node3(x + j, stride, nj);
        rows_store(r, nj, mean + j, m2 + j);
    }
}

void SIMDNORM_KERNEL(f32_bn_rows_nodes)(unsigned lev, size_t cw, const float *x, size_t stride,
                                        double *mean, double *m2)
{
    if (lev == 3)
        rows_nodes_lev(3, cw, x, stride, mean, m2);
    else if (lev == 2)
        rows_nodes_lev(2, cw, x, stride, mean, m2);
    else
        rows_nodes_lev(1, cw, x, stride, mean, m2);
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
