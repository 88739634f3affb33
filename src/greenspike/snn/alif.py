"""The adaptive LIF neuron module (a thin wrapper over `functional.alif`)."""

from __future__ import annotations

from typing import Any

import torch

from greenspike.snn import functional
from greenspike.snn.functional import _checks
from greenspike.snn.neuron import Neuron, describe_value, register_value
from greenspike.snn.surrogate import DEFAULT_SURROGATE, Surrogate


class ALIF(Neuron):
    """Adaptive LIF: a LIF whose threshold rises by `adaptation_scale` per recent spike.

    `v = beta * v + x; s = H(v - (threshold + b * a))`, reset, then `a = rho * a + s`, with
    `rho = adaptation_decay`, `b = adaptation_scale`. Equations: `greenspike.snn.functional.alif`
    (no exact equivalent in snnTorch, SpikingJelly or Norse).

    Args:
        beta, threshold, reset, surrogate, detach_reset, learn_beta, learn_threshold: as `LIF`.
        adaptation_decay: decay of the adaptation per step in [0, 1] (`exp(-1 / tau_adapt)`).
        adaptation_scale: threshold increase per unit of adaptation (>= 0).

    State: `functional.ALIFState(v, a)`.
    """

    State = functional.ALIFState
    _sequence_function = staticmethod(functional.alif)
    _step_function = staticmethod(functional.alif_step)

    def __init__(
        self,
        beta: float | torch.Tensor,
        threshold: float | torch.Tensor = 1.0,
        *,
        adaptation_decay: float | torch.Tensor,
        adaptation_scale: float | torch.Tensor,
        reset: str = "subtract",
        surrogate: Surrogate = DEFAULT_SURROGATE,
        detach_reset: bool = False,
        learn_beta: bool = False,
        learn_threshold: bool = False,
    ) -> None:
        super().__init__()
        _checks.check_unit_interval("beta", beta)
        _checks.check_positive("threshold", threshold)
        _checks.check_unit_interval("adaptation_decay", adaptation_decay)
        _checks.check_non_negative("adaptation_scale", adaptation_scale)
        _checks.check_reset(reset)
        register_value(self, "beta", beta, learn_beta)
        register_value(self, "threshold", threshold, learn_threshold)
        register_value(self, "adaptation_decay", adaptation_decay, learn=False)
        register_value(self, "adaptation_scale", adaptation_scale, learn=False)
        self.reset = reset
        self.surrogate = surrogate
        self.detach_reset = detach_reset

    def _functional_arguments(self) -> dict[str, Any]:
        return {
            "beta": self.beta.clamp(0, 1),
            "threshold": self.threshold,
            "adaptation_decay": self.adaptation_decay,
            "adaptation_scale": self.adaptation_scale,
            "reset": self.reset,
            "surrogate": self.surrogate,
            "detach_reset": self.detach_reset,
        }

    def extra_repr(self) -> str:
        return (
            f"beta={describe_value(self.beta)}, threshold={describe_value(self.threshold)}, "
            f"adaptation_decay={describe_value(self.adaptation_decay)}, "
            f"adaptation_scale={describe_value(self.adaptation_scale)}, reset={self.reset!r}, "
            f"surrogate={self.surrogate}"
        )
