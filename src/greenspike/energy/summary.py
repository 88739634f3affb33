"""The terminal view of an EnergyReport: a rich table, the carbon line, windows and notes."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from greenspike.energy.report import EnergyReport, WindowReport

_STATUS_STYLE = {"finished": "green", "running": "cyan", "failed": "red", "interrupted": "yellow"}


def joules(energy_j: float) -> str:
    return f"{energy_j:.1f}" if abs(energy_j) < 1e4 else f"{energy_j:,.0f}"


def report_summary(report: EnergyReport) -> RenderableType:
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
