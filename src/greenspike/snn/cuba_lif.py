"""The current-based LIF neuron module (a thin wrapper over `functional.cuba_lif`)."""

from __future__ import annotations

import torch

from greenspike.snn import functional
from greenspike.snn.functional._checks import ResetMode
from greenspike.snn.functional.cuba_lif import check_parameters, cuba_lif_update, run_cuba_lif
from greenspike.snn.neuron import SpikingNeuron
from greenspike.snn.surrogate import DEFAULT_SURROGATE, Surrogate


class CubaLIF(SpikingNeuron):
    """Current-based LIF: `i = alpha * i + x; v = beta * v + i; s = H(v - threshold)`, reset v.

    The second-order neuron of snnTorch `Synaptic` (`reset_delay` as there) and Norse `LIF`;
    equations and exact mappings: `greenspike.snn.functional.cuba_lif`. State:
    `functional.CubaLIFState(i, v)`.

    Attributes:
        alpha: the synaptic current decay per step (a tensor: a scalar, or one per neuron).
        beta: the membrane decay per step (a tensor).
        threshold: the firing threshold (a tensor).
        reset: "subtract", "zero" or "none".
        surrogate: the surrogate gradient.
        detach_reset: whether the reset term carries no gradient.
        reset_delay: whether a spike's reset waits for the next step.
    """

    State = functional.CubaLIFState
    _function_name = "cuba_lif"
    _check_parameters = staticmethod(check_parameters)
    _run_sequence = staticmethod(run_cuba_lif)
    _update = staticmethod(cuba_lif_update)
    alpha: torch.Tensor
    beta: torch.Tensor

    def __init__(
        self,
        alpha: float | torch.Tensor | None = None,
        beta: float | torch.Tensor | None = None,
        threshold: float | torch.Tensor = 1.0,
        *,
        tau_syn: float | torch.Tensor | None = None,
        tau_mem: float | torch.Tensor | None = None,
        reset: ResetMode = "subtract",
        surrogate: Surrogate = DEFAULT_SURROGATE,
        detach_reset: bool = False,
        reset_delay: bool = False,
        learn_alpha: bool = False,
        learn_beta: bool = False,
        learn_threshold: bool = False,
    ) -> None:
        """A CubaLIF layer; give `alpha` or `tau_syn`, and `beta` or `tau_mem`.

        Args:
            alpha: synaptic current decay per step in [0, 1] (float or per-neuron tensor).
            beta: membrane decay per step in [0, 1] (float or per-neuron tensor).
            threshold: firing threshold (> 0), as for `LIF`.
            tau_syn: synaptic time constant in steps (> 0), instead of `alpha`:
                `alpha = exp(-1 / tau_syn)`.
            tau_mem: membrane time constant in steps (> 0), instead of `beta`:
                `beta = exp(-1 / tau_mem)`.
            reset: "subtract", "zero" or "none", as for `LIF` (the current is never reset).
            surrogate: the surrogate gradient, as for `LIF`.
            detach_reset: cut the gradient through the reset term.
            reset_delay: apply a spike's reset at the next step, after that step's input, as
                snnTorch does by default (equations: `greenspike.snn.functional.cuba_lif`).
            learn_alpha: make `alpha` a trainable Parameter (clamped to [0, 1] when used).
            learn_beta: make `beta` a trainable Parameter (clamped to [0, 1] when used).
            learn_threshold: make `threshold` a trainable Parameter.

        Raises:
            InvalidInputError: a value is out of range, both or neither of a decay and its time
                constant are given, or `reset` is unknown.
        """
        super().__init__()
        self._register_decay("alpha", alpha, tau_syn, "tau_syn", learn=learn_alpha)
        self._register_decay("beta", beta, tau_mem, "tau_mem", learn=learn_beta)
        self._register_firing(
            threshold, reset, surrogate, detach_reset, learn_threshold=learn_threshold
        )
        self.reset_delay = bool(reset_delay)

    def extra_repr(self) -> str:
        """The layer's values, reset and surrogate, and `reset_delay` when set, for `repr`."""
        return super().extra_repr() + (", reset_delay=True" if self.reset_delay else "")

    def _settings(self) -> tuple[object, ...]:
        return (*super()._settings(), self.reset_delay)

    def _functional_parameters(self) -> functional.CubaLIFParameters:
        return functional.CubaLIFParameters(
            self.alpha.clamp(0, 1),
            self.beta.clamp(0, 1),
            self.threshold,
            self.reset,
            self.surrogate,
            self.detach_reset,
            self.reset_delay,
        )
