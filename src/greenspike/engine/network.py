"""`deploy`: a trained spiking network as an event-driven inference engine.

    engine = gs.deploy(spiking_twin)       # no autograd, weights input-major
    readout = engine(images)               # batched: as spiking_twin(images), [T, B, classes]
    stream = engine.stream()               # batch 1, step by step, as a sensor feeds it
    for frame in frames:                   # one step of the encoder's output, [1, ...]
        out_t = stream.step(frame)

The engine runs the network's stages in turn (`stages`): event-driven Linear + neuron pairs
and dense modules. Its outputs are the network's own: identical spikes for the same weights
and inputs, except where float32 sums taken in another order land a membrane within rounding
of its threshold (int8 weights sum exactly). `events` counts the weight rows the event-driven
stages added: a spike-free input adds none.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from greenspike.engine.stages import DenseStage, EventStage, Stage, stages_of
from greenspike.errors import InvalidInputError
from greenspike.snn.kernels import event
from greenspike.train.models import Encoder


class DeployedNetwork:
    """A trained network ready for inference; see the module docstring.

    Attributes:
        stages: the stages in order.
        stream_start: the index of the first stage a stream feeds (after the encoder).
    """

    def __init__(self, stages: list[Stage], stream_start: int) -> None:
        """Wrap `stages` (from `deploy`)."""
        self.stages = stages
        self.stream_start = stream_start

    @property
    def events(self) -> int:
        """Weight rows added by the event-driven stages since deployment (all calls)."""
        return sum(stage.events for stage in self.stages if isinstance(stage, EventStage))

    @property
    def event_driven(self) -> tuple[str, ...]:
        """The names of the Linear layers that run event-driven."""
        return tuple(stage.name for stage in self.stages if isinstance(stage, EventStage))

    @torch.no_grad()
    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        """The network's output for `inputs` (what the trained network takes), batched."""
        x = inputs
        for stage in self.stages:
            x, _ = stage.run(x)
        return x

    def stream(self, batch: int = 1) -> Stream:
        """A stream of `batch` samples fed one time step at a time (state kept between steps)."""
        if not isinstance(batch, int) or batch < 1:
            raise InvalidInputError(f"batch must be an integer >= 1, got {batch!r}")
        return Stream(self.stages[self.stream_start :], batch)


class Stream:
    """Step-by-step inference: `step(x_t)` runs one time step and keeps every layer's state."""

    def __init__(self, stages: list[Stage], batch: int) -> None:
        """Start `stages` from zero state for `batch` samples."""
        self.stages = stages
        self.batch = batch
        self.states: list[Any] = [stage.initial_state(batch) for stage in stages]

    @torch.no_grad()
    def step(self, x_t: torch.Tensor) -> torch.Tensor:
        """The network's output at this step for one step of input `x_t` `[batch, ...]`.

        Raises:
            InvalidInputError: `x_t` is not `[batch, ...]`.
        """
        if x_t.dim() < 1 or x_t.shape[0] != self.batch:
            raise InvalidInputError(
                f"a step's input must be [{self.batch}, ...] for this stream, got {list(x_t.shape)}"
            )
        x = x_t.unsqueeze(0)
        for index, stage in enumerate(self.stages):
            x, self.states[index] = stage.run(x, self.states[index])
        return x[0]


def deploy(model: nn.Module, *, backend: event.Backend = "auto") -> DeployedNetwork:
    """Turn a trained greenspike spiking network into an event-driven inference engine.

    Args:
        model: an `nn.Sequential` such as the spiking twin of `build_pair` (float or quantized
            by `greenspike.quant`); it is not copied, so deploy it again after changing it.
        backend: "auto" (the C kernel where it can run, else its PyTorch reference), "c" or
            "reference", for the event-driven stages.

    Returns:
        The engine, in eval mode (the model is put in eval mode too).

    Raises:
        InvalidInputError: `model` is not an `nn.Sequential`, or `backend` is unknown.
    """
    if not isinstance(model, nn.Sequential):
        raise InvalidInputError(
            f"deploy takes an nn.Sequential network (such as a spiking twin), got "
            f"{type(model).__name__}"
        )
    if backend not in event.BACKENDS:
        raise InvalidInputError(f"backend must be one of {event.BACKENDS}, got {backend!r}")
    model.eval()
    stages = stages_of(model, backend)
    encoders = [
        i
        for i, s in enumerate(stages)
        if isinstance(s, DenseStage) and isinstance(s.module, Encoder)
    ]
    return DeployedNetwork(stages, encoders[-1] + 1 if encoders else 0)
