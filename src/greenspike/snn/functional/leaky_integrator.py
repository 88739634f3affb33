"""Leaky integrator (LI): a membrane that never fires, the usual readout of a spiking network."""

from __future__ import annotations

from typing import NamedTuple

import torch

from greenspike.snn.functional import _checks


class LIState(NamedTuple):
    """State of a leaky integrator after a time step: membrane potential `v` `[B, ...]`."""

    v: torch.Tensor


def leaky_integrator(
    x: torch.Tensor,
    beta: float | torch.Tensor,
    *,
    state: LIState | None = None,
) -> tuple[torch.Tensor, LIState]:
    r"""Integrate `x` `[T, B, ...]` without firing: membrane trace `[T, B, ...]`, final state.

    `v[t] = beta * v[t-1] + x[t]`, from `v[0] = state.v` (zeros by default); `beta` in [0, 1].
    The trace feeds losses such as `loss.cross_entropy_membrane`. Same as the membrane of
    snnTorch `Leaky(beta, reset_mechanism="none")`; Norse `LIBoxCell(LIBoxParameters(
    tau_mem_inv), dt)` with `beta = 1 - dt * tau_mem_inv` (its `v` is `dt * tau_mem_inv` times
    ours).
    """
    _checks.check_sequence(x, "leaky_integrator")
    check_leaky_integrator_parameters(beta, x.shape[1:])
    v = _initial_v(state, x[0])
    trace = []
    for x_t in x:
        v = beta * v + x_t
        trace.append(v)
    return torch.stack(trace), LIState(v)


def leaky_integrator_step(
    x_t: torch.Tensor, state: LIState | None, beta: float | torch.Tensor
) -> tuple[torch.Tensor, LIState]:
    """One step of `leaky_integrator`: `x_t` `[B, ...]` -> membrane `[B, ...]`, new state."""
    _checks.check_step(x_t, "leaky_integrator_step")
    check_leaky_integrator_parameters(beta, x_t.shape)
    v = beta * _initial_v(state, x_t) + x_t
    return v, LIState(v)


def check_leaky_integrator_parameters(beta, step_shape: torch.Size) -> None:
    _checks.check_unit_interval("beta", beta)
    _checks.check_broadcast("beta", beta, step_shape)


def _initial_v(state: LIState | None, x_t: torch.Tensor) -> torch.Tensor:
    if state is None:
        return torch.zeros_like(x_t)
    _checks.check_state("v", state.v, x_t.shape)
    return state.v
