"""LIF and IF neuron modules (thin wrappers over `functional.lif`)."""

from __future__ import annotations

import torch
from torch import nn

from greenspike.snn import functional
from greenspike.snn.functional import _checks
from greenspike.snn.functional._checks import ResetMode
from greenspike.snn.functional.lif import check_parameters, lif_update, run_lif
from greenspike.snn.kernels._choose import Backend, check_backend
from greenspike.snn.neuron import SpikingNeuron
from greenspike.snn.surrogate import DEFAULT_SURROGATE, Surrogate

MIN_LEARNED_THRESHOLD = 1e-3  # a learned threshold never reaches 0 (every neuron would fire)


class LIF(SpikingNeuron):
    """Leaky integrate-and-fire neurons: `v = beta * v + x; s = H(v - threshold)`, then reset.

    Equations and the exact mapping to snnTorch `Leaky` (`reset_delay` as there), SpikingJelly
    `LIFNode(decay_input=False)` and Norse `LIFBoxCell`: see `greenspike.snn.functional.lif`.
    State: `functional.LIFState(v)`.

    Attributes:
        beta: the membrane decay per step (a tensor: a scalar, or one value per neuron).
        threshold: the firing threshold (a tensor).
        reset: "subtract", "zero" or "none".
        surrogate: the surrogate gradient.
        detach_reset: whether the reset term carries no gradient.
        reset_delay: whether a spike's reset waits for the next step.
        v_init: the membrane a sequence starts from when no state is given (a tensor), or None
            for zero.
        backend: the implementation of the whole-sequence call.
    """

    State = functional.LIFState
    _function_name = "lif"
    _check_parameters = staticmethod(check_parameters)
    _run_sequence = staticmethod(run_lif)
    _update = staticmethod(lif_update)
    beta: torch.Tensor
    v_init: torch.Tensor | None
    backend: Backend

    def __init__(
        self,
        beta: float | torch.Tensor | None = None,
        threshold: float | torch.Tensor = 1.0,
        *,
        tau: float | torch.Tensor | None = None,
        reset: ResetMode = "subtract",
        surrogate: Surrogate = DEFAULT_SURROGATE,
        detach_reset: bool = False,
        reset_delay: bool = False,
        v_init: float | torch.Tensor | None = None,
        learn_beta: bool = False,
        learn_threshold: bool = False,
        backend: Backend = "auto",
    ) -> None:
        """A LIF layer; give `beta` or `tau`.

        Args:
            beta: membrane decay per step in [0, 1], a float or a per-neuron tensor
                broadcasting to one step `[B, ...]` (e.g. `[N]`, or `[C, 1, 1]` for channels).
            threshold: firing threshold (> 0), a float or a per-neuron tensor.
            tau: membrane time constant in time steps (> 0), instead of `beta`:
                `beta = exp(-1 / tau)`, the exact decay of `dv/dt = -v / tau` over one step.
                (SpikingJelly's `tau` means `beta = 1 - 1 / tau`; pass that `beta` to match it.)
            reset: "subtract" (soft reset, the default), "zero" (hard reset) or "none".
            surrogate: the surrogate gradient (default `surrogate.atan(2.0)`).
            detach_reset: cut the gradient through the reset term.
            reset_delay: apply a spike's reset at the next step, after that step's input, as
                snnTorch does by default (equations: `greenspike.snn.functional.lif`).
            v_init: the membrane each sequence starts from when no state is given, a float or
                a per-neuron tensor (e.g. half the threshold, as converted networks use);
                None: 0. A state given to `forward` or `step` replaces it.
            learn_beta: make `beta` a trainable Parameter (else a fixed buffer); a learned
                `beta` is clamped to [0, 1] when used, as in snnTorch.
            learn_threshold: make `threshold` a trainable Parameter; a learned threshold is
                clamped to at least `MIN_LEARNED_THRESHOLD` when used, so it stays > 0.
            backend: "auto" (default), "torch", "cpu" or "triton": the implementation of the
                whole-sequence call, all with the same results (see `greenspike.snn.kernels`).

        Raises:
            InvalidInputError: a value is out of range or not finite, both or neither of
                `beta` and `tau` are given, or `reset` or `backend` is unknown.
        """
        super().__init__()
        self._register_decay("beta", beta, tau, "tau", learn=learn_beta)
        self._register_firing(
            threshold, reset, surrogate, detach_reset, learn_threshold=learn_threshold
        )
        self.reset_delay = bool(reset_delay)
        if v_init is None:
            self.v_init = None
        else:
            _checks.check_finite_value("v_init", v_init)
            self._register_value("v_init", v_init)
        check_backend(backend)
        self.backend = backend

    def extra_repr(self) -> str:
        """The layer's values, reset and surrogate, and `reset_delay` when set, for `repr`."""
        return super().extra_repr() + (", reset_delay=True" if self.reset_delay else "")

    def _functional_parameters(self) -> functional.LIFParameters:
        threshold = self.threshold
        if isinstance(threshold, nn.Parameter):
            threshold = threshold.clamp(min=MIN_LEARNED_THRESHOLD)
        return functional.LIFParameters(
            self.beta.clamp(0, 1),
            threshold,
            self.reset,
            self.surrogate,
            self.detach_reset,
            self.reset_delay,
        )

    def _settings(self) -> tuple[object, ...]:
        return (*super()._settings(), self.reset_delay)

    def _initial_state(self, x_t: torch.Tensor) -> functional.LIFState | None:
        if self.v_init is None or not x_t.is_floating_point():
            return None
        _checks.check_broadcast("v_init", self.v_init, x_t.shape)
        return functional.LIFState(torch.zeros_like(x_t) + self.v_init.to(x_t.dtype))

    def _sequence_arguments(self) -> dict[str, Backend]:
        return {"backend": self.backend}


class IF(LIF):
    """Integrate-and-fire neurons: a `LIF` without leak (`beta = 1`, fixed).

    `v = v + x; s = H(v - threshold)`, then reset. SpikingJelly `IFNode(v_threshold,
    v_reset=None | 0.0)`, snnTorch `Leaky(beta=1.0)` (`reset_delay` as there), Norse `IAF`
    (reset to zero only).
    """

    def __init__(
        self,
        threshold: float | torch.Tensor = 1.0,
        *,
        reset: ResetMode = "subtract",
        surrogate: Surrogate = DEFAULT_SURROGATE,
        detach_reset: bool = False,
        reset_delay: bool = False,
        v_init: float | torch.Tensor | None = None,
        learn_threshold: bool = False,
        backend: Backend = "auto",
    ) -> None:
        """An IF layer.

        Args:
            threshold: firing threshold (> 0), a float or a per-neuron tensor.
            reset: "subtract" (soft reset, the default), "zero" (hard reset) or "none".
            surrogate: the surrogate gradient (default `surrogate.atan(2.0)`).
            detach_reset: cut the gradient through the reset term.
            reset_delay: apply a spike's reset at the next step, as for `LIF`.
            v_init: the membrane a sequence starts from when no state is given, as for `LIF`.
            learn_threshold: make `threshold` a trainable Parameter.
            backend: "auto" (default), "torch", "cpu" or "triton", as for `LIF`.

        Raises:
            InvalidInputError: `threshold` is not > 0, `v_init` not finite, or `reset` or
                `backend` is unknown.
        """
        super().__init__(
            1.0,
            threshold,
            reset=reset,
            surrogate=surrogate,
            detach_reset=detach_reset,
            reset_delay=reset_delay,
            v_init=v_init,
            learn_threshold=learn_threshold,
            backend=backend,
        )
