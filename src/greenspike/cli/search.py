"""`greenspike search`: a multi-objective search over ReLU and spiking networks, with its bill."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from greenspike.cli._options import (
    BATCH_SIZE_OPTION,
    COUNTRY_OPTION,
    DATA_DIR_OPTION,
    DATASET_OPTION,
    DEVICE_OPTION,
    HARDWARE_FILE_OPTION,
    HARDWARE_OPTION,
    INTENSITY_OPTION,
    JSON_OPTION,
    LEARN_BETA_OPTION,
    LEARN_THRESHOLD_OPTION,
    LEDGER_OPTION,
    LIMIT_OPTION,
    NO_LEDGER_OPTION,
    PUE_OPTION,
    SEED_OPTION,
    STEPS_HELP,
    TARGET_RATE_OPTION,
    out_option,
)
from greenspike.cli._values import ledger_choice, names, number_or_name
from greenspike.errors import MissingExtraError

INTERRUPTED_EXIT_CODE = 130
OUT_OPTION = out_option("greenspike-search", "results.json, pareto.png and report.html")


def search(
    dataset: str = DATASET_OPTION,
    data_dir: Path = DATA_DIR_OPTION,
    trials: int = typer.Option(20, help="Trials in the study (all workers, resumed ones too)."),
    objectives: str = typer.Option(
        "accuracy,inference-energy",
        help="Comma-separated: accuracy, inference-energy, training-energy.",
    ),
    hardware: str = HARDWARE_OPTION,
    hardware_file: Path = HARDWARE_FILE_OPTION,
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
    steps: int = typer.Option(
        8, help=f"{STEPS_HELP}, for event data (nmnist, shd) only: their bins, not searched."
    ),
    networks: str = typer.Option("relu,spiking", help="Network kinds to search: relu, spiking."),
    models: str = typer.Option("mlp", help="Architectures to search: mlp, cnn."),
    max_depth: int = typer.Option(2, help="Most hidden layers a candidate may have."),
    rate_penalty: str = typer.Option(
        None,
        help="LOW,HIGH: also search the weight of an L1 activity penalty on the spikes of "
        "spiking candidates, log-uniform (e.g. 0.001,3; default: no penalty).",
    ),
    target_rate: float = TARGET_RATE_OPTION,
    learn_beta: bool = LEARN_BETA_OPTION,
    learn_threshold: bool = LEARN_THRESHOLD_OPTION,
    batch_size: int = BATCH_SIZE_OPTION,
    limit: int = LIMIT_OPTION,
    sampler: str = typer.Option("tpe", help="tpe (multi-objective TPE) or nsga2."),
    prune: bool = typer.Option(True, help="Stop trials below the median accuracy early."),
    country: str = COUNTRY_OPTION,
    intensity_g_per_kwh: float = INTENSITY_OPTION,
    pue: str = PUE_OPTION,
    device: str = DEVICE_OPTION,
    seed: int = SEED_OPTION,
    out: Path = OUT_OPTION,
    as_json: bool = JSON_OPTION,
    ledger: str = LEDGER_OPTION,
    no_ledger: bool = NO_LEDGER_OPTION,
) -> None:
    """Search ReLU and spiking networks for accuracy and energy; print the Pareto front."""
    import importlib.util

    import torch

    if importlib.util.find_spec("optuna") is None:
        raise MissingExtraError("greenspike search needs Optuna: pip install 'greenspike[search]'")
    from greenspike._files import check_writable_folder, write_atomically
    from greenspike._memory import keep_freed_memory
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
        objectives=names(objectives),
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
        hardware=names(hardware),
        hardware_file=None if hardware_file is None else str(hardware_file),
        country=country,
        intensity_g_per_kwh=intensity_g_per_kwh,
        pue=number_or_name(pue),
        device=device,
        steps=steps,
        ledger=ledger_choice(ledger, no_ledger),
        out=str(out),
        space=SearchSpace(
            networks=names(networks),
            models=names(models),
            max_depth=max_depth,
            rate_penalty=None if rate_penalty is None else _range(rate_penalty),
            target_rate=target_rate,
            learn_beta=learn_beta,
            learn_threshold=learn_threshold,
        ),
    )
    config.check()
    check_writable_folder(out, "--out")  # before searching, not after
    torch.set_num_threads(1)  # small networks: one thread is fastest, and fair to neighbours
    keep_freed_memory()  # reuse each step's large buffers (see greenspike._memory)
    console = Console()
    messages = Console(stderr=True) if as_json else console  # stdout is the JSON's
    with messages.status(f"searching ({workers} worker{'s' * (workers > 1)})"):
        result = run_search(
            config, on_trial=lambda trial: messages.print(escape(trial_line(trial)), style="dim")
        )
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result.to_dict(), indent=2) + "\n"
    written = [
        write_atomically(out / "results.json", text),
        write_pareto_plot(result, out / "pareto.png"),
    ]
    if config.ledger is not None:
        written.append(write_search_report(result, open_ledger(config.ledger), out / "report.html"))
    if as_json:
        typer.echo(text, nl=False)
    else:
        console.print(pareto_table(result))
        console.print(escape(bill_text(result)))
    messages.print(
        escape("Written: " + ", ".join(str(path) for path in written if path)), style="dim"
    )
    if result.stopped_by == "interrupted":
        messages.print("[yellow]Interrupted[/]: resume with the same --storage and --study.")
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
