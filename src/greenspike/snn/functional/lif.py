"""Leaky integrate-and-fire (LIF) dynamics; the integrate-and-fire neuron is LIF with beta = 1."""

from __future__ import annotations

from typing import NamedTuple

import torch

from greenspike.snn.functional import _checks
from greenspike.snn.functional._checks import ResetMode
from greenspike.snn.functional._fire import check_firing, fire_after_integrating
from greenspike.snn.functional._scan import scan
from greenspike.snn.kernels._choose import Backend, choose_kernel
from greenspike.snn.kernels.fused import fused_lif
from greenspike.snn.surrogate import DEFAULT_SURROGATE, Surrogate


class LIFState(NamedTuple):
    """State of a LIF layer after a time step.

    Attributes:
        v: membrane potential `[B, ...]`, after the reset (with `reset_delay`: before the reset
            its spike owes, which the next step applies).
    """

    v: torch.Tensor


class LIFParameters(NamedTuple):
    """Parameters of a LIF layer (equations: `lif`).

    `beta` and `threshold` are floats or per-neuron tensors broadcasting to one step `[B, ...]`
    (e.g. `[N]`, or `[C, 1, 1]` for channels).

    Attributes:
        beta: membrane decay per step, in [0, 1]; 1 is the integrate-and-fire neuron.
        threshold: firing threshold, > 0.
        reset: "subtract" (soft reset), "zero" (hard reset) or "none".
        surrogate: the surrogate gradient of the spike.
        detach_reset: cut the gradient through the reset term.
        reset_delay: apply a spike's reset at the next step, after that step's input
            (snnTorch's default `reset_delay=True`), instead of at once.
    """

    beta: float | torch.Tensor
    threshold: float | torch.Tensor = 1.0
    reset: ResetMode = "subtract"
    surrogate: Surrogate = DEFAULT_SURROGATE
    detach_reset: bool = False
    reset_delay: bool = False


def lif(
    x: torch.Tensor,
    params: LIFParameters,
    state: LIFState | None = None,
    *,
    backend: Backend = "auto",
) -> tuple[torch.Tensor, LIFState]:
    r"""Run a LIF layer over a sequence: `x` `[T, B, ...]` -> spikes `[T, B, ...]`, final state.

    For each step t = 1..T, from `v[0] = state.v` (zeros by default)::

        v[t] = beta * v[t-1] + x[t]              (integrate, leak)
        s[t] = H(v[t] - threshold)               (fire: 1 where v > threshold)
        v[t] -= s[t] * threshold                 reset="subtract"  (soft reset)
        v[t]  = (1 - s[t]) * v[t]                reset="zero"      (hard reset to 0)
                                                 reset="none"      (no reset)

    With `reset_delay`, a spike's reset is applied at the next step, after its input, and the
    membrane kept is the one that fired::

        u[t] = beta * v[t-1] + x[t]
        v[t] = u[t] - s[t-1] * threshold         reset="subtract" (undecayed: one threshold
        v[t] = (1 - s[t-1]) * u[t]               reset="zero"      per spike, one step late)
        s[t] = H(v[t] - threshold)               (s[t-1] = H(v[t-1] - threshold), s[0] from v0)

    `x` is the input current per step, in the same (dimensionless) units as `v` and `threshold`;
    `beta` in [0, 1] is the fraction of `v` kept per step (`beta = exp(-dt / tau)` for a
    membrane time constant `tau`); `beta = 1` is the integrate-and-fire neuron. Spikes are exact
    0/1 forward; backward, `H'` is replaced by `surrogate.derivative`. With `detach_reset` the
    reset term carries no gradient.

    Same recurrence as, with the same `beta` and `threshold` (`v0 = 0`):

    - snnTorch `Leaky(beta, threshold, reset_mechanism="subtract" | "zero" | "none")` with its
      default `reset_delay=True`: `reset_delay=True` here gives identical spikes and membranes
      for "subtract" and "none"; for "zero", `reset_delay=False` gives the identical spikes
      (snnTorch zeroes the old membrane before the leak, which is the immediate reset; only the
      membrane it reports, the one before that reset, differs).
    - snnTorch `Leaky(..., reset_delay=False)`: `reset_delay=False`, identical spikes and
      membranes as long as no membrane exceeds `2 * threshold` with `reset="subtract"`
      (snnTorch then subtracts a second time one step later); always with "zero" and "none".
    - SpikingJelly `LIFNode(tau, decay_input=False, v_threshold=threshold, v_reset=None)`
      (subtract) or `v_reset=0.0` (zero), `step_mode="m"`, with `beta = 1 - 1 / tau`;
      `IFNode` for `beta = 1`. SpikingJelly computes `v - v / tau`, which rounds differently
      from `beta * v` unless `tau` is a power of 2, and fires at `v >= threshold`.
    - Norse `LIFBoxCell(LIFBoxParameters(tau_mem_inv, v_th, v_leak=0, v_reset=0,
      reset_method=reset_value | reset_subtract), dt)` for "zero" | "subtract", with
      `beta = 1 - dt * tau_mem_inv` and `threshold = v_th / (dt * tau_mem_inv)` (Norse scales
      its input by `dt * tau_mem_inv`; its `v` is `dt * tau_mem_inv` times ours). Norse
      `IAF(v_th, v_reset=0)` is `beta = 1`, reset="zero". Equal up to floating-point rounding.

    The same current at every step (direct encoding) needs no copy per step: pass
    `current.unsqueeze(0).expand(T, *current.shape)`. The fused kernels read such an input
    (time stride 0) once per neuron, and sum its gradient over time themselves, handing
    `current` a `[B, ...]` gradient directly: no `[T, B, ...]` tensor of input or gradient is
    ever made. The expanded view itself then has no gradient of its own (`torch.autograd.grad`
    with respect to it fails): to get one, watch it (`retain_grad()`, a hook) or make it with
    `.contiguous()`.

    Args:
        x: input currents `[T, B, ...]`, floating point.
        params: `LIFParameters(beta, threshold, reset, surrogate, detach_reset, reset_delay)`.
        state: the state to start from; None: zeros.
        backend: the implementation, all with the same results (spikes identical, gradients
            equal up to rounding): "torch" is the plain PyTorch loop (the reference), "cpu" a
            fused C kernel, "triton" a fused GPU kernel; "auto" takes the fused kernel for the
            tensor's device when it covers the call (float32/float64, built-in surrogates),
            else the loop. See `greenspike.snn.kernels`.

    Returns:
        The spikes `[T, B, ...]` (0/1 in `x`'s dtype) and `LIFState(v[T])`.

    Raises:
        InvalidInputError: `x` is not `[T, B, ...]` with T >= 1 or not finite; a parameter is
            out of range or does not broadcast to `[B, ...]`; `state` has the wrong shape;
            `backend` is unknown, or names a kernel that cannot run this call.
        TypeError: `x` is not a floating-point tensor, or `params` not `LIFParameters`.
    """
    _checks.check_sequence(x, "lif")
    check_parameters(params, x.shape[1:], "lif")
    return run_lif(x, params, state, backend=backend)


def run_lif(
    x: torch.Tensor,
    params: LIFParameters,
    state: LIFState | None = None,
    *,
    backend: Backend = "auto",
) -> tuple[torch.Tensor, LIFState]:
    """`lif` on an input `[T, B, ...]` whose parameters were checked already (`check_parameters`).

    What `snn.LIF` runs: it checks its parameters when they change, not at every call.

    Raises:
        InvalidInputError: `x` is not finite; `state` has the wrong shape; `backend` is unknown
            or names a kernel that cannot run this call.
    """
    v0 = None
    if state is not None:
        _checks.check_state(state, x.shape[1:])
        v0 = state.v
    kernel = choose_kernel(backend, x, params, v0)
    if kernel is not None:  # the kernel checks finiteness in its own pass over x
        spikes, v = fused_lif(kernel, x, params, v0)
        return spikes, LIFState(v)
    _checks.check_finite(x, "lif input")
    return scan(lif_update, x, params, _checks.initial_state(LIFState, state, x[0]))


def lif_step(
    x_t: torch.Tensor, params: LIFParameters, state: LIFState | None = None
) -> tuple[torch.Tensor, LIFState]:
    """One time step of `lif`: `x_t` `[B, ...]` -> spikes `[B, ...]`, new state.

    Args:
        x_t: input currents of one step `[B, ...]`, floating point.
        params: `LIFParameters(beta, threshold, reset, surrogate, detach_reset, reset_delay)`.
        state: the state after the previous step; None: zeros.

    Returns:
        The spikes `[B, ...]` and the new `LIFState`.

    Raises:
        InvalidInputError: as `lif`, for `x_t` `[B, ...]`.
        TypeError: as `lif`.
    """
    _checks.check_step(x_t, "lif_step")
    check_parameters(params, x_t.shape, "lif_step")
    return lif_update(x_t, params, _checks.initial_state(LIFState, state, x_t))


def lif_update(
    x_t: torch.Tensor, params: LIFParameters, state: LIFState
) -> tuple[torch.Tensor, LIFState]:
    """The unchecked update of one step (the reference a fused kernel must reproduce)."""
    h = params.beta * state.v + x_t
    spikes, v = fire_after_integrating(h, state.v, params.threshold, params)
    return spikes, LIFState(v)


def check_parameters(params: LIFParameters, step_shape: torch.Size, caller: str) -> None:
    """`params` are `LIFParameters` valid for one time step of shape `step_shape`.

    Raises:
        InvalidInputError: a parameter is out of range or does not broadcast to `step_shape`.
        TypeError: `params` is not `LIFParameters`.
    """
    _checks.check_parameter_type(params, LIFParameters, caller)
    _checks.check_decay("beta", params.beta, step_shape)
    check_firing(params, step_shape)
