/* reduce.h - the fast reductions' lane sums of one span, written once for
 * every ISA against its vector header: the f32_moments / f32_sumsq kernels
 * (generic/moments.c) and the row engine (generic/rows.c) inline them.
 * Include after the vector header and generic/lanes.h. */
#ifndef SIMDNORM_GENERIC_REDUCE_H
#define SIMDNORM_GENERIC_REDUCE_H

/* The fast family's lane sums of one span: s (sum d), q (sum d^2) with
 * d = x - shift in float, per round in float, into double lanes. In the
 * partial last step d is forced to +0 in absent lanes (adding +0 leaves a
 * lane sum that started at +0 unchanged). */
static ALWAYS_INLINE void moments_lanes(size_t n, const float *x, float shift, vd s[LANE_VD],
                                        vd q[LANE_VD])
{
    const vf k = vf_set1(shift);
    size_t i = 0;
    for (int first = 1; i < n; first = 0) {
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
    for (int first = 1; i < n; first = 0) {
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
