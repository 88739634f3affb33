"""The third network of `greenspike compare --spiking convert`: the ReLU twin, converted.

Once the ReLU twin is trained, `greenspike.convert` turns it into IF neurons with thresholds
from its activations on the training images; the converted network is then tested and priced
like the twins, at `steps` time steps and along its accuracy-versus-steps curve.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from greenspike.cost import CostReport
from greenspike.interop import ConversionReport, ConvertedNetwork, convert
from greenspike.train.inference import COUNT_IMAGES, count_network
from greenspike.train.loop import predictions
from greenspike.train.models import _AddChannel

# Time steps x samples per forward pass while testing and counting a converted network: its
# spiking layers hold a step's activations for all of them at once.
STEP_SAMPLES = 4096


@dataclass(frozen=True)
class CurvePoint:
    """The converted network at one number of time steps.

    Args:
        steps: time steps per inference.
        accuracy: test accuracy (0..1) with the outputs averaged over those steps.
        spike_rate: spikes per neuron per step over its IF layers.
        energy_j: energy per inference per hardware profile, None where the profile cannot
            price the network in full.
    """

    steps: int
    accuracy: float
    spike_rate: float | None
    energy_j: Mapping[str, float | None]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "steps": self.steps,
            "accuracy": self.accuracy,
            "spike_rate": self.spike_rate,
            "energy_j": dict(self.energy_j),
        }


def converted_twin(
    relu: nn.Module, images: torch.Tensor, steps: int
) -> tuple[nn.Module, ConversionReport]:
    """The ReLU twin `relu` converted, calibrated on `images`; it takes images as `relu` does.

    The cnn twin's first module only adds the channel dimension: it is kept in front of the
    converted network, which is calibrated on the images with that dimension.
    """
    front: list[nn.Module] = []
    if isinstance(relu, nn.Sequential) and isinstance(relu[0], _AddChannel):
        front, images = [relu[0]], relu[0](images)
        relu = nn.Sequential(*list(relu)[1:])
    network = convert(relu, images, steps=steps)
    return (nn.Sequential(*front, network) if front else network), network.report


def set_steps(network: nn.Module, steps: int) -> None:
    """Make a converted twin run `steps` time steps per inference."""
    for module in network.modules():
        if isinstance(module, ConvertedNetwork):
            module.steps = steps


@torch.no_grad()
def accuracy_by_steps(
    network: nn.Module, images: torch.Tensor, labels: torch.Tensor, steps: tuple[int, ...]
) -> dict[int, float]:
    """Test accuracy at each number of `steps`, from one run of the largest.

    The network is causal: its outputs over the first T of T_max steps are those of a run of T
    steps, so the accuracy at T comes from the mean of the first T outputs.
    """
    network.eval()
    longest = max(steps)
    set_steps(network, longest)
    correct = dict.fromkeys(steps, 0)
    batch = max(1, STEP_SAMPLES // longest)
    for start in range(0, len(labels), batch):
        outputs = network(images[start : start + batch])
        running = outputs.cumsum(0)
        for t in steps:
            guessed = predictions(running[t - 1].unsqueeze(0))
            correct[t] += int((guessed == labels[start : start + batch]).sum())
    return {t: correct[t] / len(labels) for t in steps}


def count_converted(network: nn.Module, images: torch.Tensor, steps: int, seed: int) -> CostReport:
    """`count_network` of a converted twin at `steps` time steps, in batches that fit."""
    set_steps(network, steps)
    return count_network(
        network, images[:COUNT_IMAGES], seed, batch_size=max(1, STEP_SAMPLES // steps)
    )
