"""`greenspike track -- COMMAND`: run a command, measure its energy, print the report.

typer reads the options here (and serves --help and the errors of bad options); a plain command
line is read without typer first, by greenspike.cli._quick_track, so that the command starts at
once. Both hand the options to greenspike.cli._tracked.
"""

from __future__ import annotations

from pathlib import Path

import typer

from greenspike.cli._options import (
    COUNTRY_OPTION,
    INTENSITY_OPTION,
    LEDGER_OPTION,
    NO_LEDGER_OPTION,
    PUE_OPTION,
)
from greenspike.cli._tracked import TrackOptions, run_track


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
    return_code = run_track(
        TrackOptions(
            command=tuple(command or ()),
            country=country,
            intensity_g_per_kwh=intensity_g_per_kwh,
            pue=pue,
            interval_s=interval_s,
            cpu_tdp_w=cpu_tdp_w,
            output=output,
            as_json=as_json,
            name=name,
            tags=tuple(tags or ()),
            ledger=ledger,
            no_ledger=no_ledger,
            scope=scope,
            job_id=job_id,
            total_epochs=total_epochs,
            epochs_file=epochs_file,
            energy_budget_kwh=energy_budget_kwh,
        )
    )
    raise typer.Exit(return_code)
