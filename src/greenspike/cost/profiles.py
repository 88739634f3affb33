"""Hardware energy profiles: what one operation and one byte moved cost on a target chip.

Each profile states the precision the chip runs (`weight_precision`, `activation_precision`,
`state_precision`: `greenspike.cost.precision` formats), how it fetches weights (`weight_fetch`)
and its energy figures. The bundled profiles (`data/profiles.csv`, sources and derivations in
`data/README.md`): 45 nm CMOS at fp32 and int8 (Horowitz, ISSCC 2014), 7 nm CMOS at int8 and a
7 nm GPU-class part at fp16 (Jouppi et al., ISCA 2021), Intel Loihi (Davies et al., IEEE Micro
2018) and IBM TrueNorth (Merolla et al., Science 2014). Users add their own from a dict or a
CSV file with the same columns; every profile needs a source and its precision.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

from greenspike.cost.precision import Precision
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
PRECISIONS = ("weight_precision", "activation_precision", "state_precision")
COLUMNS = (
    "name",
    *PRECISIONS,
    "weight_fetch",
    "skips_zeros",
    *FIGURES,
    "description",
    "source",
)
WeightFetch = Literal["dense", "event", "resident"]
WEIGHT_FETCHES: tuple[WeightFetch, ...] = ("dense", "event", "resident")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass(frozen=True)
class HardwareProfile:
    """Energy per operation (pJ) and per byte moved (pJ/B) on one hardware target.

    `precision`: the formats the chip runs weights, non-binary activations and neuron state
    at (a spike is one bit); a network is priced on it at that precision. `weight_fetch`: how
    weights reach the arithmetic: "dense" (every weight read at every step a layer runs),
    "event" (an event-driven core reads the fan-out weights of each incoming non-zero input
    only) or "resident" (weights held in the compute array: no weight traffic). `skips_zeros`:
    zero inputs cost nothing (effective operations are priced), otherwise every dense
    operation is. `source` says where the figures come from.
    """

    name: str
    precision: Precision
    weight_fetch: WeightFetch
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
        fields = asdict(self)
        del fields["precision"]
        formats = self.precision.to_dict()
        precisions = {
            "weight_precision": formats["weights"],
            "activation_precision": formats["activations"],
            "state_precision": formats["state"],
        }
        return {column: {**fields, **precisions}[column] for column in COLUMNS}


def hardware_profile(values: Mapping[str, Any]) -> HardwareProfile:
    """A validated profile from a mapping with the columns of `data/profiles.csv`.

    Figures are non-negative numbers, or None / "" where the hardware lacks the operation.

    Raises:
        InvalidInputError: `values` is not a mapping, lacks a column (a precision included) or
            has an unknown one, or a field is invalid (the name, an empty source, a precision
            that is not a format of `greenspike.cost.precision`, weight_fetch not dense, event
            or resident, skips_zeros not true/false, a negative or non-numeric figure), or the
            fields contradict each other (event fetch without skips_zeros, a resident chip with
            a weight-read figure, a spikes-only chip with a MAC figure); the message names the
            field and what is valid.
    """
    if not isinstance(values, Mapping):
        raise InvalidInputError(
            f"a hardware profile is a mapping of {', '.join(COLUMNS)}; got {values!r}"
        )
    unknown = sorted(set(values) - set(COLUMNS))
    missing = [column for column in COLUMNS if column not in values and column != "description"]
    label = values.get("name", "?")
    if unknown:
        hint = (
            " (word_bits became weight_precision, activation_precision and state_precision, "
            "e.g. int8, int8, int16)"
            if "word_bits" in unknown
            else ""
        )
        raise InvalidInputError(
            f"hardware profile {label!r}: unknown field(s) {unknown}; valid: "
            f"{', '.join(COLUMNS)}{hint}"
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
    profile = HardwareProfile(
        name=name,
        precision=_checked_precision(name, values),
        weight_fetch=_checked_weight_fetch(name, values["weight_fetch"]),
        skips_zeros=_checked_flag(name, values["skips_zeros"]),
        **{figure: _checked_figure(name, figure, values[figure]) for figure in FIGURES},
        description=str(values.get("description") or "").strip(),
        source=source,
    )
    _check_consistent(profile)
    return profile


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


def profile_table(path: str | Path | None = None) -> dict[str, HardwareProfile]:
    """The bundled profiles by name, with those of the CSV file at `path` added.

    Raises:
        OSError: the file cannot be read.
        InvalidInputError: the file is not a valid profiles file (`load_profiles`), or names a
            profile that is also bundled.
    """
    table = profiles()
    if path is None:
        return table
    for name, profile in load_profiles(path).items():
        if name in table:
            raise InvalidInputError(
                f"{path}: hardware profile {name!r} is also a bundled profile; give yours "
                "another name"
            )
        table[name] = profile
    return table


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


def _checked_precision(name: str, values: Mapping[str, Any]) -> Precision:
    formats = []
    for column in PRECISIONS:
        value = values[column]
        if value is None or not str(value).strip():
            raise InvalidInputError(
                f"hardware profile {name!r}: {column} is empty; say what precision the chip "
                "runs (e.g. int8, fp16, or spike for activations of a spikes-only chip)"
            )
        formats.append(str(value))
    try:
        return Precision.parse(*formats)
    except InvalidInputError as error:
        raise InvalidInputError(f"hardware profile {name!r}: {error}") from None


def _checked_weight_fetch(name: str, value: Any) -> WeightFetch:
    text = str(value).strip().lower()
    for fetch in WEIGHT_FETCHES:
        if text == fetch:
            return fetch
    raise InvalidInputError(
        f"hardware profile {name!r}: weight_fetch must be one of {', '.join(WEIGHT_FETCHES)}, "
        f"got {value!r}"
    )


def _check_consistent(profile: HardwareProfile) -> None:
    name = profile.name
    if profile.weight_fetch == "event" and not profile.skips_zeros:
        raise InvalidInputError(
            f"hardware profile {name!r}: weight_fetch event means only non-zero inputs fetch "
            "weights, so skips_zeros must be true"
        )
    if profile.weight_fetch == "resident" and profile.weight_read_pj_per_byte:
        raise InvalidInputError(
            f"hardware profile {name!r}: weight_fetch resident keeps weights in the compute "
            "array, so weight_read_pj_per_byte must be empty or 0"
        )
    if profile.precision.activations.kind == "spike" and profile.mac_pj is not None:
        raise InvalidInputError(
            f"hardware profile {name!r}: activation_precision spike means the chip takes "
            "spikes only, so mac_pj must be empty"
        )


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
