"""The recurrent LIF module: spikes feed back through a learned `nn.Linear`."""

from __future__ import annotations

import torch
from torch import nn

from greenspike.errors import InvalidInputError
from greenspike.snn import functional
from greenspike.snn.functional._checks import ResetMode
from greenspike.snn.functional.recurrent_lif import (
    check_parameters,
    recurrent_lif_update,
    run_recurrent_lif,
)
from greenspike.snn.neuron import SpikingNeuron
from greenspike.snn.surrogate import DEFAULT_SURROGATE, Surrogate


class RecurrentLIF(SpikingNeuron):
    """A layer of `features` LIF neurons whose spikes feed back through `recurrent` (`nn.Linear`).

    `v = beta * v + x + recurrent(s_prev); s = H(v - threshold)`, then reset. Inputs `[T, B, N]`
    with `N = features`. `recurrent` is an `nn.Linear(features, features, bias=bias)` (PyTorch's
    default initialisation); its `weight` is the recurrent weight matrix. Equations and the
    mapping to snnTorch `RLeaky(all_to_all=True)` (`reset_delay` as there):
    `greenspike.snn.functional.recurrent_lif`. State: `functional.RecurrentLIFState(v, s)`.

    Attributes:
        features: the number of neurons N.
        recurrent: the recurrent `nn.Linear(N, N)`, with or without bias.
        beta: the membrane decay per step (a tensor: a scalar, or one value per neuron).
        threshold: the firing threshold (a tensor).
        reset: "subtract", "zero" or "none".
        surrogate: the surrogate gradient.
        detach_reset: whether the reset term carries no gradient.
        reset_delay: whether a spike's reset waits for the next step.
    """

    State = functional.RecurrentLIFState
    _function_name = "recurrent_lif"
    _check_parameters = staticmethod(check_parameters)
    _run_sequence = staticmethod(run_recurrent_lif)
    _update = staticmethod(recurrent_lif_update)
    beta: torch.Tensor

    def __init__(
        self,
        features: int,
        beta: float | torch.Tensor | None = None,
        threshold: float | torch.Tensor = 1.0,
        *,
        tau: float | torch.Tensor | None = None,
        reset: ResetMode = "subtract",
        surrogate: Surrogate = DEFAULT_SURROGATE,
        detach_reset: bool = False,
        reset_delay: bool = False,
        bias: bool = False,
        learn_beta: bool = False,
        learn_threshold: bool = False,
    ) -> None:
        """A recurrent LIF layer of `features` neurons; give `beta` or `tau`.

        Args:
            features: number of neurons N.
            beta: membrane decay per step in [0, 1], as for `LIF`.
            threshold: firing threshold (> 0), as for `LIF`.
            tau: membrane time constant in steps (> 0), instead of `beta`:
                `beta = exp(-1 / tau)`.
            reset: "subtract", "zero" or "none", as for `LIF`.
            surrogate: the surrogate gradient, as for `LIF`.
            detach_reset: cut the gradient through the reset term.
            reset_delay: apply a spike's reset at the next step, after that step's input, as
                snnTorch does by default.
            bias: give the recurrent connection a bias (snnTorch's `RLeaky` has one), added
                at every step.
            learn_beta: make `beta` a trainable Parameter (clamped to [0, 1] when used).
            learn_threshold: make `threshold` a trainable Parameter.

        Raises:
            InvalidInputError: `features` is not a positive integer, a value is out of range,
                both or neither of `beta` and `tau` are given, or `reset` is unknown.
        """
        super().__init__()
        if not isinstance(features, int) or features < 1:
            raise InvalidInputError(f"features must be a positive integer, got {features!r}")
        self.features = features
        self._register_decay("beta", beta, tau, "tau", learn=learn_beta)
        self._register_firing(
            threshold, reset, surrogate, detach_reset, learn_threshold=learn_threshold
        )
        self.reset_delay = bool(reset_delay)
        self.recurrent = nn.Linear(features, features, bias=bias)

    def extra_repr(self) -> str:
        """The number of neurons, then the values as for any spiking neuron, for `repr`."""
        delay = ", reset_delay=True" if self.reset_delay else ""
        return f"features={self.features}, {super().extra_repr()}{delay}"

    def _tensors(self) -> list[torch.Tensor]:
        return [*super()._tensors(), self.recurrent.weight]

    def _settings(self) -> tuple[object, ...]:
        return (*super()._settings(), self.reset_delay)

    def _functional_parameters(self) -> functional.RecurrentLIFParameters:
        return functional.RecurrentLIFParameters(
            self.recurrent.weight,
            self.beta.clamp(0, 1),
            self.threshold,
            self.reset,
            self.surrogate,
            self.detach_reset,
            self.reset_delay,
            self.recurrent.bias,
        )
