"""Numbers with their units, for people: one formatter per kind of quantity.

si(1.21e-7, "J") -> "121 nJ"      si(40784, "B", largest="M") -> "40.8 kB"
distinct_si([1.121e-6, 1.1232e-6], "J") -> ["1.121 µJ", "1.123 µJ"]
number(1234.5) -> "1,234"         number(0.012345) -> "0.01235"
joules(1234.56) -> "1,235"        grams(None) -> "-"
energy(1864.9) -> "1.86 kJ"       energy(0) -> "0 J"
"""

from __future__ import annotations

import math
from collections.abc import Sequence

MAX_DIGITS = 17  # significant digits that tell any two floats apart
# SI prefixes, largest first.
_PREFIXES = (
    ("T", 1e12),
    ("G", 1e9),
    ("M", 1e6),
    ("k", 1e3),
    ("", 1.0),
    ("m", 1e-3),
    ("µ", 1e-6),
    ("n", 1e-9),
    ("p", 1e-12),
)


def si(value: float, unit: str, *, largest: str = "", digits: int = 3) -> str:
    """`value` with the SI prefix that keeps 1 <= mantissa < 1000, `digits` significant digits.

    Args:
        value: in the base unit (J, B, W...).
        unit: the base unit's symbol.
        largest: the largest prefix to use ("" for none above the base unit, "M" for mega).
        digits: significant digits.
    """
    prefixes = [(p, size) for p, size in _PREFIXES if size <= dict(_PREFIXES)[largest]]
    for prefix, size in prefixes:
        if abs(value) >= size:
            return f"{value / size:.{digits}g} {prefix}{unit}"
    prefix, size = prefixes[-1]
    return f"{value / size:.{digits}g} {prefix}{unit}"


def distinct_si(values: Sequence[float], unit: str, *, digits: int = 3) -> list[str]:
    """`si` of each value, with the digits it takes for different values to print differently.

    At least `digits` significant digits; equal values print the same.
    """
    for shown_digits in range(digits, MAX_DIGITS + 1):
        shown = [si(value, unit, digits=shown_digits) for value in values]
        if len(set(shown)) == len(set(values)):
            return shown
    return shown


def distinct_ratio(values: Sequence[float], *, digits: int = 3) -> list[str]:
    """Ratios as "1.92x", with the digits it takes for different ratios to print differently."""
    for shown_digits in range(digits, MAX_DIGITS + 1):
        shown = [f"{value:.{shown_digits}g}x" for value in values]
        if len(set(shown)) == len(set(values)):
            return shown
    return shown


def prefix_of(value: float, unit: str, *, largest: str = "") -> tuple[str, float]:
    """The prefixed unit `si` would use for `value`, and its size: (e.g. "nJ", 1e-9)."""
    shown = si(value, unit, largest=largest)
    symbol = shown.split()[-1]
    return symbol, dict(_PREFIXES)[symbol[: -len(unit)]]


def number(value: float) -> str:
    """Thousands separators; whole numbers from 1000 up, else 4 significant digits, no zero tail."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    decimals = max(0, 3 - math.floor(math.log10(abs(value))))
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def joules(energy_j: float) -> str:
    """Joules in a column headed "J": one decimal below 10 kJ, whole numbers from there."""
    return f"{energy_j:.1f}" if abs(energy_j) < 1e4 else f"{energy_j:,.0f}"


def energy(energy_j: float) -> str:
    """Joules with their SI prefix, 3 significant digits: "1.86 kJ", "12.5 mJ", "0 J"."""
    return "0 J" if energy_j == 0 else si(energy_j, "J", largest="T")


def grams(co2e_g: float | None) -> str:
    """Grams of CO2e, 3 significant digits; "-" for none."""
    return "-" if co2e_g is None else f"{co2e_g:.3g} g"


def duration(seconds: float) -> str:
    """A duration in the unit that reads best: "0.4 s", "59.9 s", "12.5 min", "3.2 h"."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


# Metric names greenspike and its users give units by, as suffixes: (suffix, unit).
_METRIC_UNITS = (("_kwh", "kWh"), ("_kj", "kJ"), ("_j", "J"), ("_s", "s"), ("_w", "W"))


def metric(name: str, value: float) -> str:
    """A metric's value with the unit its name implies.

    Fractions named `*accuracy` or `*rate` as percentages ("97.7%"); `*_j` (also before a
    `:PROFILE` suffix, as in `energy_per_inference_j:loihi`) in J with an SI prefix; `*_kwh`,
    `*_kj`, `*_s`, `*_w` with that unit; anything else as `number` does (4 significant
    digits, thousands separators).
    """
    base = name.partition(":")[0].casefold()
    if base.endswith(("accuracy", "rate")) and 0 <= value <= 1:
        return f"{value:.1%}"
    if base.endswith("_j"):
        return energy(value)
    for suffix, unit in _METRIC_UNITS:
        if base.endswith(suffix):
            return f"{value:.4g} {unit}"
    return number(value)


def kwh(value: float) -> str:
    """Kilowatt-hours: "0.000518 kWh", "1,289,376 kWh"; below 1e-4 kWh, "2.7e-07 kWh"."""
    return f"{number(value) if value == 0 or value >= 1e-4 else f'{value:.3g}'} kWh"
