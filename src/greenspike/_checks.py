"""Checks of plain values handed to the Python API: numbers that are numbers, texts that are text.

A misuse (`country=123`, `cpu_tdp_w="100"`) is then a clear error, never an AttributeError.
"""

from __future__ import annotations

import math

from greenspike.errors import InvalidInputError


def checked_real(value: object, what: str) -> float:
    """`value` as a finite float; a bool is not a number here (True is not 1 watt).

    Args:
        value: what the caller gave.
        what: its name in the message, e.g. "`cpu_tdp_w` (W)".

    Raises:
        InvalidInputError: `value` is not an int or float, is a bool, or is not finite.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInputError(f"{what} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise InvalidInputError(f"{what} must be a finite number, got {value!r}")
    return float(value)


def check_text(value: object, what: str) -> None:
    """Check that `value` is a str.

    Raises:
        InvalidInputError: it is not.
    """
    if not isinstance(value, str):
        raise InvalidInputError(f"{what} must be text, got {value!r}")
