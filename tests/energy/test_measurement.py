"""EnergyReport: totals, carbon, JSON round trip, and the terminal view."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from greenspike.energy.carbon import NO_INTENSITY_NOTE, CarbonIntensity, carbon_intensity
from greenspike.energy.measurement import (
    STATUSES,
    Component,
    ComponentEnergy,
    EnergyReport,
    MissingComponent,
    WindowReport,
)

COMPONENTS = [
    Component("cpu:package-0", "measured", "energy counter", "rapl:package-0 (intel-rapl:0)"),
    Component("dram:0", "measured", "energy counter", "rapl:dram (intel-rapl:0:2)"),
    Component("gpu:0", "measured", "power sampling", "nvml:0 (Tesla P100)", ("a note",)),
    Component("ram", "estimated", "memory model", "memory-model: 0.3725 W/GB x 1.00 GB"),
]
energy = st.floats(0, 1e9, allow_nan=False)
status = st.sampled_from(STATUSES)
unix_s = st.floats(1.6e9, 2e9)


@st.composite
def component_energies(draw):
    chosen = draw(st.lists(st.sampled_from(COMPONENTS), unique_by=lambda c: c.name))
    return tuple(ComponentEnergy(**vars(c), energy_j=draw(energy)) for c in chosen)


def windows(components: tuple[ComponentEnergy, ...], depth: int = 2):
    children = windows(components, depth - 1) if depth else st.just(())
    window = st.builds(
        WindowReport,
        name=st.text(max_size=8),
        status=status,
        start_unix_s=unix_s,
        end_unix_s=st.none() | unix_s,
        duration_s=st.floats(0, 1e6),
        components=st.just(
            tuple(ComponentEnergy(**{**vars(c), "energy_j": 1.5}) for c in components)
        ),
        windows=children,
    )
    return st.lists(window, max_size=2).map(tuple)


@st.composite
def reports(draw):
    components = draw(component_energies())
    return EnergyReport(
        name=draw(st.none() | st.text(max_size=10)),
        status=draw(status),
        start_unix_s=draw(unix_s),
        end_unix_s=draw(st.none() | unix_s),
        duration_s=draw(st.floats(0, 1e6)),
        components=components,
        missing=tuple(draw(st.lists(st.builds(MissingComponent, st.text(), st.text(), st.text())))),
        pue=draw(st.floats(1, 3)),
        carbon_intensity=draw(
            st.none()
            | st.builds(
                CarbonIntensity,
                st.floats(0, 2000),
                st.text(),
                st.none() | st.text(),
                st.none() | st.integers(1990, 2030),
            )
        ),
        windows=draw(windows(components)),
        notes=tuple(draw(st.lists(st.text(max_size=20), max_size=3))),
    )


@settings(max_examples=40)
@given(reports())
def test_json_round_trip_gives_back_the_same_report(report):
    assert EnergyReport.from_dict(json.loads(json.dumps(report.to_dict()))) == report
    assert EnergyReport.from_json(report.to_json()) == report


@settings(max_examples=40)
@given(reports())
def test_totals_are_the_sums_of_the_components_kept_apart_by_provenance(report):
    measured = math.fsum(c.energy_j for c in report.components if c.provenance == "measured")
    estimated = math.fsum(c.energy_j for c in report.components if c.provenance == "estimated")
    assert report.measured_energy_j == measured
    assert report.estimated_energy_j == estimated
    assert report.energy_j == pytest.approx(measured + estimated, rel=1e-12)
    assert report.kwh == report.energy_j / 3.6e6
    totals = report.to_dict()["totals"]
    assert totals["energy_j"] == report.energy_j and totals["measured_energy_j"] == measured


def report_of(*energies_j: float, intensity: CarbonIntensity | None = None, pue: float = 1.0):
    components = tuple(
        ComponentEnergy(**vars(c), energy_j=e) for c, e in zip(COMPONENTS, energies_j, strict=False)
    )
    return EnergyReport(
        "run", "finished", 1.7e9, 1.7e9 + 60, 60.0, components, pue=pue, carbon_intensity=intensity
    )


def test_co2e_is_kwh_times_pue_times_intensity():
    report = report_of(3.6e6, 3.6e6, intensity=carbon_intensity("FRA"), pue=1.5)
    assert report.kwh == 2.0
    assert report.co2e_g == pytest.approx(2.0 * 1.5 * carbon_intensity("FRA").intensity_g_per_kwh)
    assert report.carbon_note is None


def test_without_an_intensity_there_is_no_co2e_and_the_report_says_why():
    report = report_of(100.0)
    assert report.co2e_g is None
    assert report.carbon_note == NO_INTENSITY_NOTE
    assert report.to_dict()["co2e_g"] is None
    assert "--country" in report.to_dict()["carbon_note"]


def test_energy_of_one_component_and_labels():
    report = report_of(1.0, 2.0, 3.0, 4.0)
    assert report.energy_of("gpu:0") == 3.0
    assert report.energy_of("gpu:7") is None
    labels = [c["label"] for c in report.to_dict()["components"]]
    assert labels == ["measured", "measured", "measured (power sampling)", "estimated"]


def test_from_dict_refuses_what_is_not_a_report():
    with pytest.raises(ValueError, match="not a greenspike energy report"):
        EnergyReport.from_dict({"name": "x"})
    data = report_of(1.0).to_dict()
    data["status"] = "exploded"
    with pytest.raises(ValueError, match="unknown run status 'exploded'"):
        EnergyReport.from_dict(data)


def test_write_json_replaces_the_file_whole(tmp_path):
    path = tmp_path / "run.json"
    report_of(1.0).write_json(path)
    report_of(2.0).write_json(path)
    assert EnergyReport.from_json(path.read_text()) == report_of(2.0)
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]


def render(report: EnergyReport) -> str:
    from greenspike.report.terminal import energy_report_view

    console = Console(width=200, record=True)
    console.print(energy_report_view(report))
    return console.export_text()


def test_terminal_view_shows_provenance_missing_totals_and_windows():
    window = WindowReport(
        "epoch-0",
        "interrupted",
        1.7e9,
        None,
        2.0,
        tuple(ComponentEnergy(**vars(c), energy_j=1.0) for c in COMPONENTS),
    )
    report = EnergyReport(
        "train",
        "interrupted",
        1.7e9,
        1.7e9 + 2,
        2.0,
        tuple(ComponentEnergy(**vars(c), energy_j=10.0) for c in COMPONENTS),
        missing=(MissingComponent("cpu:package-1", "permission denied", "run as root"),),
        windows=(window,),
        notes=("ended by KeyboardInterrupt",),
    )
    text = render(report)
    for expected in (
        "Energy of train: interrupted, 2.0 s",
        "rapl:package-0 (intel-rapl:0)",
        "measured (power sampling)",
        "cpu:package-1",
        "missing cpu:package-1: permission denied; fix: run as root",
        "measured + estimated",
        "  epoch-0: 4 J (measured 3 J, estimated 1 J), 2.00 s, interrupted",
        "gpu:0: a note",
        "note: ended by KeyboardInterrupt",
        "no CO2e: carbon needs the country",
    ):
        assert expected in text, expected


def test_terminal_view_shows_the_carbon_arithmetic():
    text = render(report_of(3.6e6, intensity=CarbonIntensity(100.0, "given by the user"), pue=1.2))
    assert "CO2e: 120 g = 1 kWh x PUE 1.2 x 100 gCO2e/kWh (given by the user)" in text
