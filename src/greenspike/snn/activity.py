"""Activity regularisation: train spiking networks to fire less.

A spike costs energy wherever it goes (an accumulate per fan-out weight, a spike event, an
event-driven weight fetch), so the cheapest network that solves a task is usually the sparsest.
`RatePenalty` adds to the task loss a term that grows with the firing rates of the spiking
layers; `SpikeRecorder` collects what those layers emitted in a forward pass, with its autograd
graph, so the penalty's gradient reaches the weights through the surrogate gradient:

    penalty = gs.snn.RatePenalty(weight=0.5)               # L1 on the spikes
    with gs.snn.SpikeRecorder(model) as recorder:
        for images, labels in batches:
            recorder.clear()
            outputs = model(images)
            loss = task_loss(outputs, labels) + penalty(recorder.spikes)

With `s_l` the spikes `[T, B, ...]` of spiking layer l and `n_l` their number of values:

    L1 (target_rate None):  P = weight x (sum_l sum s_l) / (sum_l n_l)
                            (the mean spikes per neuron per step over all layers: the spike
                            rate `greenspike.cost` prices)
    target rate rho:        P = weight x mean_l max(0, r_l - rho)^2,   r_l = mean(s_l)
                            (a per-layer upper bound, as in Cramer et al., PNAS 2022: a layer
                            at or below rho is left alone, never pushed up)

Both are per sample and per step, so `weight` does not depend on the batch size, the number of
steps or the width of the layers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import torch
from torch import nn

from greenspike.errors import InvalidInputError
from greenspike.snn.neuron import Neuron


@dataclass(frozen=True)
class RatePenalty:
    """A penalty on firing rates, added to the task loss (equations in the module docstring).

    Args:
        weight: how much one unit of penalty counts against one unit of task loss (>= 0).
        target_rate: None for the L1 penalty on all spikes; else the per-layer rate (spikes
            per neuron per step, in [0, 1)) above which a layer is penalised.

    Raises:
        InvalidInputError: `weight` is negative or not finite, or `target_rate` is outside
            [0, 1).
    """

    weight: float
    target_rate: float | None = None

    def __post_init__(self) -> None:
        check_rate_penalty(self.weight, self.target_rate)

    def __call__(self, spikes: Sequence[torch.Tensor]) -> torch.Tensor:
        """The penalty of the spikes `[T, B, ...]` of each spiking layer (a scalar tensor).

        Raises:
            InvalidInputError: no spiking layer recorded any spike tensor.
        """
        if not spikes:
            raise InvalidInputError(
                "the rate penalty needs the spikes of at least one spiking layer: the model "
                "has no greenspike spiking neuron, or nothing ran since the recorder was cleared"
            )
        if self.target_rate is None:
            total = torch.stack([s.sum() for s in spikes]).sum()
            values = sum(s.numel() for s in spikes)
            return self.weight * total / values
        excess = [torch.relu(s.mean() - self.target_rate) ** 2 for s in spikes]
        return self.weight * torch.stack(excess).mean()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {"weight": self.weight, "target_rate": self.target_rate}


def check_rate_penalty(weight: float, target_rate: float | None) -> None:
    """Check a penalty's weight (>= 0, finite) and target rate (None or in [0, 1)).

    Raises:
        InvalidInputError: naming the bad value and what is valid.
    """
    if isinstance(weight, bool) or not isinstance(weight, int | float):
        raise InvalidInputError(f"rate penalty weight must be a number >= 0, got {weight!r}")
    if not (math.isfinite(weight) and weight >= 0):
        raise InvalidInputError(f"rate penalty weight must be a number >= 0, got {weight!r}")
    if target_rate is not None and not (
        isinstance(target_rate, int | float) and 0 <= target_rate < 1
    ):
        raise InvalidInputError(
            f"`target_rate` must be spikes per neuron per step in [0, 1), got {target_rate!r}"
        )


class SpikeRecorder:
    """Keeps the outputs of every spiking layer of `model` in `spikes`, with their graph.

    Forward hooks on the modules that emit spikes (`Neuron.emits_spikes`: LIF, IF, ALIF, ...),
    removed by `close()` or on leaving a `with` block. Each forward call of such a layer
    appends its spikes `[T, B, ...]`; `clear()` empties the list (call it before each batch).

    Raises:
        InvalidInputError: `model` has no greenspike spiking layer.
    """

    def __init__(self, model: nn.Module):
        self.spikes: list[torch.Tensor] = []
        layers = [m for m in model.modules() if isinstance(m, Neuron) and m.emits_spikes]
        if not layers:
            raise InvalidInputError(
                f"{type(model).__name__} has no greenspike spiking layer to record"
            )
        self._handles = [layer.register_forward_hook(self._keep) for layer in layers]

    def _keep(self, module: nn.Module, args: object, output: Any) -> None:
        self.spikes.append(output[0] if isinstance(output, tuple) else output)

    def clear(self) -> None:
        """Forget the spikes recorded so far."""
        self.spikes.clear()

    def close(self) -> None:
        """Remove the hooks and forget the spikes."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        self.clear()

    def __enter__(self) -> SpikeRecorder:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
