"""The fused CPU backend: the C kernel of `lif_cpu.c` called through ctypes on flat tensors.

Forward, per neuron, one pass over time (`h` is the membrane before the reset)::

    h[t] = beta * v[t-1] + x[t];  s[t] = H(h[t] - threshold);  v[t] = reset(h[t], s[t])

or, with the reset delayed (`delay`), `h[t] = owed(beta * v[t-1] + x[t], v[t-1])`, the reset a
spike at t-1 owes applied after the input, and `v[t] = h[t]` (backward: `lif_cpu_body.h`).

Backward, from t = T down to 1, with `g = dL/dv[t]` (starting at `dL/dv[T]`),
`gs = dL/ds[t]` and `sg = surrogate'(h[t] - threshold)`::

    subtract: gs -= g * threshold (unless detach_reset); dL/dh = g + gs * sg
    zero:     gs -= g * h[t]      (unless detach_reset); dL/dh = g * (1 - s[t]) + gs * sg
    none:                                                dL/dh = g + gs * sg
    dL/dx[t] = dL/dh;  dL/dbeta += dL/dh * v[t-1];  dL/dv[t-1] = dL/dh * beta
    dL/dthreshold += -gs * sg (- g * s[t] for subtract)

Nothing of size `[T, N]` is stored for the backward but the input `x` itself: the backward
first recomputes `h` into the buffer that then receives `dL/dx`, one block of neurons at a
time (the block stays in cache), and derives `s[t]` and `v[t-1]` from `h` exactly.

An input that is the same at every step (rows 0 apart, e.g. a directly encoded image) is read
from its one row; its gradient can be summed over time inside the kernel, into `[N]`, with the
membranes recomputed into a scratch buffer of T x 512 values per thread. `beta` and
`threshold` are one value per neuron, or one value for all (read with stride 0). The forward
also tells
whether every input value was finite (it reads each one anyway). The ctypes call releases the
GIL; OpenMP shares out blocks of neurons over torch's threads.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable
from typing import NamedTuple

import torch

from greenspike.snn.kernels._build import load_cpu_library
from greenspike.snn.kernels._strides import row_stride, value_stride

DTYPES = {torch.float32: "f32", torch.float64: "f64"}
# Below this many neuron-steps, waking a second thread costs more than it saves.
_PARALLEL_WORK = 1 << 16

_pointer, _int64, _int, _double = ctypes.c_void_p, ctypes.c_int64, ctypes.c_int, ctypes.c_double


def available() -> bool:
    """Whether the C kernel is built (or can be built now) on this machine."""
    return _library() is not None


def forward(
    x: torch.Tensor,
    beta: torch.Tensor,
    threshold: torch.Tensor,
    v0: torch.Tensor | None,
    reset: int,
    *,
    membrane: bool = False,
    delay: bool = False,
) -> tuple[torch.Tensor, torch.Tensor, bool]:
    """`Kernel.forward`: (spikes `[T, N]` or the membranes before each reset, v[T], finite?)."""
    steps, neurons = x.shape
    out = torch.empty(steps, neurons, dtype=x.dtype)
    v = torch.empty(neurons, dtype=x.dtype)
    bad = _function(x, 0)(
        x.data_ptr(),
        row_stride(x),
        beta.data_ptr(),
        value_stride(beta),
        threshold.data_ptr(),
        value_stride(threshold),
        _address(v0),
        v.data_ptr(),
        out.data_ptr(),
        steps,
        neurons,
        reset,
        int(delay),
        int(membrane),
        _threads(x),
    )
    return out, v, not bad


def backward(
    x: torch.Tensor,
    grad_spikes: torch.Tensor,
    grad_v: torch.Tensor,
    beta: torch.Tensor,
    threshold: torch.Tensor,
    v0: torch.Tensor | None,
    reset: int,
    delay: bool,
    detach_reset: bool,
    surrogate: tuple[int, float],
    need_beta: bool,
    need_threshold: bool,
    *,
    sum_over_time: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
    """(dL/dx [T, N] or summed over time [N], dL/dbeta [N], dL/dthreshold [N]): `Kernel.backward`.

    `grad_v` [N]: dL/dv[T] in, dL/dv[0] out. `grad_spikes` [T, N] may be strided, with neuron
    stride 0 or 1 (e.g. the broadcast gradient of a sum), and is then read without being copied.
    """
    steps, neurons = x.shape
    threads = _threads(x)
    if sum_over_time:
        grad_x = torch.empty(neurons, dtype=x.dtype)
        scratch = torch.empty(threads * steps * _block(), dtype=x.dtype)
    else:
        grad_x, scratch = torch.empty(steps, neurons, dtype=x.dtype), None
    # Always computed (one value per neuron: cheaper than a branch in the inner loop).
    grad_beta = torch.empty(neurons, dtype=x.dtype)
    grad_threshold = torch.empty(neurons, dtype=x.dtype)
    _function(x, 1)(
        x.data_ptr(),
        row_stride(x),
        grad_spikes.data_ptr(),
        grad_spikes.stride(0),
        grad_spikes.stride(1),
        _address(grad_v),
        beta.data_ptr(),
        value_stride(beta),
        threshold.data_ptr(),
        value_stride(threshold),
        _address(v0),
        _address(grad_x),
        0 if sum_over_time else neurons,
        _address(scratch),
        _address(grad_beta),
        _address(grad_threshold),
        steps,
        neurons,
        reset,
        int(delay),
        int(detach_reset),
        surrogate[0],
        surrogate[1],
        threads,
    )
    return grad_x, grad_beta, grad_threshold


def _function(x: torch.Tensor, which: int) -> Callable[..., int | None]:
    """The forward (0) or backward (1) C function for `x`'s dtype."""
    functions = _library()
    assert functions is not None, "callers check available() first"
    return functions.calls[DTYPES[x.dtype]][which]


def _block() -> int:
    """Neurons per block of the C kernel (the scratch of a summed backward is per block)."""
    library = _library()
    assert library is not None, "callers check available() first"
    return library.block


class _Library(NamedTuple):
    calls: dict[str, tuple[Callable[..., int], Callable[..., None]]]
    block: int


@functools.cache
def _library() -> _Library | None:
    library = load_cpu_library()
    if library is None:
        return None
    calls = {}
    for suffix in DTYPES.values():
        forward_fn = getattr(library, f"lif_forward_{suffix}")
        forward_fn.argtypes = [_pointer, _int64, _pointer, _int64, _pointer, _int64, _pointer]
        forward_fn.argtypes += [_pointer, _pointer, _int64, _int64, _int, _int, _int, _int]
        forward_fn.restype = _int
        backward_fn = getattr(library, f"lif_backward_{suffix}")
        backward_fn.argtypes = [_pointer, _int64, _pointer, _int64, _int64, _pointer, _pointer]
        backward_fn.argtypes += [_int64, _pointer, _int64, _pointer, _pointer, _int64, _pointer]
        backward_fn.argtypes += [_pointer, _pointer, _int64, _int64, _int, _int, _int, _int]
        backward_fn.argtypes += [_double, _int]
        backward_fn.restype = None
        calls[suffix] = (forward_fn, backward_fn)
    library.lif_block.restype = _int
    return _Library(calls, library.lif_block())


def _address(tensor: torch.Tensor | None) -> int | None:
    if tensor is None:
        return None
    assert tensor.is_contiguous()
    return tensor.data_ptr()


def _threads(x: torch.Tensor) -> int:
    return torch.get_num_threads() if x.numel() >= _PARALLEL_WORK else 1
