#!/usr/bin/env python3
"""check_backward.py - simdnorm's backward passes against PyTorch's.

Usage: check_backward.py BWD_DUMP

Runs BWD_DUMP (tests/torch/bwd_dump.c) to get seeded inputs and the
library's dx, dgamma, dbeta, then computes the same gradients with PyTorch
from the same float32 inputs and the same saved statistics:

  LayerNorm  torch.ops.aten.native_layer_norm_backward
  BatchNorm  torch.ops.aten.native_batch_norm_backward (train=True with
             save_mean/save_invstd; train=False with running_mean = mean,
             running_var = 1/rstd^2 and eps = 0, so invstd is the given rstd)
  RMSNorm    autograd of x * rsqrt(mean(x^2) + eps) * gamma, the rsqrt
             taken (value and derivative) at the given rstd

(gamma absent: weight = ones, which is the same g = dy; LayerNorm's bias:
zeros, so that dbeta is computed). Each is run in float64 (the reference)
and in float32 (PyTorch's own float32 kernels).

Bounds, per row (LayerNorm/RMSNorm) or channel (BatchNorm):
  against float64 PyTorch, the contract of issue 13:
    |dx - ref| <= 1e-5 * max|ref dx| + 2^-22 * (largest term of the formula)
    |dgamma - ref| <= 1e-5 * sum|dy * xhat|,  |dbeta - ref| <= 1e-5 * sum|dy|
    (the term allowance matters only where the terms cancel to far below
    their size; see tests/test_backward.c)
  against float32 PyTorch, the float32 tolerance: the same with 1e-4 in
    place of 1e-5 (PyTorch's float32 kernels add their own rounding, a few
    1e-7 of the scale on these inputs; the check shows that the two
    libraries mean the same thing by every argument) - asserted where
    |mean| * rstd <= 10 in every row (channel). Beyond that PyTorch 1.13's
    float32 LayerNorm backward loses digits (1e-3 of the scale at
    |mean|/std = 1e4): its error is printed, not asserted.
  NaN: where the float64 reference is NaN the library's output is NaN.

Exit 77 (a skip for meson) when `import torch` fails. Debian's python3-torch
is installed for /usr/bin/python3; when the python3 that runs this script is
another one without torch, the script runs itself once more under
/usr/bin/python3 before giving up.
"""
import os
import struct
import subprocess
import sys
import tempfile

SKIP = 77
SYSTEM_PYTHON = "/usr/bin/python3"

try:
    import torch
except ImportError as e:
    if (os.environ.get("SIMDNORM_TORCH_REEXEC") is None and os.path.exists(SYSTEM_PYTHON)
            and os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON)):
        os.environ["SIMDNORM_TORCH_REEXEC"] = "1"
        os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON] + sys.argv)
    print(f"SKIP: import torch failed ({e}); install python3-torch", flush=True)
    sys.exit(SKIP)

torch.set_num_threads(1)
TERM_ALLOWANCE = 2.0 ** -22


def read_cases(path):
    with open(path, "rb") as f:
        data = f.read()
    magic, version, count = struct.unpack_from("<III", data, 0)
    if magic != 0x57424E53 or version != 1:
        raise SystemExit(f"{path}: not a bwd_dump file (magic {magic:#x}, version {version})")
    off = 12
    cases = []

    def floats(n):
        nonlocal off
        t = torch.frombuffer(bytearray(data[off:off + 4 * n]), dtype=torch.float32) if n else \
            torch.zeros(0, dtype=torch.float32)
        off += 4 * n
        return t

    for _ in range(count):
        fn, layout, training, has_gamma = struct.unpack_from("<iiii", data, off)
        off += 16
        a, b, c = struct.unpack_from("<QQQ", data, off)
        off += 24
        if fn == 2:
            total, feat, stat = a * b * c, b, b
        else:
            total, feat, stat = a * b, b, a
        case = dict(fn=fn, layout=layout, training=training, has_gamma=has_gamma, shape=(a, b, c))
        case["dy"] = floats(total)
        case["x"] = floats(total)
        case["gamma"] = floats(feat) if has_gamma else None
        case["mean"] = floats(stat) if fn != 1 else None
        case["rstd"] = floats(stat)
        case["dx"] = floats(total)
        case["dgamma"] = floats(feat)
        case["dbeta"] = floats(feat) if fn != 1 else None
        cases.append(case)
    if off != len(data):
        raise SystemExit(f"{path}: {len(data) - off} bytes left over")
    return cases


def to_nc(t, case):
    """A BatchNorm tensor in the library's layout as (n, c, spatial)."""
    n, c, sp = case["shape"]
    if case["layout"] == 0:
        return t.reshape(n, c, sp)
    return t.reshape(n, sp, c).permute(0, 2, 1).contiguous()


def from_nc(t, case):
    n, c, sp = case["shape"]
    if case["layout"] == 0:
        return t.reshape(-1)
    return t.permute(0, 2, 1).contiguous().reshape(-1)


def torch_grads(case, dtype):
    """dx, dgamma, dbeta from PyTorch in dtype, laid out as the library's."""
    fn, (a, b, c) = case["fn"], case["shape"]
    cv = lambda t: None if t is None else t.to(dtype)
    dy, x, mean, rstd = cv(case["dy"]), cv(case["x"]), cv(case["mean"]), cv(case["rstd"])
    feat = b
    gamma = cv(case["gamma"]) if case["has_gamma"] else torch.ones(feat, dtype=dtype)
    if fn == 0:
        rows, cols = a, b
        dx, dg, db = torch.ops.aten.native_layer_norm_backward(
            dy.reshape(rows, cols), x.reshape(rows, cols), [cols], mean.reshape(rows, 1),
            rstd.reshape(rows, 1), gamma, torch.zeros(cols, dtype=dtype), [True, True, True])
        return dx.reshape(-1), dg, db
    if fn == 1:
        rows, cols = a, b
        xs = x.reshape(rows, cols).clone().requires_grad_(True)
        gs = gamma.clone().requires_grad_(True)
        r = rstd.reshape(rows, 1)
        ms = (xs * xs).mean(dim=1, keepdim=True)
        # value r; derivative of rsqrt(ms + eps) at ms + eps = 1/r^2: -r^3/2
        r_fed = r + (-0.5 * r ** 3) * (ms - ms.detach())
        y = xs * r_fed * gs
        y.backward(dy.reshape(rows, cols))
        return xs.grad.reshape(-1), gs.grad, None
    n, ch, sp = a, b, c
    dyn, xn = to_nc(dy, case), to_nc(x, case)
    if case["training"]:
        dx, dg, db = torch.ops.aten.native_batch_norm_backward(
            dyn, xn, gamma, None, None, mean, rstd, True, 0.0, [True, True, True])
    else:
        var = 1.0 / (rstd.to(torch.float64) ** 2)
        dx, dg, db = torch.ops.aten.native_batch_norm_backward(
            dyn, xn, gamma, mean, var.to(dtype), None, None, False, 0.0, [True, True, True])
    return from_nc(dx, case), dg, db


def groups(case, t):
    """t (library layout) as [groups, elements of a group] (rows / channels)."""
    a, b, c = case["shape"]
    if case["fn"] != 2:
        return t.reshape(a, b)
    return to_nc(t, case).permute(1, 0, 2).reshape(b, -1)


def bounds(case, rel):
    """float64 bounds of dx (per element), dgamma, dbeta for relative size rel."""
    d = lambda t: None if t is None else t.to(torch.float64)
    fn, (a, b, c) = case["fn"], case["shape"]
    dy, x = groups(case, d(case["dy"])), groups(case, d(case["x"]))
    rstd = d(case["rstd"]).reshape(-1, 1)
    mean = torch.zeros_like(rstd) if fn == 1 else d(case["mean"]).reshape(-1, 1)
    gam = d(case["gamma"]) if case["has_gamma"] else torch.ones(b, dtype=torch.float64)
    gam = gam.reshape(1, -1) if fn != 2 else gam.reshape(-1, 1)
    xh = (x - mean) * rstd
    g = dy * gam
    ag = torch.zeros_like(rstd) if fn == 1 else g.mean(dim=1, keepdim=True)
    agx = (g * xh).mean(dim=1, keepdim=True)
    if fn == 2 and not case["training"]:
        ref = g * rstd
        terms = (rstd * g).abs()
    else:
        ref = rstd * (g - ag - xh * agx)
        terms = (rstd * g).abs() + (rstd * ag).abs() + (rstd * xh * agx).abs()
    fin = lambda t: torch.where(torch.isfinite(t), t, torch.zeros_like(t))
    scale = fin(ref).abs().amax(dim=1, keepdim=True)
    tol_dx = rel * scale + TERM_ALLOWANCE * fin(terms).amax(dim=1, keepdim=True)
    red = 0 if fn != 2 else 1  # reduce over rows, or over a channel's elements
    tol_dg = rel * (dy * xh).abs().sum(dim=red)
    tol_db = rel * dy.abs().sum(dim=red)
    return tol_dx.expand_as(ref), scale.expand_as(ref), tol_dg, tol_db, dy.abs().sum(dim=red)


def compare(name, got, want, tol, scale=None):
    """(failures, worst |err| / scale) of got against want within tol."""
    got = got.to(torch.float64).reshape(-1)
    want = want.to(torch.float64).reshape(-1)
    tol = tol.reshape(-1)
    nan_want = torch.isnan(want)
    bad = (nan_want & ~torch.isnan(got))
    finite = torch.isfinite(want)
    err = (got - want).abs()
    bad |= finite & ~(err <= tol)
    bad |= ~finite & ~nan_want & torch.isfinite(got)  # +-Inf wanted: a non-finite value
    worst = 0.0
    if scale is not None:
        s = scale.reshape(-1)
        ok = finite & (s > 0)
        if ok.any():
            worst = float((err[ok] / s[ok]).max())
    msgs = []
    for i in torch.nonzero(bad).reshape(-1)[:3].tolist():
        msgs.append(f"{name}[{i}]: {float(got[i]):.9g}, reference {float(want[i]):.17g}, "
                    f"bound {float(tol[i]):.3g}")
    return int(bad.sum()), worst, msgs


def case_name(case):
    a, b, c = case["shape"]
    if case["fn"] == 2:
        return (f"batch_norm_bwd {'nhwc' if case['layout'] else 'nchw'} {a}x{b}x{c} "
                f"train {case['training']} gamma {case['has_gamma']}")
    return f"{('layer_norm_bwd', 'rms_norm_bwd')[case['fn']]} {a}x{b} gamma {case['has_gamma']}"


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bwd.bin")
        subprocess.run([sys.argv[1], path], check=True)
        cases = read_cases(path)
    failed = 0
    worst = {}  # (fn, output, against) -> worst |err| / scale
    torch32_own = {}  # PyTorch float32 against float64, for the record
    for case in cases:
        outs = dict(dx=case["dx"], dgamma=case["dgamma"], dbeta=case["dbeta"])
        t64 = dict(zip(("dx", "dgamma", "dbeta"), torch_grads(case, torch.float64)))
        t32 = dict(zip(("dx", "dgamma", "dbeta"), torch_grads(case, torch.float32)))
        fn = ("layer_norm_bwd", "rms_norm_bwd", "batch_norm_bwd")[case["fn"]]
        msgs, case_bad = [], 0
        conditioned = case["mean"] is None or \
            float((case["mean"].double().abs() * case["rstd"].double()).max()) <= 10.0
        checks = [("float64", t64, 1e-5)] + ([("float32", t32, 1e-4)] if conditioned else [])
        for against, ref, rel in checks:
            tol_dx, scale_dx, tol_dg, tol_db, _ = bounds(case, rel)
            _, _, dg_abs, db_abs, db_scale = bounds(case, 1.0)
            for out, tol, scale in (("dx", tol_dx, scale_dx), ("dgamma", tol_dg, dg_abs),
                                    ("dbeta", tol_db, db_abs)):
                if outs[out] is None:
                    continue
                mine = outs[out] if out != "dx" else groups(case, outs[out])
                theirs = ref[out] if out != "dx" else groups(case, ref[out])
                n_bad, w, m = compare(f"{out} vs torch {against}", mine, theirs, tol, scale)
                case_bad += n_bad
                msgs += m
                key = (fn, out, against)
                worst[key] = max(worst.get(key, 0.0), w)
                if against == "float64":
                    t = t32[out] if out != "dx" else groups(case, t32[out])
                    _, w32, _ = compare("", t, theirs, torch.full_like(tol, float("inf")), scale)
                    torch32_own[(fn, out)] = max(torch32_own.get((fn, out), 0.0), w32)
        status = "FAIL" if case_bad else "PASS"
        note = "" if conditioned else " (|mean|/std > 10: against float64 only)"
        print(f"{status} {case_name(case)}{note}" +
              (f" ({case_bad} values outside the bound)" if case_bad else ""))
        for m in msgs[:5]:
            print("  " + m)
        failed += case_bad > 0
    print(f"torch {torch.__version__}; worst |err| / scale (max |dx| of the row or channel; "
          "sum |terms| for dgamma, dbeta); torch float32 vs float64 over every case:")
    for (fn, out, against), w in sorted(worst.items()):
        print(f"  {fn} {out}: simdnorm vs torch {against} {w:.3g}"
              + (f"  (torch float32 vs float64: {torch32_own[(fn, out)]:.3g})"
                 if against == "float64" else ""))
    print(f"{len(cases) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
