"""Power usage effectiveness (PUE): how much a data centre draws per watt its computers draw.

    facility_energy = pue * it_energy,   pue >= 1

A PUE is given as a number, as a provider whose published average is bundled ("gcp", "aws",
"azure", "ovhcloud", "oracle"; "unknown" is the industry-wide average of the Uptime Institute's
2024 survey, 1.56), or not at all: then it is 1, no data-centre overhead, and the source says
so. greenspike does not guess where a computer ran, as it does not guess its country: a
measured figure is never inflated by an assumed overhead (`greenspike track` on a laptop has no
data centre), and every command and function has this one default. The table (`data/pue.csv`)
is Green Algorithms' `defaults_PUE.csv` (2025-02, CC BY 4.0).
"""

from __future__ import annotations

import csv
import math
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib.resources import files

from greenspike.errors import InvalidInputError

INDUSTRY_AVERAGE = "unknown"  # Green Algorithms' name for the industry-wide average


@dataclass(frozen=True)
class Pue:
    """A PUE and where it came from; `provider` is None for a figure the user gave."""

    value: float
    source: str
    provider: str | None = None

    def to_dict(self) -> dict:
        """The fields as a dict, as the JSON report and the ledger store them."""
        return asdict(self)


@lru_cache(maxsize=1)
def known_pues() -> dict[str, Pue]:
    """Every bundled PUE by provider name (lower case); "unknown" is the industry average."""
    text = files("greenspike.energy").joinpath("data/pue.csv").read_text()
    return {
        row["provider"]: Pue(float(row["pue"]), row["source"], row["provider"])
        for row in csv.DictReader(text.splitlines())
    }


def power_usage_effectiveness(pue: float | str | None = None) -> Pue:
    """The PUE to apply: a given number (>= 1), a provider's published average, or 1.

    Args:
        pue: a number >= 1, a provider name, or None: 1 (no data-centre overhead counted),
            labelled as not given.

    Raises:
        InvalidInputError: `pue` is a number below 1 or not finite (or a bool), or an unknown
            provider name (the message lists the known ones).
    """
    if pue is None:
        average = known_pues()[INDUSTRY_AVERAGE]
        return Pue(
            1.0,
            "not given: 1, no data-centre overhead counted (give the PUE where the computer "
            f"ran; the industry average is {average.value:g}, {average.source})",
        )
    if isinstance(pue, str):
        found = known_pues().get(pue.strip().casefold())
        if found is None:
            raise InvalidInputError(
                f"unknown PUE provider {pue!r}; give a number >= 1 or one of: "
                f"{', '.join(known_pues())}"
            )
        return found
    if isinstance(pue, bool) or not math.isfinite(pue) or pue < 1:
        raise InvalidInputError(
            f"PUE must be a finite number >= 1 (facility energy / IT energy), got {pue}"
        )
    return Pue(float(pue), "given by the user")
