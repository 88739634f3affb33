"""A model read as a chain of layers, with batch norms folded in and dropout taken out.

`convert` and the peer importers take an `nn.Sequential` (nested ones are flattened, their
names joined by "_"), or a model whose `forward` `torch.fx` traces as a chain: each step a
submodule call or one of a few functions (`F.relu`, `torch.flatten`, `x.view(x.size(0), -1)`,
`F.max_pool2d`, `F.avg_pool2d`, `F.dropout`) applied to the previous step's output alone.
Anything else (branches, additions, other functions) is refused with the node's name.
"""

from __future__ import annotations

import copy
import operator
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import fx, nn
from torch.nn import functional as F
from torch.nn.utils.fusion import fuse_conv_bn_eval, fuse_linear_bn_eval

from greenspike.errors import InvalidInputError

Layers = list[tuple[str, nn.Module]]
# Layers that are the identity at inference (eval mode): removed.
IDENTITIES = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.AlphaDropout, nn.Identity)
_BATCH_NORMS: dict[type, tuple[type, ...]] = {
    nn.BatchNorm1d: (nn.Linear, nn.Conv1d),
    nn.BatchNorm2d: (nn.Conv2d,),
}


def layer_chain(model: nn.Module, caller: str, leaves: tuple[type, ...] = ()) -> Layers:
    """`model`'s layers in the order its forward applies them, as `(name, module)` pairs.

    Args:
        model: an `nn.Sequential`, or a model whose forward is a chain `torch.fx` can trace.
        caller: the public function, for error messages.
        leaves: module types `torch.fx` must not trace into (e.g. a peer's neurons).

    Raises:
        InvalidInputError: `model` is not an `nn.Module`, is empty, or its forward is not a
            chain of layers (naming the node that is not).
    """
    if not isinstance(model, nn.Module):
        raise InvalidInputError(f"{caller} takes a torch nn.Module, got {type(model).__name__}")
    if isinstance(model, nn.Sequential):
        layers = list(flattened(model))
    else:
        layers = _traced(model, caller, leaves)
    if not layers:
        raise InvalidInputError(f"{caller} got a model without layers")
    return layers


def flattened(sequential: nn.Sequential, prefix: str = "") -> Iterator[tuple[str, nn.Module]]:
    """(name, layer) of each leaf of nested `nn.Sequential`s, names joined by "_" ("1_0")."""
    for key, layer in sequential.named_children():
        name = f"{prefix}{key}"
        if isinstance(layer, nn.Sequential):
            yield from flattened(layer, f"{name}_")
        else:
            yield name, layer


class _Tracer(fx.Tracer):
    def __init__(self, leaves: tuple[type, ...]) -> None:
        super().__init__()
        self.leaves = leaves

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        return isinstance(m, self.leaves) or super().is_leaf_module(m, module_qualified_name)


def _traced(model: nn.Module, caller: str, leaves: tuple[type, ...]) -> Layers:
    try:
        graph = _Tracer(leaves).trace(model)
    except Exception as error:  # tracing runs the user's code: any error is possible
        raise InvalidInputError(
            f"{caller} takes an nn.Sequential, or a model whose forward torch.fx can trace as "
            f"a chain of layers; tracing {type(model).__name__} failed: "
            f"{type(error).__name__}: {error}"
        ) from error
    layers: Layers = []
    current: fx.Node | None = None
    sizes: set[fx.Node] = set()  # x.size(0) nodes, consumed by a following view/reshape
    for node in graph.nodes:
        if node.op == "placeholder":
            if current is not None:
                raise InvalidInputError(f"{caller} takes models with one input, got more")
            current = node
            continue
        where = f"{type(model).__name__} node {node.name!r} ({node.op} {_target(node)})"
        if node.op == "output":
            if node.args[0] is not current:
                raise InvalidInputError(f"{where}: the output is not the last layer's")
            continue
        if node.op == "call_method" and node.target == "size" and node.args[1:] in ((0,), ()):
            if node.args[0] is not current:
                raise InvalidInputError(f"{where}: not on the previous layer's output")
            sizes.add(node)
            continue
        if node.op == "call_function" and node.target is getattr and node.args[1:] == ("shape",):
            sizes.add(node)
            continue
        if node.op == "call_function" and node.target is operator.getitem and node.args[0] in sizes:
            sizes.add(node)
            continue
        if node.args[:1] != (current,) or any(
            isinstance(a, fx.Node) and a not in sizes
            for a in [*node.args[1:], *node.kwargs.values()]
        ):
            raise InvalidInputError(
                f"{where}: {caller} takes a chain of layers, each applied to the previous "
                "layer's output alone (no branches, no sums)"
            )
        if node.op == "call_module":
            layers.append((str(node.target).replace(".", "_"), model.get_submodule(node.target)))
        else:
            layers.append((node.name, _function_layer(node, sizes, where, caller)))
        current = node
    return layers


def _target(node: fx.Node) -> str:
    return getattr(node.target, "__name__", str(node.target))


def _function_layer(node: fx.Node, sizes: set[fx.Node], where: str, caller: str) -> nn.Module:
    """The module equivalent to a traced function or method call."""
    name = node.target if node.op == "call_method" else getattr(node.target, "__name__", "")
    args, kwargs = node.args[1:], dict(node.kwargs)
    kwargs.pop("inplace", None)
    makers: dict[str, Callable[..., nn.Module]] = {
        "relu": lambda: nn.ReLU(),
        "flatten": lambda start_dim=0, end_dim=-1: nn.Flatten(start_dim, end_dim),
        "max_pool2d": nn.MaxPool2d,
        "avg_pool2d": nn.AvgPool2d,
        "dropout": lambda *a, **k: nn.Identity(),
    }
    functions: dict[Any, str] = {
        F.relu: "relu",
        torch.relu: "relu",
        torch.flatten: "flatten",
        F.max_pool2d: "max_pool2d",
        F.avg_pool2d: "avg_pool2d",
        F.dropout: "dropout",
    }
    if node.op == "call_function":
        name = functions.get(node.target, "")
    if node.op == "call_method" and name in ("view", "reshape"):
        if len(args) == 2 and args[0] in sizes and args[1] == -1:
            return nn.Flatten(1)
        name = ""
    if name not in makers or (node.op == "call_method" and name not in ("relu", "flatten")):
        raise InvalidInputError(
            f"{where}: {caller} cannot convert this call; it reads nn.Module layers, F.relu, "
            "torch.flatten, x.view(x.size(0), -1), F.max_pool2d, F.avg_pool2d and F.dropout"
        )
    if name == "relu":
        return nn.ReLU()
    try:
        return makers[name](*args, **kwargs)
    except TypeError as error:
        raise InvalidInputError(f"{where}: unexpected arguments: {error}") from error


def fold_batch_norms(layers: Layers, caller: str) -> tuple[Layers, tuple[str, ...]]:
    """Each batch norm folded into the Linear or Conv layer before it (copies; eval statistics).

    `BN(W x + b) = (gamma / sqrt(var + eps)) (W x + b - mean) + beta`, a Linear or Conv layer
    with scaled weights and a shifted bias: the same outputs as the pair in eval mode, up to
    rounding.

    Returns:
        The layers without batch norms, and the names of the batch norms folded.

    Raises:
        InvalidInputError: a batch norm that does not directly follow a Linear or Conv layer
            of the matching kind, or one without running statistics.
    """
    folded: Layers = []
    names: list[str] = []
    for name, layer in layers:
        if type(layer) not in _BATCH_NORMS:
            if isinstance(layer, nn.modules.batchnorm._BatchNorm):
                raise InvalidInputError(
                    f"layer {name!r} ({type(layer).__name__}): {caller} folds BatchNorm1d and "
                    "BatchNorm2d only"
                )
            folded.append((name, layer))
            continue
        assert isinstance(layer, nn.modules.batchnorm._BatchNorm)
        before = folded[-1] if folded else None
        if before is None or not isinstance(before[1], _BATCH_NORMS[type(layer)]):
            raise InvalidInputError(
                f"layer {name!r} ({type(layer).__name__}) does not directly follow a "
                f"{' or '.join(t.__name__ for t in _BATCH_NORMS[type(layer)])} layer, so it "
                f"cannot be folded into one; {caller} needs each batch norm right after the "
                "layer it normalises"
            )
        if layer.running_mean is None or layer.running_var is None:
            raise InvalidInputError(
                f"layer {name!r} ({type(layer).__name__}) keeps no running statistics "
                "(track_running_stats=False): there is nothing to fold"
            )
        source, norm = copy.deepcopy(before[1]).eval(), copy.deepcopy(layer).eval()
        fused: nn.Module
        if isinstance(source, nn.Linear):
            fused = fuse_linear_bn_eval(source, norm)
        else:
            assert isinstance(source, nn.Conv1d | nn.Conv2d)
            fused = fuse_conv_bn_eval(source, norm)
        folded[-1] = (before[0], fused)
        names.append(name)
    return folded, tuple(names)


def without_identities(layers: Layers) -> tuple[Layers, tuple[str, ...]]:
    """The layers without dropout and `nn.Identity` (the identity at inference), and their names."""
    kept = [(name, layer) for name, layer in layers if not isinstance(layer, IDENTITIES)]
    removed = tuple(name for name, layer in layers if isinstance(layer, IDENTITIES))
    return kept, removed


# Stateless layers an imported network keeps (as plain torch copies of the peer's layers).
STATELESS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Flatten, nn.AvgPool2d, nn.MaxPool2d)


def plain_copy(layer: nn.Module) -> nn.Module:
    """A plain torch copy of a stateless layer, or of a peer's subclass of one (weights copied).

    SpikingJelly's `layer.Linear`, `layer.Conv2d`, ... add a step mode to torch's layers; the
    copy is the torch layer they compute at one step.
    """
    copied: nn.Module
    if isinstance(layer, nn.Linear):
        copied = nn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None)
    elif isinstance(layer, nn.Conv1d | nn.Conv2d):
        kind = nn.Conv1d if isinstance(layer, nn.Conv1d) else nn.Conv2d
        copied = kind(
            layer.in_channels,
            layer.out_channels,
            layer.kernel_size,  # type: ignore[arg-type]  # one int per dimension, as it was
            stride=layer.stride,  # type: ignore[arg-type]
            padding=layer.padding,  # type: ignore[arg-type]
            dilation=layer.dilation,  # type: ignore[arg-type]
            groups=layer.groups,
            bias=layer.bias is not None,
            padding_mode=layer.padding_mode,
        )
    elif isinstance(layer, nn.Flatten):
        return nn.Flatten(layer.start_dim, layer.end_dim)
    elif isinstance(layer, nn.AvgPool2d):
        return nn.AvgPool2d(
            layer.kernel_size,
            layer.stride,
            layer.padding,
            layer.ceil_mode,
            layer.count_include_pad,
            layer.divisor_override,
        )
    elif isinstance(layer, nn.MaxPool2d):
        return nn.MaxPool2d(
            layer.kernel_size,
            layer.stride,
            layer.padding,
            layer.dilation,
            ceil_mode=layer.ceil_mode,
        )
    else:
        raise TypeError(f"not a stateless layer: {type(layer).__name__}")
    copied.load_state_dict({k: v.detach().clone() for k, v in layer.state_dict().items()})
    return copied


def infer_input_shape(layers: Layers, input_shape: Any, caller: str) -> tuple[int, ...]:
    """`input_shape` checked, or the input size of a first `nn.Linear`.

    Raises:
        InvalidInputError: no `input_shape` for a model that does not start with `nn.Linear`,
            or one that is not positive integers.
    """
    if input_shape is None:
        first = layers[0][1]
        if isinstance(first, nn.Linear):
            return (first.in_features,)
        raise InvalidInputError(
            f"{caller} needs input_shape (one sample, without time and batch) for a model that "
            f"starts with {type(first).__name__}, e.g. input_shape=(1, 28, 28)"
        )
    return checked_input_shape(input_shape)


def checked_input_shape(input_shape: Any) -> tuple[int, ...]:
    """`input_shape` (one sample, without time and batch) as a tuple of positive integers.

    Raises:
        InvalidInputError: it is empty, or not all positive integers.
    """
    try:
        shape = tuple(int(n) for n in input_shape)
    except (TypeError, ValueError) as error:
        raise InvalidInputError(
            f"input_shape must be a tuple of positive integers, got {input_shape!r}"
        ) from error
    if not shape or min(shape) < 1:
        raise InvalidInputError(
            f"input_shape must be a tuple of positive integers, got {input_shape!r}"
        )
    return shape
