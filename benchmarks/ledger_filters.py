"""What browsing a large ledger costs: `greenspike runs list` and its filters on many runs.

A SQLite ledger of N runs (default 2,000), each with a compare-like name, two tags, a small energy
report and 10 metrics logged over 5 steps (50 values), read back the way `runs list` reads it:
the newest 50, a tag key, a name glob, and a condition on a metric's last value. Tag and name
filters run in SQL; a metric condition is checked in Python on the runs that logged the metric,
so its cost grows with them: this measures whether that is cheap enough. The variants take
turns, several rounds; medians and minimums in ms.

    python benchmarks/ledger_filters.py [--runs 2000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from greenspike.energy.measurement import ComponentEnergy, EnergyReport
from greenspike.energy.metric import Metric
from greenspike.ledger import Ledger
from greenspike.ledger.filters import metric_condition
from greenspike.report.terminal import runs_table


def fill(ledger: Ledger, runs: int) -> None:
    for i in range(runs):
        network = "spiking" if i % 2 else "relu"
        run_id = ledger.start_run(
            name=f"mlp-{16 * (1 + i % 8)} digits {network}",
            start_unix_s=1.7e9 + i,
            interval_s=1.0,
            tags={"compare": f"g{i // 2}", "network": network},
            metadata={"config": {"epochs": 20, "hidden": [128], "seed": i}},
        )
        ledger.record(
            run_id,
            EnergyReport(
                name="bench",
                status="finished",
                start_unix_s=1.7e9 + i,
                end_unix_s=1.7e9 + i + 1,
                duration_s=1.0,
                components=(
                    ComponentEnergy("cpu", "estimated", "tdp", "bench", energy_j=10.0 + i),
                    ComponentEnergy("ram", "estimated", "memory", "bench", energy_j=1.0),
                ),
            ),
        )
        ledger.log_metrics(
            run_id,
            [
                Metric(name, (i % 100) / 100 + step / 1000 * (name != "accuracy"), step, 1.7e9)
                for step in range(5)
                for name in (*(f"m{k}" for k in range(9)), "accuracy")
            ],
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory() as folder:
        ledger = Ledger(Path(folder) / "ledger.db")
        started = time.perf_counter()
        fill(ledger, args.runs)
        console.print(f"{args.runs} runs written in {time.perf_counter() - started:.1f} s")
        variants: dict[str, Callable[[], list]] = {
            "runs list (newest 50)": lambda: ledger.runs(limit=50),
            "--tag network (a key), 50": lambda: ledger.runs(tag_keys=["network"], limit=50),
            "--name 'mlp-16 *relu', 50": lambda: ledger.runs(name="mlp-16 *relu", limit=50),
            "--where 'accuracy>=0.99', 50": lambda: ledger.runs(
                where=[metric_condition("accuracy>=0.99")], limit=50
            ),
            "--where on every run (all match)": lambda: ledger.runs(
                where=[metric_condition("accuracy>=0")], limit=50
            ),
            "every run, no limit": lambda: ledger.runs(),
        }
        times: dict[str, list[float]] = {name: [] for name in variants}
        found: dict[str, int] = {}
        for _ in range(args.rounds):
            for name, variant in variants.items():  # interleaved: load hits them alike
                start = time.perf_counter()
                runs = variant()
                runs_table(runs)  # what `runs list` draws
                times[name].append(time.perf_counter() - start)
                found[name] = len(runs)
        table = Table(title=f"Reading a ledger of {args.runs} runs (SQLite), ms per call")
        for column in ("variant", "runs found", "median", "min", "x newest 50"):
            table.add_column(column, justify="left" if column == "variant" else "right")
        base = statistics.median(times["runs list (newest 50)"])
        for name, measured in times.items():
            median = statistics.median(measured)
            table.add_row(
                name,
                str(found[name]),
                f"{median * 1e3:.0f}",
                f"{min(measured) * 1e3:.0f}",
                f"{median / base:.1f}",
            )
        console.print(table)


if __name__ == "__main__":
    main()
