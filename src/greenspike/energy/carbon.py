"""Carbon intensity of electricity: how many grams of CO2-equivalent one kWh emits.

    co2e_g = energy_kwh * pue * intensity_g_per_kwh

The per-country figures are the latest year of Our World in Data's series (Ember 2025; Energy
Institute 2024; CC BY 4.0), bundled in `data/carbon_intensity.csv`. No country means no
intensity: greenspike never guesses where the electricity came from.
"""

from __future__ import annotations

import csv
import difflib
import math
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib.resources import files

from greenspike.errors import InvalidInputError

OWID_SOURCE = (
    "Our World in Data, carbon intensity of electricity (Ember 2025; "
    "Energy Institute Statistical Review of World Energy 2024), CC BY 4.0"
)


NO_INTENSITY_NOTE = (
    "no CO2e: carbon needs the country the electricity comes from (--country FRA, "
    "country='FRA'; WORLD for the world average) or its intensity (--intensity 56, "
    "intensity_g_per_kwh=56)"
)


@dataclass(frozen=True)
class CarbonIntensity:
    """A carbon intensity and where it came from.

    `region` and `year` are None for a figure the user gave explicitly.
    """

    intensity_g_per_kwh: float
    source: str
    region: str | None = None
    year: int | None = None

    def to_dict(self) -> dict:
        """The fields as a dict, as the JSON report and the ledger store them."""
        return asdict(self)


@dataclass(frozen=True)
class _Row:
    code: str
    alpha2: str
    entity: str
    intensity: CarbonIntensity


@lru_cache(maxsize=1)
def _table() -> tuple[_Row, ...]:
    text = files("greenspike.energy").joinpath("data/carbon_intensity.csv").read_text()
    rows = []
    for row in csv.DictReader(text.splitlines()):
        region = f"{row['entity']} ({row['code']})"
        intensity = CarbonIntensity(
            float(row["intensity_g_per_kwh"]), OWID_SOURCE, region, int(row["year"])
        )
        rows.append(_Row(row["code"], row["alpha2"], row["entity"], intensity))
    return tuple(rows)


@lru_cache(maxsize=1)
def _index() -> dict[str, _Row]:
    index: dict[str, _Row] = {}
    for row in _table():
        for key in (row.code, row.alpha2, row.entity):
            if key:
                index[key.casefold()] = row
    return index


def known_intensities() -> list[CarbonIntensity]:
    """Every bundled country and aggregate, sorted by region name."""
    return sorted((row.intensity for row in _table()), key=lambda c: c.region or "")


def carbon_intensity(
    country: str | None = None, intensity_g_per_kwh: float | None = None
) -> CarbonIntensity | None:
    """The intensity of a country (ISO 3166 alpha-3 or alpha-2 code, or name) or a given figure.

    Returns:
        The bundled figure for `country`, or `intensity_g_per_kwh` labelled "given by the user";
        None when neither is given.

    Raises:
        InvalidInputError: `country` is unknown (the message lists close matches), the
            intensity is negative or not finite, or both are given.
    """
    if country is not None and intensity_g_per_kwh is not None:
        raise InvalidInputError(
            f"give a country ({country!r}) or an explicit intensity "
            f"({intensity_g_per_kwh} g/kWh), not both"
        )
    if intensity_g_per_kwh is not None:
        if not math.isfinite(intensity_g_per_kwh) or intensity_g_per_kwh < 0:
            raise InvalidInputError(
                f"carbon intensity must be a finite number >= 0 g/kWh, got {intensity_g_per_kwh}"
            )
        return CarbonIntensity(float(intensity_g_per_kwh), "given by the user")
    if country is None:
        return None
    row = _index().get(country.strip().casefold())
    if row is None:
        raise InvalidInputError(_unknown_country_message(country))
    return row.intensity


def _unknown_country_message(country: str) -> str:
    index = _index()
    close = difflib.get_close_matches(country.strip().casefold(), index, n=4, cutoff=0.6)
    suggestions = sorted({f"{index[k].code} ({index[k].entity})" for k in close})
    hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
    return (
        f"unknown country {country!r}{hint} Use an ISO 3166 alpha-3 or alpha-2 code "
        "(e.g. FRA or FR) or a country name; `greenspike carbon` lists them all."
    )
