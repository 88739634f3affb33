"""Conditions on runs beyond equality: a name pattern, and conditions on a metric's last value.

name_like("mlp-*relu")             -> "mlp-%relu" for SQL LIKE (a glob: * any, ? one)
metric_condition("accuracy>=0.95") -> MetricCondition("accuracy", ">=", 0.95)
"""

from __future__ import annotations

import contextlib
import math
import operator
import re
from collections.abc import Callable
from typing import Any, Literal, NamedTuple

from greenspike.errors import InvalidInputError

Comparison = Literal["<", "<=", ">", ">=", "=", "!="]
_COMPARE: dict[str, Callable[[Any, float], Any]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "=": operator.eq,
}
_CONDITION = re.compile(r"^\s*(?P<name>[^<>=!]+?)\s*(?P<op><=|>=|!=|==|<|>|=)\s*(?P<value>.+?)\s*$")


class MetricCondition(NamedTuple):
    """`name op value` on a run's last value of metric `name` (`RunRecord.last_metric`).

    A run that never logged `name` does not match any condition on it.
    """

    name: str
    op: Comparison
    value: float

    def holds(self, last_value: float | None) -> bool:
        """Whether a run whose last value of the metric is `last_value` matches."""
        return last_value is not None and self.compare(last_value)

    def compare(self, left: Any) -> Any:
        """`left op value`: a bool for a number, an SQL condition for a column expression."""
        return _COMPARE[self.op](left, self.value)

    def __str__(self) -> str:
        return f"{self.name}{self.op}{self.value:g}"


def metric_condition(text: str) -> MetricCondition:
    """The condition `text` states: "accuracy>=0.95" -> ("accuracy", ">=", 0.95); `==` is `=`.

    Raises:
        InvalidInputError: not NAME OP NUMBER with OP one of < <= > >= = !=, or a value that is
            not a finite number.
    """
    found = _CONDITION.match(text)
    value = math.nan
    if found is not None:
        with contextlib.suppress(ValueError):
            value = float(found["value"])
    if found is None or not math.isfinite(value):
        raise InvalidInputError(
            f"a metric condition is NAME OP NUMBER with OP one of {' '.join(_COMPARE)}, "
            f"e.g. accuracy>=0.95; got {text!r}"
        )
    op = "=" if found["op"] == "==" else found["op"]
    return MetricCondition(found["name"], op, value)  # type: ignore[arg-type]


def is_glob(pattern: str) -> bool:
    """Whether `pattern` uses glob wildcards (`*`, `?`): then it matches whole names."""
    return "*" in pattern or "?" in pattern


def name_like(pattern: str) -> str:
    """The SQL LIKE pattern (escape character: backslash) for a name filter.

    A glob (`*` any text, `?` one character) matches the whole name; any other text matches
    names that contain it.
    """
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if not is_glob(pattern):
        return f"%{escaped}%"
    return escaped.replace("*", "%").replace("?", "_")
