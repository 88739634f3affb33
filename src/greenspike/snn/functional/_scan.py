"""The reference loop over time that every neuron's whole-sequence function runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import torch

P = TypeVar("P")
S = TypeVar("S")


def scan(
    update: Callable[[torch.Tensor, P, S], tuple[torch.Tensor, S]],
    x: torch.Tensor,
    params: P,
    state: S,
) -> tuple[torch.Tensor, S]:
    """Apply the one-step `update` to each step of `x` `[T, B, ...]`: outputs stacked, state."""
    outputs = []
    for x_t in x:
        output, state = update(x_t, params, state)
        outputs.append(output)
    return torch.stack(outputs), state
