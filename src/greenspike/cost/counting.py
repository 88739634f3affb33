"""Counting what a model does on real inputs, with forward hooks (the model is not changed).

Synaptic layers: `nn.Linear` (on the last dimension of `[B, N]` or `[T, B, N]`), `nn.Conv1d`,
`nn.Conv2d` (time may be folded into the batch, `[T*B, C, ...]`), and the recurrent weights of
`gs.snn.RecurrentLIF`. For a layer with weights W and input x, NeuroBench's counts are

    dense     = sum over inputs x_i of fanout_all(i)          (every weight, every input)
    effective = sum over inputs x_i != 0 of fanout_nonzero(i) (non-zero input x non-zero weight)

where fanout(i) is the number of weights input i meets (for a convolution it depends on the
position: padding and stride leave border inputs fewer outputs). Neuron layers (`gs.snn.Neuron`)
count one update per neuron per time step, and read and write each state variable (e.g. `v`)
each update. Activation layers (ReLU, ...) count only their output sparsity and traffic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields

import torch
from torch import nn
from torch.nn import functional as F

from greenspike.cost.report import CostReport, Counts, LayerCost
from greenspike.snn.neuron import Neuron

ACTIVATIONS = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Sigmoid, nn.Tanh)
_CONVOLUTIONS = {nn.Conv1d: F.conv_transpose1d, nn.Conv2d: F.conv_transpose2d}


@dataclass
class _Tally:
    """Running totals of one layer over all forward calls (not yet divided by samples)."""

    kind: str
    counts: dict[str, float] = field(default_factory=lambda: dict.fromkeys(_COUNT_NAMES, 0.0))
    steps: int = 0  # time steps of neuron layers (max over calls)
    rows: int = 0  # step-sample rows processed (weights are read once per row / sample)
    neurons: int = 0  # outputs per sample per step
    samples: int = 0  # samples seen by neuron layers
    inputs: int = 0
    zero_inputs: int = 0
    outputs: int = 0
    zero_outputs: int = 0
    spiking: bool = False


_COUNT_NAMES = tuple(f.name for f in fields(Counts))


def profile(
    model: nn.Module,
    inputs: torch.Tensor | Sequence[torch.Tensor],
    *,
    batch_size: int | None = None,
) -> CostReport:
    """Run `model` on `inputs` without gradients and count what one inference costs.

    `inputs`: a tensor, or a tuple of tensors passed as `model(*inputs)`; their first dimension
    is the batch (split into chunks of `batch_size` samples to bound memory). The number of
    samples is the batch dimension of the spiking layers' `[T, B, ...]` inputs when the model
    has any, otherwise the first dimension of the first input. Returns per-inference counts.
    """
    arguments = (inputs,) if isinstance(inputs, torch.Tensor) else tuple(inputs)
    if not arguments or not all(isinstance(a, torch.Tensor) for a in arguments):
        raise ValueError(f"inputs must be a tensor or a sequence of tensors, got {inputs!r}")
    if arguments[0].dim() == 0 or len(arguments[0]) == 0:
        raise ValueError(
            f"inputs need a non-empty batch dimension, got shape {tuple(arguments[0].shape)}"
        )
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
        raise ValueError(f"batch_size must be a positive integer or None, got {batch_size!r}")
    tallies: dict[str, _Tally] = {}
    fanouts: dict[tuple, tuple[torch.Tensor, torch.Tensor]] = {}
    handles = []
    for name, module in model.named_modules():
        hook = _hook_for(name or type(module).__name__, module, tallies, fanouts)
        if hook is not None:
            handles.append(module.register_forward_hook(hook))
    if not handles:
        raise ValueError(
            f"{type(model).__name__} has no layer greenspike.cost can count: it counts nn.Linear, "
            "nn.Conv1d, nn.Conv2d, greenspike.snn neurons and activations (ReLU, ...)"
        )
    first_batch = 0
    try:
        with torch.no_grad():
            total = len(arguments[0])
            step = batch_size or total
            for start in range(0, total, step):
                chunk = tuple(a[start : start + step] for a in arguments)
                first_batch += len(chunk[0])
                model(*chunk)
    finally:
        for handle in handles:
            handle.remove()
    neuron_samples = [t.samples for t in tallies.values() if t.kind == "neuron"]
    samples = neuron_samples[0] if neuron_samples else first_batch
    return CostReport(
        model=type(model).__name__,
        samples=samples,
        steps=max((t.steps for t in tallies.values()), default=0) or 1,
        layers={name: _layer_cost(name, t, samples, model) for name, t in tallies.items()},
        parameter_bytes=sum(p.numel() * p.element_size() for p in model.parameters()),
    )


def _hook_for(name: str, module: nn.Module, tallies: dict[str, _Tally], fanouts: dict):
    if isinstance(module, nn.Linear):
        return _recorder(name, "linear", tallies, lambda m, x, y, t, b: _count_linear(m, x, t, b))
    if type(module) in _CONVOLUTIONS:
        return _recorder(
            name, "conv", tallies, lambda m, x, y, t, b: _count_conv(m, x, y, t, b, fanouts)
        )
    if isinstance(module, Neuron):
        return _recorder(name, "neuron", tallies, _count_neuron)
    if isinstance(module, ACTIVATIONS):
        return _recorder(name, "activation", tallies, lambda m, x, y, t, b: None)
    return None


def _recorder(name: str, kind: str, tallies: dict[str, _Tally], count):
    def hook(module: nn.Module, args: tuple, output) -> None:
        x = args[0]
        y = output[0] if isinstance(output, tuple) else output
        tally = tallies.setdefault(name, _Tally(kind))
        binary = _is_binary(x)
        x_zeros = _traffic(tally, x, binary)
        spiking = kind == "neuron" and type(module).emits_spikes
        y_zeros = _traffic(tally, y, spiking)
        tally.spiking = spiking
        tally.inputs += x.numel()
        tally.zero_inputs += x_zeros
        tally.outputs += y.numel()
        tally.zero_outputs += y_zeros
        count(module, x, y, tally, binary)

    return hook


def _traffic(tally: _Tally, values: torch.Tensor, binary: bool) -> int:
    """Count reading or writing `values`; return how many are zero."""
    zeros = values.numel() - int(torch.count_nonzero(values))
    tally.counts["spike_values" if binary else "activation_values"] += values.numel()
    return zeros


def _is_binary(x: torch.Tensor) -> bool:
    return x.dtype == torch.bool or bool(((x == 0) | (x == 1)).all())


def _synapses(tally: _Tally, binary: bool, dense: float, effective: float) -> None:
    tally.counts["dense_acs" if binary else "dense_macs"] += dense
    tally.counts["effective_acs" if binary else "effective_macs"] += effective


def _count_linear(layer: nn.Linear, x: torch.Tensor, tally: _Tally, binary: bool) -> None:
    active = x.reshape(-1, layer.in_features).ne(0).sum(0)  # non-zero count per input
    fanout = layer.weight.ne(0).sum(0)  # non-zero weights per input
    rows = x.numel() // layer.in_features
    _synapses(tally, binary, rows * layer.weight.numel(), int((active * fanout).sum()))
    tally.rows += rows
    tally.counts["weight_reads"] += rows * _parameters(layer)


def _count_conv(
    layer: nn.Conv1d | nn.Conv2d,
    x: torch.Tensor,
    y: torch.Tensor,
    tally: _Tally,
    binary: bool,
    fanouts: dict,
) -> None:
    batched = x.dim() == layer.weight.dim()
    x, y = (x, y) if batched else (x.unsqueeze(0), y.unsqueeze(0))
    key = (id(layer), tuple(x.shape[1:]), tuple(y.shape[2:]))
    if key not in fanouts:
        fanouts[key] = (
            _conv_fanout(layer, torch.ones_like(layer.weight), x.shape[2:], y.shape[2:]),
            _conv_fanout(layer, layer.weight.ne(0).to(x.dtype), x.shape[2:], y.shape[2:]),
        )
    fanout_all, fanout_nonzero = fanouts[key]
    active = x.ne(0).sum(0)  # [C_in, *spatial]: non-zero count per input position
    _synapses(
        tally, binary, len(x) * float(fanout_all.sum()), float((active * fanout_nonzero).sum())
    )
    tally.rows += len(x)
    tally.counts["weight_reads"] += len(x) * _parameters(layer)


def _conv_fanout(layer, weight: torch.Tensor, in_size, out_size) -> torch.Tensor:
    """Weights each input position meets: the transposed convolution of all-ones outputs,
    cropped to the unpadded input (padded positions are zeros, never counted)."""
    ones = torch.ones(1, layer.out_channels, *out_size, dtype=weight.dtype)
    transpose = _CONVOLUTIONS[type(layer)]
    full = transpose(
        ones,
        weight.to(ones.dtype),
        stride=layer.stride,
        dilation=layer.dilation,
        groups=layer.groups,
    )[0]
    fanout = torch.zeros(layer.in_channels, *in_size, dtype=ones.dtype)
    region = [slice(None)]
    for dim, size in enumerate(in_size):
        left = _left_padding(layer, dim)
        available = min(size, full.shape[dim + 1] - left)
        region.append(slice(0, available))
        full = full.narrow(dim + 1, left, available)
    fanout[tuple(region)] = full
    return fanout


def _left_padding(layer, dim: int) -> int:
    if layer.padding == "valid":
        return 0
    if layer.padding == "same":
        return layer.dilation[dim] * (layer.kernel_size[dim] - 1) // 2
    return layer.padding[dim]


def _count_neuron(
    neuron: Neuron, x: torch.Tensor, y: torch.Tensor, tally: _Tally, binary: bool
) -> None:
    if x.dim() < 2:
        raise ValueError(
            f"{type(neuron).__name__} got input of shape {tuple(x.shape)}; neurons take [T, B, ...]"
        )
    steps, batch = x.shape[:2]
    tally.steps = max(tally.steps, steps)
    tally.samples += batch
    tally.neurons = x[0, 0].numel()
    tally.counts["neuron_updates"] += x.numel()
    state = [name for name in neuron.State._fields if name != "s"]  # a fed-back spike is no state
    tally.counts["state_accesses"] += 2 * len(state) * x.numel()
    if type(neuron).emits_spikes:
        tally.counts["spike_events"] += int(torch.count_nonzero(y))
    recurrent = getattr(neuron, "recurrent", None)
    if isinstance(recurrent, nn.Linear):  # spikes of step t-1 meet the recurrent weights at t
        previous = y[:-1].reshape(-1, recurrent.in_features).ne(0).sum(0)
        fanout = recurrent.weight.ne(0).sum(0)
        tally.counts["dense_acs"] += x.numel() // recurrent.in_features * recurrent.weight.numel()
        tally.counts["effective_acs"] += int((previous * fanout).sum())
        tally.counts["weight_reads"] += steps * batch * _parameters(recurrent)


def _parameters(layer: nn.Module) -> int:
    return sum(p.numel() for p in layer.parameters())


def _layer_cost(name: str, tally: _Tally, samples: int, model: nn.Module) -> LayerCost:
    module = model.get_submodule(name) if name in dict(model.named_modules()) else model
    weights = [m.weight for m in module.modules() if isinstance(m, (nn.Linear, *_CONVOLUTIONS))]
    per_sample = {key: value / samples for key, value in tally.counts.items()}
    if tally.kind == "neuron":
        steps, neurons = float(tally.steps), tally.neurons
    else:
        steps = tally.rows / samples if tally.rows else 1.0
        neurons = round(tally.outputs / samples / steps)
    return LayerCost(
        name=name,
        kind=tally.kind,
        counts=Counts(**per_sample),
        steps=steps,
        neurons=neurons,
        spike_rate=per_sample["spike_events"] / (neurons * steps) if tally.spiking else None,
        input_sparsity=tally.zero_inputs / tally.inputs if tally.inputs else 0.0,
        output_sparsity=tally.zero_outputs / tally.outputs if tally.outputs else 0.0,
        weights=sum(w.numel() for w in weights),
        zero_weights=sum(int((w == 0).sum()) for w in weights),
        parameter_bytes=sum(p.numel() * p.element_size() for p in module.parameters()),
    )
