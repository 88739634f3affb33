"""`from_norse`: a Norse model as the greenspike network with the same spikes."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import torch
from torch import nn

from greenspike.errors import InvalidInputError
from greenspike.interop._peers import imported_network, require_peer
from greenspike.interop.network import GraphNetwork, Scale
from greenspike.interop.parameters import DEFAULT_DT
from greenspike.snn import IF, LIF, CubaLIF, LeakyIntegrator
from greenspike.snn.functional import ResetMode


def from_norse(model: nn.Module, *, input_shape: Any = None) -> GraphNetwork:
    """The greenspike network of a Norse model: the same spikes, step for step.

    `model` is an `nn.Sequential` or Norse `SequentialState` (nested ones flattened, `Lift`
    unwrapped) or a model whose forward `torch.fx` traces as a chain. The network returned
    takes `x` `[T, B, *input_shape]` and returns the last layer's output `[T, B, ...]`.

    Neurons (Norse 1.1; each with its own `dt`, `K = dt * tau_mem_inv`; `v_leak` and
    `v_reset` must be 0):

    - `LIFBoxCell(LIFBoxParameters(tau_mem_inv, v_th, reset_method))` -> `LIF(beta = 1 - K,
      threshold = v_th / K)`, reset "zero" (`reset_value`) or "subtract" (`reset_subtract`);
      Norse scales its input by `K`, so greenspike's membrane is its divided by `K`.
    - `LIFCell` / `LIF(LIFParameters(tau_syn_inv, tau_mem_inv, v_th))` -> `CubaLIF(alpha = 1 -
      dt * tau_syn_inv, beta = 1 - K, threshold = v_th / K)`, reset "zero".
    - `IAFCell` / `IAF(IAFParameters(v_th))` -> `IF(v_th)`, reset "zero".
    - `LIBoxCell(LIBoxParameters(tau_mem_inv))` -> `Scale(K)` then `LeakyIntegrator(1 - K)`:
      the same membrane.

    Norse's arithmetic rounds differently (`v + K * (x - v)` against `beta * v + x`), so the
    spikes are the same except where a membrane lands within rounding of the threshold
    (`IAF` matches exactly; measured in tests/interop/test_importers.py). The surrogate is
    greenspike's default (Norse's SuperSpike acts on its own membrane scale). Dropout and
    `nn.Identity` are removed, batch norms folded into the layer before them.

    Args:
        model: the Norse model.
        input_shape: one sample's shape (without time and batch); None: the input size of a
            first `nn.Linear`.

    Returns:
        The network (`GraphNetwork`, its time step the `dt` of Norse's first neuron).

    Raises:
        InvalidInputError: a layer with no greenspike form, named (another neuron, `v_leak`
            or `v_reset` != 0, neurons with different `dt`, a layer of another kind); a forward
            that is not a chain; no `input_shape` for a model that does not start with
            `nn.Linear`.
        MissingExtraError: Norse is not installed.
    """
    norse = require_peer("norse.torch", "norse")
    snn_base = require_peer("norse.torch.module.snn", "norse")
    reset = require_peer("norse.torch.functional.reset", "norse")
    cells = (norse.LIFBoxCell, norse.LIFCell, norse.LIF, norse.IAFCell, norse.IAF, norse.LIBoxCell)
    steps: set[float] = set()

    def neuron(name: str, layer: nn.Module) -> list[nn.Module]:
        where = f"layer {name!r} ({type(layer).__name__})"
        if type(layer) not in cells:
            raise InvalidInputError(
                f"{where} has no greenspike form: from_norse reads LIFBoxCell, LIFCell, LIF, "
                "IAFCell, IAF and LIBoxCell (and these inside Lift)"
            )
        dt = float(getattr(layer, "dt"))  # noqa: B009 (a Norse attribute torch's stubs don't know)
        steps.add(dt)
        if len(steps) > 1:
            raise InvalidInputError(
                f"{where} has dt = {dt}, another neuron {min(steps - {dt})}: one network, "
                "one time step"
            )
        return _neuron(norse, reset, where, layer)

    network = imported_network(
        _unlifted(model, norse),
        "from_norse",
        (snn_base.SNNCell, snn_base.SNN),
        neuron,
        input_shape,
        DEFAULT_DT,
    )
    if steps:  # the neurons' own time step, for a later NIR export
        network.dt = steps.pop()
    return network


def _unlifted(model: nn.Module, norse) -> nn.Module:
    """`Lift(layer)` replaced by the layer: Lift applies it at every step, as the network does."""
    if isinstance(model, norse.Lift):
        return _unlifted(model.lifted_module, norse)
    if isinstance(model, nn.Sequential):
        return nn.Sequential(
            OrderedDict((name, _unlifted(layer, norse)) for name, layer in model.named_children())
        )
    return model


def _neuron(norse, reset, where: str, layer: Any) -> list[nn.Module]:
    p, dt = layer.p, float(layer.dt)
    for field in ("v_leak", "v_reset"):
        value = getattr(p, field, None)
        if value is not None and torch.any(torch.as_tensor(value) != 0):
            raise InvalidInputError(
                f"{where} has {field} = {value}: greenspike neurons rest and reset at 0"
            )
    if isinstance(layer, norse.IAFCell | norse.IAF):
        return [IF(_tensor(p.v_th), reset="zero")]
    gain = dt * _tensor(p.tau_mem_inv)
    if not torch.all((gain > 0) & (gain <= 1)):
        raise InvalidInputError(
            f"{where}: dt * tau_mem_inv must lie in (0, 1] (a decay per step), got {gain}"
        )
    if isinstance(layer, norse.LIBoxCell):
        return [Scale(gain), LeakyIntegrator(1 - gain)]
    threshold = _tensor(p.v_th) / gain
    if isinstance(layer, norse.LIFBoxCell):
        mode: ResetMode
        if p.reset_method is reset.reset_subtract:
            mode = "subtract"
        elif p.reset_method is reset.reset_value:
            mode = "zero"
        else:
            raise InvalidInputError(
                f"{where} resets with {p.reset_method!r}: greenspike reads reset_value and "
                "reset_subtract"
            )
        return [LIF(1 - gain, threshold, reset=mode)]
    alpha = 1 - dt * _tensor(p.tau_syn_inv)
    return [CubaLIF(alpha, 1 - gain, threshold, reset="zero")]


def _tensor(value: Any) -> torch.Tensor:
    return torch.as_tensor(value, dtype=torch.get_default_dtype()).detach().clone()
