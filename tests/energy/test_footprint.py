"""estimate_footprint: the sums, their sources, what is left out, and bad input."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import greenspike as gs
from greenspike._units import number as format_number
from greenspike.energy.carbon import carbon_intensity
from greenspike.energy.footprint import estimate_footprint

hours = st.floats(min_value=1e-3, max_value=1e5, allow_nan=False)
watts = st.floats(min_value=1, max_value=2000, allow_nan=False)
pues = st.floats(min_value=1, max_value=3, allow_nan=False)


def test_tdp_path_uses_the_table_and_states_full_utilisation_as_an_assumption():
    run = estimate_footprint("A100-SXM4-80GB", devices=8, hours=24, pue=1.1)
    assert run.energy_kwh == pytest.approx(24 * 8 * 400 * 1.1 / 1000)
    assert run.provenance == "estimated"
    assert run.method == "tdp-utilisation: 400 W x 100 %"
    assumed = {a.name: a for a in run.assumptions}
    assert assumed["TDP of NVIDIA A100 SXM4 80GB"].source.startswith("https://www.nvidia.com")
    assert assumed["utilisation of the TDP"].value == 1.0
    assert assumed["utilisation of the TDP"].source.startswith("assumed: full TDP")
    assert run.formula[0] == "E = 24 h x 8 x 1 x 400 W x PUE 1.1 / 1000 = 84.48 kWh"


def test_a_given_utilisation_scales_the_tdp_and_names_the_method_as_design_md_does():
    run = estimate_footprint("V100 PCIe", hours=10, utilisation=0.37, pue=1.0)
    assert run.method == "tdp-utilisation: 250 W x 37 %"
    assert run.device_power_w == pytest.approx(92.5)
    assert run.energy_kwh == pytest.approx(0.925)


def test_cpu_and_memory_terms_add_to_the_device_power():
    # Xeon Gold 6148: 150 W TDP over 20 cores = 7.5 W per core (bundled, via Green Algorithms).
    run = estimate_footprint(
        "T4", devices=2, hours=5, cpu="Xeon Gold 6148", memory_gb=64, pue=1.2, country="FRA"
    )
    assert run.cpu_power_w == pytest.approx(20 * 7.5)  # all cores of one chip, assumed
    assert run.memory_power_w == pytest.approx(64 * 0.3725)
    assert run.power_w == pytest.approx(2 * 70 + 150 + 23.84)
    assert run.energy_kwh == pytest.approx(5 * (140 + 150 + 23.84) * 1.2 / 1000)
    assumed = {a.name: a.source for a in run.assumptions}
    assert assumed["CPU cores used"] == "assumed: all cores of one Xeon Gold 6148"
    assert "Karyakin" in assumed["DRAM power per GB"]
    assert run.formula[0] == (
        "E = 5 h x (2 x 1 x 70 W + 20 cores x 7.5 W x 1 + 64 GB x 0.3725 W/GB) x PUE 1.2"
        " / 1000 = 1.883 kWh"
    )


def test_given_cpu_cores_and_utilisation_are_used_and_labelled_given():
    run = estimate_footprint(power_w=300, hours=1, cpu="any", cpu_cores=16, cpu_utilisation=0.5)
    assert run.cpu_power_w == pytest.approx(16 * 12 * 0.5)  # Green Algorithms' generic 12 W core
    assumed = {a.name: a.source for a in run.assumptions}
    assert assumed["CPU cores used"] == assumed["CPU utilisation"] == "given by the user"


def test_no_country_and_no_intensity_means_energy_only_and_says_why():
    run = estimate_footprint("H100 SXM", hours=2)
    assert run.energy_kwh > 0
    assert run.co2e_kg is None and run.co2e_t is None and run.equivalents == ()
    assert "carbon needs the country" in run.co2e_note and "WORLD" in run.co2e_note
    assert len(run.formula) == 1
    assert not any("carbon intensity" in a.name for a in run.assumptions)


def test_a_country_brings_its_intensity_with_region_year_and_source():
    run = estimate_footprint("H100 SXM", hours=2, country="DE")
    germany = carbon_intensity("DEU")
    assert run.intensity_g_per_kwh == germany.intensity_g_per_kwh
    assert run.co2e_kg == pytest.approx(run.energy_kwh * germany.intensity_g_per_kwh / 1000)
    assumed = run.assumptions[-1]
    assert assumed.name == f"carbon intensity of Germany (DEU), {germany.year}"
    assert "Our World in Data" in assumed.source
    assert {e.unit for e in run.equivalents} == {"km", "passenger round trips", "charges"}


def test_no_pue_means_no_overhead_and_says_so_with_the_industry_average():
    run = estimate_footprint(power_w=100, hours=10)
    assert run.pue == 1.0 and run.energy_kwh == 1.0
    source = next(a for a in run.assumptions if a.name == "PUE").source
    assert source.startswith("not given: 1, no data-centre overhead counted")
    assert "industry average is 1.56" in source and "Uptime Institute" in source
    assert estimate_footprint(power_w=100, hours=10, pue="gcp").pue == 1.12
    assert estimate_footprint(power_w=100, hours=10, pue="unknown").pue == 1.56


def test_to_dict_is_json_with_inputs_provenance_and_both_unit_scales():
    run = estimate_footprint(
        "v100", devices=10_000, days=14.8, power_w=330, pue=1.1, intensity_g_per_kwh=429
    )
    data = json.loads(json.dumps(run.to_dict()))
    assert data["provenance"] == "estimated"
    assert data["inputs"] == {
        "hardware": "v100",
        "devices": 10_000,
        "days": 14.8,
        "power_w": 330,
        "pue": 1.1,
        "intensity_g_per_kwh": 429,
    }
    assert data["hardware"]["model"] == "NVIDIA Tesla V100"
    assert data["energy_mwh"] == pytest.approx(data["energy_kwh"] / 1000)
    assert data["co2e_t"] == pytest.approx(data["co2e_kg"] / 1000)
    assert data["power_w"]["total"] == pytest.approx(10_000 * 330)
    assert all(set(a) == {"name", "value", "unit", "source"} for a in data["assumptions"])
    assert all(e["source"] and e["year"] for e in data["equivalents"])


def test_top_level_export():
    run = gs.estimate_footprint("L4", hours=1, intensity_g_per_kwh=100)
    assert run.co2e_kg == pytest.approx(72 / 1000 * 100 / 1000)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hours": -3}, r"`hours` must be a finite number > 0, got -3"),
        ({"hours": 0}, r"`hours` must be a finite number > 0, got 0"),
        ({"days": math.nan}, r"`days` must be a finite number > 0, got nan"),
        (
            {"hours": 1, "days": 1},
            r"give the duration in `hours` or in `days`, exactly one \(got both",
        ),
        ({}, r"give the duration in `hours` or in `days`, exactly one \(got neither"),
        ({"hours": 1, "devices": 0}, r"`devices` must be a whole number >= 1, got 0"),
        ({"hours": 1, "devices": 2.5}, r"`devices` must be a whole number >= 1, got 2.5"),
        ({"hours": 1, "pue": 0.95}, r"PUE must be a finite number >= 1 .*got 0.95"),
        ({"hours": 1, "pue": "hetzner"}, r"unknown PUE provider 'hetzner'"),
        ({"hours": 1, "country": "Atlantis"}, r"unknown country or region 'Atlantis'"),
        ({"hours": 1, "intensity_g_per_kwh": -5}, r"carbon intensity must be .* got -5"),
        ({"hours": 1, "utilisation": 1.5}, r"`utilisation` must be a fraction in \(0, 1\].*1.5"),
        ({"hours": 1, "utilisation": 0}, r"`utilisation` must be a fraction in \(0, 1\].*got 0"),
        (
            {"hours": 1, "power_w": 300, "utilisation": 0.5},
            r"`power_w`, 300 W.*`utilisation`, 0.5\), not both",
        ),
        (
            {"hours": 1, "power_w": -300},
            r"`power_w` \(average power per device\) must be a finite number > 0 W, got -300",
        ),
        ({"hours": 1, "cpu_cores": 8}, r"`cpu_cores` and `cpu_utilisation` need the CPU model"),
        ({"hours": 1, "cpu": "Core i7-8700K", "cpu_cores": 0}, r"`cpu_cores` must be .* got 0"),
        (
            {"hours": 1, "cpu": "Pentium 4"},
            r"unknown hardware 'Pentium 4'.*give 'any' as the CPU \(`cpu`\)",
        ),
        ({"hours": 1, "memory_gb": -1}, r"`memory_gb` must be a finite number > 0 GB, got -1"),
    ],
)
def test_bad_input_is_rejected_naming_the_value(kwargs, message):
    with pytest.raises(ValueError, match=message):
        estimate_footprint("V100", **kwargs)


def test_unknown_hardware_lists_close_matches_and_no_hardware_needs_a_power():
    with pytest.raises(ValueError, match=r"unknown hardware 'V1OO'.*close matches"):
        estimate_footprint("V1OO", hours=1)
    with pytest.raises(ValueError, match=r"name the hardware .* or give the average power"):
        estimate_footprint(hours=1)


@given(hours, hours, watts, st.integers(1, 64))
def test_energy_is_additive_in_time(h1, h2, power, devices):
    def energy(h):
        return estimate_footprint(power_w=power, devices=devices, hours=h, pue=1).energy_kwh

    assert energy(h1 + h2) == pytest.approx(energy(h1) + energy(h2))


@given(hours, watts, st.integers(1, 10_000))
def test_energy_is_proportional_to_the_device_count(h, power, devices):
    one = estimate_footprint(power_w=power, hours=h).energy_kwh
    assert estimate_footprint(power_w=power, devices=devices, hours=h).energy_kwh == (
        pytest.approx(devices * one)
    )


@given(hours, watts, pues)
def test_energy_scales_with_the_pue(h, power, pue):
    it_only = estimate_footprint(power_w=power, hours=h, pue=1).energy_kwh
    assert it_only == pytest.approx(h * power / 1000)
    assert estimate_footprint(power_w=power, hours=h, pue=pue).energy_kwh == (
        pytest.approx(pue * it_only)
    )


@given(hours, st.floats(min_value=0, max_value=2000, allow_nan=False))
def test_co2e_is_energy_times_intensity(h, intensity):
    run = estimate_footprint("RTX 4090", hours=h, intensity_g_per_kwh=intensity)
    assert run.co2e_kg == pytest.approx(run.energy_kwh * intensity / 1000)
    for equivalent in run.equivalents:
        assert equivalent.amount * equivalent.co2e_kg_per_unit == pytest.approx(run.co2e_kg)


@given(st.floats(min_value=1e-3, max_value=1e3, allow_nan=False))
def test_days_are_24_hours(days):
    in_days = estimate_footprint("TPU v4", days=days)
    assert in_days.duration_h == pytest.approx(24 * days)
    assert in_days.energy_kwh == pytest.approx(
        estimate_footprint("TPU v4", hours=24 * days).energy_kwh
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1_289_376.0000000005, "1,289,376"),
        (355.2, "355.2"),
        (0.3725, "0.3725"),
        (8.448, "8.448"),
        (1.1, "1.1"),
        (10_000, "10,000"),
        (0.00822, "0.00822"),
        (0, "0"),
    ],
)
def test_numbers_in_the_formula_read_as_written(value, text):
    assert format_number(value) == text
