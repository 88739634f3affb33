"""How soon `greenspike track` starts the command, and what keeping the run in the ledger costs.

    python benchmarks/track_start.py [--rounds 15] [--sleep SECONDS]

The command is `date +%s.%N`, which prints the moment it runs and exits within a millisecond
(with `--sleep S`, it then sleeps S seconds: a command that runs a while, as a real one does).
Each round launches `python -m greenspike track -- date +%s.%N` twice, in turn: with the
default ledger (SQLite; `$GREENSPIKE_LEDGER` points it to an existing file in a temporary
folder, so that the user's own is not touched) and with `--no-ledger`. For each launch:

- start latency: the moment the command printed minus the moment this script launched
  greenspike (so it includes the Python interpreter's own start);
- whole call: from the launch until greenspike has exited (report printed, run kept).

A third launch per round, `python -c "import time; print(time.time())"`, gives the interpreter's
own start, so that greenspike's share of the latency (its imports and the tracker's start)
reads as the difference.

Ratios are per round (default ledger / `--no-ledger`), reported as min and median; the first
call on a new ledger (which creates the file and its tables) is reported apart.
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

DATE = "date +%s.%N"


BARE = [sys.executable, "-c", "import time; print(time.time())"]


def launch(ledger: bool | None, env: dict[str, str], sleep_s: float) -> tuple[float, float]:
    """(start latency, whole call) in seconds of one `greenspike track -- date`.

    With `ledger` None: of the bare interpreter printing the time instead.
    """
    options = [] if ledger else ["--no-ledger"]
    tracked = DATE.split() if not sleep_s else ["sh", "-c", f"{DATE}; sleep {sleep_s}"]
    command = [sys.executable, "-m", "greenspike", "track", *options, "--", *tracked]
    launched = time.time()
    done = subprocess.run(
        BARE if ledger is None else command,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    whole = time.time() - launched
    return float(done.stdout.strip().splitlines()[-1]) - launched, whole


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--sleep", type=float, default=0.0, help="seconds the command sleeps")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "GREENSPIKE_LEDGER": f"sqlite:///{Path(folder) / 'ledger.db'}"}
        first = launch(True, env, args.sleep)  # creates the ledger
        launch(False, env, args.sleep)  # warms the file cache alike for both
        runs: dict[bool | None, list[tuple[float, float]]] = {True: [], False: [], None: []}
        kinds: list[bool | None] = [True, False, None]
        for r in range(args.rounds):
            for ledger in kinds[r % 3 :] + kinds[: r % 3]:
                runs[ledger].append(launch(ledger, env, args.sleep))
    print(
        f"{args.rounds} rounds, command sleeping {args.sleep:g} s, "
        f"load average {os.getloadavg()[0]:.1f} at the end; "
        "seconds: median (min-max)"
    )
    print("| greenspike track -- date | command started after | whole call |")
    print("|---|---|---|")
    labels: tuple[tuple[bool | None, str], ...] = (
        (True, "default ledger (SQLite)"),
        (False, "--no-ledger"),
        (None, "(the interpreter alone: python -c, no greenspike)"),
    )
    for ledger, label in labels:
        start = [run[0] for run in runs[ledger]]
        whole = [run[1] for run in runs[ledger]]
        print(
            f"| {label} | {statistics.median(start):.3f} ({min(start):.3f}-{max(start):.3f}) "
            f"| {statistics.median(whole):.3f} ({min(whole):.3f}-{max(whole):.3f}) |"
        )
    print(f"| default ledger, first call (creates it) | {first[0]:.3f} | {first[1]:.3f} |")
    for ledger, label in labels[:2]:
        share = [(a[0] - b[0]) * 1e3 for a, b in zip(runs[ledger], runs[None], strict=True)]
        print(
            f"command start after greenspike's own ({label}: minus the interpreter's start), "
            f"ms per round: min {min(share):.0f}, median {statistics.median(share):.0f}"
        )
    ratios = [a[1] / b[1] for a, b in zip(runs[True], runs[False], strict=True)]
    print(
        f"whole call, default ledger / --no-ledger, per round: min {min(ratios):.2f}, "
        f"median {statistics.median(ratios):.2f}"
    )


if __name__ == "__main__":
    main()
