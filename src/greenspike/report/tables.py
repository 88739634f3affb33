"""Terminal views of runs: the `runs list` table and the `runs show` details (rich)."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from greenspike.energy.summary import joules, report_summary
from greenspike.ledger.records import RunRecord

_STATUS_STYLE = {"finished": "green", "running": "cyan", "failed": "red", "interrupted": "yellow"}


def status_text(run: RunRecord) -> Text:
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
        facts.add_row("rank", f"{run.rank} of {run.world_size}")
    if run.command:
        facts.add_row("command", escape(run.command))
    for key, value in sorted(run.tags.items()):
        facts.add_row(f"tag {escape(key)}", escape(value))
    for key, value in sorted(run.metadata.items()):
        facts.add_row(f"metadata {escape(key)}", escape(repr(value)))
    parts: list[RenderableType] = [facts]
    if run.report is not None:
        parts.append(report_summary(run.report))
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
