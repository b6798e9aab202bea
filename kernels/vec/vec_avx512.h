/* vec_avx512.h - the vector operations of the AVX-512 (F, BW, DQ, VL) build
 * of the generic kernels (kernels/generic/): 16 floats, 8 doubles per
 * register. The contract of every operation is in vec_scalar.h; this file
 * only maps it onto intrinsics. Also the avx512bf16 build's
 * (vec_avx512bf16.h: compiled with -mavx512bf16, __AVX512BF16__ defined),
 * which differs in the bf16 narrowing and the elementwise loops' pairs
 * (VBF16_HAS_NPAIR) only. */
#ifndef SIMDNORM_VEC_H
#define SIMDNORM_VEC_H

#include <immintrin.h>
#include <stdint.h>

#include "kernels.h"

#ifndef SIMDNORM_VEC_ISA
#define SIMDNORM_VEC_ISA avx512
#endif
#define VF_N 16
#define VD_N 8
#define VD_PER_VF 2
#define VF_STREAM_ALIGN 64 /* bytes; 0: no streaming stores */
typedef __m512 vf;
typedef __m512d vd;

static inline __mmask16 vf_mask_(size_t n) { return (__mmask16)((1u << n) - 1); }

static inline vf vf_zero(void) { return _mm512_setzero_ps(); }
static inline vf vf_set1(float a) { return _mm512_set1_ps(a); }
static inline vf vf_loadu(const float *p) { return _mm512_loadu_ps(p); }
static inline vf vf_load_part(const float *p, size_t n) { return _mm512_maskz_loadu_ps(vf_mask_(n), p); }
static inline void vf_storeu(float *p, vf v) { _mm512_storeu_ps(p, v); }
static inline void vf_store_part(float *p, vf v, size_t n) { _mm512_mask_storeu_ps(p, vf_mask_(n), v); }
static inline void vf_stream(float *p, vf v) { _mm512_stream_ps(p, v); }
static inline void vf_stream_fence(void) { _mm_sfence(); }
/* Lane i: element 16 - s + i of the 32 of a then b. */
static inline vf vf_join(vf a, vf b, size_t s)
{
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    return _mm512_permutex2var_ps(a, _mm512_add_epi32(lane, _mm512_set1_epi32(16 - (int)s)), b);
}
static inline vf vf_add(vf a, vf b) { return _mm512_add_ps(a, b); }
static inline vf vf_sub(vf a, vf b) { return _mm512_sub_ps(a, b); }
static inline vf vf_mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
static inline vf vf_div(vf a, vf b) { return _mm512_div_ps(a, b); }
static inline vf vf_fma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
/* On the FMA pipes: Zen 5 adds on two pipes and fuses on two others, and
 * the moments' x - K, sum and widening flushes all queue on the adders
 * (f32_moments 4096 floats: see generic/reduce.h). */
static inline vf vf_addk(vf x, vf nk) { return _mm512_fmadd_ps(x, _mm512_set1_ps(1.0f), nk); }
static inline vf vf_keep_first(vf v, size_t n) { return _mm512_maskz_mov_ps(vf_mask_(n), v); }
static inline vf vf_neg(vf v) { return _mm512_xor_ps(v, _mm512_set1_ps(-0.0f)); }
static inline vf vf_max0(vf v) { return _mm512_max_ps(v, _mm512_setzero_ps()); }
static inline vf vf_canon_nan_of(vf r, vf probe)
{
    const __mmask16 nan = _mm512_cmp_ps_mask(probe, probe, _CMP_UNORD_Q);
    return _mm512_mask_mov_ps(r, nan, _mm512_castsi512_ps(_mm512_set1_epi32((int)SIMDNORM_CANONICAL_NAN_BITS)));
}
static inline vf vf_abs(vf v) { return _mm512_abs_ps(v); }
static inline vf vf_min(vf a, vf b) { return _mm512_min_ps(a, b); }
static inline vf vf_max(vf a, vf b) { return _mm512_max_ps(a, b); }
static inline vf vf_fnma(vf a, vf b, vf c) { return _mm512_fnmadd_ps(a, b, c); }
typedef __mmask16 vfmask;
static inline vfmask vf_lt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
static inline vfmask vf_ge(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
static inline vfmask vf_nlt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_NLT_UQ); }
static inline vfmask vfm_and(vfmask a, vfmask b) { return (vfmask)(a & b); }
static inline int vfm_any(vfmask m) { return m != 0; }
static inline vf vf_select(vfmask m, vf a, vf b) { return _mm512_mask_blend_ps(m, b, a); }
typedef __m512i vi;
static inline vi vi_set1(int32_t a) { return _mm512_set1_epi32(a); }
static inline vi vi_add(vi a, vi b) { return _mm512_add_epi32(a, b); }
static inline vi vi_shl(vi v, int n) { return _mm512_slli_epi32(v, (unsigned)n); }
static inline vi vf_as_vi(vf v) { return _mm512_castps_si512(v); }
static inline vf vi_as_vf(vi i) { return _mm512_castsi512_ps(i); }
static inline vi vf_cvtt_vi(vf v) { return _mm512_cvttps_epi32(v); }
static inline vf vi_cvt_vf(vi i) { return _mm512_cvtepi32_ps(i); }
/* The 8-entry table in both halves of a zmm: vpermps takes 4 index bits. */
typedef __m512i vlut8;
static inline vlut8 vlut8_of(vi i) { return i; }
static inline vf vf_lut8(const float t[8], vlut8 l)
{
    return _mm512_permutexvar_ps(l, _mm512_broadcast_f32x8(_mm256_loadu_ps(t)));
}
/* Rows in lanes (the row engine's tiny rows, generic/rows.c). The gather
 * takes 32-bit element offsets: the caller keeps 15 * s < 2^31. */
#define VF_HAS_ROWS_IN_LANES 1
static inline vf vf_gather_rows(const float *p, size_t s)
{
    const __m512i i = _mm512_mullo_epi32(_mm512_set1_epi32((int)s),
                                         _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    return _mm512_i32gather_ps(i, p, 4);
}
static inline vi vi_loadu(const int32_t *p) { return _mm512_loadu_si512(p); }
static inline vf vf_permute(vf v, vi i) { return _mm512_permutexvar_ps(i, v); }

static inline vd vd_zero(void) { return _mm512_setzero_pd(); }
static inline vd vd_set1(double a) { return _mm512_set1_pd(a); }
static inline vd vd_add(vd a, vd b) { return _mm512_add_pd(a, b); }
static inline vd vd_sub(vd a, vd b) { return _mm512_sub_pd(a, b); }
static inline vd vd_fma(vd a, vd b, vd c) { return _mm512_fmadd_pd(a, b, c); }
static inline vd vd_keep_first(vd v, size_t n) { return _mm512_maskz_mov_pd((__mmask8)((1u << n) - 1), v); }
static inline void vd_storeu(double *p, vd v) { _mm512_storeu_pd(p, v); }
static inline void vd_store_part(double *p, vd v, size_t n) { _mm512_mask_storeu_pd(p, (__mmask8)((1u << n) - 1), v); }
typedef __mmask8 vdmask;
static inline vd vd_loadu(const double *p) { return _mm512_loadu_pd(p); }
static inline vd vd_load_part(const double *p, size_t n) { return _mm512_maskz_loadu_pd((__mmask8)((1u << n) - 1), p); }
static inline vd vd_mul(vd a, vd b) { return _mm512_mul_pd(a, b); }
static inline vd vd_div(vd a, vd b) { return _mm512_div_pd(a, b); }
static inline vd vd_sqrt(vd a) { return _mm512_sqrt_pd(a); }
static inline vd vd_neg(vd a) { return _mm512_xor_pd(a, _mm512_set1_pd(-0.0)); }
static inline vd vd_abs(vd a) { return _mm512_abs_pd(a); }
static inline vd vd_round_f32(vd a) { return _mm512_cvtps_pd(_mm512_cvtpd_ps(a)); }
/* A whole vector unmasked: the row engine reads its lanes back at once,
 * and loads are not forwarded from a masked store (RMSNorm of 33-float
 * rows in cache 1-4 % faster; a throwaway loop, best of 60 calls). */
static inline void vd_store_f32(float *p, vd v, size_t n)
{
    if (n >= 8)
        _mm256_storeu_ps(p, _mm512_cvtpd_ps(v));
    else
        _mm256_mask_storeu_ps(p, (__mmask8)((1u << n) - 1), _mm512_cvtpd_ps(v));
}
static inline vdmask vd_lt(vd a, vd b) { return _mm512_cmp_pd_mask(a, b, _CMP_LT_OQ); }
static inline vdmask vd_le(vd a, vd b) { return _mm512_cmp_pd_mask(a, b, _CMP_LE_OQ); }
static inline vdmask vd_ge(vd a, vd b) { return _mm512_cmp_pd_mask(a, b, _CMP_GE_OQ); }
static inline vdmask vdm_and(vdmask a, vdmask b) { return (vdmask)(a & b); }
static inline unsigned vdm_bits(vdmask m) { return (unsigned)m; }
/* ((x0+x1)+(x2+x3)) + ((x4+x5)+(x6+x7)) in double (the head shift of a
 * row, kernels.h simdnorm_head_shift): the same additions, in ymm. */
static inline double vd_head8_sum(const float *x)
{
    const __m256d h = _mm256_hadd_pd(_mm256_cvtps_pd(_mm_loadu_ps(x)), _mm256_cvtps_pd(_mm_loadu_ps(x + 4)));
    const __m128d t = _mm_add_pd(_mm256_castpd256_pd128(h), _mm256_extractf128_pd(h, 1));
    return _mm_cvtsd_f64(_mm_add_sd(t, _mm_unpackhi_pd(t, t)));
}
static inline void vf_widen(vf v, vd out[VD_PER_VF])
{
    out[0] = _mm512_cvtps_pd(_mm512_castps512_ps256(v));
    out[1] = _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1));
}
static inline vf vf_narrow_vd(const vd w[VD_PER_VF])
{
    return _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(w[0])), _mm512_cvtpd_ps(w[1]), 1);
}
static inline void vf_load_widen(const float *p, vd out[VD_PER_VF])
{
    out[0] = _mm512_cvtps_pd(_mm256_loadu_ps(p));
    out[1] = _mm512_cvtps_pd(_mm256_loadu_ps(p + 8));
}
/* The in-register halvings l += l+4, l += l+2, l += l+1; lane 0. */
static inline double vd_fold(vd v)
{
    const __m256d h4 = _mm256_add_pd(_mm512_castpd512_pd256(v), _mm512_extractf64x4_pd(v, 1));
    const __m128d h2 = _mm_add_pd(_mm256_castpd256_pd128(h4), _mm256_extractf128_pd(h4, 1));
    return _mm_cvtsd_f64(_mm_add_sd(h2, _mm_unpackhi_pd(h2, h2)));
}
/* vd_fold of 8 rows at once, lane r = vd_fold(v[r]); every sum pairs the
 * lanes vd_fold pairs, in the same order:
 *   A: [v_r 0-3 | v_r+1 0-3] + [v_r 4-7 | v_r+1 4-7]      (l += l+4)
 *   B: 128-bit blocks {0,2} + {1,3} of two A results      (l += l+2)
 *   C: even + odd elements of two B results               (l += l+1) */
#define VD_HAS_FOLD_ROWS 1
static inline vd vd_fold_rows(const vd v[VD_N])
{
    __m512d w[4], z[2];
    for (int i = 0; i < 4; i++)
        w[i] = _mm512_add_pd(_mm512_shuffle_f64x2(v[2 * i], v[2 * i + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                             _mm512_shuffle_f64x2(v[2 * i], v[2 * i + 1], _MM_SHUFFLE(3, 2, 3, 2)));
    for (int i = 0; i < 2; i++)
        z[i] = _mm512_add_pd(_mm512_shuffle_f64x2(w[2 * i], w[2 * i + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                             _mm512_shuffle_f64x2(w[2 * i], w[2 * i + 1], _MM_SHUFFLE(3, 1, 3, 1)));
    const __m512i even = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14);
    const __m512i odd = _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15);
    return _mm512_add_pd(_mm512_permutex2var_pd(z[0], even, z[1]),
                         _mm512_permutex2var_pd(z[0], odd, z[1]));
}

/* ---- normalize/activate/add family ---- */
/* Vectors per block of the normalize loop (generic/normalize.h; loaded a
 * block ahead). Measured in L1 (f32_normalize of 1024 floats with gamma and
 * beta, best of 3000 calls, TSC ticks, AVX-512 / AVX2): 1 vector 104 / 156,
 * and 182 when y is 32-128 bytes after x modulo 4 KiB; 2 vectors 78 / 130
 * at every offset tried (0 to 4092 bytes); 4 vectors 104 / 182; the kernel
 * before the row engine 78 / 130. Check with
 * `simdnorm-kernel-bench --benchmark_filter=4k_alias`. */
#define VF_NORMALIZE_UNROLL 2

/* ---- channel family ---- */
/* (contract: vec_scalar.h.) The moments' sums are 512-bit registers of 8
 * doubles (a slot is 8 channels): on the Zen 5 machine of DESIGN §6 the
 * 512-bit conversion and arithmetic run at the 256-bit rate, so the
 * statistics of 8 channels cost what 4 did (Zen 4, which splits 512-bit
 * operations, ran 256-bit registers 1.4x faster). 8 slots: 24 of the 32
 * registers for the sums and shifts, 16 independent add/FMA chains. */
#define VC_N 8
typedef __m512d vc;
#define CH_MOM_SLOTS 8     /* 64 channels, 16 independent add/FMA chains */
#define CH_MOM_TILE_ROWS 32
#define CH_NRM_VECS 4
#define CH_NRM_TILE_ROWS 1 /* wide rows row by row, in memory order: 64x768
                              * normalize 11.2 -> 16.2 Gelem/s (16 rows: a tile
                              * walked down 16 rows, then the next tile) */
static inline vc vc_zero(void) { return _mm512_setzero_pd(); }
static inline vc vc_load(const double *p) { return _mm512_load_pd(p); }
static inline void vc_store(double *p, vc v) { _mm512_store_pd(p, v); }
static inline vc vc_load_widen(const float *p) { return _mm512_cvtps_pd(_mm256_loadu_ps(p)); }
static inline vc vc_load_widen_part(const float *p, size_t n)
{
    return _mm512_cvtps_pd(_mm256_maskz_loadu_ps((__mmask8)((1u << n) - 1), p));
}
static inline vc vc_add(vc a, vc b) { return _mm512_add_pd(a, b); }
static inline vc vc_fma(vc a, vc b, vc c) { return _mm512_fmadd_pd(a, b, c); }
static inline vc vc_neg(vc v) { return _mm512_xor_pd(v, _mm512_set1_pd(-0.0)); }
static inline vc vc_addk(vc x, vc nk) { return _mm512_fmadd_pd(x, _mm512_set1_pd(1.0), nk); }

/* ---- reductions (generic/reduce.h) ---- */
/* Full rounds of the fast reductions computed at once (their chains fit
 * the registers: moments 4 x 2 x 2 float sums, sum of squares 4 x 2). */
#define VF_MOMENTS_ROUNDS 4
#define VF_SUMSQ_ROUNDS 4

/* ---- 16-bit storage (contract: vec_scalar.h) ----
 * bf16: widen = vpmovzxwd + shift left 16 (exact); narrow = round to
 * nearest even on the integer bits, (b + 0x7fff + ((b >> 16) & 1)) >> 16,
 * NaN lanes set to 0x7fc0, vpmovdw. With AVX512-BF16 (the avx512bf16
 * build), vcvtneps2bf16 / vcvtne2ps2bf16 instead, which round to nearest
 * even too but read subnormal inputs as zero (their outputs are subnormal
 * only for subnormal inputs: bf16 has float's exponent range). A result
 * of +-0 comes from a zero or a subnormal input only, so one vptestnmw of
 * the result finds the vectors to look at: where one of those lanes is
 * subnormal (vfpclassps), the vector takes the integer rounding, so the
 * bits are the same. f16: vcvtph2ps (exact, subnormals too) and vcvtps2ph
 * with the rounding in the immediate (nearest even; subnormal results and
 * overflow to Inf as IEEE; MXCSR's FTZ/DAZ are off inside every call,
 * fpenv.h), NaN lanes set to 0x7e00 (the instruction keeps the payload). */
#include "half.h"
static inline vf vbf16_widen_(__m256i h) { return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16)); }
static inline __m256i vbf16_narrow_int_(vf v)
{
    const __m512i b = _mm512_castps_si512(v);
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(b, 16), _mm512_set1_epi32(1));
    __m512i r = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(b, _mm512_set1_epi32(0x7fff)), lsb), 16);
    r = _mm512_mask_mov_epi32(r, _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), _mm512_set1_epi32((int)SIMDNORM_BF16_CANONICAL_NAN));
    return _mm512_cvtepi32_epi16(r);
}
/* The rounding alone, for values whose NaNs are the canonical float NaN
 * 0x7fc00000 (every kernel output is): it narrows to 0x7fc0 by itself. */
static inline __m256i vbf16_narrow_c_int_(vf v)
{
    const __m512i b = _mm512_castps_si512(v);
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(b, 16), _mm512_set1_epi32(1));
    /* the high halves of the rounded words (odd 16-bit elements) gathered
     * by one vpermw, instead of a shift and vpmovdw */
    const __m512i odd = _mm512_set_epi16(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1,
                                         31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    return _mm512_castsi512_si256(_mm512_permutexvar_epi16(
        odd, _mm512_add_epi32(_mm512_add_epi32(b, _mm512_set1_epi32(0x7fff)), lsb)));
}
#if defined(__AVX512BF16__)
/* a lane subnormal (vfpclassps class 0x20): the conversion instruction
 * read it as zero */
#define VBF16_SUBNORMAL_(v) _mm512_fpclass_ps_mask((v), 0x20)
/* the lanes of 16 bf16 results that are +-0 */
static inline __mmask16 vbf16_zeros16_(__m256i r) { return _mm256_testn_epi16_mask(r, _mm256_set1_epi16(0x7fff)); }
/* the canonical float NaN narrows to 0x7fc0 by itself (quieted, truncated) */
static inline __m256i vbf16_narrow_c_(vf v)
{
    const __m256i r = (__m256i)_mm512_cvtneps_pbh(v);
    if (__builtin_expect(vbf16_zeros16_(r) != 0, 0) && VBF16_SUBNORMAL_(v) != 0)
        return vbf16_narrow_c_int_(v);
    return r;
}
static inline __m256i vbf16_narrow_(vf v)
{
    return _mm256_mask_mov_epi16(vbf16_narrow_c_(v), _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), _mm256_set1_epi16((short)SIMDNORM_BF16_CANONICAL_NAN));
}
#else
static inline __m256i vbf16_narrow_(vf v) { return vbf16_narrow_int_(v); }
static inline __m256i vbf16_narrow_c_(vf v) { return vbf16_narrow_c_int_(v); }
#endif
static inline vf vfp16_widen_(__m256i h) { return _mm512_cvtph_ps(h); }
/* vcvtps2ph turns the canonical float NaN into 0x7e00 by itself. */
static inline __m256i vfp16_narrow_c_(vf v) { return _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
static inline __m256i vfp16_narrow_(vf v)
{
    const __m256i r = _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    return _mm256_mask_mov_epi16(r, _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), _mm256_set1_epi16((short)SIMDNORM_F16_CANONICAL_NAN));
}
#define VEC_HALF_IO_(pre)                                                                             \
    static inline vf pre##_loadu(const uint16_t *p) { return pre##_widen_(_mm256_loadu_si256((const __m256i *)(const void *)p)); } \
    static inline vf pre##_load_part(const uint16_t *p, size_t n) { return pre##_widen_(_mm256_maskz_loadu_epi16(vf_mask_(n), p)); } \
    static inline void pre##_storeu(uint16_t *p, vf v) { _mm256_storeu_si256((__m256i *)(void *)p, pre##_narrow_(v)); } \
    static inline void pre##_store_part(uint16_t *p, vf v, size_t n) { _mm256_mask_storeu_epi16(p, vf_mask_(n), pre##_narrow_(v)); } \
    static inline void pre##_stream(uint16_t *p, vf v) { _mm256_stream_si256((__m256i *)(void *)p, pre##_narrow_(v)); }
VEC_HALF_IO_(vbf16)
VEC_HALF_IO_(vfp16)
#define VEC_HALF_STORE_C_(pre)                                                                        \
    static inline void pre##_storeu_c(uint16_t *p, vf v) { _mm256_storeu_si256((__m256i *)(void *)p, pre##_narrow_c_(v)); } \
    static inline void pre##_store_part_c(uint16_t *p, vf v, size_t n) { _mm256_mask_storeu_epi16(p, vf_mask_(n), pre##_narrow_c_(v)); } \
    static inline void pre##_stream_c(uint16_t *p, vf v) { _mm256_stream_si256((__m256i *)(void *)p, pre##_narrow_c_(v)); }
VEC_HALF_STORE_C_(vbf16)
VEC_HALF_STORE_C_(vfp16)

/* bf16 pairs (contract: vec_scalar.h, VBF16_HAS_PAIR), as AVX2's: 32
 * elements are widened by one load and two in-lane unpacks with zero into
 * a = elements 0-3, 8-11, 16-19, 24-27 and b = 4-7, 12-15, 20-23, 28-31,
 * and narrowed back by one vpackusdw, which interleaves them into element
 * order - where one vector at a time needs a cross-lane vpmovzxwd and a
 * shift to widen, vpermw to narrow. gamma and beta take the pair order by
 * two vshuff32x4 each; a reduction's lane sums go back to element order by
 * two vpermt2ps, once a round. The rounding's low bit by a test into a mask
 * and a masked add. */
#define VBF16_HAS_PAIR 1
static inline __m512i vbf16_round_pair_(vf v)
{   /* the rounded word >> 16, the bf16 in its low half (NaN: canonical only) */
    const __m512i b = _mm512_castps_si512(v);
    const __m512i r = _mm512_add_epi32(b, _mm512_set1_epi32(0x7fff));
    const __mmask16 odd = _mm512_test_epi32_mask(b, _mm512_set1_epi32(0x10000));
    return _mm512_srli_epi32(_mm512_mask_add_epi32(r, odd, r, _mm512_set1_epi32(1)), 16);
}
static inline void vbf16_load_pair(const uint16_t *p, vf *a, vf *b)
{
    const __m512i w = _mm512_loadu_si512((const void *)p), z = _mm512_setzero_si512();
    *a = _mm512_castsi512_ps(_mm512_unpacklo_epi16(z, w));
    *b = _mm512_castsi512_ps(_mm512_unpackhi_epi16(z, w));
}
static inline void vf_load_pair(const float *p, vf *a, vf *b)
{   /* 128-bit lanes 0, 2 of each half into a, lanes 1, 3 into b */
    const vf lo = _mm512_loadu_ps(p), hi = _mm512_loadu_ps(p + 16);
    *a = _mm512_shuffle_f32x4(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
    *b = _mm512_shuffle_f32x4(lo, hi, _MM_SHUFFLE(3, 1, 3, 1));
}
static inline void vf_pair_to_elements(vf *a, vf *b)
{   /* elements 0-15 = a0 b0 a1 b1, 16-31 = a2 b2 a3 b3 (4-float lanes) */
    const __m512i lo = _mm512_set_epi32(23, 22, 21, 20, 7, 6, 5, 4, 19, 18, 17, 16, 3, 2, 1, 0);
    const __m512i hi = _mm512_set_epi32(31, 30, 29, 28, 15, 14, 13, 12, 27, 26, 25, 24, 11, 10, 9, 8);
    const vf e0 = _mm512_permutex2var_ps(*a, lo, *b), e1 = _mm512_permutex2var_ps(*a, hi, *b);
    *a = e0;
    *b = e1;
}
static inline __m512i vbf16_narrow_pair_c_int_(vf a, vf b) { return _mm512_packus_epi32(vbf16_round_pair_(a), vbf16_round_pair_(b)); }
#if defined(__AVX512BF16__)
/* one vcvtne2ps2bf16 (a's 16 bf16 in the low half, b's in the high), then
 * the 4-element groups back into element order by one vpermq */
static inline __m512i vbf16_narrow_pair_c_(vf a, vf b)
{
    const __m512i r = (__m512i)_mm512_cvtne2ps_pbh(b, a);
    if (__builtin_expect(_mm512_testn_epi16_mask(r, _mm512_set1_epi16(0x7fff)) != 0, 0) &&
        (VBF16_SUBNORMAL_(a) | VBF16_SUBNORMAL_(b)) != 0)
        return vbf16_narrow_pair_c_int_(a, b);
    return _mm512_permutexvar_epi64(_mm512_set_epi64(7, 3, 6, 2, 5, 1, 4, 0), r);
}
#else
static inline __m512i vbf16_narrow_pair_c_(vf a, vf b) { return vbf16_narrow_pair_c_int_(a, b); }
#endif
static inline void vbf16_store_pair_c(uint16_t *p, vf a, vf b) { _mm512_storeu_si512((void *)p, vbf16_narrow_pair_c_(a, b)); }
static inline void vbf16_stream_pair_c(uint16_t *p, vf a, vf b) { _mm512_stream_si512((void *)p, vbf16_narrow_pair_c_(a, b)); }

#if defined(__AVX512BF16__)
/* The elementwise loops' pairs in element order (contract: vec_scalar.h,
 * VBF16_HAS_NPAIR): vcvtne2ps2bf16 narrows two vectors into element order
 * by itself, so a = elements 0-15 and b = 16-31 widened one vector at a
 * time (vpmovzxwd + vpslld), gamma and beta loaded as they are: no
 * shuffles of gamma and beta and no vpermq, where the pair order needs
 * four and one per 32 elements. The reductions keep the pair order (their
 * widening is the cheaper one there). */
#define VBF16_HAS_NPAIR 1
static inline void vbf16_load_npair(const uint16_t *p, vf *a, vf *b)
{
    *a = vbf16_loadu(p);
    *b = vbf16_loadu(p + VF_N);
}
static inline void vf_load_npair(const float *p, vf *a, vf *b)
{
    *a = _mm512_loadu_ps(p);
    *b = _mm512_loadu_ps(p + VF_N);
}
static inline __m512i vbf16_narrow_npair_c_(vf a, vf b)
{
    const __m512i r = (__m512i)_mm512_cvtne2ps_pbh(b, a);
    if (__builtin_expect(_mm512_testn_epi16_mask(r, _mm512_set1_epi16(0x7fff)) != 0, 0) &&
        (VBF16_SUBNORMAL_(a) | VBF16_SUBNORMAL_(b)) != 0)
        return _mm512_inserti64x4(_mm512_castsi256_si512(vbf16_narrow_c_int_(a)), vbf16_narrow_c_int_(b), 1);
    return r;
}
static inline void vbf16_store_npair_c(uint16_t *p, vf a, vf b) { _mm512_storeu_si512((void *)p, vbf16_narrow_npair_c_(a, b)); }
static inline void vbf16_stream_npair_c(uint16_t *p, vf a, vf b) { _mm512_stream_si512((void *)p, vbf16_narrow_npair_c_(a, b)); }
#endif

/* VC_N = 8 16-bit elements as doubles (the channel moments); partial ones
 * by a masked load. */
static inline vc vbf16_vc_(__m128i h) { return _mm512_cvtps_pd(_mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16))); }
static inline vc vfp16_vc_(__m128i h) { return _mm512_cvtps_pd(_mm512_castps512_ps256(_mm512_cvtph_ps(_mm256_castsi128_si256(h)))); }
static inline vc vbf16_load_vc(const uint16_t *p) { return vbf16_vc_(_mm_loadu_si128((const __m128i *)(const void *)p)); }
static inline vc vbf16_load_vc_part(const uint16_t *p, size_t n) { return vbf16_vc_(_mm_maskz_loadu_epi16((__mmask8)((1u << n) - 1), p)); }
static inline vc vfp16_load_vc(const uint16_t *p) { return vfp16_vc_(_mm_loadu_si128((const __m128i *)(const void *)p)); }
static inline vc vfp16_load_vc_part(const uint16_t *p, size_t n) { return vfp16_vc_(_mm_maskz_loadu_epi16((__mmask8)((1u << n) - 1), p)); }

#endif
