"""`greenspike carbon`: the carbon intensity of electricity of a place, with its source."""

from __future__ import annotations

import json

import typer
from rich.console import Console

from greenspike.cli._options import JSON_OPTION


def carbon(
    place: str = typer.Argument(
        None,
        help="A country (FRA, FR, France), a region (US-CA, California, Ontario) or a cloud "
        "region (us-east-1, europe-west1, 'West Europe'). Omit to list them all.",
    ),
    kind: str = typer.Option(
        None, "--kind", help="List only one kind of place: country, region or cloud."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show the carbon intensity of electricity (gCO2e/kWh) used to turn energy into CO2e."""
    from greenspike.energy.carbon import find_place, known_places
    from greenspike.report.places import place_view, places_table

    places = [find_place(place)] if place else known_places(kind)  # type: ignore[arg-type]
    if as_json:
        typer.echo(json.dumps([p.to_dict() for p in places], indent=2))
    elif place:
        Console().print(place_view(places[0]))
    else:
        Console().print(places_table(places))
