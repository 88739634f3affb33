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

from greenspike.cost.counts import CostReport, Counts, LayerCost
from greenspike.errors import InvalidInputError
from greenspike.snn.neuron import Neuron

ACTIVATIONS = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Sigmoid, nn.Tanh)
_CONVOLUTIONS = {nn.Conv1d: F.conv_transpose1d, nn.Conv2d: F.conv_transpose2d}
_COUNT_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Counts))


@dataclass
class _Tally:
    """Running totals of one layer over all forward calls (not yet divided by samples)."""

    kind: str
    counts: dict[str, float] = field(default_factory=lambda: dict.fromkeys(_COUNT_NAMES, 0.0))
    steps: int = 0  # time steps of neuron layers (max over calls)
    rows: int = 0  # step-sample rows processed (weights are read once per row / sample)
    neurons: int = 0  # outputs per sample per step (neuron layers)
    samples: int = 0  # samples seen by neuron layers
    outputs: int = 0  # output values written
    values: int = 0  # inputs seen (synaptic layers) or outputs (neurons, activations)
    zeros: int = 0  # how many of them were zero
    spiking: bool = False


def count(
    model: nn.Module,
    inputs: torch.Tensor | Sequence[torch.Tensor],
    *,
    batch_size: int | None = None,
) -> CostReport:
    """Run `model` on `inputs` without gradients and count what one inference costs.

    The number of samples is the batch dimension of the spiking layers' `[T, B, ...]` inputs
    when the model has any, otherwise the first dimension of the first input. The model runs in
    the mode it is in: call `model.eval()` first if it has dropout or batch norm, as for any
    evaluation.

    Args:
        model: the network; its layers are counted through forward hooks, removed afterwards.
        inputs: a tensor, or a sequence of tensors passed as `model(*inputs)` (a list holding
            one time-major tensor `[T, B, ...]` works too).
        batch_size: split every input along its first dimension into chunks of this size, to
            bound memory; use it only when that dimension is the batch.

    Returns:
        The per-inference counts, per layer and in total.

    Raises:
        InvalidInputError: `inputs` is not a tensor or a non-empty sequence of tensors, or has
            no batch dimension; `batch_size` is not a positive integer or None; the model has
            no layer greenspike.cost can count; a neuron layer gets an input that is not
            `[T, B, ...]`.
    """
    arguments = (inputs,) if isinstance(inputs, torch.Tensor) else tuple(inputs)
    if not arguments or not all(isinstance(a, torch.Tensor) for a in arguments):
        raise InvalidInputError(f"inputs must be a tensor or a sequence of tensors, got {inputs!r}")
    if arguments[0].dim() == 0 or len(arguments[0]) == 0:
        raise InvalidInputError(
            f"inputs need a non-empty batch dimension, got shape {tuple(arguments[0].shape)}"
        )
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
        raise InvalidInputError(
            f"batch_size must be a positive integer or None, got {batch_size!r}"
        )
    counter = _Counter()
    modules = dict(model.named_modules())
    handles = [
        module.register_forward_hook(hook)
        for name, module in modules.items()
        if (hook := counter.hook_for(name or type(module).__name__, module)) is not None
    ]
    if not handles:
        raise InvalidInputError(
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
                counter.end_batch()
    finally:
        for handle in handles:
            handle.remove()
    tallies = counter.tallies
    neuron_samples = [t.samples for t in tallies.values() if t.kind == "neuron"]
    samples = neuron_samples[0] if neuron_samples else first_batch
    return CostReport(
        model=type(model).__name__,
        samples=samples,
        steps=max((t.steps for t in tallies.values()), default=0) or 1,
        layers={
            name: _layer_cost(name, tally, samples, modules.get(name, model))
            for name, tally in tallies.items()
        },
        parameter_bytes=sum(p.numel() * p.element_size() for p in model.parameters()),
    )


class _Counter:
    """The forward hooks of one `count` call and what they have counted so far.

    Each tensor is scanned at most once for its non-zero pattern: a spiking layer's output is
    its own pattern (and any view of it is binary), and an activation layer's output, scanned
    for its sparsity, is not scanned again when the next layer reads it (e.g. flattened).
    """

    def __init__(self) -> None:
        self.tallies: dict[str, _Tally] = {}
        self.fanouts: dict[tuple, tuple[torch.Tensor, torch.Tensor]] = {}
        # storages written by spiking layers in this batch, kept alive so that no other tensor
        # reuses their memory (and address) before the batch ends
        self.spike_storages: dict[int, tuple[torch.Tensor, int]] = {}  # (spikes, version)
        # non-zero patterns of contiguous activation outputs in this batch, by memory location
        self.patterns: dict[tuple[int, int, int], tuple[torch.Tensor, torch.Tensor, bool]] = {}

    def end_batch(self) -> None:
        self.spike_storages.clear()
        self.patterns.clear()

    def hook_for(self, name: str, module: nn.Module):
        if isinstance(module, nn.Linear):
            kind = "linear"
        elif type(module) in _CONVOLUTIONS:
            kind = "conv"
        elif isinstance(module, Neuron):
            kind = "neuron"
        elif isinstance(module, ACTIVATIONS):
            kind = "activation"
        else:
            return None

        def hook(module: nn.Module, args: tuple, output) -> None:
            y = output[0] if isinstance(output, tuple) else output
            tally = self.tallies.setdefault(name, _Tally(kind))
            if kind in ("linear", "conv"):
                self._synaptic(module, args[0], y, tally)
            else:
                self._activity(module, args[0], y, tally)

        return hook

    def _synaptic(self, layer: nn.Module, x: torch.Tensor, y: torch.Tensor, tally: _Tally) -> None:
        spikes = self.spike_storages.get(x.untyped_storage().data_ptr())
        if spikes is not None and spikes[1] == x._version:
            nonzero, binary = x, True
        elif (pattern := self.patterns.get(_location(x))) is not None and x.is_contiguous():
            nonzero, binary = pattern[1].reshape(x.shape), pattern[2]
        else:
            nonzero, binary = _nonzero(x)
        if isinstance(layer, nn.Linear):
            active, rows = _count_linear(layer, nonzero, tally, binary)
        else:
            assert isinstance(layer, (nn.Conv1d, nn.Conv2d))
            active, rows = _count_conv(layer, nonzero, y, tally, binary, self.fanouts)
        tally.rows += rows
        tally.outputs += y.numel()
        tally.counts["weight_reads"] += rows * _parameters(layer)
        tally.values += x.numel()
        tally.zeros += x.numel() - active
        tally.counts["spike_values" if binary else "activation_values"] += x.numel()
        tally.counts["activation_values"] += y.numel()

    def _activity(self, module: nn.Module, x: torch.Tensor, y: torch.Tensor, tally: _Tally) -> None:
        spiking = isinstance(module, Neuron) and type(module).emits_spikes
        if spiking:
            pattern = y
        else:
            pattern, binary = _nonzero(y)
            if y.is_contiguous():
                self.patterns[_location(y)] = (y, pattern, binary)
        nonzero = round(float(pattern.sum(dtype=torch.float32)))
        tally.spiking = spiking
        tally.outputs += y.numel()
        tally.values += y.numel()
        tally.zeros += y.numel() - nonzero
        tally.counts["activation_values"] += x.numel()  # input currents are words
        tally.counts["spike_values" if spiking else "activation_values"] += y.numel()
        if spiking:
            self.spike_storages[y.untyped_storage().data_ptr()] = (y, y._version)
            tally.counts["spike_events"] += nonzero
        if isinstance(module, Neuron):
            _count_neuron(module, x, y, tally)


def _location(x: torch.Tensor) -> tuple[int, int, int]:
    """Where a contiguous tensor's values start in memory, how many there are, and its version.

    The version is the counter that in-place operations on the tensor or any view of it increase.
    """
    return x.data_ptr(), x.numel(), x._version


def _nonzero(x: torch.Tensor) -> tuple[torch.Tensor, bool]:
    """(1 where x != 0 else 0, in x's floating type; whether x holds only 0s and 1s).

    Built from `sign` and float sums, which on CPU are several times faster than boolean masks
    and their sums (the counts stay exact: sums of 0/1 below 2**24 per position).
    """
    if not x.is_floating_point():
        x = x.to(torch.get_default_dtype())
    low, high = torch.aminmax(x)
    nonzero = x.sign()
    if low < 0:
        nonzero.abs_()
    binary = bool(low >= 0 and high <= 1) and torch.equal(nonzero, x)
    return nonzero, binary


def _dot(active: torch.Tensor, fanout: torch.Tensor) -> float:
    """Sum of non-zero inputs x fan-out, accumulated in float64."""
    return float((active.double() * fanout.double()).sum())


def _synapses(tally: _Tally, binary: bool, dense: float, effective: float) -> None:
    tally.counts["dense_acs" if binary else "dense_macs"] += dense
    tally.counts["effective_acs" if binary else "effective_macs"] += effective


def _count_linear(
    layer: nn.Linear, nonzero: torch.Tensor, tally: _Tally, binary: bool
) -> tuple[int, int]:
    """Count one call; return (non-zero inputs, rows)."""
    active = nonzero.reshape(-1, layer.in_features).sum(0, dtype=torch.float32)  # per input
    fanout = layer.weight.ne(0).sum(0)  # non-zero weights per input
    rows = nonzero.numel() // layer.in_features
    _synapses(tally, binary, rows * layer.weight.numel(), _dot(active, fanout))
    return round(float(active.sum())), rows


def _count_conv(
    layer: nn.Conv1d | nn.Conv2d,
    nonzero: torch.Tensor,
    y: torch.Tensor,
    tally: _Tally,
    binary: bool,
    fanouts: dict,
) -> tuple[int, int]:
    """Count one call; return (non-zero inputs, rows)."""
    if nonzero.dim() < layer.weight.dim():  # unbatched
        nonzero, y = nonzero.unsqueeze(0), y.unsqueeze(0)
    key = (id(layer), tuple(nonzero.shape[1:]), tuple(y.shape[2:]))
    if key not in fanouts:
        size, out_size = nonzero.shape[2:], y.shape[2:]
        fanouts[key] = (
            _conv_fanout(layer, torch.ones_like(layer.weight), size, out_size),
            _conv_fanout(layer, layer.weight.ne(0).to(layer.weight.dtype), size, out_size),
        )
    fanout_all, fanout_nonzero = fanouts[key]
    active = nonzero.sum(0, dtype=torch.float32)  # [C_in, *spatial]: per input position
    _synapses(
        tally,
        binary,
        len(nonzero) * float(fanout_all.sum()),
        _dot(active, fanout_nonzero),
    )
    return round(float(active.sum())), len(nonzero)


def _conv_fanout(layer, weight: torch.Tensor, in_size, out_size) -> torch.Tensor:
    """Weights each input position meets: the transposed convolution of all-ones outputs.

    Cropped to the unpadded input: padded positions are zeros, never counted.
    """
    ones = torch.ones(1, layer.out_channels, *out_size, dtype=torch.float32, device=weight.device)
    transpose = _CONVOLUTIONS[type(layer)]
    full = transpose(
        ones,
        weight.to(ones.dtype),
        stride=layer.stride,
        dilation=layer.dilation,
        groups=layer.groups,
    )[0]
    fanout = torch.zeros(layer.in_channels, *in_size, dtype=ones.dtype, device=ones.device)
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


def _count_neuron(neuron: Neuron, x: torch.Tensor, y: torch.Tensor, tally: _Tally) -> None:
    if x.dim() < 2:
        raise InvalidInputError(
            f"{type(neuron).__name__} got input of shape {tuple(x.shape)}; neurons take [T, B, ...]"
        )
    steps, batch = x.shape[:2]
    tally.steps = max(tally.steps, steps)
    tally.samples += batch
    tally.counts["neuron_updates"] += x.numel()
    state = [name for name in neuron.state_names() if name != "s"]  # a fed-back spike is no state
    tally.counts["state_accesses"] += 2 * len(state) * x.numel()
    recurrent = getattr(neuron, "recurrent", None)
    if isinstance(recurrent, nn.Linear):  # spikes of step t-1 meet the recurrent weights at t
        previous = y[:-1].reshape(-1, recurrent.in_features).ne(0).sum(0)
        fanout = recurrent.weight.ne(0).sum(0)
        tally.counts["dense_acs"] += x.numel() // recurrent.in_features * recurrent.weight.numel()
        tally.counts["effective_acs"] += int((previous * fanout).sum())
        tally.counts["weight_reads"] += steps * batch * _parameters(recurrent)


def _parameters(layer: nn.Module) -> int:
    return sum(p.numel() for p in layer.parameters())


def _layer_cost(name: str, tally: _Tally, samples: int, module: nn.Module) -> LayerCost:
    weights: list[torch.Tensor] = [
        m.weight for m in module.modules() if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d))
    ]
    per_sample = {key: value / samples for key, value in tally.counts.items()}
    steps = float(tally.steps) if tally.kind == "neuron" else tally.rows / samples or 1.0
    neurons = round(tally.outputs / samples / steps)
    sparsity = tally.zeros / tally.values if tally.values else 0.0
    synaptic = tally.kind in ("linear", "conv")
    return LayerCost(
        name=name,
        kind=tally.kind,
        counts=Counts(**per_sample),
        steps=steps,
        neurons=neurons,
        spike_rate=per_sample["spike_events"] / (neurons * steps) if tally.spiking else None,
        input_sparsity=sparsity if synaptic else None,
        output_sparsity=None if synaptic else sparsity,
        weights=sum(w.numel() for w in weights),
        zero_weights=sum(int((w == 0).sum()) for w in weights),
        parameter_bytes=sum(p.numel() * p.element_size() for p in module.parameters()),
    )
