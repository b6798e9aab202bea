"""simdnorm's NumPy functions against float64 NumPy references, on every
layout the binding accepts, and bitwise across ISAs and thread counts."""
import numpy as np
import pytest

import simdnorm
import refs

F32 = np.float32
ACTS = [None, "relu", "gelu", "gelu_tanh", "silu"]


def randn(rng, *shape, scale=1.0, shift=0.0):
    return (rng.standard_normal(shape) * scale + shift).astype(F32)


# ---- LayerNorm / RMSNorm -------------------------------------------------------

@pytest.mark.parametrize("shape", [(1,), (7,), (5, 1), (3, 33), (2, 3, 64), (2, 2, 2, 300), (0, 8)])
@pytest.mark.parametrize("affine", [False, True])
def test_layer_norm(rng, shape, affine):
    x = randn(rng, *shape, scale=3, shift=2)
    c = shape[-1]
    g = randn(rng, c) if affine else None
    b = randn(rng, c) if affine else None
    y, mean, rstd = simdnorm.layer_norm(x, g, b, 1e-5, return_stats=True)
    ry, rm, rr = refs.layer_norm(x, g, b, 1e-5)
    assert y.dtype == F32 and y.shape == x.shape and mean.shape == shape[:-1]
    refs.close(y, ry, 2e-6, "y")
    refs.close(mean, rm, 1e-6, "mean")
    np.testing.assert_allclose(rstd, rr, rtol=1e-6)
    assert np.array_equal(simdnorm.layer_norm(x, g, b, 1e-5), y)


@pytest.mark.parametrize("shape", [(9,), (4, 17), (2, 3, 128)])
@pytest.mark.parametrize("affine", [False, True])
def test_rms_norm(rng, shape, affine):
    x = randn(rng, *shape, scale=2, shift=1)
    g = randn(rng, shape[-1]) if affine else None
    y, rstd = simdnorm.rms_norm(x, g, 1e-6, return_stats=True)
    ry, _, rr = refs.layer_norm(x, g, None, 1e-6, rms=True)
    refs.close(y, ry, 2e-6, "y")
    np.testing.assert_allclose(rstd, rr, rtol=1e-6)
    assert rstd.shape == shape[:-1]


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("rms", [False, True])
def test_fused_options(rng, act, rms):
    x, r = randn(rng, 6, 40), randn(rng, 6, 40)
    bias, g, b = randn(rng, 40), randn(rng, 40), randn(rng, 40)
    h_ref = ((x + r).astype(F32) + bias).astype(F32)
    if rms:
        y, rstd, h = simdnorm.rms_norm(x, g, 1e-5, residual=r, bias=bias, activation=act,
                                       h=True, return_stats=True)
        ry, _, rr = refs.layer_norm(h_ref, g, None, 1e-5, rms=True)
    else:
        y, mean, rstd, h = simdnorm.layer_norm(x, g, b, 1e-5, residual=r, bias=bias,
                                               activation=act, h=True, return_stats=True)
        ry, rm, rr = refs.layer_norm(h_ref, g, b, 1e-5)
        refs.close(mean, rm, 1e-6, "mean")
    assert np.array_equal(h, h_ref)
    np.testing.assert_allclose(rstd, rr, rtol=1e-6)
    refs.close(y, refs.act(ry, act), 1e-5, "y")
    # the fused activation equals a separate activate() pass, bit for bit
    plain = (simdnorm.rms_norm(h_ref, g, 1e-5) if rms else simdnorm.layer_norm(h_ref, g, b, 1e-5))
    assert np.array_equal(simdnorm.activate(plain, act), y)


def test_residual_only_and_h_out(rng):
    x, r = randn(rng, 3, 16), randn(rng, 3, 16)
    h = np.empty_like(x)
    y, h2 = simdnorm.layer_norm(x, residual=r, h=h)
    assert h2 is h and np.array_equal(h, (x + r).astype(F32))
    assert np.array_equal(y, simdnorm.layer_norm(h))


def test_strided_rows_not_copied_and_out(rng):
    big = randn(rng, 8, 40)
    x = big[:, :33]                       # row stride 40 > cols 33: read in place
    ybig = np.full((8, 48), 7.0, F32)
    out = ybig[:, 5:38]                   # row stride 48, offset 5
    y = simdnorm.layer_norm(x, out=out)
    assert y is out
    refs.close(out, refs.layer_norm(x)[0], 2e-6, "strided out")
    assert np.all(ybig[:, :5] == 7) and np.all(ybig[:, 38:] == 7)


def test_non_contiguous_last_axis_is_copied(rng):
    base = randn(rng, 4, 64)
    x = base[:, ::2]
    assert np.array_equal(simdnorm.layer_norm(x), simdnorm.layer_norm(np.ascontiguousarray(x)))
    xt = randn(rng, 16, 5).T              # Fortran order: copied
    assert np.array_equal(simdnorm.rms_norm(xt), simdnorm.rms_norm(np.ascontiguousarray(xt)))
    x3 = randn(rng, 4, 6, 10)[:, ::2, :]  # leading axes of two strides: copied
    assert np.array_equal(simdnorm.layer_norm(x3), simdnorm.layer_norm(np.ascontiguousarray(x3)))


def test_unaligned_and_byteswapped_inputs(rng):
    x = randn(rng, 5, 12)
    raw = np.frombuffer(memoryview(bytearray(b"\0" + x.tobytes())), dtype=F32, offset=1).reshape(5, 12)
    assert not raw.flags.aligned
    assert np.array_equal(simdnorm.layer_norm(raw), simdnorm.layer_norm(x))
    assert np.array_equal(simdnorm.layer_norm(x.astype(">f4")), simdnorm.layer_norm(x))


def test_in_place(rng):
    x = randn(rng, 7, 50)
    ref = simdnorm.layer_norm(x, eps=1e-3)
    y = simdnorm.layer_norm(x, eps=1e-3, out=x)
    assert y is x and np.array_equal(x, ref)


@pytest.mark.parametrize("rms", [False, True])
@pytest.mark.parametrize("shape", [(5, 24), (2, 3, 70), (1, 4096 + 5)])
def test_row_backward(rng, rms, shape):
    x, dy = randn(rng, *shape, scale=2, shift=1), randn(rng, *shape)
    g = randn(rng, shape[-1])
    if rms:
        _, rstd = simdnorm.rms_norm(x, g, return_stats=True)
        dx, dg = simdnorm.rms_norm_bwd(dy, x, rstd, g)
        rdx, rdg, _ = refs.layer_norm_bwd(dy, x, np.zeros(shape[:-1]), rstd, g, rms=True)
    else:
        _, mean, rstd = simdnorm.layer_norm(x, g, None, return_stats=True)
        dx, dg, db = simdnorm.layer_norm_bwd(dy, x, mean, rstd, g)
        rdx, rdg, rdb = refs.layer_norm_bwd(dy, x, mean, rstd, g)
        refs.close_scaled(db, rdb, 1e-5, "dbeta")
    refs.close_scaled(dx, rdx, 1e-5, "dx")
    refs.close_scaled(dg, rdg, 1e-5, "dgamma")


def test_row_backward_options(rng):
    x, dy = randn(rng, 4, 32), randn(rng, 4, 32)
    _, mean, rstd = simdnorm.layer_norm(x, return_stats=True)
    dx, dg, db = simdnorm.layer_norm_bwd(dy, x, mean, rstd, compute_dgamma=False)
    assert dg is None and db is not None
    dx2, dg2, db2 = simdnorm.layer_norm_bwd(dy, x, mean, rstd, compute_dx=False)
    assert dx2 is None and np.array_equal(db2, db)
    ref = dx.copy()
    out = simdnorm.layer_norm_bwd(dy, x, mean, rstd, out=dy)[0]   # in place on dy
    assert out is dy and np.array_equal(dy, ref)


# ---- BatchNorm -------------------------------------------------------------------

@pytest.mark.parametrize("layout,shape", [("NCHW", (4, 3)), ("NCHW", (3, 5, 7)),
                                          ("NCHW", (2, 4, 3, 5)), ("NHWC", (2, 3, 5, 6)),
                                          ("NHWC", (6, 9))])
@pytest.mark.parametrize("act", [None, "relu", "silu"])
def test_batch_norm_train(rng, layout, shape, act):
    x = randn(rng, *shape, scale=2, shift=-1)
    c = shape[1] if layout == "NCHW" else shape[-1]
    g, b = randn(rng, c), randn(rng, c)
    rm, rv = randn(rng, c), np.abs(randn(rng, c)) + 0.5
    rm0, rv0 = rm.copy(), rv.copy()
    y, sm, sr = simdnorm.batch_norm_train(x, g, b, 1e-5, 0.1, running_mean=rm, running_var=rv,
                                          layout=layout, activation=act, return_stats=True)
    ry, rmean, rrstd, uvar = refs.batch_norm(x, g, b, 1e-5, layout)
    refs.close(y, refs.act(ry, act), 1e-5 if act else 2e-6, "y")
    refs.close(sm, rmean, 1e-6, "save_mean")
    np.testing.assert_allclose(sr, rrstd, rtol=1e-6)
    np.testing.assert_allclose(rm, 0.9 * rm0.astype(np.float64) + 0.1 * rmean, rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(rv, 0.9 * rv0.astype(np.float64) + 0.1 * uvar, rtol=4e-6)


@pytest.mark.parametrize("layout,shape", [("NCHW", (3, 4, 10)), ("NHWC", (3, 10, 4)), ("NCHW", (5, 4))])
def test_batch_norm_infer(rng, layout, shape):
    x = randn(rng, *shape)
    c = shape[1] if layout == "NCHW" else shape[-1]
    g, b, m, v = randn(rng, c), randn(rng, c), randn(rng, c), np.abs(randn(rng, c)) + 0.1
    y = simdnorm.batch_norm_infer(x, m, v, g, b, 1e-5, layout=layout)
    x3 = refs.nchw(x, layout)
    ry = (x3 - m[None, :, None]) / np.sqrt(v.astype(np.float64)[None, :, None] + 1e-5) \
        * g[None, :, None] + b[None, :, None]
    refs.close(y, refs.from_nchw(ry, shape, layout), 2e-6, "y")
    y2 = simdnorm.batch_norm_infer(x, m, v, g, b, 1e-5, layout=layout, activation="gelu")
    assert np.array_equal(y2, simdnorm.activate(y, "gelu"))


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("layout,shape", [("NCHW", (3, 4, 10)), ("NHWC", (2, 5, 6)), ("NCHW", (8, 3))])
def test_batch_norm_bwd(rng, training, layout, shape):
    x, dy = randn(rng, *shape, shift=0.5), randn(rng, *shape)
    c = shape[1] if layout == "NCHW" else shape[-1]
    g = randn(rng, c)
    _, sm, sr = simdnorm.batch_norm_train(x, g, None, layout=layout, return_stats=True)
    dx, dg, db = simdnorm.batch_norm_bwd(dy, x, sm, sr, g, training, layout=layout)
    rdx, rdg, rdb = refs.batch_norm_bwd(dy, x, sm, sr, g, training, layout)
    refs.close_scaled(dx, rdx, 1e-5, "dx")
    refs.close_scaled(dg, rdg, 1e-5, "dgamma")
    refs.close_scaled(db, rdb, 1e-5, "dbeta")


# ---- GroupNorm -----------------------------------------------------------------

@pytest.mark.parametrize("layout,shape,groups", [("NCHW", (2, 6, 5), 3), ("NCHW", (3, 8, 4, 4), 8),
                                                 ("NCHW", (2, 4, 9), 1), ("NHWC", (2, 3, 3, 6), 2)])
def test_group_norm(rng, layout, shape, groups):
    x, dy = randn(rng, *shape, scale=2, shift=1), randn(rng, *shape)
    c = shape[1] if layout == "NCHW" else shape[-1]
    g, b = randn(rng, c), randn(rng, c)
    y, mean, rstd = simdnorm.group_norm(x, groups, g, b, 1e-5, layout=layout, return_stats=True)
    ry, rm, rr = refs.group_norm(x, groups, g, b, 1e-5, layout)
    assert mean.shape == (shape[0], groups)
    refs.close(y, ry, 2e-6, "y")
    refs.close(mean, rm, 1e-6, "mean")
    np.testing.assert_allclose(rstd, rr, rtol=1e-6)
    dx, dg, db = simdnorm.group_norm_bwd(dy, x, mean, rstd, groups, g, layout=layout)
    rdx, rdg, rdb = refs.group_norm_bwd(dy, x, mean, rstd, groups, g, layout)
    refs.close_scaled(dx, rdx, 1e-5, "dx")
    refs.close_scaled(dg, rdg, 1e-5, "dgamma")
    refs.close_scaled(db, rdb, 1e-5, "dbeta")


# ---- activate ------------------------------------------------------------------

@pytest.mark.parametrize("act", ACTS)
def test_activate(rng, act):
    x = randn(rng, 3, 5, 41, scale=4)
    y = simdnorm.activate(x, act)
    refs.close(y, refs.act(x, act), 1e-6, act or "none")
    out = np.empty_like(x)
    assert simdnorm.activate(x[:, ::2], act, out=out[:, ::2].copy()).shape == (3, 3, 41)
    assert simdnorm.activate(x, act, out=out) is out and np.array_equal(out, y)


# ---- ISA, threads, version ----------------------------------------------------------

def test_isa_and_threads_api():
    isas = simdnorm.available_isas()
    assert "scalar" in isas and simdnorm.active_isa() in isas
    for isa in isas:
        simdnorm.set_isa(isa)
        assert simdnorm.active_isa() == isa
    simdnorm.set_num_threads(1)
    assert simdnorm.get_num_threads() == 1
    assert simdnorm.version == simdnorm.__version__ and simdnorm.version.count(".") == 2
    assert simdnorm.dtypes[:2] == ("float32", "float16")  # bfloat16: test_half.py


def _all_outputs(rng):
    """Every function once, outputs as bytes."""
    x, dy, r = randn(rng, 37, 300, shift=3), randn(rng, 37, 300), randn(rng, 37, 300)
    g, b = randn(rng, 300), randn(rng, 300)
    xb, dyb = randn(rng, 4, 6, 77, shift=-2), randn(rng, 4, 6, 77)
    gc, bc = randn(rng, 6), randn(rng, 6)
    out = []
    y, m, s, h = simdnorm.layer_norm(x, g, b, residual=r, bias=b, activation="gelu", h=True,
                                     return_stats=True)
    out += [y, m, s, h]
    out += list(simdnorm.layer_norm_bwd(dy, x, m, s, g))
    y, s = simdnorm.rms_norm(x, g, activation="silu", return_stats=True)
    out += [y, s] + list(simdnorm.rms_norm_bwd(dy, x, s, g))
    rm, rv = np.zeros(6, F32), np.ones(6, F32)
    for layout in ("NCHW", "NHWC"):
        y, sm, sr = simdnorm.batch_norm_train(xb, gc if layout == "NCHW" else randn(rng, 77),
                                              None, running_mean=rm if layout == "NCHW" else None,
                                              running_var=rv if layout == "NCHW" else None,
                                              layout=layout, return_stats=True)
        out += [y, sm, sr]
        out += list(simdnorm.batch_norm_bwd(dyb, xb, sm, sr, None, True, layout=layout))
    out += [rm, rv, simdnorm.batch_norm_infer(xb, rm, rv, gc, bc, activation="gelu_tanh")]
    y, m, s = simdnorm.group_norm(xb, 3, gc, bc, return_stats=True)
    out += [y, m, s] + list(simdnorm.group_norm_bwd(dyb, xb, m, s, 3, gc))
    out.append(simdnorm.activate(x, "gelu"))
    return [np.asarray(a).tobytes() for a in out]


def test_bitwise_across_isas():
    results = {}
    for isa in simdnorm.available_isas():
        simdnorm.set_isa(isa)
        results[isa] = _all_outputs(np.random.default_rng(5))
    first = results["scalar"]
    for isa, res in results.items():
        for i, (a, b) in enumerate(zip(first, res)):
            assert a == b, f"output {i} differs between scalar and {isa}"


def test_bitwise_across_thread_counts(rng):
    x = randn(rng, 512, 1024, shift=1)          # 2 MiB: large enough to be split
    xb = randn(rng, 16, 8, 4096)
    res = []
    for t in (1, 2, 3):
        simdnorm.set_num_threads(t)
        y, m, s = simdnorm.layer_norm(x, return_stats=True)
        yb, sm, sr = simdnorm.batch_norm_train(xb, return_stats=True)
        res.append([a.tobytes() for a in (y, m, s, yb, sm, sr)])
    assert res[0] == res[1] == res[2]


def test_gil_released_threads(rng):
    """Python threads calling concurrently get the single-threaded results."""
    import threading
    xs = [randn(rng, 64, 256) for _ in range(4)]
    want = [simdnorm.layer_norm(x) for x in xs]
    got = [None] * 4

    def work(i):
        for _ in range(20):
            got[i] = simdnorm.layer_norm(xs[i])

    ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert all(np.array_equal(a, b) for a, b in zip(got, want))


def test_docstrings_and_signatures():
    import inspect
    for name in simdnorm.__all__:
        f = getattr(simdnorm, name)
        if callable(f):
            assert f.__doc__, name
            inspect.signature(f)                  # the text signature parses
    assert "return_stats" in inspect.signature(simdnorm.layer_norm).parameters
