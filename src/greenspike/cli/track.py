"""`greenspike track -- COMMAND`: run a command, measure its energy, print the report."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from greenspike.cli._options import (
    COUNTRY_OPTION,
    INTENSITY_OPTION,
    LEDGER_OPTION,
    NO_LEDGER_OPTION,
    PUE_OPTION,
    key_values,
    ledger_choice,
    number_or_name,
)
from greenspike.errors import InvalidInputError

if TYPE_CHECKING:
    from greenspike.energy.measurement import EnergyReport

# The exit status of a run whose command succeeded but whose report could not be written.
UNWRITTEN_REPORT_EXIT_CODE = 2


def track(
    command: list[str] = typer.Argument(
        None, metavar="-- COMMAND [ARGS]", help="The command to run, without a shell."
    ),
    country: str = COUNTRY_OPTION,
    intensity_g_per_kwh: float = INTENSITY_OPTION,
    pue: str = PUE_OPTION,
    interval_s: float = typer.Option(1.0, "--interval", help="Seconds between meter readings."),
    cpu_tdp_w: float = typer.Option(
        None,
        "--cpu-tdp-w",
        help="For the CPU estimate: watts of the CPUs the command may use, at full load.",
    ),
    output: Path = typer.Option(
        None,
        "--output",
        "-o",
        help="Write the report to this file as JSON, kept up to date while the command runs.",
        dir_okay=False,
    ),
    as_json: bool = typer.Option(
        False,
        "--json",
        help="Print the final report as JSON to stdout (after the command's own output) "
        "instead of the table on stderr.",
    ),
    name: str = typer.Option(None, "--name", help="Name of the run (default: the command)."),
    tags: list[str] = typer.Option(
        None, "--tag", help="A label KEY=VALUE kept with the run in the ledger (repeatable)."
    ),
    ledger: str = LEDGER_OPTION,
    no_ledger: bool = NO_LEDGER_OPTION,
    scope: str = typer.Option(
        "machine",
        "--scope",
        help="Whose energy: machine (everything on these CPUs and GPUs) or process (the "
        "command and its children: their CPU time and memory; RAPL counters apportioned).",
    ),
    job_id: str = typer.Option(
        None, "--job", help="Job id shared with other runs (default: from torchrun or Slurm)."
    ),
    total_epochs: int = typer.Option(
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
    energy_budget_kwh: float = typer.Option(
        None,
        "--energy-budget-kwh",
        help="With --epochs: stop the command (SIGTERM) when the forecast exceeds this.",
    ),
) -> None:
    """Run a command, measure the energy it uses, print the report; exit with its status.

    The report goes to stderr, so that the command's own output stays clean (with --json, the
    report goes to stdout once the command has ended).

    Ctrl-C and SIGTERM are passed on to the command; the report covers the run up to its end.
    """
    from greenspike._files import check_writable
    from greenspike.energy._command import run_command
    from greenspike.energy.epochs_file import ENV_VAR, EpochsFile
    from greenspike.energy.scope import checked_scope
    from greenspike.tracking import EnergyTracker

    argv = command or []
    if as_json and argv and argv[0].endswith(".json") and not Path(argv[0]).is_file():
        raise InvalidInputError(
            f"--json is a flag: it prints the report to stdout. To write it to {argv[0]} while "
            f"the command runs, use --output {argv[0]}"
        )
    if output is not None:
        check_writable(output, "--output")  # before the command runs, not after
    if total_epochs is None and (epochs_file is not None or energy_budget_kwh is not None):
        given = "--epochs-file" if epochs_file is not None else "--energy-budget-kwh"
        raise InvalidInputError(f"{given} needs --epochs N, the number of epochs the command runs")
    messages = Console(stderr=True)
    tracker = EnergyTracker(
        interval_s=interval_s,
        country=country,
        pue=number_or_name(pue),
        intensity_g_per_kwh=intensity_g_per_kwh,
        name=name,
        cpu_tdp_w=cpu_tdp_w,
        on_update=None if output is None else lambda report: _keep_running(report, output),
        ledger=ledger_choice(ledger, no_ledger),
        tags=key_values(tags or [], "--tag"),
        scope=checked_scope(scope),
        count_self=False,  # the command is charged, not greenspike
        job_id=job_id,
        total_epochs=total_epochs,
        energy_budget_kwh=energy_budget_kwh,
    )
    if total_epochs is None:
        exit_code, report = run_command(argv, tracker)
    else:
        from greenspike.report.terminal import forecast_text

        with tempfile.TemporaryDirectory(prefix="greenspike-") as folder:
            path = epochs_file if epochs_file is not None else Path(folder) / "epochs"
            reader = EpochsFile(
                path,
                tracker,
                total_epochs,
                on_forecast=lambda forecast: messages.print(forecast_text(forecast)),
                on_over_budget=lambda reason: messages.print(
                    f"greenspike: {reason}", style="red", markup=False
                ),
            )
            environment = {**os.environ, ENV_VAR: str(path.resolve())}
            exit_code, report = run_command(argv, tracker, env=environment, epochs=reader)
    from greenspike.report.terminal import energy_report_view  # once the command has run

    if as_json:
        typer.echo(report.to_json())
    else:
        messages.print(energy_report_view(report))
    if tracker.run_id is not None:
        messages.print(f"Kept in the ledger as run {tracker.run_id}", style="dim")
    if output is not None:
        try:  # the final report, written here so that a failure is seen, never claimed
            report.write_json(output)
        except OSError as error:
            messages.print(f"Error: the report was not written to {output}: {error}", markup=False)
            raise typer.Exit(exit_code or UNWRITTEN_REPORT_EXIT_CODE) from error
        messages.print(f"Report written to {output}", style="dim", markup=False)
    raise typer.Exit(exit_code)


def _keep_running(report: EnergyReport, output: Path) -> None:
    """The running report, kept up to date in --output (the final one is written after)."""
    if report.status == "running":
        report.write_json(output)
