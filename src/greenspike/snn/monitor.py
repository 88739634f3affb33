"""Looking inside a spiking network: spike statistics per layer and membrane traces."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn

from greenspike.snn.neuron import Neuron


@dataclass(frozen=True)
class SpikeStats:
    """The spikes of one layer over one or more forward calls.

    `rate` is spikes per neuron per time step (0..1), averaged over samples; `silent_fraction`
    the fraction of neurons that fired for no sample at all (dead neurons).
    """

    spikes: int
    neurons: int
    samples: int
    sample_steps: int  # time steps summed over samples (T * B per call)
    rate: float
    silent_fraction: float


def spike_stats(model: nn.Module, *inputs: torch.Tensor) -> dict[str, SpikeStats]:
    """Run `model(*inputs)` without gradients and count the spikes of each spiking layer.

    Returns `{layer name: SpikeStats}` for every spiking `Neuron` submodule whose `forward` ran
    (layers driven through `step` are not seen), in the order they ran. Outputs are `[T, B, ...]`.
    """
    totals: dict[str, list[torch.Tensor | int]] = {}

    def record(name: str):  # per layer: [spikes per neuron, samples, sample_steps]
        def hook(module: nn.Module, args, output) -> None:
            spikes = output[0] if isinstance(output, tuple) else output
            steps, samples = spikes.shape[:2]
            per_neuron = spikes.detach().sum(dim=(0, 1)).flatten()
            if name not in totals:
                totals[name] = [per_neuron, samples, steps * samples]
            else:  # another call (a new batch): same neurons, more samples
                totals[name][0] = totals[name][0] + per_neuron
                totals[name][1] += samples
                totals[name][2] += steps * samples

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
    for name, (per_neuron, samples, sample_steps) in totals.items():
        spikes, neurons = int(per_neuron.sum().item()), per_neuron.numel()
        stats[name] = SpikeStats(
            spikes=spikes,
            neurons=neurons,
            samples=samples,
            sample_steps=sample_steps,
            rate=spikes / (neurons * sample_steps),
            silent_fraction=(per_neuron == 0).float().mean().item(),
        )
    return stats


def record_membrane(
    neuron: Neuron, x: torch.Tensor, state: NamedTuple | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Step `neuron` through `x` `[T, B, ...]`: its outputs and membrane `v` after each step.

    Returns `(outputs [T, B, ...], membrane [T, B, ...])`; the membrane is the state after the
    reset (what the next step starts from). Outputs equal `neuron(x, state)`.
    """
    outputs, membrane = [], []
    for x_t in x:
        output, state = neuron.step(x_t, state)
        outputs.append(output)
        membrane.append(state.v)
    return torch.stack(outputs), torch.stack(membrane)
