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
The ctypes call releases the GIL; OpenMP shares out blocks of neurons over torch's threads.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable

import torch

from greenspike.snn.kernels._build import load_cpu_library

DTYPES = {torch.float32: "f32", torch.float64: "f64"}
# Below this many neuron-steps, waking a second thread costs more than it saves.
_PARALLEL_WORK = 1 << 16

_pointer, _int64, _int, _double = ctypes.c_void_p, ctypes.c_int64, ctypes.c_int, ctypes.c_double


def available() -> bool:
    """Whether the C kernel is built (or can be built now) on this machine."""
    return _functions() is not None


def forward(
    x: torch.Tensor,
    beta: torch.Tensor,
    threshold: torch.Tensor,
    v: torch.Tensor,
    reset: int,
    delay: bool,
) -> torch.Tensor:
    """Spikes [T, N] of x [T, N] (`Kernel.forward`); `v` [N]: v[0] on entry, v[T] on return."""
    steps, neurons = x.shape
    spikes = torch.empty_like(x)
    _function(x, 0)(
        _address(x),
        _address(beta),
        _address(threshold),
        _address(v),
        _address(spikes),
        steps,
        neurons,
        reset,
        int(delay),
        _threads(x),
    )
    return spikes


def backward(
    x: torch.Tensor,
    grad_spikes: torch.Tensor,
    grad_v: torch.Tensor,
    beta: torch.Tensor,
    threshold: torch.Tensor,
    v0: torch.Tensor,
    reset: int,
    delay: bool,
    detach_reset: bool,
    surrogate: tuple[int, float],
    need_beta: bool,
    need_threshold: bool,
) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
    """(dL/dx [T, N], dL/dbeta [N], dL/dthreshold [N]), as `Kernel.backward`.

    `grad_v` [N]: dL/dv[T] in, dL/dv[0] out. `grad_spikes` [T, N] may be strided, with neuron
    stride 0 or 1 (e.g. the broadcast gradient of a sum), and is then read without being copied.
    """
    steps, neurons = x.shape
    grad_x = torch.empty_like(x)
    # Always accumulated (one value per neuron: cheaper than a branch in the inner loop).
    grad_beta, grad_threshold = torch.zeros_like(beta), torch.zeros_like(threshold)
    _function(x, 1)(
        _address(x),
        grad_spikes.data_ptr(),
        grad_spikes.stride(0),
        grad_spikes.stride(1),
        _address(grad_v),
        _address(beta),
        _address(threshold),
        _address(v0),
        _address(grad_x),
        _address(grad_beta),
        _address(grad_threshold),
        steps,
        neurons,
        reset,
        int(delay),
        int(detach_reset),
        surrogate[0],
        surrogate[1],
        _threads(x),
    )
    return grad_x, grad_beta, grad_threshold


def _function(x: torch.Tensor, which: int) -> Callable[..., None]:
    """The forward (0) or backward (1) C function for `x`'s dtype."""
    functions = _functions()
    assert functions is not None, "callers check available() first"
    return functions[DTYPES[x.dtype]][which]


@functools.cache
def _functions() -> dict[str, tuple[Callable[..., None], Callable[..., None]]] | None:
    library = load_cpu_library()
    if library is None:
        return None
    functions = {}
    for suffix in DTYPES.values():
        forward_fn = getattr(library, f"lif_forward_{suffix}")
        forward_fn.argtypes = [*[_pointer] * 5, _int64, _int64, _int, _int, _int]
        forward_fn.restype = None
        backward_fn = getattr(library, f"lif_backward_{suffix}")
        backward_fn.argtypes = [_pointer, _pointer, _int64, _int64, *[_pointer] * 7]
        backward_fn.argtypes += [_int64, _int64, _int, _int, _int, _int, _double, _int]
        backward_fn.restype = None
        functions[suffix] = (forward_fn, backward_fn)
    return functions


def _address(tensor: torch.Tensor | None) -> int | None:
    if tensor is None:
        return None
    assert tensor.is_contiguous() and tensor.device.type == "cpu"
    return tensor.data_ptr()


def _threads(x: torch.Tensor) -> int:
    return torch.get_num_threads() if x.numel() >= _PARALLEL_WORK else 1
