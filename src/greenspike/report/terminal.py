"""Terminal views (rich) of energy reports and of the runs in the ledger.

`energy_report_view` is what `greenspike track` prints; `runs_table` and `run_details` are
`greenspike runs list` and `runs show`.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from greenspike._units import joules
from greenspike.energy.measurement import EnergyReport, WindowReport
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
        facts.add_row("rank", f"{run.rank} of {run.world_size}")
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
    if report.windows:
        tree = Tree("windows")
        for window in report.windows:
            _add_window(tree, window)
        parts.append(tree)
    notes = [f"{c.name}: {n}" for c in report.components for n in c.notes] + list(report.notes)
    parts.extend(Text(f"note: {note}", style="dim") for note in notes)
    return Group(*parts)


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
