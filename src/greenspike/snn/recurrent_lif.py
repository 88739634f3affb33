"""The recurrent LIF module: spikes feed back through a learned `nn.Linear`."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from greenspike.errors import InvalidInputError
from greenspike.snn import functional
from greenspike.snn.functional import _checks
from greenspike.snn.neuron import Neuron, describe_value, register_value
from greenspike.snn.surrogate import DEFAULT_SURROGATE, Surrogate


class RecurrentLIF(Neuron):
    """A layer of `features` LIF neurons whose spikes feed back through `recurrent` (`nn.Linear`).

    `v = beta * v + x + recurrent(s_prev); s = H(v - threshold)`, then reset. Inputs `[T, B, N]`
    with `N = features`. `recurrent` is an `nn.Linear(features, features, bias=False)` (PyTorch's
    default initialisation); its `weight` is the recurrent weight matrix. Equations and the
    mapping to snnTorch `RLeaky(all_to_all=True, reset_delay=False)`:
    `greenspike.snn.functional.recurrent_lif`.

    Args:
        features: number of neurons N.
        beta, threshold, reset, surrogate, detach_reset, learn_beta, learn_threshold: as `LIF`.

    State: `functional.RecurrentLIFState(v, s)`.
    """

    State = functional.RecurrentLIFState
    _sequence_function = staticmethod(functional.recurrent_lif)
    _step_function = staticmethod(functional.recurrent_lif_step)

    def __init__(
        self,
        features: int,
        beta: float | torch.Tensor,
        threshold: float | torch.Tensor = 1.0,
        *,
        reset: str = "subtract",
        surrogate: Surrogate = DEFAULT_SURROGATE,
        detach_reset: bool = False,
        learn_beta: bool = False,
        learn_threshold: bool = False,
    ) -> None:
        super().__init__()
        if not isinstance(features, int) or features < 1:
            raise InvalidInputError(f"features must be a positive integer, got {features!r}")
        _checks.check_unit_interval("beta", beta)
        _checks.check_positive("threshold", threshold)
        _checks.check_reset(reset)
        self.features = features
        self.recurrent = nn.Linear(features, features, bias=False)
        register_value(self, "beta", beta, learn_beta)
        register_value(self, "threshold", threshold, learn_threshold)
        self.reset = reset
        self.surrogate = surrogate
        self.detach_reset = detach_reset

    def _functional_arguments(self) -> dict[str, Any]:
        return {
            "weight": self.recurrent.weight,
            "beta": self.beta.clamp(0, 1),
            "threshold": self.threshold,
            "reset": self.reset,
            "surrogate": self.surrogate,
            "detach_reset": self.detach_reset,
        }

    def extra_repr(self) -> str:
        return (
            f"features={self.features}, beta={describe_value(self.beta)}, "
            f"threshold={describe_value(self.threshold)}, reset={self.reset!r}, "
            f"surrogate={self.surrogate}"
        )
