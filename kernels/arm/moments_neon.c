/* moments_neon.c - the fast reduction kernels for AArch64 NEON. */
#include <arm_neon.h>
#include <string.h>

#include "kernels.h"
#include "scalar/lanes_scalar.h"

/* Add the 4 float lanes of p (lanes 4j .. 4j+3), widened, onto acc[4j..]. */
static inline void flush4_neon(float32x4_t p, double *acc)
{
    vst1q_f64(acc, vaddq_f64(vld1q_f64(acc), vcvt_f64_f32(vget_low_f32(p))));
    vst1q_f64(acc + 2, vaddq_f64(vld1q_f64(acc + 2), vcvt_high_f64_f32(p)));
}

/* All-ones in the 4 float lanes j with first + j < r. */
static inline uint32x4_t lane_mask4(size_t first, size_t r)
{
    static const uint32_t idx[4] = {0, 1, 2, 3};
    const uint32_t lim = r > first ? (uint32_t)(r - first) : 0;
    return vcltq_u32(vld1q_u32(idx), vdupq_n_u32(lim));
}

/* Contract: kernels.h, f32_moments. The 32 float lanes are eight q registers
 * per sum (p[j]: lanes 4j..4j+3); each round of 8 steps of 32 elements is
 * flushed into a double array, folded at the end in the canonical order. The
 * last, partial step goes through a zeroed local copy and d is masked to +0
 * in absent lanes, which leaves those lane sums unchanged. */
void simdnorm_f32_moments_neon(size_t n, const float *x, float shift, double out[2])
{
    const float32x4_t k = vdupq_n_f32(shift);
    double s[SIMDNORM_LANES] = {0}, q[SIMDNORM_LANES] = {0};
    size_t i = 0;
    while (i < n) {
        const size_t end = n - i < SIMDNORM_LANES * SIMDNORM_ROUND
                               ? n : i + SIMDNORM_LANES * SIMDNORM_ROUND;
        float32x4_t p[8], r[8];
        for (int j = 0; j < 8; j++)
            p[j] = r[j] = vdupq_n_f32(0.0f);
        for (; i + 32 <= end; i += 32) {
            for (int j = 0; j < 8; j++) {
                const float32x4_t d = vsubq_f32(vld1q_f32(x + i + 4 * j), k);
                p[j] = vaddq_f32(p[j], d);
                r[j] = vfmaq_f32(r[j], d, d);
            }
        }
        if (i < end) {
            float tail[32] = {0};
            memcpy(tail, x + i, (end - i) * sizeof(float));
            for (int j = 0; j < 8; j++) {
                const float32x4_t d = vreinterpretq_f32_u32(vandq_u32(
                    vreinterpretq_u32_f32(vsubq_f32(vld1q_f32(tail + 4 * j), k)),
                    lane_mask4(4 * (size_t)j, end - i)));
                p[j] = vaddq_f32(p[j], d);
                r[j] = vfmaq_f32(r[j], d, d);
            }
            i = end;
        }
        for (int j = 0; j < 8; j++) {
            flush4_neon(p[j], s + 4 * j);
            flush4_neon(r[j], q + 4 * j);
        }
    }
    out[0] = fold_lanes_scalar(s);
    out[1] = fold_lanes_scalar(q);
}

/* Contract: kernels.h, f32_sumsq. Same lanes and rounds; a zero-padded tail
 * adds fma(0, 0, r) == r (r >= +0), so it needs no mask. */
double simdnorm_f32_sumsq_neon(size_t n, const float *x)
{
    double q[SIMDNORM_LANES] = {0};
    size_t i = 0;
    while (i < n) {
        const size_t end = n - i < SIMDNORM_LANES * SIMDNORM_ROUND
                               ? n : i + SIMDNORM_LANES * SIMDNORM_ROUND;
        float32x4_t r[8];
        for (int j = 0; j < 8; j++)
            r[j] = vdupq_n_f32(0.0f);
        for (; i + 32 <= end; i += 32) {
            for (int j = 0; j < 8; j++) {
                const float32x4_t v = vld1q_f32(x + i + 4 * j);
                r[j] = vfmaq_f32(r[j], v, v);
            }
        }
        if (i < end) {
            float tail[32] = {0};
            memcpy(tail, x + i, (end - i) * sizeof(float));
            for (int j = 0; j < 8; j++) {
                const float32x4_t v = vld1q_f32(tail + 4 * j);
                r[j] = vfmaq_f32(r[j], v, v);
            }
            i = end;
        }
        for (int j = 0; j < 8; j++)
            flush4_neon(r[j], q + 4 * j);
    }
    return fold_lanes_scalar(q);
}

/* Contract: kernels.h, f32_moments_rows: the one-row kernel, row by row. */
void simdnorm_f32_moments_rows_neon(size_t rows, size_t n, const float *x, size_t stride,
                                  const float *shift, double *s1, double *s2)
{
    for (size_t r = 0; r < rows; r++) {
        double out[2];
        simdnorm_f32_moments_neon(n, x + r * stride, shift[r], out);
        s1[r] = out[0];
        s2[r] = out[1];
    }
}

/* Contract: kernels.h, f32_sumsq_rows: the one-row kernel, row by row. */
void simdnorm_f32_sumsq_rows_neon(size_t rows, size_t n, const float *x, size_t stride,
                                double *ss)
{
    for (size_t r = 0; r < rows; r++)
        ss[r] = simdnorm_f32_sumsq_neon(n, x + r * stride);
}
