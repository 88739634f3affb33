"""The adaptive LIF neuron module (a thin wrapper over `functional.alif`)."""

from __future__ import annotations

import torch

from greenspike.snn import functional
from greenspike.snn.functional import _checks
from greenspike.snn.functional._checks import ResetMode
from greenspike.snn.functional.alif import alif_update, check_parameters, run_alif
from greenspike.snn.neuron import SpikingNeuron
from greenspike.snn.surrogate import DEFAULT_SURROGATE, Surrogate


class ALIF(SpikingNeuron):
    """Adaptive LIF: a LIF whose threshold rises by `adaptation_scale` per recent spike.

    `v = beta * v + x; s = H(v - (threshold + b * a))`, reset, then `a = rho * a + s`, with
    `rho = adaptation_decay`, `b = adaptation_scale`. Equations: `greenspike.snn.functional.alif`
    (no exact equivalent in snnTorch, SpikingJelly or Norse). State: `functional.ALIFState(v, a)`.

    Attributes:
        beta: the membrane decay per step (a tensor: a scalar, or one value per neuron).
        threshold: the firing threshold without adaptation (a tensor).
        adaptation_decay: the decay of the adaptation per step (a tensor).
        adaptation_scale: the threshold increase per unit of adaptation (a tensor).
        reset: "subtract", "zero" or "none".
        surrogate: the surrogate gradient.
        detach_reset: whether the reset term carries no gradient.
    """

    State = functional.ALIFState
    _function_name = "alif"
    _check_parameters = staticmethod(check_parameters)
    _run_sequence = staticmethod(run_alif)
    _update = staticmethod(alif_update)
    beta: torch.Tensor
    adaptation_decay: torch.Tensor
    adaptation_scale: torch.Tensor

    def __init__(
        self,
        beta: float | torch.Tensor | None = None,
        threshold: float | torch.Tensor = 1.0,
        *,
        adaptation_scale: float | torch.Tensor,
        adaptation_decay: float | torch.Tensor | None = None,
        tau: float | torch.Tensor | None = None,
        tau_adapt: float | torch.Tensor | None = None,
        reset: ResetMode = "subtract",
        surrogate: Surrogate = DEFAULT_SURROGATE,
        detach_reset: bool = False,
        learn_beta: bool = False,
        learn_threshold: bool = False,
    ) -> None:
        """An ALIF layer; give `beta` or `tau`, and `adaptation_decay` or `tau_adapt`.

        Args:
            beta: membrane decay per step in [0, 1], as for `LIF`.
            threshold: firing threshold without adaptation (> 0), as for `LIF`.
            adaptation_scale: threshold increase per unit of adaptation (>= 0).
            adaptation_decay: decay of the adaptation per step in [0, 1].
            tau: membrane time constant in steps (> 0), instead of `beta`:
                `beta = exp(-1 / tau)`.
            tau_adapt: adaptation time constant in steps (> 0), instead of `adaptation_decay`:
                `adaptation_decay = exp(-1 / tau_adapt)`.
            reset: "subtract", "zero" or "none", as for `LIF`.
            surrogate: the surrogate gradient, as for `LIF`.
            detach_reset: cut the gradient through the reset term.
            learn_beta: make `beta` a trainable Parameter (clamped to [0, 1] when used).
            learn_threshold: make `threshold` a trainable Parameter.

        Raises:
            InvalidInputError: a value is out of range, both or neither of a decay and its time
                constant are given, or `reset` is unknown.
        """
        super().__init__()
        self._register_decay("beta", beta, tau, "tau", learn=learn_beta)
        self._register_firing(
            threshold, reset, surrogate, detach_reset, learn_threshold=learn_threshold
        )
        self._register_decay(
            "adaptation_decay", adaptation_decay, tau_adapt, "tau_adapt", learn=False
        )
        _checks.check_non_negative("adaptation_scale", adaptation_scale)
        self._register_value("adaptation_scale", adaptation_scale)

    def _functional_parameters(self) -> functional.ALIFParameters:
        return functional.ALIFParameters(
            self.beta.clamp(0, 1),
            self.adaptation_decay,
            self.adaptation_scale,
            self.threshold,
            self.reset,
            self.surrogate,
            self.detach_reset,
        )
