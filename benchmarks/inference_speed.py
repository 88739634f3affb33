"""Inference speed of the event-driven engine (`gs.deploy`) against dense spiking and ReLU.

Part 1, one layer: `Linear(1024, 1024)` + LIF (beta 0.9, subtractive reset), T = 8, batch 1,
binary input spikes at rates 1, 2, 5, 10, 20 and 50 %, without autograd:

- greenspike event-driven: the C kernel (`greenspike.snn.kernels.event`), float32 weights,
  and int8 weights (int32 sums, one scale per neuron);
- greenspike dense spiking: the Linear on all T steps at once (one matrix product), then the
  fused LIF kernel (`snn.LIF(backend="cpu")`): what the training path runs;
- Linear + ReLU run once (batch 1): what the conventional twin pays;
- the peers in their fastest idiomatic inference form (as in benchmarks/lif_speed.py):
  snnTorch `Leaky` stepped over time after one Linear on all steps, SpikingJelly
  `LIFNode(step_mode="m")`, Norse `Lift(LIFBoxCell())`.

The crossover rate against Linear + ReLU is where the event-driven time, interpolated linearly
between the measured rates, equals the ReLU layer's.

Part 2, the digits and MNIST twins end to end (mlp, one hidden layer of 128, T = 8, trained here
as `greenspike compare` trains them: direct encoding, the default, and rate encoding), at the
spike rates they have on their test sets. Two spiking twins per case, from the same initial
weights: the plain one (`greenspike compare`) and one trained to fire less with the activity
penalty (`greenspike compare --rate-penalty 1`: L1, `snn.RatePenalty(1.0)` passed to `fit`).
Microseconds per inference at batch 1 and batch 256 for the ReLU twin (torch, no autograd) and
each spiking twin dense (its own modules) and event-driven (`gs.deploy`, float32 and int8), all
seven in the same interleaved rounds. Also: test accuracy of each, the input spike rate of each
event-driven layer, and how often the event-driven float32 spikes differ from the training
path's (sums in another order can land a membrane on the other side of its threshold).

Timing: the variants take turns, one timed sample each per round (each sample repeats the
call enough times to last about 3 ms), 2 warm-up rounds, then the best (median) of 15 rounds
(`--rounds`); one thread for torch and the kernel: batch-1 inference of these layers takes tens
of microseconds, and on our shared 2-core machine a second thread mostly waits for a core.
MNIST comes from /work/shared/data/mnist-t10k (or $MNIST_DIR), split 8,000/2,000 as
`greenspike compare` does; it is skipped when absent.

    python benchmarks/inference_speed.py [--part 1|2] [--rounds N]
"""

from __future__ import annotations

import argparse
import copy
import itertools
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

import greenspike as gs
from greenspike import snn
from greenspike.data import LabelledImages
from greenspike.engine import DeployedNetwork, EventStage, deploy
from greenspike.snn.kernels import event
from greenspike.train.datasets import load_dataset
from greenspike.train.loop import EVAL_BATCH, evaluate, fit, predictions
from greenspike.train.models import build_pair

THREADS = 1  # see the docstring
ROUNDS = 15
WARM_UP = 2
SAMPLE_S = 0.003
RATES = (0.01, 0.02, 0.05, 0.10, 0.20, 0.50)
N, T = 1024, 8
MNIST_DIR = Path(os.environ.get("MNIST_DIR", "/work/shared/data/mnist-t10k"))
EVENT = "greenspike event-driven"
EVENT_INT8 = "greenspike event-driven int8"
DENSE = "greenspike dense spiking"
RELU = "Linear + ReLU (once)"
PENALTY = snn.RatePenalty(1.0)  # L1, as `greenspike compare --rate-penalty 1`


def timings_us(
    variants: dict[str, Callable[[], object]], rounds: int
) -> dict[str, tuple[float, float]]:
    """name -> (best, median) microseconds per call, the variants interleaved round-robin."""
    repeats = {}
    for name, call in variants.items():
        call()
        start = time.perf_counter()
        call()
        repeats[name] = max(1, int(SAMPLE_S / max(time.perf_counter() - start, 1e-7)))
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for round_ in range(WARM_UP + rounds):
        for name, call in variants.items():
            start = time.perf_counter()
            for _ in range(repeats[name]):
                call()
            if round_ >= WARM_UP:
                samples[name].append((time.perf_counter() - start) / repeats[name] * 1e6)
    return {name: (min(runs), statistics.median(runs)) for name, runs in samples.items()}


# ---------------------------------------------------------------- part 1: one layer


def layer_variants(x: torch.Tensor) -> dict[str, Callable[[], object]]:
    torch.manual_seed(0)
    linear = nn.Linear(N, N)
    lif = snn.LIF(beta=0.9, backend="cpu")
    model = nn.Sequential(linear, lif)
    float_engine = deploy(model)
    stage = float_engine.stages[0]
    assert isinstance(stage, EventStage)
    quantized = gs.quant.quantize(model, gs.quant.preset("int8"), calibration=x)
    int8_engine = deploy(quantized)
    assert int8_engine.stages[0].layer.rows.dtype == torch.int8  # type: ignore[union-attr]
    once = x[0].clone()
    variants: dict[str, Callable[[], object]] = {
        EVENT: lambda: float_engine(x),
        EVENT_INT8: lambda: int8_engine(x),
        DENSE: lambda: _no_grad(lambda: lif(linear(x))),
        RELU: lambda: _no_grad(lambda: torch.relu(linear(once))),
    }
    variants.update(peer_variants(linear, x))
    return variants


def peer_variants(linear: nn.Linear, x: torch.Tensor) -> dict[str, Callable[[], object]]:
    peers: dict[str, Callable[[], object]] = {}
    try:
        import snntorch

        leaky = snntorch.Leaky(beta=0.9)

        def snntorch_run():
            current, mem = linear(x), leaky.init_leaky()
            for current_t in current:
                _, mem = leaky(current_t, mem)

        peers["snnTorch"] = lambda: _no_grad(snntorch_run)
    except ImportError:
        pass
    try:
        from spikingjelly.activation_based import neuron

        node = neuron.LIFNode(step_mode="m")

        def spikingjelly_run():
            node.reset()
            return node(linear(x))

        peers["SpikingJelly"] = lambda: _no_grad(spikingjelly_run)
    except ImportError:
        pass
    try:
        import norse.torch as norse

        lifted = norse.Lift(norse.LIFBoxCell())
        peers["Norse"] = lambda: _no_grad(lambda: lifted(linear(x)))
    except ImportError:
        pass
    return peers


def _no_grad(call: Callable[[], object]) -> object:
    with torch.no_grad():
        return call()


def layer_table(rounds: int) -> None:
    print(f"\n## One layer: Linear({N}, {N}) + LIF, T={T}, batch 1 (us per inference)\n")
    results = {}
    for rate in RATES:
        generator = torch.Generator().manual_seed(1)
        x = (torch.rand(T, 1, N, generator=generator) < rate).float()
        results[rate] = timings_us(layer_variants(x), rounds)
    names = list(results[RATES[0]])
    print("| rate | " + " | ".join(names) + " | dense / event | ReLU / event |")
    print("|---|" + "---|" * (len(names) + 2))
    for rate, timing in results.items():
        cells = [f"{timing[name][0]:.1f} ({timing[name][1]:.1f})" for name in names]
        speedup = timing[DENSE][0] / timing[EVENT][0]
        versus_relu = timing[RELU][0] / timing[EVENT][0]
        print(f"| {rate:.0%} | " + " | ".join(cells) + f" | {speedup:.2f} | {versus_relu:.2f} |")
    print(f"\nCrossover against Linear + ReLU: {crossover(results)}")


def crossover(results: dict[float, dict[str, tuple[float, float]]]) -> str:
    """The input spike rate where event-driven time = ReLU time (linear interpolation)."""
    points = [(rate, t[EVENT][0] - t[RELU][0]) for rate, t in results.items()]
    if points[0][1] >= 0:
        return (
            f"none: the event-driven layer is slower than Linear + ReLU already at {RATES[0]:.0%}"
        )
    for (r0, d0), (r1, d1) in itertools.pairwise(points):
        if d1 >= 0:
            rate = r0 + (r1 - r0) * (-d0) / (d1 - d0)
            return f"about {rate:.1%} input spike rate (faster than Linear + ReLU below it)"
    return f"above {RATES[-1]:.0%}: the event-driven layer is faster at every rate measured"


# ---------------------------------------------------------------- part 2: the twins


@dataclass(frozen=True)
class SpikingTwin:
    """A trained spiking twin and its engines: float32 and int8 (`gs.quant` int8, calibrated)."""

    name: str
    network: nn.Sequential
    engine: DeployedNetwork
    int8_engine: DeployedNetwork


def twin_table(dataset: str, encoding: str, epochs: int, rounds: int) -> None:
    data_dir = str(MNIST_DIR) if dataset == "mnist" else None
    train, test = load_dataset(dataset, data_dir, 0, T)
    torch.manual_seed(0)
    shape = tuple(train.images.shape[1:])
    relu, spiking = build_pair("mlp", shape, 10, (128,), T, encoding)
    penalised = copy.deepcopy(spiking)  # compare --rate-penalty builds the same initial twin
    for network, penalty in ((relu, None), (spiking, None), (penalised, PENALTY)):
        fit(network, train, epochs=epochs, batch_size=64, lr=2e-3, seed=0, penalty=penalty)
        network.eval()
    twins = [
        _spiking_twin("no penalty", spiking, train),
        _spiking_twin(f"rate penalty {PENALTY.weight:g}", penalised, train),
    ]

    print(f"\n## {dataset} twins, {encoding} encoding, mlp-128, T={T} ({epochs} epochs)\n")
    print(f"accuracy: ReLU twin {_accuracy(relu, test):.1%}")
    for twin in twins:
        accuracy = {
            "spiking dense": _accuracy(twin.network, test),
            "spiking event-driven": _accuracy_of(twin.engine, test),
            "spiking event-driven int8": _accuracy_of(twin.int8_engine, test),
        }
        rates = input_rates(twin.engine, test.images)
        print(f"\nspiking twin, {twin.name}:")
        print("accuracy: " + ", ".join(f"{name} {value:.1%}" for name, value in accuracy.items()))
        print("input spike rate of the event-driven layers: "
              + ", ".join(f"{name} {rate:.1%}" for name, rate in rates.items()))  # fmt: skip
        print("event-driven float32 spikes that differ from the training path: "
              + differing_spikes(twin.network, test.images))  # fmt: skip
    print("\n| batch | spiking twin | ReLU twin | spiking dense | event-driven "
          "| event-driven int8 | dense / event | ReLU / event |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for batch in (1, 256):
        images = test.images[:batch]

        def seeded(
            call: Callable[[torch.Tensor], object], images: torch.Tensor = images
        ) -> Callable[[], object]:
            return lambda: _no_grad(lambda: call(images))

        variants = {"relu": seeded(relu)}
        for twin in twins:
            variants[f"dense, {twin.name}"] = seeded(twin.network)
            variants[f"event, {twin.name}"] = seeded(twin.engine)
            variants[f"int8, {twin.name}"] = seeded(twin.int8_engine)
        timing = timings_us(variants, rounds)  # all seven interleaved

        for twin in twins:
            keys = ["relu"] + [f"{kind}, {twin.name}" for kind in ("dense", "event", "int8")]
            event_us = timing[f"event, {twin.name}"][0]
            cells = [_per_inference(timing[key], batch) for key in keys]
            print(f"| {batch} | {twin.name} | " + " | ".join(cells)
                  + f" | {timing[f'dense, {twin.name}'][0] / event_us:.2f}"
                  + f" | {timing['relu'][0] / event_us:.2f} |")  # fmt: skip
    print("(us per inference, best (median); the ReLU twin's time is the same in both rows)")


def _per_inference(timing: tuple[float, float], batch: int) -> str:
    """'best (median)' microseconds per inference of a call on `batch` images."""
    best, median = timing
    return f"{best / batch:.1f} ({median / batch:.1f})"


def _spiking_twin(name: str, network: nn.Module, train: LabelledImages) -> SpikingTwin:
    assert isinstance(network, nn.Sequential)
    quantized = gs.quant.quantize(network, gs.quant.preset("int8"), train.images[:512])
    return SpikingTwin(name, network, deploy(network), deploy(quantized))


def _accuracy(network: nn.Module, test: LabelledImages) -> float:
    torch.manual_seed(0)
    return evaluate(network, test)


def _accuracy_of(engine: DeployedNetwork, test: LabelledImages) -> float:
    """As `evaluate`: the same batches, so a rate encoder draws the same spikes."""
    torch.manual_seed(0)
    correct = 0
    for start in range(0, len(test.labels), EVAL_BATCH):
        outputs = engine(test.images[start : start + EVAL_BATCH])
        correct += int((predictions(outputs) == test.labels[start : start + EVAL_BATCH]).sum())
    return correct / len(test.labels)


def input_rates(engine: DeployedNetwork, images: torch.Tensor) -> dict[str, float]:
    """Events / (T x B x K) of each event-driven stage, on the test images."""
    stages = [s for s in engine.stages if isinstance(s, EventStage)]
    before = {s.name: s.events for s in stages}
    torch.manual_seed(0)
    engine(images)
    steps_inputs = T * len(images)
    return {s.name: (s.events - before[s.name]) / (steps_inputs * s.layer.inputs) for s in stages}


def differing_spikes(model: nn.Sequential, images: torch.Tensor) -> str:
    """Spikes of the event-driven hidden LIF layers that differ from the training path's."""
    differing = total = 0
    for index in range(1, len(model)):
        prefix = model[: index + 1]
        engine = deploy(prefix)
        last = engine.stages[-1]
        if not (isinstance(last, EventStage) and last.layer.output == "spikes"):
            continue
        torch.manual_seed(0)
        ours = engine(images)
        torch.manual_seed(0)
        with torch.no_grad():
            theirs = prefix(images)
        differing += int((ours != theirs).sum())
        total += ours.numel()
    return f"{differing} of {total}" if total else "none of them spike-emitting (readout only)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--part", choices=("1", "2"), help="run only this part (default: both)")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="timed rounds per variant")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}")
    torch.set_num_threads(THREADS)
    print(f"torch {torch.__version__}, {THREADS} threads, event kernel in C: {event.available()}")
    print(f"times: best (median) of {args.rounds} interleaved rounds")
    if args.part in (None, "1"):
        layer_table(args.rounds)
    if args.part in (None, "2"):
        twin_table("digits", "direct", 20, args.rounds)
        twin_table("digits", "rate", 20, args.rounds)
        if MNIST_DIR.is_dir():
            twin_table("mnist", "direct", 3, args.rounds)
            twin_table("mnist", "rate", 3, args.rounds)
        else:
            print(f"\nMNIST not found in {MNIST_DIR}: skipped (set MNIST_DIR)")


if __name__ == "__main__":
    main()
