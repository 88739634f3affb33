"""A number a run logged beside its energy: accuracy, loss, energy per inference..."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """`name` = `value` at `step` (an epoch, a trial; None: the run as a whole), logged at
    `unix_s`."""

    name: str
    value: float
    step: int | None
    unix_s: float


def checked_metric(name: object, value: object, step: object, unix_s: float) -> Metric:
    """A Metric, or ValueError naming the bad name, value or step."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"a metric needs a non-empty name, got {name!r}")
    if step is not None and (
        isinstance(step, bool) or not isinstance(step, numbers.Integral) or step < 0
    ):
        raise ValueError(f"step must be an integer >= 0 or None, got {step!r}")
    try:
        number = float(value)  # type: ignore[arg-type]  # numpy and torch scalars too
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, (str, bytes)) or not math.isfinite(number):
        raise ValueError(f"metric {name!r} must be a finite number, got {value!r}")
    return Metric(name, number, None if step is None else int(step), unix_s)
