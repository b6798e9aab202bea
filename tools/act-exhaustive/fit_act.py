#!/usr/bin/env python3
"""fit_act.py - derives the coefficients of simdnorm's activation sequences
(kernels/generic/act_math.h) and prints them as C.

Every polynomial is a near-minimax fit of the relative error (Lawson's
iteratively reweighted least squares on a Chebyshev-spaced grid, targets from
mpmath at 50 digits), then rounded to float one coefficient at a time, lowest
degree first, refitting the remaining ones after each rounding. The error
printed is that of the float coefficients evaluated exactly (mpmath), i.e.
the approximation error alone, without the float evaluation's roundings
(tools/act-exhaustive measures the whole sequence on every float input).

  python3 tools/act-exhaustive/fit_act.py > kernels/generic/act_coeffs.h
  (numpy, mpmath: pip install numpy mpmath; about a minute)

Pieces:
  Q(a)  = 0.5 erfc(a / sqrt 2) = P(X > a), the upper tail of the normal law:
          GELU(x) = max(x, 0) - |x| Q(|x|).
  erf_p[j][i]  piece i = 0..7 of GELU(erf) on a = |x| in [i/2, i/2 + 1/2),
               degree 7: piece 0 D(a)/2 = erf(a/sqrt2)/4 at s = 2a (c[0] = 0,
               so it keeps its relative accuracy near 0), piece
               i >= 1 -a Q(a) at s = (i + 1) - 2a (expanded at its small end).
  exp_c[j]     e^f ~ 1 + f (c1 + c2 f + ... + c6 f^5), |f| <= ln2/2 + 2^-10.
  erf_s[j]     S(a) = a Q(a) e^(a^2/2) ~ sum_j s[j] y^j, y = 1/a^2 for
               a in [4, A_MAX] (the tail, |x| >= 4).
"""
import sys

import mpmath as mp
import numpy as np

mp.mp.dps = 50


def f32(v):
    return float(np.float32(v))


def lawson(t, y, basis, fixed, weight, iters=400):
    """Near-minimax fit sum_j c_j basis_j(t) ~ y, weighted error |.|*weight;
    fixed: {j: value} held fixed. Returns all coefficients (float64)."""
    n = len(t)
    V = np.stack([b(t) for b in basis], axis=1)
    free = [j for j in range(len(basis)) if j not in fixed]
    rhs = y - sum(V[:, j] * v for j, v in fixed.items()) if fixed else y.copy()
    w = np.ones(n) / n
    c = None
    for _ in range(iters):
        W = np.sqrt(w) * weight
        sol, *_ = np.linalg.lstsq(V[:, free] * W[:, None], rhs * W, rcond=None)
        e = np.abs(V[:, free] @ sol - rhs) * weight
        w = w * (e + 1e-300)
        w /= w.sum()
        c = sol
    out = [0.0] * len(basis)
    for j, v in fixed.items():
        out[j] = v
    for j, v in zip(free, c):
        out[j] = v
    return out


def fit_float(t, y, basis, weight, order=None, fixed0=None):
    """Lawson fit, then round to float one coefficient at a time (in
    `order`, default lowest degree first), refitting the others."""
    fixed = dict(fixed0 or {})
    order = order or list(range(len(basis)))
    for j in order:
        if j in fixed:
            continue
        c = lawson(t, y, basis, fixed, weight)
        fixed[j] = f32(c[j])
    return [fixed[j] for j in range(len(basis))]


def cheb_grid(lo, hi, n):
    k = np.arange(n)
    return (lo + hi) / 2 + (hi - lo) / 2 * np.cos(np.pi * (k + 0.5) / n)


def mono(j):
    return lambda t: t ** j


def Q(a):
    return mp.erfc(mp.mpf(a) / mp.sqrt(2)) / 2


def worst_rel(f_exact, coeffs, pts, var=lambda p: p):
    """max relative error of sum c_j var(p)^j against f_exact(p), exactly."""
    worst = mp.mpf(0)
    for p in pts:
        v = mp.mpf(var(p))
        s = mp.mpf(0)
        for c in reversed(coeffs):
            s = s * v + mp.mpf(c)
        fe = f_exact(p)
        worst = max(worst, abs(s / fe - 1))
    return float(mp.log(worst, 2))


def hexf(v):
    """v (a float value) as a C float literal, exact."""
    v = float(np.float32(v))
    if v == 0:
        return "0.0f"
    m, e = np.frexp(v)  # v = m 2^e, 0.5 <= |m| < 1
    m, e = 2 * m, e - 1
    digits = int(round(abs(m) * 2 ** 23))
    frac = digits - 2 ** 23
    h = format(frac << 1, "06x").rstrip("0") or "0"  # 23 bits -> 24 = 6 hex digits
    return ("-" if v < 0 else "") + "0x1." + h + "p" + str(e) + "f"


def split(x):
    """x (mpf) as float hi + float lo."""
    hi = f32(x)
    return hi, f32(x - mp.mpf(hi))


def main():
    amax = 14.5
    out = ["/* act_coeffs.h - written by tools/act-exhaustive/fit_act.py: the",
           " * constants and polynomial coefficients of the activation sequences",
           " * (generic/act_math.h). Do not edit; rerun the script. */",
           "#ifndef SIMDNORM_GENERIC_ACT_COEFFS_H",
           "#define SIMDNORM_GENERIC_ACT_COEFFS_H", ""]
    notes = []
    # ---- GELU(erf): pieces of width 1/2 on a = |x| in [0, 4) -------------
    # piece 0 (a < 1/2): P ~ D(a)/2, D(a) = 1/2 - Q(a) = erf(a/sqrt2)/2, in
    #   s = 2a (c0 = 0: relative near 0); GELU = x/2 + a D(a) = x/2 + s P.
    # piece i >= 1: P ~ -V(a), V(a) = a Q(a), in s = (i + 1) - 2a in (0, 1]:
    #   expanded at the piece's upper end, where V is smallest (V decreases
    #   for a > 0.75), so Horner adds terms of one sign; GELU = max(x,0) - V.
    deg = 7
    t = cheb_grid(0.0, 1.0, 800)
    pieces = []
    D = lambda a: mp.mpf(1) / 2 - Q(a)
    V = lambda a: a * Q(a)
    for i in range(8):
        if i == 0:
            fn = lambda tt: D(tt / 2) / 2
            fixed0 = {0: 0.0}
            ys = np.array([float(fn(mp.mpf(tt))) for tt in t])
        else:
            fn = lambda tt, i=i: -V((i + 1 - tt) / 2)
            fixed0 = {0: f32(fn(mp.mpf(0)))}
            ys = np.array([float(fn(mp.mpf(tt))) for tt in t])
        # pieces >= 1: c0 is the float nearest the value at s = 0, whose
        # rounding sets the error there whatever the other coefficients; the
        # weight ramps up from s = 0 so that they make the error small where
        # the function is larger and Horner's roundings accumulate (s > 0.2:
        # 2^-26.8 .. 2^-29.3 instead of the c0-limited 2^-24.6 .. 2^-27.4
        # of an unweighted fit)
        w = 1 / np.abs(ys) if i == 0 else np.minimum(1.0, 0.05 + t / 0.2) / np.abs(ys)
        c = fit_float(t, ys, [mono(j) for j in range(deg + 1)], w, fixed0=fixed0)
        pts = [mp.mpf(k) / 400 + mp.mpf(1) / 800 for k in range(400)]
        e = worst_rel(fn, c, pts)
        e2 = worst_rel(fn, c, [p for p in pts if p > 0.2])
        lo_a = i / 2
        notes.append(f"piece {i} (a in [{lo_a}, {lo_a + 0.5})): 2^{e:.1f}" +
                     (f", 2^{e2:.1f} for s > 0.2" if i else ""))
        pieces.append(c)
    out.append("/* GELU(erf) for |x| < 4, 8 pieces of a = |x| (Q(a) = erfc(a/sqrt2)/2):")
    out.append(" *   piece 0, a < 1/2: D(a)/2, D(a) = 1/2 - Q(a), at s = 2a;")
    out.append(" *   piece i >= 1: -a Q(a) at s = (i + 1) - 2a in (0, 1].")
    out.append(" * sum_j erf_p[j][i] s^j (row j: coefficient j of the 8 pieces, a table")
    out.append(" * for vf_lut8). Relative approximation errors:")
    for n in notes:
        out.append(" *   " + n)
    out.append(" */")
    out.append("static const float simdnorm_erf_p[8][8] = {")
    for j in range(deg + 1):
        out.append("    {" + ", ".join(hexf(pieces[i][j]) for i in range(8)) + "},")
    out.append("};")
    out.append("")

    # ---- exp: e^f = 1 + f q(f), q of degree 5 ------------------------------
    h = float(mp.log(2) / 2) + 2 ** -12
    t = cheb_grid(-h, h, 1500)
    qy = np.array([float(mp.expm1(tt) / tt) if tt != 0 else 1.0 for tt in t])
    ey = np.array([float(mp.exp(tt)) for tt in t])
    c = fit_float(t, qy, [mono(j) for j in range(6)], np.abs(t) / ey)
    pts = [mp.mpf(-h) + 2 * mp.mpf(h) * k / 1000 for k in range(1001)]
    e = worst_rel(lambda p: mp.exp(p), [1.0] + c, pts)
    out.append("/* e^f ~ 1 + f (c[0] + c[1] f + ... + c[5] f^5) for |f| <= ln2/2 + 2^-12:")
    out.append(" * relative approximation error 2^%.1f */" % e)
    out.append("static const float simdnorm_exp_c[6] = {" + ", ".join(hexf(v) for v in c) + "};")
    out.append("")

    # ---- GELU(erf) tail: S(a) = a Q(a) e^(a^2/2) in y = 1/a^2 -------------
    ylo, yhi = 1 / amax ** 2, 1 / 16.0
    S = lambda yy: (1 / mp.sqrt(yy)) * Q(1 / mp.sqrt(yy)) * mp.exp(1 / (2 * mp.mpf(yy)))
    sdeg = 6
    t = cheb_grid(ylo, yhi, 800)
    sy = np.array([float(S(tt)) for tt in t])
    c = fit_float(t, sy, [mono(j) for j in range(sdeg + 1)], 1 / np.abs(sy))
    pts = [mp.mpf(ylo) + (mp.mpf(yhi) - ylo) * k / 600 for k in range(601)]
    e = worst_rel(S, c, pts)
    out.append("/* GELU(erf), |x| >= 4: S(a) = a Q(a) e^(a^2/2) ~ sum_j erf_s[j] y^j, y = 1/a^2,")
    out.append(" * a in [4, %g]: relative approximation error 2^%.1f */" % (amax, e))
    out.append("static const float simdnorm_erf_s[%d] = {" % len(c) + ", ".join(hexf(v) for v in c) + "};")
    out.append("#define SIMDNORM_ERF_AMAX %s /* a Q(a) < 2^-150 beyond: GELU rounds to -0 or x */" % hexf(amax))
    out.append("")

    # ---- constants ---------------------------------------------------------
    ln2 = mp.log(2)
    hi = float(mp.floor(ln2 * 2 ** 17) / 2 ** 17)  # 17 bits: k hi exact for |k| < 128
    lo = f32(ln2 - hi)
    A = 2 * mp.sqrt(2 / mp.pi)
    B = A * mp.mpf("0.044715")
    Ah, Al = split(A)
    Bh, Bl = split(B)
    out.append("/* log2(e); ln2 = LN2HI + LN2LO, LN2HI with 17 significant bits (k LN2HI")
    out.append(" * is exact for |k| < 128) */")
    out.append("#define SIMDNORM_LOG2E %s" % hexf(1 / ln2))
    out.append("#define SIMDNORM_LN2HI %s" % hexf(hi))
    out.append("#define SIMDNORM_LN2LO %s" % hexf(lo))
    out.append("/* GELU(tanh) = x sigma(w), w = x (A + B x^2): A = 2 sqrt(2/pi),")
    out.append(" * B = 0.044715 A, each as float hi + lo */")
    out.append("#define SIMDNORM_GELU_TANH_A %s" % hexf(Ah))
    out.append("#define SIMDNORM_GELU_TANH_ALO %s" % hexf(Al))
    out.append("#define SIMDNORM_GELU_TANH_B %s" % hexf(Bh))
    out.append("#define SIMDNORM_GELU_TANH_BLO %s" % hexf(Bl))
    out.append("")
    out.append("#endif")
    print("\n".join(out))


if __name__ == "__main__":
    main()
