"""Encoders: turn values into spike trains `[T, ...]` (time first, then the input's shape).

Out-of-range inputs are errors naming the range found, never clamped silently.
"""

from __future__ import annotations

import math
from typing import Literal

import torch

from greenspike.errors import InvalidInputError
from greenspike.snn.functional._checks import check_finite


def rate(x: torch.Tensor, steps: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """Bernoulli rate code: at each of `steps` steps, each element spikes with probability `x`.

    The mean over time converges to `x`. Same as snnTorch `spikegen.rate(x, num_steps)` and
    SpikingJelly `PoissonEncoder` in distribution.

    Args:
        x: spike probabilities, any shape, values in [0, 1].
        steps: number of time steps (>= 1).
        generator: a seeded `torch.Generator` to reproduce the spikes.

    Returns:
        Spikes `[steps, *x.shape]` in `x`'s dtype.

    Raises:
        InvalidInputError: `steps` is not a positive integer, or `x` is not a finite
            floating-point tensor with values in [0, 1].
    """
    _check_steps(steps)
    _check_unit_range(x, "rate")
    probabilities = x.detach().unsqueeze(0).expand(steps, *x.shape)
    return torch.bernoulli(probabilities, generator=generator)


def latency(
    x: torch.Tensor,
    steps: int,
    *,
    mode: Literal["linear", "log"] = "linear",
    tau: float | None = None,
) -> torch.Tensor:
    """Time-to-first-spike code: each element spikes once, the larger the earlier; 0 never spikes.

    Each element spikes at most once, at step::

        mode="linear": t = round((1 - x) * (steps - 1))      (x = 1 at step 0, small x late)
        mode="log":    t = round(-tau * ln(x))               (no spike if t > steps - 1)

    Values whose time rounds past the last step stay silent. Elements with `x = 0` never spike.

    Args:
        x: intensities, any shape, values in [0, 1].
        steps: number of time steps (>= 1).
        mode: "linear" or "log", the formulas above.
        tau: the time constant of the log mode, in steps (> 0); default `(steps - 1) / ln(100)`,
            so that `x = 0.01` spikes at the last step.

    Returns:
        Spikes `[steps, *x.shape]` in `x`'s dtype.

    Raises:
        InvalidInputError: `steps` is not a positive integer, `x` is not a finite
            floating-point tensor with values in [0, 1], `mode` is unknown, or `tau` is not a
            positive number.
    """
    _check_steps(steps)
    _check_unit_range(x, "latency")
    x = x.detach()
    if mode == "linear":
        times = torch.round((1 - x) * (steps - 1))
    elif mode == "log":
        tau = (steps - 1) / math.log(100) if tau is None else tau
        if not (math.isfinite(tau) and tau > 0):
            raise InvalidInputError(f"latency: tau must be a positive number of steps, got {tau!r}")
        times = torch.round(-tau * torch.log(x))
    else:
        raise InvalidInputError(f"latency: mode must be 'linear' or 'log', got {mode!r}")
    times = torch.where(x > 0, times, torch.full_like(times, steps))  # steps: never
    step_index = torch.arange(steps, device=x.device).view(steps, *([1] * x.dim()))
    return (step_index == times.unsqueeze(0)).to(x.dtype)


def delta(x: torch.Tensor, threshold: float, *, signed: bool = True) -> torch.Tensor:
    """Delta (change) code: a spike where a sequence changed by more than `threshold`.

    `out[t] = +1` where `x[t] - x[t-1] > threshold`, `-1` where `x[t] - x[t-1] < -threshold`
    (with `signed=False`, 1 for both), else 0; `out[0] = 0` (no previous sample). (snnTorch's
    `spikegen.delta` differs: it also fires on a change equal to the threshold, and compares
    step 0 with zero.)

    Args:
        x: a sequence `[T, ...]`, time first, floating point.
        threshold: the smallest change that is not a spike (> 0).
        signed: mark a decrease with -1 (else with 1, as an increase).

    Returns:
        The events, with `x`'s shape and dtype.

    Raises:
        InvalidInputError: `x` is not a finite floating-point tensor with a time dimension, or
            `threshold` is not a positive number.
    """
    if not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.dim() < 1:
        raise InvalidInputError("delta expects a floating-point sequence [T, ...] with time first")
    check_finite(x, "delta input")
    if not (math.isfinite(threshold) and threshold > 0):
        raise InvalidInputError(f"delta: threshold must be a positive number, got {threshold!r}")
    change = torch.zeros_like(x)
    change[1:] = x[1:] - x[:-1]
    up = (change > threshold).to(x.dtype)
    down = (change < -threshold).to(x.dtype)
    return up - down if signed else up + down


def _check_steps(steps: int) -> None:
    if not isinstance(steps, int) or steps < 1:
        raise InvalidInputError(f"steps must be a positive integer, got {steps!r}")


def _check_unit_range(x: torch.Tensor, encoder: str) -> None:
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise InvalidInputError(
            f"{encoder} expects a floating-point tensor with values in [0, 1], "
            f"got {getattr(x, 'dtype', type(x).__name__)}"
        )
    check_finite(x, f"{encoder} input")
    if x.numel() and (x.min() < 0 or x.max() > 1):
        raise InvalidInputError(
            f"{encoder} expects values in [0, 1] (probabilities or normalised intensities), got "
            f"values from {x.min().item():g} to {x.max().item():g}; scale the input first"
        )
