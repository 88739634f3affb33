"""`greenspike track -- COMMAND`: run a command, measure its energy, print the report."""

from __future__ import annotations

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
) -> None:
    """Run a command, measure the energy it uses, print the report; exit with its status.

    The report goes to stderr, so that the command's own output stays clean.

    Ctrl-C and SIGTERM are passed on to the command; the report covers the run up to its end.
    """
    from greenspike.energy._command import run_command
    from greenspike.tracking import EnergyTracker

    if json_path is not None and not json_path.parent.is_dir():
        raise InvalidInputError(
            f"cannot write the report to {json_path}: no directory {json_path.parent}"
        )
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
    )
    exit_code, report = run_command(command or [], tracker)
    from greenspike.report.terminal import energy_report_view  # once the command has run

    Console(stderr=True).print(energy_report_view(report))
    if json_path is not None:
        Console(stderr=True).print(f"Report written to {json_path}", style="dim")
    if tracker.run_id is not None:
        Console(stderr=True).print(f"Kept in the ledger as run {tracker.run_id}", style="dim")
    raise typer.Exit(exit_code)
