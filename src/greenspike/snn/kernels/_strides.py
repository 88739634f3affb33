"""How the CPU and Triton kernels step through their inputs: the strides they are given."""

from __future__ import annotations

import torch


def row_stride(x: torch.Tensor) -> int:
    """The distance between two time steps of `x` [T, N]: N, or 0 for the same row repeated."""
    steps, neurons = x.shape
    stride = x.stride(0) if steps > 1 else neurons
    assert stride in (0, neurons) and (neurons == 1 or x.stride(1) == 1)
    return stride


def value_stride(values: torch.Tensor) -> int:
    """1 for one value per neuron (contiguous `[N]`), 0 for one value for all (0-dim)."""
    if values.dim() == 0:
        return 0
    assert values.is_contiguous()
    return 1
