"""LIF and IF neuron modules (thin wrappers over `functional.lif`)."""

from __future__ import annotations

from typing import Any

import torch

from greenspike.errors import InvalidInputError
from greenspike.snn import functional
from greenspike.snn.functional import _checks
from greenspike.snn.kernels._choose import check_backend
from greenspike.snn.neuron import Neuron, describe_value, register_value
from greenspike.snn.surrogate import DEFAULT_SURROGATE, Surrogate


class LIF(Neuron):
    """Leaky integrate-and-fire neurons: `v = beta * v + x; s = H(v - threshold)`, then reset.

    Equations and the exact mapping to snnTorch `Leaky(reset_delay=False)`, SpikingJelly
    `LIFNode(decay_input=False)` and Norse `LIFBoxCell`: see `greenspike.snn.functional.lif`.

    Args:
        beta: membrane decay per step in [0, 1], a float or a per-neuron tensor broadcasting to
            one step `[B, ...]` (e.g. `[N]`, or `[C, 1, 1]` for channels). Give `beta` or `tau`.
        threshold: firing threshold (> 0), a float or a per-neuron tensor.
        tau: membrane time constant in time steps (> 0), instead of `beta`:
            `beta = exp(-1 / tau)`, the exact decay of `dv/dt = -v / tau` over one step.
            (SpikingJelly's `tau` means `beta = 1 - 1 / tau`; pass that `beta` to match it.)
        reset: "subtract" (soft reset, the default), "zero" (hard reset) or "none".
        surrogate: the surrogate gradient (default `surrogate.atan(2.0)`).
        detach_reset: cut the gradient through the reset term.
        learn_beta, learn_threshold: make them trainable Parameters (else fixed buffers).
            A learned `beta` is clamped to [0, 1] when used, as in snnTorch.
        backend: "auto" (default), "torch", "cpu" or "triton": the implementation of the
            whole-sequence call, all with the same results (see `greenspike.snn.kernels`).

    Attributes `beta`, `threshold` (tensors), `reset`, `surrogate`, `detach_reset` describe the
    layer completely. State: `functional.LIFState(v)`.
    """

    State = functional.LIFState
    _sequence_function = staticmethod(functional.lif)
    _step_function = staticmethod(functional.lif_step)

    def __init__(
        self,
        beta: float | torch.Tensor | None = None,
        threshold: float | torch.Tensor = 1.0,
        *,
        tau: float | torch.Tensor | None = None,
        reset: str = "subtract",
        surrogate: Surrogate = DEFAULT_SURROGATE,
        detach_reset: bool = False,
        learn_beta: bool = False,
        learn_threshold: bool = False,
        backend: str = "auto",
    ) -> None:
        super().__init__()
        beta = _beta_from(beta, tau)
        _checks.check_unit_interval("beta", beta)
        _checks.check_positive("threshold", threshold)
        _checks.check_reset(reset)
        check_backend(backend)
        register_value(self, "beta", beta, learn_beta)
        register_value(self, "threshold", threshold, learn_threshold)
        self.reset = reset
        self.surrogate = surrogate
        self.detach_reset = detach_reset
        self.backend = backend

    def _functional_arguments(self) -> dict[str, Any]:
        return {
            "beta": self.beta.clamp(0, 1),
            "threshold": self.threshold,
            "reset": self.reset,
            "surrogate": self.surrogate,
            "detach_reset": self.detach_reset,
        }

    def _sequence_arguments(self) -> dict[str, Any]:
        return {"backend": self.backend}

    def extra_repr(self) -> str:
        return (
            f"beta={describe_value(self.beta)}, threshold={describe_value(self.threshold)}, "
            f"reset={self.reset!r}, surrogate={self.surrogate}"
        )


class IF(LIF):
    """Integrate-and-fire neurons: a `LIF` without leak (`beta = 1`, fixed).

    `v = v + x; s = H(v - threshold)`, then reset. SpikingJelly `IFNode(v_threshold,
    v_reset=None | 0.0)`, snnTorch `Leaky(beta=1.0, reset_delay=False)`, Norse `IAF` (reset to
    zero only). Arguments as `LIF`, without `beta`, `tau` and `learn_beta`.
    """

    def __init__(
        self,
        threshold: float | torch.Tensor = 1.0,
        *,
        reset: str = "subtract",
        surrogate: Surrogate = DEFAULT_SURROGATE,
        detach_reset: bool = False,
        learn_threshold: bool = False,
        backend: str = "auto",
    ) -> None:
        super().__init__(
            1.0,
            threshold,
            reset=reset,
            surrogate=surrogate,
            detach_reset=detach_reset,
            learn_threshold=learn_threshold,
            backend=backend,
        )


def _beta_from(beta: float | torch.Tensor | None, tau: float | torch.Tensor | None):
    if (beta is None) == (tau is None):
        raise InvalidInputError("give either beta (decay per step) or tau (time constant in steps)")
    if tau is None:
        return beta
    _checks.check_positive("tau", tau)
    return torch.exp(-1 / torch.as_tensor(tau, dtype=torch.get_default_dtype()))
