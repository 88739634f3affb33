"""Adaptive LIF (ALIF): each spike raises the neuron's threshold, which then relaxes back."""

from __future__ import annotations

from typing import NamedTuple

import torch

from greenspike.snn.functional import _checks
from greenspike.snn.functional._fire import fire_and_reset
from greenspike.snn.functional.lif import check_lif_parameters
from greenspike.snn.surrogate import DEFAULT_SURROGATE, Surrogate


class ALIFState(NamedTuple):
    """State after a time step: membrane `v` (after reset) and adaptation `a` (a spike trace)."""

    v: torch.Tensor
    a: torch.Tensor


def alif(
    x: torch.Tensor,
    beta: float | torch.Tensor,
    threshold: float | torch.Tensor = 1.0,
    *,
    adaptation_decay: float | torch.Tensor,
    adaptation_scale: float | torch.Tensor,
    reset: str = "subtract",
    surrogate: Surrogate = DEFAULT_SURROGATE,
    state: ALIFState | None = None,
    detach_reset: bool = False,
) -> tuple[torch.Tensor, ALIFState]:
    r"""Run an ALIF layer over a sequence: `x` `[T, B, ...]` -> spikes `[T, B, ...]`, final state.

    For each step t, from `(v[0], a[0]) = state` (zeros by default), with `rho` =
    `adaptation_decay` and `b` = `adaptation_scale`::

        v[t]     = beta * v[t-1] + x[t]
        theta[t] = threshold + b * a[t-1]           (adapted threshold)
        s[t]     = H(v[t] - theta[t])
        v[t]    -= s[t] * theta[t]                  reset="subtract"
        v[t]     = (1 - s[t]) * v[t]                reset="zero"     ("none": no reset)
        a[t]     = rho * a[t-1] + s[t]              (adaptation: a decaying spike count)

    `rho` in [0, 1] (`exp(-dt / tau_adapt)`), `b >= 0` in units of the membrane; `b = 0` is
    `lif`. This is the adaptive neuron of Bellec et al. (2018, LSNN) in the discrete form used
    for speech tasks such as SHD (Yin et al. 2021), without the `1 - beta` input scaling.

    Peers: no exact equivalent. Norse `LSNN` adapts a current-based neuron, resets to a value
    and updates its threshold before the membrane crosses it; snnTorch and SpikingJelly have no
    adaptive-threshold LIF with this recurrence.
    """
    _checks.check_sequence(x, "alif")
    check_alif_parameters(beta, threshold, adaptation_decay, adaptation_scale, reset, x.shape[1:])
    v, a = _initial_state(state, x[0])
    spikes = []
    for x_t in x:
        s, v, a = alif_update(
            x_t,
            v,
            a,
            beta,
            threshold,
            adaptation_decay,
            adaptation_scale,
            reset,
            surrogate,
            detach_reset,
        )
        spikes.append(s)
    return torch.stack(spikes), ALIFState(v, a)


def alif_step(
    x_t: torch.Tensor,
    state: ALIFState | None,
    beta: float | torch.Tensor,
    threshold: float | torch.Tensor = 1.0,
    *,
    adaptation_decay: float | torch.Tensor,
    adaptation_scale: float | torch.Tensor,
    reset: str = "subtract",
    surrogate: Surrogate = DEFAULT_SURROGATE,
    detach_reset: bool = False,
) -> tuple[torch.Tensor, ALIFState]:
    """One time step of `alif`: `x_t` `[B, ...]` -> spikes `[B, ...]`, new state."""
    _checks.check_step(x_t, "alif_step")
    check_alif_parameters(beta, threshold, adaptation_decay, adaptation_scale, reset, x_t.shape)
    v, a = _initial_state(state, x_t)
    s, v, a = alif_update(
        x_t,
        v,
        a,
        beta,
        threshold,
        adaptation_decay,
        adaptation_scale,
        reset,
        surrogate,
        detach_reset,
    )
    return s, ALIFState(v, a)


def alif_update(
    x_t: torch.Tensor,
    v: torch.Tensor,
    a: torch.Tensor,
    beta: float | torch.Tensor,
    threshold: float | torch.Tensor,
    adaptation_decay: float | torch.Tensor,
    adaptation_scale: float | torch.Tensor,
    reset: str,
    surrogate: Surrogate,
    detach_reset: bool,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The unchecked update of one step: spikes, membrane, adaptation."""
    adapted_threshold = threshold + adaptation_scale * a
    s, v = fire_and_reset(beta * v + x_t, adapted_threshold, reset, surrogate, detach_reset)
    return s, v, adaptation_decay * a + s


def check_alif_parameters(
    beta, threshold, adaptation_decay, adaptation_scale, reset: str, step_shape: torch.Size
) -> None:
    check_lif_parameters(beta, threshold, reset, step_shape)
    _checks.check_unit_interval("adaptation_decay", adaptation_decay)
    _checks.check_non_negative("adaptation_scale", adaptation_scale)
    _checks.check_broadcast("adaptation_decay", adaptation_decay, step_shape)
    _checks.check_broadcast("adaptation_scale", adaptation_scale, step_shape)


def _initial_state(state: ALIFState | None, x_t: torch.Tensor) -> ALIFState:
    if state is None:
        return ALIFState(torch.zeros_like(x_t), torch.zeros_like(x_t))
    _checks.check_state("v", state.v, x_t.shape)
    _checks.check_state("a", state.a, x_t.shape)
    return state
