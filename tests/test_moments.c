/* test_moments.c - BatchNorm's sample tree and the mergeable moments API:
 * the tree's nodes, the moments against a recursive definition of the tree
 * built from single-sample moments and simdnorm_moments_merge, the split
 * invariance (every split of a batch by samples, reduced by the internal
 * node functions the MPI library uses, gives the single-process bits:
 * moments, training forward, backward), train_from_moments bit for bit the
 * plain training call, the merge API, errors, and accuracy against float64.
 * Every ISA this machine runs. */
#include "common.h"
#include "internal.h"

static int same_bits(const void *a, const void *b, size_t bytes) { return memcmp(a, b, bytes) == 0; }

/* Inputs: kind 0 normal around 0.5, 1 offset 1e6 std 1, 2 with +Inf, -Inf
 * and NaN in some channels. */
static void fill(float *x, size_t total, int kind)
{
    for (size_t i = 0; i < total; i++)
        x[i] = kind == 1 ? (float)(1e6 + rng_normal()) : (float)(0.5 + 2.0 * rng_normal());
    if (kind == 2 && total > 20) {
        x[3] = INFINITY;
        x[total / 2] = -INFINITY;
        x[total - 5] = NAN;
    }
}

typedef struct bshape {
    size_t n, c, sp;
} bshape;
/* From {4096, ...}: one block exactly; the rest are cut into blocks (more
 * than SIMDNORM_BN_BLOCK samples), 8192 into two whole ones. */
static const bshape shapes[] = {{1, 3, 7},    {2, 5, 1},    {3, 4, 9},   {5, 3, 300},
                                {13, 7, 1},   {17, 2, 40},  {33, 9, 3},  {8, 300, 2},
                                {6, 3, 600},  {70, 2, 1},   {4096, 2, 1}, {4097, 2, 1},
                                {8192, 2, 1}, {4500, 3, 1}, {4200, 2, 3}, {9000, 2, 1}};
#define N_SHAPES (sizeof shapes / sizeof *shapes)

/* ---- the tree's nodes ---------------------------------------------------- */

static void test_tree_nodes(void)
{
    h_begin("tree_nodes_match_walk");
    for (size_t g0 = 0; g0 < 70; g0++)
        for (size_t n = 0; n < 70; n++) {
            simdnorm_tree t;
            t.top = 0;
            size_t maxtop = 0;
            for (size_t i = 0; i < n; i++) {
                (void)simdnorm_tree_push(&t, g0 + i, 0);
                if (t.top > maxtop)
                    maxtop = t.top;
            }
            size_t first[SIMDNORM_TREE_MAX];
            unsigned char level[SIMDNORM_TREE_MAX];
            const size_t k = simdnorm_tree_nodes(g0, n, first, level);
            CHECK(k == t.top, "g0 %zu n %zu: %zu nodes, walk %zu", g0, n, k, t.top);
            CHECK(maxtop + 1 <= simdnorm_tree_height(g0, n) || n == 0,
                  "g0 %zu n %zu: height %zu < %zu", g0, n, simdnorm_tree_height(g0, n), maxtop + 1);
            size_t p = g0;
            for (size_t i = 0; i < k && i < t.top; i++) {
                CHECK(first[i] == t.first[i] && level[i] == t.level[i], "g0 %zu n %zu node %zu",
                      g0, n, i);
                CHECK(first[i] == p && first[i] % ((size_t)1 << level[i]) == 0,
                      "g0 %zu n %zu: node %zu not aligned/contiguous", g0, n, i);
                p += (size_t)1 << level[i];
            }
            CHECK(p == g0 + n, "g0 %zu n %zu: nodes cover to %zu", g0, n, p);
        }
    h_end();
}

/* ---- the blocks' binned sums ------------------------------------------------ */

static int same_binned(const simdnorm_binned *a, const simdnorm_binned *b)
{
    return same_bits(a, b, sizeof *a);
}

/* Values over a wide range of exponents (the window drops some of the
 * smallest), summed in order, shuffled, and split into pieces merged in
 * another order: the same bits every time. Values within the window: the
 * sum is exact (against a 128-bit integer sum), rounded once. Non-finite
 * values: NaN, or the infinity, as IEEE addition would give. */
static void test_binned(void)
{
    h_begin("binned_sum_order_independent_exact");
    enum { N = 2000 };
    static double v[N], w[N];
    simdnorm_binned a, b, parts[7];
    for (int trial = 0; trial < 20; trial++) {
        rng_seed(4000 + (size_t)trial);
        const int wide = trial % 2; /* exponents over +-200 (else a 60-bit range) */
        __int128 exact = 0;
        for (int i = 0; i < N; i++) {
            const int64_t m = (int64_t)(rng_u64() >> 11) * (rng_u64() & 1 ? 1 : -1); /* 53 bits */
            const int e = wide ? (int)(rng_u64() % 400) - 200 : (int)(rng_u64() % 8) - 60;
            v[i] = ldexp((double)m, e);
            if (!wide)
                exact += (__int128)m * ((__int128)1 << (e + 60)); /* units of 2^-60 */
        }
        simdnorm_binned_clear(&a);
        for (int i = 0; i < N; i++)
            simdnorm_binned_add(&a, v[i]);
        for (int rep = 0; rep < 3; rep++) {
            memcpy(w, v, sizeof v);
            for (int i = N - 1; i > 0; i--) { /* shuffle */
                const int j = (int)(rng_u64() % (uint64_t)(i + 1));
                const double t = w[i];
                w[i] = w[j];
                w[j] = t;
            }
            simdnorm_binned_clear(&b);
            for (int i = 0; i < N; i++)
                simdnorm_binned_add(&b, w[i]);
            CHECK(same_binned(&a, &b), "trial %d: shuffled order differs", trial);
            for (int p = 0; p < 7; p++)
                simdnorm_binned_clear(&parts[p]);
            for (int i = 0; i < N; i++)
                simdnorm_binned_add(&parts[rng_u64() % 7], w[i]);
            simdnorm_binned_clear(&b);
            for (int p = 5; p >= 1; p -= 2) /* the odd parts back to front */
                simdnorm_binned_merge(&b, &parts[p]);
            simdnorm_binned_merge(&parts[4], &parts[6]); /* the even ones as a tree */
            simdnorm_binned_merge(&parts[0], &parts[2]);
            simdnorm_binned_merge(&parts[4], &parts[0]);
            simdnorm_binned_merge(&b, &parts[4]);
            CHECK(same_binned(&a, &b), "trial %d: split and merged differs", trial);
        }
        if (!wide) {
            const double want = ldexp((double)exact, -60), got = simdnorm_binned_value(&a);
            CHECK(fabs(got - want) <= 0x1p-52 * fabs(want), "trial %d: sum %.17g want %.17g",
                  trial, got, want);
        }
    }
    /* non-finite: NaN, the infinity, or NaN for both infinities */
    static const struct {
        double add[3];
        double want;
    } nf[] = {{{1.0, INFINITY, 2.0}, INFINITY},  {{-INFINITY, 1.0, 0.0}, -INFINITY},
              {{INFINITY, -INFINITY, 1.0}, NAN}, {{NAN, 1.0, INFINITY}, NAN},
              {{0.0, -0.0, 0.0}, 0.0}};
    for (size_t t = 0; t < sizeof nf / sizeof *nf; t++) {
        simdnorm_binned_clear(&a);
        for (int i = 0; i < 3; i++)
            simdnorm_binned_add(&a, nf[t].add[i]);
        const double got = simdnorm_binned_value(&a);
        CHECK(nf[t].want != nf[t].want ? got != got : same_bits(&got, &nf[t].want, sizeof got),
              "non-finite case %zu: %g", t, got);
    }
    h_end();
}

/* ---- the moments against the tree's definition --------------------------- */

/* The moments of the aligned node [lo, lo + len) intersected with [0, n),
 * by its definition: a single sample's moments at a leaf, the merge of the
 * two halves above (an empty half: the identity). */
static void ref_node(simdnorm_layout lay, size_t n, size_t c, size_t sp, const float *x, size_t lo,
                     size_t len, simdnorm_moments *out)
{
    if (lo >= n) {
        memset(out, 0, c * sizeof *out);
        return;
    }
    if (len == 1) {
        CHECK(simdnorm_batch_norm_moments_f32(lay, 1, c, sp, x + lo * c * sp, out) == SIMDNORM_OK,
              "leaf");
        return;
    }
    simdnorm_moments *r = malloc(c * sizeof *r);
    ref_node(lay, n, c, sp, x, lo, len / 2, out);
    ref_node(lay, n, c, sp, x, lo + len / 2, len / 2, r);
    CHECK(simdnorm_moments_merge(c, out, r, out) == SIMDNORM_OK, "merge");
    free(r);
}

static void test_moments_tree(void)
{
    for (size_t ii = 0; ii < N_ARCH_ISAS; ii++) {
        if (!begin_isa_case("moments_follow_the_tree", arch_isas[ii]))
            continue;
        for (size_t s = 0; s < N_SHAPES; s++)
            for (int layout = 0; layout < 2; layout++)
                for (int kind = 0; kind < 3; kind++) {
                    const size_t n = shapes[s].n, c = shapes[s].c, sp = shapes[s].sp;
                    const simdnorm_layout lay = layout ? SIMDNORM_NHWC : SIMDNORM_NCHW;
                    rng_seed(100 + s * 5 + (size_t)kind);
                    float *x = malloc(n * c * sp * sizeof(float));
                    fill(x, n * c * sp, kind);
                    simdnorm_moments *m = malloc(c * sizeof *m), *r = malloc(c * sizeof *r);
                    CHECK(simdnorm_batch_norm_moments_f32(lay, n, c, sp, x, m) == SIMDNORM_OK,
                          "moments");
                    size_t len = 1;
                    while (len < n)
                        len *= 2;
                    if (simdnorm_bn_blocked(n)) {
                        /* the blocks' roots by the tree's definition, summed by
                         * the sink (its arithmetic: test_binned) */
                        simdnorm_bn_sink *k = malloc(c * sizeof *k);
                        double *bm = malloc(c * sizeof(double)), *bq = malloc(c * sizeof(double));
                        simdnorm_bn_sink_clear(c, k);
                        for (size_t lo = 0; lo < n; lo += SIMDNORM_BN_BLOCK) {
                            ref_node(lay, n, c, sp, x, lo, SIMDNORM_BN_BLOCK, r);
                            for (size_t ch = 0; ch < c; ch++) {
                                bm[ch] = r[ch].mean;
                                bq[ch] = r[ch].m2;
                            }
                            simdnorm_bn_sink_add(c, k, r[0].count, bm, bq);
                        }
                        simdnorm_bn_sink_moments(c, k, (double)(n * sp), bm, bq);
                        for (size_t ch = 0; ch < c; ch++)
                            r[ch] = (simdnorm_moments){(double)(n * sp), simdnorm_canonical_nan_d(bm[ch]),
                                                      simdnorm_canonical_nan_d(bq[ch])};
                        free(k), free(bm), free(bq);
                    } else {
                        ref_node(lay, n, c, sp, x, 0, len, r);
                    }
                    CHECK(same_bits(m, r, c * sizeof *m), "%zux%zux%zu %s kind %d: not the tree's",
                          n, c, sp, layout ? "nhwc" : "nchw", kind);
                    for (size_t ch = 0; ch < c; ch++)
                        CHECK(m[ch].count == (double)(n * sp), "count");
                    if (sp == 1 && kind != 2) /* 2-D leaves: {1, x, 0} */
                        for (size_t ch = 0; ch < c && n == 1; ch++)
                            CHECK(m[ch].mean == (double)x[ch] && m[ch].m2 == 0.0, "2-D leaf");
                    free(x);
                    free(m);
                    free(r);
                }
        h_end();
    }
}

/* ---- split invariance: what simdnorm_mpi does, in one process -------------- */

/* A split of n samples into k pieces (some empty), from the seed. */
static void make_split(size_t n, size_t k, size_t *cnt)
{
    size_t left = n;
    for (size_t r = 0; r + 1 < k; r++) {
        cnt[r] = rng_u64() % 3 == 0 ? 0 : (size_t)(rng_u64() % (left + 1));
        left -= cnt[r];
    }
    cnt[k - 1] = left;
}

static void test_split_invariance(void)
{
    for (size_t ii = 0; ii < N_ARCH_ISAS; ii++) {
        if (!begin_isa_case("split_by_samples_same_bits", arch_isas[ii]))
            continue;
        for (size_t s = 0; s < N_SHAPES; s++)
            for (int layout = 0; layout < 2; layout++)
                for (int kind = 0; kind < 3; kind++)
                    for (int trial = 0; trial < 3; trial++) {
                        const size_t n = shapes[s].n, c = shapes[s].c, sp = shapes[s].sp;
                        const size_t total = n * c * sp, per = c * sp;
                        const simdnorm_layout lay = layout ? SIMDNORM_NHWC : SIMDNORM_NCHW;
                        rng_seed(300 + s * 11 + (size_t)kind * 3 + (size_t)trial);
                        float *x = malloc(total * sizeof(float)), *dy = malloc(total * sizeof(float));
                        fill(x, total, kind);
                        fill(dy, total, 0);
                        float *g = malloc(c * sizeof(float)), *b = malloc(c * sizeof(float));
                        float *rm = malloc(c * sizeof(float)), *rv = malloc(c * sizeof(float));
                        for (size_t j = 0; j < c; j++) {
                            g[j] = (float)(0.5 + rng_unif());
                            b[j] = (float)rng_normal();
                            rm[j] = (float)rng_normal();
                            rv[j] = (float)(0.5 + rng_unif());
                        }
                        /* single process */
                        float *y1 = malloc(total * sizeof(float)), *dx1 = malloc(total * sizeof(float));
                        float *sm1 = malloc(c * sizeof(float)), *sr1 = malloc(c * sizeof(float));
                        float *rm1 = malloc(c * sizeof(float)), *rv1 = malloc(c * sizeof(float));
                        float *dg1 = malloc(c * sizeof(float)), *db1 = malloc(c * sizeof(float));
                        memcpy(rm1, rm, c * sizeof(float));
                        memcpy(rv1, rv, c * sizeof(float));
                        const int train_ok = n * sp >= 2;
                        if (train_ok) {
                            CHECK(simdnorm_batch_norm_train_f32(lay, n, c, sp, x, g, b, 1e-5f, 0.1f,
                                                                rm1, rv1, y1, sm1, sr1) == SIMDNORM_OK,
                                  "train");
                            CHECK(simdnorm_batch_norm_bwd_f32(lay, n, c, sp, dy, x, g, sm1, sr1, 1,
                                                              dx1, dg1, db1) == SIMDNORM_OK,
                                  "bwd");
                        }
                        simdnorm_moments *m1 = malloc(c * sizeof *m1);
                        CHECK(simdnorm_batch_norm_moments_f32(lay, n, c, sp, x, m1) == SIMDNORM_OK,
                              "moments");
                        /* pieces: nodes of each, concatenated, folded */
                        size_t cnt[5];
                        const size_t k = 1 + (size_t)trial * 2; /* 1, 3, 5 pieces */
                        make_split(n, k, cnt);
                        if (trial == 1 && n > SIMDNORM_BN_BLOCK) { /* a cut on a block's edge */
                            cnt[0] = SIMDNORM_BN_BLOCK;
                            cnt[1] = 0;
                            cnt[2] = n - SIMDNORM_BN_BLOCK;
                        }
                        const size_t maxnodes = k * SIMDNORM_TREE_MAX;
                        double *mean = malloc(maxnodes * c * sizeof(double));
                        double *m2 = malloc(maxnodes * c * sizeof(double));
                        double *q1 = malloc(maxnodes * c * sizeof(double));
                        double *q2 = malloc(maxnodes * c * sizeof(double));
                        size_t *first = malloc(maxnodes * sizeof(size_t));
                        unsigned char *level = malloc(maxnodes);
                        /* a blocked batch: each piece's sink, merged in reverse
                         * order (the sum is exact: the order is free) */
                        const int blocked = simdnorm_bn_blocked(n);
                        simdnorm_bn_sink *ks = malloc(2 * c * sizeof *ks);
                        simdnorm_bn_sums_sink *ks2 = malloc(2 * c * sizeof *ks2);
                        simdnorm_bn_sink_clear(c, ks);
                        simdnorm_bn_sums_sink_clear(c, ks2);
                        size_t nodes = 0, g0 = 0;
                        for (size_t r = 0; r < k; r++) {
                            if (cnt[r] || blocked) {
                                const size_t got = simdnorm_bn_node_moments(
                                    0, lay, cnt[r], c, sp, cnt[r] ? x + g0 * per : NULL, g0, n,
                                    mean + nodes * c, m2 + nodes * c, ks + c);
                                size_t got2 = got;
                                if (train_ok) {
                                    /* the walk's scratch exactly as large as the
                                     * bound says (ASan: nothing past it) */
                                    const size_t sb =
                                        simdnorm_bn_node_sums_scratch(lay, cnt[r], c, sp);
                                    void *scr = sb ? malloc(sb) : NULL;
                                    got2 = simdnorm_bn_node_sums(
                                        0, lay, cnt[r], c, sp, cnt[r] ? dy + g0 * per : NULL,
                                        cnt[r] ? x + g0 * per : NULL, sm1, sr1, g0, n,
                                        q1 + nodes * c, q2 + nodes * c, ks2 + c, scr);
                                    free(scr);
                                }
                                const size_t want = simdnorm_tree_nodes_capped(
                                    g0, cnt[r], blocked, first + nodes, level + nodes);
                                CHECK(got == want && got2 == want, "node count");
                                nodes += want;
                                if (blocked) {
                                    simdnorm_bn_sink_merge(c, ks + c, ks);
                                    memcpy(ks, ks + c, c * sizeof *ks);
                                    if (train_ok) {
                                        simdnorm_bn_sums_sink_merge(c, ks2 + c, ks2);
                                        memcpy(ks2, ks2 + c, c * sizeof *ks2);
                                    }
                                }
                            }
                            g0 += cnt[r];
                        }
                        simdnorm_bn_fold_node_moments(nodes, first, level, c, sp, mean, m2,
                                                      blocked ? ks : NULL, n);
                        for (size_t ch = 0; ch < c; ch++) {
                            CHECK(same_bits(&(double){simdnorm_canonical_nan_d(mean[ch])},
                                            &m1[ch].mean, sizeof(double)) &&
                                      same_bits(&(double){simdnorm_canonical_nan_d(m2[ch])},
                                                &m1[ch].m2, sizeof(double)),
                                  "%zux%zux%zu %s kind %d split %zu: moments of channel %zu differ",
                                  n, c, sp, layout ? "nhwc" : "nchw", kind, k, ch);
                        }
                        if (train_ok) {
                            simdnorm_bn_fold_node_sums(nodes, first, level, c, q1, q2,
                                                       blocked ? ks2 : NULL);
                            simdnorm_moments *mm = malloc(c * sizeof *mm);
                            for (size_t ch = 0; ch < c; ch++)
                                mm[ch] = (simdnorm_moments){(double)(n * sp), mean[ch], m2[ch]};
                            float *y2 = malloc(total * sizeof(float)), *dx2 = malloc(total * sizeof(float));
                            g0 = 0;
                            for (size_t r = 0; r < k; r++) {
                                float sm[512], sr[512], rm2[512], rv2[512], dg2[512], db2[512];
                                memcpy(rm2, rm, c * sizeof(float));
                                memcpy(rv2, rv, c * sizeof(float));
                                CHECK(simdnorm_batch_norm_train_from_moments_f32(
                                          lay, cnt[r], c, sp, cnt[r] ? x + g0 * per : NULL, mm, g,
                                          b, 1e-5f, 0.1f, rm2, rv2, cnt[r] ? y2 + g0 * per : NULL,
                                          sm, sr) == SIMDNORM_OK,
                                      "from_moments");
                                CHECK(same_bits(sm, sm1, c * 4) && same_bits(sr, sr1, c * 4) &&
                                          same_bits(rm2, rm1, c * 4) && same_bits(rv2, rv1, c * 4),
                                      "%zux%zux%zu %s kind %d split %zu: piece %zu saved/running",
                                      n, c, sp, layout ? "nhwc" : "nchw", kind, k, r);
                                CHECK(simdnorm_bn_bwd_from_sums(0, lay, cnt[r], c, sp, (double)(n * sp),
                                                                dy + g0 * per, x + g0 * per, g,
                                                                sm1, sr1, q1, q2, dx2 + g0 * per,
                                                                dg2, db2) == SIMDNORM_OK,
                                      "bwd_from_sums");
                                CHECK(same_bits(dg2, dg1, c * 4) && same_bits(db2, db1, c * 4),
                                      "%zux%zux%zu %s kind %d split %zu: piece %zu dgamma/dbeta",
                                      n, c, sp, layout ? "nhwc" : "nchw", kind, k, r);
                                g0 += cnt[r];
                            }
                            CHECK(same_bits(y2, y1, total * 4), "%zux%zux%zu %s kind %d split %zu: y",
                                  n, c, sp, layout ? "nhwc" : "nchw", kind, k);
                            CHECK(same_bits(dx2, dx1, total * 4),
                                  "%zux%zux%zu %s kind %d split %zu: dx", n, c, sp,
                                  layout ? "nhwc" : "nchw", kind, k);
                            free(mm);
                            free(y2);
                            free(dx2);
                        }
                        free(ks), free(ks2);
                        free(x), free(dy), free(g), free(b), free(rm), free(rv);
                        free(y1), free(dx1), free(sm1), free(sr1), free(rm1), free(rv1);
                        free(dg1), free(db1), free(m1);
                        free(mean), free(m2), free(q1), free(q2), free(first), free(level);
                    }
        h_end();
    }
}

/* ---- train_from_moments(x, moments_of(x)) == train(x) --------------------- */

static void test_from_moments_bitwise(void)
{
    for (size_t ii = 0; ii < N_ARCH_ISAS; ii++) {
        if (!begin_isa_case("train_from_moments_equals_train", arch_isas[ii]))
            continue;
        for (size_t s = 0; s < N_SHAPES; s++)
            for (int layout = 0; layout < 2; layout++)
                for (int v = 0; v < 4; v++) {
                    const size_t n = shapes[s].n, c = shapes[s].c, sp = shapes[s].sp;
                    const size_t total = n * c * sp;
                    if (n * sp < 2)
                        continue;
                    const simdnorm_layout lay = layout ? SIMDNORM_NHWC : SIMDNORM_NCHW;
                    rng_seed(900 + s * 3 + (size_t)v);
                    float *x = malloc(total * sizeof(float));
                    fill(x, total, v == 3 ? 2 : v);
                    float *y1 = malloc(total * 4), *y2 = malloc(total * 4);
                    float st[8][512];
                    for (size_t j = 0; j < c; j++) {
                        st[0][j] = (float)(0.5 + rng_unif());
                        st[1][j] = (float)rng_normal();
                        st[2][j] = st[4][j] = (float)rng_normal();
                        st[3][j] = st[5][j] = (float)(0.5 + rng_unif());
                    }
                    const float *gp = v & 1 ? st[0] : NULL, *bp = v & 2 ? st[1] : NULL;
                    const int run = v != 1;
                    simdnorm_moments *m = malloc(c * sizeof *m);
                    CHECK(simdnorm_batch_norm_train_f32(lay, n, c, sp, x, gp, bp, 1e-3f, 0.25f,
                                                        run ? st[2] : NULL, run ? st[3] : NULL, y1,
                                                        st[6], st[7]) == SIMDNORM_OK,
                          "train");
                    float sm[512], sr[512];
                    CHECK(simdnorm_batch_norm_moments_f32(lay, n, c, sp, x, m) == SIMDNORM_OK, "m");
                    CHECK(simdnorm_batch_norm_train_from_moments_f32(
                              lay, n, c, sp, x, m, gp, bp, 1e-3f, 0.25f, run ? st[4] : NULL,
                              run ? st[5] : NULL, y2, sm, sr) == SIMDNORM_OK,
                          "from_moments");
                    CHECK(same_bits(y1, y2, total * 4) && same_bits(sm, st[6], c * 4) &&
                              same_bits(sr, st[7], c * 4),
                          "%zux%zux%zu %s v%d: y/saved differ", n, c, sp, layout ? "nhwc" : "nchw", v);
                    CHECK(!run || (same_bits(st[2], st[4], c * 4) && same_bits(st[3], st[5], c * 4)),
                          "running differ");
                    /* in place */
                    memcpy(y2, x, total * 4);
                    CHECK(simdnorm_batch_norm_train_from_moments_f32(lay, n, c, sp, y2, m, gp, bp,
                                                                     1e-3f, 0.25f, NULL, NULL, y2,
                                                                     NULL, NULL) == SIMDNORM_OK,
                          "in place");
                    CHECK(same_bits(y1, y2, total * 4), "in place differs");
                    free(x), free(y1), free(y2), free(m);
                }
        /* threads: the NHWC statistics split by samples over threads */
        {
            const size_t n = 16, c = 64, sp = 1024, total = n * c * sp;
            float *x = malloc(total * 4), *y = malloc(total * 4);
            rng_seed(77);
            fill(x, total, 1);
            simdnorm_moments m1[64], m2[64];
            float sm1[64], sm2[64];
            simdnorm_set_num_threads(1);
            CHECK(simdnorm_batch_norm_moments_f32(SIMDNORM_NHWC, n, c, sp, x, m1) == SIMDNORM_OK, "m");
            CHECK(simdnorm_batch_norm_train_f32(SIMDNORM_NHWC, n, c, sp, x, NULL, NULL, 1e-5f, 0.1f,
                                                NULL, NULL, y, sm1, NULL) == SIMDNORM_OK, "t");
            simdnorm_set_num_threads(3);
            CHECK(simdnorm_batch_norm_moments_f32(SIMDNORM_NHWC, n, c, sp, x, m2) == SIMDNORM_OK, "m");
            CHECK(simdnorm_batch_norm_train_f32(SIMDNORM_NHWC, n, c, sp, x, NULL, NULL, 1e-5f, 0.1f,
                                                NULL, NULL, y, sm2, NULL) == SIMDNORM_OK, "t");
            simdnorm_set_num_threads(1);
            CHECK(same_bits(m1, m2, sizeof m1) && same_bits(sm1, sm2, sizeof sm1),
                  "thread count changed the moments");
            free(x), free(y);
        }
        h_end();
    }
}

/* ---- the merge API ------------------------------------------------------- */

static void test_merge_api(void)
{
    h_begin("moments_merge");
    const size_t c = 4, sp = 5;
    float x[(8 + 5) * 4 * 5];
    rng_seed(4242);
    fill(x, sizeof x / sizeof *x, 0);
    for (int layout = 0; layout < 2; layout++) {
        const simdnorm_layout lay = layout ? SIMDNORM_NHWC : SIMDNORM_NCHW;
        for (size_t mm = 1; mm <= 5; mm++) { /* 8 samples then mm <= 8: a tree node */
            simdnorm_moments a[4], b[4], all[4], out[4];
            CHECK(simdnorm_batch_norm_moments_f32(lay, 8, c, sp, x, a) == SIMDNORM_OK, "a");
            CHECK(simdnorm_batch_norm_moments_f32(lay, mm, c, sp, x + 8 * c * sp, b) == SIMDNORM_OK,
                  "b");
            CHECK(simdnorm_batch_norm_moments_f32(lay, 8 + mm, c, sp, x, all) == SIMDNORM_OK, "all");
            CHECK(simdnorm_moments_merge(c, a, b, out) == SIMDNORM_OK, "merge");
            CHECK(same_bits(out, all, sizeof out), "2^k + %zu samples: merge is not the root", mm);
            /* aliasing */
            simdnorm_moments a2[4], b2[4];
            memcpy(a2, a, sizeof a);
            memcpy(b2, b, sizeof b);
            CHECK(simdnorm_moments_merge(c, a2, b, a2) == SIMDNORM_OK && same_bits(a2, all, sizeof a2),
                  "out == a");
            CHECK(simdnorm_moments_merge(c, a, b2, b2) == SIMDNORM_OK && same_bits(b2, all, sizeof b2),
                  "out == b");
            /* identity */
            simdnorm_moments e[4];
            CHECK(simdnorm_batch_norm_moments_f32(lay, 0, c, sp, NULL, e) == SIMDNORM_OK, "empty");
            CHECK(e[0].count == 0.0 && e[0].mean == 0.0 && e[0].m2 == 0.0, "empty moments");
            CHECK(simdnorm_moments_merge(c, e, b, out) == SIMDNORM_OK && same_bits(out, b, sizeof b),
                  "empty left");
            CHECK(simdnorm_moments_merge(c, a, e, out) == SIMDNORM_OK && same_bits(out, a, sizeof a),
                  "empty right");
        }
    }
    /* errors: nothing written */
    simdnorm_moments a[4] = {{2, 1, 1}, {2, 1, 1}, {2, 1, 1}, {2, 1, 1}}, b[4], o[4];
    memcpy(b, a, sizeof a);
    memset(o, 0x5a, sizeof o);
    simdnorm_moments o0[4];
    memcpy(o0, o, sizeof o);
    CHECK(simdnorm_moments_merge(4, NULL, b, o) == SIMDNORM_ERR_NULL, "NULL a");
    CHECK(simdnorm_moments_merge(4, a, b, NULL) == SIMDNORM_ERR_NULL, "NULL out");
    b[2].count = -1.0;
    CHECK(simdnorm_moments_merge(4, a, b, o) == SIMDNORM_ERR_PARAM, "negative count");
    b[2].count = NAN;
    CHECK(simdnorm_moments_merge(4, a, b, o) == SIMDNORM_ERR_PARAM, "NaN count");
    CHECK(same_bits(o, o0, sizeof o), "written on error");
    b[2].count = 2.0;
    CHECK(simdnorm_moments_merge(3, a, b, a + 1) == SIMDNORM_ERR_OVERLAP, "partial overlap");
    CHECK(simdnorm_moments_merge(0, NULL, NULL, NULL) == SIMDNORM_OK, "c == 0");
    h_end();
}

/* ---- errors of the moments and from-moments functions ---------------------- */

static void test_errors(void)
{
    h_begin("moments_errors_write_nothing");
    enum { N = 2, C = 3, S = 4, T = N * C * S };
    float x[T], y[T], y0[T], sm[C], sr[C], rm[C], rv[C];
    rng_seed(5);
    fill(x, T, 0);
    for (int i = 0; i < T; i++)
        y[i] = y0[i] = from_bits(SENTINEL_BITS);
    for (int i = 0; i < C; i++)
        sm[i] = sr[i] = rm[i] = rv[i] = from_bits(SENTINEL_BITS);
    simdnorm_moments m[C];
    CHECK(simdnorm_batch_norm_moments_f32(SIMDNORM_NCHW, N, C, S, x, m) == SIMDNORM_OK, "m");
    const simdnorm_layout L = SIMDNORM_NCHW;
#define FM(...) simdnorm_batch_norm_train_from_moments_f32(__VA_ARGS__)
    CHECK(FM(L, N, C, S, x, NULL, NULL, NULL, 1e-5f, 0.1f, NULL, NULL, y, sm, sr) == SIMDNORM_ERR_NULL,
          "m NULL");
    CHECK(FM(L, N, C, S, NULL, m, NULL, NULL, 1e-5f, 0.1f, NULL, NULL, y, sm, sr) == SIMDNORM_ERR_NULL,
          "x NULL");
    CHECK(FM(L, N, C, S, x, m, NULL, NULL, 1e-5f, 0.1f, rm, NULL, y, sm, sr) == SIMDNORM_ERR_NULL,
          "running half");
    CHECK(FM(L, N, C, S, x, m, NULL, NULL, -1.0f, 0.1f, NULL, NULL, y, sm, sr) == SIMDNORM_ERR_PARAM,
          "eps");
    CHECK(FM(L, N, C, S, x, m, NULL, NULL, 1e-5f, 1.5f, NULL, NULL, y, sm, sr) == SIMDNORM_ERR_PARAM,
          "momentum");
    CHECK(FM((simdnorm_layout)7, N, C, S, x, m, NULL, NULL, 1e-5f, 0.1f, NULL, NULL, y, sm, sr) ==
              SIMDNORM_ERR_PARAM, "layout");
    simdnorm_moments bad[C];
    memcpy(bad, m, sizeof m);
    bad[1].count = 0.5;
    CHECK(FM(L, N, C, S, x, bad, NULL, NULL, 1e-5f, 0.1f, NULL, NULL, y, sm, sr) == SIMDNORM_ERR_PARAM,
          "count < 1");
    bad[1].count = INFINITY;
    CHECK(FM(L, N, C, S, x, bad, NULL, NULL, 1e-5f, 0.1f, NULL, NULL, y, sm, sr) == SIMDNORM_ERR_PARAM,
          "count Inf");
    bad[1].count = 1.0;
    CHECK(FM(L, N, C, S, x, bad, NULL, NULL, 1e-5f, 0.1f, rm, rv, y, sm, sr) == SIMDNORM_ERR_SHAPE,
          "count 1 with running stats");
    CHECK(FM(L, N, C, S, x, m, NULL, NULL, 1e-5f, 0.1f, NULL, NULL, y, (float *)(void *)m, sr) ==
              SIMDNORM_ERR_OVERLAP, "save_mean on the moments");
    CHECK(FM(L, N, C, S, x, m, NULL, NULL, 1e-5f, 0.1f, NULL, NULL, x + 1, sm, sr) ==
              SIMDNORM_ERR_OVERLAP, "y on x, shifted");
    CHECK(same_bits(y, y0, sizeof y), "y written on error");
    for (int i = 0; i < C; i++)
        CHECK(fbits(sm[i]) == SENTINEL_BITS && fbits(sr[i]) == SENTINEL_BITS &&
                  fbits(rm[i]) == SENTINEL_BITS && fbits(rv[i]) == SENTINEL_BITS,
              "stats written on error");
    /* n == 0: statistics only, x and y may be NULL */
    for (int i = 0; i < C; i++)
        rm[i] = rv[i] = 1.0f;
    CHECK(FM(L, 0, C, S, NULL, m, NULL, NULL, 1e-5f, 0.1f, rm, rv, NULL, sm, sr) == SIMDNORM_OK,
          "n == 0");
    float smw[C], srw[C], rmw[C], rvw[C];
    for (int i = 0; i < C; i++)
        rmw[i] = rvw[i] = 1.0f;
    CHECK(FM(L, N, C, S, x, m, NULL, NULL, 1e-5f, 0.1f, rmw, rvw, y, smw, srw) == SIMDNORM_OK, "n");
    CHECK(same_bits(sm, smw, sizeof sm) && same_bits(sr, srw, sizeof sr) &&
              same_bits(rm, rmw, sizeof rm) && same_bits(rv, rvw, sizeof rv),
          "n == 0 statistics differ");
#undef FM
    /* moments_f32 */
    simdnorm_moments mo[C];
    memset(mo, 0x5a, sizeof mo);
    simdnorm_moments mo0[C];
    memcpy(mo0, mo, sizeof mo);
    CHECK(simdnorm_batch_norm_moments_f32(L, N, C, S, NULL, mo) == SIMDNORM_ERR_NULL, "x NULL");
    CHECK(simdnorm_batch_norm_moments_f32(L, N, C, S, x, NULL) == SIMDNORM_ERR_NULL, "m NULL");
    CHECK(simdnorm_batch_norm_moments_f32((simdnorm_layout)2, N, C, S, x, mo) == SIMDNORM_ERR_PARAM,
          "layout");
    CHECK(simdnorm_batch_norm_moments_f32(L, N, C, S, x, (simdnorm_moments *)(void *)(x + 2)) ==
              SIMDNORM_ERR_OVERLAP, "m on x");
    CHECK(simdnorm_batch_norm_moments_f32(L, SIZE_MAX / 2, C, S, x, mo) == SIMDNORM_ERR_SHAPE,
          "size overflow");
    CHECK(same_bits(mo, mo0, sizeof mo), "moments written on error");
    h_end();
}

/* ---- accuracy against float64 --------------------------------------------- */

static void test_accuracy(void)
{
    for (size_t ii = 0; ii < N_ARCH_ISAS; ii++) {
        if (!begin_isa_case("moments_accuracy_float64", arch_isas[ii]))
            continue;
        static const bshape acc[] = {{64, 3, 1},  {37, 2, 300}, {8, 2, 4099},
                                     {300, 2, 1}, {9000, 2, 1}, {4200, 2, 3}};
        for (size_t s = 0; s < sizeof acc / sizeof *acc; s++)
            for (int layout = 0; layout < 2; layout++)
                for (int kind = 0; kind < 2; kind++) {
                    const size_t n = acc[s].n, c = acc[s].c, sp = acc[s].sp, total = n * c * sp;
                    const simdnorm_layout lay = layout ? SIMDNORM_NHWC : SIMDNORM_NCHW;
                    rng_seed(1234 + s + (size_t)kind);
                    float *x = malloc(total * 4);
                    fill(x, total, kind);
                    simdnorm_moments m[3];
                    CHECK(simdnorm_batch_norm_moments_f32(lay, n, c, sp, x, m) == SIMDNORM_OK, "m");
                    for (size_t ch = 0; ch < c; ch++) {
                        long double sum = 0, ss = 0;
                        for (size_t i = 0; i < n; i++)
                            for (size_t p = 0; p < sp; p++)
                                sum += x[layout ? (i * sp + p) * c + ch : (i * c + ch) * sp + p];
                        const long double mean = sum / (long double)(n * sp);
                        for (size_t i = 0; i < n; i++)
                            for (size_t p = 0; p < sp; p++) {
                                const long double d =
                                    x[layout ? (i * sp + p) * c + ch : (i * c + ch) * sp + p] - mean;
                                ss += d * d;
                            }
                        const double sd = sqrt((double)(ss / (long double)(n * sp)));
                        /* the contract's 1e-6 (DESIGN §4.2) with a margin: the
                         * double statistics feed float outputs */
                        CHECK(fabs(m[ch].mean - (double)mean) <= 1e-7 * fmax(fabs((double)mean), sd),
                              "%zux%zux%zu kind %d: mean %.17g want %.17g", n, c, sp, kind,
                              m[ch].mean, (double)mean);
                        CHECK(fabs(m[ch].m2 - (double)ss) <= 1e-7 * (double)ss,
                              "%zux%zux%zu kind %d: m2 %.17g want %.17g", n, c, sp, kind, m[ch].m2,
                              (double)ss);
                    }
                    free(x);
                }
        h_end();
    }
}

int main(void)
{
    test_tree_nodes();
    test_binned();
    test_moments_tree();
    test_split_invariance();
    test_from_moments_bitwise();
    test_merge_api();
    test_errors();
    test_accuracy();
    return h_summary();
}
