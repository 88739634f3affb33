"""Whole-network speed as a real run has it: every variant alone in a fresh process.

    python benchmarks/train_speed.py [--rounds 5] [--steps 10] [--threads 2]
        [--models cnn128,cnn16-32,mlp256] [--peers-keep-freed-memory]
        [--skip-inference] [--skip-training] [--skip-evaluation]

Training: the twins of `greenspike compare` (`greenspike.train.models.build_pair`) on
MNIST-sized inputs (28x28, 10 classes), batch 64, T=8 steps, direct encoding, Adam, the loss
of `greenspike.train.loop`: `cnn128` is the `compare --model cnn` default (hidden 128),
`cnn16-32` the CNN with hidden 16,32, `mlp256` the 784-256-10 MLP. The peers build the same
layers in their fastest idiomatic form, with the same saving of direct encoding (the first
layer runs once, its output is the current at every step) and the same readout (a leaky
integrator whose membrane at every step enters the cross-entropy):

- snnTorch 1.0: `Leaky(beta=0.9)` stepped over time (its API is single-step), readout
  `Leaky(beta=0.9, reset_mechanism="none")`'s membrane;
- SpikingJelly 2.0: `LIFNode(tau=10, decay_input=False, v_reset=None, surrogate ATan,
  step_mode="m")` on the current expanded over time, its layers in `SeqToANNContainer`;
  it has no leaky integrator, so the readout is the plain loop `v = 0.9 v + x`;
- Norse 1.1: `Lift(LIFBoxCell)` with `beta = 1 - dt * tau_mem_inv = 0.9`, subtractive reset,
  readout `Lift(LIBoxCell)`.

Each variant runs alone in a fresh process, as a user's run does (a long-lived process whose
heap has already grown hides what a fresh one pays): it builds the network, runs 3 warm-up
steps, then times `--steps` steps: the median step (wall time), and per step the CPU time
(user + system: less sensitive than wall time to waiting for a core on a busy machine), the
share of it spent in the kernel, and the minor page faults (getrusage). greenspike runs
twice: as `greenspike compare` runs it (after `greenspike.keep_freed_memory()`, which the
command calls) and with the library's defaults, as in a script of one's own. The peers run as
users run them, and "fastest peer / this" compares with those; with
`--peers-keep-freed-memory` they run once more with that setting too, to show what it does for
them.

Rounds: round r runs every variant once, in an order rotated by r, so that load from other
processes on a shared machine hits them alike; the ratios are taken within each round and
reported as min and median over the rounds, with the spread of the step times.

Memory: the peak extra memory of one training step, in a separate fresh process per network,
measured as `benchmarks/lif_speed.py` does (RSS growth with `MALLOC_MMAP_THRESHOLD_=65536`, so
that the resident set follows the live tensors; Linux only).

Evaluation: the peak extra memory and the time of `greenspike.train.loop.evaluate` (the test
pass of `greenspike compare`) over 1,000 MNIST-sized images for the `cnn128` twins, at its
batch of 250 and at the 1,000 it used before, in a fresh process each, measured as the
training memory is, with 1 thread as the command runs it.

Inference: batch 1 (one image per forward pass, under `torch.no_grad()`, 1 thread) of the
spiking MLP 784-256-10 (T=8) and its ReLU twin, and of the peers' same MLP: the time per
image, median over chunks of 200 images after 200 warm-up images, fresh processes in rounds.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

STEPS_T, BATCH, CLASSES, SIDE = 8, 64, 10, 28
BETA = 0.9
MODELS = {"cnn128": ("cnn", (128,)), "cnn16-32": ("cnn", (16, 32)), "mlp256": ("mlp", (256,))}
PEERS = ("snnTorch", "SpikingJelly", "Norse")
GS_SPIKING, GS_RELU = "greenspike spiking twin", "greenspike ReLU twin"
LIBRARY = " (library defaults)"
SAME_ALLOCATOR = " + keep_freed_memory"
INFERENCE_IMAGES, INFERENCE_CHUNK = 2000, 200
EVALUATION_IMAGES, EVALUATION_BATCHES = 1000, (250, 1000)


# ---------------------------------------------------------------- the networks


def greenspike_pair(model: str) -> tuple[nn.Module, nn.Module]:
    from greenspike.train.models import build_pair

    kind, hidden = MODELS[model]
    torch.manual_seed(0)
    return build_pair(kind, (SIDE, SIDE), CLASSES, hidden, STEPS_T, "direct")


def greenspike_loss(outputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    from greenspike.train.loop import loss_of

    return loss_of(outputs, labels)


def synapses(model: str) -> tuple[list[nn.Module], nn.Linear]:
    """The twins' layers without neurons: per hidden layer its synapse (and pool), the readout."""
    kind, hidden = MODELS[model]
    torch.manual_seed(0)
    if kind == "mlp":
        sizes = [SIDE * SIDE, *hidden]
        layers: list[nn.Module] = [nn.Linear(a, b) for a, b in itertools.pairwise(sizes)]
        return layers, nn.Linear(sizes[-1], CLASSES)
    channels, side, layers = [1, *hidden], SIDE, []
    for a, b in itertools.pairwise(channels):
        layers.append(nn.Sequential(nn.Conv2d(a, b, 3, padding=1), nn.MaxPool2d(2)))
        side //= 2
    return layers, nn.Linear(channels[-1] * side * side, CLASSES)


def first_input(model: str, images: torch.Tensor) -> torch.Tensor:
    return images.flatten(1) if MODELS[model][0] == "mlp" else images.unsqueeze(1)


class SnnTorchNet(nn.Module):
    def __init__(self, model: str):
        import snntorch

        super().__init__()
        self.model = model
        layers, self.readout = synapses(model)
        self.layers = nn.ModuleList(layers)
        self.neurons = nn.ModuleList(snntorch.Leaky(beta=BETA) for _ in layers)
        self.out = snntorch.Leaky(beta=BETA, reset_mechanism="none")

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        first = self.layers[0](first_input(self.model, images))  # once: direct encoding
        membranes = [neuron.init_leaky() for neuron in self.neurons]
        out_membrane, readouts = self.out.init_leaky(), []
        for _ in range(STEPS_T):
            current = first
            for i, neuron in enumerate(self.neurons):
                if i > 0:
                    current = self.layers[i](current)
                current, membranes[i] = neuron(current, membranes[i])
            _, out_membrane = self.out(self.readout(current.flatten(1)), out_membrane)
            readouts.append(out_membrane)
        return torch.stack(readouts)


class SpikingJellyNet(nn.Module):
    def __init__(self, model: str):
        from spikingjelly.activation_based import layer, neuron, surrogate

        super().__init__()
        self.model = model
        layers, self.readout = synapses(model)
        self.first = layers[0]
        self.rest = nn.ModuleList(layer.SeqToANNContainer(m) for m in layers[1:])
        self.neurons = nn.ModuleList(
            neuron.LIFNode(
                tau=1 / (1 - BETA),
                decay_input=False,
                v_reset=None,
                surrogate_function=surrogate.ATan(),
                step_mode="m",
            )
            for _ in layers
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        from spikingjelly.activation_based import functional

        functional.reset_net(self)
        current = self.first(first_input(self.model, images))  # once: direct encoding
        x = self.neurons[0](current.unsqueeze(0).expand(STEPS_T, *current.shape))
        for synapse, neuron in zip(self.rest, self.neurons[1:], strict=True):
            x = neuron(synapse(x))
        currents = self.readout(x.flatten(2))
        v, membranes = torch.zeros_like(currents[0]), []
        for current_t in currents:  # no leaky integrator in SpikingJelly: the plain loop
            v = BETA * v + current_t
            membranes.append(v)
        return torch.stack(membranes)


class NorseNet(nn.Module):
    def __init__(self, model: str):
        import norse.torch as norse
        from norse.torch.functional.reset import reset_subtract

        super().__init__()
        self.model = model
        layers, self.readout = synapses(model)
        self.first = layers[0]
        self.rest = nn.ModuleList(layers[1:])
        dt, tau_mem_inv = 1e-3, (1 - BETA) / 1e-3
        parameters = norse.LIFBoxParameters(
            tau_mem_inv=torch.tensor(tau_mem_inv),
            v_th=torch.tensor(dt * tau_mem_inv),
            reset_method=reset_subtract,
        )
        self.neurons = nn.ModuleList(
            norse.Lift(norse.LIFBoxCell(parameters, dt=dt)) for _ in layers
        )
        self.out = norse.Lift(
            norse.LIBoxCell(norse.LIBoxParameters(tau_mem_inv=torch.tensor(tau_mem_inv)), dt=dt)
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        current = self.first(first_input(self.model, images))  # once: direct encoding
        x = self.neurons[0](current.unsqueeze(0).expand(STEPS_T, *current.shape))[0]
        for synapse, neuron in zip(self.rest, self.neurons[1:], strict=True):
            x = neuron(synapse(x.flatten(0, 1)).unflatten(0, x.shape[:2]))[0]
        return self.out(self.readout(x.flatten(2)))[0]


def membrane_loss(membranes: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    steps, batch, classes = membranes.shape
    return F.cross_entropy(membranes.reshape(steps * batch, classes), labels.repeat(steps))


PEER_NETS: dict[str, Callable[[str], nn.Module]] = {
    "snnTorch": SnnTorchNet,
    "SpikingJelly": SpikingJellyNet,
    "Norse": NorseNet,
}


def network(variant: str, model: str) -> tuple[nn.Module, Callable]:
    """The network of `variant` (its name, allocator suffixes aside) and its loss."""
    name = variant.removesuffix(LIBRARY).removesuffix(SAME_ALLOCATOR)
    if name in (GS_SPIKING, GS_RELU):
        relu, spiking = greenspike_pair(model)
        return (spiking if name == GS_SPIKING else relu), greenspike_loss
    return PEER_NETS[name](model), membrane_loss


def keeps_freed_memory(variant: str) -> bool:
    """greenspike as the command line runs it, and peers given the same allocator setting."""
    if variant.endswith(SAME_ALLOCATOR):
        return True
    return variant in (GS_SPIKING, GS_RELU)


def variants(peers: list[str], same_allocator: bool) -> list[str]:
    names = [GS_SPIKING, GS_RELU, GS_SPIKING + LIBRARY, GS_RELU + LIBRARY, *peers]
    return names + [peer + SAME_ALLOCATOR for peer in peers] if same_allocator else names


def installed(peer: str) -> bool:
    module = {"snnTorch": "snntorch", "SpikingJelly": "spikingjelly", "Norse": "norse"}[peer]
    try:
        __import__(module)
    except ImportError:
        return False
    return True


# ---------------------------------------------------------------- in the child process


def data() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    images = torch.rand(BATCH, SIDE, SIDE, generator=generator)
    return images, torch.randint(0, CLASSES, (BATCH,), generator=generator)


def train_steps(variant: str, model: str, steps: int, threads: int) -> dict[str, float]:
    torch.set_num_threads(threads)
    if keeps_freed_memory(variant):
        from greenspike import keep_freed_memory

        keep_freed_memory()
    net, loss_fn = network(variant, model)
    optimiser = torch.optim.Adam(net.parameters(), lr=1e-3)
    images, labels = data()

    def step() -> None:
        loss = loss_fn(net(images), labels)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()

    for _ in range(3):
        step()
    times = []
    before = resource.getrusage(resource.RUSAGE_SELF)
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    after = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "step_ms": statistics.median(times) * 1e3,
        "user_ms": (after.ru_utime - before.ru_utime) / steps * 1e3,
        "sys_ms": (after.ru_stime - before.ru_stime) / steps * 1e3,
        "faults": (after.ru_minflt - before.ru_minflt) / steps,
    }


def step_memory(variant: str, model: str, threads: int) -> dict[str, float]:
    """Peak extra memory of one step (run with MALLOC_MMAP_THRESHOLD_=65536, see the docstring)."""
    torch.set_num_threads(threads)
    net, loss_fn = network(variant, model)
    optimiser = torch.optim.Adam(net.parameters(), lr=1e-3)
    images, labels = data()
    for _ in range(2):
        loss_fn(net(images), labels).backward()
        optimiser.step()
        optimiser.zero_grad()
    Path("/proc/self/clear_refs").write_text("5")  # peak RSS := current RSS
    before = _status_kb("VmRSS")
    loss_fn(net(images), labels).backward()
    optimiser.step()
    return {"extra_mb": (_status_kb("VmHWM") - before) / 1024}


def evaluation(variant: str, batch_size: int) -> dict[str, float]:
    """Peak extra memory and time of the test pass (run with MALLOC_MMAP_THRESHOLD_=65536)."""
    from greenspike.data import LabelledImages
    from greenspike.train.loop import evaluate

    torch.set_num_threads(1)
    net, _ = network(variant, "cnn128")
    generator = torch.Generator().manual_seed(0)
    test = LabelledImages(
        torch.rand(EVALUATION_IMAGES, SIDE, SIDE, generator=generator),
        torch.randint(0, CLASSES, (EVALUATION_IMAGES,), generator=generator),
    )
    evaluate(net, LabelledImages(test.images[:8], test.labels[:8]), batch_size)  # warm-up
    Path("/proc/self/clear_refs").write_text("5")  # peak RSS := current RSS
    before = _status_kb("VmRSS")
    began = time.perf_counter()
    evaluate(net, test, batch_size)
    seconds = time.perf_counter() - began
    return {"extra_mb": (_status_kb("VmHWM") - before) / 1024, "seconds": seconds}


def inference(variant: str) -> dict[str, float]:
    torch.set_num_threads(1)
    net, _ = network(variant, "mlp256")
    net.eval()
    images = torch.rand(INFERENCE_IMAGES + INFERENCE_CHUNK, 1, SIDE, SIDE)
    chunks = []
    with torch.no_grad():
        for image in images[:INFERENCE_CHUNK]:  # warm-up
            net(image)
        for start in range(INFERENCE_CHUNK, len(images), INFERENCE_CHUNK):
            began = time.perf_counter()
            for image in images[start : start + INFERENCE_CHUNK]:
                net(image)
            chunks.append((time.perf_counter() - began) / INFERENCE_CHUNK)
    return {"us_per_image": statistics.median(chunks) * 1e6}


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise OSError(f"no {field} in /proc/self/status")


# ---------------------------------------------------------------- the parent


def child(*arguments: str, env: dict[str, str] | None = None) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", *arguments],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{arguments} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def rounds_of(names: list[str], rounds: int, run: Callable[[str], dict]) -> dict[str, list[dict]]:
    """Each round runs every name once, in an order rotated by the round; results per name."""
    results: dict[str, list[dict]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            results[name].append(run(name))
        print(f"  round {r + 1}/{rounds} done", file=sys.stderr, flush=True)
    return results


def per_round(results: dict[str, list[dict]], ratio: Callable[[int], float]) -> str:
    values = [ratio(r) for r in range(len(next(iter(results.values()))))]
    return f"{min(values):.2f} / {statistics.median(values):.2f}"


def training(model: str, args: argparse.Namespace, peers: list[str]) -> None:
    names = variants(peers, args.peers_keep_freed_memory)
    print(f"\n== {model}: batch {BATCH}, T={STEPS_T}, {args.threads} threads", flush=True)
    results = rounds_of(
        names, args.rounds, lambda v: child("train", v, model, str(args.steps), str(args.threads))
    )
    memory = {}
    for name in (GS_SPIKING, GS_RELU, *peers):
        memory[name] = child(
            "memory", name, model, str(args.threads), env={"MALLOC_MMAP_THRESHOLD_": "65536"}
        )["extra_mb"]
    step = {name: [run["step_ms"] for run in runs] for name, runs in results.items()}
    cpu = {name: [run["user_ms"] + run["sys_ms"] for run in runs] for name, runs in results.items()}

    def fastest_peer(r: int, times: dict[str, list[float]]) -> float:
        return min(times[peer][r] for peer in peers)

    leanest = min(memory[peer] for peer in peers) if peers else None
    print(
        "| variant | step ms, median of rounds (range) | x ReLU twin (min / median) "
        "| fastest peer / this (min / median) | CPU ms / step | fastest peer / this in CPU time "
        "| system % of CPU | page faults / step | peak extra MB | x leanest peer |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in names:
        runs = results[name]
        relu = GS_RELU + (LIBRARY if name.endswith(LIBRARY) else "")
        to_relu = "-"
        if name.startswith("greenspike"):
            to_relu = per_round(results, lambda r, n=name, b=relu: step[n][r] / step[b][r])
        vs_peers = vs_peers_cpu = "-"
        if peers:
            vs_peers = per_round(results, lambda r, n=name: fastest_peer(r, step) / step[n][r])
            vs_peers_cpu = per_round(results, lambda r, n=name: fastest_peer(r, cpu) / cpu[n][r])
        system = statistics.median(
            run["sys_ms"] / total * 100 for run, total in zip(runs, cpu[name], strict=True)
        )
        mb = memory.get(name.removesuffix(LIBRARY).removesuffix(SAME_ALLOCATOR))
        print(
            f"| {name} | {statistics.median(step[name]):.1f} ({min(step[name]):.1f}-"
            f"{max(step[name]):.1f}) | {to_relu} | {vs_peers} | {statistics.median(cpu[name]):.1f} "
            f"| {vs_peers_cpu} | {system:.0f} % "
            f"| {statistics.median(run['faults'] for run in runs):,.0f} | "
            f"{'-' if mb is None else f'{mb:.0f}'} | "
            f"{'-' if mb is None or not leanest else f'{mb / leanest:.2f}'} |"
        )


def batch_one(args: argparse.Namespace, peers: list[str]) -> None:
    names = [GS_SPIKING + LIBRARY, GS_RELU + LIBRARY, *peers]
    print("\n== batch-1 inference, MLP 784-256-10 (T=8), 1 thread, us per image", flush=True)
    results = rounds_of(names, args.rounds, lambda v: child("inference", v))
    times = {name: [run["us_per_image"] for run in runs] for name, runs in results.items()}
    print(
        "| network | us per image, median of rounds (range) | x ReLU twin | x greenspike spiking |"
    )
    print("|---|---|---|---|")
    relu, spiking = GS_RELU + LIBRARY, GS_SPIKING + LIBRARY
    for name in names:
        print(
            f"| {name.removesuffix(LIBRARY)} | {statistics.median(times[name]):.1f} "
            f"({min(times[name]):.1f}-{max(times[name]):.1f}) "
            f"| {per_round(results, lambda r, n=name: times[n][r] / times[relu][r])} "
            f"| {per_round(results, lambda r, n=name: times[n][r] / times[spiking][r])} |"
        )


def test_pass(rounds: int) -> None:
    print(
        f"\n== evaluation (the test pass of `compare`), cnn128 twins, {EVALUATION_IMAGES:,} "
        "images, 1 thread",
        flush=True,
    )
    names = [f"{net}|{size}" for net in (GS_SPIKING, GS_RELU) for size in EVALUATION_BATCHES]
    results = rounds_of(
        names,
        rounds,
        lambda name: child("evaluate", *name.split("|"), env={"MALLOC_MMAP_THRESHOLD_": "65536"}),
    )
    print("| network | batch | peak extra MB, median (range) | seconds, median (range) |")
    print("|---|---|---|---|")
    for name, runs in results.items():
        net, size = name.split("|")
        mb = [run["extra_mb"] for run in runs]
        seconds = [run["seconds"] for run in runs]
        print(
            f"| {net} | {size} | {statistics.median(mb):.0f} ({min(mb):.0f}-{max(mb):.0f}) "
            f"| {statistics.median(seconds):.2f} ({min(seconds):.2f}-{max(seconds):.2f}) |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--peers-keep-freed-memory", action="store_true")
    parser.add_argument("--skip-inference", action="store_true")
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--skip-evaluation", action="store_true")
    args = parser.parse_args()
    peers = [peer for peer in PEERS if installed(peer)]
    missing = [peer for peer in PEERS if peer not in peers]
    load = os.getloadavg()
    print(
        f"torch {torch.__version__}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, load average {load[0]:.1f} at the start; "
        f"{args.rounds} rounds, {args.steps} timed steps per process"
    )
    if missing:
        print(f"not installed, skipped: {', '.join(missing)}")
    if not args.skip_training:
        for model in args.models.split(","):
            training(model, args, peers)
    if not args.skip_evaluation:
        test_pass(min(args.rounds, 2))  # memory varies little between runs
    if not args.skip_inference:
        batch_one(args, peers)
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        kind, variant, *rest = sys.argv[2:]
        if kind == "train":
            model, steps, threads = rest
            result = train_steps(variant, model, int(steps), int(threads))
        elif kind == "evaluate":
            (batch_size,) = rest
            result = evaluation(variant, int(batch_size))
        elif kind == "memory":
            model, threads = rest
            result = step_memory(variant, model, int(threads))
        else:
            result = inference(variant)
        print(json.dumps(result))
    else:
        main()
