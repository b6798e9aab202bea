/* act_coeffs.h - written by tools/act-exhaustive/fit_act.py: the
 * constants and polynomial coefficients of the activation sequences
 * (generic/act_math.h). Do not edit; rerun the script. */
#ifndef SIMDNORM_GENERIC_ACT_COEFFS_H
#define SIMDNORM_GENERIC_ACT_COEFFS_H

/* GELU(erf) for |x| < 4, 8 pieces of a = |x| (Q(a) = erfc(a/sqrt2)/2):
 *   piece 0, a < 1/2: D(a)/2, D(a) = 1/2 - Q(a), at s = 2a;
 *   piece i >= 1: -a Q(a) at s = (i + 1) - 2a in (0, 1].
 * sum_j erf_p[j][i] s^j (row j: coefficient j of the 8 pieces, a table
 * for vf_lut8). Relative approximation errors:
 *   piece 0 (a in [0.0, 0.5)): 2^-25.1
 *   piece 1 (a in [0.5, 1.0)): 2^-26.2, 2^-30.0 for s > 0.2
 *   piece 2 (a in [1.0, 1.5)): 2^-26.4, 2^-29.9 for s > 0.2
 *   piece 3 (a in [1.5, 2.0)): 2^-27.1, 2^-31.0 for s > 0.2
 *   piece 4 (a in [2.0, 2.5)): 2^-25.3, 2^-29.2 for s > 0.2
 *   piece 5 (a in [2.5, 3.0)): 2^-25.8, 2^-29.3 for s > 0.2
 *   piece 6 (a in [3.0, 3.5)): 2^-26.0, 2^-27.9 for s > 0.2
 *   piece 7 (a in [3.5, 4.0)): 2^-24.8, 2^-26.8 for s > 0.2
 */
static const float simdnorm_erf_p[8][8] = {
    {0.0f, -0x1.44ed0cp-3f, -0x1.9a76a4p-4f, -0x1.74bcf8p-5f, -0x1.fcb21ep-7f, -0x1.096698p-8f, -0x1.aae05p-11f, -0x1.09ad7ap-13f},
    {0x1.988454p-4f, -0x1.55427p-5f, -0x1.050e98p-4f, -0x1.5d1c0cp-5f, -0x1.341c3cp-6f, -0x1.876f5p-8f, -0x1.71da82p-10f, -0x1.080e96p-12f},
    {-0x1.b88a1ep-23f, 0x1.ef8a6ap-6f, -0x1.093e6ap-8f, -0x1.ba4a02p-7f, -0x1.31201ep-7f, -0x1.fc4866p-9f, -0x1.251d62p-10f, -0x1.eb2d6cp-13f},
    {-0x1.102fc2p-8f, 0x1.efb9b2p-7f, 0x1.d03384p-8f, -0x1.cd466p-21f, -0x1.0d68b6p-9f, -0x1.6b085ep-10f, -0x1.132768p-11f, -0x1.188628p-13f},
    {-0x1.5cd7a6p-17f, 0x1.465a98p-10f, 0x1.274448p-9f, 0x1.27947ap-10f, 0x1.2b83ep-15f, -0x1.0a6d34p-12f, -0x1.46e902p-13f, -0x1.b2c8f4p-15f},
    {0x1.71837cp-13f, -0x1.f542a6p-12f, 0x1.8b6baap-14f, 0x1.21662ap-12f, 0x1.06ecd2p-13f, 0x1.4e5f12p-23f, -0x1.a56b8cp-16f, -0x1.b9252ap-17f},
    {-0x1.3778bep-16f, -0x1.f837fep-14f, -0x1.730b54p-14f, 0x1.b68542p-17f, 0x1.45ddc2p-15f, 0x1.93274ap-17f, -0x1.4cf272p-19f, -0x1.83d9ecp-19f},
    {0x1.f5036ap-20f, 0x1.8de1bap-16f, -0x1.19db6p-18f, -0x1.acf478p-17f, -0x1.c13f3cp-19f, 0x1.94bdc2p-19f, 0x1.eaa266p-20f, 0x1.43c11ap-23f},
};

/* e^f ~ 1 + f (c[0] + c[1] f + ... + c[5] f^5) for |f| <= ln2/2 + 2^-12:
 * relative approximation error 2^-28.3 */
static const float simdnorm_exp_c[6] = {0x1.0p0f, 0x1.fffffcp-2f, 0x1.555492p-3f, 0x1.5558b2p-5f, 0x1.12399p-7f, 0x1.6a4adcp-10f};

/* GELU(erf), |x| >= 4: S(a) = a Q(a) e^(a^2/2) ~ sum_j erf_s[j] y^j, y = 1/a^2,
 * a in [4, 14.5]: relative approximation error 2^-28.2 */
static const float simdnorm_erf_s[7] = {0x1.988452p-2f, -0x1.9881d6p-2f, 0x1.31f476p0f, -0x1.75cc06p2f, 0x1.1943f6p5f, -0x1.7412c2p7f, 0x1.0c3198p9f};
#define SIMDNORM_ERF_AMAX 0x1.dp3f /* a Q(a) < 2^-150 beyond: GELU rounds to -0 or x */

/* log2(e); ln2 = LN2HI + LN2LO, LN2HI with 17 significant bits (k LN2HI
 * is exact for |k| < 128) */
#define SIMDNORM_LOG2E 0x1.715476p0f
#define SIMDNORM_LN2HI 0x1.62e4p-1f
#define SIMDNORM_LN2LO 0x1.7f7d1cp-20f
/* GELU(tanh) = x sigma(w), w = x (A + B x^2): A = 2 sqrt(2/pi),
 * B = 0.044715 A, each as float hi + lo */
#define SIMDNORM_GELU_TANH_A 0x1.988454p0f
#define SIMDNORM_GELU_TANH_ALO -0x1.857936p-25f
#define SIMDNORM_GELU_TANH_B 0x1.2444f2p-4f
#define SIMDNORM_GELU_TANH_BLO 0x1.49b16ap-29f

#endif
