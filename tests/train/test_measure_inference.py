"""`compare --measure-inference`: each twin's inference run and measured on this machine."""

from __future__ import annotations

import json

import pytest

from greenspike.errors import InvalidInputError
from greenspike.train import CompareConfig, compare

TINY = dict(epochs=1, limit=64, hidden=(8,), steps=2, hardware=("cmos45-fp32",), deploy=())


@pytest.mark.slow  # trains both twins, then six measured runs
def test_cli_measures_each_twin_with_provenance_on_every_joule(cli, tmp_path):
    result = cli(
        "compare", "--epochs", "1", "--limit", "64", "--hidden", "8", "--steps", "2",
        "--hardware", "cmos45-fp32", "--out", str(tmp_path), "--measure-inference",
        "--measure-seconds", "0.05", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "results.json").read_text())
    measured = written["measured_inference"]
    assert measured["seconds_per_run"] == 0.05
    runs = measured["runs"]
    seen = [(r["network"], r["implementation"], r["batch"]) for r in runs]
    assert seen == [
        ("relu", "torch", 1), ("relu", "torch", 64),
        ("spiking", "dense", 1), ("spiking", "dense", 64),
        ("spiking", "event-driven", 1), ("spiking", "event-driven", 64),
    ]  # fmt: skip
    test_size = written["data"]["test"]
    for run in runs:
        energy = run["energy_j_per_inference"]
        assert energy["value"] > 0
        assert energy["value"] == pytest.approx(energy["measured_j"] + energy["estimated_j"])
        assert energy["provenance"] in ("measured", "estimated", "estimated + measured")
        assert energy["sources"] and all(
            s["provenance"] in ("measured", "estimated") and s["source"] for s in energy["sources"]
        )
        assert run["inferences"] == run["calls"] * run["batch"] >= run["batch"]
        assert run["throughput_per_s"] == pytest.approx(run["inferences"] / run["duration_s"])
        assert run["latency_s"] == pytest.approx(run["duration_s"] / run["calls"])
        assert 0 <= run["accuracy"] <= 1 and round(run["accuracy"] * test_size) == pytest.approx(
            run["accuracy"] * test_size
        )
        model = run["cost_model_j_per_inference"]
        assert model["provenance"] == "estimated" and "cmos45-fp32" in model["source"]
        network = written["networks"][run["network"]]
        priced = network["inference"]["energy"]["cmos45-fp32"]
        assert model["value"] == priced["energy_j"] and model["source"] == priced["provenance"]
    # The dense spiking twin is the trained network itself: its accuracy is the reported one.
    dense = next(r for r in runs if r["implementation"] == "dense")
    assert dense["accuracy"] == written["networks"]["spiking"]["accuracy"]
    relu = next(r for r in runs if r["network"] == "relu")
    assert relu["accuracy"] == written["networks"]["relu"]["accuracy"]


def test_the_measurement_is_a_tracked_run_with_a_window_per_run(tmp_path):
    config = CompareConfig(**TINY, measure_inference_s=0.02)
    result = compare(config, ledger=str(tmp_path / "ledger.db"))
    measured = result.measured_inference
    assert measured is not None and measured.run_id is not None
    windows = [run.window.name for run in measured.runs]
    assert windows == [run.name for run in measured.runs] and len(set(windows)) == 6
    for run in measured.runs:
        assert run.window.duration_s >= 0.02 * 0.9
        assert run.energy_j_per_inference == pytest.approx(run.window.energy_j / run.inferences)


def test_without_the_option_nothing_is_measured():
    result = compare(CompareConfig(**TINY), ledger=None)
    assert result.measured_inference is None
    assert "measured_inference" not in result.to_dict()


@pytest.mark.parametrize("seconds", [0, -1.0, True, "3"])
def test_bad_seconds_are_named(seconds):
    with pytest.raises(InvalidInputError, match="`measure_inference_s` must be a number"):
        CompareConfig(**TINY, measure_inference_s=seconds).check()
