"""Runs as CSV (one row per run, the summary fields) or JSON (everything, report included)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

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


def runs_to_csv(runs: Sequence[RunRecord]) -> str:
    """A header and one row per run; empty cells for missing figures (never 0)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for run in runs:
        writer.writerow(run.summary())
    return buffer.getvalue()


def runs_to_json(runs: Sequence[RunRecord]) -> str:
    """A JSON list of `RunRecord.to_dict()`."""
    return json.dumps([run.to_dict() for run in runs], indent=2)
