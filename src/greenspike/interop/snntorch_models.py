"""`from_snntorch`: an snnTorch model as the greenspike network with the same spikes."""

from __future__ import annotations

import inspect
from typing import Any

import torch
from torch import nn

from greenspike.errors import InvalidInputError
from greenspike.interop._peers import imported_network, known_surrogate, require_peer
from greenspike.interop.network import GraphNetwork
from greenspike.interop.parameters import DEFAULT_DT
from greenspike.snn import IF, LIF, CubaLIF, RecurrentLIF
from greenspike.snn.functional import ResetMode
from greenspike.snn.surrogate import Surrogate

_RESETS: dict[int, ResetMode] = {0: "subtract", 1: "zero", 2: "none"}
_STATE_FUNCTIONS = {"subtract": "_base_sub", "zero": "_base_zero", "none": "_base_int"}


def from_snntorch(model: nn.Module, *, input_shape: Any = None) -> GraphNetwork:
    """The greenspike network of an snnTorch model: the same spikes, step for step.

    `model` is an `nn.Sequential` (snnTorch's way to stack layers, with `init_hidden=True`
    neurons; nested ones are flattened) or a model whose forward `torch.fx` traces as a
    chain. A model that loops over time steps in its own forward is not a chain: pass
    `nn.Sequential(net.fc1, net.lif1, net.fc2, net.lif2, ...)`, its layers in the order the
    loop applies them. The network returned takes `x` `[T, B, *input_shape]` (what the model
    got at each step, stacked) and returns the last layer's spikes `[T, B, ...]`.

    Neurons (snnTorch 1.0; `beta` clamped to [0, 1] as snnTorch does, per-neuron values and
    learned `beta`/`threshold` kept; equations: `greenspike.snn.functional.lif`):

    - `Leaky(beta, threshold, reset_mechanism, reset_delay)` -> `LIF` (`IF` for a fixed
      `beta = 1`) with the same reset; its default `reset_delay=True` -> `reset_delay=True`,
      except for reset "zero", where snnTorch's delayed zero reset is greenspike's immediate
      one (the same spikes; snnTorch reports the membrane before that reset).
    - `Synaptic(alpha, beta, ...)` -> `CubaLIF`, `reset_delay` as given.
    - `RLeaky(beta, linear_features=N, all_to_all=True, ...)` -> `RecurrentLIF(N)` with its
      recurrent weight and bias, `reset_delay` as given.

    Spikes are bit-identical, with one documented exception: with `reset_delay=False` and
    reset "subtract", snnTorch subtracts the threshold a second time one step later when a
    membrane exceeds twice the threshold (`greenspike.snn.functional.lif`). The surrogate
    gradient is mapped for snnTorch's `atan`, `sigmoid` and `fast_sigmoid` (same shape, same
    parameter), else greenspike's default; `detach_reset` is what snnTorch does (its delayed
    reset carries no gradient). Dropout and `nn.Identity` are removed, batch norms folded into
    the layer before them (the same outputs up to rounding).

    Args:
        model: the snnTorch model.
        input_shape: one sample's shape (without time and batch); None: the input size of a
            first `nn.Linear`.

    Returns:
        The network (`GraphNetwork`, its time step `DEFAULT_DT` for a later NIR export).

    Raises:
        InvalidInputError: a layer with no greenspike form, named (another snnTorch neuron,
            `inhibition`, `state_quant`, `graded_spikes_factor != 1`, a recurrent layer that is
            not all-to-all linear, a layer of another kind); a forward that is not a chain; no
            `input_shape` for a model that does not start with `nn.Linear`.
        MissingExtraError: snnTorch is not installed.
    """
    snntorch = require_peer("snntorch", "snntorch")
    kinds = (snntorch.Leaky, snntorch.Synaptic, snntorch.RLeaky)

    def neuron(name: str, layer: nn.Module) -> list[nn.Module]:
        where = f"layer {name!r} ({type(layer).__name__})"
        if type(layer) not in kinds:
            raise InvalidInputError(
                f"{where} has no greenspike form: from_snntorch reads Leaky, Synaptic and RLeaky"
            )
        return [_neuron(snntorch, where, layer)]

    return imported_network(
        model, "from_snntorch", (snntorch.SpikingNeuron,), neuron, input_shape, DEFAULT_DT
    )


def _neuron(snntorch, where: str, layer: Any) -> nn.Module:
    reset = _RESETS[int(layer.reset_mechanism_val)]
    if getattr(layer.state_function, "__name__", "") != _STATE_FUNCTIONS[reset]:
        raise InvalidInputError(
            f"{where}: its reset_mechanism ({reset!r}) no longer matches the state function it "
            "was built with; rebuild it with the reset it should have"
        )
    if layer.inhibition or layer.state_quant:
        raise InvalidInputError(
            f"{where} uses {'inhibition' if layer.inhibition else 'state_quant'}, which has no "
            "greenspike form"
        )
    if not torch.all(layer.graded_spikes_factor == 1):
        raise InvalidInputError(
            f"{where} has graded_spikes_factor != 1: greenspike's spikes are 0 or 1 (scale the "
            "weights of the next layer instead)"
        )
    delay = bool(layer.reset_delay)
    arguments: dict[str, Any] = {
        "reset": reset,
        "surrogate": _surrogate(layer),
        "detach_reset": delay,  # the delayed reset is detached, the immediate one is not
        "learn_threshold": isinstance(layer.threshold, nn.Parameter),
    }
    beta, threshold = _decay(layer.beta), layer.threshold.detach().clone()
    learn_beta = isinstance(layer.beta, nn.Parameter)
    if isinstance(layer, snntorch.RLeaky):
        return _recurrent(where, layer, beta, threshold, delay, learn_beta, arguments)
    if isinstance(layer, snntorch.Synaptic):
        return CubaLIF(
            _decay(layer.alpha),
            beta,
            threshold,
            reset_delay=delay,
            learn_alpha=isinstance(layer.alpha, nn.Parameter),
            learn_beta=learn_beta,
            **arguments,
        )
    # Leaky: its delayed reset to zero zeroes the old membrane before the leak, which is the
    # immediate reset (greenspike's delayed zero reset discards the next input as well).
    delay = delay and reset != "zero"
    if not learn_beta and torch.all(beta == 1):
        return IF(threshold, reset_delay=delay, **arguments)
    return LIF(beta, threshold, reset_delay=delay, learn_beta=learn_beta, **arguments)


def _recurrent(
    where: str,
    layer: Any,
    beta: torch.Tensor,
    threshold: torch.Tensor,
    delay: bool,
    learn_beta: bool,
    arguments: dict[str, Any],
) -> RecurrentLIF:
    recurrent = getattr(layer, "recurrent", None)
    if not layer.all_to_all or type(recurrent) is not nn.Linear:
        raise InvalidInputError(
            f"{where}: only an all-to-all linear recurrence (all_to_all=True, "
            "linear_features=N) has a greenspike form (RecurrentLIF)"
        )
    converted = RecurrentLIF(
        recurrent.in_features,
        beta,
        threshold,
        reset_delay=delay,
        bias=recurrent.bias is not None,
        learn_beta=learn_beta,
        **arguments,
    )
    with torch.no_grad():
        converted.recurrent.load_state_dict(recurrent.state_dict())
    converted.recurrent.requires_grad_(any(p.requires_grad for p in recurrent.parameters()))
    return converted


def _decay(value: torch.Tensor) -> torch.Tensor:
    """A decay's value as snnTorch uses it: clamped to [0, 1], detached and copied."""
    return value.detach().clamp(0, 1).clone()


def _surrogate(layer: Any) -> Surrogate:
    """SnnTorch's `atan(alpha)`, `sigmoid(slope)` or `fast_sigmoid(slope)` as greenspike's."""
    function = layer.spike_grad
    kind = getattr(function, "__qualname__", "").split(".", 1)[0]
    try:
        captured = inspect.getclosurevars(function).nonlocals
    except TypeError:  # not a plain function (e.g. a class instance)
        captured = {}
    parameter = captured.get("alpha", captured.get("slope"))
    return known_surrogate(kind, None if parameter is None else float(parameter))
