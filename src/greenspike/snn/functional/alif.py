"""Adaptive LIF (ALIF): each spike raises the neuron's threshold, which then relaxes back."""

from __future__ import annotations

from typing import NamedTuple

import torch

from greenspike.snn.functional import _checks
from greenspike.snn.functional._checks import ResetMode
from greenspike.snn.functional._fire import check_firing, fire_and_reset
from greenspike.snn.functional._scan import scan
from greenspike.snn.surrogate import DEFAULT_SURROGATE, Surrogate


class ALIFState(NamedTuple):
    """State of an ALIF layer after a time step.

    Attributes:
        v: membrane potential `[B, ...]`, after the reset.
        a: adaptation `[B, ...]`, a decaying trace of the spikes.
    """

    v: torch.Tensor
    a: torch.Tensor


class ALIFParameters(NamedTuple):
    """Parameters of an ALIF layer (equations: `alif`).

    All but `reset`, `surrogate` and `detach_reset` are floats or per-neuron tensors
    broadcasting to one step `[B, ...]`.

    Attributes:
        beta: membrane decay per step, in [0, 1].
        adaptation_decay: `rho`, the decay of the adaptation per step, in [0, 1].
        adaptation_scale: `b`, the threshold increase per unit of adaptation, >= 0.
        threshold: firing threshold without adaptation, > 0.
        reset: "subtract", "zero" or "none", as in `LIFParameters`.
        surrogate: the surrogate gradient of the spike.
        detach_reset: cut the gradient through the reset term.
    """

    beta: float | torch.Tensor
    adaptation_decay: float | torch.Tensor
    adaptation_scale: float | torch.Tensor
    threshold: float | torch.Tensor = 1.0
    reset: ResetMode = "subtract"
    surrogate: Surrogate = DEFAULT_SURROGATE
    detach_reset: bool = False


def alif(
    x: torch.Tensor, params: ALIFParameters, state: ALIFState | None = None
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

    Args:
        x: input currents `[T, B, ...]`, floating point.
        params: `ALIFParameters(beta, adaptation_decay, adaptation_scale, threshold, reset,
            surrogate, detach_reset)`.
        state: the state to start from; None: zeros.

    Returns:
        The spikes `[T, B, ...]` and `ALIFState(v[T], a[T])`.

    Raises:
        InvalidInputError: as `lif`.
        TypeError: as `lif`.
    """
    _checks.check_sequence(x, "alif")
    check_parameters(params, x.shape[1:], "alif")
    return run_alif(x, params, state)


def run_alif(
    x: torch.Tensor, params: ALIFParameters, state: ALIFState | None = None
) -> tuple[torch.Tensor, ALIFState]:
    """`alif` on an input `[T, B, ...]` whose parameters were checked (`check_parameters`).

    What `snn.ALIF` runs: it checks its parameters when they change, not at every call.

    Raises:
        InvalidInputError: `x` is not finite, or `state` has the wrong shape.
    """
    _checks.check_finite(x, "alif input")
    return scan(alif_update, x, params, _checks.initial_state(ALIFState, state, x[0]))


def alif_step(
    x_t: torch.Tensor, params: ALIFParameters, state: ALIFState | None = None
) -> tuple[torch.Tensor, ALIFState]:
    """One time step of `alif`: `x_t` `[B, ...]` -> spikes `[B, ...]`, new state.

    Args:
        x_t: input currents of one step `[B, ...]`, floating point.
        params: `ALIFParameters(...)`, as for `alif`.
        state: the state after the previous step; None: zeros.

    Returns:
        The spikes `[B, ...]` and the new `ALIFState`.

    Raises:
        InvalidInputError: as `lif`, for `x_t` `[B, ...]`.
        TypeError: as `lif`.
    """
    _checks.check_step(x_t, "alif_step")
    check_parameters(params, x_t.shape, "alif_step")
    return alif_update(x_t, params, _checks.initial_state(ALIFState, state, x_t))


def alif_update(
    x_t: torch.Tensor, params: ALIFParameters, state: ALIFState
) -> tuple[torch.Tensor, ALIFState]:
    """The unchecked update of one step: spikes, new state."""
    adapted_threshold = params.threshold + params.adaptation_scale * state.a
    spikes, v = fire_and_reset(params.beta * state.v + x_t, adapted_threshold, params)
    return spikes, ALIFState(v, params.adaptation_decay * state.a + spikes)


def check_parameters(params: ALIFParameters, step_shape: torch.Size, caller: str) -> None:
    """`params` are `ALIFParameters` valid for one time step of shape `step_shape`.

    Raises:
        InvalidInputError: a parameter is out of range or does not broadcast to `step_shape`.
        TypeError: `params` is not `ALIFParameters`.
    """
    _checks.check_parameter_type(params, ALIFParameters, caller)
    _checks.check_decay("beta", params.beta, step_shape)
    check_firing(params, step_shape)
    _checks.check_decay("adaptation_decay", params.adaptation_decay, step_shape)
    _checks.check_non_negative("adaptation_scale", params.adaptation_scale)
    _checks.check_broadcast("adaptation_scale", params.adaptation_scale, step_shape)
