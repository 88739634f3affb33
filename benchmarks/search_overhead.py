"""What a search's bookkeeping costs per trial: the same candidates trained by a bare loop, by
plain Optuna (in memory, then SQLite), and by `greenspike.search` (SQLite study, an energy
tracker per trial, the ledger, per-epoch accuracy in the storage, operation counts).

    python benchmarks/search_overhead.py [--trials 6] [--epochs 3] [--repeats 3]

Every variant trains the same enqueued candidates with `greenspike.train.fit`, scores them on
the validation images every epoch and on the test images once, with pruning off; the medians of
`--repeats` runs are compared. On a small shared machine the noise can exceed the effect.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import optuna
import torch
from rich.console import Console
from rich.table import Table

from greenspike.search import SearchConfig, search
from greenspike.search._study import open_study, storage_url
from greenspike.search._trial import load_search_data
from greenspike.search.space import build, suggest
from greenspike.train.loop import evaluate, fit

CANDIDATES = [
    {"network": "relu", "model": "mlp", "depth": 1, "width": 64, "lr": 0.01},
    {"network": "relu", "model": "mlp", "depth": 2, "width": 32, "lr": 0.01},
    {"network": "spiking", "model": "mlp", "depth": 1, "width": 32, "lr": 0.01, "steps": 4,
     "beta": 0.9, "threshold": 1.0, "encoding": "direct"},
]  # fmt: skip


def train_and_score(trial, config, data) -> float:
    """What every variant does for one trial: build, train with per-epoch validation, test."""
    candidate = suggest(trial, config.space)
    torch.manual_seed(config.seed + trial.number)
    network = build(candidate, data.image_shape, data.classes)
    scores = []

    def after_batch(epoch, batch, batches, loss):
        if batch + 1 == batches:
            scores.append(evaluate(network, data.validation))
            network.train()

    fit(network, data.fit, epochs=config.epochs, batch_size=config.batch_size, lr=candidate.lr,
        seed=config.seed + trial.number, on_batch=after_batch)  # fmt: skip
    evaluate(network, data.test)
    return scores[-1]


def plain_optuna(config, data, storage) -> float:
    study = optuna.create_study(direction="maximize", storage=storage)
    for params in _points(config.trials):
        study.enqueue_trial(params)
    start = time.perf_counter()
    study.optimize(lambda trial: train_and_score(trial, config, data), n_trials=config.trials)
    return time.perf_counter() - start


def bare_loop(config, data) -> float:
    study = optuna.create_study(direction="maximize")  # only to draw the same candidates
    trials = []
    for params in _points(config.trials):
        study.enqueue_trial(params)
        trials.append(study.ask())
    start = time.perf_counter()
    for trial in trials:
        train_and_score(trial, config, data)
    return time.perf_counter() - start


def greenspike_search(config, folder: Path) -> float:
    config = SearchConfig(**{**config.__dict__, "out": str(folder), "ledger": str(folder / "l.db")})
    study = open_study(config, storage_url(config))
    for params in _points(config.trials):
        study.enqueue_trial(params)
    start = time.perf_counter()
    search(config)
    return time.perf_counter() - start


def _points(trials: int) -> list[dict]:
    return [CANDIDATES[i % len(CANDIDATES)] for i in range(trials)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=6)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    torch.set_num_threads(1)
    config = SearchConfig(trials=args.trials, epochs=args.epochs, prune=False, limit=600)
    data = load_search_data(config)
    search(SearchConfig(**{**config.__dict__, "trials": 1, "ledger": None,
                           "out": tempfile.mkdtemp()}))  # fmt: skip  # warm up torch
    times: dict[str, list[float]] = {}
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as folder:
            runs = {
                "bare loop": lambda: bare_loop(config, data),
                "Optuna, in memory": lambda: plain_optuna(config, data, None),
                "Optuna, SQLite": lambda: plain_optuna(config, data, f"sqlite:///{folder}/o.db"),
                "greenspike search": lambda: greenspike_search(config, Path(folder)),
            }
            for name, run in runs.items():
                times.setdefault(name, []).append(run())
    base = statistics.median(times["bare loop"]) / args.trials
    table = Table(title=f"{args.trials} trials x {args.epochs} epochs on 600 digits, per trial")
    for column in ("variant", "s per trial", "overhead per trial", "vs bare loop"):
        table.add_column(column, justify="left" if column == "variant" else "right")
    for name, measured in times.items():
        per_trial = statistics.median(measured) / args.trials
        table.add_row(name, f"{per_trial:.3f}", f"{(per_trial - base) * 1e3:+.0f} ms",
                      f"{per_trial / base:.2f}x")  # fmt: skip
    Console().print(table)


if __name__ == "__main__":
    main()
