"""Bad arguments raise TypeError/ValueError (the library's status text where the
library decides) and never crash the interpreter or write anything."""
import re

import numpy as np
import pytest

import simdnorm
from simdnorm import _simdnorm

F32 = np.float32
ERR_SHAPE, ERR_PARAM, ERR_ISA, ERR_OVERLAP = 2, 3, 4, 5


def status(code):
    return re.escape(_simdnorm.status_str(code))


def x2(rows=4, cols=8):
    return np.random.default_rng(1).standard_normal((rows, cols)).astype(F32)


@pytest.mark.parametrize("bad", [np.zeros((2, 3)), np.zeros((2, 3), np.int32),
                                 np.zeros((2, 3), np.uint16), np.zeros((2, 3), complex)])
def test_wrong_dtype(bad):
    for f in (simdnorm.layer_norm, simdnorm.rms_norm, simdnorm.batch_norm_train):
        with pytest.raises(TypeError):
            f(bad)
    with pytest.raises(TypeError):
        simdnorm.group_norm(bad, 1)
    with pytest.raises(TypeError):
        simdnorm.activate(bad, "relu")


@pytest.mark.parametrize("bad", [[[1.0, 2.0]], 3.0, None, "x"])
def test_not_an_array(bad):
    with pytest.raises(TypeError):
        simdnorm.layer_norm(bad)


def test_wrong_parameter_dtype_and_size():
    x = x2()
    with pytest.raises(TypeError):
        simdnorm.layer_norm(x, np.ones(8))                  # float64 gamma
    with pytest.raises(TypeError):
        simdnorm.layer_norm(x, [1.0] * 8)
    with pytest.raises(ValueError):
        simdnorm.layer_norm(x, np.ones(7, F32))
    with pytest.raises(ValueError):
        simdnorm.layer_norm(x, residual=np.ones((4, 7), F32))
    with pytest.raises(TypeError):
        simdnorm.layer_norm(x, residual=np.ones((4, 8)))
    with pytest.raises(ValueError):
        simdnorm.batch_norm_infer(np.ones((2, 3, 4), F32), np.zeros(4, F32), np.ones(3, F32))
    with pytest.raises(TypeError):
        simdnorm.batch_norm_infer(np.ones((2, 3, 4), F32), None, np.ones(3, F32))


def test_wrong_shape():
    with pytest.raises(ValueError):
        simdnorm.layer_norm(np.ones((), F32))   # 0-d
    with pytest.raises(ValueError):
        simdnorm.batch_norm_train(np.ones(5, F32))                     # 1-d
    with pytest.raises(ValueError, match=status(ERR_SHAPE)):
        simdnorm.group_norm(np.ones((2, 6, 3), F32), 4)                # 4 does not divide 6
    with pytest.raises(ValueError):
        simdnorm.group_norm(np.ones((2, 6, 3), F32), 0)
    with pytest.raises(ValueError):
        simdnorm.layer_norm(x2(), out=np.empty((4, 9), F32))
    with pytest.raises(ValueError):
        simdnorm.layer_norm_bwd(x2(), x2(), np.zeros(3, F32), np.ones(4, F32))
    with pytest.raises(ValueError):
        simdnorm.layer_norm_bwd(x2(4, 8), x2(8, 4), np.zeros(4, F32), np.ones(4, F32))


def test_zero_size():
    y = simdnorm.layer_norm(np.empty((0, 8), F32))
    assert y.shape == (0, 8)
    assert simdnorm.layer_norm(np.empty((0, 8), F32), return_stats=True)[1].shape == (0,)
    with pytest.raises(ValueError, match=status(ERR_SHAPE)):
        simdnorm.layer_norm(np.empty((4, 0), F32))
    with pytest.raises(ValueError, match=status(ERR_SHAPE)):
        simdnorm.rms_norm(np.empty((0,), F32))
    with pytest.raises(ValueError, match=status(ERR_SHAPE)):
        simdnorm.batch_norm_train(np.empty((0, 3), F32))             # n*spatial < 2
    with pytest.raises(ValueError, match=status(ERR_SHAPE)):
        simdnorm.batch_norm_train(np.ones((1, 3), F32))
    assert simdnorm.batch_norm_infer(np.empty((0, 3), F32), np.zeros(3, F32),
                                     np.ones(3, F32)).shape == (0, 3)
    assert simdnorm.batch_norm_train(np.empty((4, 0, 5), F32)).shape == (4, 0, 5)
    assert simdnorm.activate(np.empty((0, 3), F32), "relu").shape == (0, 3)
    assert simdnorm.group_norm(np.empty((0, 4, 3), F32), 2).shape == (0, 4, 3)


def test_bad_parameters():
    x = x2()
    for eps in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match=status(ERR_PARAM)):
            simdnorm.layer_norm(x, eps=eps)
    with pytest.raises(ValueError, match=status(ERR_PARAM)):
        simdnorm.batch_norm_train(np.ones((3, 2), F32), momentum=1.5)
    with pytest.raises(ValueError):
        simdnorm.layer_norm(x, activation="tanh")
    with pytest.raises(TypeError):
        simdnorm.layer_norm(x, activation=2)
    with pytest.raises(ValueError):
        simdnorm.batch_norm_train(np.ones((3, 2), F32), layout="NWC")
    with pytest.raises(ValueError):
        simdnorm.batch_norm_train(np.ones((3, 2), F32), running_mean=np.zeros(2, F32))
    with pytest.raises(TypeError):
        simdnorm.layer_norm(x, 1, 2, 3, 4)
    with pytest.raises(TypeError):
        simdnorm.layer_norm(x, epsilon=1e-5)


def test_read_only_outputs():
    x = x2()
    ro = np.empty_like(x)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        simdnorm.layer_norm(x, out=ro)
    with pytest.raises(ValueError, match="read-only"):
        simdnorm.layer_norm(x, h=ro, residual=x)
    xb = np.ones((3, 2, 4), F32)
    rm, rv = np.zeros(2, F32), np.ones(2, F32)
    rm.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        simdnorm.batch_norm_train(xb, running_mean=rm, running_var=rv)
    xr = x.copy()
    xr.flags.writeable = False
    assert np.array_equal(simdnorm.layer_norm(xr), simdnorm.layer_norm(x))   # read-only input: fine
    with pytest.raises(ValueError, match="read-only"):
        simdnorm.activate(x, "relu", out=ro)


def test_outputs_that_cannot_be_written_in_place():
    x = x2(4, 8)
    out = np.empty((4, 16), F32)[:, ::2]                     # non-contiguous last axis
    with pytest.raises(ValueError, match="never copied"):
        simdnorm.layer_norm(x, out=out)
    raw = np.frombuffer(bytearray(x.nbytes + 1), dtype=F32, offset=1).reshape(4, 8)
    assert not raw.flags.aligned
    with pytest.raises(ValueError):
        simdnorm.layer_norm(x, out=raw)
    with pytest.raises(ValueError):
        simdnorm.batch_norm_infer(np.ones((2, 3), F32), np.zeros(3, F32), np.ones(3, F32),
                                  out=np.empty((3, 2), F32).T)
    with pytest.raises(TypeError):
        simdnorm.layer_norm(x, out=np.empty((4, 8)))
    with pytest.raises(ValueError):
        simdnorm.batch_norm_train(np.ones((3, 2), F32), running_mean=np.zeros(4, F32)[::2],
                                  running_var=np.ones(2, F32))


def test_overlapping_outputs_write_nothing():
    buf = np.arange(17 * 8, dtype=F32)
    x = buf[:16 * 8].reshape(16, 8)
    out = buf[8:].reshape(16, 8)                             # one row further: partial overlap
    before = buf.copy()
    with pytest.raises(ValueError, match=status(ERR_OVERLAP)):
        simdnorm.layer_norm(x, out=out)
    assert np.array_equal(buf, before)
    xb = np.arange(2 * 3 * 4 + 4, dtype=F32)
    with pytest.raises(ValueError, match=status(ERR_OVERLAP)):
        simdnorm.batch_norm_train(xb[:24].reshape(2, 3, 4), out=xb[4:].reshape(2, 3, 4))
    rm = np.zeros(3, F32)
    with pytest.raises(ValueError, match=status(ERR_OVERLAP)):
        simdnorm.batch_norm_train(np.ones((2, 3), F32), running_mean=rm, running_var=rm)
    y = np.ones(16, F32)
    with pytest.raises(ValueError, match=status(ERR_OVERLAP)):
        simdnorm.activate(y[:8], "relu", out=y[4:12])


def test_isa_and_threads_errors():
    with pytest.raises(ValueError, match="unknown ISA"):
        simdnorm.set_isa("sse2")
    with pytest.raises(TypeError):
        simdnorm.set_isa(1)
    for isa in ("scalar", "avx2", "avx512", "neon", "avx512bf16"):
        if isa not in simdnorm.available_isas():
            with pytest.raises(ValueError, match=status(ERR_ISA)):
                simdnorm.set_isa(isa)
    before = simdnorm.active_isa()
    with pytest.raises(ValueError):
        simdnorm.set_isa("bogus")
    assert simdnorm.active_isa() == before
    for n in (0, -1, 1 << 40):
        with pytest.raises((ValueError, OverflowError)):
            simdnorm.set_num_threads(n)
    with pytest.raises(TypeError):
        simdnorm.set_num_threads(2.0)
