"""Terminal views (rich) of energy reports and of the runs in the ledger.

`energy_report_view` is what `greenspike track` prints (the report's own `summary()`, drawn);
`runs_table` and `run_details` are `greenspike runs list` and `runs show`; `jobs_table` and
`job_details` are `runs list --jobs` and `runs show --job`. Every table follows
`greenspike.report._tables`: readable at 80 columns, no value broken across lines.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from greenspike._units import duration, energy, grams, metric
from greenspike.energy.forecast import Forecast
from greenspike.energy.measurement import EnergyReport
from greenspike.ledger.jobs import JobRecord
from greenspike.ledger.records import RunRecord
from greenspike.report._tables import add_column, cell, new_table, printable, summary_view

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
        (f"Energy of {printable(report.name or 'the run')}: ", "bold"),
        (report.status, f"bold {_STATUS_STYLE[report.status]}"),
        (f", {report.duration_s:.1f} s", "bold"),
    )
    return summary_view(report.summary(), title)


def forecast_text(forecast: Forecast) -> Text:
    """The forecast of a whole run on one line, as the report's summary shows it."""
    return Text(f"Forecast: {forecast.summary()}", style="cyan")


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

    Narrow (80 columns): id, name, the rank of a distributed run (where any run has one),
    status, start (`started`), duration, energy with its provenance mark, and the last value of
    `metric_name` where any run logged it. `wide` adds the measured and estimated parts, CO2e,
    host, job, scope and tags, and never shortens a name.
    """
    show_metric = any(run.last_metric(metric_name) is not None for run in runs)
    show_rank = any(run.rank is not None for run in runs)
    table = new_table(
        title,
        caption="times UTC; energy: m measured, e estimated"
        + ("" if wide else "; --wide: more columns"),
    )
    add_column(table, "id", "right")
    add_column(table, "name", long=not wide)
    if show_rank:
        add_column(table, "rank", "right")
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
        for header in ("host", "job", "scope", "tags"):
            add_column(table, header)
    now = time.time()
    for run in runs:
        last = run.last_metric(metric_name)
        row: list[Text | str] = [
            str(run.id),
            cell(run.name or "", long=not wide),
            *([_rank(run)] if show_rank else []),
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
            row += [
                run.host,
                run.job_id or "-",
                run.scope,
                ", ".join(f"{k}={v}" for k, v in sorted(run.tags.items())),
            ]
        table.add_row(*(cell(c) if isinstance(c, str) else c for c in row))
    return table


def _rank(run: RunRecord) -> str:
    """The run's rank of its job's world size, "3/8"; "-" for a run outside a job."""
    return "-" if run.rank is None else f"{run.rank}/{run.world_size or '?'}"


def started(run: RunRecord, now: float) -> str:
    """When a run started (UTC), as `ls -l` shows times: "12-03 10:07", or "2025-06-01".

    The year replaces the time of day for runs older than half a year.
    """
    return started_at(run.start_unix_s, now)


def started_at(unix_s: float, now: float) -> str:
    """`started` for any moment: "12-03 10:07" within half a year of `now`, else "2025-06-01"."""
    moment = dt.datetime.fromtimestamp(unix_s, dt.timezone.utc)
    return moment.strftime("%m-%d %H:%M" if abs(now - unix_s) < RECENT_S else "%Y-%m-%d")


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
        local = "" if run.local_rank is None else f", local rank {run.local_rank}"
        rows.append(("rank", f"{run.rank} of {run.world_size}{local}"))
    if run.job_id is not None:
        rows.append(("job", run.job_id))
    rows.append(("scope", run.scope))
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


def jobs_table(jobs: Sequence[JobRecord], title: str = "Jobs") -> Table:
    """One line per distributed job: ranks found of all, nodes, energy with each sensor once."""
    table = new_table(title, caption="times UTC; ranks: with a run / in the job")
    add_column(table, "job", long=True)
    add_column(table, "status")
    add_column(table, "started")
    for header in ("ranks", "nodes", "time", "energy", "CO2e"):
        add_column(table, header, "right")
    now = time.time()
    for job in jobs:
        ranks = f"{len(job.ranks)}/{job.world_size or '?'}"
        table.add_row(
            cell(job.job_id, long=True),
            Text(job.status, style=_STATUS_STYLE[job.status]),
            started_at(job.start_unix_s, now),
            cell(ranks, style="red" if job.missing_ranks else ""),
            str(len(job.nodes)),
            duration(job.duration_s),
            energy(job.energy_j),
            grams(job.co2e_g),
        )
    return table


def job_details(job: JobRecord) -> RenderableType:
    """A job: energy per node and per component (each counted once), its ranks, missing ones."""
    title = Text.assemble(
        (f"Job {job.job_id}: ", "bold"),
        (job.status, f"bold {_STATUS_STYLE[job.status]}"),
        (f", {_count(len(job.runs), 'run')} on {_count(len(job.nodes), 'node')}, ", "bold"),
        (duration(job.duration_s), "bold"),
    )
    table = new_table()
    add_column(table, "node", long=True)
    add_column(table, "component")
    add_column(table, "energy", "right")
    add_column(table, "provenance")
    add_column(table, "measured by", long=True)
    by_id = {run.id: run for run in job.runs}
    for node in job.nodes:
        node_name = node.host + ("" if node.node_rank is None else f" ({node.node_rank})")
        for c in node.components:
            who = ", ".join(_run_label(by_id[run_id]) for run_id in c.run_ids)
            table.add_row(
                cell(node_name, long=True),
                cell(c.name),
                energy(c.energy_j),
                c.provenance,
                cell(who, long=True),
            )
            node_name = ""
        table.add_row("", Text("node total", style="bold"), Text(energy(node.energy_j), "bold"))
        table.add_section()
    if job.measured_energy_j and job.estimated_energy_j:
        table.add_row("", "measured", energy(job.measured_energy_j), "measured")
        table.add_row("", "estimated", energy(job.estimated_energy_j), "estimated")
    table.add_row(
        Text("job", style="bold"),
        Text("total", style="bold"),
        Text(energy(job.energy_j), style="bold"),
        "",
        f"= {job.kwh:.6f} kWh",
    )
    parts: list[RenderableType] = [title, table]
    carbon = "n/a (a run has no carbon intensity)" if job.co2e_g is None else grams(job.co2e_g)
    parts.append(Text(f"CO2e: {carbon}"))
    if job.missing_ranks:
        ranks = ", ".join(map(str, job.missing_ranks))
        parts.append(
            Text(
                f"missing: rank(s) {ranks} of {job.world_size} have no run in the ledger; "
                "their energy is not in the total",
                style="red",
            )
        )
    runs = new_table("Runs")
    add_column(runs, "rank", "right")
    add_column(runs, "run", "right")
    add_column(runs, "host", long=True)
    add_column(runs, "status")
    add_column(runs, "scope")
    add_column(runs, "energy", "right")
    for run in job.runs:
        runs.add_row(
            "" if run.rank is None else str(run.rank),
            str(run.id),
            cell(run.host, long=True),
            status_text(run, short=True),
            run.scope,
            energy_cell(run),
        )
    parts.append(runs)
    parts.extend(Text(f"note: {note}", style="dim") for note in job.notes)
    return Group(*parts)


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _run_label(run: RunRecord) -> str:
    return f"run {run.id}" if run.rank is None else f"rank {run.rank} (run {run.id})"


def _value(value: object) -> str:
    """A metadata value: a string bare, anything else as JSON (lists, numbers, true, null)."""
    return value if isinstance(value, str) else json.dumps(value)
