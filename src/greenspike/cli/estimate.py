"""`greenspike estimate`: energy and CO2e of a run you cannot measure, with the sums shown."""

from __future__ import annotations

import json

import typer
from rich.console import Console

from greenspike.cli._options import (
    COUNTRY_OPTION,
    INTENSITY_OPTION,
    JSON_OPTION,
    PUE_OPTION,
)
from greenspike.cli._values import number_or_name


def estimate(
    hardware: str = typer.Argument(
        None, help="GPU, TPU or CPU model, e.g. V100, A100-SXM4-80GB, 'TPU v3'."
    ),
    devices: int = typer.Option(1, "--devices", "-n", help="How many of them ran."),
    hours: float = typer.Option(None, "--hours", help="Wall-clock duration in hours."),
    days: float = typer.Option(None, "--days", help="Wall-clock duration in days."),
    power_w: float = typer.Option(
        None, "--power-w", help="Average power of one device in W, when known (papers give it)."
    ),
    utilisation: float = typer.Option(
        None, "--utilisation", help="Fraction of the TDP drawn on average, in (0, 1] (default 1)."
    ),
    cpu: str = typer.Option(None, "--cpu", help="Host CPU model, or 'any' (12 W per core)."),
    cpu_cores: int = typer.Option(
        None, "--cpu-cores", help="CPU cores the run used (default: all cores of one --cpu)."
    ),
    cpu_utilisation: float = typer.Option(
        None, "--cpu-utilisation", help="Fraction of the CPU cores' TDP drawn (default 1)."
    ),
    memory_gb: float = typer.Option(None, "--memory-gb", help="DRAM of the run, in GB."),
    pue: str = PUE_OPTION,
    country: str = COUNTRY_OPTION,
    intensity_g_per_kwh: float = INTENSITY_OPTION,
    as_json: bool = JSON_OPTION,
    list_hardware: bool = typer.Option(
        False, "--list-hardware", help="List the known models with their TDP and source."
    ),
) -> None:
    """Estimate the energy (kWh) and CO2e of a training run from its hardware and duration.

    E = hours x devices x (power or utilisation x TDP) x PUE / 1000, plus CPU and memory.

    CO2e = E x carbon intensity. Every figure is shown with its source.
    """
    from greenspike.energy.footprint import estimate_footprint
    from greenspike.report._tables import summary_view

    if list_hardware:
        _list_hardware(as_json)
        return
    result = estimate_footprint(
        hardware,
        devices=devices,
        hours=hours,
        days=days,
        power_w=power_w,
        utilisation=utilisation,
        cpu=cpu,
        cpu_cores=cpu_cores,
        cpu_utilisation=cpu_utilisation,
        memory_gb=memory_gb,
        pue=number_or_name(pue),
        country=country,
        intensity_g_per_kwh=intensity_g_per_kwh,
    )
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    console = Console()
    console.print(summary_view(result.summary()))
    if result.equivalents:
        console.print("Full sources and arithmetic of each figure: add --json.", style="dim")


def _list_hardware(as_json: bool) -> None:
    from greenspike.energy.tdp import KINDS, hardware_table
    from greenspike.report.hardware import hardware_view

    rows = sorted(hardware_table(), key=lambda hw: (KINDS.index(hw.kind), hw.model.casefold()))
    if as_json:
        fields = ("model", "kind", "tdp_w", "cores", "source")
        typer.echo(json.dumps([{f: getattr(hw, f) for f in fields} for hw in rows], indent=2))
        return
    Console().print(hardware_view(rows))
