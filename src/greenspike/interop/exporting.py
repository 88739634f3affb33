"""`to_nir`: a greenspike model as a NIR graph (`nir.NIRGraph`)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import torch
from torch import nn

from greenspike._version import __version__
from greenspike.errors import InvalidInputError
from greenspike.interop._chain import checked_input_shape, flattened
from greenspike.interop._nir import require_nir
from greenspike.interop.convert import ConvertedNetwork
from greenspike.interop.network import (
    STEP_LAYERS,
    GraphNetwork,
    Scale,
    topological_order,
)
from greenspike.interop.parameters import DEFAULT_DT, checked_dt, decay_to_tau
from greenspike.snn import ALIF, LIF, AccumulatedMaxPool2d, CubaLIF, LeakyIntegrator, RecurrentLIF
from greenspike.snn.neuron import Neuron

Shape = tuple[int, ...]


def to_nir(model: nn.Module, *, dt: float | None = None, input_shape: Shape | None = None) -> Any:
    """Describe `model` as a NIR graph, with time constants for a step of `dt` seconds.

    `dt` defaults to `DEFAULT_DT` (1e-4 s, the step snnTorch 1.0's importer assumes), or to a
    `GraphNetwork`'s own `dt`. The same spikes need the importer to use the same `dt`.

    `model` is an `nn.Sequential` (nested ones are flattened), a `GraphNetwork` (what
    `from_nir` returns), a `ConvertedNetwork` (what `convert` returns: its `network`, each
    step fed the input) or a single layer. Layers: `nn.Linear` (NIR `Affine`, or `Linear`
    without bias), `nn.Conv1d`, `nn.Conv2d`, `nn.Flatten`, `nn.AvgPool2d`, `SumPool2d`, `Scale`,
    `LIF`, `IF`, `CubaLIF`, `RecurrentLIF` and `LeakyIntegrator`. Stateless layers are read as
    acting on one time step `[B, ...]` (so `nn.Flatten(start_dim=1)` is NIR's `start_dim=0`).

    Neurons (`beta`, `alpha` per step; see `greenspike.interop.parameters`):

    - `LIF(reset="zero")` -> NIR `LIF(tau = dt / (1 - beta), r = tau / dt, v_leak = 0,
      v_threshold = threshold, v_reset = 0)`; `IF(reset="zero")` -> NIR `IF(r = 1,
      v_threshold)`, read per step as `v += r x` (as Norse 1.1 and snnTorch 1.0 do).
    - `LIF` / `IF` with `reset="subtract"` or `"none"`: NIR has no such neuron, so a subgraph
      `input -> membrane (LI or I) -> spike (Threshold) -> output`; a subtractive reset is the
      feedback `spike -> reset (Scale = -beta * threshold) -> membrane` (one step later),
      since `v - threshold * s` then decays by `beta` before the next input; with
      `reset_delay` the threshold is subtracted undecayed: `Scale = -threshold`.
    - `IF` with `v_init = c` (reset "subtract" or "none"): the same subgraph on the membrane
      `v - c`, which starts at 0: `Threshold = threshold - c`, `Scale = -threshold` (needs
      `c < threshold`; a leaky neuron with `v_init` has no NIR form, its offset would decay).
    - `RecurrentLIF`: a subgraph whose `w_rec` (`Linear`, or `Affine` with the recurrent bias)
      feeds the spikes back, into a NIR `LIF` (reset "zero") or the membrane of the subgraph
      above.
    - `CubaLIF(reset="zero")` -> NIR `CubaLIF(tau_syn = dt / (1 - alpha), tau_mem =
      dt / (1 - beta), w_in = tau_syn / dt, r = tau_mem / dt, v_threshold)`; other resets refuse.
    - `LeakyIntegrator` -> NIR `LI` (or `I` for `beta = 1`).

    Surrogate gradients and `detach_reset` only shape training and are not exported. `ALIF`,
    a reset "zero" delayed to the next step, max pooling (`nn.MaxPool2d`,
    `AccumulatedMaxPool2d`: NIR has none) and any other layer are refused. `input_shape` (one
    sample, e.g. `(2, 34, 34)`) is needed unless the first layer is an `nn.Linear` or the
    model a `GraphNetwork`. The graph's
    metadata records `dt` and the producer.

    Raises:
        InvalidInputError: naming the layer: a layer with no exact NIR form (`ALIF`, a
            `CubaLIF` reset other than "zero", a delayed reset to zero, `v_init` on a leaky
            neuron, max pooling, a layer of another type, a parameter that does not broadcast
            to its neurons, `beta = 1` mixed with `beta < 1`, a NaN or infinite parameter,
            ...); also a bad
            `dt`, a missing or bad `input_shape`, and inputs of different shapes meeting at a
            layer.
        MissingExtraError: `nir` is not installed.
    """
    nir = require_nir()
    if isinstance(model, ConvertedNetwork):
        model = model.network
    if dt is None:
        dt = model.dt if isinstance(model, GraphNetwork) else DEFAULT_DT
    dt = checked_dt(dt)
    layers, edges = _layers_and_edges(model)
    if input_shape is None:
        input_shape = _infer_input_shape(model, layers, edges)
    shapes: dict[str, Shape] = {"input": checked_input_shape(input_shape)}
    nodes: dict[str, Any] = {"input": nir.Input(input_type=np.array(shapes["input"]))}
    for name in topological_order(list(layers), edges):
        shape = _incoming_shape(name, edges, shapes)
        nodes[name], shapes[name] = _node(nir, name, layers[name], shape, dt)
    shapes["output"] = _incoming_shape("output", edges, shapes)
    nodes["output"] = nir.Output(output_type=np.array(shapes["output"]))
    metadata = {"dt": dt, "producer": f"greenspike {__version__}"}
    return nir.NIRGraph(nodes=nodes, edges=list(edges), metadata=metadata)


def _layers_and_edges(model: nn.Module) -> tuple[dict[str, nn.Module], list[tuple[str, str]]]:
    if isinstance(model, GraphNetwork):
        return dict(model.layers.items()), list(model.edges)
    if not isinstance(model, nn.Module):
        raise InvalidInputError(f"to_nir exports a torch nn.Module, got {type(model).__name__}")
    layers = dict(flattened(model)) if isinstance(model, nn.Sequential) else {"0": model}
    if not layers:
        raise InvalidInputError("to_nir got an empty nn.Sequential: there is nothing to export")
    names = ["input", *layers, "output"]
    return layers, list(itertools.pairwise(names))


def _infer_input_shape(model, layers, edges) -> Shape:
    if isinstance(model, GraphNetwork):
        return model.input_shape
    first = layers[next(b for a, b in edges if a == "input")]
    if isinstance(first, nn.Linear):
        return (first.in_features,)
    raise InvalidInputError(
        f"to_nir needs input_shape (one sample, without time and batch) for a model that "
        f"starts with {type(first).__name__}, e.g. input_shape=(2, 34, 34)"
    )


def _incoming_shape(name: str, edges, shapes: dict[str, Shape]) -> Shape:
    incoming = {shapes[a] for a, b in edges if b == name}
    if len(incoming) != 1:
        raise InvalidInputError(f"the inputs of {name!r} have different shapes: {sorted(incoming)}")
    return incoming.pop()


def _node(nir, name: str, layer: nn.Module, shape: Shape, dt: float) -> tuple[Any, Shape]:
    _check_finite(name, layer)
    if isinstance(layer, (nn.MaxPool2d, AccumulatedMaxPool2d)):
        raise InvalidInputError(
            f"layer {name!r} ({type(layer).__name__}) has no NIR equivalent: NIR has no max "
            "pooling; build the network with nn.AvgPool2d to export it"
        )
    if isinstance(layer, Neuron):
        return _neuron_node(nir, name, layer, shape, dt), shape
    if isinstance(layer, Scale):
        return nir.Scale(scale=_per_neuron(layer.scale, shape, name, "scale")), shape
    if isinstance(layer, STEP_LAYERS):
        out_shape = _step_output_shape(name, layer, shape)
        return _step_node(nir, name, layer, shape), out_shape
    raise InvalidInputError(
        f"layer {name!r} ({type(layer).__name__}) has no NIR equivalent; supported: nn.Linear, "
        "nn.Conv1d, nn.Conv2d, nn.Flatten, nn.AvgPool2d, SumPool2d, Scale, LIF, IF, CubaLIF, "
        "RecurrentLIF, LeakyIntegrator"
    )


def _check_finite(name: str, layer: nn.Module) -> None:
    """Refuse a NaN or infinite parameter: `from_nir` refuses it, so the file would be unusable.

    Raises:
        InvalidInputError: naming the layer and the parameter (or buffer).
    """
    values = itertools.chain(layer.named_parameters(), layer.named_buffers())
    for what, value in values:
        if value.is_floating_point() and not bool(torch.isfinite(value.detach()).all()):
            raise InvalidInputError(
                f"layer {name!r} ({type(layer).__name__}): {what} contains NaN or infinite "
                "values, which a NIR file cannot carry (greenspike's importer refuses them); "
                "fix or retrain the model before exporting"
            )


def _step_output_shape(name: str, layer: nn.Module, shape: Shape) -> Shape:
    try:
        with torch.no_grad():
            return tuple(layer(torch.zeros(1, *shape)).shape[1:])
    except RuntimeError as error:
        raise InvalidInputError(
            f"layer {name!r} ({type(layer).__name__}) cannot take one step of shape "
            f"{list(shape)}: {error}"
        ) from error


def _step_node(nir, name: str, layer: nn.Module, shape: Shape) -> Any:
    if isinstance(layer, nn.Linear):
        if len(shape) != 1:
            raise InvalidInputError(
                f"layer {name!r} (nn.Linear) gets inputs of shape {list(shape)}; NIR's Affine "
                "maps vectors: flatten first"
            )
        weight = _numpy(layer.weight)
        if layer.bias is None:
            return nir.Linear(weight=weight)
        return nir.Affine(weight=weight, bias=_numpy(layer.bias))
    if isinstance(layer, (nn.Conv1d, nn.Conv2d)):
        return _conv_node(nir, name, layer, shape)
    if isinstance(layer, nn.Flatten):
        return nir.Flatten(
            input_type={"input": np.array(shape)},
            start_dim=_without_batch(name, layer.start_dim),
            end_dim=_without_batch(name, layer.end_dim),
        )
    if isinstance(layer, nn.AvgPool2d):
        if layer.ceil_mode or not layer.count_include_pad or layer.divisor_override:
            raise InvalidInputError(
                f"layer {name!r} (nn.AvgPool2d) uses ceil_mode, count_include_pad=False or "
                "divisor_override, which NIR's AvgPool2d cannot express"
            )
        stride = layer.kernel_size if layer.stride is None else layer.stride
        return nir.AvgPool2d(
            kernel_size=_pair_array(layer.kernel_size),
            stride=_pair_array(stride),
            padding=_pair_array(layer.padding),
        )
    return nir.SumPool2d(
        kernel_size=np.array(layer.kernel_size),
        stride=np.array(layer.stride),
        padding=np.array(layer.padding),
    )


def _conv_node(nir, name: str, layer: nn.Conv1d | nn.Conv2d, shape: Shape) -> Any:
    if layer.padding_mode != "zeros":
        raise InvalidInputError(
            f"layer {name!r} ({type(layer).__name__}) pads with {layer.padding_mode!r}; NIR "
            "convolutions pad with zeros"
        )
    bias = np.zeros(layer.out_channels, np.float32) if layer.bias is None else _numpy(layer.bias)
    arguments = {"weight": _numpy(layer.weight), "groups": layer.groups, "bias": bias}
    if isinstance(layer, nn.Conv1d):
        padding = layer.padding if isinstance(layer.padding, str) else layer.padding[0]
        return nir.Conv1d(
            input_shape=shape[1],
            stride=layer.stride[0],
            padding=padding,
            dilation=layer.dilation[0],
            **arguments,
        )
    return nir.Conv2d(
        input_shape=tuple(shape[1:]),
        stride=tuple(layer.stride),
        padding=layer.padding,
        dilation=tuple(layer.dilation),
        **arguments,
    )


def _neuron_node(nir, name: str, layer: Neuron, shape: Shape, dt: float) -> Any:
    if isinstance(layer, ALIF):
        raise InvalidInputError(
            f"layer {name!r} (ALIF) has no NIR equivalent: NIR has no adaptive-threshold neuron"
        )
    if isinstance(layer, LeakyIntegrator):
        beta = _per_neuron(layer.beta.clamp(0, 1), shape, name, "beta")
        return _membrane(nir, name, beta, dt)
    if isinstance(layer, CubaLIF):
        return _cuba_lif_node(nir, name, layer, shape, dt)
    if isinstance(layer, (LIF, RecurrentLIF)):
        return _lif_node(nir, name, layer, shape, dt)
    raise InvalidInputError(f"layer {name!r} ({type(layer).__name__}) has no NIR equivalent")


def _lif_node(nir, name: str, layer: LIF | RecurrentLIF, shape: Shape, dt: float) -> Any:
    beta = _per_neuron(layer.beta.clamp(0, 1), shape, name, "beta")
    threshold = _per_neuron(layer.threshold, shape, name, "threshold")
    offset = _start_offset(name, layer, beta, shape)
    recurrent = isinstance(layer, RecurrentLIF)
    if layer.reset_delay and layer.reset == "zero":
        raise InvalidInputError(
            f"layer {name!r} ({type(layer).__name__}) resets to zero one step after a spike "
            "(reset_delay): NIR's neurons reset at once, so it has no NIR form; export it "
            "with reset_delay=False"
        )
    nodes = {"input": nir.Input(input_type=np.array(shape))}
    zero = layer.reset == "zero" and offset is None
    edges = [("input", "lif" if zero else "membrane")]
    if zero:
        if not recurrent:
            return _resetting_node(nir, name, beta, threshold, dt)
        nodes["lif"] = _resetting_node(nir, name, beta, threshold, dt)
        spike = "lif"
    else:
        nodes["membrane"] = _membrane(nir, name, beta, dt)
        fire_at = threshold if offset is None else threshold - offset
        nodes["spike"] = nir.Threshold(threshold=fire_at)
        edges.append(("membrane", "spike"))
        spike = "spike"
        if layer.reset == "subtract":
            decayed = not layer.reset_delay and offset is None
            nodes["reset"] = nir.Scale(scale=-(beta * threshold if decayed else threshold))
            edges += [("spike", "reset"), ("reset", "membrane")]
    if isinstance(layer, RecurrentLIF):
        weight = _numpy(layer.recurrent.weight)
        bias = layer.recurrent.bias
        nodes["w_rec"] = (
            nir.Linear(weight=weight)
            if bias is None
            else nir.Affine(weight=weight, bias=_numpy(bias))
        )
        edges += [(spike, "w_rec"), ("w_rec", spike if zero else "membrane")]
    nodes["output"] = nir.Output(output_type=np.array(shape))
    edges.append((spike, "output"))
    return nir.NIRGraph(nodes=nodes, edges=edges)


def _start_offset(name: str, layer: LIF | RecurrentLIF, beta, shape: Shape) -> Any:
    """A non-zero `v_init` of an IF layer as a float64 array; None when it starts at 0.

    NIR neurons start at rest, so the exported membrane is `v - v_init`; only a neuron
    without leak keeps that offset constant, and only one that resets by subtraction (or not
    at all) keeps it through its resets.
    """
    v_init = getattr(layer, "v_init", None)
    if v_init is None:
        return None
    offset = _per_neuron(v_init, shape, name, "v_init")
    if np.all(offset == 0):
        return None
    if not np.all(beta == 1) or layer.reset == "zero":
        raise InvalidInputError(
            f"layer {name!r} ({type(layer).__name__}) starts from v_init != 0 with "
            f"{'a leak' if not np.all(beta == 1) else 'reset zero'}: NIR neurons start at rest, "
            "and only an IF neuron resetting by subtraction (or not at all) can carry the "
            "offset (as v - v_init); export with v_init=None"
        )
    if np.any(offset >= _per_neuron(layer.threshold, shape, name, "threshold")):
        raise InvalidInputError(
            f"layer {name!r} ({type(layer).__name__}): v_init must be below the threshold "
            "for its NIR form (a threshold of threshold - v_init > 0)"
        )
    return offset


def _resetting_node(nir, name: str, beta, threshold, dt: float) -> Any:
    zeros = np.zeros_like(beta)
    if np.all(beta == 1):
        return nir.IF(r=np.ones_like(beta), v_threshold=threshold, v_reset=zeros)
    _check_leaky(name, beta)
    tau = decay_to_tau(beta, dt)
    return nir.LIF(tau=tau, r=tau / dt, v_leak=zeros, v_threshold=threshold, v_reset=zeros)


def _membrane(nir, name: str, beta, dt: float) -> Any:
    """NIR's `I` (`beta = 1`) or `LI` with unit input gain: `v[t] = beta v[t-1] + x[t]`."""
    if np.all(beta == 1):
        return nir.I(r=np.ones_like(beta))
    _check_leaky(name, beta)
    tau = decay_to_tau(beta, dt)
    return nir.LI(tau=tau, r=tau / dt, v_leak=np.zeros_like(beta))


def _cuba_lif_node(nir, name: str, layer: CubaLIF, shape: Shape, dt: float) -> Any:
    if layer.reset != "zero":
        raise InvalidInputError(
            f"layer {name!r} (CubaLIF) resets with {layer.reset!r}; NIR's CubaLIF resets the "
            "membrane to zero: export it with reset='zero' (no exact NIR form of the other resets)"
        )
    alpha = _per_neuron(layer.alpha.clamp(0, 1), shape, name, "alpha")
    beta = _per_neuron(layer.beta.clamp(0, 1), shape, name, "beta")
    _check_leaky(name, alpha, "alpha")
    _check_leaky(name, beta)
    tau_syn, tau_mem = decay_to_tau(alpha, dt), decay_to_tau(beta, dt)
    return nir.CubaLIF(
        tau_syn=tau_syn,
        tau_mem=tau_mem,
        r=tau_mem / dt,
        v_leak=np.zeros_like(beta),
        v_threshold=_per_neuron(layer.threshold, shape, name, "threshold"),
        v_reset=np.zeros_like(beta),
        w_in=tau_syn / dt,
    )


def _check_leaky(name: str, decay: np.ndarray, what: str = "beta") -> None:
    if np.any(decay == 1):
        raise InvalidInputError(
            f"layer {name!r} has {what} = 1 for some neurons and < 1 for others (or {what} = 1 "
            f"in a neuron NIR only has with a leak): NIR's time constant would be infinite; "
            f"use {what} < 1 everywhere, or an IF layer"
        )


def _per_neuron(value: torch.Tensor, shape: Shape, name: str, what: str) -> np.ndarray:
    """A scalar or per-neuron parameter as a float64 array of the layer's neuron shape."""
    array = value.detach().cpu().to(torch.float64).numpy()
    try:
        return np.broadcast_to(array, shape).copy()
    except ValueError as error:
        raise InvalidInputError(
            f"layer {name!r}: {what} of shape {list(array.shape)} does not broadcast to its "
            f"neurons {list(shape)}"
        ) from error


def _numpy(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().cpu().numpy().copy()


def _without_batch(name: str, dim: int) -> int:
    if dim == 0:
        raise InvalidInputError(
            f"layer {name!r} (nn.Flatten) flattens the batch dimension (start_dim=0); NIR "
            "shapes have no batch: use start_dim >= 1"
        )
    return dim - 1 if dim > 0 else dim


def _pair_array(value) -> np.ndarray:
    return np.array(value if isinstance(value, (tuple, list)) else (value, value))
