"""float64 NumPy references for the tests (the formulas of include/simdnorm.h)."""
import math

import numpy as np

_erf = np.vectorize(math.erf, otypes=[np.float64])


def act(v, name):
    v = np.asarray(v, np.float64)
    if name in (None, "none"):
        return v
    if name == "relu":
        return np.where(v > 0, v, 0.0)
    if name in ("gelu", "gelu_erf"):
        return 0.5 * v * (1 + _erf(v / math.sqrt(2)))
    if name == "gelu_tanh":
        return 0.5 * v * (1 + np.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v ** 3)))
    if name == "silu":
        return v / (1 + np.exp(-v))
    raise ValueError(name)


def layer_norm(x, gamma=None, beta=None, eps=1e-5, rms=False):
    """Rows of the last axis; returns y, mean, rstd (float64)."""
    h = np.asarray(x, np.float64)
    mean = np.zeros(h.shape[:-1]) if rms else h.mean(-1)
    d = h - mean[..., None]
    var = (d * d).mean(-1)
    rstd = 1 / np.sqrt(var + eps)
    y = d * rstd[..., None]
    if gamma is not None:
        y = y * gamma
    if beta is not None:
        y = y + beta
    return y, mean, rstd


def layer_norm_bwd(dy, x, mean, rstd, gamma=None, rms=False):
    dy, x = np.asarray(dy, np.float64), np.asarray(x, np.float64)
    mean = np.asarray(mean, np.float64)[..., None]
    rstd = np.asarray(rstd, np.float64)[..., None]
    xhat = (x if rms else x - mean) * rstd
    g = dy * (gamma if gamma is not None else 1.0)
    axes = tuple(range(x.ndim - 1))
    if rms:
        dx = rstd * (g - xhat * (g * xhat).mean(-1, keepdims=True))
    else:
        dx = rstd * (g - g.mean(-1, keepdims=True) - xhat * (g * xhat).mean(-1, keepdims=True))
    return dx, (dy * xhat).sum(axes), dy.sum(axes)


def nchw(x, layout):
    """x as [N, C, S] float64 (NHWC: [N, *, C] moved)."""
    x = np.asarray(x, np.float64)
    if layout == "NHWC":
        x = np.moveaxis(x, -1, 1)
    return x.reshape(x.shape[0], x.shape[1], -1)


def from_nchw(y, shape, layout):
    if layout == "NHWC":
        s = (shape[0], shape[-1]) + tuple(shape[1:-1])
        return np.moveaxis(y.reshape(s), 1, -1)
    return y.reshape(shape)


def batch_norm(x, gamma=None, beta=None, eps=1e-5, layout="NCHW"):
    """Training statistics: y, mean, rstd, unbiased var."""
    x3 = nchw(x, layout)
    mean = x3.mean((0, 2))
    var = ((x3 - mean[None, :, None]) ** 2).mean((0, 2))
    count = x3.shape[0] * x3.shape[2]
    rstd = 1 / np.sqrt(var + eps)
    y = (x3 - mean[None, :, None]) * rstd[None, :, None]
    if gamma is not None:
        y = y * np.asarray(gamma, np.float64)[None, :, None]
    if beta is not None:
        y = y + np.asarray(beta, np.float64)[None, :, None]
    return from_nchw(y, x.shape, layout), mean, rstd, var * count / (count - 1)


def batch_norm_bwd(dy, x, mean, rstd, gamma=None, training=True, layout="NCHW"):
    dy3, x3 = nchw(dy, layout), nchw(x, layout)
    mean = np.asarray(mean, np.float64)[None, :, None]
    rstd = np.asarray(rstd, np.float64)[None, :, None]
    xhat = (x3 - mean) * rstd
    g = dy3 * (np.asarray(gamma, np.float64)[None, :, None] if gamma is not None else 1.0)
    if training:
        dx = rstd * (g - g.mean((0, 2), keepdims=True) - xhat * (g * xhat).mean((0, 2), keepdims=True))
    else:
        dx = g * rstd
    return from_nchw(dx, x.shape, layout), (dy3 * xhat).sum((0, 2)), dy3.sum((0, 2))


def group_norm(x, groups, gamma=None, beta=None, eps=1e-5, layout="NCHW"):
    x3 = nchw(x, layout)
    n, c, s = x3.shape
    xg = x3.reshape(n, groups, -1)
    mean = xg.mean(-1)
    var = ((xg - mean[..., None]) ** 2).mean(-1)
    rstd = 1 / np.sqrt(var + eps)
    y = ((xg - mean[..., None]) * rstd[..., None]).reshape(n, c, s)
    if gamma is not None:
        y = y * np.asarray(gamma, np.float64)[None, :, None]
    if beta is not None:
        y = y + np.asarray(beta, np.float64)[None, :, None]
    return from_nchw(y, x.shape, layout), mean, rstd


def group_norm_bwd(dy, x, mean, rstd, groups, gamma=None, layout="NCHW"):
    dy3, x3 = nchw(dy, layout), nchw(x, layout)
    n, c, s = x3.shape
    mean = np.asarray(mean, np.float64).reshape(n, groups, 1)
    rstd = np.asarray(rstd, np.float64).reshape(n, groups, 1)
    xhat = ((x3.reshape(n, groups, -1) - mean) * rstd).reshape(n, c, s)
    g = dy3 * (np.asarray(gamma, np.float64)[None, :, None] if gamma is not None else 1.0)
    gg, xg = g.reshape(n, groups, -1), xhat.reshape(n, groups, -1)
    dx = rstd * (gg - gg.mean(-1, keepdims=True) - xg * (gg * xg).mean(-1, keepdims=True))
    return (from_nchw(dx.reshape(n, c, s), x.shape, layout), (dy3 * xhat).sum((0, 2)),
            dy3.sum((0, 2)))


def close(got, ref, rel, what=""):
    """|got - ref| <= rel * max(1, |ref|) elementwise."""
    got = np.asarray(got, np.float64)
    ref = np.asarray(ref, np.float64)
    assert got.shape == ref.shape, (what, got.shape, ref.shape)
    err = np.abs(got - ref) / np.maximum(1.0, np.abs(ref))
    assert np.all(err <= rel), f"{what}: max error {err.max():.3g} > {rel:.3g}"


def close_scaled(got, ref, rel, what=""):
    """|got - ref| <= rel * max|ref| (gradients: relative to their scale)."""
    got = np.asarray(got, np.float64)
    ref = np.asarray(ref, np.float64)
    assert got.shape == ref.shape, (what, got.shape, ref.shape)
    scale = max(np.abs(ref).max(initial=0.0), 1e-30)
    err = np.abs(got - ref).max(initial=0.0) / scale
    assert err <= rel, f"{what}: max error {err:.3g} of the scale > {rel:.3g}"
