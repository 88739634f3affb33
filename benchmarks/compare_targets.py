"""The targets of `greenspike compare` (issue 9), measured: a table of measured vs target.

    python benchmarks/compare_targets.py [--data /work/shared/data/mnist-t10k] [--skip-mnist]

- The default comparison on the bundled digits, run as the command line runs it (a child
  process, with a throwaway ledger; report.html included): under 60 s, test accuracy >= 97 %
  (ReLU) and >= 95 % (spiking).
- The MNIST test set (t10k only on these machines) split 8,000 train / 2,000 test with seed 0:
  the spiking MLP >= 94 %, a small spiking CNN >= 97 % test accuracy.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table

from greenspike.train import CompareConfig, compare

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
MNIST_T10K = Path(os.environ.get("GREENSPIKE_SHARED_DATA", SHARED_DATA)) / "mnist-t10k"
MNIST_MLP = CompareConfig(dataset="mnist", model="mlp", hidden=(256,), epochs=10)
MNIST_CNN = CompareConfig(dataset="mnist", model="cnn", hidden=(16, 32), epochs=5)


def default_digits() -> list[tuple[str, str, str, bool]]:
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        command = [sys.executable, "-m", "greenspike", "compare", "--out", out]
        ledger = {"GREENSPIKE_LEDGER": f"sqlite:///{out}/ledger.db"}  # kept, then thrown away
        subprocess.run(command, check=True, capture_output=True, env={**os.environ, **ledger})
        elapsed = time.perf_counter() - started
        result = json.loads((Path(out) / "results.json").read_text())
    relu, spiking = (result["networks"][n]["accuracy"] for n in ("relu", "spiking"))
    return [
        ("digits default: wall time", f"{elapsed:.1f} s", "< 60 s", elapsed < 60),
        ("digits default: ReLU accuracy", f"{relu:.1%}", ">= 97 %", relu >= 0.97),
        ("digits default: spiking accuracy", f"{spiking:.1%}", ">= 95 %", spiking >= 0.95),
    ]


def mnist(data: Path) -> list[tuple[str, str, str, bool]]:
    rows = []
    for label, config, target in (("MLP", MNIST_MLP, 0.94), ("CNN", MNIST_CNN, 0.97)):
        config = CompareConfig(**{**config.__dict__, "data_dir": str(data)})
        started = time.perf_counter()
        result = compare(config, ledger=None)
        elapsed = time.perf_counter() - started
        accuracy = result.networks["spiking"].accuracy
        relu = result.networks["relu"].accuracy
        rows.append(
            (
                f"MNIST 8k/2k: spiking {label} {list(config.hidden)}, {config.epochs} epochs "
                f"(ReLU twin {relu:.1%}, both {elapsed:.0f} s)",
                f"{accuracy:.1%}",
                f">= {target:.0%}",
                accuracy >= target,
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=MNIST_T10K, help="MNIST t10k IDX directory")
    parser.add_argument("--skip-mnist", action="store_true", help="only the digits target")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = default_digits()
    if args.skip_mnist:
        pass
    elif args.data.is_dir():
        rows += mnist(args.data)
    else:
        print(f"no MNIST t10k files at {args.data}: MNIST targets skipped")
    table = Table(title="greenspike compare: targets")
    for column in ("target", "measured", "required", "met"):
        table.add_column(column)
    for name, measured, required, met in rows:
        table.add_row(name, measured, required, "yes" if met else "[red]NO[/]")
    Console().print(table)


if __name__ == "__main__":
    main()
