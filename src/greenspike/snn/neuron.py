"""The base of greenspike's neuron modules: parameters in the module, dynamics in `functional`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import torch
from torch import nn

from greenspike.errors import InvalidInputError
from greenspike.snn.functional import _checks
from greenspike.snn.functional._checks import ResetMode, Value
from greenspike.snn.surrogate import Surrogate


class NeuronState(Protocol):
    """The state of a neuron layer: a NamedTuple of tensors `[B, ...]` with the membrane `v`."""

    @property
    def v(self) -> torch.Tensor:
        """The membrane potential `[B, ...]` after the step (and its reset)."""

    def __iter__(self) -> Iterator[torch.Tensor]:
        """The state's tensors, in the order of its fields."""


class Neuron(nn.Module):
    """A layer of neurons with state, run over a whole sequence or one step at a time.

    `layer(x)` maps `x` `[T, B, ...]` to outputs `[T, B, ...]` (spikes for spiking neurons),
    starting from zero state; `layer(x, state, return_state=True)` also starts from `state` and
    returns `(outputs, final_state)`, e.g. `final_state.v`, the membrane potential after the last
    step. `layer.step(x_t, state)` runs one step `[B, ...]` and returns `(output_t, state)`;
    stepping through a sequence gives exactly the outputs of one whole-sequence call. State is
    never stored in the module.

    A layer runs its functional pair (e.g. `functional.lif` and `functional.lif_step`), but
    checks its parameters only when they change: when a value is assigned or changed in place
    (an optimizer step, `load_state_dict`, `fill_` under `no_grad`; not through `.data`, which
    autograd does not see either), when a setting is assigned, or when the input's step shape
    changes. Without gradients to compute, the parameter tuple is reused as well; with the
    fused kernels, such a call costs little more than the kernel.

    Subclasses name their functional pair's parts and build its parameter NamedTuple from their
    values, which they register (and `repr` lists) with `_register_value` and `_register_decay`.
    """

    # Whether the outputs are binary spikes (True for every `SpikingNeuron`).
    emits_spikes: ClassVar[bool] = False
    # The state of one step, a NamedTuple of tensors [B, ...] (e.g. LIFState(v)).
    State: ClassVar[type[tuple[torch.Tensor, ...]]]
    # The functional pair's parts: its name (e.g. "lif"), its parameter check, the whole
    # sequence without that check (e.g. `run_lif`), and the unchecked update of one step.
    _function_name: ClassVar[str]
    _check_parameters: ClassVar[Callable[..., None]]  # (params, step_shape, caller)
    _run_sequence: ClassVar[Callable[..., tuple[torch.Tensor, Any]]]  # (x, params, state)
    _update: ClassVar[Callable[..., tuple[torch.Tensor, Any]]]  # (x_t, params, state)

    def __init__(self) -> None:
        """A layer with no values registered yet."""
        super().__init__()
        self._value_names: list[str] = []
        self._checked: _CheckedParameters | None = None

    @classmethod
    def state_names(cls) -> tuple[str, ...]:
        """The fields of one step's state, e.g. ("v",) for LIF."""
        return cls.State._fields  # type: ignore[attr-defined]  # State is a NamedTuple class

    def forward(
        self, x: torch.Tensor, state: NeuronState | None = None, *, return_state: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, NeuronState]:
        """Run the layer over a sequence.

        Args:
            x: inputs `[T, B, ...]`, floating point.
            state: the state to start from (a `State`); None: zeros.
            return_state: also return the state after the last step.

        Returns:
            The outputs `[T, B, ...]`, and with `return_state` the final state as well.

        Raises:
            InvalidInputError: `x` or `state` has the wrong shape, or `x` is not finite.
            TypeError: `x` is not a floating-point tensor.
        """
        kind = type(self)
        _checks.check_sequence(x, kind._function_name)
        params = self._checked_parameters(x.shape[1:], kind._function_name)
        if state is None:
            state = self._initial_state(x[0])
        outputs, final_state = kind._run_sequence(x, params, state, **self._sequence_arguments())
        return (outputs, final_state) if return_state else outputs

    def step(
        self, x_t: torch.Tensor, state: NeuronState | None = None
    ) -> tuple[torch.Tensor, NeuronState]:
        """Run one time step.

        Args:
            x_t: inputs of one step `[B, ...]`, floating point.
            state: the state after the previous step; None: zeros.

        Returns:
            The outputs `[B, ...]` and the new state.

        Raises:
            InvalidInputError: as `forward`, for one step `[B, ...]`.
            TypeError: as `forward`.
        """
        kind = type(self)
        caller = f"{kind._function_name}_step"
        _checks.check_step(x_t, caller)
        params = self._checked_parameters(x_t.shape, caller)
        initial: Any = self._initial_state(x_t) if state is None else state
        return kind._update(x_t, params, _checks.initial_state(kind.State, initial, x_t))

    def extra_repr(self) -> str:
        """The layer's values (a per-neuron tensor by its shape), for `repr`."""
        return ", ".join(f"{name}={_describe(getattr(self, name))}" for name in self._value_names)

    def _functional_parameters(self) -> tuple[Any, ...]:
        """The parameter NamedTuple of the functional pair (e.g. `functional.LIFParameters`)."""
        raise NotImplementedError

    def _initial_state(self, x_t: torch.Tensor) -> Any:
        """The state a sequence starts from when none is given; None: zeros."""
        return None

    def _checked_parameters(self, step_shape: torch.Size, caller: str) -> Any:
        """The functional parameters for steps of `step_shape`, checked if anything changed.

        Raises:
            InvalidInputError: a value is out of range or does not broadcast to `step_shape`.
        """
        tensors = self._tensors()
        # what the check depends on: each tensor's identity, version counter (advanced by every
        # in-place change autograd sees) and storage (changed by `module.to(...)`)
        key = (step_shape, self._settings(), *((id(t), t._version, t.data_ptr()) for t in tensors))
        learning = torch.is_grad_enabled() and any(t.requires_grad for t in tensors)
        checked = self._checked
        if checked is not None and checked.key == key:
            if checked.params is not None and not learning:
                return checked.params
            params = self._functional_parameters()  # a fresh graph for learned values
        else:
            params = self._functional_parameters()
            type(self)._check_parameters(params, step_shape, caller)
        # A tuple built for gradients is rebuilt at every call, not kept with its graph.
        self._checked = _CheckedParameters(key, tuple(tensors), None if learning else params)
        return params

    def _tensors(self) -> list[torch.Tensor]:
        """The tensors the functional parameters are made of (the registered values)."""
        return [getattr(self, name) for name in self._value_names]

    def _settings(self) -> tuple[object, ...]:
        """The functional parameters that are not tensors (e.g. the reset mode)."""
        return ()

    def _sequence_arguments(self) -> dict[str, Any]:
        """Arguments for the whole-sequence function only (e.g. the kernel `backend`)."""
        return {}

    def _register_value(self, name: str, value: Value, *, learn: bool = False) -> None:
        """Store a scalar or per-neuron value as a Parameter (learned) or a buffer (fixed)."""
        tensor = torch.as_tensor(value, dtype=torch.get_default_dtype()).detach().clone()
        if learn:
            setattr(self, name, nn.Parameter(tensor))
        else:
            self.register_buffer(name, tensor)
        self._value_names.append(name)

    def _register_decay(
        self, name: str, decay: Value | None, tau: Value | None, tau_name: str, *, learn: bool
    ) -> None:
        """Store the decay per step `name`, given as such or as a time constant in steps.

        A time constant `tau` (> 0) gives `decay = exp(-1 / tau)`, the exact decay of
        `dv/dt = -v / tau` over one step. Exactly one of `decay` and `tau` must be given.
        """
        if (decay is None) == (tau is None):
            raise InvalidInputError(
                f"give either {name} (decay per step) or {tau_name} (time constant in steps)"
            )
        if tau is not None:
            _checks.check_positive(tau_name, tau)
            decay = torch.exp(-1 / torch.as_tensor(tau, dtype=torch.get_default_dtype()))
        assert decay is not None
        _checks.check_unit_interval(name, decay)
        self._register_value(name, decay, learn=learn)


class SpikingNeuron(Neuron):
    """A `Neuron` that fires: it holds a `threshold`, `reset`, `surrogate` and `detach_reset`.

    Attributes:
        threshold: the firing threshold (a tensor: a scalar, or one value per neuron).
        reset: "subtract", "zero" or "none".
        surrogate: the surrogate gradient of the spike.
        detach_reset: whether the reset term carries no gradient.
    """

    emits_spikes: ClassVar[bool] = True
    threshold: torch.Tensor
    reset: ResetMode
    surrogate: Surrogate
    detach_reset: bool

    def extra_repr(self) -> str:
        """The layer's values, then its reset and surrogate, for `repr`."""
        return f"{super().extra_repr()}, reset={self.reset!r}, surrogate={self.surrogate}"

    def _settings(self) -> tuple[object, ...]:
        return (self.reset, self.surrogate, self.detach_reset)

    def _register_firing(
        self,
        threshold: Value,
        reset: ResetMode,
        surrogate: Surrogate,
        detach_reset: bool,
        *,
        learn_threshold: bool,
    ) -> None:
        """Check and store the threshold (> 0), the reset mode, surrogate and detach_reset."""
        _checks.check_positive("threshold", threshold)
        _checks.check_reset(reset)
        self._register_value("threshold", threshold, learn=learn_threshold)
        self.reset = reset
        self.surrogate = surrogate
        self.detach_reset = detach_reset


@dataclass(frozen=True, eq=False)
class _CheckedParameters:
    """Parameters that passed their check, and what the check depended on (`key`).

    The tensors are held so that no other tensor can take their identity while it is kept.
    """

    key: tuple[object, ...]
    tensors: tuple[torch.Tensor, ...]
    params: Any  # the parameter tuple to reuse, or None: rebuild it at each call


def _describe(value: torch.Tensor) -> str:
    """A scalar's value, or a per-neuron tensor's shape, for a module's repr."""
    return f"{value.item():g}" if value.dim() == 0 else f"tensor{list(value.shape)}"
