"""The stages of a deployed network: event-driven Linear + neuron pairs, and everything else.

A trained greenspike network is an `nn.Sequential`. Each `nn.Linear` (bare, or in the twins'
`OverTime` wrapper, alone or in an `nn.Sequential` of one) followed by a `LIF` / `IF` layer or a
`LeakyIntegrator` readout becomes an `EventStage`: the event-driven kernel
(`greenspike.snn.kernels.event`) over all time steps, the neuron update fused in. Such a
neuron layer after anything else becomes a `NeuronStage` (the same kernel on its input
currents). Everything else (the first layer of directly encoded images, the encoder,
flattening, Conv2d and pooling, other neurons) becomes a `DenseStage` that runs the trained
module itself without autograd: Conv2d is not event-driven (yet).

A network quantized by `greenspike.quant` deploys at its precision: integer weights of up to 8
bits as int8 rows (int32 sums, one scale per output neuron), other formats as float32 rows of
the rounded weights; a fixed-point neuron state as its grid. A layer whose inputs are rounded to
a grid (not spikes) stays dense.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.nn.utils import parametrize

from greenspike.quant.model import float_model
from greenspike.quant.quantizers import InputQuantizer, StateQuantizer, WeightQuantizer
from greenspike.snn import IF, LIF, LeakyIntegrator
from greenspike.snn.kernels import event
from greenspike.snn.kernels.event import EventLayer, StateGrid
from greenspike.snn.neuron import Neuron
from greenspike.train.models import OverTime

_FUSED_NEURONS = (LIF, IF, LeakyIntegrator)
_INT8_BITS = 8


@dataclass
class EventStage:
    """A Linear + neuron pair run by the event-driven kernel.

    Args:
        name: the Linear's name in the network (`named_modules`).
        layer: the kernel's weights and neuron parameters.
        backend: "auto", "c" or "reference" (see `greenspike.snn.kernels.event.run`).
    """

    name: str
    layer: EventLayer
    backend: event.Backend = "auto"
    events: int = 0  # weight rows added since the network was deployed

    def initial_state(self, batch: int) -> torch.Tensor:
        """The membranes before the first step, `[batch, N]` zeros."""
        return torch.zeros(batch, self.layer.neurons)

    def run(self, x: torch.Tensor, state: torch.Tensor | None = None) -> tuple[torch.Tensor, Any]:
        """Outputs `[T, B, N]` of inputs `x` `[T, B, ...]` (flattened to K), and the state."""
        flat = x.reshape(x.shape[0], x.shape[1], -1)
        v = self.initial_state(x.shape[1]) if state is None else state
        out, events = event.run(self.layer, flat, v, backend=self.backend)
        self.events += events
        return out, v


@dataclass
class DenseStage:
    """A trained module run as it is (no autograd): time-major `[T, B, ...]` in and out."""

    name: str
    module: nn.Module

    def initial_state(self, batch: int) -> Any:
        """None: a neuron starts from zeros, other modules have no state."""
        return None

    def run(self, x: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        """The module on `x`; a neuron also returns its final state (for streaming)."""
        if isinstance(self.module, Neuron):
            out, new = self.module(x, state, return_state=True)
            return out, new
        return self.module(x), None


@dataclass
class NeuronStage:
    """A neuron layer alone, run by the same kernel on its input currents as they are.

    E.g. the neurons after a Conv2d, or after the first layer of directly encoded images. Its
    size is known from the first input: the kernel's parameters are built then, per step
    shape (a per-channel `beta` `[C, 1, 1]` broadcast over the pixels).
    """

    name: str
    neuron: Neuron
    backend: event.Backend = "auto"
    events: int = 0  # always 0: no synapses
    _layers: dict[tuple[int, ...], EventLayer] = field(default_factory=dict)

    def initial_state(self, batch: int) -> Any:
        """None: zeros of the input's size, made at the first step."""
        return None

    def run(self, x: torch.Tensor, state: torch.Tensor | None = None) -> tuple[torch.Tensor, Any]:
        """Outputs `[T, B, ...]` of the currents `x` `[T, B, ...]`, and the state `[B, N]`."""
        step_shape = tuple(x.shape[2:])
        layer = self._layers.get(step_shape)
        if layer is None:
            layer = self._layers[step_shape] = neuron_layer(self.neuron, step_shape)
        flat = x.reshape(x.shape[0], x.shape[1], -1)
        v = torch.zeros(x.shape[1], layer.neurons) if state is None else state
        out, _ = event.run(layer, flat, v, backend=self.backend)
        return out.view(x.shape), v


Stage = EventStage | DenseStage | NeuronStage


def stages_of(model: nn.Sequential, backend: event.Backend) -> list[Stage]:
    """The stages of `model`, pairing each eligible Linear with the neuron layer after it."""
    names = {id(module): name for name, module in model.named_children()}
    children = list(model.children())
    stages: list[Stage] = []
    index = 0
    while index < len(children):
        module = children[index]
        following = children[index + 1] if index + 1 < len(children) else None
        linear = _linear_in(module)
        layer = None
        if linear is not None and following is not None:
            layer = event_layer(linear, following)
        if layer is not None:
            stages.append(EventStage(names[id(module)], layer, backend))
            index += 2
        elif _neuron_supported(module):
            assert isinstance(module, Neuron)
            stages.append(NeuronStage(names[id(module)], module, backend))
            index += 1
        else:
            stages.append(DenseStage(names[id(module)], frozen(module)))
            index += 1
    return stages


def _neuron_supported(module: nn.Module) -> bool:
    """Whether the kernel runs this neuron layer: a LIF, IF or LeakyIntegrator, state not fp16."""
    plain = getattr(type(module), "plain_class", type(module))
    return plain in _FUSED_NEURONS and isinstance(module, Neuron) and _state_supported(module)


def _neuron_values(neuron: Neuron) -> tuple[torch.Tensor, torch.Tensor, str, event.Output]:
    """(beta, threshold, reset, output) of a LIF / IF (spikes) or a LeakyIntegrator (membrane)."""
    if isinstance(neuron, LIF):
        return neuron.beta.clamp(0, 1), neuron.threshold, neuron.reset, "spikes"
    assert isinstance(neuron, LeakyIntegrator)
    return neuron.beta.clamp(0, 1), torch.ones(()), "none", "membrane"


def neuron_layer(neuron: Neuron, step_shape: tuple[int, ...]) -> EventLayer:
    """The kernel's parameters for `neuron` alone on steps of `step_shape` (`[B, ...]` less B)."""
    beta, threshold, reset, output = _neuron_values(neuron)

    def per_neuron(value: torch.Tensor) -> torch.Tensor:
        return value.detach().float().expand(step_shape).contiguous().view(-1)

    return EventLayer(
        rows=None,
        scale=None,
        bias=None,
        beta=per_neuron(beta),
        threshold=per_neuron(threshold),
        reset=reset,
        output=output,
        grid=_state_grid(neuron),
    )


def event_layer(linear: nn.Linear, neuron: nn.Module) -> EventLayer | None:
    """`linear` and the `neuron` after it as one event-driven layer, or None if they can't be.

    They can't when the neuron is not a LIF, IF or LeakyIntegrator (or a fixed-point copy of
    one with an integer state), when its values are not one per output (or one for all), or
    when the Linear's inputs are rounded to a grid.
    """
    plain = getattr(type(neuron), "plain_class", type(neuron))
    if plain not in _FUSED_NEURONS or not isinstance(neuron, Neuron):
        return None
    quantizer = getattr(linear, "input_quantizer", None)
    if isinstance(quantizer, InputQuantizer) and not quantizer.passes:
        return None
    if not _state_supported(neuron):
        return None
    neurons = linear.out_features
    rows, scale = _rows(linear)
    beta, threshold, reset, output = _neuron_values(neuron)
    if any(value.numel() not in (1, neurons) for value in (beta, threshold)):
        return None  # values per neuron of another shape: the dense path
    bias = None if linear.bias is None else _vector(linear.bias, neurons)
    return EventLayer(
        rows=rows,
        scale=scale,
        bias=bias,
        beta=_vector(beta, neurons),
        threshold=_vector(threshold, neurons),
        reset=reset,
        output=output,
        grid=_state_grid(neuron),
    )


def frozen(module: nn.Module) -> nn.Module:
    """`module` with its quantized weights computed once (not at every call), else itself.

    A quantized layer's weight is a parametrization that rounds the float weights at every
    call (for training); the copy holds the rounded weights as plain tensors and still rounds
    its inputs (the layer's `input_quantizer`).
    """
    if not any(parametrize.is_parametrized(sub, "weight") for sub in module.modules()):
        return module
    copy = float_model(module)
    copies = dict(copy.named_modules())
    for name, sub in module.named_modules():
        if not parametrize.is_parametrized(sub, "weight"):
            continue
        target = copies[name]
        with torch.no_grad():
            target.weight.copy_(sub.weight)
        quantizer = sub.input_quantizer
        assert isinstance(quantizer, InputQuantizer)
        target.add_module("input_quantizer", quantizer)
        target.register_forward_pre_hook(_quantize_input)
    return copy


def _quantize_input(module: nn.Module, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Forward pre-hook: the first argument through the layer's `input_quantizer`."""
    quantizer = module.input_quantizer
    assert isinstance(quantizer, InputQuantizer)
    return (quantizer(args[0]), *args[1:])


def _linear_in(module: nn.Module) -> nn.Linear | None:
    """The nn.Linear `module` is, or wraps (OverTime, a Sequential of one); else None."""
    if isinstance(module, OverTime):
        module = module.layer
    if isinstance(module, nn.Sequential) and len(module) == 1:
        module = module[0]
    return module if isinstance(module, nn.Linear) else None


def _rows(linear: nn.Linear) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The weights input-major `[K, N]`: int8 levels and their scales, or float32 values."""
    weight = linear.weight.detach()
    if parametrize.is_parametrized(linear, "weight"):
        chain = linear.parametrizations["weight"]  # type: ignore[index]
        assert isinstance(chain, parametrize.ParametrizationList)
        quantizer = chain[0]
        assert isinstance(quantizer, WeightQuantizer)
        number = quantizer.number
        if number.kind == "int" and number.bits <= _INT8_BITS:
            original = chain.original.detach()
            scale = quantizer.scale(original).float()
            levels = torch.round(weight / scale[:, None]).to(torch.int8)
            return levels.t().contiguous(), scale.contiguous()
    return weight.float().t().contiguous(), None


def _state_quantizer(neuron: nn.Module) -> StateQuantizer | None:
    quantizers = getattr(neuron, "state_quantizers", None)
    if quantizers is None or "v" not in quantizers:
        return None
    quantizer = quantizers["v"]
    assert isinstance(quantizer, StateQuantizer)
    return quantizer


def _state_supported(neuron: nn.Module) -> bool:
    """Whether the kernel holds the membrane's format: float32, or an integer grid."""
    quantizer = _state_quantizer(neuron)
    return quantizer is None or quantizer.number.kind == "int"  # not fp16 / bf16


def _state_grid(neuron: nn.Module) -> StateGrid | None:
    """The fixed-point grid of the membrane; None for a float32 (or uncalibrated) state."""
    quantizer = _state_quantizer(neuron)
    if quantizer is None or not quantizer.calibrated:
        return None
    step = quantizer.scale.float()
    levels = float(2 ** (quantizer.number.bits - 1) - 1)
    return StateGrid(step=float(step), top=float(levels * step))


def _vector(value: torch.Tensor, neurons: int) -> torch.Tensor:
    """A scalar or per-neuron value as a contiguous float32 `[N]`."""
    return value.detach().float().expand(neurons).contiguous()
