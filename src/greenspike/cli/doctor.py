"""`greenspike doctor`: which energy meters this machine has, and how to get real measurements."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table


def doctor(
    cpu_tdp_w: float = typer.Option(
        None, "--cpu-tdp-w", help="Watts of the CPUs a run may use at full load (CPU estimate)."
    ),
) -> None:
    """Show each energy meter: readable or not and why, what would be estimated, what to do."""
    from greenspike.energy.doctor import diagnose

    diagnosis = diagnose(cpu_tdp_w)
    table = Table(title="Energy meters on this machine", title_justify="left")
    table.add_column("component")
    table.add_column("status")
    table.add_column("power now", justify="right")
    table.add_column("source, or why not")
    for c in diagnosis.components:
        power = diagnosis.power_w.get(c.name)
        table.add_row(
            c.name,
            f"[green]{c.label}[/]" if c.provenance == "measured" else f"[yellow]{c.label}[/]",
            "" if power is None else f"{power:.3g} W",
            escape("\n".join((c.source, *c.notes))),
        )
    for m in diagnosis.missing:
        fix = f"\nfix: {m.fix}" if m.fix else ""
        table.add_row(m.name, "[red]missing[/]", "", escape(m.reason + fix))
    for meter, why in diagnosis.unavailable:
        table.add_row(f"({meter})", "[dim]not available[/]", "", escape(why))
    console = Console()
    console.print(table)
    measured = [c.name for c in diagnosis.components if c.provenance == "measured"]
    estimated = [c.name for c in diagnosis.components if c.provenance == "estimated"]
    console.print(f"A run here reports measured: {', '.join(measured) or 'nothing'}")
    console.print(f"                   estimated: {', '.join(estimated) or 'nothing'}")
    if diagnosis.advice:
        console.print("To get real measurements:")
        for advice in diagnosis.advice:
            console.print(f"  - {escape(advice)}")
