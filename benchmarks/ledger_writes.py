"""What keeping runs costs: one run written (start, a running update, the final report), many
processes writing at once, and reading runs back, in SQLite and, when
$GREENSPIKE_BENCH_POSTGRES_URL is set, PostgreSQL.

    python benchmarks/ledger_writes.py [--runs 200] [--processes 8]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from greenspike.energy.measurement import ComponentEnergy, EnergyReport
from greenspike.ledger import Ledger

WRITER = """
import sys, time
sys.path.insert(0, {folder!r})
from ledger_writes import write_runs
write_runs(sys.argv[1], int(sys.argv[2]))
"""


def report(status: str, joules: float) -> EnergyReport:
    return EnergyReport(
        name="bench",
        status=status,
        start_unix_s=time.time(),
        end_unix_s=None if status == "running" else time.time(),
        duration_s=1.0,
        components=(
            ComponentEnergy("cpu", "estimated", "tdp x utilisation", "bench", energy_j=joules),
            ComponentEnergy("ram", "estimated", "memory model", "bench", energy_j=joules / 10),
        ),
    )


def write_runs(url: str, runs: int) -> list[float]:
    """Seconds per run: start_run, one running update, the final report."""
    ledger, times = Ledger(url), []
    for i in range(runs):
        start = time.perf_counter()
        run_id = ledger.start_run(name="bench", start_unix_s=time.time(), interval_s=1.0)
        ledger.record(run_id, report("running", i))
        ledger.record(run_id, report("finished", 2 * i))
        times.append(time.perf_counter() - start)
    return times


def many_processes(url: str, processes: int, runs: int) -> float:
    """Runs written per second by `processes` processes at once."""
    code = WRITER.format(folder=str(Path(__file__).parent))
    start = time.perf_counter()
    writers = [
        subprocess.Popen([sys.executable, "-c", code, url, str(runs)]) for _ in range(processes)
    ]
    if any(w.wait() for w in writers):
        raise RuntimeError("a writer failed")
    return processes * runs / (time.perf_counter() - start)


def read_ms(url: str) -> tuple[int, float]:
    ledger = Ledger(url)
    start = time.perf_counter()
    count = len(ledger.runs())
    return count, (time.perf_counter() - start) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200, help="runs written by one process")
    parser.add_argument("--processes", type=int, default=8, help="processes writing at once")
    args = parser.parse_args()
    table = Table(title="greenspike ledger", title_justify="left")
    for column in (
        "ledger",
        "one run written, median (p95)",
        "runs/s, processes at once",
        "runs() of all runs",
    ):
        table.add_column(column, justify="right" if column != "ledger" else "left")
    with tempfile.TemporaryDirectory() as folder:
        urls = {"SQLite (WAL)": f"sqlite:///{Path(folder) / 'ledger.db'}"}
        if os.environ.get("GREENSPIKE_BENCH_POSTGRES_URL"):
            urls["PostgreSQL"] = os.environ["GREENSPIKE_BENCH_POSTGRES_URL"]
        for name, url in urls.items():
            times = sorted(write_runs(url, args.runs))
            rate = many_processes(url, args.processes, args.runs // 4)
            count, ms = read_ms(url)
            p95_ms = times[int(0.95 * len(times))] * 1e3
            table.add_row(
                name,
                f"{statistics.median(times) * 1e3:.1f} ms ({p95_ms:.1f})",
                f"{rate:.0f} ({args.processes} processes)",
                f"{ms:.0f} ms ({count} runs)",
            )
    Console(width=110).print(table)


if __name__ == "__main__":
    main()
