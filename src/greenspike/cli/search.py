"""`greenspike search`: a multi-objective search over ReLU and spiking networks, with its bill."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from greenspike.cli.options import LEDGER_OPTION
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
        help="Cost-model profiles for inference energy; the objective uses the first.",
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
    from greenspike.search import SearchConfig, SearchSpace, write_pareto_plot
    from greenspike.search import search as run_search
    from greenspike.search.report import write_search_report
    from greenspike.search.trial import record_of

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
        country=country,
        ledger=ledger or "default",
        out=str(out),
        space=SearchSpace(networks=_names(networks), models=_names(models), max_depth=max_depth),
    )
    config.check()
    torch.set_num_threads(1)  # small networks: one thread is fastest, and fair to neighbours
    console = Console()

    def on_trial(trial) -> None:
        record = record_of(trial)
        accuracy = record.get("accuracy_curve") or [float("nan")]
        energy = "energy not recorded"
        if "energy_j" in record:
            energy = f"{record['energy_j']:.3g} J"
        console.print(
            f"trial {trial.number}: {trial.state.name.lower()}, {trial.params.get('network')}, "
            f"validation accuracy {accuracy[-1]:.1%}, {energy}",
            style="dim",
        )

    with console.status(f"searching ({workers} worker{'s' * (workers > 1)})"):
        result = run_search(config, on_trial=on_trial)
    out.mkdir(parents=True, exist_ok=True)
    write_atomically(out / "results.json", json.dumps(result, indent=2) + "\n")
    plot = write_pareto_plot(result, out / "pareto.png")
    report = write_search_report(result, config.ledger, out / "report.html")
    console.print(pareto_table(result))
    console.print(bill_text(result))
    written = [out / "results.json", plot, report]
    console.print("Written: " + ", ".join(str(path) for path in written if path), style="dim")
    if result["stopped_by"] == "interrupted":
        console.print("[yellow]Interrupted[/]: resume with the same --storage and --study.")
        raise typer.Exit(INTERRUPTED_EXIT_CODE)


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def pareto_table(result: dict) -> Table:
    """The Pareto-optimal trials, one row each, best accuracy first."""
    table = Table(title=f"Pareto front of {result['study']} ({', '.join(result['objectives'])})")
    profile = result["hardware"][0]
    bill_sources = ", ".join(result["energy"]["sources"]) or "not measured"
    columns = ("trial", "network", "shape", "validation acc.", "test acc.", "training J")
    for column in (*columns, "µJ/inference"):
        table.add_column(column, justify="left" if column in ("network", "shape") else "right")
    table.caption = (
        f"µJ/inference: estimated on {profile} by greenspike.cost; training J: {bill_sources}"
    )
    front = [t for t in result["trials"] if t["pareto"]]
    for t in sorted(front, key=lambda t: -t["accuracy_curve"][-1]):
        params = t["params"]
        shape = f"{params['model']} {'x'.join([str(params['width'])] * params['depth'])}"
        if params["network"] == "spiking":
            shape += f", T={params['steps']}, {params['encoding']}"
        table.add_row(
            str(t["number"]),
            params["network"],
            shape,
            f"{t['accuracy_curve'][-1]:.1%}",
            f"{t['test_accuracy']:.1%}",
            f"{t['training_energy_j']:.2f}",
            f"{t['inference_energy_j'] * 1e6:.3g}",
        )
    return table


def bill_text(result: dict) -> str:
    """What the search cost, and what pruning saved (an estimate)."""
    energy, counts, pruning = result["energy"], result["counts"], result["pruning"]
    co2e = (
        "no CO2e (give --country)" if energy["co2e_g"] is None else f"{energy['co2e_g']:.3g} g CO2e"
    )
    lines = [
        f"Stopped: {result['stopped_by']}. Trials: {counts['complete']} complete, "
        f"{counts['pruned']} pruned, {counts['fail']} failed.",
        f"Search cost: {energy['energy_j']:.1f} J = {energy['kwh']:.3g} kWh "
        f"(measured {energy['measured_energy_j']:.1f} J, estimated "
        f"{energy['estimated_energy_j']:.1f} J; {', '.join(energy['sources'])}), {co2e}.",
    ]
    lines += [f"Note: {note}." for note in result["notes"]]
    if pruning["pruned_trials"]:
        saved = pruning["estimated_saved_j"]
        lines.append(
            f"Pruning stopped {pruning['pruned_trials']} trials, skipping "
            f"{pruning['epochs_skipped']} epochs: "
            + ("no estimate" if saved is None else f"about {saved:.1f} J saved")
            + f" ({pruning['method']})."
        )
    return "\n".join(lines)
