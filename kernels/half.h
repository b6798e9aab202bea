/* half.h - the portable 16-bit conversions (bf16, IEEE binary16), one value
 * at a time, in plain C: the scalar ISA's loads and stores, the reference
 * the vector headers are tested against, and what dispatch uses for single
 * values. Every vector header's conversions give exactly these bits
 * (kernels/vec/vec_*.h, vbf16_* and vfp16_*).
 *
 * Widening (16 -> 32 bits) is exact for every non-NaN value (both formats
 * are subsets of float32, subnormals included). A NaN widens to some NaN
 * inside the kernels (every output the kernels write from it is the
 * canonical NaN, so its payload never shows); the *_widen_canon forms, used
 * where a widened value is written (simdnorm_convert_*_to_f32), write the
 * canonical float NaN 0x7fc00000.
 * Narrowing (32 -> 16 bits) rounds to nearest, ties to even, subnormal
 * results included (never flushed), overflows to +-Inf as IEEE 754 says,
 * and writes every NaN as the canonical 16-bit NaN: 0x7fc0 (bf16), 0x7e00
 * (f16). */
#ifndef SIMDNORM_HALF_H
#define SIMDNORM_HALF_H

#include <stdint.h>
#include <string.h>

#define SIMDNORM_BF16_CANONICAL_NAN 0x7fc0u
#define SIMDNORM_F16_CANONICAL_NAN 0x7e00u

static inline uint32_t simdnorm_f32_bits_(float f)
{
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}
static inline float simdnorm_f32_from_bits_(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

/* bf16 -> float: the 16 bits on top, zeros below (NaN payload kept). */
static inline float simdnorm_bf16_widen1(uint16_t h) { return simdnorm_f32_from_bits_((uint32_t)h << 16); }

/* float -> bf16, round to nearest even on the bits: adding 0x7fff plus the
 * lowest kept bit carries into bit 16 exactly when the dropped half is
 * above the halfway point, or at it with an odd kept part; the carry moves
 * through the exponent (a rounding up to the next binade, the largest
 * finite values to Inf) as the IEEE rounding does. NaN: canonical. */
static inline uint16_t simdnorm_bf16_narrow1(float f)
{
    const uint32_t b = simdnorm_f32_bits_(f);
    if ((b & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)SIMDNORM_BF16_CANONICAL_NAN;
    return (uint16_t)((b + 0x7fffu + ((b >> 16) & 1u)) >> 16);
}

/* The normal binary16 values' conversions on their own (the common case,
 * which vec_scalar.h inlines while the rest of the functions below stays
 * out of line there): whether h is a normal binary16 (exponent 1..30), and
 * its value, the exponent rebiased by 127 - 15. */
static inline int simdnorm_f16_is_normal_(uint16_t h) { return ((h >> 10) & 0x1fu) - 1u < 30u; }
static inline float simdnorm_f16_widen1_normal_(uint16_t h)
{
    return simdnorm_f32_from_bits_(((uint32_t)(h & 0x8000u) << 16) |
                                   (((uint32_t)(h & 0x7fffu) << 13) + (112u << 23)));
}
/* Whether float f rounds to a normal binary16 (2^-14 <= |f| < 65520), and
 * that rounding to nearest even. */
static inline int simdnorm_f16_narrows_normal_(float f)
{
    return (simdnorm_f32_bits_(f) & 0x7fffffffu) - 0x38800000u < 0x477ff000u - 0x38800000u;
}
static inline uint16_t simdnorm_f16_narrow1_normal_(float f)
{
    const uint32_t b = simdnorm_f32_bits_(f);
    const uint32_t v = (b & 0x7fffffffu) - 0x38000000u;
    return (uint16_t)(((b >> 16) & 0x8000u) | ((v + 0xfffu + ((v >> 13) & 1u)) >> 13));
}

/* binary16 -> float. NaN: quiet, payload kept (what F16C and Arm's FCVT
 * give, so the scalar loads match the vector ones in every bit). */
static inline float simdnorm_f16_widen1(uint16_t h)
{
    if (simdnorm_f16_is_normal_(h))
        return simdnorm_f16_widen1_normal_(h);
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    if (e == 0x1f)
        return simdnorm_f32_from_bits_(sign | 0x7f800000u | (m ? 0x400000u | (m << 13) : 0u));
    /* zero or subnormal: m * 2^-24, exact in float */
    const float v = (float)m * 0x1p-24f;
    return simdnorm_f32_from_bits_(sign | simdnorm_f32_bits_(v));
}

/* float -> binary16, round to nearest even (integer arithmetic, no
 * dependence on the FP environment). */
static inline uint16_t simdnorm_f16_narrow1(float f)
{
    const uint32_t b = simdnorm_f32_bits_(f);
    const uint16_t sign = (uint16_t)((b >> 16) & 0x8000u);
    const uint32_t a = b & 0x7fffffffu;
    if (a > 0x7f800000u)
        return (uint16_t)SIMDNORM_F16_CANONICAL_NAN;
    if (a >= 0x477ff000u) /* >= 65520 = 65504 + half an ulp: the tie goes to even, Inf */
        return (uint16_t)(sign | 0x7c00u);
    if (a >= 0x38800000u) /* >= 2^-14: a normal binary16 */
        return simdnorm_f16_narrow1_normal_(f);
    /* a subnormal binary16 (or 0): the value in units of 2^-24 */
    const uint32_t e = a >> 23;
    if (e < 102) /* below 2^-25: rounds to 0 (2^-25 itself ties to even 0) */
        return sign;
    const uint32_t mant = (a & 0x7fffffu) | 0x800000u;
    const uint32_t s = 126u - e; /* 14 .. 24 */
    uint32_t r = mant >> s;
    const uint32_t rem = mant & ((1u << s) - 1u), half = 1u << (s - 1u);
    if (rem > half || (rem == half && (r & 1u)))
        r++;
    return (uint16_t)(sign | r);
}

/* The widening with a NaN written as the canonical float NaN. */
static inline float simdnorm_bf16_widen_canon1(uint16_t h)
{
    return (h & 0x7fffu) > 0x7f80u ? simdnorm_f32_from_bits_(0x7fc00000u) : simdnorm_bf16_widen1(h);
}
static inline float simdnorm_f16_widen_canon1(uint16_t h)
{
    return (h & 0x7fffu) > 0x7c00u ? simdnorm_f32_from_bits_(0x7fc00000u) : simdnorm_f16_widen1(h);
}

#endif /* SIMDNORM_HALF_H */
