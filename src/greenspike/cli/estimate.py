"""`greenspike estimate`: energy and CO2e of a run you cannot measure, with the sums shown."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from greenspike.cli._options import number_or_name


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
    pue: str = typer.Option(
        None,
        "--pue",
        help="Data-centre PUE (>= 1) or a provider: gcp, aws, azure, ovhcloud, oracle "
        "(default 1.56, the industry average).",
    ),
    country: str = typer.Option(
        None, "--country", "-c", help="Where the electricity came from (FRA, FR, France, WORLD)."
    ),
    intensity: float = typer.Option(
        None, "--intensity", help="Carbon intensity of the electricity in gCO2e/kWh."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON to stdout instead of tables."),
    list_hardware: bool = typer.Option(
        False, "--list-hardware", help="List the known models with their TDP and source."
    ),
) -> None:
    """Estimate the energy (kWh) and CO2e of a training run from its hardware and duration.

    E = hours x devices x (power or utilisation x TDP) x PUE / 1000, plus CPU and memory.

    CO2e = E x carbon intensity. Every figure is shown with its source.
    """
    from greenspike.energy.footprint import estimate_footprint

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
        intensity_g_per_kwh=intensity,
    )
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        _print(result)


def _print(result) -> None:
    from greenspike._units import number

    console = Console()
    figures = Table(title=f"Footprint estimate ({result.provenance}: {result.method})")
    figures.add_column("figure")
    figures.add_column("value", justify="right")
    figures.add_column("source", overflow="fold")
    for assumption in result.assumptions:
        if assumption.unit == "fraction":
            value = f"{number(assumption.value * 100)} %"
        else:
            value = f"{number(assumption.value)} {assumption.unit}".strip()
        figures.add_row(assumption.name, value, assumption.source)
    console.print(figures)

    energy = f"{number(result.energy_kwh)} kWh"
    if result.energy_kwh >= 1000:
        energy += f" ({number(result.energy_mwh)} MWh)"
    console.print(f"[bold]Energy:[/] {energy}")
    if result.co2e_kg is None:
        console.print(f"[bold]CO2e:[/] not estimated. {result.co2e_note}.", style="yellow")
    else:
        co2e = f"{number(result.co2e_kg)} kg"
        if result.co2e_kg >= 1000:
            co2e += f" ({number(result.co2e_t)} t)"
        console.print(f"[bold]CO2e:[/] {co2e}")
    for line in result.formula:
        console.print(f"  {line}", style="cyan", highlight=False)

    if result.equivalents:
        table = Table(title="The same CO2e as")
        table.add_column("amount", justify="right")
        table.add_column("of")
        table.add_column("kg CO2e each", justify="right")
        table.add_column("source (year)")
        for e in result.equivalents:
            table.add_row(
                number(e.amount),
                e.name,
                number(e.co2e_kg_per_unit),
                f"{e.citation} ({e.year})",
            )
        console.print(table)
        console.print("Full sources and arithmetic of each factor: add --json.", style="dim")


def _list_hardware(as_json: bool) -> None:
    from greenspike.energy.tdp import KINDS, hardware_table

    rows = sorted(hardware_table(), key=lambda hw: (KINDS.index(hw.kind), hw.model.casefold()))
    if as_json:
        fields = ("model", "kind", "tdp_w", "cores", "source")
        typer.echo(json.dumps([{f: getattr(hw, f) for f in fields} for hw in rows], indent=2))
        return
    table = Table(title="Known hardware (TDP per chip; CPUs with their physical cores)")
    table.add_column("model")
    table.add_column("kind")
    table.add_column("TDP W", justify="right")
    table.add_column("cores", justify="right")
    table.add_column("source", overflow="fold")
    for hw in rows:
        table.add_row(hw.model, hw.kind, f"{hw.tdp_w:g}", str(hw.cores or ""), hw.source)
    Console().print(table)
