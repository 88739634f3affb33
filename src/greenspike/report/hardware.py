"""The bundled hardware table (`greenspike estimate --list-hardware`), readable at 80 columns."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from greenspike.energy.tdp import Hardware
from greenspike.report._tables import add_column, cell, new_table


def hardware_view(rows: Sequence[Hardware]) -> Table:
    """One row per model: kind, TDP, cores, and its source (shortened; in full with --json)."""
    table = new_table(
        "Known hardware (TDP per chip; CPUs with their physical cores)",
        caption="Full sources: --list-hardware --json.",
    )
    add_column(table, "model", long=True)
    add_column(table, "kind")
    add_column(table, "TDP W", "right")
    add_column(table, "cores", "right")
    add_column(table, "source", long=True)
    for hw in rows:
        table.add_row(
            cell(hw.model, long=True),
            hw.kind,
            f"{hw.tdp_w:g}",
            str(hw.cores or ""),
            cell(hw.source, long=True),
        )
    return table
