"""What counting costs: `gs.cost.count(model, inputs)` against the plain forward pass
(requirement: under 20 % overhead).

    python benchmarks/cost_count_overhead.py [--repeats 15] [--threads 1]

Models: the spiking MLP of examples/spiking_mlp_digits.py and its ReLU twin on the digits test
set (360 images, 8 steps), a small spiking CNN with time folded into the batch and its ReLU twin
on 256 MNIST-sized images. Plain and profiled runs are interleaved and the medians compared;
the same plain-vs-plain pairs give the noise of the machine.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
from rich.console import Console
from rich.table import Table
from torch import nn

import greenspike as gs

STEPS = 8


class SpikingMLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.lif1 = nn.Linear(64, 128), gs.snn.LIF(beta=0.9)
        self.fc2, self.readout = nn.Linear(128, 10), gs.snn.LeakyIntegrator(beta=0.9)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        current = self.fc1(images.flatten(1))
        return self.readout(self.fc2(self.lif1(current.expand(STEPS, *current.shape))))


class SpikingCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.lif1 = nn.Conv2d(1, 8, 3, padding=1), gs.snn.LIF(beta=0.9)
        self.pool = nn.MaxPool2d(2)
        self.conv2, self.lif2 = nn.Conv2d(8, 16, 3, padding=1, stride=2), gs.snn.LIF(beta=0.9)
        self.fc, self.readout = nn.Linear(16 * 7 * 7, 10), gs.snn.LeakyIntegrator(beta=0.9)

    def forward(self, images: torch.Tensor) -> torch.Tensor:  # [B, 1, 28, 28]
        batch = len(images)
        current = self.conv1(images).unsqueeze(0).expand(STEPS, -1, -1, -1, -1)
        spikes = self.pool(self.lif1(current).flatten(0, 1))  # time folded into the batch
        spikes = self.lif2(self.conv2(spikes).unflatten(0, (STEPS, batch)))
        return self.readout(self.fc(spikes.flatten(2)))


def relu_cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1, stride=2),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(16 * 7 * 7, 10),
    )


def medians(plain: Callable[[], object], other: Callable[[], object], repeats: int):
    """Interleaved runs: (median plain s, median other s)."""
    first, second = [], []
    for _ in range(repeats):
        for action, times in ((plain, first), (other, second)):
            start = time.perf_counter()
            action()
            times.append(time.perf_counter() - start)
    return statistics.median(first), statistics.median(second)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    digits = gs.data.load_digits("test").images
    mnist_sized = torch.rand(256, 1, 28, 28)
    cases = [
        ("spiking MLP, digits", SpikingMLP(), digits),
        (
            "ReLU MLP, digits",
            nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10)),
            digits,
        ),
        ("spiking CNN, 256 x 28x28", SpikingCNN(), mnist_sized),
        ("ReLU CNN, 256 x 28x28", relu_cnn(), mnist_sized),
    ]
    table = Table(title=f"gs.cost.count overhead ({args.threads} thread(s), medians)")
    for column in ("model", "forward ms", "count ms", "overhead", "noise (plain vs plain)"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for label, model, inputs in cases:
        model.eval()

        def plain(model=model, inputs=inputs):
            with torch.no_grad():
                model(inputs)

        def profiled(model=model, inputs=inputs):
            gs.cost.count(model, inputs)

        plain()  # warm up
        profiled()
        forward, profile = medians(plain, profiled, args.repeats)
        first, second = medians(plain, plain, args.repeats)
        table.add_row(
            label,
            f"{forward * 1e3:.2f}",
            f"{profile * 1e3:.2f}",
            f"{profile / forward - 1:+.1%}",
            f"{second / first - 1:+.1%}",
        )
    Console().print(table)


if __name__ == "__main__":
    main()
