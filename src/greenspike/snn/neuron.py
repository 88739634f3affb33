"""The base of greenspike's neuron modules: parameters in the module, dynamics in `functional`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, NamedTuple

import torch
from torch import nn


class Neuron(nn.Module):
    """A layer of neurons with state, run over a whole sequence or one step at a time.

    `layer(x)` maps `x` `[T, B, ...]` to outputs `[T, B, ...]` (spikes for spiking neurons),
    starting from zero state; `layer(x, state, return_state=True)` also starts from `state` and
    returns `(outputs, final_state)`, e.g. `final_state.v`, the membrane potential after the last
    step. `layer.step(x_t, state)` runs one step `[B, ...]` and returns `(output_t, state)`;
    stepping through a sequence gives exactly the outputs of one whole-sequence call. State is
    never stored in the module.

    Subclasses name their functional pair and the arguments they pass to it.
    """

    # Whether the outputs are binary spikes (False for the leaky integrator readout).
    emits_spikes: ClassVar[bool] = True
    # The state of one step, a NamedTuple of tensors [B, ...] (e.g. LIFState(v)).
    State: ClassVar[type[NamedTuple]]
    _sequence_function: ClassVar[Callable[..., tuple[torch.Tensor, Any]]]
    _step_function: ClassVar[Callable[..., tuple[torch.Tensor, Any]]]

    def forward(
        self, x: torch.Tensor, state: NamedTuple | None = None, *, return_state: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, NamedTuple]:
        outputs, final_state = type(self)._sequence_function(
            x, state=state, **self._functional_arguments(), **self._sequence_arguments()
        )
        return (outputs, final_state) if return_state else outputs

    def step(
        self, x_t: torch.Tensor, state: NamedTuple | None = None
    ) -> tuple[torch.Tensor, NamedTuple]:
        """One time step: `x_t` `[B, ...]` and the previous state (None: zeros) -> output, state."""
        return type(self)._step_function(x_t, state, **self._functional_arguments())

    def _functional_arguments(self) -> dict[str, Any]:
        raise NotImplementedError

    def _sequence_arguments(self) -> dict[str, Any]:
        """Arguments for the whole-sequence function only (e.g. the kernel `backend`)."""
        return {}


def register_value(module: nn.Module, name: str, value: Any, learn: bool) -> None:
    """Store a scalar or per-neuron value as a Parameter (learned) or a buffer (fixed)."""
    tensor = torch.as_tensor(value, dtype=torch.get_default_dtype()).detach().clone()
    if learn:
        setattr(module, name, nn.Parameter(tensor))
    else:
        module.register_buffer(name, tensor)


def describe_value(value: torch.Tensor) -> str:
    """A scalar's value, or a per-neuron tensor's shape, for a module's repr."""
    return f"{value.item():g}" if value.dim() == 0 else f"tensor{list(value.shape)}"
