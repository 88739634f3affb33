"""Firing and reset, shared by every spiking neuron of the functional core."""

from __future__ import annotations

from typing import Protocol

import torch

from greenspike.snn.functional import _checks
from greenspike.snn.functional._checks import ResetMode, Value
from greenspike.snn.surrogate import Surrogate


class FiringParameters(Protocol):
    """The fields every spiking neuron's parameter NamedTuple has (e.g. `LIFParameters`)."""

    @property
    def threshold(self) -> Value: ...
    @property
    def reset(self) -> ResetMode: ...
    @property
    def surrogate(self) -> Surrogate: ...
    @property
    def detach_reset(self) -> bool: ...


def check_firing(params: FiringParameters, step_shape: torch.Size) -> None:
    """A positive threshold (one value, or one per neuron of `step_shape`), a known reset."""
    _checks.check_positive("threshold", params.threshold)
    _checks.check_reset(params.reset)
    _checks.check_broadcast("threshold", params.threshold, step_shape)


def fire_and_reset(
    v: torch.Tensor, threshold: Value, params: FiringParameters
) -> tuple[torch.Tensor, torch.Tensor]:
    """Spikes `s = H(v - threshold)` and the membrane after the reset.

    The reset gives `v - s * threshold` ("subtract"), `(1 - s) * v` ("zero") or `v` ("none").
    With `detach_reset`, the reset term uses `s` without its gradient. `threshold` is
    `params.threshold`, or a neuron's adapted threshold.
    """
    spikes = params.surrogate(v - threshold)
    fired = spikes.detach() if params.detach_reset else spikes
    if params.reset == "subtract":
        v = v - fired * threshold
    elif params.reset == "zero":
        v = (1 - fired) * v
    return spikes, v
