"""The current-based LIF neuron module (a thin wrapper over `functional.cuba_lif`)."""

from __future__ import annotations

from typing import Any

import torch

from greenspike.snn import functional
from greenspike.snn.functional import _checks
from greenspike.snn.neuron import Neuron, describe_value, register_value
from greenspike.snn.surrogate import DEFAULT_SURROGATE, Surrogate


class CubaLIF(Neuron):
    """Current-based LIF: `i = alpha * i + x; v = beta * v + i; s = H(v - threshold)`, reset v.

    The second-order neuron of snnTorch `Synaptic(reset_delay=False)` and Norse `LIF`; equations
    and exact mappings: `greenspike.snn.functional.cuba_lif`.

    Args:
        alpha: synaptic current decay per step in [0, 1] (float or per-neuron tensor).
        beta: membrane decay per step in [0, 1] (float or per-neuron tensor).
        threshold, reset, surrogate, detach_reset, learn_beta, learn_threshold: as `LIF`.
        learn_alpha: make `alpha` a trainable Parameter (clamped to [0, 1] when used).

    State: `functional.CubaLIFState(i, v)`.
    """

    State = functional.CubaLIFState
    _sequence_function = staticmethod(functional.cuba_lif)
    _step_function = staticmethod(functional.cuba_lif_step)

    def __init__(
        self,
        alpha: float | torch.Tensor,
        beta: float | torch.Tensor,
        threshold: float | torch.Tensor = 1.0,
        *,
        reset: str = "subtract",
        surrogate: Surrogate = DEFAULT_SURROGATE,
        detach_reset: bool = False,
        learn_alpha: bool = False,
        learn_beta: bool = False,
        learn_threshold: bool = False,
    ) -> None:
        super().__init__()
        _checks.check_unit_interval("alpha", alpha)
        _checks.check_unit_interval("beta", beta)
        _checks.check_positive("threshold", threshold)
        _checks.check_reset(reset)
        register_value(self, "alpha", alpha, learn_alpha)
        register_value(self, "beta", beta, learn_beta)
        register_value(self, "threshold", threshold, learn_threshold)
        self.reset = reset
        self.surrogate = surrogate
        self.detach_reset = detach_reset

    def _functional_arguments(self) -> dict[str, Any]:
        return {
            "alpha": self.alpha.clamp(0, 1),
            "beta": self.beta.clamp(0, 1),
            "threshold": self.threshold,
            "reset": self.reset,
            "surrogate": self.surrogate,
            "detach_reset": self.detach_reset,
        }

    def extra_repr(self) -> str:
        return (
            f"alpha={describe_value(self.alpha)}, beta={describe_value(self.beta)}, "
            f"threshold={describe_value(self.threshold)}, reset={self.reset!r}, "
            f"surrogate={self.surrogate}"
        )
