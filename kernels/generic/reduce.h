/* reduce.h - the fast reductions' lane sums of one span, written once for
 * every ISA against its vector header: the f32_moments / f32_sumsq kernels
 * (generic/moments.c) and the row engine (generic/rows.c) inline them.
 * Include after the vector header and generic/lanes.h. */
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

/* The fast family's lane sums of one span: s (sum d), q (sum d^2) with
 * d = x - shift in float, per round in float, into double lanes. In the
 * partial last step d is forced to +0 in absent lanes (adding +0 leaves a
 * lane sum that started at +0 unchanged). */
static ALWAYS_INLINE void moments_lanes(size_t n, const float *x, float shift, vd s[LANE_VD],
                                        vd q[LANE_VD])
{
    const vf k = vf_set1(shift);
    size_t i = 0;
    int first = 1;
#if VF_MOMENTS_ROUNDS > 1
    for (; n - i >= VF_MOMENTS_ROUNDS * ROUND_ELEMS; i += VF_MOMENTS_ROUNDS * ROUND_ELEMS) {
        vf p[VF_MOMENTS_ROUNDS][LANE_VF], r[VF_MOMENTS_ROUNDS][LANE_VF];
#pragma GCC unroll 8
        for (size_t t = 0; t < VF_MOMENTS_ROUNDS; t++)
#pragma GCC unroll 32
            for (size_t j = 0; j < LANE_VF; j++)
                p[t][j] = r[t][j] = vf_zero();
        for (size_t e = 0; e < ROUND_ELEMS; e += SIMDNORM_LANES)
#pragma GCC unroll 8
            for (size_t t = 0; t < VF_MOMENTS_ROUNDS; t++)
#pragma GCC unroll 32
                for (size_t j = 0; j < LANE_VF; j++) {
                    const vf d = vf_sub(vf_loadu(x + i + t * ROUND_ELEMS + e + j * VF_N), k);
                    p[t][j] = vf_add(p[t][j], d);
                    r[t][j] = vf_fma(d, d, r[t][j]);
                }
#pragma GCC unroll 8
        for (size_t t = 0; t < VF_MOMENTS_ROUNDS; t++) {
            lanes_flush(p[t], s, first);
            lanes_flush(r[t], q, first);
            first = 0;
        }
    }
#endif
    for (; i < n; first = 0) {
        const size_t end = n - i < ROUND_ELEMS ? n : i + ROUND_ELEMS;
        vf p[LANE_VF], r[LANE_VF];
#pragma GCC unroll 32
        for (size_t j = 0; j < LANE_VF; j++)
            p[j] = r[j] = vf_zero();
        for (; i + SIMDNORM_LANES <= end; i += SIMDNORM_LANES) {
#pragma GCC unroll 32
            for (size_t j = 0; j < LANE_VF; j++) {
                const vf d = vf_sub(vf_loadu(x + i + j * VF_N), k);
                p[j] = vf_add(p[j], d);
                r[j] = vf_fma(d, d, r[j]);
            }
        }
        if (i < end) {
            const size_t rem = end - i;
#pragma GCC unroll 32
            for (size_t j = 0; j < LANE_VF; j++) {
                const size_t c = lanes_in_reg(j, rem, VF_N);
                if (c == 0)
                    break;
                const vf v = c == VF_N ? vf_loadu(x + i + j * VF_N) : vf_load_part(x + i + j * VF_N, c);
                const vf d = vf_keep_first(vf_sub(v, k), c);
                p[j] = vf_add(p[j], d);
                r[j] = vf_fma(d, d, r[j]);
            }
            i = end;
        }
        lanes_flush(p, s, first);
        lanes_flush(r, q, first);
    }
}

/* The fast sum of squares' lanes: r = fmaf(x, x, r); absent lanes load as
 * +0, and fmaf(0, 0, r) == r. */
static ALWAYS_INLINE void sumsq_lanes(size_t n, const float *x, vd q[LANE_VD])
{
    size_t i = 0;
    int first = 1;
#if VF_SUMSQ_ROUNDS > 1
    for (; n - i >= VF_SUMSQ_ROUNDS * ROUND_ELEMS; i += VF_SUMSQ_ROUNDS * ROUND_ELEMS) {
        vf r[VF_SUMSQ_ROUNDS][LANE_VF];
#pragma GCC unroll 8
        for (size_t t = 0; t < VF_SUMSQ_ROUNDS; t++)
#pragma GCC unroll 32
            for (size_t j = 0; j < LANE_VF; j++)
                r[t][j] = vf_zero();
        for (size_t e = 0; e < ROUND_ELEMS; e += SIMDNORM_LANES)
#pragma GCC unroll 8
            for (size_t t = 0; t < VF_SUMSQ_ROUNDS; t++)
#pragma GCC unroll 32
                for (size_t j = 0; j < LANE_VF; j++) {
                    const vf v = vf_loadu(x + i + t * ROUND_ELEMS + e + j * VF_N);
                    r[t][j] = vf_fma(v, v, r[t][j]);
                }
#pragma GCC unroll 8
        for (size_t t = 0; t < VF_SUMSQ_ROUNDS; t++) {
            lanes_flush(r[t], q, first);
            first = 0;
        }
    }
#endif
    for (; i < n; first = 0) {
        const size_t end = n - i < ROUND_ELEMS ? n : i + ROUND_ELEMS;
        vf r[LANE_VF];
#pragma GCC unroll 32
        for (size_t j = 0; j < LANE_VF; j++)
            r[j] = vf_zero();
        for (; i + SIMDNORM_LANES <= end; i += SIMDNORM_LANES) {
#pragma GCC unroll 32
            for (size_t j = 0; j < LANE_VF; j++) {
                const vf v = vf_loadu(x + i + j * VF_N);
                r[j] = vf_fma(v, v, r[j]);
            }
        }
        if (i < end) {
            const size_t rem = end - i;
#pragma GCC unroll 32
            for (size_t j = 0; j < LANE_VF; j++) {
                const size_t c = lanes_in_reg(j, rem, VF_N);
                if (c == 0)
                    break;
                const vf v = c == VF_N ? vf_loadu(x + i + j * VF_N) : vf_load_part(x + i + j * VF_N, c);
                r[j] = vf_fma(v, v, r[j]);
            }
            i = end;
        }
        lanes_flush(r, q, first);
    }
}

#endif
