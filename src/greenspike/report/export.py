"""Runs as CSV (one row per run: summary, metrics, tags, metadata) or JSON (everything).

The CSV reads straight into pandas (`pd.read_csv`) with accuracy beside energy: after the
summary columns come `metrics.NAME` (the last value of each metric, `RunRecord.last_metric`),
`tags.KEY` and `metadata.KEY` (nested metadata flattened with dots, e.g.
`metadata.config.epochs`), one column per name any exported run has, empty where a run has
none. Lists are written as JSON.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from greenspike.ledger.records import RunRecord

CSV_COLUMNS = (
    "id",
    "name",
    "status",
    "start_utc",
    "duration_s",
    "energy_j",
    "measured_energy_j",
    "estimated_energy_j",
    "provenance",
    "co2e_g",
    "pue",
    "intensity_g_per_kwh",
    "host",
    "rank",
    "world_size",
    "job_id",
    "local_rank",
    "node_rank",
    "scope",
    "command",
    "tags",
)


# What a spreadsheet reads as the start of a formula (OWASP's list for CSV injection).
_FORMULA_STARTS = frozenset("=+-@\t\r")


def runs_to_csv(runs: Sequence[RunRecord]) -> str:
    """A header and one row per run; empty cells for missing figures (never 0).

    Text that a spreadsheet would run as a formula is written with a leading `'` (see
    `_inert`); the JSON export keeps every value exactly.
    """
    rows = [_csv_row(run) for run in runs]
    extra = list(dict.fromkeys(key for row in rows for key in row if key not in CSV_COLUMNS))
    order = {"metrics.": 0, "tags.": 1, "metadata.": 2}
    extra.sort(key=lambda key: order[key[: key.index(".") + 1]])  # stable: first seen first
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[*CSV_COLUMNS, *extra], lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: _inert(value) for key, value in row.items()} for row in rows)
    return buffer.getvalue()


def _inert(value: Any) -> Any:
    """`value`, with a leading `'` if a spreadsheet would read it as a formula.

    `=HYPERLINK(...)`, `+A1`, `@SUM(...)` become text; numbers ("-0.1") are left as they are.
    """
    if isinstance(value, str) and value[:1] in _FORMULA_STARTS and not _is_number(value):
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _csv_row(run: RunRecord) -> dict[str, Any]:
    row: dict[str, Any] = dict(run.summary())
    row.update({f"metrics.{name}": value for name, value in run.last_metrics().items()})
    row.update({f"tags.{key}": value for key, value in run.tags.items()})
    for key, value in run.flat_metadata().items():
        row[f"metadata.{key}"] = json.dumps(value) if isinstance(value, (list, dict)) else value
    return row


def runs_to_json(runs: Sequence[RunRecord]) -> str:
    """A JSON list of `RunRecord.to_dict()`."""
    return json.dumps([run.to_dict() for run in runs], indent=2)
