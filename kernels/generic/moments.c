/* moments.c - the reduction kernels (kernels.h: f32_moments, f32_sumsq, their
 * _seq and _rows forms, f32_moments_exact, f32_sumsq_exact), written once and
 * compiled for every ISA against its vector header (SIMDNORM_VEC_HEADER,
 * kernels/vec/). The canonical lanes and rounds are laid on the ISA's
 * registers by generic/lanes.h, so every ISA computes the same operations
 * in the same order: the same bits. Any alignment; nothing past x[n-1] is
 * read (the last, partial step of 32 elements uses partial loads).
 * Compiled once more per 16-bit storage (generic/storage.h): the
 * bf16_/f16_moments_rows, _moments_seq, _sumsq and _sumsq_seq kernels, x
 * widened in registers; the other families are float32 only. */
#include SIMDNORM_VEC_HEADER
#include "generic/lanes.h"
#include "generic/storage.h"

#include "generic/reduce.h"

/* One span's moments / sum of squares, the rounds interleaved or in order. */
static ALWAYS_INLINE void span_moments(size_t n, const sx *x, float shift, double out[2],
                                       int interleave)
{
    vd s[LANE_VD], q[LANE_VD];
    moments_lanes_with(n, x, shift, s, q, interleave);
    out[0] = lanes_fold(s);
    out[1] = lanes_fold(q);
}

/* Contract: kernels.h, f32_moments_seq (<storage>_moments_seq). */
void SIMDNORM_SKERNEL(moments_seq)(size_t n, const sx *x, float shift, double out[2])
{
    span_moments(n, x, shift, out, 0);
}

/* Contract: kernels.h, f32_moments_rows (<storage>_moments_rows). Where the
 * vector header folds VD_N rows at once (vd_fold_rows), groups of VD_N rows
 * share the in-register halvings, the part of a short row's reduction that
 * costs most; a short group pads with zero rows, never stored. */
void SIMDNORM_SKERNEL(moments_rows)(size_t rows, size_t n, const sx *x, size_t stride,
                                    const float *shift, double *s1, double *s2)
{
#if defined(VD_HAS_FOLD_ROWS)
    for (size_t g = 0; g < rows; g += VD_N) {
        const size_t m = rows - g < VD_N ? rows - g : VD_N;
        vd v1[VD_N], v2[VD_N];
        for (size_t r = 0; r < VD_N; r++) {
            if (r < m) {
                vd s[LANE_VD], q[LANE_VD];
                moments_lanes(n, x + (g + r) * stride, shift[g + r], s, q);
                v1[r] = lanes_fold_to_reg(s);
                v2[r] = lanes_fold_to_reg(q);
            } else {
                v1[r] = v2[r] = vd_zero();
            }
        }
        vd_store_part(s1 + g, vd_fold_rows(v1), m);
        vd_store_part(s2 + g, vd_fold_rows(v2), m);
    }
#else
    for (size_t r = 0; r < rows; r++) {
        vd s[LANE_VD], q[LANE_VD];
        moments_lanes(n, x + r * stride, shift[r], s, q);
        s1[r] = lanes_fold(s);
        s2[r] = lanes_fold(q);
    }
#endif
}

static ALWAYS_INLINE double span_sumsq(size_t n, const sx *x, int interleave)
{
    vd q[LANE_VD];
    sumsq_lanes_with(n, x, q, interleave);
    return lanes_fold(q);
}

/* Contract: kernels.h, f32_sumsq (<storage>_sumsq). */
double SIMDNORM_SKERNEL(sumsq)(size_t n, const sx *x)
{
    return span_sumsq(n, x, 1);
}

/* Contract: kernels.h, f32_sumsq_seq (<storage>_sumsq_seq). */
double SIMDNORM_SKERNEL(sumsq_seq)(size_t n, const sx *x)
{
    return span_sumsq(n, x, 0);
}

#if SX_IS_F32 /* the float32-only families */

/* Contract: kernels.h, f32_moments. */
void SIMDNORM_KERNEL(f32_moments)(size_t n, const float *x, float shift, double out[2])
{
    span_moments(n, x, shift, out, 1);
}

/* Contract: kernels.h, f32_sumsq_rows (grouped as f32_moments_rows). */
void SIMDNORM_KERNEL(f32_sumsq_rows)(size_t rows, size_t n, const float *x, size_t stride,
                                     double *ss)
{
#if defined(VD_HAS_FOLD_ROWS)
    for (size_t g = 0; g < rows; g += VD_N) {
        const size_t m = rows - g < VD_N ? rows - g : VD_N;
        vd v[VD_N];
        for (size_t r = 0; r < VD_N; r++) {
            if (r < m) {
                vd q[LANE_VD];
                sumsq_lanes(n, x + (g + r) * stride, q);
                v[r] = lanes_fold_to_reg(q);
            } else {
                v[r] = vd_zero();
            }
        }
        vd_store_part(ss + g, vd_fold_rows(v), m);
    }
#else
    for (size_t r = 0; r < rows; r++) {
        vd q[LANE_VD];
        sumsq_lanes(n, x + r * stride, q);
        ss[r] = lanes_fold(q);
    }
#endif
}

/* Contract: kernels.h, f32_moments_exact. Each step of 32 elements is
 * widened to double lanes; in the partial last step d is forced to +0 in
 * absent lanes. */
void SIMDNORM_KERNEL(f32_moments_exact)(size_t n, const float *x, float shift, double out[2])
{
    const vd k = vd_set1((double)shift);
    vd s[LANE_VD], q[LANE_VD];
#pragma GCC unroll 32
    for (size_t j = 0; j < LANE_VD; j++)
        s[j] = q[j] = vd_zero();
    size_t i = 0;
    for (; i + SIMDNORM_LANES <= n; i += SIMDNORM_LANES) {
#pragma GCC unroll 32
        for (size_t j = 0; j < LANE_VF; j++) {
            vd w[VD_PER_VF];
            vf_widen(vf_loadu(x + i + j * VF_N), w);
#pragma GCC unroll 2
            for (size_t h = 0; h < VD_PER_VF; h++) {
                const size_t l = j * VD_PER_VF + h;
                const vd d = vd_sub(w[h], k);
                s[l] = vd_add(s[l], d);
                q[l] = vd_fma(d, d, q[l]);
            }
        }
    }
    if (i < n) {
        const size_t rem = n - i;
#pragma GCC unroll 32
        for (size_t j = 0; j < LANE_VF; j++) {
            const size_t c = lanes_in_reg(j, rem, VF_N);
            if (c == 0)
                break;
            vd w[VD_PER_VF];
            vf_widen(c == VF_N ? vf_loadu(x + i + j * VF_N) : vf_load_part(x + i + j * VF_N, c), w);
#pragma GCC unroll 2
            for (size_t h = 0; h < VD_PER_VF; h++) {
                const size_t l = j * VD_PER_VF + h;
                const vd d = vd_keep_first(vd_sub(w[h], k), lanes_in_reg(l, rem, VD_N));
                s[l] = vd_add(s[l], d);
                q[l] = vd_fma(d, d, q[l]);
            }
        }
    }
    out[0] = lanes_fold(s);
    out[1] = lanes_fold(q);
}

/* Contract: kernels.h, f32_sumsq_exact: q = fma(x, x, q) in double; absent
 * lanes load as +0 and add nothing. */
double SIMDNORM_KERNEL(f32_sumsq_exact)(size_t n, const float *x)
{
    vd q[LANE_VD];
#pragma GCC unroll 32
    for (size_t j = 0; j < LANE_VD; j++)
        q[j] = vd_zero();
    size_t i = 0;
    for (; i + SIMDNORM_LANES <= n; i += SIMDNORM_LANES) {
#pragma GCC unroll 32
        for (size_t j = 0; j < LANE_VF; j++) {
            vd w[VD_PER_VF];
            vf_widen(vf_loadu(x + i + j * VF_N), w);
#pragma GCC unroll 2
            for (size_t h = 0; h < VD_PER_VF; h++)
                q[j * VD_PER_VF + h] = vd_fma(w[h], w[h], q[j * VD_PER_VF + h]);
        }
    }
    if (i < n) {
        const size_t rem = n - i;
#pragma GCC unroll 32
        for (size_t j = 0; j < LANE_VF; j++) {
            const size_t c = lanes_in_reg(j, rem, VF_N);
            if (c == 0)
                break;
            vd w[VD_PER_VF];
            vf_widen(c == VF_N ? vf_loadu(x + i + j * VF_N) : vf_load_part(x + i + j * VF_N, c), w);
#pragma GCC unroll 2
            for (size_t h = 0; h < VD_PER_VF; h++)
                q[j * VD_PER_VF + h] = vd_fma(w[h], w[h], q[j * VD_PER_VF + h]);
        }
    }
    return lanes_fold(q);
}
#endif /* SX_IS_F32 */
