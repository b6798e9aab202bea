"""simdnorm: SIMD CPU kernels for LayerNorm, RMSNorm, BatchNorm and GroupNorm
(forward and backward), bit-for-bit identical on every ISA and thread count.

NumPy functions (this module) and PyTorch modules (``simdnorm.torch``). Arrays
are float32, float16 or bfloat16 (``ml_dtypes``, when installed;
``simdnorm.dtypes`` lists what this process takes); gamma, beta, bias and
statistics are float32 arrays.

Row norms (``layer_norm``, ``rms_norm`` and their backward) normalize the last
axis of an array of any leading shape. Rows that are already laid out for the
library (aligned, a contiguous last axis, leading axes with one row stride,
e.g. ``x[:, :k]``) are read in place; other inputs are copied first. BatchNorm
and GroupNorm take dense (C-contiguous) ``[N, C, *]`` (``layout='NCHW'``) or
``[N, *, C]`` (``'NHWC'``) arrays; other inputs are copied. Outputs given with
``out=`` (``h=``, running statistics) are written in place and never copied:
they must already have such a layout, else ValueError.

Errors: TypeError for a wrong type or dtype, ValueError for a wrong shape, a
read-only or overlapping output, or a status of the library (its text).
The GIL is released while the library computes.
"""
from . import _simdnorm as _c
from ._simdnorm import (  # noqa: F401
    layer_norm, rms_norm, layer_norm_bwd, rms_norm_bwd,
    batch_norm_train, batch_norm_infer, batch_norm_bwd,
    group_norm, group_norm_bwd, activate,
    active_isa, available_isas, set_isa, set_num_threads, get_num_threads,
    dtypes,
)

version = _c.version
__version__ = _c.version

ACTIVATIONS = (None, "relu", "gelu", "gelu_tanh", "silu")

__all__ = [
    "layer_norm", "rms_norm", "layer_norm_bwd", "rms_norm_bwd",
    "batch_norm_train", "batch_norm_infer", "batch_norm_bwd",
    "group_norm", "group_norm_bwd", "activate",
    "active_isa", "available_isas", "set_isa", "set_num_threads", "get_num_threads",
    "version", "dtypes", "ACTIVATIONS",
]
