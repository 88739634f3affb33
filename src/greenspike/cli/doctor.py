"""`greenspike doctor`: which energy meters this machine has, and how to get real measurements."""

from __future__ import annotations

import json

import typer
from rich.console import Console

from greenspike.cli._options import JSON_OPTION


def doctor(
    cpu_tdp_w: float = typer.Option(
        None, "--cpu-tdp-w", help="Watts of the CPUs a run may use at full load (CPU estimate)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show each energy meter: readable or not and why, what would be estimated, what to do."""
    from greenspike.energy.doctor import diagnose
    from greenspike.report.doctor import diagnosis_view

    diagnosis = diagnose(cpu_tdp_w)
    if as_json:
        typer.echo(json.dumps(diagnosis.to_dict(), indent=2))
        return
    Console().print(diagnosis_view(diagnosis))
