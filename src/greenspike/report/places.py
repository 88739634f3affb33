"""Places and their carbon intensity (`greenspike carbon`), readable at 80 columns."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.text import Text

from greenspike.energy.carbon import OWID_SOURCE, Place
from greenspike.report._tables import add_column, cell, new_table


def short_source(place: Place) -> str:
    """Who published the figure, in a few words (the full source is in `--json`)."""
    source = place.intensity.source
    if source.startswith(OWID_SOURCE):
        return "Our World in Data"
    if source.startswith("Green Algorithms"):
        return "Green Algorithms"
    return source


def places_table(places: Sequence[Place]) -> RenderableType:
    """A table per kind of place (countries, regions, cloud regions), one row per place.

    Each row: code, name, year, gCO2e/kWh and who published the figure (in full: one place,
    or `--json`).
    """
    tables: list[RenderableType] = []
    for kind, title in (
        ("country", "Countries"),
        ("region", "Regions"),
        ("cloud", "Cloud regions"),
    ):
        of_kind = [p for p in places if p.kind == kind]
        if not of_kind:
            continue
        table = new_table(f"{title}: carbon intensity of electricity")
        add_column(table, "code")
        add_column(table, "where" if kind == "cloud" else "name", long=True)
        add_column(table, "year", "right")
        add_column(table, "gCO2e/kWh", "right")
        add_column(table, "source", long=True)
        for place in of_kind:
            table.add_row(
                cell(place.code),
                cell(place.name, long=True),
                str(place.intensity.year),
                f"{place.intensity.intensity_g_per_kwh:.0f}",
                cell(short_source(place), long=True),
            )
        tables.append(table)
    tables.append(Text("greenspike carbon PLACE: one place, with its full source; --json: all."))
    return Group(*tables)


def place_view(place: Place) -> RenderableType:
    """One place: its intensity, where and when it applies, and the full source."""
    intensity = place.intensity
    return Group(
        Text(f"{place.code}: {place.name} ({place.kind})", style="bold"),
        Text(f"{intensity.intensity_g_per_kwh:g} gCO2e/kWh in {intensity.year}"),
        Text(f"for: {intensity.region}"),
        Text(f"source: {intensity.source}", style="dim"),
    )
