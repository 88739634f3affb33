"""The leaky integrator module: a non-spiking readout layer."""

from __future__ import annotations

import torch

from greenspike.snn import functional
from greenspike.snn.functional.leaky_integrator import (
    check_parameters,
    leaky_integrator_update,
    run_leaky_integrator,
)
from greenspike.snn.neuron import Neuron


class LeakyIntegrator(Neuron):
    """Non-spiking neurons, `v = beta * v + x`: outputs the membrane potential `[T, B, ...]`.

    The usual readout of a spiking classifier (train it with `loss.cross_entropy_membrane`).
    Equations and mappings: `greenspike.snn.functional.leaky_integrator`. State:
    `functional.LIState(v)`.

    Attributes:
        beta: the membrane decay per step (a tensor: a scalar, or one value per neuron).
    """

    State = functional.LIState
    _function_name = "leaky_integrator"
    _check_parameters = staticmethod(check_parameters)
    _run_sequence = staticmethod(run_leaky_integrator)
    _update = staticmethod(leaky_integrator_update)
    beta: torch.Tensor

    def __init__(
        self,
        beta: float | torch.Tensor | None = None,
        *,
        tau: float | torch.Tensor | None = None,
        learn_beta: bool = False,
    ) -> None:
        """A leaky integrator layer; give `beta` or `tau`.

        Args:
            beta: membrane decay per step in [0, 1] (float or per-neuron tensor).
            tau: membrane time constant in steps (> 0), instead of `beta`:
                `beta = exp(-1 / tau)`.
            learn_beta: make `beta` a trainable Parameter (clamped to [0, 1] when used).

        Raises:
            InvalidInputError: `beta` or `tau` is out of range, or both or neither are given.
        """
        super().__init__()
        self._register_decay("beta", beta, tau, "tau", learn=learn_beta)

    def _functional_parameters(self) -> functional.LIParameters:
        return functional.LIParameters(self.beta.clamp(0, 1))
