"""Counting what a model does on real inputs, with forward hooks (the model is not changed).

Synaptic layers: `nn.Linear` (on the last dimension of `[B, N]` or `[T, B, N]`), `nn.Conv1d`,
`nn.Conv2d` (time may be folded into the batch, `[T*B, C, ...]`, or given as `[T, B, C, ...]`),
and the recurrent weights of `gs.snn.RecurrentLIF`. For a layer with weights W and input x,
NeuroBench's counts are

    dense     = sum over inputs x_i of fanout_all(i)          (every weight, every input)
    effective = sum over inputs x_i != 0 of fanout_nonzero(i) (non-zero input x non-zero weight)
    event     = sum over inputs x_i != 0 of fanout_all(i)     (the weights an event-driven core
                                                               fetches: `event_weight_reads`)

where fanout(i) is the number of weights input i meets (for a convolution it depends on the
position: padding and stride leave border inputs fewer outputs). An effective operation is an
accumulate when the input holds only spikes, binary {0, 1} or signed {-1, 0, 1} (a signed
spike adds or subtracts the weight), else a multiply-accumulate.

Neuron layers (`gs.snn.Neuron`, and the peers' neurons of `greenspike.cost.peers`) count one
update per neuron per time step (`neuron_updates`), NeuroBench's membrane updates (a
neuron-step whose membrane potential changed; the first step of each forward call counts every
neuron), and read and write each state variable (e.g. `v`) each update. Activation layers
(ReLU, ...) count only their output sparsity and traffic. A layer with weights greenspike
cannot count (`nn.Conv3d`, `nn.LSTM`, ...) or a peer neuron it does not know is refused by
name when it runs, never left out of the total.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from functools import partial
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from greenspike.cost import peers
from greenspike.cost.counts import CostReport, Counts, LayerCost
from greenspike.errors import InvalidInputError
from greenspike.snn.functional.lif import lif_update
from greenspike.snn.neuron import Neuron

ACTIVATIONS = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Sigmoid, nn.Tanh)
_CONVOLUTIONS = (nn.Conv1d, nn.Conv2d)
# Layers with weights that are not synaptic operations, left out of the counts on purpose:
# normalisation is element-wise and folds into the layer before it at deployment.
# A parametrized weight (greenspike.quant's fake quantization) lives in modules of its own.
_NOT_SYNAPTIC = (
    nn.modules.batchnorm._BatchNorm,
    nn.LayerNorm,
    nn.GroupNorm,
    nn.utils.parametrize.ParametrizationList,
)
_COUNT_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Counts))


@dataclass
class _Tally:
    """Running totals of one layer over all forward calls (not yet divided by samples)."""

    kind: str
    counts: dict[str, float] = field(default_factory=lambda: dict.fromkeys(_COUNT_NAMES, 0.0))
    steps: int = 0  # time steps of neuron layers (max over batches)
    rows: int = 0  # step-sample rows processed (weights are read once per row / sample)
    samples: int = 0  # samples seen by neuron layers
    outputs: int = 0  # output values written
    values: int = 0  # inputs seen (synaptic layers) or outputs (neurons, activations)
    zeros: int = 0  # how many of them were zero
    spiking: bool = False
    batch: int = 0  # samples a neuron layer saw in the current batch
    calls: int = 0  # calls of a step-by-step neuron layer in this batch (its time steps)
    membrane: torch.Tensor | None = None  # its membrane after the last call in this batch


def count(
    model: nn.Module,
    inputs: torch.Tensor | Sequence[torch.Tensor],
    *,
    batch_size: int | None = None,
    batch_dim: int = 0,
) -> CostReport:
    """Run `model` on `inputs` without gradients and count what one inference costs.

    The number of samples is the batch its neuron layers see (`[T, B, ...]` inputs, or `B` of
    a step-by-step neuron's `[B, ...]`) when the model has any, otherwise the size of the first
    input along `batch_dim`. The model runs in the mode it is in: call `model.eval()` first if
    it has dropout or batch norm, as for any evaluation.

    Args:
        model: the network; its layers are counted through forward hooks, removed afterwards.
        inputs: a tensor, or a sequence of tensors passed as `model(*inputs)` (a list holding
            one time-major tensor `[T, B, ...]` works too).
        batch_size: split every input along `batch_dim` into chunks of this size, to bound
            memory.
        batch_dim: the dimension of the inputs that holds the samples: 0 (the default), or 1
            for time-major inputs `[T, B, ...]`.

    Returns:
        The per-inference counts, per layer and in total.

    Raises:
        InvalidInputError: `inputs` is not a tensor or a non-empty sequence of tensors, or has
            no batch dimension; `batch_size` is not a positive integer or None, or `batch_dim`
            not 0 or 1; the model has no layer greenspike.cost can count, or runs a layer it
            cannot count (the message names it); a neuron layer gets an input that is not
            `[T, B, ...]`; the neuron layers see a batch that differs from the chunks the
            inputs were split into (time-major inputs split along time: give `batch_dim=1`),
            or batches that differ from layer to layer.
    """
    arguments = (inputs,) if isinstance(inputs, torch.Tensor) else tuple(inputs)
    if not arguments or not all(isinstance(a, torch.Tensor) for a in arguments):
        raise InvalidInputError(f"inputs must be a tensor or a sequence of tensors, got {inputs!r}")
    if batch_dim not in (0, 1) or isinstance(batch_dim, bool):
        raise InvalidInputError(f"batch_dim must be 0 or 1, got {batch_dim!r}")
    if arguments[0].dim() <= batch_dim or arguments[0].shape[batch_dim] == 0:
        raise InvalidInputError(
            f"inputs need a non-empty batch dimension {batch_dim}, "
            f"got shape {tuple(arguments[0].shape)}"
        )
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
        raise InvalidInputError(
            f"batch_size must be a positive integer or None, got {batch_size!r}"
        )
    counter = _Counter()
    modules = {name or type(module).__name__: module for name, module in model.named_modules()}
    handles = []
    for name, module in modules.items():
        hook = counter.hook_for(name, module)
        if hook is not None:
            handles.append(module.register_forward_hook(hook))
    if not counter.kinds:
        raise InvalidInputError(
            f"{type(model).__name__} has no layer greenspike.cost can count: it counts nn.Linear, "
            "nn.Conv1d, nn.Conv2d, greenspike.snn neurons, the peers' neurons of "
            "greenspike.cost.peers and activations (ReLU, ...)"
        )
    peer_modules = [modules[name] for name, kind in counter.kinds.items() if kind == "peer"]
    rows = 0
    try:
        with torch.no_grad(), peers.recording(peer_modules):
            total = arguments[0].shape[batch_dim]
            step = batch_size or total
            for start in range(0, total, step):
                size = min(step, total - start)
                chunk = tuple(a.narrow(batch_dim, start, size) for a in arguments)
                rows += chunk[0].shape[batch_dim]
                peers.reset(peer_modules)
                model(*chunk)
                counter.end_batch(chunk[0].shape[batch_dim] if batch_size else None)
    finally:
        for handle in handles:
            handle.remove()
    tallies = counter.tallies
    samples = _samples(tallies, rows)
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


def _samples(tallies: dict[str, _Tally], rows: int) -> int:
    """The samples the neuron layers saw (all the same), else the input rows."""
    seen = {name: t.samples for name, t in tallies.items() if t.kind == "neuron"}
    if len(set(seen.values())) > 1:
        raise InvalidInputError(
            "the neuron layers saw different numbers of samples "
            f"({', '.join(f'{name}: {n}' for name, n in seen.items())}): the batch dimension "
            "cannot be inferred; give each neuron layer [T, B, ...] (or [B, ...] per step)"
        )
    return next(iter(seen.values())) if seen else rows


class _Counter:
    """The forward hooks of one `count` call and what they have counted so far.

    Each tensor is scanned at most once for its non-zero pattern: a spiking layer's output is
    its own pattern (and any view of it is binary), and an activation layer's output, scanned
    for its sparsity, is not scanned again when the next layer reads it (e.g. flattened).
    """

    def __init__(self) -> None:
        self.kinds: dict[str, str] = {}  # the layers hooked, by name: what each one is
        self.tallies: dict[str, _Tally] = {}
        self.fanouts: dict[tuple, tuple[torch.Tensor, torch.Tensor]] = {}
        # storages written by spiking layers in this batch, kept alive so that no other tensor
        # reuses their memory (and address) before the batch ends
        self.spike_storages: dict[int, tuple[torch.Tensor, int]] = {}  # (spikes, version)
        # non-zero patterns of contiguous activation outputs in this batch, by memory location
        self.patterns: dict[tuple[int, int, int], tuple[torch.Tensor, torch.Tensor, bool]] = {}

    def end_batch(self, rows: int | None) -> None:
        """Close a batch of `rows` samples (None: not split, nothing to check)."""
        self.spike_storages.clear()
        self.patterns.clear()
        for name, tally in self.tallies.items():
            if tally.kind == "neuron" and tally.calls:  # a step-by-step neuron: calls = steps
                tally.steps = max(tally.steps, tally.calls)
                tally.calls, tally.membrane = 0, None
            if rows is not None and tally.batch and tally.batch != rows:
                raise InvalidInputError(
                    f"the inputs were split into chunks of {rows} samples along batch_dim, but "
                    f"neuron layer {name!r} sees a batch of {tally.batch}: time-major inputs "
                    "[T, B, ...] need batch_dim=1 (or no batch_size)"
                )
            tally.batch = 0

    def hook_for(self, name: str, module: nn.Module):
        """The forward hook that counts `module`, or None for a layer with nothing to count.

        Raises:
            InvalidInputError: `module` is a peer library's neuron greenspike.cost does not
                know (`peers.peer_neuron`).
        """
        peer = None if isinstance(module, Neuron) else peers.peer_neuron(name, module)
        if isinstance(module, nn.Linear):
            kind = "linear"
        elif isinstance(module, _CONVOLUTIONS):
            kind = "conv"
        elif isinstance(module, Neuron):
            kind = "neuron"
        elif peer is not None:
            kind = "peer"
        elif isinstance(module, ACTIVATIONS):
            kind = "activation"
        elif any(True for _ in module.parameters(recurse=False)) and not isinstance(
            module, _NOT_SYNAPTIC
        ):
            kind = "uncountable"
        else:
            return None
        self.kinds[name] = kind

        def hook(module: nn.Module, args: tuple, output) -> None:
            if kind == "uncountable":
                raise InvalidInputError(
                    f"layer {name!r} ({type(module).__name__}) has weights greenspike.cost "
                    "cannot count (it counts nn.Linear, nn.Conv1d, nn.Conv2d and the "
                    "recurrent weights of greenspike.snn.RecurrentLIF): its operations would "
                    "be left out of the total"
                )
            y = output[0] if isinstance(output, tuple) else output
            tally = self.tallies.setdefault(name, _Tally("neuron" if kind == "peer" else kind))
            if kind in ("linear", "conv"):
                self._synaptic(module, args[0], y, tally)
            elif kind == "peer":
                assert peer is not None
                self._activity(module, args[0], y, tally, peer.spiking)
                _count_peer(name, peer, module, args[0], output, tally)
            elif isinstance(module, Neuron):
                self._activity(module, args[0], y, tally, type(module).emits_spikes)
                _count_neuron(module, args[0], y, tally)
            else:
                self._activity(module, args[0], y, tally, False)

        return hook

    def _synaptic(self, layer: nn.Module, x: torch.Tensor, y: torch.Tensor, tally: _Tally) -> None:
        spikes = self.spike_storages.get(x.untyped_storage().data_ptr())
        if spikes is not None and spikes[1] == x._version:
            nonzero, spiking, signed = x, True, False
        elif (pattern := self.patterns.get(_location(x))) is not None and x.is_contiguous():
            nonzero, spiking, signed = pattern[1].reshape(x.shape), pattern[2], False
        else:
            nonzero, spiking, signed = _nonzero(x)
        if isinstance(layer, nn.Linear):
            active, rows = _count_linear(layer, nonzero, tally, spiking)
        else:
            assert isinstance(layer, (nn.Conv1d, nn.Conv2d))
            active, rows = _count_conv(layer, nonzero, y, tally, spiking, self.fanouts)
        tally.rows += rows
        tally.outputs += y.numel()
        tally.counts["weight_reads"] += rows * _parameters(layer)
        tally.values += x.numel()
        tally.zeros += x.numel() - active
        if spiking:
            tally.counts["spike_values"] += x.numel() * (2 if signed else 1)
        else:
            tally.counts["activation_values"] += x.numel()
        tally.counts["activation_values"] += y.numel()

    def _activity(
        self, module: nn.Module, x: torch.Tensor, y: torch.Tensor, tally: _Tally, emits: bool
    ) -> None:
        """Count a neuron or activation layer's output; `emits`: it emits spikes (if binary)."""
        if emits and isinstance(module, Neuron):
            pattern, spikes = y, True
        else:
            pattern, spikes, _ = _nonzero(y)
            if y.is_contiguous():
                self.patterns[_location(y)] = (y, pattern, spikes)
        spiking = emits and spikes
        nonzero = round(float(pattern.sum(dtype=torch.float32)))
        tally.spiking = spiking
        tally.outputs += y.numel()
        tally.values += y.numel()
        tally.zeros += y.numel() - nonzero
        tally.counts["activation_values"] += x.numel()  # input currents are words
        tally.counts["spike_values" if spiking else "activation_values"] += y.numel()
        if spiking:
            tally.counts["spike_events"] += nonzero
            if isinstance(module, Neuron):
                self.spike_storages[y.untyped_storage().data_ptr()] = (y, y._version)


def _location(x: torch.Tensor) -> tuple[int, int, int]:
    """Where a contiguous tensor's values start in memory, how many there are, and its version.

    The version is the counter that in-place operations on the tensor or any view of it increase.
    """
    return x.data_ptr(), x.numel(), x._version


def _nonzero(x: torch.Tensor) -> tuple[torch.Tensor, bool, bool]:
    """(1 where x != 0 else 0, in x's floating type; spikes: x holds only {-1, 0, 1}; signed).

    Built from `sign` and float sums, which on CPU are several times faster than boolean masks
    and their sums (the counts stay exact: sums of 0/1 below 2**24 per position).
    """
    if not x.is_floating_point():
        x = x.to(torch.get_default_dtype())
    low, high = torch.aminmax(x)
    nonzero = x.sign()
    spikes = bool(low >= -1 and high <= 1) and torch.equal(nonzero, x)
    signed = bool(low < 0)
    if signed:
        nonzero.abs_()
    return nonzero, spikes, spikes and signed


def _dot(active: torch.Tensor, fanout: torch.Tensor) -> float:
    """Sum of non-zero inputs x fan-out, accumulated in float64."""
    return float((active.double() * fanout.double()).sum())


def _synapses(
    tally: _Tally, spikes: bool, dense: float, effective: float, event_reads: float
) -> None:
    tally.counts["dense_acs" if spikes else "dense_macs"] += dense
    tally.counts["effective_acs" if spikes else "effective_macs"] += effective
    tally.counts["event_weight_reads"] += event_reads


def _count_linear(
    layer: nn.Linear, nonzero: torch.Tensor, tally: _Tally, spikes: bool
) -> tuple[int, int]:
    """Count one call; return (non-zero inputs, rows)."""
    active = nonzero.reshape(-1, layer.in_features).sum(0, dtype=torch.float32)  # per input
    weight = layer.weight
    fanout = weight.ne(0).sum(0)  # non-zero weights per input
    rows = nonzero.numel() // layer.in_features
    inputs = float(active.sum())
    _synapses(
        tally, spikes, rows * weight.numel(), _dot(active, fanout), inputs * layer.out_features
    )
    return round(inputs), rows


def _count_conv(
    layer: nn.Conv1d | nn.Conv2d,
    nonzero: torch.Tensor,
    y: torch.Tensor,
    tally: _Tally,
    spikes: bool,
    fanouts: dict,
) -> tuple[int, int]:
    """Count one call; return (non-zero inputs, rows)."""
    weight = layer.weight
    if nonzero.dim() < weight.dim():  # unbatched
        nonzero, y = nonzero.unsqueeze(0), y.unsqueeze(0)
    elif nonzero.dim() == weight.dim() + 1:  # time-major [T, B, C, ...]: one row per step
        nonzero, y = nonzero.flatten(0, 1), y.flatten(0, 1)
    key = (id(layer), tuple(nonzero.shape[1:]), tuple(y.shape[2:]))
    if key not in fanouts:
        size, out_size = nonzero.shape[2:], y.shape[2:]
        fanouts[key] = (
            _conv_fanout(layer, torch.ones_like(weight), size, out_size),
            _conv_fanout(layer, weight.ne(0).to(weight.dtype), size, out_size),
        )
    fanout_all, fanout_nonzero = fanouts[key]
    active = nonzero.sum(0, dtype=torch.float32)  # [C_in, *spatial]: per input position
    _synapses(
        tally,
        spikes,
        len(nonzero) * float(fanout_all.sum()),
        _dot(active, fanout_nonzero),
        _dot(active, fanout_all),
    )
    return round(float(active.sum())), len(nonzero)


def _conv_fanout(layer, weight: torch.Tensor, in_size, out_size) -> torch.Tensor:
    """Weights each input position meets: the transposed convolution of all-ones outputs.

    Cropped to the unpadded input: padded positions are zeros, never counted.
    """
    ones = torch.ones(1, layer.out_channels, *out_size, dtype=torch.float32, device=weight.device)
    transpose = F.conv_transpose1d if isinstance(layer, nn.Conv1d) else F.conv_transpose2d
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
    tally.batch = batch
    tally.counts["neuron_updates"] += x.numel()
    state_names = [name for name in neuron.state_names() if name != "s"]  # a fed-back spike
    tally.counts["state_accesses"] += 2 * len(state_names) * x.numel()
    tally.counts["membrane_updates"] += _membrane_updates(neuron, x, y)
    recurrent = getattr(neuron, "recurrent", None)
    if isinstance(recurrent, nn.Linear):  # spikes of step t-1 meet the recurrent weights at t
        previous = y[:-1].reshape(-1, recurrent.in_features).ne(0).sum(0)
        fanout = recurrent.weight.ne(0).sum(0)
        tally.counts["dense_acs"] += x.numel() // recurrent.in_features * recurrent.weight.numel()
        tally.counts["effective_acs"] += int((previous * fanout).sum())
        tally.counts["event_weight_reads"] += int(previous.sum()) * recurrent.out_features
        tally.counts["weight_reads"] += steps * batch * _parameters(recurrent)


def _membrane_updates(neuron: Neuron, x: torch.Tensor, y: torch.Tensor) -> int:
    """NeuroBench's membrane updates: neuron-steps whose membrane changed; all at step 0.

    The membrane after each step comes from stepping the layer through `x` again: a LIF layer
    from its inputs and the spikes `y` it emitted (the update is then a few in-place
    operations), any other with the unchecked update of its functional pair (the input was
    checked by its forward call), or with its own `step` where the class redefines it (e.g.
    greenspike.quant's fixed point).
    """
    cls = type(neuron)
    own_step = cls.step is Neuron.step
    if own_step and cls._update is lif_update:
        return _lif_membrane_updates(neuron._functional_parameters(), x, y)
    if not own_step:
        step: Callable[[torch.Tensor, Any], tuple[torch.Tensor, Any]] = neuron.step
        state: Any = None
    else:
        parameters = neuron._functional_parameters()
        step = partial(_unchecked_step, cls._update, parameters)
        state = cls.State._make(torch.zeros_like(x[0]) for _ in cls.state_names())  # type: ignore[attr-defined]
    previous: torch.Tensor | None = None
    updates = 0
    for x_t in x:
        _, state = step(x_t, state)
        v = state.v
        updates += v.numel() if previous is None else int(v.ne(previous).sum())
        previous = v
    return updates


def _lif_membrane_updates(params: Any, x: torch.Tensor, y: torch.Tensor) -> int:
    """`_membrane_updates` of a LIF layer (`functional.lif`), given its spikes `y`."""
    v = torch.zeros_like(x[0])
    updates = v.numel()
    for t, x_t in enumerate(x):
        new = v * params.beta + x_t
        if params.reset == "subtract":
            new -= y[t] * params.threshold
        elif params.reset == "zero":
            new *= 1 - y[t]
        if t:
            updates += int(new.ne(v).sum())
        v = new
    return updates


def _unchecked_step(update, parameters, x_t: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
    return update(x_t, parameters, state)


def _count_peer(
    name: str, peer: peers.PeerNeuron, module: nn.Module, x: torch.Tensor, output, tally: _Tally
) -> None:
    """Neuron updates, state traffic and membrane updates of a peer library's neuron layer."""
    mode = peers.mode_of(peer, module)
    if mode == "sequence" and x.dim() < 2:
        raise InvalidInputError(
            f"layer {name!r} ({peer.library} {peer.name}) got input of shape "
            f"{tuple(x.shape)}; in sequence mode it takes [T, B, ...]"
        )
    membrane = peers.membrane(peer, module, output)
    if membrane is None:
        raise InvalidInputError(
            f"layer {name!r} ({peer.library} {peer.name}): its membrane potential cannot be "
            "read after the call, so its membrane updates cannot be counted"
        )
    tally.counts["neuron_updates"] += x.numel()
    tally.counts["state_accesses"] += 2 * len(peer.state) * x.numel()
    if mode == "sequence":
        steps, batch = x.shape[:2]
        tally.steps = max(tally.steps, steps)
        tally.samples += batch
        tally.batch = batch
        trace = membrane.reshape(steps, *x.shape[1:])
        changed = int(torch.count_nonzero(trace[1:] - trace[:-1]))
        tally.counts["membrane_updates"] += trace[0].numel() + changed
        return
    tally.calls += 1
    if tally.calls == 1:  # the first step of a batch: its samples, every membrane updated
        tally.samples += len(x)
        tally.batch = len(x)
        tally.counts["membrane_updates"] += membrane.numel()
    else:
        assert tally.membrane is not None
        tally.counts["membrane_updates"] += int(torch.count_nonzero(membrane - tally.membrane))
    tally.membrane = membrane.detach().clone()


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
