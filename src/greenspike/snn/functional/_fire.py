"""Firing and reset, shared by every spiking neuron of the functional core.

Two timings of the reset: at once (`fire_and_reset`: the membrane a neuron keeps is the one
after its spike's reset), or one step later (`fire_with_delayed_reset`, snnTorch's default
`reset_delay=True`: the membrane a neuron keeps is the one that fired, and the reset it owes
is applied at the next step, after that step's input).
"""

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


class DelayedFiringParameters(FiringParameters, Protocol):
    """Firing parameters with the timing of the reset (`LIFParameters`, ...)."""

    @property
    def reset_delay(self) -> bool: ...


def fire_with_delayed_reset(
    h: torch.Tensor, v_before: torch.Tensor, threshold: Value, params: DelayedFiringParameters
) -> tuple[torch.Tensor, torch.Tensor]:
    """Spikes and the membrane kept, with the reset applied one step after its spike.

    `h` is the membrane of this step before any reset (leak and input done), `v_before` the
    membrane kept at the previous step, which fired there when `r = H(v_before - threshold)`
    is 1. The reset that spike owes is applied to `h` now::

        u = h - r * threshold          "subtract"
        u = (1 - r) * h                "zero"  (this step's input is lost with it)
        u = h                          "none"
        s = H(u - threshold); the membrane kept is u (not reset: its reset comes next step)

    With `detach_reset`, `r` carries no gradient (snnTorch always detaches it).
    """
    if params.reset != "none":
        owed = params.surrogate(v_before - threshold)
        if params.detach_reset:
            owed = owed.detach()
        h = h - owed * threshold if params.reset == "subtract" else (1 - owed) * h
    return params.surrogate(h - threshold), h


def fire_after_integrating(
    h: torch.Tensor, v_before: torch.Tensor, threshold: Value, params: DelayedFiringParameters
) -> tuple[torch.Tensor, torch.Tensor]:
    """`fire_with_delayed_reset` when `params.reset_delay`, else `fire_and_reset`."""
    if params.reset_delay:
        return fire_with_delayed_reset(h, v_before, threshold, params)
    return fire_and_reset(h, threshold, params)
