"""Quantizing a whole network: every synaptic layer's weights and inputs, every neuron's state.

    deployed = gs.quant.quantize(model, gs.quant.preset("int8"), calibration=train_images)
    deployed(test_images)                    # runs on the int8 grid (integers x scales)
    gs.cost.count(deployed, test_images)     # counts what the int8 network does
    fit(deployed, ...)                       # quantization-aware training: same model
    plain = gs.quant.float_model(deployed)   # the float weights back, quantizers gone

`quantize` returns a copy: `nn.Linear`, `nn.Conv1d` and `nn.Conv2d` keep their class and name,
their `weight` becomes a parametrization (`WeightQuantizer`) over the float weights, and an
`input_quantizer` rounds their input (a forward pre-hook); greenspike.snn neurons become
fixed-point subclasses of their own class that step through time and round their state after
every step (`StateQuantizer`, saturating). So the copy trains (quantization-aware training,
gradients straight through the rounding) and counts (`gs.cost.count` sees quantized inputs and
weights) like the original. The neuron's threshold comparison sees the decayed membrane plus
the input before it is rounded to the state's grid; integer hardware rounds first, which can
differ only when a membrane is within half a grid step of its threshold. Biases stay at full
precision (hardware keeps them in its 32-bit accumulators).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar

import torch
from torch import nn
from torch.nn.utils import parametrize

from greenspike.cost import peers
from greenspike.cost.precision import FULL_PRECISION, Precision
from greenspike.errors import InvalidInputError
from greenspike.quant.quantizers import InputQuantizer, StateQuantizer, WeightQuantizer
from greenspike.snn.max_pool import AccumulatedMaxPool2d
from greenspike.snn.neuron import Neuron

SYNAPTIC = (nn.Linear, nn.Conv1d, nn.Conv2d)
PRESETS = {
    "fp32": FULL_PRECISION,
    "int8": Precision.parse("int8", "int8", "int16"),
    "int4": Precision.parse("int4", "int4", "int16"),
}
CALIBRATION_BATCH = 256


def preset(name: str) -> Precision:
    """A training precision by name: fp32, int8 or int4.

    int8: int8 weights and activations, int16 state; int4: int4 weights and activations, int16
    state.

    Raises:
        InvalidInputError: an unknown name.
    """
    if name not in PRESETS:
        raise InvalidInputError(f"unknown precision {name!r}: use one of {', '.join(PRESETS)}")
    return PRESETS[name]


def quantize(
    model: nn.Module,
    precision: Precision,
    calibration: torch.Tensor | None = None,
    *,
    layers: Mapping[str, Precision] | None = None,
) -> nn.Module:
    """A copy of `model` that runs at `precision`, calibrated on `calibration`.

    Args:
        model: the network (a quantized one is first turned back into its float weights).
        precision: the formats of weights, synaptic inputs and neuron state.
        calibration: inputs of `model` (e.g. training images) that set the input and state
            scales, run in batches of 256 in eval mode; None leaves them uncalibrated (inputs
            and state pass unchanged until `calibrate` is called).
        layers: the precision of layers that differ from `precision`, by name as in
            `model.named_modules()` and `gs.cost.count` reports (e.g. a host's layers).

    Returns:
        The quantized copy, in eval mode.

    Raises:
        InvalidInputError: a layer with weights greenspike.quant cannot quantize (anything but
            nn.Linear, nn.Conv1d, nn.Conv2d and greenspike.snn neurons), or a peer library's
            neuron; the message names the layer. A name in `layers` that is no layer.
    """
    plain = float_model(model)
    table = dict(layers or {})
    names = {name or type(module).__name__ for name, module in plain.named_modules()}
    unknown = sorted(set(table) - names)
    if unknown:
        raise InvalidInputError(f"layers {unknown} are not layers of {type(model).__name__}")
    for name, module in list(plain.named_modules()):
        name = name or type(module).__name__
        chosen = table.get(name, precision)
        _check_quantizable(name, module)
        if isinstance(module, SYNAPTIC) and not chosen.is_fp32:
            parametrize.register_parametrization(module, "weight", WeightQuantizer(chosen.weights))
            module.add_module("input_quantizer", InputQuantizer(chosen.activations))
            module.register_forward_pre_hook(_quantize_input)
        elif isinstance(module, Neuron) and chosen.state.name != "fp32":
            _make_fixed_point(module, chosen)
    if calibration is not None:
        calibrate(plain, calibration)
    return plain.eval()


def float_model(model: nn.Module) -> nn.Module:
    """A copy of `model` with its float weights and no quantizers (unchanged if it had none)."""
    plain = copy.deepcopy(model)
    for module in list(plain.modules()):
        if parametrize.is_parametrized(module, "weight"):
            _remove_weight_quantizer(module)
        if "input_quantizer" in module._modules:
            del module.input_quantizer
            for key, hook in list(module._forward_pre_hooks.items()):
                if hook is _quantize_input:
                    del module._forward_pre_hooks[key]
        if isinstance(module, _FixedPoint):
            plain_class: Any = module.plain_class
            module.__class__ = plain_class
            del module._modules["state_quantizers"]
    return plain


def _remove_weight_quantizer(module: nn.Module) -> None:
    """Give a parametrized copy its float `weight` back.

    Not `parametrize.remove_parametrizations`: it deletes the property from the parametrized
    class, which a deep copy shares with the module it was copied from.
    """
    parametrizations = module._modules["parametrizations"]
    assert isinstance(parametrizations, nn.ModuleDict)
    weight = parametrizations["weight"]
    assert isinstance(weight, parametrize.ParametrizationList)
    if len(parametrizations) > 1 or len(weight) > 1:
        raise InvalidInputError(
            f"{type(module).__name__} has parametrizations greenspike.quant did not add"
        )
    original = weight.original
    assert isinstance(original, nn.Parameter)
    module.__class__ = module.__class__.__bases__[0]
    del module._modules["parametrizations"]
    module.register_parameter("weight", original)


def is_quantized(model: nn.Module) -> bool:
    """Whether any layer of `model` has a quantizer."""
    return any(_quantizers(model))


@torch.no_grad()
def calibrate(model: nn.Module, inputs: torch.Tensor, batch_size: int = CALIBRATION_BATCH) -> None:
    """Set the input and state scales of a quantized `model` from a run on `inputs`.

    The model runs in eval mode without quantizing (every quantizer observes); its mode is
    restored afterwards.
    """
    quantizers = list(_quantizers(model))
    training = model.training
    model.eval()
    for quantizer in quantizers:
        quantizer.observe()
    try:
        for start in range(0, len(inputs), batch_size):
            model(inputs[start : start + batch_size])
    finally:
        for quantizer in quantizers:
            quantizer.freeze()
        model.train(training)


def _quantizers(model: nn.Module) -> Iterator[InputQuantizer | StateQuantizer]:
    for module in model.modules():
        if isinstance(module, InputQuantizer | StateQuantizer):
            yield module


def _quantize_input(module: nn.Module, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Forward pre-hook: the layer's first argument through its `input_quantizer`."""
    quantizer = module.input_quantizer
    assert isinstance(quantizer, InputQuantizer)
    return (quantizer(args[0]), *args[1:])


def _check_quantizable(name: str, module: nn.Module) -> None:
    if isinstance(module, (Neuron, *SYNAPTIC)):
        return
    if peers.peer_neuron(name, module) is not None:
        raise InvalidInputError(
            f"layer {name!r} is a {type(module).__module__.partition('.')[0]} "
            f"{type(module).__name__}: greenspike.quant holds the state of greenspike.snn "
            "neurons only in fixed point (convert the model, e.g. through NIR)"
        )
    if any(True for _ in module.parameters(recurse=False)):
        raise InvalidInputError(
            f"layer {name!r} ({type(module).__name__}) has weights greenspike.quant cannot "
            "quantize: it quantizes nn.Linear, nn.Conv1d, nn.Conv2d and greenspike.snn neurons"
        )


class _FixedPoint(Neuron):
    """Mixed into a neuron's own class: steps through time, rounding its state after each step.

    Made per neuron class by `_make_fixed_point` (a subclass of `_FixedPoint` and that class),
    so the layer stays an instance of its class for `gs.cost.count` and anything else.
    """

    plain_class: ClassVar[type[Neuron]]
    state_quantizers: nn.ModuleDict

    def forward(self, x: torch.Tensor, state: Any = None, *, return_state: bool = False) -> Any:
        """As the neuron's own `forward`, one step at a time on the state's grid."""
        outputs = []
        for x_t in x:
            output, state = self.step(x_t, state)
            outputs.append(output)
        stacked = torch.stack(outputs)
        return (stacked, state) if return_state else stacked

    def step(self, x_t: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        """One step of the neuron's own update, then every state variable rounded."""
        output, new = self.plain_class.step(self, x_t, state)
        quantizers = self.state_quantizers
        names = self.state_names()
        rounded = [
            quantizers[name](value) if name in quantizers else value
            for name, value in zip(names, new, strict=True)
        ]
        if isinstance(self, _FixedPointOutput):  # the output is the membrane: the rounded one
            output = rounded[names.index("v")]
        return output, type(new)(*rounded)


class _FixedPointOutput(_FixedPoint):
    """A fixed-point neuron whose output is its membrane (a leaky integrator readout)."""


class _FixedPointPool(_FixedPoint):
    """A fixed-point accumulated max pool: its running sum and pooled sum on the state's grid.

    Its output is the change of the rounded pooled sum, so that the outputs still add up to
    the pooled sum the network holds (rounding is monotone: pooling the rounded sum gives the
    rounded pooled sum).
    """

    def step(self, x_t: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        """One step of the pool, its state rounded; the output from the rounded pooled sum."""
        _, new = super().step(x_t, state)
        before = torch.zeros_like(new.pooled) if state is None else state.pooled
        return new.pooled - before, new


_CLASSES: dict[type[Neuron], type[_FixedPoint]] = {}


def _make_fixed_point(neuron: Neuron, precision: Precision) -> None:
    cls = type(neuron)
    if cls not in _CLASSES:
        base: type[_FixedPoint] = _FixedPoint if cls.emits_spikes else _FixedPointOutput
        if issubclass(cls, AccumulatedMaxPool2d):
            base = _FixedPointPool
        made: Callable[..., type[_FixedPoint]] = type
        _CLASSES[cls] = made(f"FixedPoint{cls.__name__}", (base, cls), {"plain_class": cls})
    neuron.__class__ = _CLASSES[cls]
    fields = [name for name in cls.state_names() if name != "s"]  # a fed-back spike is exact
    neuron.add_module(
        "state_quantizers",
        nn.ModuleDict({name: StateQuantizer(precision.state) for name in fields}),
    )
