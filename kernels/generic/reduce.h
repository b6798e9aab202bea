/* reduce.h - the fast reductions' lane sums of one span, written once for
 * every ISA against its vector header: the f32_moments / f32_sumsq kernels
 * (generic/moments.c) and the row engine (generic/rows.c) inline them.
 * Include after the vector header, generic/lanes.h and generic/storage.h
 * (x is of the build's storage type, widened in registers). */
#ifndef SIMDNORM_GENERIC_REDUCE_H
#define SIMDNORM_GENERIC_REDUCE_H

/* Rounds in flight: each round's float lane sums start from +0, so R
 * consecutive full rounds are R independent sets of chains; they are
 * computed interleaved (R times the chains for the out-of-order core: a
 * long row's reduction is otherwise bound by the add/FMA latency) and
 * flushed into the double lanes one after another, in round order - the
 * same operations in the same order as one round at a time, the same bits.
 * The vector header sets R where its registers hold them (default 1). */
#ifndef VF_MOMENTS_ROUNDS
#define VF_MOMENTS_ROUNDS 1
#endif
#ifndef VF_SUMSQ_ROUNDS
#define VF_SUMSQ_ROUNDS 1
#endif

/* Pairs (storage.h, VX_HAS_PAIR): a full step of LANE_VF vectors is read as
 * LANE_VF / 2 pairs, pair k into registers 2k and 2k + 1 in the header's
 * pair order - every lane still sums its own elements in order, only its
 * register position differs - and steps_to_elements puts registers 2k,
 * 2k + 1 back in element order before the partial step and the flush: the
 * same operations, the same bits. */
#if VX_HAS_PAIR
_Static_assert(LANE_VF % 2 == 0, "pairs fill whole register pairs");
#endif

/* The registers of full steps in element order (a no-op without pairs). */
static ALWAYS_INLINE void steps_to_elements(vf v[LANE_VF])
{
#if VX_HAS_PAIR
#pragma GCC unroll 32
    for (size_t j = 0; j < LANE_VF; j += 2)
        vf_pair_to_elements(&v[j], &v[j + 1]);
#else
    (void)v;
#endif
}

/* One full step (SIMDNORM_LANES elements at x) of the fast moments into
 * p (sum of d = x - shift, nk = -shift) and r (sum of d^2), by vectors or
 * by pairs: the registers' lane order is then the pair order until
 * steps_to_elements. */
static ALWAYS_INLINE void moments_step(const sx *x, vf nk, vf p[LANE_VF], vf r[LANE_VF])
{
#if VX_HAS_PAIR
#pragma GCC unroll 32
    for (size_t j = 0; j < LANE_VF; j += 2) {
        vf a, b;
        vx_load_pair(x + j * VF_N, &a, &b);
        const vf da = vf_addk(a, nk), db = vf_addk(b, nk);
        p[j] = vf_add(p[j], da);
        r[j] = vf_fma(da, da, r[j]);
        p[j + 1] = vf_add(p[j + 1], db);
        r[j + 1] = vf_fma(db, db, r[j + 1]);
    }
#else
#pragma GCC unroll 32
    for (size_t j = 0; j < LANE_VF; j++) {
        const vf d = vf_addk(vx_loadu(x + j * VF_N), nk);
        p[j] = vf_add(p[j], d);
        r[j] = vf_fma(d, d, r[j]);
    }
#endif
}

/* One full step of the fast sum of squares into r, as moments_step. */
static ALWAYS_INLINE void sumsq_step(const sx *x, vf r[LANE_VF])
{
#if VX_HAS_PAIR
#pragma GCC unroll 32
    for (size_t j = 0; j < LANE_VF; j += 2) {
        vf a, b;
        vx_load_pair(x + j * VF_N, &a, &b);
        r[j] = vf_fma(a, a, r[j]);
        r[j + 1] = vf_fma(b, b, r[j + 1]);
    }
#else
#pragma GCC unroll 32
    for (size_t j = 0; j < LANE_VF; j++) {
        const vf v = vx_loadu(x + j * VF_N);
        r[j] = vf_fma(v, v, r[j]);
    }
#endif
}

/* One round [i, end) (0 < end - i <= ROUND_ELEMS) of the fast moments:
 * float lane sums of d = x - shift (p) and d^2 (r, fmaf), flushed into the
 * double lanes s, q (first: assigned; a constant where it is inlined). In
 * the partial last step d is forced to +0 in absent lanes (adding +0 leaves
 * a lane sum that started at +0 unchanged). */
static ALWAYS_INLINE void moments_round(const sx *x, size_t i, size_t end, vf nk,
                                        vd s[LANE_VD], vd q[LANE_VD], int first)
{
    vf p[LANE_VF], r[LANE_VF];
#pragma GCC unroll 32
    for (size_t j = 0; j < LANE_VF; j++)
        p[j] = r[j] = vf_zero();
    for (; i + SIMDNORM_LANES <= end; i += SIMDNORM_LANES)
        moments_step(x + i, nk, p, r);
    steps_to_elements(p);
    steps_to_elements(r);
    if (i < end) {
        const size_t rem = end - i;
#pragma GCC unroll 32
        for (size_t j = 0; j < LANE_VF; j++) {
            const size_t c = lanes_in_reg(j, rem, VF_N);
            if (c == 0)
                break;
            const vf v = c == VF_N ? vx_loadu(x + i + j * VF_N) : vx_load_part(x + i + j * VF_N, c);
            const vf d = vf_keep_first(vf_addk(v, nk), c);
            p[j] = vf_add(p[j], d);
            r[j] = vf_fma(d, d, r[j]);
        }
    }
    lanes_flush(p, s, first);
    lanes_flush(r, q, first);
}

/* The fast family's lane sums of one span (n >= 1): s (sum d), q (sum d^2)
 * with d = x - shift in float (vf_addk of -shift: the same rounding; on
 * x86 on the FMA pipes, which leaves the adders the sums and flushes), per
 * round in float, into double lanes. The
 * first round is peeled (it assigns the double lanes), then full rounds
 * VF_MOMENTS_ROUNDS at a time where interleave, then the rest one by one.
 * interleave 0 reads x in order, one round at a time - the same bits - for
 * spans that come from memory: the interleaved rounds read R places 1 KiB
 * apart at once, which the hardware prefetchers do not follow (Zen 5,
 * LayerNorm of 4096-float rows at 64 MiB, AVX-512: 0.38 of the copy limit
 * interleaved, 0.64 in order, as AVX2 whose moments do not interleave;
 * commit 8f28df4). In cache the interleaved form is the fast one. */
static ALWAYS_INLINE void moments_lanes_with(size_t n, const sx *x, float shift, vd s[LANE_VD],
                                             vd q[LANE_VD], int interleave)
{
    (void)interleave;
    const vf nk = vf_set1(-shift);
    size_t i = n < ROUND_ELEMS ? n : ROUND_ELEMS;
    moments_round(x, 0, i, nk, s, q, 1);
#if VF_MOMENTS_ROUNDS > 1
    for (; interleave && n - i >= VF_MOMENTS_ROUNDS * ROUND_ELEMS;
         i += VF_MOMENTS_ROUNDS * ROUND_ELEMS) {
        vf p[VF_MOMENTS_ROUNDS][LANE_VF], r[VF_MOMENTS_ROUNDS][LANE_VF];
#pragma GCC unroll 8
        for (size_t t = 0; t < VF_MOMENTS_ROUNDS; t++)
#pragma GCC unroll 32
            for (size_t j = 0; j < LANE_VF; j++)
                p[t][j] = r[t][j] = vf_zero();
        for (size_t e = 0; e < ROUND_ELEMS; e += SIMDNORM_LANES)
#pragma GCC unroll 8
            for (size_t t = 0; t < VF_MOMENTS_ROUNDS; t++)
                moments_step(x + i + t * ROUND_ELEMS + e, nk, p[t], r[t]);
#pragma GCC unroll 8
        for (size_t t = 0; t < VF_MOMENTS_ROUNDS; t++) {
            steps_to_elements(p[t]);
            steps_to_elements(r[t]);
            lanes_flush(p[t], s, 0);
            lanes_flush(r[t], q, 0);
        }
    }
#endif
    for (; i < n; i += ROUND_ELEMS)
        moments_round(x, i, n - i < ROUND_ELEMS ? n : i + ROUND_ELEMS, nk, s, q, 0);
}

static ALWAYS_INLINE void moments_lanes(size_t n, const sx *x, float shift, vd s[LANE_VD],
                                        vd q[LANE_VD])
{
    moments_lanes_with(n, x, shift, s, q, 1);
}

/* One round of the fast sum of squares' lanes: r = fmaf(x, x, r); absent
 * lanes load as +0, and fmaf(0, 0, r) == r. */
static ALWAYS_INLINE void sumsq_round(const sx *x, size_t i, size_t end, vd q[LANE_VD],
                                      int first)
{
    vf r[LANE_VF];
#pragma GCC unroll 32
    for (size_t j = 0; j < LANE_VF; j++)
        r[j] = vf_zero();
    for (; i + SIMDNORM_LANES <= end; i += SIMDNORM_LANES)
        sumsq_step(x + i, r);
    steps_to_elements(r);
    if (i < end) {
        const size_t rem = end - i;
#pragma GCC unroll 32
        for (size_t j = 0; j < LANE_VF; j++) {
            const size_t c = lanes_in_reg(j, rem, VF_N);
            if (c == 0)
                break;
            const vf v = c == VF_N ? vx_loadu(x + i + j * VF_N) : vx_load_part(x + i + j * VF_N, c);
            r[j] = vf_fma(v, v, r[j]);
        }
    }
    lanes_flush(r, q, first);
}

/* The fast sum of squares' lanes of one span (n >= 1), rounds as
 * moments_lanes. */
static ALWAYS_INLINE void sumsq_lanes_with(size_t n, const sx *x, vd q[LANE_VD], int interleave)
{
    (void)interleave;
    size_t i = n < ROUND_ELEMS ? n : ROUND_ELEMS;
    sumsq_round(x, 0, i, q, 1);
#if VF_SUMSQ_ROUNDS > 1
    for (; interleave && n - i >= VF_SUMSQ_ROUNDS * ROUND_ELEMS;
         i += VF_SUMSQ_ROUNDS * ROUND_ELEMS) {
        vf r[VF_SUMSQ_ROUNDS][LANE_VF];
#pragma GCC unroll 8
        for (size_t t = 0; t < VF_SUMSQ_ROUNDS; t++)
#pragma GCC unroll 32
            for (size_t j = 0; j < LANE_VF; j++)
                r[t][j] = vf_zero();
        for (size_t e = 0; e < ROUND_ELEMS; e += SIMDNORM_LANES)
#pragma GCC unroll 8
            for (size_t t = 0; t < VF_SUMSQ_ROUNDS; t++)
                sumsq_step(x + i + t * ROUND_ELEMS + e, r[t]);
#pragma GCC unroll 8
        for (size_t t = 0; t < VF_SUMSQ_ROUNDS; t++) {
            steps_to_elements(r[t]);
            lanes_flush(r[t], q, 0);
        }
    }
#endif
    for (; i < n; i += ROUND_ELEMS)
        sumsq_round(x, i, n - i < ROUND_ELEMS ? n : i + ROUND_ELEMS, q, 0);
}

static ALWAYS_INLINE void sumsq_lanes(size_t n, const sx *x, vd q[LANE_VD])
{
    sumsq_lanes_with(n, x, q, 1);
}

#endif
