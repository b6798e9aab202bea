/* vec_neon.h - the vector operations of the AArch64 Advanced SIMD build of
 * the generic kernels (kernels/generic/): 4 floats, 2 doubles per register.
 * The contract of every operation is in vec_scalar.h. NEON has no masked
 * loads or stores: a partial one goes through a small stack buffer. No
 * streaming stores are used (VF_STREAM_ALIGN 0). */
#ifndef SIMDNORM_VEC_H
#define SIMDNORM_VEC_H

#include <arm_neon.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"

#define SIMDNORM_VEC_ISA neon
#define VF_N 4
#define VD_N 2
#define VD_PER_VF 2
#define VF_STREAM_ALIGN 0
typedef float32x4_t vf;
typedef float64x2_t vd;

static inline uint32x4_t vf_mask_(size_t n)
{
    static const uint32_t idx[4] = {0, 1, 2, 3};
    return vcltq_u32(vld1q_u32(idx), vdupq_n_u32((uint32_t)n));
}

static inline vf vf_zero(void) { return vdupq_n_f32(0.0f); }
static inline vf vf_set1(float a) { return vdupq_n_f32(a); }
static inline vf vf_loadu(const float *p) { return vld1q_f32(p); }
static inline vf vf_load_part(const float *p, size_t n)
{
    float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    memcpy(t, p, n * sizeof(float));
    return vld1q_f32(t);
}
static inline void vf_storeu(float *p, vf v) { vst1q_f32(p, v); }
static inline void vf_store_part(float *p, vf v, size_t n)
{
    float t[4];
    vst1q_f32(t, v);
    memcpy(p, t, n * sizeof(float));
}
static inline void vf_stream(float *p, vf v) { vst1q_f32(p, v); }
static inline void vf_stream_fence(void) {}
static inline vf vf_add(vf a, vf b) { return vaddq_f32(a, b); }
static inline vf vf_sub(vf a, vf b) { return vsubq_f32(a, b); }
static inline vf vf_mul(vf a, vf b) { return vmulq_f32(a, b); }
static inline vf vf_div(vf a, vf b) { return vdivq_f32(a, b); }
static inline vf vf_fma(vf a, vf b, vf c) { return vfmaq_f32(c, a, b); }
static inline vf vf_addk(vf x, vf nk) { return vaddq_f32(x, nk); } /* one pipe kind for both */
static inline vf vf_keep_first(vf v, size_t n)
{
    return vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(v), vf_mask_(n)));
}
static inline vf vf_neg(vf v) { return vnegq_f32(v); }
/* v > 0 ? v : +0 (a NaN v gives +0 here; vf_canon_nan_of puts it back) */
static inline vf vf_max0(vf v) { return vbslq_f32(vcgtq_f32(v, vdupq_n_f32(0.0f)), v, vdupq_n_f32(0.0f)); }
static inline vf vf_canon_nan_of(vf r, vf probe)
{
    return vbslq_f32(vceqq_f32(probe, probe), r, vreinterpretq_f32_u32(vdupq_n_u32(SIMDNORM_CANONICAL_NAN_BITS)));
}
static inline vf vf_abs(vf v) { return vabsq_f32(v); }
/* a < b ? a : b and a > b ? a : b exactly (vminq/vminnmq differ on NaN
 * and on -0 vs +0). */
static inline vf vf_min(vf a, vf b) { return vbslq_f32(vcltq_f32(a, b), a, b); }
static inline vf vf_max(vf a, vf b) { return vbslq_f32(vcgtq_f32(a, b), a, b); }
static inline vf vf_fnma(vf a, vf b, vf c) { return vfmsq_f32(c, a, b); }
typedef uint32x4_t vfmask;
static inline vfmask vf_lt(vf a, vf b) { return vcltq_f32(a, b); }
static inline vfmask vf_ge(vf a, vf b) { return vcgeq_f32(a, b); }
static inline vfmask vf_nlt(vf a, vf b) { return vmvnq_u32(vcltq_f32(a, b)); }
static inline vfmask vfm_and(vfmask a, vfmask b) { return vandq_u32(a, b); }
static inline int vfm_any(vfmask m) { return vmaxvq_u32(m) != 0; }
static inline vf vf_select(vfmask m, vf a, vf b) { return vbslq_f32(m, a, b); }
typedef int32x4_t vi;
static inline vi vi_set1(int32_t a) { return vdupq_n_s32(a); }
static inline vi vi_add(vi a, vi b) { return vaddq_s32(a, b); }
#define vi_shl(v, n) vshlq_n_s32((v), (n)) /* the count must be a constant */
static inline vi vf_as_vi(vf v) { return vreinterpretq_s32_f32(v); }
static inline vf vi_as_vf(vi i) { return vreinterpretq_f32_s32(i); }
static inline vi vf_cvtt_vi(vf v) { return vcvtq_s32_f32(v); }
static inline vf vi_cvt_vf(vi i) { return vcvtq_f32_s32(i); }
/* Lookups by tbl on the table's 32 bytes: lane index i becomes the byte
 * indices 4i, 4i+1, 4i+2, 4i+3. */
typedef uint8x16_t vlut8;
static inline vlut8 vlut8_of(vi i)
{
    return vreinterpretq_u8_u32(vmlaq_n_u32(vdupq_n_u32(0x03020100u), vreinterpretq_u32_s32(i), 0x04040404u));
}
static inline vf vf_lut8(const float t[8], vlut8 l)
{
    uint8x16x2_t tb;
    tb.val[0] = vreinterpretq_u8_f32(vld1q_f32(t));
    tb.val[1] = vreinterpretq_u8_f32(vld1q_f32(t + 4));
    return vreinterpretq_f32_u8(vqtbl2q_u8(tb, l));
}
/* Rows in lanes (the row engine's tiny rows, generic/rows.c): the gather
 * as four lane loads, the permute as a byte lookup. */
#define VF_HAS_ROWS_IN_LANES 1
static inline vf vf_gather_rows(const float *p, size_t s)
{
    vf v = vld1q_dup_f32(p);
    v = vld1q_lane_f32(p + s, v, 1);
    v = vld1q_lane_f32(p + 2 * s, v, 2);
    return vld1q_lane_f32(p + 3 * s, v, 3);
}
static inline vi vi_loadu(const int32_t *p) { return vld1q_s32(p); }
static inline vf vf_permute(vf v, vi i) { return vreinterpretq_f32_u8(vqtbl1q_u8(vreinterpretq_u8_f32(v), vlut8_of(i))); }

static inline vd vd_zero(void) { return vdupq_n_f64(0.0); }
static inline vd vd_set1(double a) { return vdupq_n_f64(a); }
static inline vd vd_add(vd a, vd b) { return vaddq_f64(a, b); }
static inline vd vd_sub(vd a, vd b) { return vsubq_f64(a, b); }
static inline vd vd_fma(vd a, vd b, vd c) { return vfmaq_f64(c, a, b); }
static inline vd vd_keep_first(vd v, size_t n)
{
    static const uint64_t idx[2] = {0, 1};
    const uint64x2_t m = vcltq_u64(vld1q_u64(idx), vdupq_n_u64((uint64_t)n));
    return vreinterpretq_f64_u64(vandq_u64(vreinterpretq_u64_f64(v), m));
}
static inline void vd_storeu(double *p, vd v) { vst1q_f64(p, v); }
static inline void vd_store_part(double *p, vd v, size_t n)
{
    double t[2];
    vst1q_f64(t, v);
    memcpy(p, t, n * sizeof(double));
}
typedef uint64x2_t vdmask;
static inline vd vd_loadu(const double *p) { return vld1q_f64(p); }
static inline vd vd_load_part(const double *p, size_t n)
{
    return n >= 2 ? vld1q_f64(p) : n ? vld1q_lane_f64(p, vdupq_n_f64(0.0), 0) : vdupq_n_f64(0.0);
}
static inline vd vd_mul(vd a, vd b) { return vmulq_f64(a, b); }
static inline vd vd_div(vd a, vd b) { return vdivq_f64(a, b); }
static inline vd vd_sqrt(vd a) { return vsqrtq_f64(a); }
static inline vd vd_neg(vd a) { return vnegq_f64(a); }
static inline vd vd_abs(vd a) { return vabsq_f64(a); }
static inline vd vd_round_f32(vd a) { return vcvt_f64_f32(vcvt_f32_f64(a)); }
static inline void vd_store_f32(float *p, vd v, size_t n)
{
    float t[2];
    vst1_f32(t, vcvt_f32_f64(v));
    memcpy(p, t, n * sizeof(float));
}
static inline vdmask vd_lt(vd a, vd b) { return vcltq_f64(a, b); }
static inline vdmask vd_le(vd a, vd b) { return vcleq_f64(a, b); }
static inline vdmask vd_ge(vd a, vd b) { return vcgeq_f64(a, b); }
static inline vdmask vdm_and(vdmask a, vdmask b) { return vandq_u64(a, b); }
static inline unsigned vdm_bits(vdmask m)
{
    return (unsigned)(vgetq_lane_u64(m, 0) & 1) | (unsigned)(vgetq_lane_u64(m, 1) & 1) << 1;
}
/* ((x0+x1)+(x2+x3)) + ((x4+x5)+(x6+x7)) in double (the head shift of a
 * row, kernels.h simdnorm_head_shift): pairwise adds, the same additions. */
static inline double vd_head8_sum(const float *x)
{
    const float32x4_t a = vld1q_f32(x), b = vld1q_f32(x + 4);
    const float64x2_t p = vpaddq_f64(vcvt_f64_f32(vget_low_f32(a)), vcvt_high_f64_f32(a));
    const float64x2_t q = vpaddq_f64(vcvt_f64_f32(vget_low_f32(b)), vcvt_high_f64_f32(b));
    return vaddvq_f64(vpaddq_f64(p, q));
}
static inline void vf_widen(vf v, vd out[VD_PER_VF])
{
    out[0] = vcvt_f64_f32(vget_low_f32(v));
    out[1] = vcvt_high_f64_f32(v);
}
static inline vf vf_narrow_vd(const vd w[VD_PER_VF]) { return vcvt_high_f32_f64(vcvt_f32_f64(w[0]), w[1]); }
static inline void vf_load_widen(const float *p, vd out[VD_PER_VF]) { vf_widen(vld1q_f32(p), out); }
/* The in-register halving l += l+1; lane 0. */
static inline double vd_fold(vd v) { return vgetq_lane_f64(v, 0) + vgetq_lane_f64(v, 1); }

/* ---- normalize/activate/add family ---- */
/* Vectors per step of the main loop of f32_normalize (generic/normalize.c). */
#define VF_NORMALIZE_UNROLL 4 /* 16 floats per step, as the NEON kernel before it */

/* ---- channel family ---- */
/* (contract: vec_scalar.h.) Partial loads and stores by lane moves (no
 * stack buffer). */
#define VC_N 2
typedef float64x2_t vc;
#define CH_MOM_SLOTS 4     /* 16 channels, 16 independent add/FMA chains */
#define CH_MOM_TILE_ROWS 32
#define CH_NRM_VECS 8
#define CH_NRM_TILE_ROWS 16
static inline vc vc_zero(void) { return vdupq_n_f64(0.0); }
static inline vc vc_load(const double *p) { return vld1q_f64(p); }
static inline void vc_store(double *p, vc v) { vst1q_f64(p, v); }
static inline vc vc_load_widen(const float *p) { return vcvt_f64_f32(vld1_f32(p)); }
static inline vc vc_load_widen_part(const float *p, size_t n)
{
    switch (n) {
    case 0: return vdupq_n_f64(0.0);
    case 1: return vcvt_f64_f32(vld1_lane_f32(p, vdup_n_f32(0.0f), 0));
    default: return vcvt_f64_f32(vld1_f32(p));
    }
}
static inline vc vc_add(vc a, vc b) { return vaddq_f64(a, b); }
static inline vc vc_fma(vc a, vc b, vc c) { return vfmaq_f64(c, a, b); }
static inline vc vc_neg(vc v) { return vnegq_f64(v); }
static inline vc vc_addk(vc x, vc nk) { return vaddq_f64(x, nk); }

/* ---- 16-bit storage (contract: vec_scalar.h) ----
 * bf16: widen = ushll #16 (exact); narrow = round to nearest even on the
 * integer bits (as vec_avx512.h), NaN lanes 0x7fc0, xtn. (BFCVTN, where a
 * CPU has FEAT_BF16, rounds by FPCR and flushes by FPCR.FZ; the integer
 * sequence needs no feature.) f16: FCVTL / FCVTN (AArch64 baseline;
 * nearest even under the canonical FPCR of every call, fpenv.h), NaN lanes
 * 0x7e00. */
#include "half.h"
static inline vf vbf16_widen_(uint16x4_t h) { return vreinterpretq_f32_u32(vshll_n_u16(h, 16)); }
static inline uint16x4_t vbf16_narrow_(vf v)
{
    const uint32x4_t b = vreinterpretq_u32_f32(v);
    const uint32x4_t lsb = vandq_u32(vshrq_n_u32(b, 16), vdupq_n_u32(1));
    uint32x4_t r = vshrq_n_u32(vaddq_u32(vaddq_u32(b, vdupq_n_u32(0x7fff)), lsb), 16);
    r = vbslq_u32(vceqq_f32(v, v), r, vdupq_n_u32(SIMDNORM_BF16_CANONICAL_NAN));
    return vmovn_u32(r);
}
static inline vf vfp16_widen_(uint16x4_t h) { return vcvt_f32_f16(vreinterpret_f16_u16(h)); }
static inline uint16x4_t vfp16_narrow_(vf v)
{
    const uint16x4_t r = vreinterpret_u16_f16(vcvt_f16_f32(v));
    return vbsl_u16(vmovn_u32(vceqq_f32(v, v)), r, vdup_n_u16((uint16_t)SIMDNORM_F16_CANONICAL_NAN));
}
#define VEC_HALF_IO_(pre)                                                                             \
    static inline vf pre##_loadu(const uint16_t *p) { return pre##_widen_(vld1_u16(p)); }            \
    static inline vf pre##_load_part(const uint16_t *p, size_t n)                                     \
    {                                                                                                 \
        uint16_t t[4] = {0, 0, 0, 0};                                                                 \
        memcpy(t, p, (n < 4 ? n : 4) * sizeof(uint16_t));                                             \
        return pre##_widen_(vld1_u16(t));                                                             \
    }                                                                                                 \
    static inline void pre##_storeu(uint16_t *p, vf v) { vst1_u16(p, pre##_narrow_(v)); }            \
    static inline void pre##_store_part(uint16_t *p, vf v, size_t n)                                  \
    {                                                                                                 \
        uint16_t t[4];                                                                                \
        vst1_u16(t, pre##_narrow_(v));                                                                \
        memcpy(p, t, (n < 4 ? n : 4) * sizeof(uint16_t));                                             \
    }                                                                                                 \
    static inline void pre##_stream(uint16_t *p, vf v) { vst1_u16(p, pre##_narrow_(v)); }
VEC_HALF_IO_(vbf16)
VEC_HALF_IO_(vfp16)
/* Stores of values whose NaNs are canonical (every kernel output): the
 * same functions (the NaN select is one instruction here). */
#define vbf16_storeu_c vbf16_storeu
#define vbf16_store_part_c vbf16_store_part
#define vbf16_stream_c vbf16_stream
#define vfp16_storeu_c vfp16_storeu
#define vfp16_store_part_c vfp16_store_part
#define vfp16_stream_c vfp16_stream

/* VC_N = 2 16-bit elements as doubles (the channel moments), through the
 * low half of a widened vf. */
static inline uint16x4_t vh_load2_(const uint16_t *p, size_t n)
{
    uint16_t t[4] = {0, 0, 0, 0};
    memcpy(t, p, (n < 2 ? n : 2) * sizeof(uint16_t));
    return vld1_u16(t);
}
static inline vc vbf16_load_vc(const uint16_t *p) { return vcvt_f64_f32(vget_low_f32(vbf16_widen_(vh_load2_(p, 2)))); }
static inline vc vbf16_load_vc_part(const uint16_t *p, size_t n) { return vcvt_f64_f32(vget_low_f32(vbf16_widen_(vh_load2_(p, n)))); }
static inline vc vfp16_load_vc(const uint16_t *p) { return vcvt_f64_f32(vget_low_f32(vfp16_widen_(vh_load2_(p, 2)))); }
static inline vc vfp16_load_vc_part(const uint16_t *p, size_t n) { return vcvt_f64_f32(vget_low_f32(vfp16_widen_(vh_load2_(p, n)))); }

#endif
