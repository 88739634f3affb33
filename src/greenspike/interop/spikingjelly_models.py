"""`from_spikingjelly`: a SpikingJelly model as the greenspike network with the same spikes."""

from __future__ import annotations

from typing import Any

from torch import nn

from greenspike.errors import InvalidInputError
from greenspike.interop._peers import imported_network, known_surrogate, require_peer, scalar
from greenspike.interop.network import GraphNetwork
from greenspike.interop.parameters import DEFAULT_DT
from greenspike.snn import IF, LIF
from greenspike.snn.functional import ResetMode


def from_spikingjelly(model: nn.Module, *, input_shape: Any = None) -> GraphNetwork:
    """The greenspike network of a SpikingJelly model: the same spikes, step for step.

    `model` is an `nn.Sequential` (with SpikingJelly's containers, such as
    `layer.SeqToANNContainer`, flattened) or a model whose forward `torch.fx` traces as a
    chain; single-step or multi-step mode alike (a multi-step model's stateless layers fold
    time into the batch, as greenspike's network does). The network returned takes `x`
    `[T, B, *input_shape]` and returns the last layer's spikes `[T, B, ...]`.

    Neurons (SpikingJelly 2.0; `v_reset=None` is the subtractive reset, `v_reset=0.0` the
    reset to zero, other values are refused):

    - `IFNode(v_threshold, v_reset)` -> `IF(threshold, reset)`.
    - `HalfThresholdIFNode(v_threshold)` -> `IF(threshold, v_init=threshold / 2)`.
    - `LIFNode(tau, decay_input, v_threshold, v_reset)` -> `LIF(beta = 1 - 1 / tau)`, threshold
      `v_threshold` with `decay_input=False`, or `tau * v_threshold` with the default
      `decay_input=True` (SpikingJelly then scales the input by `1 / tau`; greenspike's
      membrane is `tau` times its).
    - `ParametricLIFNode(init_tau, decay_input, ...)`: the same with `1 / tau = sigmoid(w)`
      of its learned `w`, imported as a learned `beta`.

    SpikingJelly fires where `v >= v_threshold`, greenspike where `v > threshold`, and it
    computes the leak as `v - v / tau`: the spikes are the same except where a membrane lands
    exactly on the threshold or within rounding of it (measured in
    tests/interop/test_importers.py). The surrogate is mapped for `surrogate.Sigmoid` and
    `surrogate.ATan` (same shape and `alpha`), else greenspike's default; `detach_reset` is
    kept. Dropout (SpikingJelly's or torch's) and `nn.Identity` are removed, batch norms
    folded into the layer before them.

    Args:
        model: the SpikingJelly model.
        input_shape: one sample's shape (without time and batch); None: the input size of a
            first `nn.Linear`.

    Returns:
        The network (`GraphNetwork`, its time step `DEFAULT_DT` for a later NIR export).

    Raises:
        InvalidInputError: a layer with no greenspike form, named (another neuron, a reset to
            a value other than 0, a layer of another kind); a forward that is not a chain; no
            `input_shape` for a model that does not start with `nn.Linear`.
        MissingExtraError: SpikingJelly is not installed.
    """
    jelly = require_peer("spikingjelly.activation_based.neuron", "spikingjelly")
    base = require_peer("spikingjelly.activation_based.base", "spikingjelly")
    layer = require_peer("spikingjelly.activation_based.layer", "spikingjelly")

    def neuron(name: str, node: nn.Module) -> list[nn.Module]:
        return [_neuron(jelly, f"layer {name!r} ({type(node).__name__})", node)]

    return imported_network(
        model,
        "from_spikingjelly",
        (base.MemoryModule,),
        neuron,
        input_shape,
        DEFAULT_DT,
        removable=(layer.Dropout,),
    )


def _neuron(jelly, where: str, node: Any) -> nn.Module:
    kinds = (jelly.IFNode, jelly.HalfThresholdIFNode, jelly.LIFNode, jelly.ParametricLIFNode)
    if type(node) not in kinds:
        raise InvalidInputError(
            f"{where} has no greenspike form: from_spikingjelly reads IFNode, "
            "HalfThresholdIFNode, LIFNode and ParametricLIFNode"
        )
    threshold = scalar(node.v_threshold)
    arguments: dict[str, Any] = {
        "reset": _reset(where, node.v_reset),
        "surrogate": _surrogate(node.surrogate_function),
        "detach_reset": bool(node.detach_reset),
    }
    if isinstance(node, jelly.HalfThresholdIFNode):
        return IF(threshold, v_init=threshold / 2, **arguments)
    if isinstance(node, jelly.IFNode):
        return IF(threshold, **arguments)
    if isinstance(node, jelly.ParametricLIFNode):
        rate = node.w.detach().sigmoid()  # 1 / tau
        beta, learn = 1 - rate, True
    else:
        rate = 1 / scalar(node.tau)
        beta, learn = 1 - rate, False
    if node.decay_input:  # the input scaled by 1 / tau: threshold tau * v_threshold
        threshold = threshold / rate
    return LIF(beta, threshold, learn_beta=learn, **arguments)


def _reset(where: str, v_reset: float | None) -> ResetMode:
    if v_reset is None:
        return "subtract"
    if scalar(v_reset) == 0:
        return "zero"
    raise InvalidInputError(
        f"{where} resets to v_reset = {v_reset!r}: greenspike neurons reset to 0 (v_reset=0.0) "
        "or by subtraction (v_reset=None)"
    )


def _surrogate(function: Any):
    names = {"Sigmoid": "sigmoid", "ATan": "atan"}
    alpha = getattr(function, "alpha", None)
    kind = names.get(type(function).__name__, "")
    return known_surrogate(kind, None if alpha is None else scalar(alpha))
