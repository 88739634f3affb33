"""What `greenspike doctor` shows: each energy meter, readable or not and why, and advice."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text

from greenspike.energy.doctor import Diagnosis
from greenspike.report._tables import add_column, cell, new_table


def diagnosis_view(diagnosis: Diagnosis) -> RenderableType:
    """A table of the components (status, power now, source), then what a run reports and advice.

    Reasons and fixes are prose under the table, in full; sources are shortened to fit.
    """
    table = new_table("Energy meters on this machine")
    add_column(table, "component")
    add_column(table, "status")
    add_column(table, "power now", "right")
    add_column(table, "source, or why not", long=True)
    for c in diagnosis.components:
        power = diagnosis.power_w.get(c.name)
        style = "green" if c.provenance == "measured" else "yellow"
        table.add_row(
            cell(c.name),
            cell(c.label, style=style),
            "" if power is None else f"{power:.3g} W",
            cell(c.source, long=True),
        )
    for m in diagnosis.missing:
        table.add_row(cell(m.name), cell("missing", style="red"), "", cell(m.reason, long=True))
    for meter, why in diagnosis.unavailable:
        table.add_row(
            cell(f"({meter})"), cell("not available", style="dim"), "", cell(why, long=True)
        )
    measured = [c.name for c in diagnosis.components if c.provenance == "measured"]
    estimated = [c.name for c in diagnosis.components if c.provenance == "estimated"]
    lines: list[RenderableType] = [
        table,
        Text(f"A run here reports measured: {', '.join(measured) or 'nothing'}"),
        Text(f"                   estimated: {', '.join(estimated) or 'nothing'}"),
    ]
    for m in diagnosis.missing:
        lines.append(Text(f"missing {m.name}: {m.reason}" + (f"; fix: {m.fix}" if m.fix else "")))
    for meter, why in diagnosis.unavailable:
        lines.append(Text(f"{meter} not available: {why}", style="dim"))
    notes = [f"{c.name}: {n}" for c in diagnosis.components for n in c.notes]
    lines += [Text(f"note: {note}", style="dim") for note in notes]
    if diagnosis.advice:
        lines.append(Text("To get real measurements:"))
        lines += [Text(f"  - {advice}") for advice in diagnosis.advice]
    return Group(*lines)
