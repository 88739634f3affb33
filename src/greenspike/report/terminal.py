"""Terminal views (rich) of energy reports and of the runs in the ledger.

`energy_report_view` is what `greenspike track` prints (the report's own `summary()`, drawn);
`runs_table` and `run_details` are `greenspike runs list` and `runs show`. Every table follows
`greenspike.report._tables`: readable at 80 columns, no value broken across lines.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from greenspike._units import duration, energy, metric
from greenspike.energy.measurement import EnergyReport
from greenspike.ledger.records import RunRecord
from greenspike.report._tables import add_column, cell, new_table, summary_view

_STATUS_STYLE = {"finished": "green", "running": "cyan", "failed": "red", "interrupted": "yellow"}
# One letter per provenance, after the energy in `runs list`.
PROVENANCE_MARK = {"measured": "m", "estimated": "e", "measured+estimated": "m+e", "none": ""}
DEFAULT_METRIC = "accuracy"
RECENT_S = 182 * 86400  # runs started within this long show the time of day, older the year


def status_text(run: RunRecord, *, short: bool = False) -> Text:
    """The run's status, coloured: green finished, red failed, yellow interrupted or stale.

    `short`: "stale" rather than "running (stale)".
    """
    if run.stale:
        return Text("stale" if short else run.display_status, style="yellow")
    return Text(run.status, style=_STATUS_STYLE[run.status])


def energy_report_view(report: EnergyReport) -> RenderableType:
    """`report.summary()` drawn: components with provenance, totals, CO2e, windows, notes."""
    title = Text.assemble(
        (f"Energy of {report.name or 'the run'}: ", "bold"),
        (report.status, f"bold {_STATUS_STYLE[report.status]}"),
        (f", {report.duration_s:.1f} s", "bold"),
    )
    return summary_view(report.summary(), title)


def energy_cell(run: RunRecord) -> str:
    """The run's energy and a provenance mark: "1.86 kJ e"; "-" when nothing was read."""
    if run.provenance == "none":
        return "-"
    return f"{energy(run.energy_j)} {PROVENANCE_MARK[run.provenance]}"


def runs_table(
    runs: Sequence[RunRecord],
    title: str = "Runs",
    *,
    metric_name: str = DEFAULT_METRIC,
    wide: bool = False,
) -> Table:
    """One line per run, the most useful columns first.

    Narrow (80 columns): id, name, status, start (`started`), duration, energy with its
    provenance mark, and the last value of `metric_name` where any run logged it. `wide` adds
    the measured and estimated parts, CO2e, host and tags, and never shortens a name.
    """
    show_metric = any(run.last_metric(metric_name) is not None for run in runs)
    table = new_table(
        title,
        caption="times UTC; energy: m measured, e estimated"
        + ("" if wide else "; --wide: more columns"),
    )
    add_column(table, "id", "right")
    add_column(table, "name", long=not wide)
    add_column(table, "status")
    add_column(table, "started")
    add_column(table, "time", "right")
    add_column(table, "energy", "right")
    if wide:
        for header in ("measured", "estimated", "CO2e"):
            add_column(table, header, "right")
    if show_metric:
        add_column(table, metric_name, "right")
    if wide:
        add_column(table, "host")
        add_column(table, "tags")
    now = time.time()
    for run in runs:
        last = run.last_metric(metric_name)
        row: list[Text | str] = [
            str(run.id),
            cell(run.name or "", long=not wide),
            status_text(run, short=not wide),
            run.started.strftime("%Y-%m-%d %H:%M:%S") if wide else started(run, now),
            duration(run.duration_s),
            energy_cell(run),
        ]
        if wide:
            row += [
                energy(run.measured_energy_j) if run.measured_energy_j else "-",
                energy(run.estimated_energy_j) if run.estimated_energy_j else "-",
                "-" if run.co2e_g is None else f"{run.co2e_g:.3g} g",
            ]
        if show_metric:
            row.append("-" if last is None else metric(metric_name, last))
        if wide:
            row += [run.host, ", ".join(f"{k}={v}" for k, v in sorted(run.tags.items()))]
        table.add_row(*(cell(c) if isinstance(c, str) else c for c in row))
    return table


def started(run: RunRecord, now: float) -> str:
    """When a run started (UTC), as `ls -l` shows times: "12-03 10:07", or "2025-06-01".

    The year replaces the time of day for runs older than half a year.
    """
    if abs(now - run.start_unix_s) < RECENT_S:
        return run.started.strftime("%m-%d %H:%M")
    return run.started.strftime("%Y-%m-%d")


def run_details(run: RunRecord) -> RenderableType:
    """Who ran what where, the energy report as stored, tags, metadata and metrics.

    Long values (a command, a source) are shortened to the terminal's width; `--json` has them
    whole.
    """
    facts = Table.grid(padding=(0, 2))
    facts.add_column(no_wrap=True)
    facts.add_column()
    rows: list[tuple[str, Text | str]] = [
        ("run", f"{run.id}: {run.name or '(no name)'}"),
        ("status", status_text(run)),
    ]
    if run.stale:
        rows.append(("", "the process is gone: figures as of its last update"))
    rows += [
        ("started", run.started.strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("duration", duration(run.duration_s)),
        ("host", f"{run.host} (pid {run.pid})"),
    ]
    if run.rank is not None:
        rows.append(("rank", f"{run.rank} of {run.world_size}"))
    if run.command:
        rows.append(("command", run.command))
    rows += [(f"tag {key}", value) for key, value in sorted(run.tags.items())]
    rows += [(f"metadata {key}", _value(value)) for key, value in run.flat_metadata().items()]
    for label, value in rows:
        facts.add_row(cell(label), value if isinstance(value, Text) else cell(value, long=True))
    parts: list[RenderableType] = [facts]
    if run.report is not None:
        parts.append(energy_report_view(run.report))
    if run.metrics:
        parts.append(metrics_table(run))
    return Group(*parts)


def metrics_table(run: RunRecord) -> Table:
    """One row per metric: its full name, its last value with units and step, min and max."""
    table = new_table("Metrics")
    add_column(table, "metric")
    for header in ("last", "step", "min", "max"):
        add_column(table, header, "right")
    for name in dict.fromkeys(m.name for m in run.metrics):
        logged = [m for m in run.metrics if m.name == name]
        last = max(logged, key=lambda m: (-1 if m.step is None else m.step, m.unix_s))
        values = [m.value for m in logged]
        spread = len(values) > 1
        table.add_row(
            cell(name),
            metric(name, last.value),
            "run" if last.step is None else str(last.step),
            metric(name, min(values)) if spread else "",
            metric(name, max(values)) if spread else "",
        )
    return table


def _value(value: object) -> str:
    """A metadata value: a string bare, anything else as JSON (lists, numbers, true, null)."""
    return value if isinstance(value, str) else json.dumps(value)
