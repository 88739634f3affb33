"""Firing and reset, shared by every spiking neuron of the functional core."""

from __future__ import annotations

import torch

from greenspike.snn.surrogate import Surrogate


def fire_and_reset(
    v: torch.Tensor,
    threshold: float | torch.Tensor,
    reset: str,
    surrogate: Surrogate,
    detach_reset: bool,
) -> tuple[torch.Tensor, torch.Tensor]:
    """`s = H(v - threshold)`; then `v - s * threshold` ("subtract"), `(1 - s) * v` ("zero")
    or `v` ("none"). With `detach_reset`, the reset term uses `s` without its gradient."""
    spikes = surrogate(v - threshold)
    fired = spikes.detach() if detach_reset else spikes
    if reset == "subtract":
        v = v - fired * threshold
    elif reset == "zero":
        v = (1 - fired) * v
    return spikes, v
