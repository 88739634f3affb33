"""`greenspike estimate`: tables for people, JSON for scripts, the hardware list, clear errors."""

from __future__ import annotations

import json

import pytest

from greenspike.energy.tdp import hardware_table

GPT3 = ("V100", "-n", "10000", "--days", "14.8", "--power-w", "330", "--pue", "1.1")


def test_json_reproduces_gpt3_as_patterson_2021_table_4(cli):
    result = cli("estimate", *GPT3, "--intensity", "429", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["provenance"] == "estimated"
    assert data["energy_mwh"] == pytest.approx(1289.376)  # paper: 1,287 MWh
    assert data["co2e_t"] == pytest.approx(553.142, abs=1e-3)  # paper: 552.1 t
    assert data["inputs"]["pue"] == 1.1
    assert len(data["equivalents"]) == 3


def test_table_shows_figures_sources_formula_and_equivalents(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "240")  # rich wraps table cells to the terminal width
    result = cli("estimate", *GPT3, "--country", "USA")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "estimated: average-power: 330 W" in out
    assert "1,289,376 kWh (1,289 MWh)" in out
    assert "E = 355.2 h x 10,000 x 330 W x PUE 1.1 / 1000 = 1,289,376 kWh" in out
    assert "Our World in Data" in out and "United States (USA)" in out
    assert "passengers flying New" in out and "Strubell et al., ACL" in out
    assert "smartphone charges" in out and "km driven by an average" in out


def test_without_intensity_the_table_says_what_co2e_needs(cli):
    result = cli("estimate", "A100-SXM4-80GB", "-n", "8", "--hours", "24")
    assert result.exit_code == 0, result.output
    assert "not estimated" in result.output and "WORLD" in result.output
    assert "assumed: full TDP" in result.output
    assert "The same CO2e as" not in result.output


def test_pue_accepts_a_provider_name(cli):
    data = json.loads(cli("estimate", "T4", "--hours", "1", "--pue", "GCP", "--json").output)
    assert data["pue"] == 1.12


def test_list_hardware_shows_every_model_with_its_tdp_and_source(cli):
    result = cli("estimate", "--list-hardware")
    assert result.exit_code == 0
    for model in ("NVIDIA Tesla V100 SXM2", "NVIDIA H200 SXM", "Google TPU v4", "Xeon Gold 6148"):
        assert model in result.output
    listed = json.loads(cli("estimate", "--list-hardware", "--json").output)
    assert len(listed) == len(hardware_table())
    assert [row["kind"] for row in listed[:3]] == ["gpu", "gpu", "gpu"]
    assert all(row["tdp_w"] > 0 and row["source"] for row in listed)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("V100", "--hours", "-3"), "--hours must be a finite number > 0, got -3.0"),
        (("V100", "--hours", "1", "-n", "0"), "--devices must be a whole number >= 1, got 0"),
        (("V100", "--hours", "1", "--pue", "0.9"), "PUE must be a finite number >= 1"),
        (("V100", "--hours", "1", "--country", "Atlantis"), "unknown country or region 'Atlantis'"),
        (("Tesla V1OO", "--hours", "1"), "unknown hardware 'Tesla V1OO'"),
        (("--hours", "1"), "name the hardware"),
    ],
)
def test_bad_input_is_one_error_line_and_exit_status_2(greenspike_process, args, message):
    done = greenspike_process("estimate", *args)
    assert done.returncode == 2
    assert done.stderr.startswith("Error: ") and message in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("V100", "--hours", "1", "--days", "1"), "give the duration in --hours or in --days"),
        (
            ("V100", "--hours", "1", "--power-w", "300", "--utilisation", "0.5"),
            "(--power-w, 300 W)",
        ),
        (
            ("--hours", "1", "--power-w", "9", "--cpu-cores", "4"),
            "--cpu-cores and --cpu-utilisation",
        ),
        (("V100", "--hours", "1", "--memory-gb", "-1"), "--memory-gb must be a finite number > 0"),
    ],
)
def test_errors_name_the_flags(cli, args, message):
    result = cli("estimate", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert "`" not in result.stderr and "=None" not in result.stderr


def test_no_arguments_shows_the_help(cli):
    result = cli("estimate")
    assert "Usage" in result.output and "--list-hardware" in result.output
