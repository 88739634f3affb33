"""Looking inside a spiking network: spike statistics per layer and membrane traces."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from greenspike.snn.neuron import Neuron, NeuronState


@dataclass(frozen=True)
class SpikeStats:
    """The spikes of one layer over one or more forward calls.

    Attributes:
        spikes: the number of spikes.
        neurons: the number of neurons of the layer.
        samples: the number of samples (B per call).
        sample_steps: time steps summed over samples (T * B per call).
        rate: spikes per neuron per time step (0..1), averaged over samples.
        silent_fraction: the fraction of neurons that fired for no sample at all (dead
            neurons).
    """

    spikes: int
    neurons: int
    samples: int
    sample_steps: int
    rate: float
    silent_fraction: float


# What a neuron layer's forward returns: its outputs, with return_state=True also its state.
_Output = torch.Tensor | tuple[torch.Tensor, NeuronState]


def spike_stats(model: nn.Module, *inputs: torch.Tensor) -> dict[str, SpikeStats]:
    """Run `model(*inputs)` without gradients and count the spikes of each spiking layer.

    Args:
        model: a network with greenspike neuron layers, whose outputs are `[T, B, ...]`.
        *inputs: the arguments of one `model` call.

    Returns:
        `{layer name: SpikeStats}` for every spiking `Neuron` submodule whose `forward` ran
        (layers driven through `step` are not seen), in the order they ran.
    """
    totals: dict[str, _Totals] = {}

    def record(name: str) -> Callable[[nn.Module, object, _Output], None]:
        def hook(module: nn.Module, args: object, output: _Output) -> None:
            spikes = output[0] if isinstance(output, tuple) else output
            steps, samples = spikes.shape[:2]
            per_neuron = spikes.detach().sum(dim=(0, 1)).flatten()
            if name not in totals:
                totals[name] = _Totals(per_neuron, samples, steps * samples)
            else:  # another call (a new batch): same neurons, more samples
                total = totals[name]
                total.per_neuron = total.per_neuron + per_neuron
                total.samples += samples
                total.sample_steps += steps * samples

        return hook

    handles = [
        module.register_forward_hook(record(name))
        for name, module in model.named_modules()
        if isinstance(module, Neuron) and module.emits_spikes
    ]
    try:
        with torch.no_grad():
            model(*inputs)
    finally:
        for handle in handles:
            handle.remove()
    stats = {}
    for name, total in totals.items():
        spikes, neurons = int(total.per_neuron.sum().item()), total.per_neuron.numel()
        stats[name] = SpikeStats(
            spikes=spikes,
            neurons=neurons,
            samples=total.samples,
            sample_steps=total.sample_steps,
            rate=spikes / (neurons * total.sample_steps),
            silent_fraction=(total.per_neuron == 0).float().mean().item(),
        )
    return stats


@dataclass
class _Totals:
    """The spikes of one layer so far: per neuron `[N]`, over `samples` and `sample_steps`."""

    per_neuron: torch.Tensor
    samples: int
    sample_steps: int


def record_membrane(
    neuron: Neuron, x: torch.Tensor, state: NeuronState | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Step `neuron` through `x`: its outputs and membrane `v` after each step.

    Args:
        neuron: a greenspike neuron layer.
        x: inputs `[T, B, ...]`.
        state: the state to start from; None: zeros.

    Returns:
        `(outputs [T, B, ...], membrane [T, B, ...])`; the outputs equal `neuron(x, state)`,
        the membrane is the state after the reset (what the next step starts from).

    Raises:
        InvalidInputError: as the neuron's `step`.
        TypeError: as the neuron's `step`.
    """
    outputs, membrane = [], []
    for x_t in x:
        output, state = neuron.step(x_t, state)
        outputs.append(output)
        membrane.append(state.v)
    return torch.stack(outputs), torch.stack(membrane)
