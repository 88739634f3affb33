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
    """`name` = `value` at `step` (an epoch, a trial; None: the run as a whole), logged at
    `unix_s`.
    """

    name: str
    value: float
    step: int | None
    unix_s: float


def checked_metric(name: object, value: object, step: object, unix_s: float) -> Metric:
    """A Metric, or ValueError naming the bad name, value or step."""
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
    """Tags as str -> str; ValueError for an empty name or a None value."""
    checked = {}
    for key, value in (tags or {}).items():
        if not isinstance(key, str) or not key.strip():
            raise InvalidInputError(f"a tag needs a non-empty name, got {key!r}")
        if value is None:
            raise InvalidInputError(f"tag {key!r} needs a value, got None")
        checked[key] = str(value)
    return checked


def metadata_json(metadata: Mapping[str, Any] | None) -> str:
    """Metadata as JSON; ValueError when it cannot be written as JSON."""
    try:
        return json.dumps(dict(metadata or {}), allow_nan=False)
    except (TypeError, ValueError) as error:
        raise InvalidInputError(
            f"metadata must be JSON-serialisable (str, finite numbers, lists, dicts): {error}"
        ) from error
