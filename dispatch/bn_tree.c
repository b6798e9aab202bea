/* bn_tree.c - BatchNorm's sample tree (internal.h "BatchNorm's sample
 * tree"): the maximal aligned nodes of a range, the folds of a stack of
 * nodes to the root, and the public simdnorm_moments_merge. Plain double C
 * compiled once: every ISA shares these bits. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "fpenv.h"
#include "internal.h"

size_t simdnorm_tree_nodes(size_t g0, size_t n, size_t *first, unsigned char *level)
{
    size_t count = 0, p = g0;
    const size_t end = g0 + n;
    while (p < end) {
        /* the largest aligned node starting at p that ends by `end` */
        unsigned k = 0;
        while (k < 63 && ((p >> k) & 1) == 0 && ((size_t)1 << (k + 1)) <= end - p)
            k++;
        first[count] = p;
        level[count] = (unsigned char)k;
        count++;
        p += (size_t)1 << k;
    }
    return count;
}

void simdnorm_bn_fold_slots(const simdnorm_tree *t, size_t cw, double sp, double *mean,
                            double *m2)
{
    if (t->top < 2)
        return;
    double acc = simdnorm_tree_count(t->level[t->top - 1], sp);
    for (size_t d = t->top - 1; d > 0; d--) {
        const double cd = simdnorm_tree_count(t->level[d - 1], sp);
        simdnorm_bn_merge_slots(cw, cd, acc, mean + (d - 1) * cw, m2 + (d - 1) * cw,
                                mean + d * cw, m2 + d * cw);
        acc = cd + acc;
    }
}

void simdnorm_bn_fold_sums_slots(const simdnorm_tree *t, size_t cw, double *s1, double *s2)
{
    for (size_t d = t->top; d-- > 1;) {
        double *restrict a1 = s1 + (d - 1) * cw, *restrict a2 = s2 + (d - 1) * cw;
        const double *restrict b1 = s1 + d * cw, *restrict b2 = s2 + d * cw;
        for (size_t j = 0; j < cw; j++) {
            a1[j] = a1[j] + b1[j];
            a2[j] = a2[j] + b2[j];
        }
    }
}

size_t simdnorm_tree_nodes_capped(size_t g0, size_t n, int blocked, size_t *first,
                                  unsigned char *level)
{
    if (!blocked)
        return simdnorm_tree_nodes(g0, n, first, level);
    size_t f[SIMDNORM_TREE_MAX], kept = 0;
    unsigned char l[SIMDNORM_TREE_MAX];
    const size_t count = simdnorm_tree_nodes(g0, n, f, l);
    for (size_t k = 0; k < count; k++) /* whole blocks (level >= the block's) go to the sink */
        if (l[k] < SIMDNORM_BN_BLOCK_LEVEL) {
            first[kept] = f[k];
            level[kept] = l[k];
            kept++;
        }
    return kept;
}

/* Node k's data moves to slot d = t.top (d <= k), is pushed, and the
 * merges the push asks for run on the slots: the walk of the whole range,
 * done on its pieces. Blocked (sink): a whole block goes to the sink, the
 * short last block at the end, and the sink gives the statistics. */
void simdnorm_bn_fold_node_moments(size_t count, const size_t *first, const unsigned char *level,
                                   size_t c, size_t spatial, double *mean, double *m2,
                                   simdnorm_bn_sink *sink, size_t n_total)
{
    simdnorm_tree t;
    t.top = 0;
    const double sp = (double)spatial;
    for (size_t k = 0; k < count; k++) {
        size_t d = t.top;
        if (d != k) {
            memmove(mean + d * c, mean + k * c, c * sizeof(double));
            memmove(m2 + d * c, m2 + k * c, c * sizeof(double));
        }
        unsigned lv = level[k];
        for (unsigned i = simdnorm_tree_push(&t, first[k], lv); i > 0; i--, d--, lv++) {
            const double cn = simdnorm_tree_count(lv, sp);
            simdnorm_bn_merge_slots(c, cn, cn, mean + (d - 1) * c, m2 + (d - 1) * c, mean + d * c,
                                    m2 + d * c);
        }
        if (sink && simdnorm_tree_block_done(&t)) {
            t.top--;
            simdnorm_bn_sink_add(c, sink, simdnorm_tree_count(SIMDNORM_BN_BLOCK_LEVEL, sp),
                                 mean + t.top * c, m2 + t.top * c);
        }
    }
    simdnorm_bn_fold_slots(&t, c, sp, mean, m2);
    if (!sink)
        return;
    if (t.top)
        simdnorm_bn_sink_add(c, sink, (double)(n_total - t.first[0]) * sp, mean, m2);
    simdnorm_bn_sink_moments(c, sink, (double)n_total * sp, mean, m2);
}

void simdnorm_bn_fold_node_sums(size_t count, const size_t *first, const unsigned char *level,
                                size_t c, double *s1, double *s2, simdnorm_bn_sums_sink *sink)
{
    simdnorm_tree t;
    t.top = 0;
    for (size_t k = 0; k < count; k++) {
        size_t d = t.top;
        if (d != k) {
            memmove(s1 + d * c, s1 + k * c, c * sizeof(double));
            memmove(s2 + d * c, s2 + k * c, c * sizeof(double));
        }
        for (unsigned i = simdnorm_tree_push(&t, first[k], level[k]); i > 0; i--, d--)
            for (size_t j = 0; j < c; j++) {
                s1[(d - 1) * c + j] = s1[(d - 1) * c + j] + s1[d * c + j];
                s2[(d - 1) * c + j] = s2[(d - 1) * c + j] + s2[d * c + j];
            }
        if (sink && simdnorm_tree_block_done(&t)) {
            t.top--;
            simdnorm_bn_sums_sink_add(c, sink, s1 + t.top * c, s2 + t.top * c);
        }
    }
    simdnorm_bn_fold_sums_slots(&t, c, s1, s2);
    if (!sink)
        return;
    if (t.top)
        simdnorm_bn_sums_sink_add(c, sink, s1, s2);
    simdnorm_bn_sums_sink_value(c, sink, s1, s2);
}

/* ---- public: simdnorm_moments_merge ---------------------------------------- */

/* Whether [a, a+n) and [b, b+n) (n moments each) overlap other than exactly. */
static int partial_overlap(const simdnorm_moments *a, const simdnorm_moments *b, size_t bytes)
{
    return a != b && simdnorm_overlaps(a, bytes, b, bytes);
}

SIMDNORM_API simdnorm_status simdnorm_moments_merge(size_t c, const simdnorm_moments *a,
                                                    const simdnorm_moments *b,
                                                    simdnorm_moments *out)
{
    if (c == 0)
        return SIMDNORM_OK;
    if (!a || !b || !out)
        return SIMDNORM_ERR_NULL;
    if (c > (size_t)PTRDIFF_MAX / sizeof(simdnorm_moments))
        return SIMDNORM_ERR_SHAPE;
    const size_t bytes = c * sizeof(simdnorm_moments);
    if ((uintptr_t)a > UINTPTR_MAX - bytes || (uintptr_t)b > UINTPTR_MAX - bytes ||
        (uintptr_t)out > UINTPTR_MAX - bytes)
        return SIMDNORM_ERR_SHAPE;
    if (partial_overlap(out, a, bytes) || partial_overlap(out, b, bytes))
        return SIMDNORM_ERR_OVERLAP;
    for (size_t i = 0; i < c; i++)
        if (!(isfinite(a[i].count) && a[i].count >= 0.0 && isfinite(b[i].count) &&
              b[i].count >= 0.0))
            return SIMDNORM_ERR_PARAM;
    const simdnorm_fpenv fe = simdnorm_fpenv_enter(); /* fpenv.h */
    for (size_t i = 0; i < c; i++) {
        const simdnorm_moments ai = a[i], bi = b[i]; /* out may be a or b */
        simdnorm_moments r;
        if (bi.count == 0.0) {
            r = ai;
        } else if (ai.count == 0.0) {
            r = bi;
        } else {
            double mean = ai.mean, m2 = ai.m2;
            simdnorm_bn_merge_slots(1, ai.count, bi.count, &mean, &m2, &bi.mean, &bi.m2);
            r.count = ai.count + bi.count;
            r.mean = mean;
            r.m2 = m2;
        }
        r.mean = simdnorm_canonical_nan_d(r.mean);
        r.m2 = simdnorm_canonical_nan_d(r.m2);
        out[i] = r;
    }
    simdnorm_fpenv_leave(fe);
    return SIMDNORM_OK;
}
