"""Everyday equivalents of a CO2e figure: km by car, passenger flights, smartphone charges.

    amount = co2e_kg / co2e_kg_per_unit

Each factor carries its source and year (`data/equivalents.csv`). They are illustrations, not
measurements: they mix CO2 and CO2e and belong to the grid and fleet they were made for.
"""

from __future__ import annotations

import csv
import math
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from importlib.resources import files

from greenspike.errors import InvalidInputError


@dataclass(frozen=True)
class Equivalent:
    """`amount` units of something everyday that emit the same CO2e, with the factor used.

    `citation` is the short reference for tables; `source` the full one, with the arithmetic.
    """

    name: str
    amount: float
    unit: str
    co2e_kg_per_unit: float
    year: int
    citation: str
    source: str

    def to_dict(self) -> dict:
        """The fields as a dict of JSON-serialisable values."""
        return asdict(self)


@lru_cache(maxsize=1)
def equivalence_factors() -> tuple[Equivalent, ...]:
    """The bundled factors, each as the equivalent of one unit (`amount` = 1)."""
    text = files("greenspike.energy").joinpath("data/equivalents.csv").read_text()
    return tuple(
        Equivalent(
            name=row["name"],
            amount=1.0,
            unit=row["unit"],
            co2e_kg_per_unit=float(row["co2e_kg_per_unit"]),
            year=int(row["year"]),
            citation=row["citation"],
            source=row["source"],
        )
        for row in csv.DictReader(text.splitlines())
    )


def equivalents(co2e_kg: float) -> tuple[Equivalent, ...]:
    """What `co2e_kg` kilograms of CO2e amount to in each bundled everyday unit.

    Raises:
        InvalidInputError: `co2e_kg` is negative or not finite.
    """
    if not math.isfinite(co2e_kg) or co2e_kg < 0:
        raise InvalidInputError(f"CO2e must be a finite number >= 0 kg, got {co2e_kg}")
    return tuple(replace(f, amount=co2e_kg / f.co2e_kg_per_unit) for f in equivalence_factors())
