"""The 2x2 max pool with stride 2 (`nn.MaxPool2d(2)`) on the CPU, in one pass each way.

PyTorch's CPU max pool of a contiguous `[B, C, H, W]` takes several times as long as a pass
over its input (a branch per comparison, which mispredicts), and keeps for the backward the
input itself and an int64 index per output. Here a C kernel (`pool_cpu.c`, built as the LIF
kernel is) writes the maxima and, when a gradient will be needed, one byte per output: where
in its window the maximum lies. The backward writes the input gradient from those bytes.

The results are PyTorch's: `out[i, j] = max(x[2i:2i+2, 2j:2j+2])`, an odd last row or column
left out; the gradient goes to one element per window, the first maximum in row-major order,
as `0 + g` (so a -0 arrives as +0), and every other element gets 0. An input holding a NaN or
an infinity is pooled by PyTorch instead (its NaN rules), as is anything the kernel does not
take: another device or dtype, a non-contiguous input, fewer than 2 rows or columns, no
compiler. A backward that builds a graph (`create_graph=True`) scatters the gradient with
differentiable operations.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F

from greenspike.snn.kernels._build import load_pool_library

DTYPES = {torch.float32: "f32", torch.float64: "f64"}
# Below this many input values, waking a second thread costs more than it saves.
_PARALLEL_WORK = 1 << 16

_pointer, _int64, _int = ctypes.c_void_p, ctypes.c_int64, ctypes.c_int


def max_pool2x2(x: torch.Tensor) -> torch.Tensor:
    """`F.max_pool2d(x, 2)` of `x` `[B, C, H, W]` or `[C, H, W]`: the same values and gradients.

    Raises:
        RuntimeError: as `F.max_pool2d` does (e.g. an input smaller than the window).
    """
    if not _fits(x):
        return F.max_pool2d(x, 2)
    if torch.is_grad_enabled() and x.requires_grad:
        return _MaxPool2x2.apply(x)
    out, _, finite = _forward(x, want_where=False)
    return out if finite else F.max_pool2d(x, 2)


def _fits(x: torch.Tensor) -> bool:
    """Whether the kernel takes `x`: a contiguous float CPU tensor of 3 or 4 dims, 2x2 or more."""
    return (
        x.device.type == "cpu"
        and x.dtype in DTYPES
        and x.dim() in (3, 4)
        and x.shape[-1] >= 2
        and x.shape[-2] >= 2
        and x.is_contiguous()
        and _library() is not None
    )


class _MaxPool2x2(torch.autograd.Function):
    """The pool, keeping for the backward where each maximum lies (one byte per output).

    For an input that is not all finite, PyTorch's pool and its int64 indices instead.
    """

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        out, where, finite = _forward(x, want_where=True)
        ctx.input_shape = x.shape
        if finite:
            ctx.save_for_backward(where)
            return out
        out, index = F.max_pool2d_with_indices(x, (2, 2))
        ctx.save_for_backward(index)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor) -> torch.Tensor:
        (saved,) = ctx.saved_tensors
        shape = ctx.input_shape
        if saved.dtype == torch.uint8 and not torch.is_grad_enabled():
            return _backward(grad_out.contiguous(), saved, shape)
        # PyTorch's indices, or create_graph=True: scatter with differentiable operations
        index = _flat_index(saved, shape) if saved.dtype == torch.uint8 else saved
        planes = torch.zeros(*shape[:-2], shape[-2] * shape[-1], dtype=grad_out.dtype)
        return planes.scatter_add(-1, index.flatten(-2), grad_out.flatten(-2)).view(shape)


def _forward(
    x: torch.Tensor, *, want_where: bool
) -> tuple[torch.Tensor, torch.Tensor | None, bool]:
    """(maxima, the window position of each (uint8 0-3) or None, whether `x` is all finite)."""
    height, width = x.shape[-2:]
    out_shape = (*x.shape[:-2], height // 2, width // 2)
    out = torch.empty(out_shape, dtype=x.dtype)
    where = torch.empty(out_shape, dtype=torch.uint8) if want_where else None
    bad = _calls(x.dtype)[0](
        x.data_ptr(),
        x.numel() // (height * width),
        height,
        width,
        out.data_ptr(),
        None if where is None else where.data_ptr(),
        _threads(x),
    )
    return out, where, not bad


def _backward(grad_out: torch.Tensor, where: torch.Tensor, shape: torch.Size) -> torch.Tensor:
    """The input gradient `shape` from the kernel's window positions `where`."""
    grad_x = torch.empty(shape, dtype=grad_out.dtype)
    height, width = shape[-2:]
    _calls(grad_out.dtype)[1](
        grad_out.data_ptr(),
        where.data_ptr(),
        grad_x.numel() // (height * width),
        height,
        width,
        grad_x.data_ptr(),
        _threads(grad_x),
    )
    return grad_x


def _flat_index(where: torch.Tensor, shape: torch.Size) -> torch.Tensor:
    """Window positions (0-3) as PyTorch's indices: the maximum's place in its `H * W` plane."""
    width = shape[-1]
    rows = torch.arange(where.shape[-2]).mul_(2 * width).unsqueeze(1)
    columns = torch.arange(where.shape[-1]).mul_(2)
    within = where.long()
    return within // 2 * width + within % 2 + rows + columns


class _Library(NamedTuple):
    calls: dict[str, tuple[Callable[..., int], Callable[..., None]]]


def _calls(dtype: torch.dtype) -> tuple[Callable[..., int], Callable[..., None]]:
    """The forward and backward C functions for `dtype`."""
    library = _library()
    assert library is not None, "callers check _fits() first"
    return library.calls[DTYPES[dtype]]


@functools.cache
def _library() -> _Library | None:
    library = load_pool_library()
    if library is None:
        return None
    calls = {}
    for suffix in DTYPES.values():
        forward_fn = getattr(library, f"pool_forward_{suffix}")
        forward_fn.argtypes = [_pointer, _int64, _int64, _int64, _pointer, _pointer, _int]
        forward_fn.restype = _int
        backward_fn = getattr(library, f"pool_backward_{suffix}")
        backward_fn.argtypes = [_pointer, _pointer, _int64, _int64, _int64, _pointer, _int]
        backward_fn.restype = None
        calls[suffix] = (forward_fn, backward_fn)
    return _Library(calls)


def _threads(x: torch.Tensor) -> int:
    return torch.get_num_threads() if x.numel() >= _PARALLEL_WORK else 1
