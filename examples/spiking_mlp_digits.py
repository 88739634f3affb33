"""Train a 2-layer spiking MLP on the bundled handwritten digits, on CPU, in seconds.

    python examples/spiking_mlp_digits.py

The network: 64 pixels -> Linear -> 128 LIF neurons -> Linear -> 10 leaky integrators.
Each 8x8 image is fed as a constant input current for STEPS time steps; the hidden layer
turns it into spikes, and the readout integrates them. Training uses backpropagation through
time with the arc-tangent surrogate gradient; the loss is the cross-entropy of the readout
membrane at every step. Prints the test accuracy, the hidden layer's firing rate and the time.
"""

from __future__ import annotations

import time

import torch
from torch import nn

import greenspike as gs

STEPS = 8  # time steps per image
HIDDEN = 128
EPOCHS = 20
BATCH = 64


class SpikingMLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(64, HIDDEN)
        self.lif1 = gs.snn.LIF(beta=0.9, threshold=1.0)
        self.fc2 = nn.Linear(HIDDEN, 10)
        self.readout = gs.snn.LeakyIntegrator(beta=0.9)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Images [B, 8, 8] -> readout membrane [T, B, 10]."""
        current = self.fc1(images.flatten(1))  # the same input current at every step
        spikes = self.lif1(current.expand(STEPS, *current.shape))  # [T, B, HIDDEN]
        return self.readout(self.fc2(spikes))


def main() -> None:
    # Matrices this small are fastest on one thread: more threads mostly wait on each other,
    # and on a busy 2-core machine they make training several times slower.
    torch.set_num_threads(1)
    torch.manual_seed(0)
    train, test = gs.data.load_digits("train"), gs.data.load_digits("test")
    model = SpikingMLP()
    optimiser = torch.optim.Adam(model.parameters(), lr=2e-3)
    started = time.perf_counter()
    for epoch in range(EPOCHS):
        order = torch.randperm(len(train.labels))
        for start in range(0, len(order), BATCH):
            batch = order[start : start + BATCH]
            membrane = model(train.images[batch])
            loss = gs.snn.loss.cross_entropy_membrane(membrane, train.labels[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        with torch.no_grad():
            accuracy = gs.snn.loss.accuracy(model(test.images), test.labels)
        print(f"epoch {epoch + 1:2d}  loss {loss.item():.3f}  test accuracy {accuracy:.1%}")
    elapsed = time.perf_counter() - started
    hidden = gs.snn.spike_stats(model, test.images)["lif1"]
    print(
        f"test accuracy {accuracy:.1%} after {elapsed:.1f} s of training; hidden layer fires "
        f"{hidden.rate:.1%} of its neurons per step, {hidden.silent_fraction:.0%} never fire"
    )


if __name__ == "__main__":
    main()
