"""Leaky integrator (LI): a membrane that never fires, the usual readout of a spiking network."""

from __future__ import annotations

from typing import NamedTuple

import torch

from greenspike.snn.functional import _checks
from greenspike.snn.functional._scan import scan
from greenspike.snn.kernels._choose import choose_membrane_kernel
from greenspike.snn.kernels.fused import fused_membrane


class LIState(NamedTuple):
    """State of a leaky integrator after a time step.

    Attributes:
        v: membrane potential `[B, ...]`.
    """

    v: torch.Tensor


class LIParameters(NamedTuple):
    """Parameters of a leaky integrator (equations: `leaky_integrator`).

    Attributes:
        beta: membrane decay per step, in [0, 1]: a float or a per-neuron tensor broadcasting
            to one step `[B, ...]`.
    """

    beta: float | torch.Tensor


def leaky_integrator(
    x: torch.Tensor, params: LIParameters, state: LIState | None = None
) -> tuple[torch.Tensor, LIState]:
    r"""Integrate `x` `[T, B, ...]` without firing: membrane trace `[T, B, ...]`, final state.

    `v[t] = beta * v[t-1] + x[t]`, from `v[0] = state.v` (zeros by default); `beta` in [0, 1].
    The trace feeds losses such as `loss.cross_entropy_membrane`. Same as the membrane of
    snnTorch `Leaky(beta, reset_mechanism="none")`; Norse `LIBoxCell(LIBoxParameters(
    tau_mem_inv), dt)` with `beta = 1 - dt * tau_mem_inv` (its `v` is `dt * tau_mem_inv` times
    ours).

    Args:
        x: input currents `[T, B, ...]`, floating point.
        params: `LIParameters(beta)`.
        state: the state to start from; None: zeros.

    Returns:
        The membrane trace `[T, B, ...]` and `LIState(v[T])`.

    Raises:
        InvalidInputError: as `lif`.
        TypeError: as `lif`.
    """
    _checks.check_sequence(x, "leaky_integrator")
    check_parameters(params, x.shape[1:], "leaky_integrator")
    return run_leaky_integrator(x, params, state)


def run_leaky_integrator(
    x: torch.Tensor, params: LIParameters, state: LIState | None = None
) -> tuple[torch.Tensor, LIState]:
    """`leaky_integrator` on an input `[T, B, ...]` whose parameters were checked.

    What `snn.LeakyIntegrator` runs: it checks its parameters when they change, not at every
    call. Without gradients to compute (`torch.no_grad()`, or nothing that requires one), the
    fused LIF kernel computes the trace in one pass (the same arithmetic, so the same values
    to the last bit); otherwise the reference loop runs.

    Raises:
        InvalidInputError: `x` is not finite, or `state` has the wrong shape.
    """
    v0 = None
    if state is not None:
        _checks.check_state(state, x.shape[1:])
        v0 = state.v
    kernel = choose_membrane_kernel(x, params.beta, v0)
    if kernel is not None:  # the kernel checks finiteness in its own pass over x
        beta = torch.as_tensor(params.beta, dtype=x.dtype, device=x.device)
        trace, v = fused_membrane(kernel, x, beta, v0, "leaky_integrator")
        return trace, LIState(v)
    _checks.check_finite(x, "leaky_integrator input")
    return scan(leaky_integrator_update, x, params, _checks.initial_state(LIState, state, x[0]))


def leaky_integrator_step(
    x_t: torch.Tensor, params: LIParameters, state: LIState | None = None
) -> tuple[torch.Tensor, LIState]:
    """One step of `leaky_integrator`: `x_t` `[B, ...]` -> membrane `[B, ...]`, new state.

    Args:
        x_t: input currents of one step `[B, ...]`, floating point.
        params: `LIParameters(beta)`.
        state: the state after the previous step; None: zeros.

    Returns:
        The membrane `[B, ...]` and the new `LIState`.

    Raises:
        InvalidInputError: as `lif`, for `x_t` `[B, ...]`.
        TypeError: as `lif`.
    """
    _checks.check_step(x_t, "leaky_integrator_step")
    check_parameters(params, x_t.shape, "leaky_integrator_step")
    return leaky_integrator_update(x_t, params, _checks.initial_state(LIState, state, x_t))


def leaky_integrator_update(
    x_t: torch.Tensor, params: LIParameters, state: LIState
) -> tuple[torch.Tensor, LIState]:
    """The unchecked update of one step: membrane, new state."""
    v = params.beta * state.v + x_t
    return v, LIState(v)


def check_parameters(params: LIParameters, step_shape: torch.Size, caller: str) -> None:
    """`params` are `LIParameters` valid for one time step of shape `step_shape`.

    Raises:
        InvalidInputError: `beta` is out of [0, 1] or does not broadcast to `step_shape`.
        TypeError: `params` is not `LIParameters`.
    """
    _checks.check_parameter_type(params, LIParameters, caller)
    _checks.check_decay("beta", params.beta, step_shape)
