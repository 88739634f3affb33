"""Leaky integrate-and-fire (LIF) dynamics; the integrate-and-fire neuron is LIF with beta = 1."""

from __future__ import annotations

from typing import NamedTuple

import torch

from greenspike.snn.functional import _checks
from greenspike.snn.functional._fire import fire_and_reset
from greenspike.snn.kernels._choose import choose_kernel
from greenspike.snn.kernels.fused import fused_lif
from greenspike.snn.surrogate import DEFAULT_SURROGATE, Surrogate


class LIFState(NamedTuple):
    """State of a LIF layer after a time step: membrane potential `v` `[B, ...]` (after reset)."""

    v: torch.Tensor


def lif(
    x: torch.Tensor,
    beta: float | torch.Tensor,
    threshold: float | torch.Tensor = 1.0,
    *,
    reset: str = "subtract",
    surrogate: Surrogate = DEFAULT_SURROGATE,
    state: LIFState | None = None,
    detach_reset: bool = False,
    backend: str = "auto",
) -> tuple[torch.Tensor, LIFState]:
    r"""Run a LIF layer over a sequence: `x` `[T, B, ...]` -> spikes `[T, B, ...]`, final state.

    For each step t = 1..T, from `v[0] = state.v` (zeros by default)::

        v[t] = beta * v[t-1] + x[t]              (integrate, leak)
        s[t] = H(v[t] - threshold)               (fire: 1 where v > threshold)
        v[t] -= s[t] * threshold                 reset="subtract"  (soft reset)
        v[t]  = (1 - s[t]) * v[t]                reset="zero"      (hard reset to 0)
                                                 reset="none"      (no reset)

    `x` is the input current per step, in the same (dimensionless) units as `v` and `threshold`;
    `beta` in [0, 1] is the fraction of `v` kept per step (`beta = exp(-dt / tau)` for a
    membrane time constant `tau`); `beta = 1` is the integrate-and-fire neuron. `beta` and
    `threshold` are scalars or per-neuron tensors broadcasting to `[B, ...]`. Spikes are exact
    0/1 forward; backward, `H'` is replaced by `surrogate.derivative`. With `detach_reset` the
    reset term carries no gradient. Returns the spikes and `LIFState(v[T])`.

    `backend` picks the implementation, all with the same results (spikes identical, gradients
    equal up to rounding): "torch" is the plain loop below (the reference), "cpu" a fused C
    kernel, "triton" a fused GPU kernel; "auto" (default) takes the fused kernel for the
    tensor's device when it covers the call (float32/float64, built-in surrogates), else the
    loop. See `greenspike.snn.kernels`.

    Same recurrence as, with the same `beta` and `threshold` (`v0 = 0`):

    - snnTorch `Leaky(beta, threshold, reset_mechanism="subtract" | "zero" | "none",
      reset_delay=False)`: identical spikes and membranes as long as no membrane exceeds
      `2 * threshold` with `reset="subtract"` (snnTorch then subtracts a second time one step
      later); always with "zero" and "none".
    - SpikingJelly `LIFNode(tau, decay_input=False, v_threshold=threshold, v_reset=None)`
      (subtract) or `v_reset=0.0` (zero), `step_mode="m"`, with `beta = 1 - 1 / tau`;
      `IFNode` for `beta = 1`. SpikingJelly computes `v - v / tau`, which rounds differently
      from `beta * v` unless `tau` is a power of 2, and fires at `v >= threshold`.
    - Norse `LIFBoxCell(LIFBoxParameters(tau_mem_inv, v_th, v_leak=0, v_reset=0,
      reset_method=reset_value | reset_subtract), dt)` for "zero" | "subtract", with
      `beta = 1 - dt * tau_mem_inv` and `threshold = v_th / (dt * tau_mem_inv)` (Norse scales
      its input by `dt * tau_mem_inv`; its `v` is `dt * tau_mem_inv` times ours). Norse
      `IAF(v_th, v_reset=0)` is `beta = 1`, reset="zero". Equal up to floating-point rounding.
    """
    _checks.check_sequence(x, "lif")
    check_lif_parameters(beta, threshold, reset, x.shape[1:])
    v = _initial_v(state, x[0])
    kernel = choose_kernel(backend, x, beta, threshold, v, surrogate)
    if kernel is not None:
        spikes, v = fused_lif(kernel, x, beta, threshold, v, reset, surrogate, detach_reset)
        return spikes, LIFState(v)
    spikes = []
    for x_t in x:
        s, v = lif_update(x_t, v, beta, threshold, reset, surrogate, detach_reset)
        spikes.append(s)
    return torch.stack(spikes), LIFState(v)


def lif_step(
    x_t: torch.Tensor,
    state: LIFState | None,
    beta: float | torch.Tensor,
    threshold: float | torch.Tensor = 1.0,
    *,
    reset: str = "subtract",
    surrogate: Surrogate = DEFAULT_SURROGATE,
    detach_reset: bool = False,
) -> tuple[torch.Tensor, LIFState]:
    """One time step of `lif`: `x_t` `[B, ...]` -> spikes `[B, ...]`, new state."""
    _checks.check_step(x_t, "lif_step")
    check_lif_parameters(beta, threshold, reset, x_t.shape)
    v = _initial_v(state, x_t)
    s, v = lif_update(x_t, v, beta, threshold, reset, surrogate, detach_reset)
    return s, LIFState(v)


def lif_update(
    x_t: torch.Tensor,
    v: torch.Tensor,
    beta: float | torch.Tensor,
    threshold: float | torch.Tensor,
    reset: str,
    surrogate: Surrogate,
    detach_reset: bool,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The unchecked update of one step (the reference a fused kernel must reproduce)."""
    return fire_and_reset(beta * v + x_t, threshold, reset, surrogate, detach_reset)


def check_lif_parameters(
    beta: float | torch.Tensor,
    threshold: float | torch.Tensor,
    reset: str,
    step_shape: torch.Size,
) -> None:
    _checks.check_unit_interval("beta", beta)
    _checks.check_positive("threshold", threshold)
    _checks.check_reset(reset)
    _checks.check_broadcast("beta", beta, step_shape)
    _checks.check_broadcast("threshold", threshold, step_shape)


def _initial_v(state: LIFState | None, x_t: torch.Tensor) -> torch.Tensor:
    if state is None:
        return torch.zeros_like(x_t)
    _checks.check_state("v", state.v, x_t.shape)
    return state.v
