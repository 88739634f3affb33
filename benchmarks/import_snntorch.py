"""An snnTorch model imported into greenspike: the same spikes and accuracy? (issue 20).

    python benchmarks/import_snntorch.py [--epochs 10] [--steps 25]

A 3-layer snnTorch 1.0 model with default arguments (`Leaky(beta=0.9)`: threshold 1,
subtractive reset, `reset_delay=True`, the atan surrogate), 64-128-128-10, is trained with
snnTorch on the bundled digits (1,442 train images, the pixels fed as a constant current for
`--steps` steps, cross-entropy of the output spike counts, Adam), then imported with
`gs.interop.from_snntorch`. Both run the 355 test images: every layer's spikes are compared
element by element, and the test accuracies (class with the most output spikes; ties to the
lowest class, as argmax) side by side. Their inference time is measured interleaved, best of
5 rounds.

Target: bit-identical spikes on the test set (or, where a rounding difference cannot be
avoided, where and how often), and the same test accuracy.
"""

from __future__ import annotations

import argparse
import time

import torch
from rich.console import Console
from rich.table import Table
from torch import nn
from torch.nn import functional

from greenspike.data import load_digits
from greenspike.interop import from_snntorch


def snntorch_model(snntorch) -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(64, 128),
        snntorch.Leaky(beta=0.9, init_hidden=True),
        nn.Linear(128, 128),
        snntorch.Leaky(beta=0.9, init_hidden=True),
        nn.Linear(128, 10),
        snntorch.Leaky(beta=0.9, init_hidden=True),
    )


def reset(model: nn.Sequential) -> None:
    for layer in model:
        if hasattr(layer, "reset_mem"):
            layer.reset_mem()


def run_snntorch(model: nn.Sequential, x: torch.Tensor, record: list | None = None):
    """Step the snnTorch model over `x` `[T, B, 64]`; each layer's spikes into `record`."""
    reset(model)
    outputs, layers = [], [[] for _ in range(3)]
    for x_t in x:
        h = x_t
        for i, layer in enumerate(model):
            h = layer(h)
            if i % 2 == 1:
                layers[i // 2].append(h)
        outputs.append(h)
    if record is not None:
        record.extend(torch.stack(spikes) for spikes in layers)
    return torch.stack(outputs)


def train(
    model: nn.Sequential, images: torch.Tensor, labels: torch.Tensor, epochs: int, steps: int
):
    optimiser = torch.optim.Adam(model.parameters(), lr=2e-3)
    order = torch.Generator().manual_seed(0)
    model.train()
    for _ in range(epochs):
        permutation = torch.randperm(len(labels), generator=order)
        for start in range(0, len(labels), 64):
            rows = permutation[start : start + 64]
            x = images[rows].unsqueeze(0).expand(steps, -1, -1)
            counts = run_snntorch(model, x).sum(0)
            loss = functional.cross_entropy(counts, labels[rows])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    model.eval()


def main() -> None:
    import snntorch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--steps", type=int, default=25)
    args = parser.parse_args()
    torch.set_num_threads(1)
    console = Console(width=110)
    train_set, test_set = load_digits("train"), load_digits("test")
    images, test_images = train_set.images.flatten(1), test_set.images.flatten(1)
    model = snntorch_model(snntorch)
    started = time.perf_counter()
    train(model, images, train_set.labels, args.epochs, args.steps)
    console.print(
        f"snnTorch {snntorch.__version__}: 64-128-128-10 Leaky(beta=0.9), {args.epochs} epochs "
        f"on {len(train_set.labels)} digits, {args.steps} steps, in "
        f"{time.perf_counter() - started:.0f} s"
    )
    network = from_snntorch(model)
    x = test_images.unsqueeze(0).expand(args.steps, -1, -1)
    theirs: list[torch.Tensor] = []
    with torch.no_grad():
        their_out = run_snntorch(model, x, theirs)
        ours, h = [], x
        for name in network.order:
            h = network.layers[name](h) if name in ("1", "3", "5") else _step(network, name, h)
            if name in ("1", "3", "5"):
                ours.append(h)
    table = Table(title=f"Spikes on the {len(test_set.labels)} test digits x {args.steps} steps")
    for column in ("layer", "imported as", "snnTorch spikes", "greenspike spikes", "differing",
                   "identical"):  # fmt: skip
        table.add_column(column, justify="right")
    for index, (mine, reference) in enumerate(zip(ours, theirs, strict=True)):
        differing = int((mine != reference).sum())
        table.add_row(
            f"Leaky {index + 1}",
            repr(network.layers[str(2 * index + 1)]).split("(")[0]
            + (" reset_delay" if network.layers[str(2 * index + 1)].reset_delay else ""),
            f"{int(reference.sum()):,}",
            f"{int(mine.sum()):,}",
            f"{differing:,} of {mine.numel():,}",
            "yes" if differing == 0 and torch.equal(mine, reference) else "NO",
        )
    console.print(table)
    labels = test_set.labels
    their_accuracy = float((their_out.sum(0).argmax(1) == labels).float().mean())
    our_accuracy = float((ours[-1].sum(0).argmax(1) == labels).float().mean())
    console.print(
        f"Test accuracy: snnTorch {their_accuracy:.2%}, greenspike {our_accuracy:.2%} "
        f"({'the same' if their_accuracy == our_accuracy else 'DIFFERENT'})"
    )
    timings = {"snnTorch (stepped)": [], "greenspike (whole sequence)": []}
    for _ in range(5):  # interleaved rounds: load from other processes hits both alike
        with torch.no_grad():
            for name, run in (
                ("snnTorch (stepped)", lambda: run_snntorch(model, x)),
                ("greenspike (whole sequence)", lambda: network(x)),
            ):
                started = time.perf_counter()
                run()
                timings[name].append(time.perf_counter() - started)
    best = {name: min(times) for name, times in timings.items()}
    console.print(
        "Inference on the test set, best of 5 (1 thread): "
        + ", ".join(f"{name} {seconds * 1000:.1f} ms" for name, seconds in best.items())
        + f"; ratio {best['snnTorch (stepped)'] / best['greenspike (whole sequence)']:.2f}x"
    )
    identical = all(torch.equal(a, b) for a, b in zip(ours, theirs, strict=True))
    console.print(
        "Target, bit-identical spikes and the same accuracy: "
        + ("met" if identical and their_accuracy == our_accuracy else "NOT met")
    )


def _step(network, name: str, h: torch.Tensor) -> torch.Tensor:
    """A stateless layer of the network, on every step at once."""
    layer = network.layers[name]
    return layer(h.flatten(0, 1)).unflatten(0, h.shape[:2])


if __name__ == "__main__":
    main()
