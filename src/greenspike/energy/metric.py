"""What a run records beside its energy: metrics (accuracy, loss...), tags and metadata."""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from greenspike.errors import InvalidInputError

# One rule for SQLite and PostgreSQL, which refuses what SQLite takes: names (metric names, tag
# keys) of at most 255 characters (VARCHAR(255)), no NUL character in any text, steps that fit
# in a 32-bit INTEGER.
MAX_NAME_LENGTH = 255
MAX_STEP = 2**31 - 1


def check_storable(text: str, what: str, *, name: bool = False) -> None:
    """Check that `text` can be kept in either database: no NUL, a name of <= 255 characters.

    Raises:
        InvalidInputError: naming `what`.
    """
    if "\x00" in text:
        raise InvalidInputError(f"{what} must not contain a NUL character, got {text!r}")
    if name and len(text) > MAX_NAME_LENGTH:
        raise InvalidInputError(
            f"{what} must be at most {MAX_NAME_LENGTH} characters, got {len(text)}"
        )


@dataclass(frozen=True)
class Metric:
    """One logged metric: `name` = `value` at `step`, logged at `unix_s`.

    Attributes:
        name: what is measured, e.g. "accuracy".
        value: a finite number.
        step: an epoch, a trial, ...; None: the run as a whole.
        unix_s: when it was logged, in seconds since the Unix epoch.
    """

    name: str
    value: float
    step: int | None
    unix_s: float


def checked_metric(name: object, value: object, step: object, unix_s: float) -> Metric:
    """A Metric from caller-supplied values, checked and converted.

    Returns:
        The Metric, its value as a float and its step as an int (or None).

    Raises:
        InvalidInputError: `name` is not a non-empty string (of at most 255 characters, without
            NUL), `step` is not an integer from 0 to 2**31 - 1 or None, or `value` is not a
            finite number; the message names the bad one.
    """
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError(f"a metric needs a non-empty name, got {name!r}")
    check_storable(name, "a metric's name", name=True)
    if step is not None and (
        isinstance(step, bool)
        or not isinstance(step, numbers.Integral)
        or not 0 <= int(step) <= MAX_STEP
    ):
        raise InvalidInputError(
            f"step must be an integer from 0 to {MAX_STEP} or None, got {step!r}"
        )
    try:
        number = float(value)  # type: ignore[arg-type]  # numpy and torch scalars too
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, (str, bytes)) or not math.isfinite(number):
        raise InvalidInputError(f"metric {name!r} must be a finite number, got {value!r}")
    return Metric(name, number, None if step is None else int(step), unix_s)


def checked_tags(tags: Mapping[str, object] | None) -> dict[str, str]:
    """Tags as str -> str, each value converted with `str`.

    Raises:
        InvalidInputError: a tag name is not a non-empty string of at most 255 characters, a
            value is None, or either holds a NUL character.
    """
    checked = {}
    for key, value in (tags or {}).items():
        if not isinstance(key, str) or not key.strip():
            raise InvalidInputError(f"a tag needs a non-empty name, got {key!r}")
        if value is None:
            raise InvalidInputError(f"tag {key!r} needs a value, got None")
        check_storable(key, "a tag's name", name=True)
        check_storable(str(value), f"tag {key!r}")
        checked[key] = str(value)
    return checked


def metadata_json(metadata: Mapping[str, Any] | None) -> str:
    """Metadata as a JSON object (`{}` for None).

    Raises:
        InvalidInputError: the metadata cannot be written as JSON (an unserialisable value, or
            a NaN or infinite number).
    """
    try:
        return json.dumps(dict(metadata or {}), allow_nan=False)
    except (TypeError, ValueError) as error:
        raise InvalidInputError(
            f"metadata must be JSON-serialisable (str, finite numbers, lists, dicts): {error}"
        ) from error
