"""What a run records beside its energy: metrics (accuracy, loss...), tags and metadata."""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from greenspike.errors import InvalidInputError


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
        InvalidInputError: `name` is not a non-empty string, `step` is not an integer >= 0 or
            None, or `value` is not a finite number; the message names the bad one.
    """
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError(f"a metric needs a non-empty name, got {name!r}")
    if step is not None and (
        isinstance(step, bool) or not isinstance(step, numbers.Integral) or step < 0
    ):
        raise InvalidInputError(f"step must be an integer >= 0 or None, got {step!r}")
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
        InvalidInputError: a tag name is not a non-empty string, or a value is None.
    """
    checked = {}
    for key, value in (tags or {}).items():
        if not isinstance(key, str) or not key.strip():
            raise InvalidInputError(f"a tag needs a non-empty name, got {key!r}")
        if value is None:
            raise InvalidInputError(f"tag {key!r} needs a value, got None")
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
