"""Hardware energy profiles: what one operation and one byte moved cost on a target chip.

The bundled profiles (`data/profiles.csv`, sources in `data/README.md`) are 45 nm CMOS at fp32
and int8 (Horowitz, ISSCC 2014) and Intel Loihi (Davies et al., IEEE Micro 2018). Users add
their own from a dict or a CSV file with the same columns; every profile needs a source.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from greenspike.errors import InvalidInputError

# Figures in picojoules; None means the hardware has no such operation.
FIGURES = (
    "mac_pj",
    "ac_pj",
    "neuron_update_pj",
    "weight_read_pj_per_byte",
    "state_pj_per_byte",
    "activation_pj_per_byte",
    "spike_event_pj",
)
COLUMNS = ("name", "word_bits", "skips_zeros", *FIGURES, "description", "source")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass(frozen=True)
class HardwareProfile:
    """Energy per operation (pJ) and per byte moved (pJ/B) on one hardware target.

    `word_bits` is the width of weights, neuron state and non-binary activations (a spike is one
    bit). `skips_zeros`: zero inputs cost nothing (effective operations are priced), otherwise
    every dense operation is. `source` says where the figures come from.
    """

    name: str
    word_bits: int
    skips_zeros: bool
    mac_pj: float | None
    ac_pj: float | None
    neuron_update_pj: float | None
    weight_read_pj_per_byte: float | None
    state_pj_per_byte: float | None
    activation_pj_per_byte: float | None
    spike_event_pj: float | None
    description: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict with the columns of `data/profiles.csv`."""
        return asdict(self)


def hardware_profile(values: Mapping[str, Any]) -> HardwareProfile:
    """A validated profile from a mapping with the columns of `data/profiles.csv`.

    Figures are non-negative numbers, or None / "" where the hardware lacks the operation.

    Raises:
        InvalidInputError: `values` is not a mapping, lacks a column or has an unknown one, or
            a field is invalid (the name, an empty source, word_bits not a positive integer,
            skips_zeros not true/false, a negative or non-numeric figure); the message names
            the field and what is valid.
    """
    if not isinstance(values, Mapping):
        raise InvalidInputError(
            f"a hardware profile is a mapping of {', '.join(COLUMNS)}; got {values!r}"
        )
    unknown = sorted(set(values) - set(COLUMNS))
    missing = [column for column in COLUMNS if column not in values and column != "description"]
    label = values.get("name", "?")
    if unknown:
        raise InvalidInputError(
            f"hardware profile {label!r}: unknown field(s) {unknown}; valid: {', '.join(COLUMNS)}"
        )
    if missing:
        raise InvalidInputError(f"hardware profile {label!r}: missing field(s) {missing}")
    name = str(values["name"]).strip()
    if not _NAME.match(name):
        raise InvalidInputError(
            f"hardware profile name {values['name']!r} is not valid: use lower-case letters, "
            "digits, '.', '_' or '-'"
        )
    source = str(values["source"] or "").strip()
    if not source:
        raise InvalidInputError(
            f"hardware profile {name!r}: 'source' is empty; say where figures come from"
        )
    return HardwareProfile(
        name=name,
        word_bits=_checked_word_bits(name, values["word_bits"]),
        skips_zeros=_checked_flag(name, values["skips_zeros"]),
        **{figure: _checked_figure(name, figure, values[figure]) for figure in FIGURES},
        description=str(values.get("description") or "").strip(),
        source=source,
    )


def load_profiles(path: str | Path) -> dict[str, HardwareProfile]:
    """Profiles from a CSV file with the columns of `data/profiles.csv`, by name.

    Raises:
        OSError: the file cannot be read (FileNotFoundError when it does not exist).
        InvalidInputError: the file has no header row or no profile, a row has more cells than
            columns, a name appears twice, or a row is not a valid profile (`hardware_profile`).
    """
    path = Path(path)
    with path.open(newline="", encoding="utf-8") as file:
        return _from_rows(csv.DictReader(file), str(path))


def profiles() -> dict[str, HardwareProfile]:
    """The bundled profiles by name (`cmos45-fp32`, `cmos45-int8`, `loihi`, ...)."""
    text = files("greenspike.cost").joinpath("data/profiles.csv").read_text(encoding="utf-8")
    return _from_rows(csv.DictReader(text.splitlines()), "bundled profiles.csv")


def find_profile(hardware: str | HardwareProfile | Mapping[str, Any]) -> HardwareProfile:
    """A bundled profile by name, or a user profile given as a HardwareProfile or a mapping.

    Raises:
        InvalidInputError: `hardware` is not the name of a bundled profile, or is a mapping that
            is not a valid profile (`hardware_profile`).
    """
    if isinstance(hardware, HardwareProfile):
        return hardware
    if isinstance(hardware, Mapping):
        return hardware_profile(hardware)
    known = profiles()
    if hardware not in known:
        raise InvalidInputError(
            f"unknown hardware profile {hardware!r}; known: {', '.join(known)} "
            "(or pass a HardwareProfile, a dict, or load a CSV with gs.cost.load_profiles)"
        )
    return known[hardware]


def _from_rows(rows: csv.DictReader, origin: str) -> dict[str, HardwareProfile]:
    if rows.fieldnames is None:
        raise InvalidInputError(f"{origin}: no header row; expected columns {', '.join(COLUMNS)}")
    table: dict[str, HardwareProfile] = {}
    for row in rows:
        if None in row:
            raise InvalidInputError(
                f"{origin}, line {rows.line_num}: more cells than columns "
                "(quote cells that contain commas)"
            )
        profile = hardware_profile(row)
        if profile.name in table:
            raise InvalidInputError(f"{origin}: hardware profile {profile.name!r} appears twice")
        table[profile.name] = profile
    if not table:
        raise InvalidInputError(f"{origin}: no hardware profiles")
    return table


def _checked_word_bits(name: str, value: Any) -> int:
    try:
        bits = int(value)
    except (TypeError, ValueError):
        bits = 0
    if bits < 1 or str(value).strip() != str(bits):
        raise InvalidInputError(
            f"hardware profile {name!r}: word_bits must be a positive integer, got {value!r}"
        )
    return bits


def _checked_flag(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "false"):
        return text == "true"
    raise InvalidInputError(
        f"hardware profile {name!r}: skips_zeros must be true or false, got {value!r}"
    )


def _checked_figure(name: str, field: str, value: Any) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        figure = float(value)
    except (TypeError, ValueError):
        figure = math.nan
    if isinstance(value, bool) or not math.isfinite(figure) or figure < 0:
        raise InvalidInputError(
            f"hardware profile {name!r}: {field} must be a non-negative number of picojoules "
            f"(or empty if the hardware has no such operation), got {value!r}"
        )
    return figure
