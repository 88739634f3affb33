"""What a rank's tracker costs a training step (requirement: under 1 % of the step's time).

    python benchmarks/rank_overhead.py [--seconds 8] [--rounds 7]

A rank of an 8-GPU node, as torchrun starts it: local rank 0 (the node's CPU packages and DRAM,
and its GPU) and local rank 3 (its GPU only), in machine and process scope, kept in a SQLite
ledger, with a window per epoch (100 steps), alone (the callbacks' default) or with one per
10 steps inside (`every_n_steps=10`). The node's sensors are fakes (a powercap tree with 2
packages and their DRAM, NVML with 8 GPUs), so that the readings cost what reading real files
and a Python NVML binding cost, and the GPU counters move.

The cost is measured twice. Directly: the CPU time of the sampling thread plus the CPU time the
training loop spends opening and closing windows, over the time of the tracked steps. As a
slowdown: blocks of steps (windows every 10 steps) timed with a tracker running and without,
alternating, several rounds (min and median of the per-round ratio; the tracker's start and stop,
once a run, are not in the blocks); the same alternation without any tracker gives this
machine's noise.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table

from greenspike.energy.meters import nvml, rapl
from greenspike.energy.placement import Placement
from greenspike.tracking import EnergyTracker

LOCAL_WORLD = 8


class FakeNvmlError(Exception):
    value = 3


class FakeNvml:
    """NVML with 8 GPUs drawing 300 W each: counters that move with the clock."""

    NVMLError = FakeNvmlError

    def __init__(self) -> None:
        self.start = time.monotonic()

    def nvmlInit(self):
        pass

    def nvmlShutdown(self):
        pass

    def nvmlDeviceGetCount(self):
        return LOCAL_WORLD

    def nvmlDeviceGetHandleByIndex(self, index):
        return index

    def nvmlDeviceGetName(self, index):
        return "NVIDIA H100 80GB HBM3"

    def nvmlDeviceGetUUID(self, index):
        return f"GPU-bench-{index}"

    def nvmlDeviceGetTotalEnergyConsumption(self, index):
        return int((time.monotonic() - self.start) * 300_000)

    def nvmlDeviceGetPowerUsage(self, index):
        return 300_000


def fake_node(root: Path) -> None:
    for package in range(2):
        for entry, name in (
            (f"intel-rapl:{package}", f"package-{package}"),
            (f"intel-rapl:{package}:0", "core"),
            (f"intel-rapl:{package}:1", "dram"),
        ):
            (root / entry).mkdir(parents=True)
            (root / entry / "name").write_text(name)
            (root / entry / "energy_uj").write_text("123456789")
            (root / entry / "max_energy_range_uj").write_text("262143328850")
    rapl.POWERCAP_ROOT = root
    nvml.driver_loaded = lambda: True
    sys.modules["pynvml"] = FakeNvml()  # type: ignore[assignment]


def training_step() -> Callable[[], None]:
    """One step of a small CNN on a batch of 32 MNIST-sized images, on CPU."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(32 * 7 * 7, 10),
    )
    optimiser = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.randn(32, 1, 28, 28), torch.randint(0, 10, (32,))

    def step() -> None:
        optimiser.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimiser.step()

    return step


def rank(local_rank: int) -> Placement:
    return Placement(
        launcher="torchrun",
        job_id="bench-job",
        rank=local_rank,
        world_size=LOCAL_WORLD,
        local_rank=local_rank,
        local_world_size=LOCAL_WORLD,
        node_rank=0,
        host="bench",
    )


def tracked_steps(
    step, steps: int, tracker: EnergyTracker, every_n_steps: int | None
) -> tuple[float, float]:
    """(seconds of the steps, CPU seconds the loop spent opening and closing windows): epochs
    of 100 steps, and windows of `every_n_steps` steps inside them (None: none)."""
    edges = 0.0
    start = time.perf_counter()
    epoch = window = None
    for index in range(steps):
        tick = time.thread_time()
        if index % 100 == 0:
            if window is not None:
                window.stop()
                window = None
            if epoch is not None:
                epoch.stop()
            epoch = tracker.epoch(index // 100).start()
        if every_n_steps is not None and index % every_n_steps == 0:
            if window is not None:
                window.stop()
            window = tracker.window(f"steps-{index}").start()
        edges += time.thread_time() - tick
        step()
    tick = time.thread_time()
    if window is not None:
        window.stop()
    epoch.stop()
    edges += time.thread_time() - tick
    return time.perf_counter() - start, edges


def direct_share(
    step, steps: int, placement: Placement, scope: str, every_n_steps: int | None
) -> tuple[float, float]:
    """(sampling thread CPU / steps' time, window edges' CPU / steps' time) over one run."""
    cpu_s = [0.0]

    def on_update(report) -> None:
        if threading.current_thread().name == "greenspike-energy":
            cpu_s[0] = time.thread_time()

    tracker = EnergyTracker(placement=placement, scope=scope, on_update=on_update)
    with tracker:
        elapsed, edges = tracked_steps(step, steps, tracker, every_n_steps)
    return cpu_s[0] / elapsed, edges / elapsed


def slowdown(step, steps: int, rounds: int, placement: Placement | None) -> tuple[float, float]:
    """(min, median) over rounds of tracked block time / bare block time - 1, alternating."""
    ratios = []
    for index in range(rounds):
        times = {}
        for kind in ("tracked", "bare") if index % 2 else ("bare", "tracked"):
            if kind == "tracked" and placement is not None:
                tracker = EnergyTracker(placement=placement).start()  # start, stop: not timed
                times[kind], _ = tracked_steps(step, steps, tracker, 10)
                tracker.stop()
            else:
                start = time.perf_counter()
                for _ in range(steps):
                    step()
                times[kind] = time.perf_counter() - start
        ratios.append(times["tracked"] / times["bare"] - 1)
    return min(ratios, key=abs), statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="length of a tracked run")
    parser.add_argument("--rounds", type=int, default=7, help="tracked/bare pairs")
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as folder:
        os.environ["GREENSPIKE_LEDGER"] = str(Path(folder) / "ledger.db")
        fake_node(Path(folder) / "powercap")
        measure(args)


def measure(args: argparse.Namespace) -> None:
    step = training_step()
    for _ in range(20):
        step()
    start = time.perf_counter()
    for _ in range(50):
        step()
    step_s = (time.perf_counter() - start) / 50
    steps = max(100, round(args.seconds / step_s / 100) * 100)
    table = Table(
        title=f"A rank's tracker against its training step ({step_s * 1e3:.1f} ms, "
        f"small CNN, batch 32, 1 thread; {steps} steps a run)",
        title_justify="left",
    )
    table.add_column("rank of an 8-GPU node (SQLite ledger)")
    table.add_column("windows", justify="right")
    table.add_column("sampling thread", justify="right")
    table.add_column("window edges", justify="right")
    table.add_column("total", justify="right")
    table.add_column("requirement", justify="right")
    for local_rank, scope in ((0, "machine"), (3, "machine"), (0, "process"), (3, "process")):
        what = "node + GPU 0" if local_rank == 0 else "GPU 3 only"
        for every_n_steps in (None, 10):
            sampler, edges = direct_share(step, steps, rank(local_rank), scope, every_n_steps)
            table.add_row(
                f"local rank {local_rank} ({what}), {scope} scope" if every_n_steps is None else "",
                "epochs" if every_n_steps is None else "+ every 10 steps",
                f"{sampler:.3%}",
                f"{edges:.3%}",
                f"{sampler + edges:.3%}",
                "< 1 %",
            )
    Console(width=120).print(table)
    block = max(10, steps // 4)
    noise = slowdown(step, block, args.rounds, None)
    tracked = slowdown(step, block, args.rounds, rank(0))
    slow = Table(
        title=f"Wall-clock slowdown of {block}-step blocks, alternating, {args.rounds} rounds",
        title_justify="left",
    )
    slow.add_column("blocks")
    slow.add_column("closest to 0", justify="right")
    slow.add_column("median", justify="right")
    slow.add_row("local rank 0 tracked / bare", f"{tracked[0]:+.2%}", f"{tracked[1]:+.2%}")
    slow.add_row("bare / bare (this machine's noise)", f"{noise[0]:+.2%}", f"{noise[1]:+.2%}")
    Console(width=120).print(slow)


if __name__ == "__main__":
    main()
