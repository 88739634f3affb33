"""Runs side by side (`greenspike runs compare`): energy, components, windows, metrics, config.

Each row holds one figure of every run, raw (for `--json`) and as text; a row whose values
differ between the runs is marked, so that a change of configuration and what it did to the
energy and the metrics can be read in one table.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from rich.table import Table

from greenspike._units import duration, energy, metric
from greenspike.energy.measurement import WindowReport
from greenspike.ledger.records import RunRecord
from greenspike.report._tables import add_column, cell, new_table

SECTIONS = ("run", "energy", "components", "windows", "metrics", "tags", "metadata")
Value = float | int | str | None
Show = Callable[[Value], str]


@dataclass(frozen=True)
class ComparedRow:
    """One figure of every run: `values` raw (None where a run lacks it), `text` for people."""

    section: str
    name: str
    values: tuple[Value, ...]
    text: tuple[str, ...]

    @property
    def differs(self) -> bool:
        """Whether the runs' values are not all the same."""
        return len(set(self.values)) > 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: section, name, the raw values in run order, and `differs`."""
        return {
            "section": self.section,
            "name": self.name,
            "values": list(self.values),
            "differs": self.differs,
        }


def compared_rows(runs: Sequence[RunRecord]) -> list[ComparedRow]:
    """The rows of the comparison of `runs`, section by section (see SECTIONS)."""
    rows: list[ComparedRow] = []

    def add(section: str, name: str, values: Sequence[Value], show: Show = str) -> None:
        text = tuple("-" if v is None else show(v) for v in values)
        rows.append(ComparedRow(section, name, tuple(values), text))

    def each(get: Callable[[RunRecord], Value]) -> list[Value]:
        return [get(run) for run in runs]

    add("run", "name", each(lambda r: r.name))
    add("run", "status", each(lambda r: r.display_status))
    add("run", "started (UTC)", each(lambda r: r.started.strftime("%Y-%m-%d %H:%M")))
    add("run", "duration", each(lambda r: r.duration_s), _number(duration))
    add("run", "host", each(lambda r: r.host))
    add("energy", "total", each(lambda r: r.energy_j), _number(energy))
    # nothing measured is not a measurement of 0 J: "-"
    add("energy", "measured", each(lambda r: r.measured_energy_j or None), _number(energy))
    add("energy", "estimated", each(lambda r: r.estimated_energy_j or None), _number(energy))
    add("energy", "provenance", each(lambda r: r.provenance))
    add("energy", "CO2e", each(lambda r: r.co2e_g), _number(lambda g: f"{g:.3g} g"))
    for name in _union(run.components.names for run in runs):
        joules = [None if (c := run.components.get(name)) is None else c.energy_j for run in runs]
        add("components", name, joules, _number(energy))
    windows = [dict(_windows(run.report.windows if run.report else ())) for run in runs]
    for path in _union(w.keys() for w in windows):
        found = [w.get(path) for w in windows]
        rows.append(
            ComparedRow(
                "windows",
                path,
                tuple(None if w is None else w.energy_j for w in found),
                tuple(
                    "-" if w is None else f"{energy(w.energy_j)}, {duration(w.duration_s)}"
                    for w in found
                ),
            )
        )
    for name in _union(run.last_metrics().keys() for run in runs):
        add(
            "metrics", name, [run.last_metric(name) for run in runs], _number(partial(metric, name))
        )
    for key in _union(run.tags.keys() for run in runs):
        add("tags", key, [run.tags.get(key) for run in runs])
    flat = [run.flat_metadata() for run in runs]
    for key in _union(f.keys() for f in flat):
        add("metadata", key, [_scalar(f.get(key)) for f in flat])
    return rows


def runs_side_by_side(runs: Sequence[RunRecord], *, differences_only: bool = False) -> Table:
    """The comparison as a table: one column per run, rows whose values differ in yellow.

    `differences_only` keeps the rows whose values differ (and the run names).
    """
    table = new_table(
        "Runs " + ", ".join(str(run.id) for run in runs),
        caption="yellow: differs between the runs"
        + ("" if differences_only else "; --differences: only those rows"),
    )
    add_column(table, "")
    for run in runs:
        add_column(table, f"run {run.id}", "right", long=True)
    section = ""
    for row in compared_rows(runs):
        if differences_only and not row.differs and row.name != "name":
            continue
        if row.section != section:
            if section:
                table.add_section()
            section = row.section
            table.add_row(cell(row.section, style="bold"), *[""] * len(runs))
        style = "yellow" if row.differs else ""
        table.add_row(
            cell(f"  {row.name}", style=style), *(cell(t, long=True, style=style) for t in row.text)
        )
    return table


def comparison_dict(runs: Sequence[RunRecord]) -> dict[str, Any]:
    """The comparison, JSON-ready: the run ids and every row (`ComparedRow.to_dict`)."""
    return {"runs": [run.id for run in runs], "rows": [r.to_dict() for r in compared_rows(runs)]}


def _union(groups: Iterator[Any] | Any) -> list[str]:
    """The names of all groups, each once, in order of first appearance."""
    return list(dict.fromkeys(name for group in groups for name in group))


def _windows(
    windows: Sequence[WindowReport], prefix: str = ""
) -> Iterator[tuple[str, WindowReport]]:
    """(path, window) for every window, nested ones as "outer/inner"."""
    for window in windows:
        path = f"{prefix}{window.name}"
        yield path, window
        yield from _windows(window.windows, f"{path}/")


def _number(show: Callable[[float], str]) -> Show:
    """`show` for a row of numbers (the rows never mix numbers and text)."""
    return lambda value: show(float(value))  # type: ignore[arg-type]


def _scalar(value: object) -> Value:
    """A metadata value as a number or text, for comparing and showing."""
    if value is None or isinstance(value, (str, float)):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return value
    return json.dumps(value)
