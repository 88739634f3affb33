"""Carbon intensity of electricity: how many grams of CO2-equivalent one kWh emits.

    co2e_g = energy_kwh * pue * intensity_g_per_kwh

Where the electricity comes from is a place (`find_place`), one of three kinds:

- a country, or the WORLD and EU27 aggregates: the latest year of Our World in Data's series
  (Ember 2025; Energy Institute 2024; CC BY 4.0), `data/carbon_intensity.csv`; by ISO 3166
  alpha-3 or alpha-2 code, or by name (ISO's official and common names, and a few short ones:
  UK, UAE...);
- a region with a grid of its own (US states, Canadian provinces and territories, Australian
  states and grids): Green Algorithms' figures (2019-2020 data, CC BY 4.0),
  `data/regions.csv`; by ISO 3166-2 code (US-CA) or name (California);
- a cloud region (aws us-east-1, gcp europe-west1, azure West Europe), `data/cloud_regions.csv`:
  the figure of the place its provider says it is in, a region where one is bundled, else the
  country; by its name, alone or after the provider ("aws:us-east-1").

Names are matched forgivingly: any case, accents and punctuation ignored. A name that is both a
country and a region (Georgia) is the country; the region has its code (US-GA). An unknown name
is an error that suggests close ones. No place means no intensity: greenspike never guesses
where the electricity came from.
"""

from __future__ import annotations

import csv
import difflib
import math
import re
import unicodedata
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Literal

from greenspike._checks import check_text
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

PlaceKind = Literal["country", "region", "cloud"]
PLACE_KINDS: tuple[PlaceKind, ...] = ("country", "region", "cloud")


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
class Place:
    """Somewhere electricity comes from, and its carbon intensity.

    Attributes:
        code: "FRA", "US-CA" or "aws:us-east-1".
        name: "France", "California, United States"; for a cloud region where its provider
            says it is, "US East (N. Virginia)".
        kind: "country", "region" or "cloud".
        intensity: its figure, with source and year.
        names: every name and code it is found by.
    """

    code: str
    name: str
    kind: PlaceKind
    intensity: CarbonIntensity
    names: tuple[str, ...]

    def to_dict(self) -> dict:
        """JSON-ready: code, name, kind and the intensity's fields."""
        return {"code": self.code, "name": self.name, "kind": self.kind, **self.intensity.to_dict()}


def _key(text: str) -> str:
    """How names are compared: no accents, any case, punctuation and spaces as one space."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return re.sub(r"[^0-9a-z]+", " ", plain.casefold()).strip()


def _rows(name: str) -> list[dict[str, str]]:
    text = files("greenspike.energy").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def _aliases(row: dict[str, str]) -> list[str]:
    return [a for a in row.get("aliases", "").split(";") if a]


@lru_cache(maxsize=1)
def _places() -> tuple[Place, ...]:
    places: list[Place] = []
    countries: dict[str, Place] = {}
    for row in _rows("carbon_intensity.csv"):
        intensity = CarbonIntensity(
            float(row["intensity_g_per_kwh"]),
            OWID_SOURCE,
            f"{row['entity']} ({row['code']})",
            int(row["year"]),
        )
        names = (row["code"], row["alpha2"], row["entity"], *_aliases(row))
        place = Place(
            row["code"], row["entity"], "country", intensity, tuple(n for n in names if n)
        )
        places.append(place)
        countries[row["code"]] = countries[row["alpha2"] or row["code"]] = place
    regions: dict[str, Place] = {}
    for row in _rows("regions.csv"):
        country = countries[row["country"]].name
        intensity = CarbonIntensity(
            float(row["intensity_g_per_kwh"]),
            row["source"],
            f"{row['name']}, {country} ({row['code']})",
            int(row["year"]),
        )
        names = (row["code"], row["name"], *_aliases(row))
        place = Place(row["code"], f"{row['name']}, {country}", "region", intensity, names)
        places.append(place)
        regions.update({code: place for code in (row["code"], *_aliases(row))})
    for row in _rows("cloud_regions.csv"):
        located = regions.get(row["location"]) or countries[row["location"]]
        label = f"{row['provider']} {row['region']}"
        intensity = CarbonIntensity(
            located.intensity.intensity_g_per_kwh,
            f"{located.intensity.source}; location of {label}: {row['source']}",
            f"{label}, in {located.intensity.region}",
            located.intensity.year,
        )
        code = f"{row['provider']}:{row['region']}"
        names = (code, row["region"], *_aliases(row))
        places.append(Place(code, row["where"] or located.name, "cloud", intensity, names))
    return tuple(places)


@lru_cache(maxsize=1)
def _index() -> dict[str, Place]:
    """Every name's key -> its place; the first kind wins (countries, regions, clouds)."""
    index: dict[str, Place] = {}
    for place in _places():
        for name in place.names:
            index.setdefault(_key(name), place)
    return index


def known_places(kind: PlaceKind | None = None) -> list[Place]:
    """Every bundled place (of one kind), countries sorted by name, the others by code.

    Raises:
        InvalidInputError: an unknown `kind`.
    """
    if kind is not None and kind not in PLACE_KINDS:
        raise InvalidInputError(f"unknown kind of place {kind!r}; valid: {', '.join(PLACE_KINDS)}")
    found = [p for p in _places() if kind in (None, p.kind)]
    return sorted(
        found, key=lambda p: (PLACE_KINDS.index(p.kind), p.name if p.kind == "country" else p.code)
    )


def known_intensities() -> list[CarbonIntensity]:
    """Every bundled country and aggregate, sorted by region name."""
    return [p.intensity for p in known_places("country")]


def find_place(text: str) -> Place:
    """The place `text` names: a code or a name of a country, region or cloud region.

    Raises:
        InvalidInputError: no bundled place has that name; the message suggests close ones and
            says how to list them all.
    """
    place = _index().get(_key(text))
    if place is None:
        raise InvalidInputError(_unknown_place_message(text))
    return place


def carbon_intensity(
    country: str | None = None, intensity_g_per_kwh: float | None = None
) -> CarbonIntensity | None:
    """The intensity of a place (`find_place`: a country, region or cloud region) or a figure.

    Args:
        country: where the electricity comes from: "FRA", "FR", "France", "US-CA",
            "California", "us-east-1", "aws:us-east-1", "WORLD"...
        intensity_g_per_kwh: the intensity itself, instead.

    Returns:
        The bundled figure for `country`, or `intensity_g_per_kwh` labelled "given by the user";
        None when neither is given.

    Raises:
        InvalidInputError: `country` is unknown (the message suggests close matches), the
            intensity is negative or not finite, or both are given.
    """
    if country is not None and intensity_g_per_kwh is not None:
        raise InvalidInputError(
            f"give a country ({country!r}) or an explicit intensity "
            f"({intensity_g_per_kwh} g/kWh), not both"
        )
    if intensity_g_per_kwh is not None:
        if isinstance(intensity_g_per_kwh, bool) or not isinstance(
            intensity_g_per_kwh, int | float
        ):
            raise InvalidInputError(
                f"carbon intensity must be a number of g/kWh, got {intensity_g_per_kwh!r}"
            )
        if not math.isfinite(intensity_g_per_kwh) or intensity_g_per_kwh < 0:
            raise InvalidInputError(
                f"carbon intensity must be a finite number >= 0 g/kWh, got {intensity_g_per_kwh}"
            )
        return CarbonIntensity(float(intensity_g_per_kwh), "given by the user")
    if country is None:
        return None
    check_text(country, "`country` (a place such as 'FRA' or 'us-east-1')")
    return find_place(country).intensity


def suggestions(text: str, n: int = 4) -> list[Place]:
    """Places whose names are close to `text`, the likeliest first.

    Names that start with it, then names that contain it as a word (countries and regions
    before cloud regions), then names that look like a typo of it.
    """
    key = _key(text)
    index = _index()
    ranked: list[tuple[tuple[int, int, str], Place]] = []
    if len(key) >= 3:
        word = re.compile(rf"\b{re.escape(key)}")
        for name, place in index.items():
            if word.search(name):
                starts = 0 if _key(place.name).startswith(key) else 1
                ranked.append(((starts, PLACE_KINDS.index(place.kind), place.name), place))
    found = {place.code: place for _, place in sorted(ranked, key=lambda pair: pair[0])}
    long_names = [name for name in index if len(name) > 3]  # any 2-3 letters are a typo of a code
    for name in difflib.get_close_matches(key, long_names, n=n, cutoff=0.75):
        found.setdefault(index[name].code, index[name])
    return list(found.values())[:n]


def _unknown_place_message(text: str) -> str:
    close = [p.code if p.kind == "cloud" else f"{p.code} ({p.name})" for p in suggestions(text)]
    hint = f"; did you mean {', '.join(close)}?" if close else "."
    return (
        f"unknown country or region {text!r}{hint} Give a country (ISO code FRA or FR, or a "
        "name), a region (US-CA, California) or a cloud region (us-east-1); "
        "greenspike carbon lists them all."
    )
