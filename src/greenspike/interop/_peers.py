"""The peer SNN libraries, imported only when one of their models is imported into greenspike.

Also what the three importers share: the chain of layers read, and the network they build.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

from torch import nn

from greenspike.errors import InvalidInputError, MissingExtraError
from greenspike.interop._chain import (
    STATELESS,
    Layers,
    fold_batch_norms,
    infer_input_shape,
    layer_chain,
    plain_copy,
    without_identities,
)
from greenspike.interop.network import GraphNetwork
from greenspike.snn import surrogate

# The versions the mappings were checked against (tests/interop/test_importers.py).
CHECKED = {"snntorch": "1.0", "spikingjelly": "2.0", "norse": "1.1"}


def require_peer(module: str, package: str) -> ModuleType:
    """Import a peer library's module.

    Raises:
        MissingExtraError: the peer is not installed (the message says how to install it).
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise MissingExtraError(
            f"importing a {package} model needs {package} ({CHECKED[package]} was checked): "
            f"pip install {package}"
        ) from error


def imported_network(
    model: nn.Module,
    caller: str,
    neurons: tuple[type, ...],
    neuron: Callable[[str, nn.Module], list[nn.Module]],
    input_shape: Any,
    dt: float,
    removable: tuple[type, ...] = (),
) -> GraphNetwork:
    """The GraphNetwork of a peer's chain of layers, its neurons mapped by `neuron`.

    Args:
        model: the peer's model (`nn.Sequential`, or a chain `torch.fx` can trace).
        caller: the public function, for messages.
        neurons: the peer's neuron base classes (leaves for the tracer).
        neuron: maps a neuron layer (by name) to its greenspike layers (one, or a `Scale`
            and one); raises InvalidInputError for one it cannot map.
        input_shape: one sample's shape, or None to read it from a first `nn.Linear`.
        dt: the network's time step, for a later NIR export.
        removable: the peer's layers that are the identity at inference (its dropout).

    Raises:
        InvalidInputError: a layer that has no greenspike form (named), a batch norm that does
            not follow a Linear or Conv layer, a bad `input_shape`.
    """
    layers = layer_chain(model, caller, leaves=neurons)
    kept = [(name, layer) for name, layer in layers if not isinstance(layer, removable)]
    kept, _ = without_identities(kept)
    kept, _ = fold_batch_norms(kept, caller)
    mapped: Layers = []
    for name, layer in kept:
        if isinstance(layer, neurons):
            modules = neuron(name, layer)
            if len(modules) == 2:
                mapped.append((f"{name}_gain", modules[0]))
            mapped.append((name, modules[-1]))
        elif isinstance(layer, STATELESS):
            mapped.append((name, plain_copy(layer)))
        else:
            raise InvalidInputError(
                f"layer {name!r} ({type(layer).__name__}) has no greenspike form: {caller} reads "
                "nn.Linear, nn.Conv1d, nn.Conv2d, nn.Flatten, nn.AvgPool2d, nn.MaxPool2d, "
                "batch norms (folded), dropout (removed) and the neurons its docstring lists"
            )
    shape = infer_input_shape(kept, input_shape, caller)
    names = [name for name, _ in mapped]
    edges = list(zip(["input", *names], [*names, "output"], strict=True))
    return GraphNetwork(dict(mapped), edges, shape, dt)


def scalar(value: Any) -> float:
    """A peer's parameter (a number or a one-element tensor) as a float."""
    return float(value.detach()) if hasattr(value, "detach") else float(value)


def known_surrogate(kind: str, parameter: float | None) -> surrogate.Surrogate:
    """Greenspike's surrogate of the same shape, by the peer's name for it; else the default."""
    makers: dict[str, Callable[[float], surrogate.Surrogate]] = {
        "atan": surrogate.atan,
        "sigmoid": surrogate.sigmoid,
        "fast_sigmoid": surrogate.fast_sigmoid,
    }
    if kind in makers and parameter is not None:
        return makers[kind](parameter)
    return surrogate.DEFAULT_SURROGATE
