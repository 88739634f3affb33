"""Current-based LIF (CubaLIF): a leaky synaptic current drives a LIF membrane."""

from __future__ import annotations

from typing import NamedTuple

import torch

from greenspike.snn.functional import _checks
from greenspike.snn.functional._checks import ResetMode
from greenspike.snn.functional._fire import check_firing, fire_after_integrating
from greenspike.snn.functional._scan import scan
from greenspike.snn.surrogate import DEFAULT_SURROGATE, Surrogate


class CubaLIFState(NamedTuple):
    """State of a CubaLIF layer after a time step.

    Attributes:
        i: synaptic current `[B, ...]`.
        v: membrane potential `[B, ...]`, after the reset.
    """

    i: torch.Tensor
    v: torch.Tensor


class CubaLIFParameters(NamedTuple):
    """Parameters of a CubaLIF layer (equations: `cuba_lif`).

    `alpha`, `beta` and `threshold` are floats or per-neuron tensors broadcasting to one step
    `[B, ...]`.

    Attributes:
        alpha: synaptic current decay per step, in [0, 1].
        beta: membrane decay per step, in [0, 1].
        threshold: firing threshold, > 0.
        reset: "subtract", "zero" or "none", as in `LIFParameters`.
        surrogate: the surrogate gradient of the spike.
        detach_reset: cut the gradient through the reset term.
        reset_delay: apply a spike's reset at the next step, after that step's input, as in
            `LIFParameters`.
    """

    alpha: float | torch.Tensor
    beta: float | torch.Tensor
    threshold: float | torch.Tensor = 1.0
    reset: ResetMode = "subtract"
    surrogate: Surrogate = DEFAULT_SURROGATE
    detach_reset: bool = False
    reset_delay: bool = False


def cuba_lif(
    x: torch.Tensor, params: CubaLIFParameters, state: CubaLIFState | None = None
) -> tuple[torch.Tensor, CubaLIFState]:
    r"""Run a CubaLIF layer over a sequence: `x` `[T, B, ...]` -> spikes `[T, B, ...]`, final state.

    For each step t, from `(i[0], v[0]) = state` (zeros by default)::

        i[t] = alpha * i[t-1] + x[t]             (synaptic current)
        v[t] = beta  * v[t-1] + i[t]             (membrane)
        s[t] = H(v[t] - threshold)
        then v[t] is reset as in `lif` ("subtract", "zero" or "none"); i is never reset.

    With `reset_delay`, v[t] is reset one step later, as in `lif`: `v[t] = beta * v[t-1] +
    i[t] - s[t-1] * threshold` ("subtract") or `(1 - s[t-1]) * (beta * v[t-1] + i[t])` ("zero").

    `alpha` and `beta` in [0, 1] are the per-step decays of current and membrane
    (`exp(-dt / tau_syn)`, `exp(-dt / tau_mem)`); scalars or per-neuron tensors.

    Same recurrence as, with the same parameters (zero initial state):

    - snnTorch `Synaptic(alpha, beta, threshold, reset_mechanism=...)`: its default
      `reset_delay=True` is `reset_delay=True` here, identical spikes, currents and membranes
      for every reset; `reset_delay=False` likewise, with the same caveat as `lif` for
      "subtract" (no membrane above `2 * threshold`).
    - Norse `LIF(LIFParameters(tau_syn_inv, tau_mem_inv, v_th, v_leak=0, v_reset=0), dt)`
      (its default neuron), reset="zero" only: `alpha = 1 - dt * tau_syn_inv`,
      `beta = 1 - dt * tau_mem_inv`, `threshold = v_th / (dt * tau_mem_inv)`; Norse's state `i` is
      `alpha` times ours (it stores the current already decayed for the next step) and its `v`
      is `dt * tau_mem_inv` times ours. Equal up to floating-point
      rounding. Norse has no subtractive reset for this neuron, and no mapping exists when its
      `v_leak != v_reset`.
    - SpikingJelly has no current-based LIF node in its core neurons.

    Args:
        x: input currents `[T, B, ...]`, floating point.
        params: `CubaLIFParameters(alpha, beta, threshold, reset, ...)`.
        state: the state to start from; None: zeros.

    Returns:
        The spikes `[T, B, ...]` and `CubaLIFState(i[T], v[T])`.

    Raises:
        InvalidInputError: as `lif`.
        TypeError: as `lif`.
    """
    _checks.check_sequence(x, "cuba_lif")
    check_parameters(params, x.shape[1:], "cuba_lif")
    return run_cuba_lif(x, params, state)


def run_cuba_lif(
    x: torch.Tensor, params: CubaLIFParameters, state: CubaLIFState | None = None
) -> tuple[torch.Tensor, CubaLIFState]:
    """`cuba_lif` on an input `[T, B, ...]` whose parameters were checked (`check_parameters`).

    What `snn.CubaLIF` runs: it checks its parameters when they change, not at every call.

    Raises:
        InvalidInputError: `x` is not finite, or `state` has the wrong shape.
    """
    _checks.check_finite(x, "cuba_lif input")
    return scan(cuba_lif_update, x, params, _checks.initial_state(CubaLIFState, state, x[0]))


def cuba_lif_step(
    x_t: torch.Tensor, params: CubaLIFParameters, state: CubaLIFState | None = None
) -> tuple[torch.Tensor, CubaLIFState]:
    """One time step of `cuba_lif`: `x_t` `[B, ...]` -> spikes `[B, ...]`, new state.

    Args:
        x_t: input currents of one step `[B, ...]`, floating point.
        params: `CubaLIFParameters(alpha, beta, threshold, reset, ...)`.
        state: the state after the previous step; None: zeros.

    Returns:
        The spikes `[B, ...]` and the new `CubaLIFState`.

    Raises:
        InvalidInputError: as `lif`, for `x_t` `[B, ...]`.
        TypeError: as `lif`.
    """
    _checks.check_step(x_t, "cuba_lif_step")
    check_parameters(params, x_t.shape, "cuba_lif_step")
    return cuba_lif_update(x_t, params, _checks.initial_state(CubaLIFState, state, x_t))


def cuba_lif_update(
    x_t: torch.Tensor, params: CubaLIFParameters, state: CubaLIFState
) -> tuple[torch.Tensor, CubaLIFState]:
    """The unchecked update of one step: spikes, new state."""
    i = params.alpha * state.i + x_t
    h = params.beta * state.v + i
    spikes, v = fire_after_integrating(h, state.v, params.threshold, params)
    return spikes, CubaLIFState(i, v)


def check_parameters(params: CubaLIFParameters, step_shape: torch.Size, caller: str) -> None:
    """`params` are `CubaLIFParameters` valid for one time step of shape `step_shape`.

    Raises:
        InvalidInputError: a parameter is out of range or does not broadcast to `step_shape`.
        TypeError: `params` is not `CubaLIFParameters`.
    """
    _checks.check_parameter_type(params, CubaLIFParameters, caller)
    _checks.check_decay("alpha", params.alpha, step_shape)
    _checks.check_decay("beta", params.beta, step_shape)
    check_firing(params, step_shape)
