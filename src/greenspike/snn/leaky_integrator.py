"""The leaky integrator module: a non-spiking readout layer."""

from __future__ import annotations

from typing import Any

import torch

from greenspike.snn import functional
from greenspike.snn.functional import _checks
from greenspike.snn.neuron import Neuron, describe_value, register_value


class LeakyIntegrator(Neuron):
    """Non-spiking neurons, `v = beta * v + x`: outputs the membrane potential `[T, B, ...]`.

    The usual readout of a spiking classifier (train it with `loss.cross_entropy_membrane`).
    Equations and mappings: `greenspike.snn.functional.leaky_integrator`.

    Args:
        beta: membrane decay per step in [0, 1] (float or per-neuron tensor).
        learn_beta: make `beta` a trainable Parameter (clamped to [0, 1] when used).

    State: `functional.LIState(v)`.
    """

    emits_spikes = False
    State = functional.LIState
    _sequence_function = staticmethod(functional.leaky_integrator)
    _step_function = staticmethod(functional.leaky_integrator_step)

    def __init__(self, beta: float | torch.Tensor, *, learn_beta: bool = False) -> None:
        super().__init__()
        _checks.check_unit_interval("beta", beta)
        register_value(self, "beta", beta, learn_beta)

    def _functional_arguments(self) -> dict[str, Any]:
        return {"beta": self.beta.clamp(0, 1)}

    def extra_repr(self) -> str:
        return f"beta={describe_value(self.beta)}"
