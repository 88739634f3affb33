"""Recurrent LIF: a LIF layer whose spikes feed back into it through a weight matrix."""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F

from greenspike.errors import InvalidInputError
from greenspike.snn.functional import _checks
from greenspike.snn.functional._checks import ResetMode
from greenspike.snn.functional._fire import check_firing, fire_after_integrating
from greenspike.snn.functional._scan import scan
from greenspike.snn.surrogate import DEFAULT_SURROGATE, Surrogate


class RecurrentLIFState(NamedTuple):
    """State of a recurrent LIF layer after a time step.

    Attributes:
        v: membrane potential `[B, N]`, after the reset.
        s: the spikes `[B, N]` just emitted.
    """

    v: torch.Tensor
    s: torch.Tensor


class RecurrentLIFParameters(NamedTuple):
    """Parameters of a recurrent LIF layer of N neurons (equations: `recurrent_lif`).

    Attributes:
        weight: the recurrent weights `[N, N]` (row = target neuron, column = source, as
            `nn.Linear.weight`).
        beta: membrane decay per step, in [0, 1] (a float or a tensor `[N]`).
        threshold: firing threshold, > 0 (a float or a tensor `[N]`).
        reset: "subtract", "zero" or "none", as in `LIFParameters`.
        surrogate: the surrogate gradient of the spike.
        detach_reset: cut the gradient through the reset term.
        reset_delay: apply a spike's reset at the next step, after that step's input, as in
            `LIFParameters`.
        bias: a bias `[N]` of the recurrent connection, added at every step; None: none.
    """

    weight: torch.Tensor
    beta: float | torch.Tensor
    threshold: float | torch.Tensor = 1.0
    reset: ResetMode = "subtract"
    surrogate: Surrogate = DEFAULT_SURROGATE
    detach_reset: bool = False
    reset_delay: bool = False
    bias: torch.Tensor | None = None


def recurrent_lif(
    x: torch.Tensor, params: RecurrentLIFParameters, state: RecurrentLIFState | None = None
) -> tuple[torch.Tensor, RecurrentLIFState]:
    r"""Run a recurrent LIF layer: `x` `[T, B, N]` -> spikes `[T, B, N]`, final state.

    `weight` `[N, N]` maps the previous step's spikes back onto the layer (row = target neuron,
    column = source, as `nn.Linear.weight`). For each step t, from `(v[0], s[0]) = state`
    (zeros by default)::

        v[t] = beta * v[t-1] + x[t] + (s[t-1] @ weight.T + bias)
        s[t] = H(v[t] - threshold)
        then v[t] is reset as in `lif` ("subtract", "zero" or "none"), at once or, with
        `reset_delay`, one step later as in `lif`.

    Same recurrence as snnTorch `RLeaky(beta, threshold, linear_features=N, all_to_all=True,
    reset_mechanism=...)` with `recurrent.weight = weight` and `recurrent.bias = bias`: its
    default `reset_delay=True` is `reset_delay=True` here (identical spikes and membranes for
    every reset), and `reset_delay=False` likewise with the caveat of `lif` for "subtract".
    Norse `LIFRecurrent` feeds back into a synaptic current (a recurrent CubaLIF, reset to a
    value): no exact mapping.

    Args:
        x: input currents `[T, B, N]`, floating point.
        params: `RecurrentLIFParameters(weight, beta, threshold, reset, ...)`.
        state: the state to start from; None: zeros.

    Returns:
        The spikes `[T, B, N]` and `RecurrentLIFState(v[T], s[T])`.

    Raises:
        InvalidInputError: as `lif`; also when `x` is not `[T, B, N]` or `weight` not `[N, N]`.
        TypeError: as `lif`.
    """
    _checks.check_sequence(x, "recurrent_lif")
    check_parameters(params, x.shape[1:], "recurrent_lif")
    return run_recurrent_lif(x, params, state)


def run_recurrent_lif(
    x: torch.Tensor, params: RecurrentLIFParameters, state: RecurrentLIFState | None = None
) -> tuple[torch.Tensor, RecurrentLIFState]:
    """`recurrent_lif` on an input `[T, B, ...]` whose parameters were checked (`check_parameters`).

    What `snn.RecurrentLIF` runs: it checks its parameters when they change, not at every call.

    Raises:
        InvalidInputError: `x` is not finite, or `state` has the wrong shape.
    """
    _checks.check_finite(x, "recurrent_lif input")
    initial = _checks.initial_state(RecurrentLIFState, state, x[0])
    return scan(recurrent_lif_update, x, params, initial)


def recurrent_lif_step(
    x_t: torch.Tensor, params: RecurrentLIFParameters, state: RecurrentLIFState | None = None
) -> tuple[torch.Tensor, RecurrentLIFState]:
    """One time step of `recurrent_lif`: `x_t` `[B, N]` -> spikes `[B, N]`, new state.

    Args:
        x_t: input currents of one step `[B, N]`, floating point.
        params: `RecurrentLIFParameters(...)`, as for `recurrent_lif`.
        state: the state after the previous step; None: zeros.

    Returns:
        The spikes `[B, N]` and the new `RecurrentLIFState`.

    Raises:
        InvalidInputError: as `recurrent_lif`, for `x_t` `[B, N]`.
        TypeError: as `lif`.
    """
    _checks.check_step(x_t, "recurrent_lif_step")
    check_parameters(params, x_t.shape, "recurrent_lif_step")
    return recurrent_lif_update(x_t, params, _checks.initial_state(RecurrentLIFState, state, x_t))


def recurrent_lif_update(
    x_t: torch.Tensor, params: RecurrentLIFParameters, state: RecurrentLIFState
) -> tuple[torch.Tensor, RecurrentLIFState]:
    """The unchecked update of one step: spikes, new state."""
    h = params.beta * state.v + x_t + F.linear(state.s, params.weight, params.bias)
    spikes, v = fire_after_integrating(h, state.v, params.threshold, params)
    return spikes, RecurrentLIFState(v, spikes)


def check_parameters(params: RecurrentLIFParameters, step_shape: torch.Size, caller: str) -> None:
    """`params` are `RecurrentLIFParameters` valid for one time step of shape `step_shape`.

    Raises:
        InvalidInputError: a parameter is out of range or does not broadcast to `step_shape`.
        TypeError: `params` is not `RecurrentLIFParameters`.
    """
    _checks.check_parameter_type(params, RecurrentLIFParameters, caller)
    if len(step_shape) != 2:
        raise InvalidInputError(
            f"recurrent_lif expects inputs [T, B, N] (one step [B, N]); got a step of shape "
            f"{list(step_shape)}: flatten the features first"
        )
    features = step_shape[-1]
    if params.weight.shape != (features, features):
        raise InvalidInputError(
            f"recurrent weight must have shape [{features}, {features}] for {features} neurons, "
            f"got {list(params.weight.shape)}"
        )
    if params.bias is not None and params.bias.shape != (features,):
        raise InvalidInputError(
            f"recurrent bias must have shape [{features}] for {features} neurons, "
            f"got {list(params.bias.shape)}"
        )
    _checks.check_decay("beta", params.beta, step_shape)
    check_firing(params, step_shape)
