"""What `greenspike track` does once its options are read, without typer.

Both ways of reading the options end here: typer's command (greenspike.cli.track, which also
serves --help and the errors of bad options) and the quick start of a plain command line
(greenspike.cli._quick_track), which reads it with the standard library so that the command
starts at once. Nothing here imports typer, and rich only once the command has started.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from greenspike.cli._values import key_values, ledger_choice, number_or_name
from greenspike.errors import InvalidInputError

if TYPE_CHECKING:
    from rich.console import Console

    from greenspike.energy.measurement import EnergyReport

# The exit status of a run whose command succeeded but whose report could not be written.
UNWRITTEN_REPORT_EXIT_CODE = 2


@dataclass(frozen=True)
class TrackOptions:
    """The options of `greenspike track`, named as the command's parameters (see its --help)."""

    command: tuple[str, ...] = ()
    country: str | None = None
    intensity_g_per_kwh: float | None = None
    pue: str | None = None
    interval_s: float = 1.0
    cpu_tdp_w: float | None = None
    output: Path | None = None
    as_json: bool = False
    name: str | None = None
    tags: tuple[str, ...] = ()
    ledger: str | None = None
    no_ledger: bool = False
    scope: str = "machine"
    job_id: str | None = None
    total_epochs: int | None = None
    epochs_file: Path | None = None
    energy_budget_kwh: float | None = None


def run_track(options: TrackOptions) -> int:
    """Run the command under a tracker, print its report; returns the exit status to exit with.

    The report goes to stderr (with --json, to stdout once the command has ended); a run whose
    final --output could not be written exits with the command's status, or 2 if that was 0.

    Raises:
        InvalidInputError: a bad option, or a command that cannot be run (nothing is run).
        OSError: the command was found but could not be started, or --output cannot be written.
    """
    from greenspike._files import check_writable
    from greenspike.energy._command import run_command
    from greenspike.energy.scope import checked_scope
    from greenspike.tracking import EnergyTracker

    argv = list(options.command)
    output = options.output
    if options.as_json and argv and argv[0].endswith(".json") and not Path(argv[0]).is_file():
        raise InvalidInputError(
            f"--json is a flag: it prints the report to stdout. To write it to {argv[0]} while "
            f"the command runs, use --output {argv[0]}"
        )
    if output is not None:
        check_writable(output, "--output")  # before the command runs, not after
    if options.total_epochs is None and (
        options.epochs_file is not None or options.energy_budget_kwh is not None
    ):
        given = "--epochs-file" if options.epochs_file is not None else "--energy-budget-kwh"
        raise InvalidInputError(f"{given} needs --epochs N, the number of epochs the command runs")
    tracker = EnergyTracker(
        interval_s=options.interval_s,
        country=options.country,
        pue=number_or_name(options.pue),
        intensity_g_per_kwh=options.intensity_g_per_kwh,
        name=options.name,
        cpu_tdp_w=options.cpu_tdp_w,
        on_update=None if output is None else lambda report: _keep_running(report, output),
        ledger=ledger_choice(options.ledger, options.no_ledger),
        tags=key_values(list(options.tags), "--tag"),
        scope=checked_scope(options.scope),
        count_self=False,  # the command is charged, not greenspike
        job_id=options.job_id,
        total_epochs=options.total_epochs,
        energy_budget_kwh=options.energy_budget_kwh,
    )
    if options.total_epochs is None:
        exit_code, report = run_command(argv, tracker)
    else:
        from greenspike.energy.epochs_file import ENV_VAR, EpochsFile
        from greenspike.report.terminal import forecast_text

        with tempfile.TemporaryDirectory(prefix="greenspike-") as folder:
            path = options.epochs_file
            if path is None:
                path = Path(folder) / "epochs"
            reader = EpochsFile(
                path,
                tracker,
                options.total_epochs,
                on_forecast=lambda forecast: _messages().print(forecast_text(forecast)),
                on_over_budget=lambda reason: _messages().print(
                    f"greenspike: {reason}", style="red", markup=False
                ),
            )
            environment = {**os.environ, ENV_VAR: str(path.resolve())}
            exit_code, report = run_command(argv, tracker, env=environment, epochs=reader)
    from greenspike.report.terminal import energy_report_view  # once the command has run

    messages = _messages()
    if options.as_json:
        sys.stdout.write(report.to_json() + "\n")
        sys.stdout.flush()
    else:
        messages.print(energy_report_view(report))
    if tracker.run_id is not None:
        messages.print(f"Kept in the ledger as run {tracker.run_id}", style="dim")
    if output is not None:
        try:  # the final report, written here so that a failure is seen, never claimed
            report.write_json(output)
        except OSError as error:
            messages.print(f"Error: the report was not written to {output}: {error}", markup=False)
            return exit_code or UNWRITTEN_REPORT_EXIT_CODE
        messages.print(f"Report written to {output}", style="dim", markup=False)
    return exit_code


def _messages() -> Console:
    """The console of greenspike's messages (stderr); rich is imported on first use."""
    from rich.console import Console

    return Console(stderr=True)


def _keep_running(report: EnergyReport, output: Path) -> None:
    """The running report, kept up to date in --output (the final one is written after)."""
    if report.status == "running":
        report.write_json(output)
