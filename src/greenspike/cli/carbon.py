"""`greenspike carbon`: the carbon intensity of electricity per country, with its source."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table


def carbon(
    country: str = typer.Argument(
        None, help="ISO 3166 alpha-3 or alpha-2 code, or a name. Omit to list every country."
    ),
) -> None:
    """Show the carbon intensity of electricity (gCO2e/kWh) used to turn energy into CO2e."""
    from greenspike.energy.carbon import OWID_SOURCE, carbon_intensity, known_intensities

    found = carbon_intensity(country) if country else None
    rows = [found] if found is not None else known_intensities()
    table = Table(title="Carbon intensity of electricity")
    table.add_column("region")
    table.add_column("year", justify="right")
    table.add_column("gCO2e/kWh", justify="right")
    for row in rows:
        table.add_row(row.region, str(row.year), f"{row.intensity_g_per_kwh:.0f}")
    console = Console()
    console.print(table)
    console.print(f"Source: {OWID_SOURCE}", style="dim")
