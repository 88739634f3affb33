"""`greenspike track -- COMMAND`: run a command, measure its energy, print the report."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import typer
from rich.console import Console

from greenspike.cli._options import LEDGER_OPTION, key_values, number_or_name
from greenspike.errors import InvalidInputError


def track(
    command: list[str] = typer.Argument(
        None, metavar="-- COMMAND [ARGS]", help="The command to run, without a shell."
    ),
    country: str = typer.Option(
        None, "--country", help="Where the electricity comes from: ISO 3166 code, e.g. FRA."
    ),
    intensity: float = typer.Option(
        None, "--intensity", help="Carbon intensity in gCO2e/kWh, instead of --country."
    ),
    pue: str = typer.Option(
        "1.0", "--pue", help="Power usage effectiveness of the data centre (>= 1), or gcp, aws..."
    ),
    interval: float = typer.Option(1.0, "--interval", help="Seconds between meter readings."),
    cpu_tdp_w: float = typer.Option(
        None,
        "--cpu-tdp-w",
        help="For the CPU estimate: watts of the CPUs the command may use, at full load.",
    ),
    json_path: Path = typer.Option(
        None,
        "--json",
        help="Also write the report there as JSON, updated while the command runs.",
        dir_okay=False,
    ),
    name: str = typer.Option(None, "--name", help="Name of the run (default: the command)."),
    tags: list[str] = typer.Option(
        None, "--tag", help="A label KEY=VALUE kept with the run in the ledger (repeatable)."
    ),
    ledger: str = LEDGER_OPTION,
    no_ledger: bool = typer.Option(False, "--no-ledger", help="Do not keep the run in the ledger."),
    scope: str = typer.Option(
        "machine",
        "--scope",
        help="Whose energy: machine (everything on these CPUs and GPUs) or process (the "
        "command and its children: their CPU time and memory; RAPL counters apportioned).",
    ),
    job: str = typer.Option(
        None, "--job", help="Job id shared with other runs (default: from torchrun or Slurm)."
    ),
    epochs: int = typer.Option(
        None,
        "--epochs",
        help="Epochs the command will run; it appends a line to $GREENSPIKE_EPOCHS_FILE at the "
        "end of each (JSON numbers in it are kept as metrics), for a forecast of the run.",
    ),
    epochs_file: Path = typer.Option(
        None,
        "--epochs-file",
        help="The file the command appends its epoch lines to (default: a temporary file).",
        dir_okay=False,
    ),
    budget_kwh: float = typer.Option(
        None,
        "--energy-budget-kwh",
        help="With --epochs: stop the command (SIGTERM) when the forecast exceeds this.",
    ),
) -> None:
    """Run a command, measure the energy it uses, print the report; exit with its status.

    The report goes to stderr, so that the command's own output stays clean.

    Ctrl-C and SIGTERM are passed on to the command; the report covers the run up to its end.
    """
    from greenspike.energy._command import run_command
    from greenspike.energy.epochs_file import ENV_VAR, EpochsFile
    from greenspike.report.terminal import energy_report_view, forecast_text
    from greenspike.tracking import EnergyTracker

    if json_path is not None and not json_path.parent.is_dir():
        raise InvalidInputError(
            f"cannot write the report to {json_path}: no directory {json_path.parent}"
        )
    if epochs is None and (epochs_file is not None or budget_kwh is not None):
        given = "--epochs-file" if epochs_file is not None else "--energy-budget-kwh"
        raise InvalidInputError(f"{given} needs --epochs N, the number of epochs the command runs")
    if epochs is not None and epochs < 1:
        raise InvalidInputError(f"--epochs takes a number of epochs >= 1, got {epochs}")
    if budget_kwh is not None and not 0 < budget_kwh < float("inf"):
        raise InvalidInputError(f"--energy-budget-kwh takes kWh > 0, got {budget_kwh:g}")
    console = Console(stderr=True)
    tracker = EnergyTracker(
        interval_s=interval,
        country=country,
        pue=number_or_name(pue) or 1.0,
        intensity_g_per_kwh=intensity,
        name=name,
        cpu_tdp_w=cpu_tdp_w,
        on_update=None if json_path is None else lambda report: report.write_json(json_path),
        ledger=None if no_ledger else ledger or "default",
        tags=key_values(tags or [], "--tag"),
        scope=_scope(scope),
        count_self=False,  # the command is charged, not greenspike
        job_id=job,
        total_epochs=epochs,
        energy_budget_kwh=budget_kwh,
    )
    if epochs is None:
        exit_code, report = run_command(command or [], tracker)
    else:
        with tempfile.TemporaryDirectory(prefix="greenspike-") as folder:
            path = epochs_file if epochs_file is not None else Path(folder) / "epochs"
            reader = EpochsFile(
                path,
                tracker,
                epochs,
                on_forecast=lambda forecast: console.print(forecast_text(forecast)),
                on_over_budget=lambda reason: console.print(f"greenspike: {reason}", style="red"),
            )
            environment = {**os.environ, ENV_VAR: str(path.resolve())}
            exit_code, report = run_command(command or [], tracker, env=environment, epochs=reader)
    console.print(energy_report_view(report))
    if json_path is not None:
        console.print(f"Report written to {json_path}", style="dim")
    if tracker.run_id is not None:
        console.print(f"Kept in the ledger as run {tracker.run_id}", style="dim")
    raise typer.Exit(exit_code)


def _scope(text: str):
    from greenspike.energy.scope import checked_scope

    try:
        return checked_scope(text)
    except InvalidInputError:
        raise InvalidInputError(f"--scope takes machine or process, got {text!r}") from None
