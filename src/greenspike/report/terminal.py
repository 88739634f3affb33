"""Terminal views (rich) of energy reports and of the runs in the ledger.

`energy_report_view` is what `greenspike track` prints; `runs_table` and `run_details` are
`greenspike runs list` and `runs show`; `jobs_table` and `job_details` are `runs list --job`
and `runs show --job`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from rich import box
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from greenspike._units import joules
from greenspike.energy.forecast import Forecast
from greenspike.energy.measurement import EnergyReport, WindowReport
from greenspike.energy.placement import Placement
from greenspike.ledger.jobs import JobRecord
from greenspike.ledger.records import RunRecord

_STATUS_STYLE = {"finished": "green", "running": "cyan", "failed": "red", "interrupted": "yellow"}


def status_text(run: RunRecord) -> Text:
    """The run's status, coloured: green finished, red failed, yellow interrupted or stale."""
    return Text(run.display_status, style="yellow" if run.stale else _STATUS_STYLE[run.status])


def runs_table(runs: Sequence[RunRecord], title: str = "Runs") -> Table:
    """One row per run: energy, CO2e, duration and provenance at a glance."""
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    # Figures keep one line; the name, with the tags under it, takes what a terminal has left.
    table.add_column("id", justify="right", no_wrap=True)
    table.add_column("name, tags", overflow="fold", min_width=10)
    table.add_column("status", no_wrap=True)
    table.add_column("started (UTC)", no_wrap=True)
    table.add_column("s", justify="right", no_wrap=True)
    table.add_column("J", justify="right", no_wrap=True)
    table.add_column("gCO2e", justify="right", no_wrap=True)
    table.add_column("provenance", no_wrap=True)
    for run in runs:
        name = Text(run.name or "")
        if run.tags:
            tags = ", ".join(f"{k}={v}" for k, v in sorted(run.tags.items()))
            name.append(f"\n{tags}", style="dim")
        table.add_row(
            str(run.id),
            name,
            status_text(run),
            run.started.strftime("%Y-%m-%d %H:%M"),
            f"{run.duration_s:.1f}",
            joules(run.energy_j),
            "n/a" if run.co2e_g is None else f"{run.co2e_g:.3g}",
            run.provenance,
        )
    return table


def run_details(run: RunRecord) -> RenderableType:
    """Who ran what where, the energy report as stored, tags, metadata and metrics."""
    facts = Table.grid(padding=(0, 2))
    facts.add_row("run", f"{run.id}: {escape(run.name or '(no name)')}")
    facts.add_row("status", status_text(run))
    if run.stale:
        facts.add_row("", "the process is gone: figures as of its last update")
    facts.add_row("started", run.started.strftime("%Y-%m-%d %H:%M:%S UTC"))
    facts.add_row("host", f"{escape(run.host)} (pid {run.pid})")
    if run.rank is not None:
        local = "" if run.local_rank is None else f", local rank {run.local_rank}"
        facts.add_row("rank", f"{run.rank} of {run.world_size}{local}")
    if run.job_id is not None:
        facts.add_row("job", escape(run.job_id))
    facts.add_row("scope", run.scope)
    if run.command:
        facts.add_row("command", escape(run.command))
    for key, value in sorted(run.tags.items()):
        facts.add_row(f"tag {escape(key)}", escape(value))
    for key, value in sorted(run.metadata.items()):
        facts.add_row(f"metadata {escape(key)}", escape(repr(value)))
    parts: list[RenderableType] = [facts]
    if run.report is not None:
        parts.append(energy_report_view(run.report))
    if run.metrics:
        parts.append(_metrics_table(run))
    return Group(*parts)


def _metrics_table(run: RunRecord) -> Table:
    names = list(dict.fromkeys(m.name for m in run.metrics))
    by_step: dict[int | None, dict[str, float]] = {}
    for m in run.metrics:
        by_step.setdefault(m.step, {})[m.name] = m.value
    table = Table(title="Metrics", title_justify="left")
    table.add_column("step", justify="right")
    for name in names:
        table.add_column(escape(name), justify="right")
    for step, values in sorted(by_step.items(), key=lambda kv: -1 if kv[0] is None else kv[0]):
        cells = [f"{values[n]:.6g}" if n in values else "" for n in names]
        table.add_row("run" if step is None else str(step), *cells)
    return table


def energy_report_view(report: EnergyReport) -> RenderableType:
    """Components with provenance, missing ones with reason and fix, totals, CO2e, windows."""
    style = _STATUS_STYLE[report.status]
    table = Table(
        title=f"Energy of {escape(report.name or 'the run')}: [{style}]{report.status}[/], "
        f"{report.duration_s:.1f} s",
        title_justify="left",
    )
    table.add_column("component")
    table.add_column("energy (J)", justify="right")
    table.add_column("provenance")
    table.add_column("source")
    for c in report.components:
        table.add_row(c.name, joules(c.energy_j), c.label, escape(c.source))
    for m in report.missing:
        fix = f"\nfix: {m.fix}" if m.fix else ""
        table.add_row(m.name, "[red]missing[/]", "", escape(m.reason + fix))
    table.add_section()
    if report.measured_energy_j and report.estimated_energy_j:
        table.add_row("measured", joules(report.measured_energy_j), "measured", "")
        table.add_row("estimated", joules(report.estimated_energy_j), "estimated", "")
    total = f"total ({report.kwh:.6f} kWh)"
    mixed = "measured + estimated" if report.measured_energy_j and report.estimated_energy_j else ""
    table.add_row(f"[bold]{total}[/]", f"[bold]{joules(report.energy_j)}[/]", mixed, "")
    parts: list[RenderableType] = [table, _carbon_line(report)]
    if report.scopes_differ and report.other_scope_energy_j is not None:
        parts.append(_scope_line(report, report.other_scope_energy_j))
    if report.placement is not None and report.placement.distributed:
        parts.append(Text(placement_text(report.placement), style="dim"))
    if report.forecast is not None:
        parts.append(forecast_text(report.forecast))
    if report.windows:
        tree = Tree("windows")
        for window in report.windows:
            _add_window(tree, window)
        parts.append(tree)
    notes = [f"{c.name}: {n}" for c in report.components for n in c.notes] + list(report.notes)
    parts.extend(Text(f"note: {note}", style="dim") for note in notes)
    return Group(*parts)


def forecast_text(forecast: Forecast) -> Text:
    """The forecast of a whole run, on one line."""
    return Text(f"Forecast: {forecast.summary()}", style="cyan")


def placement_text(placement: Placement) -> str:
    """Where a rank sat in its job, e.g. "rank 1 of 8 (local rank 1, node 0), job 3f2a"."""
    where = [f"local rank {placement.local_rank}"] if placement.local_rank is not None else []
    if placement.node_rank is not None:
        where.append(f"node {placement.node_rank}")
    inside = f" ({', '.join(where)})" if where else ""
    launcher = f" under {placement.launcher}" if placement.launcher else ""
    return (
        f"rank {placement.rank} of {placement.world_size}{inside}{launcher}, job {placement.job_id}"
    )


def _scope_line(report: EnergyReport, other_j: float) -> Text:
    whose = {
        "machine": "everything on these CPUs and GPUs",
        "process": "the tracked process and its children",
    }
    return Text(
        f"Scope {report.scope} ({whose[report.scope]}): {joules(report.energy_j)} J. "
        f"In {report.other_scope} scope ({whose[report.other_scope]}): {joules(other_j)} J; "
        f"choose with --scope / scope=.",
        style="yellow",
    )


def jobs_table(jobs: Sequence[JobRecord], title: str = "Jobs") -> Table:
    """One row per distributed job: ranks found, nodes, energy with each sensor counted once."""
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("job", overflow="fold", min_width=8)
    table.add_column("status", no_wrap=True)
    table.add_column("started (UTC)", no_wrap=True)
    table.add_column("ranks", justify="right", no_wrap=True)
    table.add_column("nodes", justify="right", no_wrap=True)
    table.add_column("s", justify="right", no_wrap=True)
    table.add_column("J", justify="right", no_wrap=True)
    table.add_column("gCO2e", justify="right", no_wrap=True)
    for job in jobs:
        ranks = f"{len(job.ranks)}/{job.world_size or '?'}"
        if job.missing_ranks:
            ranks = f"[red]{ranks}[/]"
        table.add_row(
            escape(job.job_id),
            Text(job.status, style=_STATUS_STYLE[job.status]),
            dt.datetime.fromtimestamp(job.start_unix_s, dt.timezone.utc).strftime("%Y-%m-%d %H:%M"),
            ranks,
            str(len(job.nodes)),
            f"{job.duration_s:.1f}",
            joules(job.energy_j),
            "n/a" if job.co2e_g is None else f"{job.co2e_g:.3g}",
        )
    return table


def job_details(job: JobRecord) -> RenderableType:
    """A job: energy per node and per component (each counted once), its ranks, missing ones."""
    style = _STATUS_STYLE[job.status]
    table = Table(
        title=f"Job {escape(job.job_id)}: [{style}]{job.status}[/], {len(job.runs)} runs on "
        f"{len(job.nodes)} nodes, {job.duration_s:.1f} s",
        title_justify="left",
    )
    table.add_column("node")
    table.add_column("component")
    table.add_column("energy (J)", justify="right")
    table.add_column("provenance")
    table.add_column("measured by")
    by_id = {run.id: run for run in job.runs}
    for node in job.nodes:
        node_name = escape(node.host) + ("" if node.node_rank is None else f" ({node.node_rank})")
        for c in node.components:
            who = ", ".join(_run_label(by_id[run_id]) for run_id in c.run_ids)
            table.add_row(node_name, c.name, joules(c.energy_j), c.provenance, who)
            node_name = ""
        table.add_row("", "[bold]node total[/]", f"[bold]{joules(node.energy_j)}[/]", "", "")
        table.add_section()
    if job.measured_energy_j and job.estimated_energy_j:
        table.add_row("", "measured", joules(job.measured_energy_j), "measured", "")
        table.add_row("", "estimated", joules(job.estimated_energy_j), "estimated", "")
    table.add_row(
        "[bold]job[/]",
        f"[bold]total ({job.kwh:.6f} kWh)[/]",
        f"[bold]{joules(job.energy_j)}[/]",
        "",
        "",
    )
    parts: list[RenderableType] = [table]
    carbon = "n/a (a run has no carbon intensity)" if job.co2e_g is None else f"{job.co2e_g:.3g} g"
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
    runs = Table(title="Runs", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("rank", "run", "host", "status", "scope", "J"):
        runs.add_column(column, justify="right" if column in ("rank", "run", "J") else "left")
    for run in job.runs:
        runs.add_row(
            "" if run.rank is None else str(run.rank),
            str(run.id),
            escape(run.host),
            status_text(run),
            run.scope,
            joules(run.energy_j),
        )
    parts.append(runs)
    parts.extend(Text(f"note: {note}", style="dim") for note in job.notes)
    return Group(*parts)


def _run_label(run: RunRecord) -> str:
    return f"run {run.id}" if run.rank is None else f"rank {run.rank} (run {run.id})"


def _carbon_line(report: EnergyReport) -> Text:
    intensity = report.carbon_intensity
    if intensity is None or report.co2e_g is None:
        return Text(report.carbon_note or "", style="yellow")
    where = f"{intensity.region}, {intensity.year}; " if intensity.region else ""
    return Text(
        f"CO2e: {report.co2e_g:.3g} g = {report.kwh:.6f} kWh x PUE {report.pue:g} x "
        f"{intensity.intensity_g_per_kwh:g} gCO2e/kWh ({where}{intensity.source})"
    )


def _add_window(tree: Tree, window: WindowReport) -> None:
    split = (
        f" (measured {joules(window.measured_energy_j)}, "
        f"estimated {joules(window.estimated_energy_j)})"
        if window.measured_energy_j and window.estimated_energy_j
        else ""
    )
    status = "" if window.status == "finished" else f", [yellow]{window.status}[/]"
    branch = tree.add(
        f"{escape(window.name)}: {joules(window.energy_j)} J{split}, "
        f"{window.duration_s:.2f} s{status}"
    )
    for child in window.windows:
        _add_window(branch, child)
