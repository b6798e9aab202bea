/* vec_avx2.h - the vector operations of the AVX2 + FMA build of the generic
 * kernels (kernels/generic/): 8 floats, 4 doubles per register. The
 * contract of every operation is in vec_scalar.h. */
#ifndef SIMDNORM_VEC_H
#define SIMDNORM_VEC_H

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"

#define SIMDNORM_VEC_ISA avx2
#define VF_N 8
#define VD_N 4
#define VD_PER_VF 2
#define VF_STREAM_ALIGN 32
typedef __m256 vf;
typedef __m256d vd;

/* All-ones in the lanes j < n (n <= 8). */
static inline __m256i vf_mask_(size_t n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

static inline vf vf_zero(void) { return _mm256_setzero_ps(); }
static inline vf vf_set1(float a) { return _mm256_set1_ps(a); }
static inline vf vf_loadu(const float *p) { return _mm256_loadu_ps(p); }
/* Partial loads and stores are built from 4- and 8-byte scalar moves, not
 * vmaskmov: qemu's vmaskmov faults on a masked-off lane in an unmapped page
 * (seen with qemu-x86_64 -cpu Haswell and a guard page), and the test
 * suite runs there. They serve only the last, partial vector of a span. */
static inline __m128 vc_part4_(const float *p, size_t n)
{
    switch (n) {
    case 0: return _mm_setzero_ps();
    case 1: return _mm_load_ss(p);
    case 2: return _mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)(const void *)p));
    case 3: return _mm_movelh_ps(_mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)(const void *)p)),
                                 _mm_load_ss(p + 2));
    default: return _mm_loadu_ps(p);
    }
}
static inline void vc_store_part4_(float *p, size_t n, __m128 v)
{
    switch (n) {
    case 0: break;
    case 1: _mm_store_ss(p, v); break;
    case 2: _mm_storel_epi64((__m128i *)(void *)p, _mm_castps_si128(v)); break;
    case 3:
        _mm_storel_epi64((__m128i *)(void *)p, _mm_castps_si128(v));
        _mm_store_ss(p + 2, _mm_movehl_ps(v, v));
        break;
    default: _mm_storeu_ps(p, v); break;
    }
}
static inline vf vf_load_part(const float *p, size_t n)
{
    if (n >= 8)
        return _mm256_loadu_ps(p);
    return _mm256_set_m128(vc_part4_(p + 4, n > 4 ? n - 4 : 0), vc_part4_(p, n < 4 ? n : 4));
}
static inline void vf_storeu(float *p, vf v) { _mm256_storeu_ps(p, v); }
static inline void vf_store_part(float *p, vf v, size_t n)
{
    if (n >= 8) {
        _mm256_storeu_ps(p, v);
        return;
    }
    vc_store_part4_(p, n < 4 ? n : 4, _mm256_castps256_ps128(v));
    vc_store_part4_(p + 4, n > 4 ? n - 4 : 0, _mm256_extractf128_ps(v, 1));
}
static inline void vf_stream(float *p, vf v) { _mm256_stream_ps(p, v); }
static inline void vf_stream_fence(void) { _mm_sfence(); }
/* Lane i: a[8 - s + i] for i < s, b[i - s] after (both permuted by
 * (i - s) mod 8, then blended). */
static inline vf vf_join(vf a, vf b, size_t s)
{
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i idx = _mm256_and_si256(_mm256_sub_epi32(lane, _mm256_set1_epi32((int)s)),
                                         _mm256_set1_epi32(7));
    const __m256 from_a = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32((int)s), lane));
    return _mm256_blendv_ps(_mm256_permutevar8x32_ps(b, idx), _mm256_permutevar8x32_ps(a, idx),
                            from_a);
}
static inline vf vf_add(vf a, vf b) { return _mm256_add_ps(a, b); }
static inline vf vf_sub(vf a, vf b) { return _mm256_sub_ps(a, b); }
static inline vf vf_mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
static inline vf vf_div(vf a, vf b) { return _mm256_div_ps(a, b); }
static inline vf vf_fma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
/* On the FMA pipes, as in vec_avx512.h */
static inline vf vf_addk(vf x, vf nk) { return _mm256_fmadd_ps(x, _mm256_set1_ps(1.0f), nk); }
static inline vf vf_keep_first(vf v, size_t n) { return _mm256_and_ps(v, _mm256_castsi256_ps(vf_mask_(n))); }
static inline vf vf_neg(vf v) { return _mm256_xor_ps(v, _mm256_set1_ps(-0.0f)); }
static inline vf vf_max0(vf v) { return _mm256_max_ps(v, _mm256_setzero_ps()); }
static inline vf vf_canon_nan_of(vf r, vf probe)
{
    return _mm256_blendv_ps(r, _mm256_castsi256_ps(_mm256_set1_epi32((int)SIMDNORM_CANONICAL_NAN_BITS)),
                            _mm256_cmp_ps(probe, probe, _CMP_UNORD_Q));
}
static inline vf vf_abs(vf v) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }
static inline vf vf_min(vf a, vf b) { return _mm256_min_ps(a, b); }
static inline vf vf_max(vf a, vf b) { return _mm256_max_ps(a, b); }
static inline vf vf_fnma(vf a, vf b, vf c) { return _mm256_fnmadd_ps(a, b, c); }
typedef __m256 vfmask;
static inline vfmask vf_lt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
static inline vfmask vf_ge(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
static inline vfmask vf_nlt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_NLT_UQ); }
static inline vfmask vfm_and(vfmask a, vfmask b) { return _mm256_and_ps(a, b); }
static inline int vfm_any(vfmask m) { return _mm256_movemask_ps(m) != 0; }
static inline vf vf_select(vfmask m, vf a, vf b) { return _mm256_blendv_ps(b, a, m); }
typedef __m256i vi;
static inline vi vi_set1(int32_t a) { return _mm256_set1_epi32(a); }
static inline vi vi_add(vi a, vi b) { return _mm256_add_epi32(a, b); }
static inline vi vi_shl(vi v, int n) { return _mm256_slli_epi32(v, n); }
static inline vi vf_as_vi(vf v) { return _mm256_castps_si256(v); }
static inline vf vi_as_vf(vi i) { return _mm256_castsi256_ps(i); }
static inline vi vf_cvtt_vi(vf v) { return _mm256_cvttps_epi32(v); }
static inline vf vi_cvt_vf(vi i) { return _mm256_cvtepi32_ps(i); }
typedef __m256i vlut8;
static inline vlut8 vlut8_of(vi i) { return i; }
static inline vf vf_lut8(const float t[8], vlut8 l) { return _mm256_permutevar8x32_ps(_mm256_loadu_ps(t), l); }
/* Rows in lanes (the row engine's tiny rows, generic/rows.c). The gather
 * takes 32-bit element offsets: the caller keeps 7 * s < 2^31. */
#define VF_HAS_ROWS_IN_LANES 1
static inline vf vf_gather_rows(const float *p, size_t s)
{
    const __m256i i = _mm256_mullo_epi32(_mm256_set1_epi32((int)s), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    return _mm256_i32gather_ps(p, i, 4);
}
static inline vi vi_loadu(const int32_t *p) { return _mm256_loadu_si256((const __m256i *)(const void *)p); }
static inline vf vf_permute(vf v, vi i) { return _mm256_permutevar8x32_ps(v, i); }

static inline vd vd_zero(void) { return _mm256_setzero_pd(); }
static inline vd vd_set1(double a) { return _mm256_set1_pd(a); }
static inline vd vd_add(vd a, vd b) { return _mm256_add_pd(a, b); }
static inline vd vd_sub(vd a, vd b) { return _mm256_sub_pd(a, b); }
static inline vd vd_fma(vd a, vd b, vd c) { return _mm256_fmadd_pd(a, b, c); }
static inline __m256i vd_mask_(size_t n)
{
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)n), _mm256_setr_epi64x(0, 1, 2, 3));
}
static inline vd vd_keep_first(vd v, size_t n) { return _mm256_and_pd(v, _mm256_castsi256_pd(vd_mask_(n))); }
static inline void vd_storeu(double *p, vd v) { _mm256_storeu_pd(p, v); }
static inline void vd_store_part(double *p, vd v, size_t n)
{
    double t[4];
    _mm256_storeu_pd(t, v);
    memcpy(p, t, n * sizeof(double));
}
typedef __m256d vdmask;
static inline vd vd_loadu(const double *p) { return _mm256_loadu_pd(p); }
static inline vd vd_load_part(const double *p, size_t n)
{
    double t[4] = {0.0, 0.0, 0.0, 0.0};
    memcpy(t, p, n * sizeof(double));
    return _mm256_loadu_pd(t);
}
static inline vd vd_mul(vd a, vd b) { return _mm256_mul_pd(a, b); }
static inline vd vd_div(vd a, vd b) { return _mm256_div_pd(a, b); }
static inline vd vd_sqrt(vd a) { return _mm256_sqrt_pd(a); }
static inline vd vd_neg(vd a) { return _mm256_xor_pd(a, _mm256_set1_pd(-0.0)); }
static inline vd vd_abs(vd a) { return _mm256_andnot_pd(_mm256_set1_pd(-0.0), a); }
static inline vd vd_round_f32(vd a) { return _mm256_cvtps_pd(_mm256_cvtpd_ps(a)); }
static inline void vd_store_f32(float *p, vd v, size_t n) { vc_store_part4_(p, n, _mm256_cvtpd_ps(v)); }
static inline vdmask vd_lt(vd a, vd b) { return _mm256_cmp_pd(a, b, _CMP_LT_OQ); }
static inline vdmask vd_le(vd a, vd b) { return _mm256_cmp_pd(a, b, _CMP_LE_OQ); }
static inline vdmask vd_ge(vd a, vd b) { return _mm256_cmp_pd(a, b, _CMP_GE_OQ); }
static inline vdmask vdm_and(vdmask a, vdmask b) { return _mm256_and_pd(a, b); }
static inline unsigned vdm_bits(vdmask m) { return (unsigned)_mm256_movemask_pd(m); }
/* ((x0+x1)+(x2+x3)) + ((x4+x5)+(x6+x7)) in double (the head shift of a
 * row, kernels.h simdnorm_head_shift): hadd pairs (x0+x1, x4+x5, x2+x3,
 * x6+x7), then the halves, then the two sums - the same additions. */
static inline double vd_head8_sum(const float *x)
{
    const __m256d h = _mm256_hadd_pd(_mm256_cvtps_pd(_mm_loadu_ps(x)), _mm256_cvtps_pd(_mm_loadu_ps(x + 4)));
    const __m128d t = _mm_add_pd(_mm256_castpd256_pd128(h), _mm256_extractf128_pd(h, 1));
    return _mm_cvtsd_f64(_mm_add_sd(t, _mm_unpackhi_pd(t, t)));
}
static inline void vf_widen(vf v, vd out[VD_PER_VF])
{
    out[0] = _mm256_cvtps_pd(_mm256_castps256_ps128(v));
    out[1] = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
}
static inline vf vf_narrow_vd(const vd w[VD_PER_VF]) { return _mm256_set_m128(_mm256_cvtpd_ps(w[1]), _mm256_cvtpd_ps(w[0])); }
static inline void vf_load_widen(const float *p, vd out[VD_PER_VF])
{
    out[0] = _mm256_cvtps_pd(_mm_loadu_ps(p));
    out[1] = _mm256_cvtps_pd(_mm_loadu_ps(p + 4));
}
/* The in-register halvings l += l+2, l += l+1; lane 0. */
static inline double vd_fold(vd v)
{
    const __m128d h2 = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(h2, _mm_unpackhi_pd(h2, h2)));
}
/* vd_fold of 4 rows at once, lane r = vd_fold(v[r]); every sum pairs the
 * lanes vd_fold pairs, in the same order:
 *   A: [v_r 0-1 | v_r+1 0-1] + [v_r 2-3 | v_r+1 2-3]      (l += l+2)
 *   B: hadd of the two A results: [r0, r2, r1, r3]       (l += l+1)
 * then the lanes put in row order. */
#define VD_HAS_FOLD_ROWS 1
static inline vd vd_fold_rows(const vd v[VD_N])
{
    const __m256d w01 = _mm256_add_pd(_mm256_permute2f128_pd(v[0], v[1], 0x20),
                                      _mm256_permute2f128_pd(v[0], v[1], 0x31));
    const __m256d w23 = _mm256_add_pd(_mm256_permute2f128_pd(v[2], v[3], 0x20),
                                      _mm256_permute2f128_pd(v[2], v[3], 0x31));
    return _mm256_permute4x64_pd(_mm256_hadd_pd(w01, w23), _MM_SHUFFLE(3, 1, 2, 0));
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
/* (contract: vec_scalar.h.) The partial loads and stores here are built
 * from 4- and 8-byte scalar moves, not vmaskmov, as channels_avx2.c did:
 * qemu 7.2 faults on vmaskmov's masked-off elements at a PROT_NONE page. */
#define VC_N 4
typedef __m256d vc;
#define CH_MOM_SLOTS 4     /* 16 channels, 8 independent add/FMA chains */
#define CH_MOM_TILE_ROWS 16 /* 32 rows: 32x64x56x56 NHWC statistics at ~17
                             * GB/s instead of ~30 (measured) */
#define CH_NRM_VECS 4      /* two whole cache lines: streaming stores of a
                            * line come from one tile */
#define CH_NRM_TILE_ROWS 16
static inline vc vc_zero(void) { return _mm256_setzero_pd(); }
static inline vc vc_load(const double *p) { return _mm256_load_pd(p); }
static inline void vc_store(double *p, vc v) { _mm256_store_pd(p, v); }
static inline vc vc_load_widen(const float *p) { return _mm256_cvtps_pd(_mm_loadu_ps(p)); }
static inline vc vc_load_widen_part(const float *p, size_t n) { return _mm256_cvtps_pd(vc_part4_(p, n)); }
static inline vc vc_add(vc a, vc b) { return _mm256_add_pd(a, b); }
static inline vc vc_fma(vc a, vc b, vc c) { return _mm256_fmadd_pd(a, b, c); }
static inline vc vc_neg(vc v) { return _mm256_xor_pd(v, _mm256_set1_pd(-0.0)); }
static inline vc vc_addk(vc x, vc nk) { return _mm256_fmadd_pd(x, _mm256_set1_pd(1.0), nk); }
/* ---- reductions (generic/reduce.h) ---- */
/* Full rounds of the fast reductions computed at once (their chains fit
 * the registers: moments 1 x 2 x 4 float sums, sum of squares 2 x 4). */
#define VF_MOMENTS_ROUNDS 1
#define VF_SUMSQ_ROUNDS 2

/* ---- 16-bit storage (contract: vec_scalar.h) ----
 * bf16: widen = vpmovzxwd + shift (exact); narrow = round to nearest even
 * on the integer bits (as vec_avx512.h), NaN lanes 0x7fc0, vpackusdw.
 * f16: F16C's vcvtph2ps / vcvtps2ph with the rounding in the immediate
 * (nearest even; the AVX2 level requires F16C, dispatch/cpu.h), NaN lanes
 * 0x7e00. Partial loads and stores by a small stack buffer (no vmaskmov,
 * see above). */
#include "half.h"
static inline vf vbf16_widen_(__m128i h) { return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16)); }
static inline __m128i vbf16_narrow_(vf v)
{
    const __m256i b = _mm256_castps_si256(v);
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(b, 16), _mm256_set1_epi32(1));
    __m256i r = _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(b, _mm256_set1_epi32(0x7fff)), lsb), 16);
    r = _mm256_blendv_epi8(r, _mm256_set1_epi32((int)SIMDNORM_BF16_CANONICAL_NAN),
                           _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q)));
    return _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
}
/* The rounding alone, for values whose NaNs are the canonical float NaN
 * (every kernel output): 0x7fc00000 narrows to 0x7fc0 by itself. */
static inline __m128i vbf16_narrow_c_(vf v)
{
    const __m256i b = _mm256_castps_si256(v);
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(b, 16), _mm256_set1_epi32(1));
    const __m256i r = _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(b, _mm256_set1_epi32(0x7fff)), lsb), 16);
    return _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
}
static inline vf vfp16_widen_(__m128i h) { return _mm256_cvtph_ps(h); }
/* vcvtps2ph turns the canonical float NaN into 0x7e00 by itself. */
static inline __m128i vfp16_narrow_c_(vf v) { return _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
static inline __m128i vfp16_narrow_(vf v)
{
    const __m128i r = _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m256i m = _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    const __m128i m16 = _mm_packs_epi32(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
    return _mm_blendv_epi8(r, _mm_set1_epi16((short)SIMDNORM_F16_CANONICAL_NAN), m16);
}
#define VEC_HALF_IO_(pre)                                                                             \
    static inline vf pre##_loadu(const uint16_t *p) { return pre##_widen_(_mm_loadu_si128((const __m128i *)(const void *)p)); } \
    static inline vf pre##_load_part(const uint16_t *p, size_t n)                                     \
    {                                                                                                 \
        uint16_t t[8] = {0, 0, 0, 0, 0, 0, 0, 0};                                                     \
        memcpy(t, p, (n < 8 ? n : 8) * sizeof(uint16_t));                                             \
        return pre##_widen_(_mm_loadu_si128((const __m128i *)(const void *)t));                       \
    }                                                                                                 \
    static inline void pre##_storeu(uint16_t *p, vf v) { _mm_storeu_si128((__m128i *)(void *)p, pre##_narrow_(v)); } \
    static inline void pre##_store_part(uint16_t *p, vf v, size_t n)                                  \
    {                                                                                                 \
        uint16_t t[8];                                                                                \
        _mm_storeu_si128((__m128i *)(void *)t, pre##_narrow_(v));                                     \
        memcpy(p, t, (n < 8 ? n : 8) * sizeof(uint16_t));                                            \
    }                                                                                                 \
    static inline void pre##_stream(uint16_t *p, vf v) { _mm_stream_si128((__m128i *)(void *)p, pre##_narrow_(v)); }
VEC_HALF_IO_(vbf16)
VEC_HALF_IO_(vfp16)
#define VEC_HALF_STORE_C_(pre)                                                                        \
    static inline void pre##_storeu_c(uint16_t *p, vf v) { _mm_storeu_si128((__m128i *)(void *)p, pre##_narrow_c_(v)); } \
    static inline void pre##_store_part_c(uint16_t *p, vf v, size_t n)                                \
    {                                                                                                 \
        uint16_t t[8];                                                                                \
        _mm_storeu_si128((__m128i *)(void *)t, pre##_narrow_c_(v));                                   \
        memcpy(p, t, (n < 8 ? n : 8) * sizeof(uint16_t));                                            \
    }                                                                                                 \
    static inline void pre##_stream_c(uint16_t *p, vf v) { _mm_stream_si128((__m128i *)(void *)p, pre##_narrow_c_(v)); }
VEC_HALF_STORE_C_(vbf16)
VEC_HALF_STORE_C_(vfp16)

/* bf16 pairs (contract: vec_scalar.h, VBF16_HAS_PAIR): 16 elements are
 * widened by one load and two unpacks with zero into a = elements 0-3,
 * 8-11 and b = 4-7, 12-15 (the unpacks stay within 128-bit lanes), and
 * narrowed back by one vpackusdw, which interleaves them into element
 * order: no cross-lane shuffle on either side (the single-vector narrow
 * needs vextracti128 + vpackusdw, the widen vpmovzxwd + a shift); gamma
 * and beta take that order by two vperm2f128 (and a reduction's lane sums
 * go back to element order by the same two, once a round). The rounding's low bit by a
 * compare (no shift: shifts and shuffles share two of Zen's four vector
 * pipes). A /tmp microbenchmark of LayerNorm's normalize of a 768-element
 * bf16 row in L1 (Zen 3, gcc -O2): 0.189 ns an element one vector at a
 * time, 0.151 in pairs (0.068 for float32). */
#define VBF16_HAS_PAIR 1
static inline __m256i vbf16_round_pair_(vf v)
{   /* the rounded word, the bf16 in its high half (NaN: canonical only) */
    const __m256i b = _mm256_castps_si256(v), bit = _mm256_set1_epi32(0x10000);
    const __m256i odd = _mm256_cmpeq_epi32(_mm256_and_si256(b, bit), bit);
    return _mm256_srli_epi32(_mm256_add_epi32(_mm256_sub_epi32(b, odd), _mm256_set1_epi32(0x7fff)), 16);
}
static inline void vbf16_load_pair(const uint16_t *p, vf *a, vf *b)
{
    const __m256i w = _mm256_loadu_si256((const __m256i *)(const void *)p), z = _mm256_setzero_si256();
    *a = _mm256_castsi256_ps(_mm256_unpacklo_epi16(z, w));
    *b = _mm256_castsi256_ps(_mm256_unpackhi_epi16(z, w));
}
static inline void vf_load_pair(const float *p, vf *a, vf *b)
{
    const vf lo = _mm256_loadu_ps(p), hi = _mm256_loadu_ps(p + 8);
    *a = _mm256_permute2f128_ps(lo, hi, 0x20);
    *b = _mm256_permute2f128_ps(lo, hi, 0x31);
}
static inline void vf_pair_to_elements(vf *a, vf *b)
{   /* the same exchange of 128-bit halves as vf_load_pair (its own inverse) */
    const vf lo = _mm256_permute2f128_ps(*a, *b, 0x20), hi = _mm256_permute2f128_ps(*a, *b, 0x31);
    *a = lo;
    *b = hi;
}
static inline __m256i vbf16_narrow_pair_c_(vf a, vf b) { return _mm256_packus_epi32(vbf16_round_pair_(a), vbf16_round_pair_(b)); }
static inline void vbf16_store_pair_c(uint16_t *p, vf a, vf b) { _mm256_storeu_si256((__m256i *)(void *)p, vbf16_narrow_pair_c_(a, b)); }
static inline void vbf16_stream_pair_c(uint16_t *p, vf a, vf b) { _mm256_stream_si256((__m256i *)(void *)p, vbf16_narrow_pair_c_(a, b)); }

/* VC_N = 4 16-bit elements as doubles (the channel moments), the partial
 * ones by element loads (no stack buffer: the few-channel NHWC statistics
 * take every row's elements this way, and a store-forwarded buffer per row
 * ran 5.9x slower at (8,3,224,224)). */
static inline __m128i vh_load4_(const uint16_t *p) { return _mm_loadl_epi64((const __m128i *)(const void *)p); }
static inline __m128i vh_load4_part_(const uint16_t *p, size_t n)
{
    switch (n) {
    case 0: return _mm_setzero_si128();
    case 1: return _mm_cvtsi32_si128(p[0]);
    case 2: return _mm_cvtsi32_si128((int)(p[0] | (uint32_t)p[1] << 16));
    case 3: return _mm_insert_epi16(_mm_cvtsi32_si128((int)(p[0] | (uint32_t)p[1] << 16)), p[2], 2);
    default: return vh_load4_(p);
    }
}
static inline vc vbf16_vc_(__m128i h) { return _mm256_cvtps_pd(_mm_castsi128_ps(_mm_slli_epi32(_mm_cvtepu16_epi32(h), 16))); }
static inline vc vfp16_vc_(__m128i h) { return _mm256_cvtps_pd(_mm_cvtph_ps(h)); }
static inline vc vbf16_load_vc(const uint16_t *p) { return vbf16_vc_(vh_load4_(p)); }
static inline vc vbf16_load_vc_part(const uint16_t *p, size_t n) { return vbf16_vc_(vh_load4_part_(p, n)); }
static inline vc vfp16_load_vc(const uint16_t *p) { return vfp16_vc_(vh_load4_(p)); }
static inline vc vfp16_load_vc_part(const uint16_t *p, size_t n) { return vfp16_vc_(vh_load4_part_(p, n)); }

#endif
