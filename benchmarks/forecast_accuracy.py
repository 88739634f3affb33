"""How close the forecast of a whole run comes, after its first epochs, to what the run used:
greenspike's forecast against carbontracker's (total_epochs x the mean epoch so far), on
simulated runs whose energy per epoch is known, and how often greenspike's 90 % interval holds
the truth (it should: 90 %).

    python benchmarks/forecast_accuracy.py [--runs 2000] [--seed 0]

Each run: a setup (data loading, model build), then epochs of mean 100 J with 10 % noise, with
work between epochs (validation, checkpoints) outside the epoch windows. The scenarios change
one thing at a time. carbontracker measures epochs between `epoch_start()` and `epoch_end()`,
so its prediction is total_epochs x (mean epoch energy so far); its published code (predictor.py)
does exactly that, and gives no interval.
"""

from __future__ import annotations

import argparse
import random
import statistics
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from greenspike.energy.forecast import EpochSpan, forecast_run


@dataclass(frozen=True)
class Scenario:
    name: str
    setup_j: float = 50.0
    warmup: float = 1.0  # the first epoch's energy, as a multiple of the others'
    gap_j: float = 0.0  # energy between two epochs (validation), outside the epoch windows
    noise: float = 0.10  # standard deviation of an epoch's energy, as a share of its mean
    total: int = 40


SCENARIOS = (
    Scenario("alike epochs, small setup"),
    Scenario("costly setup (1000 J)", setup_j=1000.0),
    Scenario("first epoch 3x (warm-up)", warmup=3.0),
    Scenario("validation between epochs (20 J)", gap_j=20.0),
    Scenario("all three", setup_j=1000.0, warmup=3.0, gap_j=20.0),
    Scenario("noisy epochs (30 %)", noise=0.30),
)


def simulate(scenario: Scenario, rng: random.Random) -> tuple[list[EpochSpan], float]:
    """The run's epochs (spans with cumulative joules) and its true total."""
    spans, joules, seconds = [], scenario.setup_j, 5.0
    for epoch in range(scenario.total):
        energy = max(0.0, rng.gauss(100.0, 100.0 * scenario.noise))
        if epoch == 0:
            energy *= scenario.warmup
        spans.append(EpochSpan(seconds, seconds + 10.0, joules, joules + energy))
        joules += energy + (scenario.gap_j if epoch < scenario.total - 1 else 0.0)
        seconds += 10.0 + 1.0
    return spans, spans[-1].end_j


def carbontracker(spans: list[EpochSpan], total: int) -> float:
    epochs = [s.end_j - s.start_j for s in spans]
    return total * statistics.fmean(epochs)


def measure(runs: int, seed: int, after: tuple[int, ...]) -> Table:
    table = Table(
        title=f"Forecast of a 40-epoch run: median |error| over {runs} simulated runs, "
        "and how often the 90 % interval holds the truth",
        title_justify="left",
    )
    table.add_column("scenario")
    table.add_column("after", justify="right")
    table.add_column("carbontracker", justify="right")
    table.add_column("greenspike", justify="right")
    table.add_column("90 % interval holds", justify="right")
    table.add_column("interval width", justify="right")
    for scenario in SCENARIOS:
        rng = random.Random(seed)
        errors: dict[int, dict[str, list[float]]] = {k: {"ct": [], "gs": []} for k in after}
        hits = {k: 0 for k in after}
        widths: dict[int, list[float]] = {k: [] for k in after}
        for _ in range(runs):
            spans, truth = simulate(scenario, rng)
            for k in after:
                done = spans[:k]
                forecast = forecast_run(done, scenario.total, done[-1].end_j, done[-1].end_s)
                errors[k]["ct"].append(abs(carbontracker(done, scenario.total) / truth - 1))
                errors[k]["gs"].append(abs(forecast.energy_j / truth - 1))
                hits[k] += forecast.energy_low_j <= truth <= forecast.energy_high_j
                widths[k].append((forecast.energy_high_j - forecast.energy_low_j) / truth)
        for k in after:
            table.add_row(
                scenario.name if k == after[0] else "",
                f"{k} epochs",
                f"{statistics.median(errors[k]['ct']):.1%}",
                f"{statistics.median(errors[k]['gs']):.1%}",
                f"{hits[k] / runs:.1%}",
                f"±{statistics.median(widths[k]) / 2:.1%}",
            )
        table.add_section()
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    Console(width=120).print(measure(args.runs, args.seed, (2, 5, 10)))


if __name__ == "__main__":
    main()
