"""The 16-bit dtypes (float16; bfloat16 when ml_dtypes is installed): every
output bit for bit the float32 function's on the widened input, narrowed
once (the library's contract for its 16-bit twins, README "16-bit storage"),
float32 statistics and gradients of gamma/beta equal - the row norms and
the channel norms (BatchNorm, GroupNorm)."""
import numpy as np
import pytest

import simdnorm

F32 = np.float32
ACTS = [None, "relu", "gelu", "gelu_tanh", "silu"]


def _bf16():
    try:
        import ml_dtypes
    except ImportError:
        return None
    return np.dtype(ml_dtypes.bfloat16)


BF16 = _bf16()
HALF = [pytest.param(np.dtype(np.float16), id="float16"),
        pytest.param(BF16, id="bfloat16",
                     marks=pytest.mark.skipif(BF16 is None, reason="ml_dtypes is not installed"))]


def rand(rng, dt, *shape, scale=1.0, shift=0.0):
    return (rng.standard_normal(shape) * scale + shift).astype(F32).astype(dt)


def same(a, b, what):
    """a (dt) equals b (float32 or dt) narrowed to a's dtype, bit for bit."""
    b = np.asarray(b)
    if b.dtype != a.dtype:
        b = b.astype(a.dtype)
    assert a.dtype == b.dtype and a.shape == b.shape, what
    ua, ub = a.view(np.uint16), b.view(np.uint16)
    bad = np.count_nonzero(ua != ub)
    assert bad == 0, f"{what}: {bad} of {a.size} differ"


def wide(a):
    return a.astype(F32)


def test_dtypes_listed():
    want = ("float32", "float16") + (("bfloat16",) if BF16 is not None else ())
    assert simdnorm.dtypes == want


@pytest.mark.parametrize("dt", HALF)
@pytest.mark.parametrize("shape", [(1,), (7,), (3, 33), (2, 3, 64), (4, 768), (1, 4096 + 3), (0, 8)])
@pytest.mark.parametrize("rms", [False, True])
def test_row_norm(rng, dt, shape, rms):
    x = rand(rng, dt, *shape, scale=3, shift=2)
    g, b = rand(rng, F32, shape[-1]), rand(rng, F32, shape[-1])
    if rms:
        y, rstd = simdnorm.rms_norm(x, g, 1e-5, return_stats=True)
        w, wr = simdnorm.rms_norm(wide(x), g, 1e-5, return_stats=True)
    else:
        y, mean, rstd = simdnorm.layer_norm(x, g, b, 1e-5, return_stats=True)
        w, wm, wr = simdnorm.layer_norm(wide(x), g, b, 1e-5, return_stats=True)
        assert np.array_equal(mean.view(np.uint32), wm.view(np.uint32))
    assert rstd.dtype == F32 and np.array_equal(rstd.view(np.uint32), wr.view(np.uint32))
    same(y, w, "y")


@pytest.mark.parametrize("dt", HALF)
@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("rms", [False, True])
def test_fused_options(rng, dt, act, rms):
    x, r = rand(rng, dt, 6, 40), rand(rng, dt, 6, 40)
    bias, g, b = rand(rng, F32, 40), rand(rng, F32, 40), rand(rng, F32, 40)
    if rms:
        y, h = simdnorm.rms_norm(x, g, 1e-5, residual=r, bias=bias, activation=act, h=True)
        w, wh = simdnorm.rms_norm(wide(x), g, 1e-5, residual=wide(r), bias=bias,
                                  activation=act, h=True)
    else:
        y, h = simdnorm.layer_norm(x, g, b, 1e-5, residual=r, bias=bias, activation=act, h=True)
        w, wh = simdnorm.layer_norm(wide(x), g, b, 1e-5, residual=wide(r), bias=bias,
                                    activation=act, h=True)
    same(y, w, "y")
    same(h, wh, "h")
    with pytest.raises(TypeError):  # residual of another dtype than x
        simdnorm.layer_norm(x, residual=wide(r))


@pytest.mark.parametrize("dt", HALF)
def test_strided_and_in_place(rng, dt):
    big = rand(rng, dt, 5, 80, scale=2)
    x = big[:, :64]                     # strided rows, read in place
    ref = simdnorm.layer_norm(x.copy(), eps=1e-3)
    same(simdnorm.layer_norm(x, eps=1e-3), ref, "strided")
    same(simdnorm.layer_norm(big[:, ::2], eps=1e-3), simdnorm.layer_norm(wide(big[:, ::2]), eps=1e-3), "copied")
    y = simdnorm.layer_norm(x, eps=1e-3, out=x)
    assert y is x
    same(big[:, :64], ref, "in place")


@pytest.mark.parametrize("dt", HALF)
@pytest.mark.parametrize("rms", [False, True])
@pytest.mark.parametrize("shape", [(5, 24), (2, 3, 70), (1, 4096 + 5)])
def test_row_backward(rng, dt, rms, shape):
    x, dy = rand(rng, dt, *shape, scale=2, shift=1), rand(rng, dt, *shape)
    g = rand(rng, F32, shape[-1])
    if rms:
        _, rstd = simdnorm.rms_norm(x, g, return_stats=True)
        dx, dg = simdnorm.rms_norm_bwd(dy, x, rstd, g)
        wdx, wdg = simdnorm.rms_norm_bwd(wide(dy), wide(x), rstd, g)
    else:
        _, mean, rstd = simdnorm.layer_norm(x, g, None, return_stats=True)
        dx, dg, db = simdnorm.layer_norm_bwd(dy, x, mean, rstd, g)
        wdx, wdg, wdb = simdnorm.layer_norm_bwd(wide(dy), wide(x), mean, rstd, g)
        assert np.array_equal(db.view(np.uint32), wdb.view(np.uint32))
    same(dx, wdx, "dx")
    assert dg.dtype == F32 and np.array_equal(dg.view(np.uint32), wdg.view(np.uint32))


@pytest.mark.parametrize("dt", HALF)
@pytest.mark.parametrize("act", ACTS)
def test_activate(rng, dt, act):
    x = rand(rng, dt, 3, 5, 41, scale=4)
    same(simdnorm.activate(x, act), simdnorm.activate(wide(x), act), act or "none")


@pytest.mark.parametrize("dt", HALF)
def test_bitwise_across_isas(rng, dt):
    x, dy = rand(rng, dt, 9, 300, scale=3, shift=1), rand(rng, dt, 9, 300)
    g = rand(rng, F32, 300)
    outs = {}
    for isa in simdnorm.available_isas():
        simdnorm.set_isa(isa)
        y, mean, rstd = simdnorm.layer_norm(x, g, None, return_stats=True, activation="gelu")
        dx, dg, db = simdnorm.layer_norm_bwd(dy, x, mean, rstd, g)
        outs[isa] = b"".join(a.tobytes() for a in (y, mean, rstd, dx, dg, db))
    assert len(set(outs.values())) == 1, sorted(outs)


@pytest.mark.parametrize("dt", HALF)
@pytest.mark.parametrize("layout,shape", [("NCHW", (3, 4, 10)), ("NHWC", (2, 5, 6)),
                                          ("NCHW", (8, 3))])
def test_batch_norm_16_bit(rng, dt, layout, shape):
    x, dy = rand(rng, dt, *shape, scale=2, shift=1), rand(rng, dt, *shape)
    xf, dyf = x.astype(F32), dy.astype(F32)
    c = shape[1] if layout == "NCHW" else shape[-1]
    g, b = rand(rng, F32, c), rand(rng, F32, c)
    rm, rv = np.zeros(c, F32), np.ones(c, F32)
    rmf, rvf = rm.copy(), rv.copy()
    y, sm, sr = simdnorm.batch_norm_train(x, g, b, 1e-5, 0.1, running_mean=rm, running_var=rv,
                                          layout=layout, activation="silu", return_stats=True)
    yf, smf, srf = simdnorm.batch_norm_train(xf, g, b, 1e-5, 0.1, running_mean=rmf,
                                             running_var=rvf, layout=layout, activation="silu",
                                             return_stats=True)
    same(y, yf, "y")
    for a, r in ((sm, smf), (sr, srf), (rm, rmf), (rv, rvf)):
        assert a.tobytes() == r.tobytes()
    same(simdnorm.batch_norm_infer(x, rm, rv, g, b, 1e-5, layout=layout),
         simdnorm.batch_norm_infer(xf, rm, rv, g, b, 1e-5, layout=layout), "infer")
    for training in (True, False):
        got = simdnorm.batch_norm_bwd(dy, x, sm, sr, g, training, layout=layout)
        ref = simdnorm.batch_norm_bwd(dyf, xf, sm, sr, g, training, layout=layout)
        same(got[0], ref[0], "dx")
        assert got[1].tobytes() == ref[1].tobytes() and got[2].tobytes() == ref[2].tobytes()


@pytest.mark.parametrize("dt", HALF)
@pytest.mark.parametrize("layout,shape,groups", [("NCHW", (2, 6, 5), 3), ("NHWC", (2, 3, 3, 6), 2)])
def test_group_norm_16_bit(rng, dt, layout, shape, groups):
    x, dy = rand(rng, dt, *shape, scale=2, shift=1), rand(rng, dt, *shape)
    xf, dyf = x.astype(F32), dy.astype(F32)
    c = shape[1] if layout == "NCHW" else shape[-1]
    g, b = rand(rng, F32, c), rand(rng, F32, c)
    y, m, r = simdnorm.group_norm(x, groups, g, b, 1e-5, layout=layout, return_stats=True)
    yf, mf, rf = simdnorm.group_norm(xf, groups, g, b, 1e-5, layout=layout, return_stats=True)
    same(y, yf, "y")
    assert m.tobytes() == mf.tobytes() and r.tobytes() == rf.tobytes()
    got = simdnorm.group_norm_bwd(dy, x, m, r, groups, g, layout=layout)
    ref = simdnorm.group_norm_bwd(dyf, xf, m, r, groups, g, layout=layout)
    same(got[0], ref[0], "dx")
    assert got[1].tobytes() == ref[1].tobytes() and got[2].tobytes() == ref[2].tobytes()
