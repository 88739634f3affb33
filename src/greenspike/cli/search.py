"""`greenspike search`: a multi-objective search over ReLU and spiking networks, with its bill."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from greenspike.cli._options import LEDGER_OPTION
from greenspike.errors import MissingExtraError

INTERRUPTED_EXIT_CODE = 130


def search(
    dataset: str = typer.Option("digits", help="digits (bundled), mnist or fashion-mnist."),
    data_dir: Path = typer.Option(None, help="Directory with the IDX files of mnist."),
    trials: int = typer.Option(20, help="Trials in the study (all workers, resumed ones too)."),
    objectives: str = typer.Option(
        "accuracy,inference-energy",
        help="Comma-separated: accuracy, inference-energy, training-energy.",
    ),
    hardware: str = typer.Option(
        "cmos45-fp32",
        help="Cost-model profiles or deployments (e.g. loihi+host=cmos7-int8) for inference "
        "energy, each at its precision; the objectives use the first.",
    ),
    hardware_file: Path = typer.Option(
        None, help="A CSV of your own hardware profiles (the columns of gs.cost's profiles.csv)."
    ),
    energy_budget_kj: float = typer.Option(
        None, help="Stop once the study's trials used this many kJ (all workers)."
    ),
    time_budget_min: float = typer.Option(None, help="Stop starting trials after M minutes."),
    storage: str = typer.Option(
        None, help="Optuna RDB URL shared by workers (default: SQLite file in --out)."
    ),
    study: str = typer.Option("greenspike-search", help="Study name; an existing one resumes."),
    workers: int = typer.Option(1, help="Local worker processes sharing the study."),
    epochs: int = typer.Option(5, help="Training epochs per trial (fewer if pruned)."),
    networks: str = typer.Option("relu,spiking", help="Network kinds to search: relu, spiking."),
    models: str = typer.Option("mlp", help="Architectures to search: mlp, cnn."),
    max_depth: int = typer.Option(2, help="Most hidden layers a candidate may have."),
    rate_penalty: str = typer.Option(
        None,
        help="LOW,HIGH: also search the weight of an L1 activity penalty on the spikes of "
        "spiking candidates, log-uniform (e.g. 0.001,3; default: no penalty).",
    ),
    target_rate: float = typer.Option(
        None,
        help="With --rate-penalty: the searched weight penalises each spiking layer's firing "
        "rate above this one (spikes per neuron per step, in [0, 1)) instead of all spikes.",
    ),
    learn_beta: bool = typer.Option(
        False, "--learn-beta", help="Spiking candidates train each hidden layer's decay."
    ),
    learn_threshold: bool = typer.Option(
        False, "--learn-threshold", help="Spiking candidates train each hidden layer's threshold."
    ),
    batch_size: int = typer.Option(64, help="Minibatch size."),
    limit: int = typer.Option(None, help="Use the first N train images only (quick runs)."),
    sampler: str = typer.Option("tpe", help="tpe (multi-objective TPE) or nsga2."),
    prune: bool = typer.Option(True, help="Stop trials below the median accuracy early."),
    country: str = typer.Option(None, help="Country for the CO2e of the search."),
    ledger: str = LEDGER_OPTION,
    out: Path = typer.Option(Path("greenspike-search"), help="Directory for the results."),
    seed: int = typer.Option(0, help="Seed of the sampler, the data split and the networks."),
) -> None:
    """Search ReLU and spiking networks for accuracy and energy; print the Pareto front."""
    import importlib.util

    import torch

    if importlib.util.find_spec("optuna") is None:
        raise MissingExtraError("greenspike search needs Optuna: pip install 'greenspike[search]'")
    from greenspike._files import write_atomically
    from greenspike.ledger.sink import open_ledger
    from greenspike.report.pareto import write_pareto_plot
    from greenspike.report.search import (
        bill_text,
        pareto_table,
        trial_line,
        write_search_report,
    )
    from greenspike.search import SearchConfig, SearchSpace
    from greenspike.search import search as run_search

    config = SearchConfig(
        dataset=dataset,
        data_dir=None if data_dir is None else str(data_dir),
        trials=trials,
        objectives=_names(objectives),
        energy_budget_kj=energy_budget_kj,
        time_budget_min=time_budget_min,
        storage=storage,
        study=study,
        workers=workers,
        epochs=epochs,
        batch_size=batch_size,
        limit=limit,
        seed=seed,
        sampler=sampler,
        prune=prune,
        hardware=_names(hardware),
        hardware_file=None if hardware_file is None else str(hardware_file),
        country=country,
        ledger=ledger or "default",
        out=str(out),
        space=SearchSpace(
            networks=_names(networks),
            models=_names(models),
            max_depth=max_depth,
            rate_penalty=None if rate_penalty is None else _range(rate_penalty),
            target_rate=target_rate,
            learn_beta=learn_beta,
            learn_threshold=learn_threshold,
        ),
    )
    config.check()
    torch.set_num_threads(1)  # small networks: one thread is fastest, and fair to neighbours
    console = Console()
    with console.status(f"searching ({workers} worker{'s' * (workers > 1)})"):
        result = run_search(
            config, on_trial=lambda trial: console.print(escape(trial_line(trial)), style="dim")
        )
    out.mkdir(parents=True, exist_ok=True)
    write_atomically(out / "results.json", json.dumps(result.to_dict(), indent=2) + "\n")
    plot = write_pareto_plot(result, out / "pareto.png")
    report = write_search_report(
        result, open_ledger(config.ledger or "default"), out / "report.html"
    )
    console.print(pareto_table(result))
    console.print(escape(bill_text(result)))
    written = [out / "results.json", plot, report]
    console.print(
        escape("Written: " + ", ".join(str(path) for path in written if path)), style="dim"
    )
    if result.stopped_by == "interrupted":
        console.print("[yellow]Interrupted[/]: resume with the same --storage and --study.")
        raise typer.Exit(INTERRUPTED_EXIT_CODE)


def _range(text: str) -> tuple[float, float]:
    """ "0.001,3" -> (0.001, 3.0).

    Raises:
        InvalidInputError: not two comma-separated numbers.
    """
    from greenspike.errors import InvalidInputError

    try:
        low, high = (float(part) for part in text.split(","))
    except ValueError:
        raise InvalidInputError(
            f"--rate-penalty takes LOW,HIGH (e.g. 0.001,3), got {text!r}"
        ) from None
    return low, high


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())
