"""Thermal design power (TDP) of processors and accelerators, looked up by a forgiving name.

The table (`data/hardware.csv`) holds GPUs, TPUs and CPUs, each with its TDP in watts and the
source of that figure: most rows come from the Green Algorithms project (CC BY 4.0); the
data-centre accelerators it lacks come from the vendors' datasheets. For CPUs, `cores` is the
number of physical cores, so that a run using k cores can be charged k * tdp_w / cores.

Names are matched case-insensitively, ignoring vendor words and punctuation, so "v100",
"Tesla V100-SXM2-16GB", "A100-SXM4-80GB" and "Intel(R) Xeon(R) Gold 6148 CPU @ 2.40GHz" all
resolve; an unknown or ambiguous name raises InvalidInputError listing the candidates.
"""

from __future__ import annotations

import csv
import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Literal

from greenspike.errors import InvalidInputError

# Power drawn by DRAM per GB installed (or allocated), the Green Algorithms reference value.
MEMORY_POWER_W_PER_GB = 0.3725
MEMORY_POWER_SOURCE = (
    "Green Algorithms reference value 0.3725 W/GB (Lannelongue et al. 2021, CC BY 4.0), "
    "from Karyakin & Salem, DaMoN 2017, doi:10.1145/3076113.3076117"
)

Kind = Literal["gpu", "tpu", "cpu"]
KINDS: tuple[Kind, ...] = ("gpu", "tpu", "cpu")

# Words that name a vendor or product family rather than a model.
_NOISE = re.compile(r"\((r|tm)\)|@.*$|\b(nvidia|tesla|geforce|intel|amd|google|cpu|processor)\b")


@dataclass(frozen=True)
class Hardware:
    """One processor model: its TDP and where that figure comes from."""

    model: str
    kind: Kind
    tdp_w: float
    source: str
    cores: int | None = None
    aliases: tuple[str, ...] = ()

    @property
    def tdp_per_core_w(self) -> float:
        """TDP divided by the physical cores (CPUs); the whole TDP for an accelerator."""
        return self.tdp_w / self.cores if self.cores else self.tdp_w


def _words(name: str) -> str:
    """Lower-case model words separated by single spaces: "Tesla V100-SXM2" -> "v100 sxm2"."""
    return " ".join(re.findall(r"[a-z0-9]+", _NOISE.sub(" ", name.casefold())))


@lru_cache(maxsize=1)
def hardware_table() -> tuple[Hardware, ...]:
    """Every bundled model, in the order of the table (by kind, then name)."""
    text = files("greenspike.energy").joinpath("data/hardware.csv").read_text()
    return tuple(
        Hardware(
            model=row["model"],
            kind=row["kind"],  # type: ignore[arg-type]
            tdp_w=float(row["tdp_w"]),
            source=row["source"],
            cores=int(row["cores"]) if row["cores"] else None,
            aliases=tuple(a for a in row["aliases"].split(";") if a),
        )
        for row in csv.DictReader(text.splitlines())
    )


def _names(kind: Kind | None) -> dict[str, Hardware]:
    """Each model's name and aliases, as words, mapped to the model."""
    names: dict[str, Hardware] = {}
    for hardware in hardware_table():
        if kind is None or hardware.kind == kind:
            for name in (hardware.model, *hardware.aliases):
                names[_words(name)] = hardware
    return names


def find_hardware(name: str, kind: Kind | None = None) -> Hardware:
    """The model that `name` denotes, optionally only among one kind ("gpu", "tpu", "cpu").

    Tried in order: the same name or alias, ignoring case, spaces and punctuation; the longest
    known name found word for word inside `name` (so "A100-SXM4-80GB" or a CPU's full
    marketing name resolve); the one known name that holds `name` as whole words (so "3090"
    resolves).

    Raises:
        InvalidInputError: `kind` is unknown, `name` names no model (the message lists close
            matches), or several models fit it.
    """
    if kind is not None and kind not in KINDS:
        raise InvalidInputError(f"unknown hardware kind {kind!r}; valid kinds: {', '.join(KINDS)}")
    query = _words(name)
    if not query:
        raise InvalidInputError(
            f"hardware name {name!r} names no model; try e.g. 'V100' or 'A100 SXM4'"
        )
    names = _names(kind)
    same = [hw for known, hw in names.items() if known.replace(" ", "") == query.replace(" ", "")]
    if same:
        return same[0]
    inside = [known for known in names if f" {known} " in f" {query} "]
    if inside:
        return names[max(inside, key=len)]
    holding = {hw for known, hw in names.items() if f" {query} " in f" {known} "}
    if len(holding) == 1:
        return holding.pop()
    if holding:
        options = [f"{h.model} ({h.tdp_w:g} W)" for h in sorted(holding, key=_by_model)]
        more = f" and {len(options) - 8} more" if len(options) > 8 else ""
        raise InvalidInputError(
            f"hardware name {name!r} is ambiguous: it may be {', '.join(options[:8])}{more}"
        )
    close = difflib.get_close_matches(query, names, n=5, cutoff=0.5)
    hint = f"; close matches: {', '.join(sorted({names[k].model for k in close}))}" if close else ""
    raise InvalidInputError(
        f"unknown hardware {name!r}{hint}. `greenspike estimate --list-hardware` lists the "
        "known models; for another one give its power directly (e.g. --power-w)."
    )


def _by_model(hardware: Hardware) -> str:
    return hardware.model
