"""simdnorm.torch against torch.nn: forward, gradients, running statistics,
state_dict compatibility, fallbacks, and two small real models after
swap_modules."""
import copy

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import simdnorm  # noqa: E402
import simdnorm.torch as snt  # noqa: E402

RTOL, ATOL = 1e-4, 1e-5


def close(a, b, what=""):
    torch.testing.assert_close(a, b, rtol=RTOL, atol=ATOL, msg=lambda m: f"{what}: {m}")


def randomize(module, seed=0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.5 + 1)


def fwd_bwd(module, x, seed=3):
    """Output, input gradient and parameter gradients of sum(y * w) for a fixed w."""
    x = x.detach().clone().requires_grad_(True)
    y = module(x)
    w = torch.randn(y.shape, generator=torch.Generator().manual_seed(seed))
    (y * w).sum().backward()
    grads = {n: p.grad.clone() for n, p in module.named_parameters() if p.grad is not None}
    if isinstance(module, (snt.LayerNorm, snt.RMSNorm, snt.GroupNorm, snt.BatchNorm1d,
                           snt.BatchNorm2d)):
        # the library computed it exactly when the tensors are CPU float32 contiguous
        lib = snt.uses_library(*module.parameters(),
                               *(b for b in module.buffers() if b.is_floating_point()))
        if isinstance(module, (snt.GroupNorm, snt.BatchNorm1d, snt.BatchNorm2d)):
            lib = lib and snt._layout_of(x) is not None     # channels_last: NHWC
        else:
            lib = lib and snt.uses_library(x)
        assert ("Fn" in type(y.grad_fn).__name__) == lib, type(y.grad_fn).__name__
    return y.detach(), x.grad, grads


def compare(stock, ours, x, what):
    ys, gxs, gps = fwd_bwd(stock, x)
    yo, gxo, gpo = fwd_bwd(ours, x)
    close(yo, ys, what + " y")
    close(gxo, gxs, what + " dx")
    assert gps.keys() == gpo.keys()
    for k in gps:
        close(gpo[k], gps[k], f"{what} d{k}")


def swapped(stock):
    ours = snt.swap_modules(copy.deepcopy(stock))
    assert type(ours) is not type(stock) or ours is not stock
    return ours


@pytest.mark.parametrize("shape,norm", [((4, 7, 32), 32), ((2, 3, 4, 5), (4, 5)), ((5, 300), 300)])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm(shape, norm, affine):
    stock = nn.LayerNorm(norm, eps=1e-5, elementwise_affine=affine)
    randomize(stock)
    ours = swapped(stock)
    assert isinstance(ours, snt.LayerNorm) and isinstance(ours, nn.LayerNorm)
    x = torch.randn(shape) * 2 + 1
    compare(stock, ours, x, "LayerNorm")


def test_rms_norm():
    torch.manual_seed(0)
    ours = snt.RMSNorm(48, eps=1e-6)
    assert list(ours.state_dict()) == ["weight"]
    with torch.no_grad():
        ours.weight.copy_(torch.randn(48))
    x = torch.randn(3, 5, 48, dtype=torch.float64) + 0.5
    x64 = x.clone().requires_grad_(True)
    w64 = ours.weight.detach().double().requires_grad_(True)
    y64 = x64 * torch.rsqrt(x64.pow(2).mean(-1, keepdim=True) + 1e-6) * w64
    wt = torch.randn(y64.shape, dtype=torch.float64)
    (y64 * wt).sum().backward()
    xf = x.float().requires_grad_(True)
    y = ours(xf)
    (y * wt.float()).sum().backward()
    close(y, y64.detach().float(), "RMSNorm y")
    close(xf.grad, x64.grad.float(), "RMSNorm dx")
    close(ours.weight.grad, w64.grad.float(), "RMSNorm dweight")
    # eps=None is torch.finfo(dtype).eps, as torch.nn.RMSNorm; no affine: no parameters
    plain = snt.RMSNorm((5, 48), eps=None, elementwise_affine=False)
    assert list(plain.parameters()) == []
    x2 = torch.randn(2, 5, 48)
    ref = x2 * torch.rsqrt(x2.pow(2).mean((-2, -1), keepdim=True) + torch.finfo(torch.float32).eps)
    close(plain(x2), ref, "RMSNorm (5, 48)")
    close(plain(x2.double()), ref.double(), "RMSNorm float64 fallback")


@pytest.mark.parametrize("cls,shape", [(nn.BatchNorm1d, (8, 6)), (nn.BatchNorm1d, (4, 6, 9)),
                                       (nn.BatchNorm2d, (3, 6, 5, 7))])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batch_norm(cls, shape, momentum):
    stock = cls(6, momentum=momentum)
    randomize(stock)
    ours = swapped(stock)
    assert isinstance(ours, cls)
    assert list(ours.state_dict()) == list(stock.state_dict())
    for step in range(3):
        x = torch.randn(shape) * (step + 1) + step
        compare(stock, ours, x, f"BatchNorm train step {step}")
    close(ours.running_mean, stock.running_mean, "running_mean")
    close(ours.running_var, stock.running_var, "running_var")
    assert int(ours.num_batches_tracked) == int(stock.num_batches_tracked) == 3
    stock.eval()
    ours.eval()
    compare(stock, ours, torch.randn(shape) + 0.5, "BatchNorm eval")
    close(ours.running_mean, stock.running_mean, "running_mean after eval")


@pytest.mark.parametrize("track", [False, True])
def test_batch_norm_variants(track):
    stock = nn.BatchNorm2d(4, affine=False, track_running_stats=track)
    ours = swapped(stock)
    x = torch.randn(2, 4, 3, 3)
    compare(stock, ours, x, "train")
    stock.eval()
    ours.eval()
    compare(stock, ours, x, "eval")


@pytest.mark.parametrize("groups,shape", [(2, (3, 6, 5, 4)), (6, (2, 6, 10)), (1, (2, 6, 7))])
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm(groups, shape, affine):
    stock = nn.GroupNorm(groups, 6, affine=affine)
    randomize(stock)
    ours = swapped(stock)
    assert isinstance(ours, snt.GroupNorm)
    compare(stock, ours, torch.randn(shape) * 3 - 1, "GroupNorm")


def test_state_dict_round_trip():
    stock = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.LayerNorm(6))
    stock(torch.randn(5, 4))                       # running statistics move
    ours = snt.swap_modules(nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.LayerNorm(6)))
    assert isinstance(ours[1], snt.BatchNorm1d) and isinstance(ours[2], snt.LayerNorm)
    ours.load_state_dict(stock.state_dict())       # a stock checkpoint loads after swapping
    for k, v in stock.state_dict().items():
        assert torch.equal(ours.state_dict()[k], v)
    back = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.LayerNorm(6))
    back.load_state_dict(ours.state_dict())        # and the other way


def test_fallbacks_follow_torch():
    ln = nn.LayerNorm(16)
    ours = swapped(ln)
    x = torch.randn(4, 16, dtype=torch.float64)
    assert not snt.uses_library(x)
    close(ours.double()(x), ln.double()(x), "float64 fallback")
    xf = torch.randn(16, 8).t()                     # non-contiguous
    assert not snt.uses_library(xf)
    ln.float()
    ours.float()
    compare(ln, ours, xf, "non-contiguous fallback")
    with pytest.raises(RuntimeError):               # torch's own shape error
        ours(torch.randn(4, 15))
    bn = snt.BatchNorm1d(3)
    with pytest.raises(ValueError):                 # torch's check, before the library's
        bn(torch.randn(1, 3))


def test_double_backward_is_refused():
    ours = snt.LayerNorm(8)
    x = torch.randn(3, 8, requires_grad=True)
    (g,) = torch.autograd.grad(ours(x).pow(2).sum(), x, create_graph=True)
    # once_differentiable's error (a gradient without a graph would raise another)
    with pytest.raises(RuntimeError, match="once_differentiable"):
        g.sum().backward()


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
            nn.Conv2d(8, 16, 3, padding=1), nn.GroupNorm(4, 16), nn.ReLU(),
            nn.AdaptiveAvgPool2d(2))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(64, 10), nn.BatchNorm1d(10))

    def forward(self, x):
        return self.head(self.body(x))


def model_grads(model, x, target_seed=0):
    model.zero_grad()
    y = model(x)
    t = torch.randn(y.shape, generator=torch.Generator().manual_seed(target_seed))
    ((y - t) ** 2).mean().backward()
    return y.detach(), {n: p.grad.clone() for n, p in model.named_parameters()}


def compare_models(stock, ours, x, what):
    ys, gs = model_grads(stock, x)
    yo, go = model_grads(ours, x)
    close(yo, ys, what + " output")
    for n in gs:
        torch.testing.assert_close(go[n], gs[n], rtol=1e-3, atol=1e-5,
                                   msg=lambda m, n=n: f"{what} grad {n}: {m}")


def test_small_cnn_after_swap():
    torch.manual_seed(0)
    stock = SmallCNN()
    ours = snt.swap_modules(copy.deepcopy(stock))
    kinds = {type(m) for m in ours.modules()}
    assert {snt.BatchNorm2d, snt.GroupNorm, snt.BatchNorm1d} <= kinds
    assert not {nn.BatchNorm2d, nn.GroupNorm, nn.BatchNorm1d} & kinds
    x = torch.randn(4, 3, 12, 12)
    for step in range(2):
        compare_models(stock, ours, x + step, f"CNN train {step}")
    for (n, a), (_, b) in zip(ours.named_buffers(), stock.named_buffers()):
        close(a.float(), b.float(), n)
    stock.eval()
    ours.eval()
    compare_models(stock, ours, x, "CNN eval")


def test_transformer_encoder_after_swap():
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(d_model=32, nhead=4, dim_feedforward=64, dropout=0.0,
                                       batch_first=True)
    stock = nn.Sequential(nn.TransformerEncoder(layer, num_layers=2, norm=nn.LayerNorm(32)))
    randomize_ln = [m for m in stock.modules() if isinstance(m, nn.LayerNorm)]
    for i, m in enumerate(randomize_ln):
        randomize(m, seed=i)
    ours = snt.swap_modules(copy.deepcopy(stock))
    n_ln = sum(isinstance(m, snt.LayerNorm) for m in ours.modules())
    assert n_ln == 5                                # 2 per layer + the final norm
    x = torch.randn(3, 10, 32)
    calls = []
    real = snt._LayerNormFn.forward

    def counting(ctx, *args):
        calls.append(1)
        return real(ctx, *args)

    snt._LayerNormFn.forward = staticmethod(counting)
    try:
        compare_models(stock, ours, x, "TransformerEncoder")
    finally:
        snt._LayerNormFn.forward = staticmethod(real)
    assert len(calls) == 5                          # every LayerNorm went to the library


def test_isas_bitwise_through_torch():
    ln = snt.LayerNorm(64)
    x = torch.randn(8, 64) * 4 + 3
    outs = []
    for isa in simdnorm.available_isas():
        simdnorm.set_isa(isa)
        y, gx, gp = fwd_bwd(ln, x)
        outs.append([y, gx, gp["weight"], gp["bias"]])
        ln.zero_grad()
    for o in outs[1:]:
        assert all(torch.equal(a, b) for a, b in zip(outs[0], o))


def test_cached_outputs(monkeypatch):
    """Outputs from _CACHE_MIN bytes on come from the cache of freed buffers:
    same results, a buffer is handed out again only once every tensor on it
    is gone, and empty_cache / a zero limit keep none."""
    stock = nn.LayerNorm(64)
    randomize(stock)
    ours = swapped(stock)
    x = torch.randn(16, 64)
    want = fwd_bwd(ours, x)
    monkeypatch.setattr(snt, "_CACHE_MIN", 64)
    snt.empty_cache()
    got = fwd_bwd(ours, x)
    assert torch.equal(got[0], want[0]) and torch.equal(got[1], want[1])
    gn = snt.GroupNorm(2, 4)
    bn = snt.BatchNorm2d(4)
    xg = torch.randn(2, 4, 3, 3)
    compare(nn.GroupNorm(2, 4), gn, xg, "GroupNorm cached outputs")
    compare(nn.BatchNorm2d(4), bn, xg, "BatchNorm cached outputs")
    compare(nn.BatchNorm2d(4), snt.BatchNorm2d(4), xg.contiguous(memory_format=torch.channels_last),
            "BatchNorm NHWC cached outputs")
    with torch.no_grad():
        snt.empty_cache()
        x1, x2 = torch.randn(16, 64), torch.randn(16, 64)
        r1, r2 = ours(x1).clone(), ours(x2).clone()   # clones: torch-allocated
        close(r1, stock(x1), "cached LayerNorm")
        y1 = ours(x1)
        y2 = ours(x2)                  # y1 alive: another buffer
        assert y2.data_ptr() != y1.data_ptr()
        assert torch.equal(y1, r1) and torch.equal(y2, r2)
        p1 = y1.data_ptr()
        view = y1[3:]                  # a view keeps the buffer
        del y1
        y3 = ours(x2)
        assert y3.data_ptr() != p1 and torch.equal(view, r1[3:]) and torch.equal(y3, r2)
        del view
        y4 = ours(x2)                  # y1's buffer, free now
        assert y4.data_ptr() == p1 and torch.equal(y4, r2)
        freed = ours(x1).data_ptr()    # freed at once
        assert ours(x2).data_ptr() == freed
        assert snt._cache.bytes > 0
        snt.empty_cache()
        assert snt._cache.bytes == 0
        monkeypatch.setattr(snt._cache, "limit", 0)
        assert torch.equal(ours(x1), r1)
        assert snt._cache.bytes == 0


def test_no_grad_paths_equal_autograd_paths():
    """Without autograd (inference) the modules call the library directly: same bits."""
    mods = [(snt.LayerNorm(32), (4, 32)), (snt.RMSNorm(32), (4, 32)),
            (snt.GroupNorm(4, 8), (2, 8, 5)), (snt.BatchNorm1d(8), (6, 8, 5)),
            (snt.BatchNorm2d(8), (2, 8, 3, 3))]
    for m, shape in mods:
        randomize(m)
        x = torch.randn(shape)
        for train in (True, False):
            m.train(train)
            m2 = copy.deepcopy(m)
            y_graph = m(x.clone().requires_grad_(True)).detach()
            with torch.no_grad():
                y_plain = m2(x)
            assert torch.equal(y_graph, y_plain), (type(m).__name__, train)
            for a, b in zip(m.buffers(), m2.buffers()):
                assert torch.equal(a, b)


@pytest.mark.parametrize("make", [lambda: nn.BatchNorm2d(6), lambda: nn.GroupNorm(3, 6),
                                  lambda: nn.GroupNorm(6, 6)])
def test_channels_last_goes_to_nhwc(make):
    stock = make()
    randomize(stock)
    ours = swapped(stock)
    x = (torch.randn(3, 6, 5, 7) * 2 + 1).to(memory_format=torch.channels_last)
    assert not x.is_contiguous() and snt._layout_of(x) == "NHWC"
    compare(stock, ours, x, "channels_last")       # fwd_bwd asserts the library ran
    if isinstance(ours, nn.BatchNorm2d):
        stock.eval()
        ours.eval()
        compare(stock, ours, x, "channels_last eval")
    a, b = copy.deepcopy(ours), copy.deepcopy(ours)
    y = a(x)
    assert y.is_contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        assert torch.equal(b(x), y.detach())       # the no-autograd path: same bits


@pytest.mark.parametrize("make,shape", [(lambda: nn.BatchNorm2d(4), (2, 4, 3, 3)),
                                        (lambda: nn.GroupNorm(2, 4), (2, 4, 5)),
                                        (lambda: nn.BatchNorm1d(4), (5, 4))])
def test_float64_and_strided_fall_back(make, shape):
    stock = make()
    randomize(stock)
    ours = swapped(stock)
    x = torch.randn(shape, dtype=torch.float64)
    ours_d, stock_d = ours.double(), stock.double()
    y = ours_d(x.clone().requires_grad_(True))
    assert "Fn" not in type(y.grad_fn).__name__                 # PyTorch's op
    torch.testing.assert_close(y, stock_d(x), rtol=1e-12, atol=1e-12)
    xs = torch.randn((shape[0] * 2,) + shape[1:])[::2]          # a non-contiguous batch
    assert not xs.is_contiguous() and snt._layout_of(xs) is None
    compare(stock.float(), ours.float(), xs, "strided")


def test_swap_keeps_mode_flags_and_nested_modules():
    inner = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4))
    model = nn.ModuleDict({"a": inner, "b": nn.BatchNorm1d(4, momentum=None, eps=1e-3)})
    model["a"][1].weight.requires_grad_(False)
    model.eval()

    class MyLN(nn.LayerNorm):                                    # a subclass: left alone
        pass

    model["c"] = MyLN(4)
    out = snt.swap_modules(model)
    assert out is model
    assert type(model["a"][1]) is snt.LayerNorm and type(model["c"]) is MyLN
    assert type(model["b"]) is snt.BatchNorm1d
    assert model["b"].momentum is None and model["b"].eps == 1e-3
    assert not model["a"][1].weight.requires_grad and model["a"][1].bias.requires_grad
    assert not model["a"][1].training and not model["b"].training
    assert isinstance(snt.swap_modules(nn.GroupNorm(2, 4)), snt.GroupNorm)   # a bare module


def test_frozen_parameters_and_rms_double_backward():
    """The backward computes only the gradients autograd asks for (a frozen
    weight or bias), and RMSNorm refuses double backward as LayerNorm does."""
    for freeze in ("weight", "bias"):
        stock = nn.LayerNorm(24)
        randomize(stock)
        ours = swapped(stock)
        for m in (stock, ours):
            getattr(m, freeze).requires_grad_(False)
        compare(stock, ours, torch.randn(5, 24), "LayerNorm, frozen " + freeze)
        assert getattr(ours, freeze).grad is None
    rms = snt.RMSNorm(16)
    rms.weight.requires_grad_(False)
    x = torch.randn(4, 16, requires_grad=True)
    rms(x).sum().backward()
    assert x.grad is not None and rms.weight.grad is None
    rms.weight.requires_grad_(True)
    (g,) = torch.autograd.grad(rms(x).pow(2).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="once_differentiable"):
        g.sum().backward()


def test_private_tensor_calls_check_their_tensors():
    """simdnorm.torch's private entry points take tensors, not NumPy views;
    each checks every tensor (CPU, float32, contiguous, its element count)
    before reading its data_ptr, and writes nothing when one is wrong."""
    from simdnorm import _simdnorm as c
    x, g, b = torch.randn(6, 8), torch.randn(8), torch.randn(8)
    sentinel = torch.full((6, 8), 7.0)

    def fwd(*, rms=0, x=x, g=g, b=b, y=None, cols=8):
        y = sentinel.clone() if y is None else y
        return c._torch_row_norm(rms, x, g, b, y, cols, 1e-5, True), y

    stats, y = fwd()
    ref = torch.nn.functional.layer_norm(x, (8,), g, b, 1e-5)
    close(y, ref, "_torch_row_norm")
    assert stats.shape == (2, 6)
    bad = [(TypeError, dict(x=x.double())), (TypeError, dict(x=x.t().contiguous().t())),
           (TypeError, dict(x=x.tolist())), (TypeError, dict(x=torch.empty(6, 8, device="meta"))),
           (TypeError, dict(g=g.half())), (ValueError, dict(g=torch.randn(9))),
           (ValueError, dict(y=torch.full((5, 8), 7.0))), (ValueError, dict(cols=5)),
           (ValueError, dict(cols=0)), (TypeError, dict(rms=1)),   # RMSNorm with a bias
           (TypeError, dict(x=None))]
    for exc, kw in bad:
        y = kw.pop("y", None)
        y = sentinel.clone() if y is None else y
        with pytest.raises(exc):
            fwd(y=y, **kw)
        assert torch.equal(y, torch.full(y.shape, 7.0)), kw
    dy = torch.randn(6, 8)
    dx, dg, db = sentinel.clone(), torch.full((8,), 7.0), torch.full((8,), 7.0)
    for exc, args in [(ValueError, (dy, x, stats[:1].copy(), g)), (ValueError, (dy, x, stats.T.copy(), g)),
                      (TypeError, (dy, x, stats.astype("float64"), g)), (TypeError, (dy, x, stats.tolist(), g)),
                      (ValueError, (dy[:5], x, stats, g)), (TypeError, (dy.double(), x, stats, g))]:
        with pytest.raises(exc):
            c._torch_row_norm_bwd(0, *args, dx, dg, db, 8)
        assert torch.equal(dx, sentinel) and torch.equal(dg, torch.full((8,), 7.0))
    c._torch_row_norm_bwd(0, dy, x, stats, g, dx, dg, db, 8)
    xr = x.clone().requires_grad_(True)
    gr, br = g.clone().requires_grad_(True), b.clone().requires_grad_(True)
    torch.nn.functional.layer_norm(xr, (8,), gr, br, 1e-5).backward(dy)
    close(dx, xr.grad, "_torch_row_norm_bwd dx")
    close(dg, gr.grad, "_torch_row_norm_bwd dweight")
    close(db, br.grad, "_torch_row_norm_bwd dbias")


def test_as_array_is_exactly_the_tensor_memory():
    """_as_array (BatchNorm/GroupNorm's NumPy views of tensors) gives an array on
    the tensor's own memory only when the tensor is laid out as that array."""
    from simdnorm import _simdnorm as c
    t = torch.randn(2, 3, 4, 5)
    a = c._as_array(t)
    assert a.shape == (2, 3, 4, 5) and a.base is t
    a[1, 2, 3, 4] = 42.0
    assert t[1, 2, 3, 4] == 42.0
    cl = torch.randn(2, 3, 4, 5).contiguous(memory_format=torch.channels_last)
    v = c._as_array(cl, (0, 2, 3, 1))
    assert v.shape == (2, 4, 5, 3)
    assert (v == cl.permute(0, 2, 3, 1).numpy()).all()
    v[0, 1, 2, 0] = -7.0
    assert cl[0, 0, 1, 2] == -7.0
    held = c._as_array(torch.full((3,), 5.0))       # the array keeps its tensor alive
    assert (held == 5.0).all()
    assert c._as_array(torch.empty(0, 3)).shape == (0, 3)
    for exc, args in [(TypeError, (cl,)),                       # channels_last, no perm
                      (TypeError, (t, (0, 2, 3, 1))),           # contiguous read as NHWC
                      (TypeError, (t.double(),)), (TypeError, (t.tolist(),)),
                      (TypeError, (torch.randn(4, 6).t(),)),
                      (TypeError, (torch.ones(3).expand(4, 3), (0, 1))),
                      (TypeError, (t, (0, 1, 2))), (ValueError, (t, (0, 0, 1, 2))),
                      (ValueError, (t, (0, 1, 2, 4))), (TypeError, (t, [0, 1, 2, 3])),
                      (TypeError, (torch.empty(2, 3, device="meta"),))]:
        with pytest.raises(exc):
            c._as_array(*args)


def test_tensor_entry_points_need_torch_init():
    """Before simdnorm.torch registers torch.float32, the private tensor entry
    points raise instead of reading attributes they have not looked up."""
    import os
    import subprocess
    import sys
    code = ("import torch\nfrom simdnorm import _simdnorm as c\n"
            "for call in (lambda: c._as_array(torch.zeros(3)),\n"
            "             lambda: c._torch_row_norm(0, torch.zeros(2, 3), None, None,\n"
            "                                       torch.zeros(2, 3), 3, 1e-5, False)):\n"
            "    try:\n        call()\n    except RuntimeError as e:\n"
            "        assert '_torch_init' in str(e), e\n"
            "    else:\n        raise SystemExit('no error')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr + r.stdout


def test_negative_bit_views():
    """A torch._neg_view holds -x in its memory: the modules leave it to PyTorch
    (the same result as torch.nn's), and the private entry points refuse it."""
    from simdnorm import _simdnorm as c
    x = torch.randn(3, 16)
    v = torch._neg_view(x)
    assert v.is_neg()
    ln = snt.LayerNorm(16)
    close(ln(v), torch.nn.functional.layer_norm(-x, (16,), ln.weight, ln.bias), "LayerNorm neg view")
    bn = snt.BatchNorm1d(16)
    close(bn(v), torch.nn.functional.batch_norm(-x, None, None, bn.weight, bn.bias, True),
          "BatchNorm1d neg view")
    with pytest.raises(TypeError):
        c._torch_row_norm(0, v, None, None, torch.empty(3, 16), 16, 1e-5, False)
    with pytest.raises(TypeError):
        c._as_array(v)
