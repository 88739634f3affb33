"""The accumulated max pool module (a thin wrapper over `functional.accumulated_max_pool2d`)."""

from __future__ import annotations

from typing import Any

import torch

from greenspike.errors import InvalidInputError
from greenspike.snn import functional
from greenspike.snn.functional import _checks
from greenspike.snn.functional.max_pool import (
    accumulated_max_pool2d_update,
    check_parameters,
    initial_state,
    run_accumulated_max_pool2d,
)
from greenspike.snn.neuron import Neuron, NeuronState


class AccumulatedMaxPool2d(Neuron):
    """Max pooling of the running sum of its inputs, output as its change at each step.

    `y[t] = maxpool(x[1] + ... + x[t]) - maxpool(x[1] + ... + x[t-1])`: over any number of
    steps the outputs add up to the max pool of the inputs added up, which is what a converted
    ReLU network's max pool needs (equations: `greenspike.snn.functional.
    accumulated_max_pool2d`). Inputs `[T, B, C, H, W]` are currents, outputs too (not spikes).
    Like a neuron it keeps state per position (the running sum) and is counted so by
    `greenspike.cost`: one update, and a read and write of each state value, per input
    position and step. State: `functional.MaxPoolState(total, pooled)`.

    Attributes:
        kernel_size, stride, padding: the windows, each (height, width).
    """

    State = functional.MaxPoolState
    _function_name = "accumulated_max_pool2d"
    _check_parameters = staticmethod(check_parameters)
    _run_sequence = staticmethod(run_accumulated_max_pool2d)
    _update = staticmethod(accumulated_max_pool2d_update)

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
    ) -> None:
        """An accumulated max pool with the windows of `nn.MaxPool2d`.

        Args:
            kernel_size: the window, one integer or (height, width).
            stride: the step between windows; None: `kernel_size`.
            padding: implicit padding on each side, at most half the window.

        Raises:
            InvalidInputError: an argument is not one or two positive integers (padding: >= 0).
        """
        super().__init__()
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else _pair(stride, "stride")
        self.padding = _pair(padding, "padding")

    def extra_repr(self) -> str:
        """The windows, for `repr`."""
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def step(
        self, x_t: torch.Tensor, state: NeuronState | None = None
    ) -> tuple[torch.Tensor, NeuronState]:
        """Run one time step (`Neuron.step`; the state's `pooled` has the pooled shape).

        Raises:
            InvalidInputError: as `forward`, for one step `[B, C, H, W]`.
            TypeError: as `forward`.
        """
        caller = "accumulated_max_pool2d_step"
        _checks.check_step(x_t, caller)
        params = self._checked_parameters(x_t.shape, caller)
        initial: Any = state  # a NeuronState is one of the State NamedTuples
        output, new = accumulated_max_pool2d_update(
            x_t, params, initial_state(params, initial, x_t)
        )
        final: Any = new  # its state has no membrane `v`: the pool's own NamedTuple
        return output, final

    def _settings(self) -> tuple[object, ...]:
        return (self.kernel_size, self.stride, self.padding)

    def _functional_parameters(self) -> functional.MaxPoolParameters:
        return functional.MaxPoolParameters(self.kernel_size, self.stride, self.padding)


def _pair(value: int | tuple[int, int], name: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or any(isinstance(n, bool) or not isinstance(n, int) for n in pair):
        raise InvalidInputError(f"{name} must be one integer or two, got {value!r}")
    return pair[0], pair[1]
