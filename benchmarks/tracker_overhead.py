"""What measuring costs: EnergyTracker start + stop, a window, one meter reading, and the slowdown
of the tracked code (requirements: start + stop < 50 ms without a GPU, overhead < 1 %).

    python benchmarks/tracker_overhead.py [--seconds 10] [--pairs 11]

The overhead is measured twice. Directly: the CPU time the sampling thread used during a tracked
run, as a share of the run's time (what it takes from the tracked code, whether it runs beside it
or holds the GIL); the first seconds cost most, as the RAM estimate looks for child processes
at 0.5, 1, 2, 4 s... As a slowdown: a workload timed inside a tracker and without, interleaved;
the same pairs without any tracker give the noise of the machine, which on a small shared
machine can exceed the effect.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table

from greenspike.energy.meters import EstimatedCpuMeter, EstimatedRamMeter, Meter, RaplMeter
from greenspike.tracking import EnergyTracker


def timed(action: Callable[[], object], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def start_stop_ms(repeats: int, **options) -> tuple[float, float, float]:
    """(first, median, max) of start() + stop() with meters="auto", in ms."""
    times = timed(lambda: EnergyTracker(**options).start().stop(), repeats)
    return times[0] * 1e3, statistics.median(times[1:]) * 1e3, max(times[1:]) * 1e3


def window_us(count: int) -> float:
    tracker = EnergyTracker().start()
    start = time.perf_counter()
    for _ in range(count):
        with tracker.window("w"):
            pass
    elapsed = time.perf_counter() - start
    tracker.stop()
    return elapsed / count * 1e6


def fake_rapl_tree(root: Path) -> Path:
    """A two-socket server's powercap tree (packages, core, DRAM), to time RaplMeter.read()."""
    for package in range(2):
        for entry, name in (
            (f"intel-rapl:{package}", f"package-{package}"),
            (f"intel-rapl:{package}:0", "core"),
            (f"intel-rapl:{package}:1", "dram"),
        ):
            (root / entry).mkdir()
            (root / entry / "name").write_text(name)
            (root / entry / "energy_uj").write_text("123456789")
            (root / entry / "max_energy_range_uj").write_text("262143328850")
    return root


def read_us(meter: Meter, count: int = 2000) -> float:
    meter.start()
    start = time.perf_counter()
    for _ in range(count):
        meter.read()
    elapsed = time.perf_counter() - start
    meter.close()
    return elapsed / count * 1e6


def torch_training(seconds: float) -> Callable[[], None]:
    """Steps of a small MLP on CPU, as many as fit in about `seconds` (fixed once measured)."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(256, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10)
    )
    optimiser = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.randn(128, 256), torch.randint(0, 10, (128,))

    def steps(n: int) -> None:
        for _ in range(n):
            optimiser.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            optimiser.step()

    return _calibrated(steps, seconds)


def _calibrated(steps: Callable[[int], None], seconds: float) -> Callable[[], None]:
    n = 1
    while True:
        start = time.perf_counter()
        steps(n)
        elapsed = time.perf_counter() - start
        if elapsed > 0.2:
            break
        n *= 2
    count = max(1, round(n * seconds / elapsed))
    return lambda: steps(count)


def sampler_share(workload: Callable[[], None], interval_s: float, json: Path | None):
    """(run seconds, CPU time of the sampling thread / run time) over one tracked workload.

    on_update runs on the sampling thread and reads its CPU clock (ns resolution); it makes the
    thread build a report at each reading, as a ledger would, and write it as JSON if asked.
    """
    cpu_s = [0.0]

    def on_update(report) -> None:
        if threading.current_thread().name == "greenspike-energy":
            if json is not None:
                report.write_json(json)
            cpu_s[0] = time.thread_time()

    with EnergyTracker(interval_s=interval_s, on_update=on_update):
        start = time.perf_counter()
        workload()
        elapsed = time.perf_counter() - start
    return elapsed, cpu_s[0] / elapsed


def paired_slowdown(workload: Callable[[], None], pairs: int, tracked: bool) -> float:
    """Median over `pairs` of (time inside a tracker / time without) - 1, in alternating order.

    With tracked=False both runs of a pair are bare: the result is this machine's noise.
    """
    ratios = []
    for pair in range(pairs):
        runs = {}
        for kind in ("inside", "bare") if pair % 2 else ("bare", "inside"):
            if kind == "inside" and tracked:
                with EnergyTracker(interval_s=1.0):
                    [runs[kind]] = timed(workload, 1)
            else:
                [runs[kind]] = timed(workload, 1)
        ratios.append(runs["inside"] / runs["bare"] - 1)
    return statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of a tracked run")
    parser.add_argument("--pairs", type=int, default=11, help="runs with and without tracker")
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as folder:
        # trackers keep their runs in the ledger by default: in a throwaway one here
        os.environ["GREENSPIKE_LEDGER"] = str(Path(folder) / "ledger.db")
        measure(args)


def measure(args: argparse.Namespace) -> None:
    table = Table(title="greenspike tracker overhead", title_justify="left")
    table.add_column("what")
    table.add_column("measured", justify="right")
    table.add_column("requirement", justify="right")
    for what, options in (("SQLite ledger", {}), ("no ledger", {"ledger": None})):
        first, median, worst = start_stop_ms(31, **options)
        table.add_row(f"start() + stop(), meters=auto, {what}, first call", f"{first:.1f} ms", "")
        table.add_row(
            f"start() + stop(), {what}, median of 30 (max)",
            f"{median:.1f} ms ({worst:.1f})",
            "< 50 ms",
        )
    table.add_row("window open + close", f"{window_us(2000):.0f} us", "")
    with tempfile.TemporaryDirectory() as root:
        table.add_row(
            "RaplMeter.read(), 2 packages + 2 DRAM (fake tree)",
            f"{read_us(RaplMeter(fake_rapl_tree(Path(root)))):.1f} us",
            "",
        )
    table.add_row("EstimatedCpuMeter.read()", f"{read_us(EstimatedCpuMeter()):.1f} us", "")
    table.add_row(
        "EstimatedRamMeter.read(), mean", f"{read_us(EstimatedRamMeter(), 200):.1f} us", ""
    )
    workload = torch_training(args.seconds)
    with tempfile.TemporaryDirectory() as folder:
        for interval_s, json in ((1.0, None), (1.0, Path(folder) / "run.json"), (0.1, None)):
            elapsed, share = sampler_share(workload, interval_s, json)
            table.add_row(
                f"sampling thread CPU / run time, interval {interval_s:g} s, report built"
                f"{' and written as JSON' if json else ''} at each reading "
                f"({elapsed:.1f} s of torch MLP training)",
                f"{share:.3%}",
                "< 1 %" if interval_s == 1 else "",
            )
    short = torch_training(1.0)
    table.add_row(
        f"wall-clock slowdown, median of {args.pairs} interleaved pairs of 1 s runs",
        f"{paired_slowdown(short, args.pairs, tracked=True):+.2%}",
        "< 1 %",
    )
    table.add_row(
        "  the same without any tracker: this machine's noise",
        f"{paired_slowdown(short, args.pairs, tracked=False):+.2%}",
        "",
    )
    Console(width=110).print(table)


if __name__ == "__main__":
    main()
