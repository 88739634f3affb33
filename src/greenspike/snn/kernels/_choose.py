"""Which implementation runs a `lif` call: the PyTorch reference loop or a fused kernel.

`backend="torch"` is the reference; `"cpu"` the C kernel (CPU tensors); `"triton"` the Triton
kernel (CUDA tensors, or CPU tensors under `TRITON_INTERPRET=1`); `"auto"` the fused kernel for
the tensor's device when it can run the call, else the reference, so it never fails where the
reference works. The fused kernels cover float32 and float64 inputs, the built-in surrogates,
and parameters/state that do not promote the input's dtype; other calls need the reference.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal, get_args

import torch

from greenspike.errors import InvalidInputError
from greenspike.snn.kernels.fused import Kernel, surrogate_code

if TYPE_CHECKING:
    from greenspike.snn.functional.lif import LIFParameters

# The implementations of `functional.lif` (and of the LIF and IF modules).
Backend = Literal["auto", "torch", "cpu", "triton"]
BACKENDS: tuple[Backend, ...] = get_args(Backend)
FUSED_DTYPES = (torch.float32, torch.float64)


def check_backend(backend: str) -> None:
    """Raise InvalidInputError unless `backend` is one of `BACKENDS`."""
    if backend not in BACKENDS:
        raise InvalidInputError(
            f"backend must be one of {', '.join(map(repr, BACKENDS))}, got {backend!r}"
        )


def choose_kernel(
    backend: Backend, x: torch.Tensor, params: LIFParameters, v0: torch.Tensor | None
) -> Kernel | None:
    """The fused kernel to run `functional.lif(x, params, LIFState(v0), backend=backend)`.

    Args:
        backend: "auto", "torch", "cpu" or "triton".
        x: the input `[T, B, ...]`.
        params: the LIF parameters of the call.
        v0: the initial membrane `[B, ...]`, or None.

    Returns:
        The kernel (a module such as `kernels.cpu`), or None for the reference loop.

    Raises:
        InvalidInputError: `backend` is unknown, or names a kernel that cannot run this call;
            a missing C compiler is the one exception (a warning, then None), as the result
            is the same.
    """
    check_backend(backend)
    if backend == "torch":
        return None
    reason = _unsupported(x, params, v0)
    if backend == "auto":
        return None if reason is not None else _device_kernel(x)
    if reason is not None:
        raise InvalidInputError(
            f"backend={backend!r} cannot run this call: {reason}; use backend='auto'"
        )
    if backend == "cpu":
        if x.device.type != "cpu":
            raise InvalidInputError(
                f"backend='cpu' needs CPU tensors, got a tensor on {x.device}; "
                "use backend='triton' or 'auto'"
            )
        from greenspike.snn.kernels import cpu

        return cpu if cpu.available() else None
    _check_triton(x)
    return _triton()


def choose_membrane_kernel(
    x: torch.Tensor, beta: float | torch.Tensor, v0: torch.Tensor | None
) -> Kernel | None:
    """The fused kernel to run a leaky integrator's trace without gradients, or None.

    A leaky integrator is the LIF recurrence without firing: the kernels write its membranes
    in one pass. They cover forward passes only (nothing may require a gradient while grad
    mode is on); otherwise, and where `choose_kernel("auto", ...)` would not take a kernel,
    None: the reference loop.
    """
    tensors = [t for t in (x, beta, v0) if isinstance(t, torch.Tensor)]
    if torch.is_grad_enabled() and any(t.requires_grad for t in tensors):
        return None
    if _unsupported_tensors(x, {"beta": beta, "state v": v0}) is not None:
        return None
    return _device_kernel(x)


def triton_available() -> bool:
    """Whether the triton package is installed."""
    return importlib.util.find_spec("triton") is not None


def triton_interpreted() -> bool:
    """Whether Triton runs its kernels in its CPU interpreter (`TRITON_INTERPRET=1`)."""
    return os.environ.get("TRITON_INTERPRET", "0") not in ("", "0")


def _check_triton(x: torch.Tensor) -> None:
    if not triton_available():
        raise InvalidInputError("backend='triton' needs the triton package: pip install triton")
    if x.device.type != "cuda" and not (x.device.type == "cpu" and triton_interpreted()):
        raise InvalidInputError(
            f"backend='triton' needs CUDA tensors (got a tensor on {x.device}), or CPU tensors "
            "with TRITON_INTERPRET=1 set before triton is imported"
        )


def _device_kernel(x: torch.Tensor) -> Kernel | None:
    """The fused kernel for `x`'s device (Triton on CUDA, C on the CPU), if it can run here."""
    if x.device.type == "cuda" and triton_available():
        return _triton()
    if x.device.type == "cpu":
        from greenspike.snn.kernels import cpu

        return cpu if cpu.available() else None
    return None


def _triton() -> Kernel:
    from greenspike.snn.kernels import triton_kernel

    return triton_kernel


def _unsupported(x: torch.Tensor, params: LIFParameters, v0: torch.Tensor | None) -> str | None:
    """Why the fused kernels cannot reproduce this call, or None when they can."""
    named = {"beta": params.beta, "threshold": params.threshold, "state v": v0}
    reason = _unsupported_tensors(x, named)
    if reason is None and surrogate_code(params.surrogate) is None:
        return f"surrogate {params.surrogate!r} (fused kernels know the built-in surrogates only)"
    return reason


def _unsupported_tensors(x: torch.Tensor, named: Mapping[str, object]) -> str | None:
    """Why the kernels cannot take `x` with these parameters and state, or None."""
    if x.dtype not in FUSED_DTYPES:
        return f"input dtype {x.dtype} (fused kernels take float32 and float64)"
    for name, value in named.items():
        if not isinstance(value, torch.Tensor):
            continue
        if value.dim() > 0 and value.device != x.device:
            return f"{name} on {value.device} while the input is on {x.device}"
        # The reference promotes to a wider dtype of a per-neuron parameter or state.
        if value.dim() > 0 and torch.promote_types(value.dtype, x.dtype) != x.dtype:
            return f"{name} of dtype {value.dtype} wider than the input's {x.dtype}"
    return None
