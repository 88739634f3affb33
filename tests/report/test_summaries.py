"""`print(result)` and `result.summary()` for EnergyReport, FootprintEstimate and CostReport.

The summary is built next to the result (plain data, no rich); the command line draws the very
same cells with rich, so the two can be compared cell by cell.
"""

from __future__ import annotations

import re

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

import greenspike as gs
from greenspike._summary import Column, Summary, TextTable
from greenspike.energy.measurement import (
    ComponentEnergy,
    Components,
    EnergyReport,
    MissingComponent,
    WindowReport,
)
from greenspike.report._tables import summary_view


def drawn(summary: Summary, width: int = 200) -> list[str]:
    console = Console(width=width, record=True)
    console.print(summary_view(summary))
    return [line.rstrip() for line in console.export_text().splitlines()]


def assert_drawn_like_printed(summary: Summary, width: int = 200) -> None:
    """Every row's cells appear, in order, on one line of the drawing, as in str(summary)."""
    text = str(summary)
    lines = drawn(summary, width)
    for table in summary.tables:
        for row in (row for section in table.sections for row in section):
            pattern = r"\s+".join(re.escape(c) for c in row if c)
            assert any(re.search(pattern, line) for line in lines), row
            assert any(re.search(pattern, line) for line in text.splitlines()), row
    for line in summary.text_lines:
        assert line in text


def report() -> EnergyReport:
    cpu = ComponentEnergy(
        "cpu:package-0", "measured", "energy counter", "rapl:package-0", energy_j=1864.9
    )
    ram = ComponentEnergy(
        "ram", "estimated", "memory model", "memory-model: 0.37 W/GB", energy_j=9.9
    )
    window = WindowReport("epoch-0", "finished", 1.7e9, 1.7e9 + 2, 2.0, Components((cpu, ram)))
    return EnergyReport(
        "train",
        "finished",
        1.7e9,
        1.7e9 + 79.4,
        79.4,
        (cpu, ram),
        missing=(MissingComponent("dram:0", "permission denied", "run as root"),),
        carbon_intensity=gs.energy.carbon_intensity("FRA"),
        windows=(window,),
        notes=("a note",),
    )


def test_print_of_an_energy_report_is_a_short_readable_summary(capsys):
    print(report())
    text = capsys.readouterr().out
    assert not text.startswith("EnergyReport(")  # not the dataclass dump
    lines = text.splitlines()
    assert lines[0] == "Energy of train: finished, 79.4 s"
    assert "cpu:package-0  1.86 kJ  measured" in text and "rapl:package-0" in text
    assert re.search(r"total\s+1.87 kJ\s+measured \+ estimated\s+= 0.0005208 kWh", text)
    assert "missing dram:0: permission denied; fix: run as root" in text
    assert "  epoch-0: 1.87 kJ (measured 1.86 kJ, estimated 9.9 J), 2.00 s" in text
    assert "CO2e: 0.023 g = 0.0005208 kWh x PUE 1 x 44.18 gCO2e/kWh (France (FRA), 2024;" in text
    assert "note: a note" in text
    assert repr(report()).startswith("EnergyReport(")  # repr stays the exact one


def test_the_cli_draws_the_same_summary(monkeypatch):
    assert_drawn_like_printed(report().summary())
    from greenspike.report.terminal import energy_report_view

    console = Console(width=200, record=True)
    console.print(energy_report_view(report()))
    lines = [line.rstrip() for line in console.export_text().splitlines()]
    assert lines == drawn(report().summary())  # the same, title included


def test_at_80_columns_no_line_is_longer_and_no_figure_breaks():
    lines = drawn(report().summary(), width=80)
    assert all(len(line) <= 80 for line in lines)
    row = next(line for line in lines if line.startswith("cpu:package-0"))
    assert "1.86 kJ" in row and "measured" in row  # whole, on the component's line


def test_a_summary_shows_both_scopes_the_rank_and_the_forecast_where_they_matter():
    from dataclasses import replace

    from greenspike.energy.forecast import Forecast
    from greenspike.energy.placement import Placement

    forecast = Forecast(
        10, 2, 2, 0.9, 9000.0, 8000.0, 10000.0, 600.0, 500.0, 700.0,
        None, None, None, 1874.8, 80.0, 900.0, 60.0,
    )  # fmt: skip
    placement = Placement("torchrun", "job-7", 3, 8, 1, 4, 0, "node-a")
    shared = replace(
        report(), other_scope_energy_j=420.0, placement=placement, forecast=forecast
    ).summary()
    text = str(shared)
    assert (
        "Scope machine (everything on these CPUs and GPUs): 1.87 kJ. In process scope (the "
        "tracked process and its children): 420 J; choose with --scope / scope=." in text
    )
    assert "rank 3 of 8 (local rank 1, node 0) under torchrun, job job-7" in text
    assert f"Forecast: {forecast.summary()}" in text
    assert_drawn_like_printed(shared)
    assert all(len(line) <= 80 for line in drawn(shared, width=80))
    # alike scopes, one rank, no forecast: none of those lines
    plain = str(replace(report(), other_scope_energy_j=1874.0, placement=Placement(rank=0)))
    assert "Scope" not in plain and "rank" not in plain and "Forecast" not in plain


def test_print_of_a_footprint_estimate(capsys):
    run = gs.estimate_footprint("V100", devices=8, hours=24, pue=1.1, country="FRA")
    print(run)
    text = capsys.readouterr().out
    assert text.startswith("Footprint estimate (estimated: tdp-utilisation: 300 W x 100 %)")
    assert "Energy: 63.36 kWh" in text and "CO2e: 2.799 kg" in text
    assert "  E = 24 h x 8 x 1 x 300 W x PUE 1.1 / 1000 = 63.36 kWh" in text
    assert "The same CO2e as" in text
    assert_drawn_like_printed(run.summary())


def test_print_of_a_cost_report(capsys):
    _, spiking = gs.train.build_pair("mlp", (8, 8), 10, (16,), 4, "direct")
    images = gs.data.load_digits("test").images[:40]
    torch.manual_seed(0)
    cost = gs.cost.count(spiking, images)
    print(cost)
    text = capsys.readouterr().out
    assert text.startswith("Cost of one inference of Sequential")
    total = cost.total
    ops = f"{total.effective_macs:,.0f} MAC + {total.effective_acs:,.0f} AC"
    assert re.search(rf"total\s+{re.escape(ops)}\s+{total.neuron_updates:,.0f}", text)
    assert f"{cost.spike_rate:.1%}" in text and "40 samples profiled, 4 time steps" in text
    assert_drawn_like_printed(cost.summary())


def test_components_by_name_and_as_a_tuple():
    components = report().components
    assert components["ram"].energy_j == 9.9
    assert components[0].name == "cpu:package-0" and components[-1] is components["ram"]
    assert [c.name for c in components] == ["cpu:package-0", "ram"] == list(components.names)
    assert len(components[:1]) == 1 and "ram" in components and "gpu:0" not in components
    assert components.get("gpu:0") is None
    with pytest.raises(KeyError, match="no component 'cpu' in this report; its components: "):
        components["cpu"]
    again = EnergyReport.from_json(report().to_json())
    assert isinstance(again.components, Components) and again.components["ram"].energy_j == 9.9
    assert again.windows[0].components["cpu:package-0"].energy_j == 1864.9


@given(
    st.lists(
        st.tuples(st.text("abc xyz", min_size=0, max_size=12), st.text("0123456789.", max_size=8)),
        min_size=1,
        max_size=6,
    )
)
def test_a_text_table_lines_up_its_columns(rows):
    table = TextTable.of((Column("name"), Column("value", "right")), rows)
    lines = table.lines()
    assert len(lines) == 2 + len(rows)
    width = len(lines[1])  # the rule spans the table
    for line, (name, value) in zip(lines[2:], rows, strict=True):
        assert line.startswith(name) and line.endswith(value) if value else True
        assert len(line) <= width
    with pytest.raises(ValueError, match="a row of 1 cells in a table of 2 columns"):
        TextTable.of((Column("a"), Column("b")), [("only one",)])
