"""`greenspike track -- COMMAND`: run a command, measure its energy, print the report."""

from __future__ import annotations

from pathlib import Path

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
) -> None:
    """Run a command, measure the energy it uses, print the report; exit with its status.

    The report goes to stderr, so that the command's own output stays clean (with --json, the
    report goes to stdout once the command has ended).

    Ctrl-C and SIGTERM are passed on to the command; the report covers the run up to its end.
    """
    from greenspike.energy._command import run_command
    from greenspike.report.terminal import energy_report_view
    from greenspike.tracking import EnergyTracker

    argv = command or []
    if as_json and argv and argv[0].endswith(".json") and not Path(argv[0]).is_file():
        raise InvalidInputError(
            f"--json is a flag: it prints the report to stdout. To write it to {argv[0]} while "
            f"the command runs, use --output {argv[0]}"
        )
    if output is not None and not output.parent.is_dir():
        raise InvalidInputError(
            f"cannot write the report to {output}: no directory {output.parent}"
        )
    tracker = EnergyTracker(
        interval_s=interval_s,
        country=country,
        pue=number_or_name(pue),
        intensity_g_per_kwh=intensity_g_per_kwh,
        name=name,
        cpu_tdp_w=cpu_tdp_w,
        on_update=None if output is None else lambda report: report.write_json(output),
        ledger=ledger_choice(ledger, no_ledger),
        tags=key_values(tags or [], "--tag"),
    )
    exit_code, report = run_command(argv, tracker)
    messages = Console(stderr=True)
    if as_json:
        typer.echo(report.to_json())
    else:
        messages.print(energy_report_view(report))
    if output is not None:
        messages.print(f"Report written to {output}", style="dim")
    if tracker.run_id is not None:
        messages.print(f"Kept in the ledger as run {tracker.run_id}", style="dim")
    raise typer.Exit(exit_code)
