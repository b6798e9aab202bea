/* vec_scalar.h - the vector operations of the generic kernels
 * (kernels/generic/), in portable C with one float (one double) per
 * "register": the scalar build, and the contract every ISA's vec_<isa>.h
 * implements with the same names:
 *
 *   VF_N, VD_N       floats in a vf, doubles in a vd (VD_PER_VF = VF_N/VD_N)
 *   VF_STREAM_ALIGN  bytes of alignment vf_stream needs; 0: the ISA has no
 *                    streaming stores (vf_stream is a plain store)
 *   SIMDNORM_VEC_ISA the ISA token, the kernels' name suffix
 *   vf_loadu/storeu  a whole vector, any alignment
 *   vf_load_part(p, n), vf_store_part(p, v, n)   lanes j < n (0 <= n <= VF_N):
 *                    never touch memory at p[n] or after; a partial load
 *                    gives +0 in the other lanes
 *   vf_stream(p, v)  a non-temporal store (p aligned to VF_STREAM_ALIGN);
 *                    vf_stream_fence() orders them (an sfence)
 *   vf_add/sub/mul/div  one IEEE rounding each; vf_fma(a, b, c) = a*b + c
 *                    rounded once (fmaf)
 *   vf_keep_first(v, n)  v in lanes j < n, +0 in the others
 *   vf_neg(v)        the sign flipped; vf_max0(v): v > 0 ? v : +0 (NaN: any)
 *   vf_canon_nan_of(r, probe)  r, with the canonical NaN in the lanes where
 *                    probe is NaN
 *   vf_erf/tanh/exp  SLEEF's deterministic 1-ULP functions (kernels.h)
 *   vf_widen(v, out) out[h] = the doubles of lanes h*VD_N .. h*VD_N+VD_N-1
 *   vd_*             as vf_* on doubles; vd_sqrt, vd_div correctly rounded
 *   vd_round_f32(v)  (double)(float)v; vd_store_f32(p, v, n): the n first
 *                    lanes rounded to float, stored at p[0..n)
 *   vdmask, vd_lt/le/ge  ordered comparisons (false where a lane is NaN);
 *                    vdm_and; vdm_bits(m): bit r set where lane r is true
 *   vd_fold(v)       the canonical halvings inside one register (l += l +
 *                    VD_N/2, ..., l += l+1), lane 0's result
 *   VD_HAS_FOLD_ROWS, vd_fold_rows(v[VD_N])  optional: lane r = vd_fold(v[r])
 *   vd_head8_sum(x)  ((x0+x1)+(x2+x3)) + ((x4+x5)+(x6+x7)) in double
 *
 * Built with SIMDNORM_VEC_NOFMA defined (the scalar_nofma kernels of an x86
 * CPU without FMA), the activations call SLEEF's non-FMA functions. */
#ifndef SIMDNORM_VEC_H
#define SIMDNORM_VEC_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* sleef.h declares the purecfma functions only where it sees FMA (__AVX2__,
 * aarch64); this file is generic C, compiled without -mfma so that it runs
 * on any x86-64, and the dispatcher gives a CPU without FMA the
 * scalar_nofma table, so the FMA functions run only where FMA exists. An
 * undeclared call would compile as returning int (the build has
 * -Werror=implicit-function-declaration). */
#ifndef FP_FAST_FMA
#define FP_FAST_FMA
#endif
#include <sleef.h>

#include "kernels.h"

#if defined(SIMDNORM_VEC_NOFMA)
#define SIMDNORM_VEC_ISA scalar_nofma
#else
#define SIMDNORM_VEC_ISA scalar
#endif
#define VF_N 1
#define VD_N 1
#define VD_PER_VF 1
#define VF_STREAM_ALIGN 0
typedef float vf;
typedef double vd;

static inline vf vf_zero(void) { return 0.0f; }
static inline vf vf_set1(float a) { return a; }
static inline vf vf_loadu(const float *p) { return *p; }
static inline vf vf_load_part(const float *p, size_t n) { return n ? *p : 0.0f; }
static inline void vf_storeu(float *p, vf v) { *p = v; }
static inline void vf_store_part(float *p, vf v, size_t n)
{
    if (n)
        *p = v;
}
static inline void vf_stream(float *p, vf v) { *p = v; }
static inline void vf_stream_fence(void) {}
static inline vf vf_add(vf a, vf b) { return a + b; }
static inline vf vf_sub(vf a, vf b) { return a - b; }
static inline vf vf_mul(vf a, vf b) { return a * b; }
static inline vf vf_div(vf a, vf b) { return a / b; }
static inline vf vf_fma(vf a, vf b, vf c) { return fmaf(a, b, c); }
static inline vf vf_keep_first(vf v, size_t n) { return n ? v : 0.0f; }
static inline vf vf_neg(vf v) { return -v; }
static inline vf vf_max0(vf v) { return v > 0.0f ? v : 0.0f; }
static inline vf vf_canon_nan_of(vf r, vf probe)
{
    if (probe != probe) {
        const uint32_t bits = SIMDNORM_CANONICAL_NAN_BITS;
        memcpy(&r, &bits, sizeof r);
    }
    return r;
}
#if defined(SIMDNORM_VEC_NOFMA)
static inline vf vf_erf(vf v) { return Sleef_cinz_erff1_u10purec(v); }
static inline vf vf_tanh(vf v) { return Sleef_cinz_tanhf1_u10purec(v); }
static inline vf vf_exp(vf v) { return Sleef_cinz_expf1_u10purec(v); }
#else
static inline vf vf_erf(vf v) { return Sleef_finz_erff1_u10purecfma(v); }
static inline vf vf_tanh(vf v) { return Sleef_finz_tanhf1_u10purecfma(v); }
static inline vf vf_exp(vf v) { return Sleef_finz_expf1_u10purecfma(v); }
#endif

static inline vd vd_zero(void) { return 0.0; }
static inline vd vd_set1(double a) { return a; }
static inline vd vd_add(vd a, vd b) { return a + b; }
static inline vd vd_sub(vd a, vd b) { return a - b; }
static inline vd vd_fma(vd a, vd b, vd c) { return fma(a, b, c); }
static inline vd vd_keep_first(vd v, size_t n) { return n ? v : 0.0; }
static inline void vd_storeu(double *p, vd v) { *p = v; }
static inline void vd_store_part(double *p, vd v, size_t n)
{
    if (n)
        *p = v;
}
typedef int vdmask;
static inline vd vd_loadu(const double *p) { return *p; }
static inline vd vd_mul(vd a, vd b) { return a * b; }
static inline vd vd_div(vd a, vd b) { return a / b; }
static inline vd vd_sqrt(vd a) { return sqrt(a); }
static inline vd vd_neg(vd a) { return -a; }
static inline vd vd_abs(vd a) { return fabs(a); }
static inline vd vd_round_f32(vd a) { return (double)(float)a; }
static inline void vd_store_f32(float *p, vd v, size_t n)
{
    if (n)
        *p = (float)v;
}
static inline vdmask vd_lt(vd a, vd b) { return a < b; }
static inline vdmask vd_le(vd a, vd b) { return a <= b; }
static inline vdmask vd_ge(vd a, vd b) { return a >= b; }
static inline vdmask vdm_and(vdmask a, vdmask b) { return a & b; }
static inline unsigned vdm_bits(vdmask m) { return (unsigned)m; }
/* ((x0+x1)+(x2+x3)) + ((x4+x5)+(x6+x7)) in double (the head shift of a
 * row, kernels.h simdnorm_head_shift). */
static inline double vd_head8_sum(const float *x)
{
    return (((double)x[0] + x[1]) + ((double)x[2] + x[3])) +
           (((double)x[4] + x[5]) + ((double)x[6] + x[7]));
}
static inline void vf_widen(vf v, vd out[VD_PER_VF]) { out[0] = (double)v; }
static inline double vd_fold(vd v) { return v; }

/* ---- normalize/activate/add family ---- */
/* Vectors per step of the main loop of f32_normalize (generic/normalize.c). */
#define VF_NORMALIZE_UNROLL 1

/* ---- channel family ---- */
/* The channel kernels (generic/channels.c): f32_channel_moments keeps its
 * per-channel sums in vc registers of VC_N doubles (channels in lanes; on
 * some ISAs narrower than vd, where that measured faster), in slots of 4
 * channels (4 / VC_N registers each; of VC_N channels where VC_N > 4).
 *   vc_zero, vc_add, vc_fma(a, b, c), vc_neg   as vd_*
 *   vc_load(p), vc_store(p, v)   VC_N doubles at p, aligned to a vc
 *   vc_load_widen(p)             VC_N floats at p (any alignment) as doubles
 *   vc_load_widen_part(p, n)     floats p[0 .. n) (n <= VC_N) as doubles, +0
 *                                in the other lanes; nothing at p[n] or after
 *                                is touched
 *   vc_addk(x, nk)               x + nk, one rounding (= x - K for nk = -K;
 *                                x86 computes it as fma(x, 1, nk), on the FMA
 *                                pipes, which the sums' chains load less)
 *   vf_load_tail, vf_store_tail  as vf_load_part, vf_store_part (the
 *                                channel family's partial rows: on AVX2 by
 *                                scalar moves, see vec_avx2.h)
 * and the ISA's tile sizes (measured):
 *   CH_MOM_SLOTS      slots (or blocks) a moments tile keeps in
 *                     registers; CH_MOM_TILE_ROWS rows it walks
 *   CH_NRM_VECS       vf of channels a normalize tile keeps (shift, scale,
 *                     offset in registers); CH_NRM_TILE_ROWS rows it walks */
#define VC_N 1
typedef double vc;
#define CH_MOM_SLOTS 1
#define CH_MOM_TILE_ROWS 32
#define CH_NRM_VECS 8
#define CH_NRM_TILE_ROWS 16
static inline vc vc_zero(void) { return 0.0; }
static inline vc vc_load(const double *p) { return *p; }
static inline void vc_store(double *p, vc v) { *p = v; }
static inline vc vc_load_widen(const float *p) { return (double)*p; }
static inline vc vc_load_widen_part(const float *p, size_t n) { return n ? (double)*p : 0.0; }
static inline vc vc_add(vc a, vc b) { return a + b; }
static inline vc vc_fma(vc a, vc b, vc c) { return fma(a, b, c); }
static inline vc vc_neg(vc v) { return -v; }
static inline vc vc_addk(vc x, vc nk) { return x + nk; }

#endif
