"""simdnorm.torch: PyTorch modules computed by simdnorm, drop-in for torch.nn's.

``LayerNorm``, ``BatchNorm1d``, ``BatchNorm2d`` and ``GroupNorm`` are
subclasses of the torch.nn classes of the same names: the same constructor
arguments, attributes, ``state_dict`` keys (``weight``, ``bias``,
``running_mean``, ``running_var``, ``num_batches_tracked``) and ``isinstance``
answers; only ``forward`` differs. ``RMSNorm`` has the arguments and the
``weight`` key of ``torch.nn.RMSNorm`` (PyTorch >= 2.4; 1.13 has none):
``RMSNorm(normalized_shape, eps=None, elementwise_affine=True)``, eps None
meaning ``torch.finfo(x.dtype).eps``.

Which tensors go to the library: a forward whose input, weight, bias (and
running statistics) are all CPU float32 contiguous tensors (BatchNorm2d and
GroupNorm: also a 4-D channels_last input, as the library's NHWC layout)
runs simdnorm's forward, and its backward simdnorm's backward functions (a
torch.autograd.Function; double backward is not supported and raises
torch's "marked with @once_differentiable" error). Anything else (CUDA,
float64, half, other non-contiguous memory) falls back to PyTorch's
own op (torch.nn.functional.layer_norm, batch_norm, group_norm; for RMSNorm
the formula in torch operations), with PyTorch's results and errors.

``swap_modules(model)`` replaces, in place, every module whose type is exactly
torch.nn.LayerNorm, BatchNorm1d, BatchNorm2d, GroupNorm (and torch.nn.RMSNorm
where it exists) by the simdnorm module with the same arguments, and copies
the parameters and buffers (new tensors; build the optimizer after swapping),
the requires_grad flags and the train/eval mode. Subclasses of those types are
left alone (their forward may differ).

Outputs (y, dx) of 1 MiB or more come from a cache of freed buffers: a
buffer returns to it when the last tensor on it is freed and is handed out
again for an output of the same size (a training loop's fresh outputs
otherwise fault their pages in on every call). At most
``SIMDNORM_TORCH_CACHE_MIB`` (default 256) MiB of freed buffers are kept;
``empty_cache()`` frees them.
"""
import math
import numbers
import os
import threading
import weakref

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd.function import once_differentiable

from . import _simdnorm as _c

__all__ = ["LayerNorm", "RMSNorm", "BatchNorm1d", "BatchNorm2d", "GroupNorm", "swap_modules",
           "uses_library", "empty_cache"]


def uses_library(*tensors):
    """True when these tensors (None allowed) go to simdnorm: CPU, float32, contiguous,
    without the negative bit (a torch._neg_view's memory holds -x: PyTorch's own op
    takes it)."""
    f32 = torch.float32
    for t in tensors:
        if t is not None and (not t.is_cpu or t.dtype is not f32 or not t.is_contiguous()
                              or t.is_neg()):
            return False
    return True


def _needs_graph(*tensors):
    """True when autograd records this call (then the autograd.Function runs)."""
    if not torch.is_grad_enabled():
        return False
    for t in tensors:
        if t is not None and t.requires_grad:
            return True
    return False


# The private tensor entry points (_torch_row_norm, _as_array) compare a
# tensor's dtype with this object.
_c._torch_init(torch.float32)


def _fast_backward(fn):
    """fn as an autograd.Function's backward, made once-differentiable: with
    create_graph (grad mode on during the backward) through once_differentiable,
    whose outputs raise its error when differentiated again; otherwise (grad mode
    off, the common case) fn directly, without once_differentiable's no_grad
    context and checks (~6 us a call)."""
    slow = once_differentiable(fn)

    def backward(ctx, *grads):
        if torch.is_grad_enabled():
            return slow(ctx, *grads)
        return fn(ctx, *grads)
    return backward


# Outputs (y, dx) are allocated here and written by the library (through
# NumPy views, or for LayerNorm/RMSNorm their data_ptr). Outputs of
# _CACHE_MIN bytes or more come from _cache (the module docstring): glibc
# gives freed blocks of this size back to the kernel (munmap, or the heap
# trimmed), so in a forward+backward loop every y and dx
# faulted its pages in again - 0.35 ms of a 4 MiB call's 0.58 ms forward and
# 0.84 ms backward (1024x1024, AVX-512, one thread; README "Python"). A buffer
# returns to the cache through a weakref finalizer on its NumPy view, which
# torch.from_numpy keeps alive as long as any tensor on it. New buffers are
# NumPy arrays: from 4 MiB on NumPy asks for transparent huge pages (a fresh
# 64 MiB torch tensor took 16385 page faults here, NumPy's ~540). Below
# _CACHE_MIN torch.empty_like: glibc's heap reuses such blocks.
_CACHE_MIN = 1 << 20


class _OutputCache:
    """Freed float32 output buffers by element count, for reuse."""

    def __init__(self, limit):
        self.limit = limit
        self.free = {}              # elements -> [1-D float32 arrays]
        self.bytes = 0
        # reentrant: a finalizer (give) can run inside take's allocations
        self.lock = threading.RLock()

    def take(self, shape):
        """An uninitialized C-contiguous float32 array of this shape."""
        n = math.prod(shape)
        base = None
        with self.lock:
            lst = self.free.get(n)
            if lst:
                base = lst.pop()
                self.bytes -= base.nbytes
        if base is None:
            base = np.empty(n, np.float32)
        view = base.reshape(shape)
        weakref.finalize(view, self.give, base).atexit = False
        return view

    def give(self, base):
        with self.lock:
            if self.bytes + base.nbytes <= self.limit:
                self.free.setdefault(base.size, []).append(base)
                self.bytes += base.nbytes

    def clear(self):
        with self.lock:
            self.free = {}
            self.bytes = 0


_cache = _OutputCache(int(os.environ.get("SIMDNORM_TORCH_CACHE_MIB", "256")) << 20)


def empty_cache():
    """Frees the output buffers the modules keep for reuse (see the module's
    docstring); tensors still in use are not affected."""
    _cache.clear()


def _empty_like(x, layout="NCHW"):
    """An uninitialized float32 tensor of x's shape: contiguous, or channels_last
    for layout 'NHWC' (a 4-D x)."""
    if x.numel() * 4 >= _CACHE_MIN:
        if layout == "NHWC":
            n, c, h, w = x.shape
            return torch.from_numpy(_cache.take((n, h, w, c))).permute(0, 3, 1, 2)
        return torch.from_numpy(_cache.take(tuple(x.shape)))
    if layout == "NHWC":
        return torch.empty_like(x, memory_format=torch.channels_last)
    return torch.empty_like(x)


def _layout_of(x):
    """How the library takes an [N, C, *] tensor: 'NCHW' when contiguous, 'NHWC'
    when a 4-D channels_last tensor, None otherwise (or when not CPU float32, or
    a negative-bit view)."""
    if not x.is_cpu or x.dtype is not torch.float32 or x.is_neg():
        return None
    if x.is_contiguous():
        return "NCHW"
    if x.dim() == 4 and x.is_contiguous(memory_format=torch.channels_last):
        return "NHWC"
    return None


def _np_nc(t, layout):
    """The NumPy view of an [N, C, *] tensor in the library's layout: [N, C, *]
    (NCHW) or, for channels_last, its memory order [N, H, W, C] (NHWC).
    _c._as_array checks that the tensor is laid out so (TypeError if not)."""
    if t is None:
        return None
    return _c._as_array(t, _NHWC if layout == "NHWC" else None)


_NHWC = (0, 2, 3, 1)


def _grad_nc(dy, layout):
    """dy in the layout of the forward's x."""
    if dy.dtype is not torch.float32:
        dy = dy.float()
    if layout == "NHWC":
        return dy.contiguous(memory_format=torch.channels_last)
    return dy.contiguous()


def _np(t):
    """The NumPy view of a CPU float32 contiguous tensor (no copy; None stays None)."""
    return None if t is None else _c._as_array(t)


def _grad_in(dy):
    return dy if dy.is_contiguous() and dy.dtype == torch.float32 else dy.contiguous().float()


def _t(a):
    """A NumPy result as a tensor on its memory (None stays None)."""
    return None if a is None else torch.from_numpy(a)


# ---- LayerNorm and RMSNorm -------------------------------------------------------
# Their tensors go to the library as they are (_c._torch_row_norm and _bwd
# check each one and read its data_ptr), not through NumPy views: at 8 x 64 a
# forward+backward spent ~25 us of its ~120 us making views (README "Python").
# The statistics stay a NumPy array [k, rows] on ctx.

def _row_norm_bwd(rms, ctx, dy):
    """dx, dweight, dbias (LayerNorm) of a _LayerNormFn / _RMSNormFn forward."""
    x, weight = ctx.saved_tensors
    need = ctx.needs_input_grad
    dx = _empty_like(x) if need[0] else None
    dw = torch.empty_like(weight) if need[1] and weight is not None else None
    db = None
    if not rms and need[2] and ctx.bias_shape is not None:
        db = torch.empty_like(weight) if weight is not None else torch.empty(ctx.bias_shape)
    _c._torch_row_norm_bwd(rms, _grad_in(dy), x, ctx.stats, weight, dx, dw, db, ctx.cols)
    return dx, dw, db


class _LayerNormFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, cols, eps):
        y = _empty_like(x)
        ctx.stats = _c._torch_row_norm(0, x, weight, bias, y, cols, eps, True)
        ctx.cols = cols
        ctx.bias_shape = None if bias is None else bias.shape
        ctx.save_for_backward(x, weight)
        return y

    @staticmethod
    @_fast_backward
    def backward(ctx, dy):
        return _row_norm_bwd(0, ctx, dy) + (None, None)


class LayerNorm(nn.LayerNorm):
    """torch.nn.LayerNorm computed by simdnorm (see the module's docstring)."""

    def forward(self, input):
        shape = self.normalized_shape
        # the parameters from their dict: nn.Module's __getattr__ costs ~0.45 us a lookup
        params = self._parameters
        weight, bias = params.get("weight"), params.get("bias")
        if (uses_library(input, weight, bias) and input.dim() >= len(shape)
                and input.shape[input.dim() - len(shape):] == shape):
            cols = math.prod(shape)
            if not _needs_graph(input, weight, bias):
                y = _empty_like(input)
                _c._torch_row_norm(0, input, weight, bias, y, cols, float(self.eps), False)
                return y
            return _LayerNormFn.apply(input, weight, bias, cols, float(self.eps))
        return F.layer_norm(input, shape, weight, bias, self.eps)


class _RMSNormFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, cols, eps):
        y = _empty_like(x)
        ctx.stats = _c._torch_row_norm(1, x, weight, None, y, cols, eps, True)
        ctx.cols = cols
        ctx.save_for_backward(x, weight)
        return y

    @staticmethod
    @_fast_backward
    def backward(ctx, dy):
        return _row_norm_bwd(1, ctx, dy)[:2] + (None, None)


class RMSNorm(nn.Module):
    """RMSNorm as torch.nn.RMSNorm (PyTorch >= 2.4) defines it, computed by simdnorm:
    y = x / sqrt(mean(x^2 over normalized_shape) + eps) * weight."""
    __constants__ = ["normalized_shape", "eps", "elementwise_affine"]

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None,
                 dtype=None):
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if self.elementwise_affine:
            self.weight = nn.Parameter(torch.empty(self.normalized_shape, **factory_kwargs))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.elementwise_affine:
            nn.init.ones_(self.weight)

    def extra_repr(self):
        return "{normalized_shape}, eps={eps}, elementwise_affine={elementwise_affine}".format(
            **self.__dict__)

    def forward(self, input):
        shape = self.normalized_shape
        eps = self.eps if self.eps is not None else torch.finfo(input.dtype).eps
        weight = self._parameters.get("weight")
        if (uses_library(input, weight) and input.dim() >= len(shape)
                and input.shape[input.dim() - len(shape):] == shape):
            cols = math.prod(shape)
            if not _needs_graph(input, weight):
                y = _empty_like(input)
                _c._torch_row_norm(1, input, weight, None, y, cols, float(eps), False)
                return y
            return _RMSNormFn.apply(input, weight, cols, float(eps))
        dims = tuple(range(-len(shape), 0))
        y = input * torch.rsqrt(input.pow(2).mean(dims, keepdim=True) + eps)
        return y * weight if weight is not None else y


# ---- BatchNorm -----------------------------------------------------------------

def _bn_forward(x, weight, bias, running_mean, running_var, training, momentum, eps, stats,
                layout):
    """y, and (stats) the mean and rstd the backward takes."""
    xn = _np_nc(x, layout)
    y = _empty_like(x, layout)
    mean = rstd = None
    if training:
        r = _c.batch_norm_train(
            xn, _np(weight), _np(bias), eps, momentum, running_mean=_np(running_mean),
            running_var=_np(running_var), layout=layout, out=_np_nc(y, layout),
            return_stats=stats)
        if stats:
            _, mean, rstd = r
    else:
        _c.batch_norm_infer(xn, _np(running_mean), _np(running_var), _np(weight),
                            _np(bias), eps, layout=layout, out=_np_nc(y, layout))
        if stats:
            mean = running_mean.detach().clone().numpy()
            rstd = torch.rsqrt(running_var.detach().double() + eps).float().numpy()
    return y, mean, rstd


class _BatchNormFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, training, momentum, eps,
                layout):
        y, mean, rstd = _bn_forward(x, weight, bias, running_mean, running_var, training,
                                    momentum, eps, True, layout)
        ctx.training = bool(training)
        ctx.layout = layout
        ctx.save_for_backward(x, weight, bias, torch.from_numpy(mean), torch.from_numpy(rstd))
        return y

    @staticmethod
    @_fast_backward
    def backward(ctx, dy):
        x, weight, bias, mean, rstd = ctx.saved_tensors
        need_dx, need_dw, need_db = ctx.needs_input_grad[:3]
        layout = ctx.layout
        dx = _empty_like(x, layout) if need_dx else None
        _, dw, db = _c.batch_norm_bwd(
            _np_nc(_grad_nc(dy, layout), layout), _np_nc(x, layout), _np(mean), _np(rstd),
            _np(weight), ctx.training, layout=layout, out=_np_nc(dx, layout),
            compute_dx=need_dx, compute_dgamma=need_dw and weight is not None,
            compute_dbeta=need_db and bias is not None)
        return dx, _t(dw), _t(db), None, None, None, None, None, None


class _SimdBatchNorm:
    """forward of torch.nn.modules.batchnorm._BatchNorm (1.13), the kernel simdnorm's."""

    def forward(self, input):
        self._check_input_dim(input)
        if self.momentum is None:
            factor = 0.0
        else:
            factor = self.momentum
        if self.training and self.track_running_stats:
            if self.num_batches_tracked is not None:
                self.num_batches_tracked.add_(1)
                if self.momentum is None:
                    factor = 1.0 / float(self.num_batches_tracked)
                else:
                    factor = self.momentum
        if self.training:
            bn_training = True
        else:
            bn_training = (self.running_mean is None) and (self.running_var is None)
        use_running = not self.training or self.track_running_stats
        rm = self.running_mean if use_running else None
        rv = self.running_var if use_running else None
        layout = _layout_of(input)
        if layout is not None and uses_library(self.weight, self.bias, rm, rv) \
                and (bn_training or rm is not None):
            if not _needs_graph(input, self.weight, self.bias):
                return _bn_forward(input, self.weight, self.bias, rm, rv, bn_training,
                                   float(factor), float(self.eps), False, layout)[0]
            return _BatchNormFn.apply(input, self.weight, self.bias, rm, rv, bn_training,
                                      float(factor), float(self.eps), layout)
        return F.batch_norm(input, rm, rv, self.weight, self.bias, bn_training, factor, self.eps)


class BatchNorm1d(_SimdBatchNorm, nn.BatchNorm1d):
    """torch.nn.BatchNorm1d computed by simdnorm ([N, C] or [N, C, L])."""


class BatchNorm2d(_SimdBatchNorm, nn.BatchNorm2d):
    """torch.nn.BatchNorm2d computed by simdnorm ([N, C, H, W]: contiguous, or
    channels_last memory as the library's NHWC layout)."""


# ---- GroupNorm -------------------------------------------------------------------

class _GroupNormFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, groups, eps, layout):
        y = _empty_like(x, layout)
        _, mean, rstd = _c.group_norm(_np_nc(x, layout), groups, _np(weight), _np(bias), eps,
                                      layout=layout, out=_np_nc(y, layout), return_stats=True)
        ctx.groups = groups
        ctx.layout = layout
        ctx.save_for_backward(x, weight, bias, torch.from_numpy(mean), torch.from_numpy(rstd))
        return y

    @staticmethod
    @_fast_backward
    def backward(ctx, dy):
        x, weight, bias, mean, rstd = ctx.saved_tensors
        need_dx, need_dw, need_db = ctx.needs_input_grad[:3]
        layout = ctx.layout
        dx = _empty_like(x, layout) if need_dx else None
        _, dw, db = _c.group_norm_bwd(
            _np_nc(_grad_nc(dy, layout), layout), _np_nc(x, layout), _np(mean), _np(rstd),
            ctx.groups, _np(weight), layout=layout, out=_np_nc(dx, layout),
            compute_dx=need_dx, compute_dgamma=need_dw and weight is not None,
            compute_dbeta=need_db and bias is not None)
        return dx, _t(dw), _t(db), None, None, None


class GroupNorm(nn.GroupNorm):
    """torch.nn.GroupNorm computed by simdnorm ([N, C, *] contiguous, or a 4-D
    channels_last tensor as the library's NHWC layout)."""

    def forward(self, input):
        layout = _layout_of(input) if input.dim() >= 2 else None
        if layout is not None and uses_library(self.weight, self.bias) \
                and input.shape[1] == self.num_channels:
            if not _needs_graph(input, self.weight, self.bias):
                y = _empty_like(input, layout)
                _c.group_norm(_np_nc(input, layout), int(self.num_groups), _np(self.weight),
                              _np(self.bias), float(self.eps), layout=layout,
                              out=_np_nc(y, layout))
                return y
            return _GroupNormFn.apply(input, self.weight, self.bias, int(self.num_groups),
                                      float(self.eps), layout)
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)


# ---- swapping -------------------------------------------------------------------

def _device_dtype(m):
    for t in list(m.parameters(recurse=False)) + list(m.buffers(recurse=False)):
        if t.is_floating_point():
            return t.device, t.dtype
    return None, None


def _replacement(m):
    t = type(m)
    if t is nn.LayerNorm:
        kw = {}
        if m.elementwise_affine and getattr(m, "bias", 0) is None:  # PyTorch >= 2.1: bias=False
            kw["bias"] = False
        return LayerNorm(m.normalized_shape, eps=m.eps, elementwise_affine=m.elementwise_affine,
                         **kw)
    if t is nn.BatchNorm1d or t is nn.BatchNorm2d:
        cls = BatchNorm1d if t is nn.BatchNorm1d else BatchNorm2d
        return cls(m.num_features, eps=m.eps, momentum=m.momentum, affine=m.affine,
                   track_running_stats=m.track_running_stats)
    if t is nn.GroupNorm:
        return GroupNorm(m.num_groups, m.num_channels, eps=m.eps, affine=m.affine)
    stock_rms = getattr(nn, "RMSNorm", None)
    if stock_rms is not None and t is stock_rms:
        return RMSNorm(m.normalized_shape, eps=m.eps, elementwise_affine=m.elementwise_affine)
    return None


def _convert(m):
    new = _replacement(m)
    if new is None:
        return m
    device, dtype = _device_dtype(m)
    if device is not None:
        new = new.to(device=device, dtype=dtype)
    new.load_state_dict(m.state_dict())
    for (name, p_new), (_, p_old) in zip(new.named_parameters(recurse=False),
                                         m.named_parameters(recurse=False)):
        p_new.requires_grad_(p_old.requires_grad)
    new.train(m.training)
    return new


def swap_modules(model):
    """Replace the stock normalization modules of model in place (see the module
    docstring); returns model (or the replacement, when model itself is one)."""
    new = _convert(model)
    if new is not model:
        return new
    for name, child in list(model.named_children()):
        replaced = swap_modules(child)
        if replaced is not child:
            setattr(model, name, replaced)
    return model
