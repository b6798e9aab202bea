/* act_math.h - GELU(erf), GELU(tanh) and SiLU as fixed sequences of float
 * operations, written once against the vector API (kernels/vec/,
 * vec_scalar.h is the contract): each operation exact or one IEEE
 * rounding (vf_fma/vf_fnma fused), no approximate instruction, so every ISA
 * gives the same bits, scalar on a CPU without FMA (C fmaf) included. The
 * sequences are documented in kernels.h ("The activation epilogue") and
 * README.md; their coefficients (act_coeffs.h) come from
 * tools/act-exhaustive/fit_act.py, their accuracy on every float input from
 * tools/act-exhaustive.
 *
 * Each function has a main sequence and a tail sequence for large |x| (or
 * |w|); a lane's result is a function of its own input only: the tail's
 * result where the lane is in the tail, the main one elsewhere. The tail
 * runs (out of line) only for vectors with a lane in it - a speed device
 * that changes no bit. NaN lanes go to the tail too, which makes them the
 * canonical NaN: the main sequences need no NaN test. Include after the
 * vector header and generic/lanes.h. */
#ifndef SIMDNORM_GENERIC_ACT_MATH_H
#define SIMDNORM_GENERIC_ACT_MATH_H

#include "generic/act_coeffs.h"

#define ACT_NOINLINE __attribute__((noinline))

/* 1.5 * 2^23: z + MAGIC rounds z to an integer k (|z| < 2^22, ties to
 * even), held in the low bits of the sum's bits (bits = 0x4b400000 + k).
 * With MAGIC + 127 (ACT_MAGIC_E) the low bits hold k + 127, the biased
 * exponent of 2^k: bits << 23 is 2^k for -127 < k < 128 (the 0x4b4 above
 * them shifts out). */
#define ACT_MAGIC 0x1.8p23f
#define ACT_MAGIC_E (0x1.8p23f + 127.0f)

/* The bits of tk = k + MAGIC (as above) shifted into 2^(k + bias) for
 * -127 < k + bias < 128. */
static ALWAYS_INLINE vf act_pow2(vf tk, int32_t bias)
{
    return vi_as_vf(vi_add(vi_shl(vf_as_vi(tk), 23), vi_set1((127 + bias) << 23)));
}

/* 2^k from tk = k + ACT_MAGIC_E: one shift. */
static ALWAYS_INLINE vf act_pow2_e(vf tk) { return vi_as_vf(vi_shl(vf_as_vi(tk), 23)); }

/* !(a < b): a >= b, or a or b NaN. */
static ALWAYS_INLINE vfmask act_not_lt(vf a, vf b) { return vf_nlt(a, b); }

/* c[0] + c[1] f + ... + c[5] f^5 (Horner, fma), e^f ~ 1 + f q(f). With
 * sign -1 the polynomial of -f: e^-f ~ 1 - f q(-f). */
static ALWAYS_INLINE vf act_exp_q(vf f, float sign)
{
    const float s = sign;
    vf q = vf_fma(vf_set1(s * s * s * s * s * simdnorm_exp_c[5]), f, vf_set1(s * s * s * s * simdnorm_exp_c[4]));
    q = vf_fma(q, f, vf_set1(s * s * s * simdnorm_exp_c[3]));
    q = vf_fma(q, f, vf_set1(s * s * simdnorm_exp_c[2]));
    q = vf_fma(q, f, vf_set1(s * simdnorm_exp_c[1]));
    return vf_fma(q, f, vf_set1(simdnorm_exp_c[0]));
}

/* ---- GELU(erf) ----------------------------------------------------------
 * GELU(x) = x Phi(x), a = |x|, Q(a) = erfc(a/sqrt2)/2 = 1 - Phi(a),
 * D(a) = 1/2 - Q(a) = erf(a/sqrt2)/2:
 *   GELU(x) = x/2 + a D(a) = max(x, 0) - a Q(a)   (for either sign of x).
 * The first form has no cancellation near 0 (and for x >= 0), the second
 * none for x < 0 (the result is -a Q(a) itself) and little for x >= 0.
 * |x| < 4:  u = 2 min(a, 4 - 2^-22), i = (int)u, the piece;
 *           i = 0: s = u, P = D(a)/2 (degree 7 in s), r = x/2 + s P;
 *           i > 0: s = (i + 1) - u, P = -a Q(a) (degree 7 in s: expanded at
 *           the piece's small end), r = max(x, 0) + P;
 *           as one sequence: m = min(i, 1) (float), s = |u - (i + m)|
 *           (off = 0, 2, 3, ..., 8), P = the piece's polynomial
 *           (simdnorm_erf_p, coefficients looked up by i), z = fma(a,
 *           m * 0.5, x * 0.5) (x/2, or max(x, 0) = x/2 + a/2 exactly),
 *           r = fma(P, min(u, 1), z) (u = s on piece 0). off and za = m/2
 *           are computed, exactly, rather than looked up: on Zen 3 a
 *           vpermps costs about two FMAs' issue slots, the four
 *           operations less than the two lookups.
 * |x| >= 4 (or NaN): a Q(a) = e^(-a^2/2) S(a), S in y = 1/a^2; a clamped to
 *           AMAX, s + sl = a^2 exactly, k = round(-s/2 log2e),
 *           f = -s/2 - k ln2 - sl/2 (fma, hi and lo ln2), e^f - 1 = f q(f),
 *           u = S 2^(k+64) (exponent add), v = u + u (e^f - 1) (fma),
 *           r = max(x, 0) - v 2^-64 (fma: one rounding, also to a
 *           subnormal). x = -inf gives NaN, as 0.5 x (1 + erf(x/sqrt2)). */

static ACT_NOINLINE vf act_gelu_erf_tail(vf x, vf a, vfmask tail, vf r_main)
{
    const vf ac = vf_min(a, vf_set1(SIMDNORM_ERF_AMAX));
    const vf s = vf_mul(ac, ac);
    const vf sl = vf_fma(ac, ac, vf_neg(s));
    const vf y = vf_div(vf_set1(1.0f), s);
    vf S = vf_fma(vf_set1(simdnorm_erf_s[6]), y, vf_set1(simdnorm_erf_s[5]));
    S = vf_fma(S, y, vf_set1(simdnorm_erf_s[4]));
    S = vf_fma(S, y, vf_set1(simdnorm_erf_s[3]));
    S = vf_fma(S, y, vf_set1(simdnorm_erf_s[2]));
    S = vf_fma(S, y, vf_set1(simdnorm_erf_s[1]));
    S = vf_fma(S, y, vf_set1(simdnorm_erf_s[0]));
    const vf tk = vf_fma(s, vf_set1(-0.5f * SIMDNORM_LOG2E), vf_set1(ACT_MAGIC));
    const vf kf = vf_sub(tk, vf_set1(ACT_MAGIC));
    vf f = vf_fma(kf, vf_set1(-SIMDNORM_LN2HI), vf_mul(s, vf_set1(-0.5f)));
    f = vf_fma(kf, vf_set1(-SIMDNORM_LN2LO), f);
    f = vf_fma(sl, vf_set1(-0.5f), f);
    const vf em1 = vf_mul(f, act_exp_q(f, 1.0f));
    const vf u = vi_as_vf(vi_add(vf_as_vi(S), vi_shl(vi_add(vf_as_vi(tk), vi_set1(64)), 23)));
    const vf v = vf_fma(u, em1, u);
    vf r = vf_fnma(v, vf_set1(0x1p-64f), vf_max0(x));
    r = vf_canon_nan_of(r, vf_add(x, a)); /* -inf and NaN: the canonical NaN */
    return vf_select(tail, r, r_main);
}

static ALWAYS_INLINE vf act_gelu_erf(vf x)
{
    const vf a = vf_abs(x);
    const vf u = vf_mul(vf_min(a, vf_set1(0x1.fffffep1f)), vf_set1(2.0f));
    const vi iu = vf_cvtt_vi(u);
    const vlut8 l = vlut8_of(iu);
    /* off[i] and za[i] (exact): m = min(i, 1), off = i + m, za = m/2 */
    const vf fi = vi_cvt_vf(iu), m = vf_min(fi, vf_set1(1.0f));
    const vf s = vf_abs(vf_sub(u, vf_add(fi, m)));
    vf p = vf_fma(vf_lut8(simdnorm_erf_p[7], l), s, vf_lut8(simdnorm_erf_p[6], l));
    p = vf_fma(p, s, vf_lut8(simdnorm_erf_p[5], l));
    p = vf_fma(p, s, vf_lut8(simdnorm_erf_p[4], l));
    p = vf_fma(p, s, vf_lut8(simdnorm_erf_p[3], l));
    p = vf_fma(p, s, vf_lut8(simdnorm_erf_p[2], l));
    p = vf_fma(p, s, vf_lut8(simdnorm_erf_p[1], l));
    p = vf_fma(p, s, vf_lut8(simdnorm_erf_p[0], l));
    const vf z = vf_fma(a, vf_mul(m, vf_set1(0.5f)), vf_mul(x, vf_set1(0.5f)));
    vf r = vf_fma(p, vf_min(u, vf_set1(1.0f)), z);
    const vfmask tail = act_not_lt(a, vf_set1(4.0f));
    if (vfm_any(tail))
        r = act_gelu_erf_tail(x, a, tail, r);
    return r;
}

/* ---- SiLU and GELU(tanh): x sigma(z) = x / (1 + e^-z) ------------------
 * SiLU z = x; GELU(tanh) z = w = x (A + B x^2) (= 2 sqrt(2/pi) (x +
 * 0.044715 x^3), so 0.5 x (1 + tanh(w/2)) = x sigma(w)): no cancellation.
 * Main (SiLU |x| < 16.25, GELU(tanh) |x| < 4.7, so |z| < 16.25 and
 *   |k| <= 23: 1 + 2^k is exact):
 *   k = round(-z log2e) (fma with MAGIC), g = z + k ln2 (fma, hi then lo),
 *   so e^-z = 2^k e^-g; d = (1 + 2^k) - (2^k g) q(-g) (fma; 1 + 2^k is
 *   exact for k < 24), r = x / d.
 * Tail (the other lanes, NaN included), z = zh + zl:
 *   |z| < 87, z >= 0: as the main sequence;
 *   |z| < 87, z < 0 (k >= 0): p = e^-g as ph = 1 - g q(-g) (fma) and pl =
 *     (1 - ph) - g q(-g) (fma; 1 - ph exact), m = 2^-k (1 / 2^k, exact),
 *     r = (x m) / (ph + (pl + m)): 1 + 2^k e^-g without the rounding of
 *     1 + 2^k (a tie at k = 24);
 *   z >= 87: r = x (sigma(z) = 1 to float precision);
 *   z <= -87: r = x e^z, e^z = 2^k (1 + f q(f)), zh clamped to -110 (x e^z
 *     < 2^-150 below: r = x * 0, -0 or NaN for x = -inf), r = ((x p)
 *     2^(k+64)) 2^-64: one rounding, also to a subnormal;
 *   NaN: the canonical NaN. */
static ACT_NOINLINE vf act_sigmoid_tail(vf x, vf zh, vf zl, vfmask tail, vf r_main)
{
    /* |z| < 87 */
    const vf tm = vf_fma(zh, vf_set1(-SIMDNORM_LOG2E), vf_set1(ACT_MAGIC_E));
    const vf km = vf_sub(tm, vf_set1(ACT_MAGIC_E));
    vf g = vf_fma(km, vf_set1(SIMDNORM_LN2HI), zh);
    g = vf_fma(km, vf_set1(SIMDNORM_LN2LO), g);
    g = vf_add(g, zl);
    const vf q = act_exp_q(g, -1.0f);
    const vf two = act_pow2_e(tm);
    const vf r_pos = vf_div(x, vf_fnma(vf_mul(two, g), q, vf_add(two, vf_set1(1.0f))));
    const vf ph = vf_fnma(g, q, vf_set1(1.0f));
    const vf pl = vf_fnma(g, q, vf_sub(vf_set1(1.0f), ph));
    const vf m = vf_div(vf_set1(1.0f), two);
    const vf r_neg = vf_div(vf_mul(x, m), vf_add(ph, vf_add(pl, m)));
    const vf r_mid = vf_select(vf_lt(zh, vf_zero()), r_neg, r_pos);
    /* |z| >= 87 */
    const vf zc = vf_max(zh, vf_set1(-110.0f));
    const vf tk = vf_fma(zc, vf_set1(SIMDNORM_LOG2E), vf_set1(ACT_MAGIC));
    const vf kf = vf_sub(tk, vf_set1(ACT_MAGIC));
    vf f = vf_fma(kf, vf_set1(-SIMDNORM_LN2HI), zc);
    f = vf_fma(kf, vf_set1(-SIMDNORM_LN2LO), f);
    f = vf_add(f, zl);
    const vf p = vf_fma(f, act_exp_q(f, 1.0f), vf_set1(1.0f));
    const vf xp = vf_mul(vf_mul(x, p), act_pow2(tk, 64));
    vf far = vf_mul(xp, vf_set1(0x1p-64f));
    far = vf_select(vf_lt(zh, vf_set1(-110.0f)), vf_mul(x, vf_zero()), far);
    far = vf_select(vf_ge(x, vf_zero()), x, far);
    vf r = vf_select(vf_lt(vf_abs(zh), vf_set1(87.0f)), r_mid, far);
    r = vf_canon_nan_of(r, r);
    return vf_select(tail, r, r_main);
}

/* d = 1 + e^-z from tk = k + MAGIC_E and g = z + k ln2: (1 + 2^k) -
 * (2^k g) q(-g), one rounding. */
static ALWAYS_INLINE vf act_one_plus_exp(vf tk, vf g)
{
    const vf two = act_pow2_e(tk);
    return vf_fnma(vf_mul(two, g), act_exp_q(g, -1.0f), vf_add(two, vf_set1(1.0f)));
}

static ALWAYS_INLINE vf act_silu(vf x)
{
    const vf tk = vf_fma(x, vf_set1(-SIMDNORM_LOG2E), vf_set1(ACT_MAGIC_E));
    const vf kf = vf_sub(tk, vf_set1(ACT_MAGIC_E));
    vf g = vf_fma(kf, vf_set1(SIMDNORM_LN2HI), x);
    g = vf_fma(kf, vf_set1(SIMDNORM_LN2LO), g);
    vf r = vf_div(x, act_one_plus_exp(tk, g));
    const vfmask tail = act_not_lt(vf_abs(x), vf_set1(16.25f));
    if (vfm_any(tail))
        r = act_sigmoid_tail(x, x, vf_zero(), tail, r);
    return r;
}

/* GELU(tanh), |x| < 4.7: P = A + B x^2 (fma), w = x P; the exp takes
 * g = x P + k LN2HI (fma: x P exact, k LN2HI exact) + k LN2LO + x Pl, Pl =
 * (A + B x^2) - P to float precision: the fma's rounding (A - P is exact
 * while B x^2 <= A, |x| < 4.73), x^2's (x2l) and the constants' low parts.
 * |x| >= 4.7 (or NaN): w as hi + lo again, since B x^2 > A there: b + bl =
 * B x^2 (x^2 + x2l exact), P = b + A with its error (Fast2Sum, b >= A), the
 * constants' low parts, w = x P, wl = (x P - w) + x Pl; then the sigmoid
 * tail on w + wl. */
static ACT_NOINLINE vf act_gelu_tanh_tail(vf x, vfmask tail, vf r_main)
{
    const vf x2 = vf_mul(x, x);
    const vf x2l = vf_fma(x, x, vf_neg(x2));
    const vf b = vf_mul(x2, vf_set1(SIMDNORM_GELU_TANH_B));
    const vf bl = vf_fma(x2, vf_set1(SIMDNORM_GELU_TANH_B), vf_neg(b));
    const vf P = vf_add(b, vf_set1(SIMDNORM_GELU_TANH_A));
    const vf e = vf_add(vf_sub(b, P), vf_set1(SIMDNORM_GELU_TANH_A));
    vf Pl = vf_fma(x2l, vf_set1(SIMDNORM_GELU_TANH_B), vf_add(e, bl));
    Pl = vf_fma(x2, vf_set1(SIMDNORM_GELU_TANH_BLO), vf_add(Pl, vf_set1(SIMDNORM_GELU_TANH_ALO)));
    const vf w = vf_mul(x, P);
    const vf wl = vf_fma(x, Pl, vf_fma(x, P, vf_neg(w)));
    return act_sigmoid_tail(x, w, wl, tail, r_main);
}

static ALWAYS_INLINE vf act_gelu_tanh(vf x)
{
    const vf x2 = vf_mul(x, x);
    const vf P = vf_fma(x2, vf_set1(SIMDNORM_GELU_TANH_B), vf_set1(SIMDNORM_GELU_TANH_A));
    const vf w = vf_mul(x, P);
    const vf tk = vf_fma(w, vf_set1(-SIMDNORM_LOG2E), vf_set1(ACT_MAGIC_E));
    const vf kf = vf_sub(tk, vf_set1(ACT_MAGIC_E));
    vf g = vf_fma(x, P, vf_mul(kf, vf_set1(SIMDNORM_LN2HI)));
    g = vf_fma(kf, vf_set1(SIMDNORM_LN2LO), g);
    const vf x2l = vf_fma(x, x, vf_neg(x2));
    vf Pl = vf_fma(x2, vf_set1(SIMDNORM_GELU_TANH_B), vf_sub(vf_set1(SIMDNORM_GELU_TANH_A), P));
    Pl = vf_fma(x2l, vf_set1(SIMDNORM_GELU_TANH_B), Pl);
    Pl = vf_fma(x2, vf_set1(SIMDNORM_GELU_TANH_BLO), vf_add(Pl, vf_set1(SIMDNORM_GELU_TANH_ALO)));
    g = vf_fma(x, Pl, g);
    vf r = vf_div(x, act_one_plus_exp(tk, g));
    const vfmask tail = act_not_lt(vf_abs(x), vf_set1(4.7f));
    if (vfm_any(tail))
        r = act_gelu_tanh_tail(x, tail, r);
    return r;
}

#endif
