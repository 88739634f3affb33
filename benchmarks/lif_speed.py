"""Speed and memory of one `Linear(n, n)` + LIF layer: greenspike's kernels against its peers.

Configs S = (T=25, B=64, n=512) and L = (T=100, B=32, n=1024); random input spikes (20 %);
torch threads = 2 on the CPU; the same tables again on the GPU when CUDA is available. Each
library runs the layer in its fastest idiomatic form:

- greenspike `snn.LIF(0.9)`: backend "cpu" (the fused C kernel, what "auto" picks on the CPU)
  or "triton" on the GPU, and "torch" (the reference loop), subtractive reset, arc-tangent
  surrogate;
- snnTorch `Leaky(beta=0.9)` stepped over time (its API is single-step);
- SpikingJelly `neuron.LIFNode(step_mode="m")`: its multi-step functional path (2.0 has no
  per-node backend choice on the CPU), hard reset, sigmoid surrogate (its defaults);
- Norse `Lift(LIFBoxCell())`: the box LIF cell lifted over time (1.1 has no `LIFBox` module);
- `Linear` alone: the floor every layer pays.

Times: "forward" without autograd (inference), "fwd+bwd" a training step (`out.sum()`
backward); two warm-up runs, then the best (and the median) of 5. The layers take turns, one
run each per round, so that load from other processes on a shared machine hits them alike.

Memory: the peak extra memory of one config-L training step, measured in a fresh process per
library. PyTorch keeps no statistics for CPU memory and tracemalloc does not see its buffers,
so we read the operating system: with `MALLOC_MMAP_THRESHOLD_=65536` every buffer above 64 kB
is its own mapping, given back when freed, so the resident set size follows live tensors.
After building the layer and input and one warm-up step on a 2-step input (imports, thread
pools, compiled kernels), we reset the kernel's peak-RSS mark (`echo 5 > /proc/self/clear_refs`)
and take extra = peak RSS after the step (`VmHWM`) - RSS just before it (`VmRSS`, both from
/proc/self/status; Linux only). (`ru_maxrss` would not do: Linux carries it across exec from
the parent.) It includes everything the step allocates: the Linear output, the spikes, what
autograd keeps, the gradients. On the GPU, torch's allocator counts it exactly:
`max_memory_allocated()` during the step - `memory_allocated()` before it.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

CONFIGS = {"S": (25, 64, 512), "L": (100, 32, 1024)}
THREADS = 2
REPEATS = 5
PEERS = ("snnTorch", "SpikingJelly", "Norse")


def greenspike_layer(backend: str) -> Callable[[int, str], Callable]:
    def build(n: int, device: str):
        from greenspike import snn

        linear = torch.nn.Linear(n, n, device=device)
        neuron = snn.LIF(beta=0.9, backend=backend).to(device)
        return lambda x: neuron(linear(x))

    return build


def snntorch_layer(n: int, device: str):
    import snntorch

    linear, leaky = torch.nn.Linear(n, n, device=device), snntorch.Leaky(beta=0.9).to(device)

    def run(x):
        current, mem, spikes = linear(x), leaky.init_leaky(), []
        for current_t in current:
            spike, mem = leaky(current_t, mem)
            spikes.append(spike)
        return torch.stack(spikes)

    return run


def spikingjelly_layer(n: int, device: str):
    from spikingjelly.activation_based import neuron

    linear = torch.nn.Linear(n, n, device=device)
    node = neuron.LIFNode(step_mode="m").to(device)

    def run(x):
        node.reset()
        return node(linear(x))

    return run


def norse_layer(n: int, device: str):
    import norse.torch as norse

    linear = torch.nn.Linear(n, n, device=device)
    lifted = norse.Lift(norse.LIFBoxCell()).to(device)
    return lambda x: lifted(linear(x))[0]


def linear_layer(n: int, device: str):
    return torch.nn.Linear(n, n, device=device)


FLOOR = "Linear alone (floor)"
LAYERS: dict[str, Callable[[int, str], Callable]] = {
    FLOOR: linear_layer,
    "greenspike cpu (fused)": greenspike_layer("cpu"),
    "greenspike triton (fused)": greenspike_layer("triton"),
    "greenspike torch (reference)": greenspike_layer("torch"),
    "snnTorch": snntorch_layer,
    "SpikingJelly": spikingjelly_layer,
    "Norse": norse_layer,
}


def available(name: str, device: str) -> bool:
    if "(fused)" in name and ("cpu" in name) != (device == "cpu"):
        return False
    modules = {"snnTorch": "snntorch", "SpikingJelly": "spikingjelly", "Norse": "norse"}
    module = "triton" if "triton" in name else modules.get(name)
    if module is None:
        return True
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def spikes(steps: int, batch: int, n: int, device: str = "cpu") -> torch.Tensor:
    generator = torch.Generator().manual_seed(0)
    return (torch.rand(steps, batch, n, generator=generator) < 0.2).float().to(device)


def training_step(layer, x) -> None:
    layer(x).sum().backward()


def inference(layer, x) -> None:
    with torch.no_grad():
        layer(x)


def timings_ms(layers: dict[str, Callable], x: torch.Tensor) -> dict[str, tuple]:
    """name -> ((best, median) forward, (best, median) fwd+bwd) in ms, over REPEATS rounds in
    which every layer runs once, after two warm-up runs each."""
    times = {(name, action): [] for name in layers for action in (inference, training_step)}
    for round_ in range(2 + REPEATS):
        for (name, action), runs in times.items():
            _synchronize(x.device)
            start = time.perf_counter()
            action(layers[name], x)
            _synchronize(x.device)
            if round_ >= 2:
                runs.append((time.perf_counter() - start) * 1e3)
    summary = {name: [] for name in layers}
    for (name, _), runs in times.items():
        summary[name].append((min(runs), statistics.median(runs)))
    return {name: tuple(pair) for name, pair in summary.items()}


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def peak_extra_memory_mb(name: str, device: str) -> float:
    """One config-L training step of `name` (see the module docstring)."""
    if device == "cuda":
        steps, batch, n = CONFIGS["L"]
        layer, x = LAYERS[name](n, device), spikes(steps, batch, n, device)
        training_step(layer, x)
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        training_step(layer, x)
        torch.cuda.synchronize()
        return (torch.cuda.max_memory_allocated() - before) / 2**20
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536"}
    done = subprocess.run(
        [sys.executable, __file__, "--memory", name],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])["extra_mb"]


def measure_memory(name: str) -> None:
    torch.manual_seed(0)
    steps, batch, n = CONFIGS["L"]
    layer, x = LAYERS[name](n, "cpu"), spikes(steps, batch, n)
    training_step(layer, spikes(2, batch, n))
    Path("/proc/self/clear_refs").write_text("5")  # peak RSS := current RSS
    before = _status_kb("VmRSS")
    training_step(layer, x)
    print(json.dumps({"extra_mb": (_status_kb("VmHWM") - before) / 1024}))


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise OSError(f"no {field} in /proc/self/status")


def main() -> None:
    torch.set_num_threads(THREADS)
    print(f"torch {torch.__version__}, {THREADS} threads, best (median) of {REPEATS}, in ms")
    devices = ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]
    for device in devices:
        names = [name for name in LAYERS if available(name, device)]
        missing = [name for name in LAYERS if name not in names and "(fused)" not in name]
        if device == "cuda":
            print(f"\n== GPU: {torch.cuda.get_device_name()}")
        if missing:
            print(f"not installed, skipped: {', '.join(missing)}")
        for config, shape in CONFIGS.items():
            x, n = spikes(*shape, device), shape[2]
            torch.manual_seed(0)
            results = timings_ms({name: LAYERS[name](n, device) for name in names}, x)
            memory = {}
            if config == "L":
                memory = {name: peak_extra_memory_mb(name, device) for name in names}
            print_table(config, shape, results, memory)


def print_table(config, shape, results, memory) -> None:
    floor = results[FLOOR]
    peers = [name for name in results if name in PEERS]
    fastest = {i: min((results[name][i][0] for name in peers), default=None) for i in (0, 1)}
    least_memory = min((memory[name] for name in peers if name in memory), default=None)
    steps, batch, n = shape
    print(f"\nConfig {config}: T={steps}, B={batch}, n={n}")
    header = (
        "| layer | forward ms | x floor | x fastest peer | fwd+bwd ms | x floor | x fastest peer |"
    )
    rule = "|---|---|---|---|---|---|---|"
    if memory:
        header += " peak extra MB | x least peer |"
        rule += "---|---|"
    print(header)
    print(rule)
    for name, timings in results.items():
        cells = [name]
        for i, (best, median) in enumerate(timings):
            cells += [
                f"{best:.1f} ({median:.1f})",
                f"{best / floor[i][0]:.2f}",
                f"{best / fastest[i]:.2f}" if fastest[i] else "-",
            ]
        if memory:
            cells += [
                f"{memory[name]:.0f}",
                f"{memory[name] / least_memory:.2f}" if least_memory else "-",
            ]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--memory":
        torch.set_num_threads(THREADS)
        measure_memory(sys.argv[2])
    else:
        main()
