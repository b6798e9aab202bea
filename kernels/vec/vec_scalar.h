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
 *   vf_join(a, b, s) (where VF_STREAM_ALIGN != 0) for 0 < s < VF_N: the
 *                    last s lanes of a, then the first VF_N - s of b - the
 *                    vector that starts s elements before b in a row
 *                    written a, b, ... (streams a misaligned row)
 *   vf_add/sub/mul/div  one IEEE rounding each; vf_fma(a, b, c) = a*b + c
 *                    rounded once (fmaf)
 *   vf_addk(x, nk)   x + nk, one rounding (= x - K for nk = -K, to the
 *                    bit); where the FMA units are free, as fma(x, 1, nk)
 *   vf_keep_first(v, n)  v in lanes j < n, +0 in the others
 *   vf_neg(v)        the sign flipped; vf_max0(v): v > 0 ? v : +0 (NaN: any)
 *   vf_canon_nan_of(r, probe)  r, with the canonical NaN in the lanes where
 *                    probe is NaN
 *   vf_abs(v)        v with the sign bit cleared
 *   vf_min(a, b)     a < b ? a : b;  vf_max(a, b): a > b ? a : b (x86's
 *                    minps/maxps: a NaN in either gives b)
 *   vf_fnma(a, b, c) c - a*b rounded once (fmaf(-a, b, c))
 *   vfmask, vf_lt/ge(a, b)  ordered comparisons (false where a lane is
 *                    NaN); vf_nlt(a, b): !(a < b) (true where NaN);
 *                    vfm_and(m, n); vfm_any(m): nonzero when some lane is
 *                    true; vf_select(m, a, b): m ? a : b in each lane
 *   vi               int32_t lanes, as many as a vf has: vi_set1, vi_add
 *                    (wrapping), vi_shl(v, n) (bits shifted left by the
 *                    constant n, 0 < n < 32); vf_as_vi, vi_as_vf: the same
 *                    bits; vf_cvtt_vi(v): v truncated toward zero, for
 *                    -2^31 < v < 2^31 (undefined elsewhere, NaN too);
 *                    vi_cvt_vf(i): i as float, for |i| <= 2^24 (exact)
 *   vlut8, vlut8_of(i)  a vi of indices 0 <= i < 8 prepared for lookups;
 *                    vf_lut8(t, l): t[l] in each lane, t a float[8]
 * (the activation sequences, generic/act_math.h, are made of these and
 * the arithmetic above: every one exact or one IEEE rounding.)
 *   vf_widen(v, out) out[h] = the doubles of lanes h*VD_N .. h*VD_N+VD_N-1
 *   vf_narrow_vd(w)  the lanes of w[0..VD_PER_VF) rounded to float
 *                    (vf_widen's inverse)
 *   vf_load_widen(p, out)  vf_widen(vf_loadu(p), out), the floats widened
 *                    as they are loaded (x86: a conversion with a memory
 *                    operand per half, no extract)
 *   vd_*             as vf_* on doubles; vd_sqrt, vd_div correctly rounded
 *                    (vd_loadu, vd_load_part, vd_storeu, vd_store_part too)
 *   vd_round_f32(v)  (double)(float)v; vd_store_f32(p, v, n): the n first
 *                    lanes rounded to float, stored at p[0..n)
 *   vdmask, vd_lt/le/ge  ordered comparisons (false where a lane is NaN);
 *                    vdm_and; vdm_bits(m): bit r set where lane r is true
 *   vd_fold(v)       the canonical halvings inside one register (l += l +
 *                    VD_N/2, ..., l += l+1), lane 0's result
 *   VD_HAS_FOLD_ROWS, vd_fold_rows(v[VD_N])  optional: lane r = vd_fold(v[r])
 *   vd_head8_sum(x)  ((x0+x1)+(x2+x3)) + ((x4+x5)+(x6+x7)) in double
 *   VF_HAS_ROWS_IN_LANES  optional (vectors of 4 floats or more; not here):
 *                    the row engine's tiny rows (generic/rows.c) -
 *                    vf_gather_rows(p, s): lane i = p[i * s] (the caller
 *                    keeps (VF_N - 1) * s < 2^31); vi_loadu(p): VF_N
 *                    int32_t; vf_permute(v, i):
 *                    lane k = v[i[k]], 0 <= i[k] < VF_N
 *
 * Built without -m flags, these kernels are also what an x86 CPU without FMA
 * runs: fmaf is C's (libm's exact software fma where the CPU has none), so
 * the bits are those of every other CPU. */
#ifndef SIMDNORM_VEC_H
#define SIMDNORM_VEC_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"

#define SIMDNORM_VEC_ISA scalar
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
static inline vf vf_addk(vf x, vf nk) { return x + nk; }
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
static inline vf vf_abs(vf v) { return fabsf(v); }
static inline vf vf_min(vf a, vf b) { return a < b ? a : b; }
static inline vf vf_max(vf a, vf b) { return a > b ? a : b; }
static inline vf vf_fnma(vf a, vf b, vf c) { return fmaf(-a, b, c); }
typedef int vfmask;
static inline vfmask vf_lt(vf a, vf b) { return a < b; }
static inline vfmask vf_ge(vf a, vf b) { return a >= b; }
static inline vfmask vf_nlt(vf a, vf b) { return !(a < b); }
static inline vfmask vfm_and(vfmask a, vfmask b) { return a & b; }
static inline int vfm_any(vfmask m) { return m != 0; }
static inline vf vf_select(vfmask m, vf a, vf b) { return m ? a : b; }
typedef int32_t vi;
static inline vi vi_set1(int32_t a) { return a; }
static inline vi vi_add(vi a, vi b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static inline vi vi_shl(vi v, int n) { return (int32_t)((uint32_t)v << n); }
static inline vi vf_as_vi(vf v)
{
    vi i;
    memcpy(&i, &v, sizeof i);
    return i;
}
static inline vf vi_as_vf(vi i)
{
    vf v;
    memcpy(&v, &i, sizeof v);
    return v;
}
static inline vi vf_cvtt_vi(vf v) { return (int32_t)v; }
static inline vf vi_cvt_vf(vi i) { return (float)i; }
typedef int32_t vlut8;
static inline vlut8 vlut8_of(vi i) { return i; }
static inline vf vf_lut8(const float t[8], vlut8 l) { return t[l]; }

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
static inline vd vd_load_part(const double *p, size_t n) { return n ? *p : 0.0; }
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
static inline vf vf_narrow_vd(const vd w[VD_PER_VF]) { return (float)w[0]; }
static inline void vf_load_widen(const float *p, vd out[VD_PER_VF]) { out[0] = (double)*p; }
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

/* ---- 16-bit storage (kernels.h "16-bit storage"; kernels/half.h) ----
 *   vbf16_loadu(p), vfp16_loadu(p)   VF_N 16-bit elements at p (any
 *                    alignment) widened to a vf: exact for every non-NaN
 *                    value (a NaN stays some NaN)
 *   vbf16_load_part(p, n), ..._store_part(p, v, n)   lanes j < n, as
 *                    vf_load_part / vf_store_part (+0 in the other lanes;
 *                    nothing at p[n] or after is touched)
 *   vbf16_storeu(p, v), vfp16_storeu(p, v)   v narrowed to VF_N 16-bit
 *                    elements, round to nearest even, subnormals kept,
 *                    overflow to +-Inf, NaN canonical (0x7fc0 / 0x7e00):
 *                    kernels/half.h's simdnorm_*_narrow1 in every lane
 *   vbf16_stream(p, v), vfp16_stream   the same with a non-temporal store
 *                    (p aligned to VF_STREAM_ALIGN / 2 bytes)
 * The scalar build is kernels/half.h itself. */
#include "half.h"
static inline vf vbf16_loadu(const uint16_t *p) { return simdnorm_bf16_widen1(*p); }
static inline vf vbf16_load_part(const uint16_t *p, size_t n) { return n ? simdnorm_bf16_widen1(*p) : 0.0f; }
static inline void vbf16_storeu(uint16_t *p, vf v) { *p = simdnorm_bf16_narrow1(v); }
static inline void vbf16_store_part(uint16_t *p, vf v, size_t n)
{
    if (n)
        *p = simdnorm_bf16_narrow1(v);
}
static inline void vbf16_stream(uint16_t *p, vf v) { *p = simdnorm_bf16_narrow1(v); }
/* binary16 conversions: normal values inline, the rest (zero, subnormal,
 * Inf, NaN, overflow) through half.h's functions out of line. Inlined
 * whole at every load and store of the unrolled kernels, their branches
 * made the 7 scalar f16 files take 45 s to compile at -O3 (generic/bwd.c
 * 22 s); this way 29 s (12 s) and the kernels run 0.7-1.0x the time; all
 * out of line 13 s, but up to 2x the time. The same values as half.h's. */
static __attribute__((noinline, unused)) float vfp16_widen1_rare_(uint16_t h)
{
    return simdnorm_f16_widen1(h);
}
static __attribute__((noinline, unused)) uint16_t vfp16_narrow1_rare_(float f)
{
    return simdnorm_f16_narrow1(f);
}
static inline float vfp16_widen1_(uint16_t h)
{
    return simdnorm_f16_is_normal_(h) ? simdnorm_f16_widen1_normal_(h) : vfp16_widen1_rare_(h);
}
static inline uint16_t vfp16_narrow1_(float f)
{
    return simdnorm_f16_narrows_normal_(f) ? simdnorm_f16_narrow1_normal_(f)
                                           : vfp16_narrow1_rare_(f);
}
static inline vf vfp16_loadu(const uint16_t *p) { return vfp16_widen1_(*p); }
static inline vf vfp16_load_part(const uint16_t *p, size_t n) { return n ? vfp16_widen1_(*p) : 0.0f; }
static inline void vfp16_storeu(uint16_t *p, vf v) { *p = vfp16_narrow1_(v); }
static inline void vfp16_store_part(uint16_t *p, vf v, size_t n)
{
    if (n)
        *p = vfp16_narrow1_(v);
}
static inline void vfp16_stream(uint16_t *p, vf v) { *p = vfp16_narrow1_(v); }
/*   vbf16_storeu_c, ..._store_part_c, ..._stream_c (and vfp16_*): the stores
 *                    for values whose every NaN is the canonical float NaN
 *                    0x7fc00000 (kernel outputs): the same results, an ISA
 *                    may skip its NaN select (both roundings narrow that NaN
 *                    to the canonical 16-bit one by themselves) */
#define vbf16_storeu_c vbf16_storeu
#define vbf16_store_part_c vbf16_store_part
#define vbf16_stream_c vbf16_stream
#define vfp16_storeu_c vfp16_storeu
#define vfp16_store_part_c vfp16_store_part
#define vfp16_stream_c vfp16_stream

/* Optional, for an ISA whose elementwise loops run faster on two vectors
 * in a permuted lane order than on one in element order (AVX2 and AVX-512
 * bf16; not here): the header defines VBF16_HAS_PAIR and
 *   vbf16_load_pair(p, &a, &b)   2 VF_N 16-bit elements at p (any
 *                    alignment) widened into two vf in the header's pair
 *                    order (a lane permutation of elements 0 .. 2 VF_N - 1)
 *   vf_load_pair(p, &a, &b)      2 VF_N floats at p in the same order
 *   vf_pair_to_elements(&a, &b)  a pair-order pair put in element order
 *                    (a = elements 0 .. VF_N - 1; the reductions' lanes)
 *   vbf16_store_pair_c(p, a, b)  a and b (pair order, NaNs canonical)
 *                    narrowed as vbf16_storeu_c and stored in element order
 *   vbf16_stream_pair_c(p, a, b) the same, non-temporal (p aligned to
 *                    VF_STREAM_ALIGN bytes)
 * An elementwise loop (generic/normalize.h) computes the same operations on
 * every element, so the same bits, in whichever lane.
 * Optional too, for a header with pairs whose elementwise loops are faster
 * in another order than its reductions (avx512bf16: element order, which
 * its narrowing instruction writes directly): VBF16_HAS_NPAIR and
 * vbf16_load_npair, vf_load_npair, vbf16_store_npair_c,
 * vbf16_stream_npair_c, as the four above in that order. Without them the
 * elementwise loops use the pairs above (generic/storage.h: vx_*_npair). */

/*   vbf16_load_vc(p), vfp16_load_vc(p)   VC_N 16-bit elements at p (any
 *                    alignment) widened to a vc of doubles (the channel
 *                    moments of 16-bit data): exact, a NaN stays some NaN
 *   vbf16_load_vc_part(p, n), vfp16_load_vc_part(p, n)   elements j < n
 *                    (n <= VC_N), +0 in the other lanes, nothing at p[n] or
 *                    after read */
static inline vc vbf16_load_vc(const uint16_t *p) { return (double)simdnorm_bf16_widen1(*p); }
static inline vc vbf16_load_vc_part(const uint16_t *p, size_t n) { return n ? (double)simdnorm_bf16_widen1(*p) : 0.0; }
static inline vc vfp16_load_vc(const uint16_t *p) { return (double)vfp16_widen1_(*p); }
static inline vc vfp16_load_vc_part(const uint16_t *p, size_t n) { return n ? (double)vfp16_widen1_(*p) : 0.0; }

#endif
