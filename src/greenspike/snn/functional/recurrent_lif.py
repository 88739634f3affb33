"""Recurrent LIF: a LIF layer whose spikes feed back into it through a weight matrix."""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F

from greenspike.errors import InvalidInputError
from greenspike.snn.functional import _checks
from greenspike.snn.functional._fire import fire_and_reset
from greenspike.snn.functional.lif import check_lif_parameters
from greenspike.snn.surrogate import DEFAULT_SURROGATE, Surrogate


class RecurrentLIFState(NamedTuple):
    """State after a time step: membrane `v` (after reset) and the spikes `s` just emitted."""

    v: torch.Tensor
    s: torch.Tensor


def recurrent_lif(
    x: torch.Tensor,
    weight: torch.Tensor,
    beta: float | torch.Tensor,
    threshold: float | torch.Tensor = 1.0,
    *,
    reset: str = "subtract",
    surrogate: Surrogate = DEFAULT_SURROGATE,
    state: RecurrentLIFState | None = None,
    detach_reset: bool = False,
) -> tuple[torch.Tensor, RecurrentLIFState]:
    r"""Run a recurrent LIF layer: `x` `[T, B, N]` -> spikes `[T, B, N]`, final state.

    `weight` `[N, N]` maps the previous step's spikes back onto the layer (row = target neuron,
    column = source, as `nn.Linear.weight`). For each step t, from `(v[0], s[0]) = state`
    (zeros by default)::

        v[t] = beta * v[t-1] + x[t] + s[t-1] @ weight.T
        s[t] = H(v[t] - threshold)
        then v[t] is reset as in `lif` ("subtract", "zero" or "none").

    Same recurrence as snnTorch `RLeaky(beta, threshold, linear_features=N, all_to_all=True,
    reset_mechanism=..., reset_delay=False)` with `recurrent.weight = weight` and
    `recurrent.bias = 0` (a recurrent bias is a constant input: fold it into the input layer's
    bias); identical spikes with the caveat of `lif` for "subtract". Norse `LIFRecurrent` feeds
    back into a synaptic current (a recurrent CubaLIF, reset to a value): no exact mapping.
    """
    _checks.check_sequence(x, "recurrent_lif")
    check_recurrent_lif_parameters(weight, beta, threshold, reset, x.shape[1:], x.dim() - 1)
    v, s = _initial_state(state, x[0])
    spikes = []
    for x_t in x:
        s, v = recurrent_lif_update(
            x_t, v, s, weight, beta, threshold, reset, surrogate, detach_reset
        )
        spikes.append(s)
    return torch.stack(spikes), RecurrentLIFState(v, s)


def recurrent_lif_step(
    x_t: torch.Tensor,
    state: RecurrentLIFState | None,
    weight: torch.Tensor,
    beta: float | torch.Tensor,
    threshold: float | torch.Tensor = 1.0,
    *,
    reset: str = "subtract",
    surrogate: Surrogate = DEFAULT_SURROGATE,
    detach_reset: bool = False,
) -> tuple[torch.Tensor, RecurrentLIFState]:
    """One time step of `recurrent_lif`: `x_t` `[B, N]` -> spikes `[B, N]`, new state."""
    _checks.check_step(x_t, "recurrent_lif_step")
    check_recurrent_lif_parameters(weight, beta, threshold, reset, x_t.shape, x_t.dim())
    v, s = _initial_state(state, x_t)
    s, v = recurrent_lif_update(x_t, v, s, weight, beta, threshold, reset, surrogate, detach_reset)
    return s, RecurrentLIFState(v, s)


def recurrent_lif_update(
    x_t: torch.Tensor,
    v: torch.Tensor,
    s: torch.Tensor,
    weight: torch.Tensor,
    beta: float | torch.Tensor,
    threshold: float | torch.Tensor,
    reset: str,
    surrogate: Surrogate,
    detach_reset: bool,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The unchecked update of one step: spikes, membrane."""
    return fire_and_reset(
        beta * v + x_t + F.linear(s, weight), threshold, reset, surrogate, detach_reset
    )


def check_recurrent_lif_parameters(
    weight: torch.Tensor, beta, threshold, reset: str, step_shape: torch.Size, step_dims: int
) -> None:
    if step_dims != 2:
        raise InvalidInputError(
            f"recurrent_lif expects inputs [T, B, N] (one step [B, N]); got a step of shape "
            f"{list(step_shape)}: flatten the features first"
        )
    features = step_shape[-1]
    if weight.shape != (features, features):
        raise InvalidInputError(
            f"recurrent weight must have shape [{features}, {features}] for {features} neurons, "
            f"got {list(weight.shape)}"
        )
    check_lif_parameters(beta, threshold, reset, step_shape)


def _initial_state(state: RecurrentLIFState | None, x_t: torch.Tensor) -> RecurrentLIFState:
    if state is None:
        return RecurrentLIFState(torch.zeros_like(x_t), torch.zeros_like(x_t))
    _checks.check_state("v", state.v, x_t.shape)
    _checks.check_state("s", state.s, x_t.shape)
    return state
