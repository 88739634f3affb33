"""`convert`: a trained ReLU network as a spiking network of integrate-and-fire neurons.

Rate coding (Diehl et al. 2015; Rueckauer et al. 2017): each ReLU becomes a layer of IF
neurons with a subtractive reset, whose spike rate over T steps approximates the ReLU's output
divided by the layer's threshold. The input is fed as it is (an analog current at every step),
so the layers before the first ReLU compute once per inference. Thresholds come from the
activations of the ReLU network on calibration data, layer by layer:

    threshold_l = max (or the p-th percentile) of ReLU l's outputs on the calibration data
    W'_{l+1}    = W_{l+1} * threshold_l      (a spike of layer l stands for threshold_l)
    v_init_1    = v_init * threshold_1        (the first layer; 0.5: its count rounds)
    v_init_l    = v_init_later * threshold_l  (the layers fed spikes; 0 by default)

A percentile below 100 clips rare large activations for finer rates everywhere else (robust
normalisation, Rueckauer et al. 2017). For a constant input current, starting the membrane at
half the threshold makes the spike count the nearest integer to `a T / threshold` instead of
its floor, halving the error (Bu et al., ICLR 2022): that holds for the first IF layer, fed
the same input at every step. The later layers get spike trains that start with a transient
(the first layer's first spikes), which a half-full membrane turns into spurious spikes; on
held-out training images of the MNIST benchmark (benchmarks/convert_accuracy.py), starting
only the first layer at half the threshold agreed with the ReLU network more often at every
T than starting all layers at half or all at 0, hence the defaults. The outputs of the last
layer, one per step, average to the ReLU network's logits as T grows: accuracy against T is
the honest curve of a conversion.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal, get_args

import torch
from torch import nn

from greenspike.errors import InvalidInputError
from greenspike.interop._chain import Layers, fold_batch_norms, layer_chain, without_identities
from greenspike.interop.network import GraphNetwork, Scale, run_layer
from greenspike.interop.parameters import DEFAULT_DT
from greenspike.snn import IF, AccumulatedMaxPool2d
from greenspike.snn.neuron import Neuron

Normalisation = Literal["max", "percentile"]
NORMALISATIONS: tuple[Normalisation, ...] = get_args(Normalisation)
# What convert reads, after batch norms are folded and dropout taken out.
_SYNAPTIC = (nn.Linear, nn.Conv1d, nn.Conv2d)
_SHAPING = (nn.Flatten, nn.AvgPool2d)


@dataclass(frozen=True)
class ConvertedLayer:
    """One layer of IF neurons of a converted network.

    Args:
        name: the layer's name in the network (that of the ReLU it replaces).
        threshold: its threshold, the activation scale one spike stands for.
        activation_max: the largest activation of the ReLU on the calibration data.
        clipped: the share of the calibration activations above the threshold (0 for "max").
        neurons: neurons per sample.
    """

    name: str
    threshold: float
    activation_max: float
    clipped: float
    neurons: int


@dataclass(frozen=True)
class ConversionReport:
    """How a network was converted: normalisation, calibration and each layer's threshold.

    Args:
        normalisation: "max" or "percentile".
        percentile: the percentile of the activations a threshold is set to (None for "max").
        v_init: the membrane the first IF layer starts from, as a fraction of its threshold.
        v_init_later: the same for the later IF layers (fed spikes).
        calibration_samples: samples the thresholds were measured on.
        layers: the IF layers, in order.
        folded: the batch norms folded into the layer before them.
        removed: the layers removed as the identity at inference (dropout, `nn.Identity`).
        accumulated_max_pools: the max pools after the first ReLU, which became
            `greenspike.snn.AccumulatedMaxPool2d` layers.
    """

    normalisation: Normalisation
    percentile: float | None
    v_init: float
    v_init_later: float
    calibration_samples: int
    layers: tuple[ConvertedLayer, ...]
    folded: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    accumulated_max_pools: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return asdict(self)


class ConvertedNetwork(nn.Module):
    """A converted network: inputs `[B, ...]` (as the ReLU network takes them) -> `[T, B, ...]`.

    `network(images)` runs `steps` time steps: the layers before the first IF layer compute
    once (their input is the same at every step), then the spiking layers run over time. Its
    outputs average over the steps to the ReLU network's outputs; predict with the class of
    the largest mean output. `network` is the same spiking network as a `GraphNetwork` over
    time-major inputs `[T, B, ...]` (each step fed the input): what `to_nir` exports.

    Attributes:
        network: the layers, as a `GraphNetwork` (a chain).
        steps: the time steps an inference runs when `forward` is not told otherwise.
        report: how the network was converted (`ConversionReport`).
    """

    def __init__(self, network: GraphNetwork, steps: int, report: ConversionReport) -> None:
        super().__init__()
        self.network = network
        self.steps = _checked_steps(steps)
        self.report = report

    def forward(self, images: torch.Tensor, steps: int | None = None) -> torch.Tensor:
        """Run `steps` time steps (default `self.steps`) on `images` `[B, *input_shape]`.

        Returns:
            The outputs `[T, B, ...]`, one per step.

        Raises:
            InvalidInputError: `images` is not `[B, *input_shape]`, or `steps` not an integer
                >= 1.
        """
        steps = self.steps if steps is None else _checked_steps(steps)
        shape = self.network.input_shape
        if images.dim() != len(shape) + 1 or tuple(images.shape[1:]) != shape:
            raise InvalidInputError(
                f"the converted network takes inputs [B, {', '.join(map(str, shape))}] (as "
                f"the ReLU network did), got shape {list(images.shape)}"
            )
        layers = [self.network.layers[name] for name in self.network.order]
        first = next(i for i, layer in enumerate(layers) if isinstance(layer, Neuron))
        x = images
        for layer in layers[:first]:  # the same input at every step: compute once
            x = layer(x)
        x = x.unsqueeze(0).expand(steps, *x.shape)
        for layer in layers[first:]:
            x = run_layer(layer, x)
        return x

    def extra_repr(self) -> str:
        """The default number of steps and the normalisation, for `repr`."""
        return f"steps={self.steps}, normalisation={self.report.normalisation!r}"


def convert(
    model: nn.Module,
    calibration: torch.Tensor | Iterable[Any],
    *,
    steps: int = 32,
    normalisation: Normalisation = "percentile",
    percentile: float = 99.9,
    v_init: float = 0.5,
    v_init_later: float = 0.0,
    batch_size: int = 256,
) -> ConvertedNetwork:
    """Convert a trained ReLU network into a spiking network of IF neurons (equations above).

    `model` is an `nn.Sequential` (nested ones are flattened) or a model whose forward
    `torch.fx` traces as a chain of layers. Layers: `nn.Linear`, `nn.Conv1d`, `nn.Conv2d`,
    `nn.ReLU` (each becomes an `IF` layer), `nn.Flatten`, `nn.AvgPool2d`, `nn.MaxPool2d`,
    `nn.BatchNorm1d`/`2d` (folded into the layer right before it, with its running
    statistics), and dropout or `nn.Identity` (removed: the identity at inference). A max pool
    before the first ReLU stays one (its input is the same at every step); after it, a max
    pool of spikes would take their OR, so it becomes an `AccumulatedMaxPool2d` placed before
    the neurons (a max pool right after a ReLU commutes with it): the max of the accumulated
    currents, exact in the limit. The model is not changed; the network returned holds copies.

    Args:
        model: the trained ReLU network, taking inputs `[B, ...]`.
        calibration: inputs the thresholds are measured on (training data, not the test set):
            a tensor `[N, ...]`, or an iterable of tensors or of `(inputs, labels)` pairs.
        steps: the time steps an inference runs by default (`ConvertedNetwork.steps`).
        normalisation: "percentile" (robust, the default) or "max".
        percentile: the percentile of each layer's activations (zeros included) its
            threshold is set to, in (0, 100]; used with "percentile".
        v_init: the membrane the first IF layer (fed the input, the same at every step)
            starts from, as a fraction of its threshold, in [0, 1); 0.5 (the default) halves
            the error of its spike counts, 0 is the classic conversion.
        v_init_later: the same for the later IF layers (fed spikes), in [0, 1); 0 by default
            (0.5 everywhere is Bu et al.'s setting).
        batch_size: calibration inputs per forward pass (bounds memory).

    Returns:
        The spiking network, with its `ConversionReport` in `.report`.

    Raises:
        InvalidInputError: a layer convert cannot convert (named), a batch norm that does not
            follow a Linear or Conv layer, a model without ReLU, a max pool with dilation,
            `ceil_mode` or indices after the first ReLU, a ReLU that never activates on the
            calibration data, calibration data that is empty, not a tensor or not accepted by
            the model, or an argument out of range.
    """
    steps = _checked_steps(steps)
    if normalisation not in NORMALISATIONS:
        raise InvalidInputError(
            f"normalisation must be one of {', '.join(map(repr, NORMALISATIONS))}, "
            f"got {normalisation!r}"
        )
    if not (isinstance(percentile, int | float) and 0 < percentile <= 100):
        raise InvalidInputError(f"percentile must be in (0, 100], got {percentile!r}")
    for name, value in (("v_init", v_init), ("v_init_later", v_init_later)):
        if not (isinstance(value, int | float) and 0 <= value < 1):
            raise InvalidInputError(
                f"{name} must be a fraction of the threshold in [0, 1), got {value!r}"
            )
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise InvalidInputError(f"batch_size must be an integer >= 1, got {batch_size!r}")
    layers = [(name, copy.deepcopy(layer)) for name, layer in layer_chain(model, "convert")]
    parameter = next(model.parameters(), None)
    images = _calibration_inputs(calibration)
    if parameter is not None:
        images = images.to(parameter.device)
    layers, removed = without_identities(layers)
    layers, folded = fold_batch_norms(layers, "convert")
    plan = _plan(layers)
    for _, layer in plan:
        layer.eval()
    p = 100.0 if normalisation == "max" else float(percentile)
    statistics = _calibrate(plan, images, p, batch_size)
    starts = (float(v_init), float(v_init_later))
    spiking, converted, pools = _spiking_layers(plan, statistics, starts)
    names = list(spiking)
    edges = list(zip(["input", *names], [*names, "output"], strict=True))
    network = GraphNetwork(spiking, edges, tuple(images.shape[1:]), DEFAULT_DT).to(images.device)
    report = ConversionReport(
        normalisation=normalisation,
        percentile=None if normalisation == "max" else float(percentile),
        v_init=float(v_init),
        v_init_later=float(v_init_later),
        calibration_samples=len(images),
        layers=converted,
        folded=folded,
        removed=removed,
        accumulated_max_pools=pools,
    )
    return ConvertedNetwork(network, steps, report)


def _checked_steps(steps: int) -> int:
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise InvalidInputError(f"steps must be an integer >= 1, got {steps!r}")
    return steps


def _calibration_inputs(calibration: torch.Tensor | Iterable[Any]) -> torch.Tensor:
    """The calibration inputs as one tensor `[N, ...]`."""
    if isinstance(calibration, torch.Tensor):
        batches = [calibration]
    else:
        try:
            batches = [b[0] if isinstance(b, tuple | list) else b for b in calibration]
        except TypeError as error:
            raise InvalidInputError(
                "calibration must be a tensor [N, ...] or an iterable of tensors or of "
                f"(inputs, labels) pairs, got {type(calibration).__name__}"
            ) from error
    if not batches or not all(isinstance(b, torch.Tensor) and b.dim() >= 1 for b in batches):
        raise InvalidInputError(
            "calibration must be a tensor [N, ...] or an iterable of tensors or of "
            "(inputs, labels) pairs, with at least one sample"
        )
    try:
        images = torch.cat([b.detach() for b in batches])
    except RuntimeError as error:
        raise InvalidInputError(f"calibration batches do not fit together: {error}") from error
    if len(images) == 0:
        raise InvalidInputError("calibration holds no samples: the thresholds need some")
    if not images.is_floating_point():
        images = images.to(torch.get_default_dtype())
    return images


def _plan(layers: Layers) -> Layers:
    """The ReLU network reordered for the spiking one, checked layer by layer.

    Max pools right after a ReLU move before it (`relu(maxpool(x)) = maxpool(relu(x))`, the
    same network), so that they pool currents, not spikes; a ReLU right after a ReLU goes.
    """
    plan: Layers = []
    for name, layer in layers:
        if isinstance(layer, nn.ReLU):
            if plan and isinstance(plan[-1][1], nn.ReLU):
                continue
            plan.append((name, layer))
        elif isinstance(layer, nn.MaxPool2d):
            if plan and isinstance(plan[-1][1], nn.ReLU):
                plan.insert(len(plan) - 1, (name, layer))
            else:
                plan.append((name, layer))
        elif isinstance(layer, _SYNAPTIC + _SHAPING):
            plan.append((name, layer))
        else:
            raise InvalidInputError(
                f"layer {name!r} ({type(layer).__name__}) cannot be converted: convert reads "
                "nn.Linear, nn.Conv1d, nn.Conv2d, nn.ReLU, nn.Flatten, nn.AvgPool2d, "
                "nn.MaxPool2d, nn.BatchNorm1d/2d (folded) and dropout (removed)"
            )
    if not any(isinstance(layer, nn.ReLU) for _, layer in plan):
        raise InvalidInputError(
            "the model has no ReLU: there is nothing to turn into spiking neurons"
        )
    return plan


@dataclass
class _Activations:
    """A ReLU's calibration activations so far: count, largest values, maximum."""

    keep: int
    count: int = 0
    largest: torch.Tensor | None = None
    neurons: int = 0

    def add(self, values: torch.Tensor) -> None:
        flat = values.detach().flatten().to(torch.float64)
        pool = flat if self.largest is None else torch.cat([self.largest, flat])
        self.largest = pool.topk(min(self.keep, len(pool))).values
        self.count += flat.numel()


def _calibrate(plan: Layers, images: torch.Tensor, p: float, batch_size: int) -> dict[str, Any]:
    """Per ReLU: (threshold, maximum, share clipped, neurons per sample) on the calibration data.

    The threshold is the p-th percentile by nearest rank, the value with `ceil(p / 100 * n)`
    activations at or below it: the smallest of the `n - ceil(p / 100 * n) + 1` largest, kept
    as the data streams by.
    """
    per_sample = _activation_sizes(plan, images[:1])
    total = len(images)
    tallies = {
        name: _Activations(keep=n * total - math.ceil(p / 100 * n * total) + 1, neurons=n)
        for name, n in per_sample.items()
    }
    with torch.no_grad():
        for start in range(0, total, batch_size):
            x = images[start : start + batch_size]
            for name, layer in plan:
                x = _run(name, layer, x)
                if name in tallies:
                    tallies[name].add(x)
    statistics = {}
    for name, tally in tallies.items():
        assert tally.largest is not None
        threshold = float(tally.largest[-1]) if len(tally.largest) else 0.0
        maximum = float(tally.largest[0])
        if not threshold > 0:
            raise InvalidInputError(
                f"ReLU {name!r} gives no activation above 0 at the {p:g}th percentile on the "
                f"{total} calibration samples (largest {maximum:g}): there is nothing to set "
                "its threshold from; calibrate on more data, or with a higher percentile"
            )
        clipped = float((tally.largest > threshold).sum()) / tally.count
        statistics[name] = (threshold, maximum, clipped, tally.neurons)
    return statistics


def _activation_sizes(plan: Layers, sample: torch.Tensor) -> dict[str, int]:
    sizes = {}
    with torch.no_grad():
        x = sample
        for name, layer in plan:
            x = _run(name, layer, x)
            if isinstance(layer, nn.ReLU):
                sizes[name] = x[0].numel()
    return sizes


def _run(name: str, layer: nn.Module, x: torch.Tensor) -> torch.Tensor:
    try:
        return layer(x)
    except RuntimeError as error:
        raise InvalidInputError(
            f"layer {name!r} ({type(layer).__name__}) cannot take the calibration inputs "
            f"(shape {list(x.shape)} there): {error}"
        ) from error


def _spiking_layers(
    plan: Layers, statistics: dict[str, Any], starts: tuple[float, float]
) -> tuple[dict[str, nn.Module], tuple[ConvertedLayer, ...], tuple[str, ...]]:
    """The spiking network's layers by name, its IF layers, and its accumulated max pools."""
    layers: dict[str, nn.Module] = {}
    converted: list[ConvertedLayer] = []
    pools: list[str] = []
    scale: float | None = None  # what one unit of the current signal stands for (spikes)
    spiking = False  # after the first ReLU
    for name, layer in plan:
        key = _key(name, layers)
        if isinstance(layer, nn.ReLU):
            threshold, maximum, clipped, neurons = statistics[name]
            start = starts[1] if converted else starts[0]
            layers[key] = IF(
                threshold, reset="subtract", v_init=start * threshold if start else None
            )
            converted.append(ConvertedLayer(key, threshold, maximum, clipped, neurons))
            scale, spiking = threshold, True
        elif isinstance(layer, _SYNAPTIC):
            if scale is not None:
                with torch.no_grad():
                    layer.weight.mul_(scale)
                scale = None
            layers[key] = layer
        elif isinstance(layer, nn.MaxPool2d) and spiking:
            layers[key] = _accumulated(name, layer)
            pools.append(key)
        else:
            layers[key] = layer
    if scale is not None:  # the network ends in spikes: give them the ReLU's scale back
        layers[_key("scale", layers)] = Scale(torch.tensor(scale))
    return layers, tuple(converted), tuple(pools)


def _accumulated(name: str, pool: nn.MaxPool2d) -> AccumulatedMaxPool2d:
    dilation = pool.dilation if isinstance(pool.dilation, tuple) else (pool.dilation,)
    if pool.ceil_mode or pool.return_indices or any(d != 1 for d in dilation):
        raise InvalidInputError(
            f"layer {name!r} (MaxPool2d) uses dilation, ceil_mode or return_indices, which "
            "the accumulated max pool of a spiking layer does not support"
        )
    return AccumulatedMaxPool2d(pool.kernel_size, pool.stride, pool.padding)


def _key(name: str, taken: dict[str, nn.Module]) -> str:
    """A layer name for the network: unique, and neither "input" nor "output"."""
    key, n = name, 1
    while key in taken or key in ("input", "output"):
        key, n = f"{name}_{n}", n + 1
    return key
