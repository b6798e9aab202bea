/* moments_exact_neon.c - the exact (double) reduction kernels for AArch64 NEON. */
#include <arm_neon.h>
#include <string.h>

#include "kernels.h"

/* The 32 canonical lanes live in sixteen q registers of 2 doubles,
 * aJ = lanes 2J, 2J+1. Folding by halves is then aJ += a(J+8), aJ += a(J+4),
 * aJ += a(J+2), a0 += a1, and lane 0 + lane 1. The accumulators are named
 * variables, not an array: GCC 12 keeps an array of vectors in memory across
 * the loop (a store of every accumulator per iteration). The moments kernel
 * needs 32 accumulators, all of AArch64's vector registers, so a few spill
 * (a load and store each per 32 elements); the canonical order needs them. */
static inline double fold_lanes_neon(float64x2_t a0, float64x2_t a1, float64x2_t a2,
                                     float64x2_t a3, float64x2_t a4, float64x2_t a5,
                                     float64x2_t a6, float64x2_t a7, float64x2_t a8,
                                     float64x2_t a9, float64x2_t a10, float64x2_t a11,
                                     float64x2_t a12, float64x2_t a13, float64x2_t a14,
                                     float64x2_t a15)
{
    a0 = vaddq_f64(a0, a8);
    a1 = vaddq_f64(a1, a9);
    a2 = vaddq_f64(a2, a10);
    a3 = vaddq_f64(a3, a11);
    a4 = vaddq_f64(a4, a12);
    a5 = vaddq_f64(a5, a13);
    a6 = vaddq_f64(a6, a14);
    a7 = vaddq_f64(a7, a15);
    a0 = vaddq_f64(a0, a4);
    a1 = vaddq_f64(a1, a5);
    a2 = vaddq_f64(a2, a6);
    a3 = vaddq_f64(a3, a7);
    a0 = vaddq_f64(a0, a2);
    a1 = vaddq_f64(a1, a3);
    a0 = vaddq_f64(a0, a1);
    return vgetq_lane_f64(a0, 0) + vgetq_lane_f64(a0, 1);
}

#define FOLD16(a)                                                             \
    fold_lanes_neon(a##0, a##1, a##2, a##3, a##4, a##5, a##6, a##7, a##8,     \
                    a##9, a##10, a##11, a##12, a##13, a##14, a##15)

/* all-ones in the lanes of a double pair whose element indices first,
 * first+1 are < r. */
static inline float64x2_t mask_pair(float64x2_t d, uint64_t first, uint64_t r)
{
    const uint64x2_t idx = vsetq_lane_u64(first + 1, vdupq_n_u64(first), 1);
    const uint64x2_t m = vcltq_u64(idx, vdupq_n_u64(r));
    return vreinterpretq_f64_u64(vandq_u64(vreinterpretq_u64_f64(d), m));
}

/* Four floats at p (elements e..e+3 of a 32-block), widened, minus k, into
 * s/q accumulators A (elements e, e+1) and B (e+2, e+3); when MASK, d is +0
 * for elements >= r. */
#define MOMENTS4(p, e, MASK, r, sa, sb, qa, qb)                               \
    do {                                                                      \
        const float32x4_t v_ = vld1q_f32(p);                                  \
        float64x2_t d0_ = vsubq_f64(vcvt_f64_f32(vget_low_f32(v_)), k);       \
        float64x2_t d1_ = vsubq_f64(vcvt_high_f64_f32(v_), k);                \
        if (MASK) {                                                           \
            d0_ = mask_pair(d0_, (e), (r));                                   \
            d1_ = mask_pair(d1_, (e) + 2, (r));                               \
        }                                                                     \
        sa = vaddq_f64(sa, d0_);                                              \
        sb = vaddq_f64(sb, d1_);                                              \
        qa = vfmaq_f64(qa, d0_, d0_);                                         \
        qb = vfmaq_f64(qb, d1_, d1_);                                         \
    } while (0)

#define MOMENTS32(p, MASK, r)                                                 \
    do {                                                                      \
        MOMENTS4((p), 0, MASK, r, s0, s1, q0, q1);                            \
        MOMENTS4((p) + 4, 4, MASK, r, s2, s3, q2, q3);                        \
        MOMENTS4((p) + 8, 8, MASK, r, s4, s5, q4, q5);                        \
        MOMENTS4((p) + 12, 12, MASK, r, s6, s7, q6, q7);                      \
        MOMENTS4((p) + 16, 16, MASK, r, s8, s9, q8, q9);                      \
        MOMENTS4((p) + 20, 20, MASK, r, s10, s11, q10, q11);                  \
        MOMENTS4((p) + 24, 24, MASK, r, s12, s13, q12, q13);                  \
        MOMENTS4((p) + 28, 28, MASK, r, s14, s15, q14, q15);                  \
    } while (0)

/* Contract: kernels.h, f32_moments_exact. Eight 4-float loads per 32 elements, each
 * widened to two double pairs. The tail (< 32 elements) is copied into a
 * zeroed local block, so nothing past x[n-1] is read, and d is masked to +0
 * in absent lanes, which leaves those accumulators unchanged. */
void simdnorm_f32_moments_exact_neon(size_t n, const float *x, float shift,
                               double out[2])
{
    const float64x2_t k = vdupq_n_f64((double)shift);
    const float64x2_t z = vdupq_n_f64(0.0);
    float64x2_t s0 = z, s1 = z, s2 = z, s3 = z, s4 = z, s5 = z, s6 = z, s7 = z;
    float64x2_t s8 = z, s9 = z, s10 = z, s11 = z, s12 = z, s13 = z, s14 = z, s15 = z;
    float64x2_t q0 = z, q1 = z, q2 = z, q3 = z, q4 = z, q5 = z, q6 = z, q7 = z;
    float64x2_t q8 = z, q9 = z, q10 = z, q11 = z, q12 = z, q13 = z, q14 = z, q15 = z;
    size_t i = 0;
    for (; i + 32 <= n; i += 32)
        MOMENTS32(x + i, 0, 32);
    if (i < n) {
        const uint64_t r = n - i;
        float tail[32] = {0};
        memcpy(tail, x + i, r * sizeof(float));
        MOMENTS32(tail, 1, r);
    }
    out[0] = FOLD16(s);
    out[1] = FOLD16(q);
}

/* Four floats at p, widened, squared into accumulators A (elements 0,1) and
 * B (2,3). */
#define SUMSQ4(p, qa, qb)                                                     \
    do {                                                                      \
        const float32x4_t v_ = vld1q_f32(p);                                  \
        const float64x2_t lo_ = vcvt_f64_f32(vget_low_f32(v_));               \
        const float64x2_t hi_ = vcvt_high_f64_f32(v_);                        \
        qa = vfmaq_f64(qa, lo_, lo_);                                         \
        qb = vfmaq_f64(qb, hi_, hi_);                                         \
    } while (0)

#define SUMSQ32(p)                                                            \
    do {                                                                      \
        SUMSQ4((p), q0, q1);                                                  \
        SUMSQ4((p) + 4, q2, q3);                                              \
        SUMSQ4((p) + 8, q4, q5);                                              \
        SUMSQ4((p) + 12, q6, q7);                                             \
        SUMSQ4((p) + 16, q8, q9);                                             \
        SUMSQ4((p) + 20, q10, q11);                                           \
        SUMSQ4((p) + 24, q12, q13);                                           \
        SUMSQ4((p) + 28, q14, q15);                                           \
    } while (0)

/* Contract: kernels.h, f32_sumsq_exact. Same lane map; a zero-padded tail adds
 * fma(0, 0, q) == q (q >= +0), so it needs no mask. */
double simdnorm_f32_sumsq_exact_neon(size_t n, const float *x)
{
    const float64x2_t z = vdupq_n_f64(0.0);
    float64x2_t q0 = z, q1 = z, q2 = z, q3 = z, q4 = z, q5 = z, q6 = z, q7 = z;
    float64x2_t q8 = z, q9 = z, q10 = z, q11 = z, q12 = z, q13 = z, q14 = z, q15 = z;
    size_t i = 0;
    for (; i + 32 <= n; i += 32)
        SUMSQ32(x + i);
    if (i < n) {
        float tail[32] = {0};
        memcpy(tail, x + i, (n - i) * sizeof(float));
        SUMSQ32(tail);
    }
    return FOLD16(q);
}
