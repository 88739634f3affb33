"""Current-based LIF (CubaLIF): a leaky synaptic current drives a LIF membrane."""

from __future__ import annotations

from typing import NamedTuple

import torch

from greenspike.snn.functional import _checks
from greenspike.snn.functional._fire import fire_and_reset
from greenspike.snn.functional.lif import check_lif_parameters
from greenspike.snn.surrogate import DEFAULT_SURROGATE, Surrogate


class CubaLIFState(NamedTuple):
    """State after a time step: synaptic current `i` and membrane potential `v` (after reset)."""

    i: torch.Tensor
    v: torch.Tensor


def cuba_lif(
    x: torch.Tensor,
    alpha: float | torch.Tensor,
    beta: float | torch.Tensor,
    threshold: float | torch.Tensor = 1.0,
    *,
    reset: str = "subtract",
    surrogate: Surrogate = DEFAULT_SURROGATE,
    state: CubaLIFState | None = None,
    detach_reset: bool = False,
) -> tuple[torch.Tensor, CubaLIFState]:
    r"""Run a CubaLIF layer over a sequence: `x` `[T, B, ...]` -> spikes `[T, B, ...]`, final state.

    For each step t, from `(i[0], v[0]) = state` (zeros by default)::

        i[t] = alpha * i[t-1] + x[t]             (synaptic current)
        v[t] = beta  * v[t-1] + i[t]             (membrane)
        s[t] = H(v[t] - threshold)
        then v[t] is reset as in `lif` ("subtract", "zero" or "none"); i is never reset.

    `alpha` and `beta` in [0, 1] are the per-step decays of current and membrane
    (`exp(-dt / tau_syn)`, `exp(-dt / tau_mem)`); scalars or per-neuron tensors.

    Same recurrence as, with the same parameters (zero initial state):

    - snnTorch `Synaptic(alpha, beta, threshold, reset_mechanism=..., reset_delay=False)`:
      identical spikes, currents and membranes, with the same caveat as `lif` for "subtract"
      (no membrane above `2 * threshold`).
    - Norse `LIF(LIFParameters(tau_syn_inv, tau_mem_inv, v_th, v_leak=0, v_reset=0), dt)`
      (its default neuron), reset="zero" only: `alpha = 1 - dt * tau_syn_inv`,
      `beta = 1 - dt * tau_mem_inv`, `threshold = v_th / (dt * tau_mem_inv)`; Norse's state `i` is
      `alpha` times ours (it stores the current already decayed for the next step) and its `v`
      is `dt * tau_mem_inv` times ours. Equal up to floating-point
      rounding. Norse has no subtractive reset for this neuron, and no mapping exists when its
      `v_leak != v_reset`.
    - SpikingJelly has no current-based LIF node in its core neurons.
    """
    _checks.check_sequence(x, "cuba_lif")
    check_cuba_lif_parameters(alpha, beta, threshold, reset, x.shape[1:])
    i, v = _initial_state(state, x[0])
    spikes = []
    for x_t in x:
        s, i, v = cuba_lif_update(x_t, i, v, alpha, beta, threshold, reset, surrogate, detach_reset)
        spikes.append(s)
    return torch.stack(spikes), CubaLIFState(i, v)


def cuba_lif_step(
    x_t: torch.Tensor,
    state: CubaLIFState | None,
    alpha: float | torch.Tensor,
    beta: float | torch.Tensor,
    threshold: float | torch.Tensor = 1.0,
    *,
    reset: str = "subtract",
    surrogate: Surrogate = DEFAULT_SURROGATE,
    detach_reset: bool = False,
) -> tuple[torch.Tensor, CubaLIFState]:
    """One time step of `cuba_lif`: `x_t` `[B, ...]` -> spikes `[B, ...]`, new state."""
    _checks.check_step(x_t, "cuba_lif_step")
    check_cuba_lif_parameters(alpha, beta, threshold, reset, x_t.shape)
    i, v = _initial_state(state, x_t)
    s, i, v = cuba_lif_update(x_t, i, v, alpha, beta, threshold, reset, surrogate, detach_reset)
    return s, CubaLIFState(i, v)


def cuba_lif_update(
    x_t: torch.Tensor,
    i: torch.Tensor,
    v: torch.Tensor,
    alpha: float | torch.Tensor,
    beta: float | torch.Tensor,
    threshold: float | torch.Tensor,
    reset: str,
    surrogate: Surrogate,
    detach_reset: bool,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The unchecked update of one step: spikes, current, membrane."""
    i = alpha * i + x_t
    s, v = fire_and_reset(beta * v + i, threshold, reset, surrogate, detach_reset)
    return s, i, v


def check_cuba_lif_parameters(alpha, beta, threshold, reset: str, step_shape: torch.Size) -> None:
    _checks.check_unit_interval("alpha", alpha)
    _checks.check_broadcast("alpha", alpha, step_shape)
    check_lif_parameters(beta, threshold, reset, step_shape)


def _initial_state(state: CubaLIFState | None, x_t: torch.Tensor) -> CubaLIFState:
    if state is None:
        return CubaLIFState(torch.zeros_like(x_t), torch.zeros_like(x_t))
    _checks.check_state("i", state.i, x_t.shape)
    _checks.check_state("v", state.v, x_t.shape)
    return state
