"""Per-inference cost in `greenspike compare`: counts, energy per deployment at its precision,
accuracy there, break-even."""

from __future__ import annotations

import json
import math
import sys

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import greenspike as gs
from greenspike.train import CompareConfig, build_pair, compare, load_dataset
from greenspike.train.inference import (
    CALIBRATION_IMAGES,
    COUNT_BATCH,
    DEFAULT_HARDWARE,
    break_even,
)

QUICK = CompareConfig(epochs=3, limit=200, hidden=(32,), steps=4)
ENERGY_FIELDS = ("energy_j", "priced_j", "compute_j", "memory_j", "neuron_j", "unpriced")


@pytest.fixture
def built(monkeypatch):
    """The (relu, spiking) networks `compare` builds, trained in place by it."""
    compare_module = sys.modules["greenspike.train.comparison"]
    pairs = []

    def recording_build_pair(*args, **kwargs):
        pairs.append(build_pair(*args, **kwargs))
        return pairs[-1]

    monkeypatch.setattr(compare_module, "build_pair", recording_build_pair)
    return pairs


@pytest.mark.parametrize("encoding", ["direct", "rate"])
def test_json_energy_is_the_cost_model_of_the_networks_at_each_precision(built, encoding):
    config = CompareConfig(**{**QUICK.__dict__, "encoding": encoding, "deploy": ()})
    result = compare(config).to_dict()
    json.loads(json.dumps(result, allow_nan=False))  # strict JSON: no Infinity
    (networks,) = built
    train, test = load_dataset("digits")
    calibration = train.images[: config.limit][:CALIBRATION_IMAGES]
    for name, network in zip(("relu", "spiking"), networks, strict=True):
        torch.manual_seed(config.seed)  # the same spikes from the rate encoder, batch by batch
        report = gs.cost.count(network.eval(), test.images, batch_size=COUNT_BATCH)
        inference = result["networks"][name]["inference"]
        assert inference["samples"] == len(test.labels)
        assert inference["total"] == pytest.approx(report.total.to_dict())
        for hardware in DEFAULT_HARDWARE:
            profile = gs.cost.find_profile(hardware)
            deployed = network
            if not profile.precision.is_fp32:  # priced as it would run: quantized
                torch.manual_seed(config.seed)
                deployed = gs.quant.quantize(network, profile.precision, calibration)
            torch.manual_seed(config.seed)
            accuracy = gs.train.evaluate(deployed, test)
            torch.manual_seed(config.seed)
            deployed_report = gs.cost.count(deployed, test.images, batch_size=COUNT_BATCH)
            expected = deployed_report.energy(hardware).to_dict()
            written = inference["energy"][hardware]
            for field in ENERGY_FIELDS:
                assert written[field] == pytest.approx(expected[field]), (name, hardware, field)
            assert written["provenance"] == expected["provenance"]
            assert written["counts"] == pytest.approx(deployed_report.total.to_dict())
            assert written["accuracy"] == accuracy
            assert written["precision"] == {"chip": profile.precision.to_dict()}
        if name == "spiking":
            assert result["networks"][name]["spike_rate"] == pytest.approx(report.spike_rate)
    # Loihi has no multiply-accumulate: the ReLU twin never gets a total there, and the spiking
    # twin only when its first layer gets spikes rather than pixel values
    loihi = {n: e["inference"]["energy"]["loihi"] for n, e in result["networks"].items()}
    assert loihi["relu"]["energy_j"] is None
    assert loihi["relu"]["unpriced_layers"] == ["1", "4"]  # both Linear layers
    assert "multiply-accumulates" in loihi["relu"]["unpriced"][0]
    if encoding == "direct":
        assert loihi["spiking"]["energy_j"] is None
        assert loihi["spiking"]["unpriced_layers"] == ["1"]  # the first Linear
        assert loihi["spiking"]["priced_j"] > 0
    else:
        assert loihi["spiking"]["complete"]
        assert loihi["spiking"]["energy_j"] == loihi["spiking"]["priced_j"] > 0
    assert result["break_even"]["loihi"]["verdict"] == "unpriced"
    assert "cannot price" in result["break_even"]["loihi"]["reason"]


def test_break_even_agrees_with_the_energies_in_the_result():
    result = compare(CompareConfig(**{**QUICK.__dict__, "steps": 1})).to_dict()
    spiking, relu = (result["networks"][n] for n in ("spiking", "relu"))
    for hardware in ("cmos45-fp32", "cmos45-int8"):
        _assert_consistent(
            result["break_even"][hardware],
            spiking["spike_rate"],
            spiking["inference"]["energy"][hardware]["energy_j"],
            relu["inference"]["energy"][hardware]["energy_j"],
        )


@settings(max_examples=20, deadline=None)
@given(
    steps=st.integers(1, 3),
    hidden=st.integers(4, 48),
    gain=st.floats(0.05, 8.0),
    encoding=st.sampled_from(["direct", "rate"]),
    hardware=st.sampled_from(["cmos45-fp32", "cmos45-int8"]),
)
def test_break_even_verdict_matches_the_energy_at_the_observed_rate(
    steps, hidden, gain, encoding, hardware
):
    torch.manual_seed(0)
    relu, spiking = build_pair("mlp", (8, 8), 10, (hidden,), steps, encoding)
    with torch.no_grad():
        for parameter in spiking.parameters():
            parameter.mul_(gain)  # from nearly silent to nearly saturated hidden layers
    images = torch.rand(32, 8, 8)
    relu_report = gs.cost.count(relu, images)
    spiking_report = gs.cost.count(spiking, images)
    _assert_consistent(
        break_even(spiking_report, relu_report, gs.cost.deployment(hardware)).to_dict(),
        spiking_report.spike_rate,
        spiking_report.energy(hardware).energy_j,
        relu_report.energy(hardware).energy_j,
    )


def _assert_consistent(entry, rate, spiking_j, relu_j):
    """The spiking twin costs less at its observed rate exactly when that rate is below r*."""
    if entry["verdict"] == "never":
        assert entry["spike_rate"] == 0
        assert spiking_j >= relu_j
    elif entry["verdict"] == "always":
        assert entry["spike_rate"] is None or entry["spike_rate"] >= 1
        assert spiking_j <= relu_j * (1 + 1e-9)
    else:
        assert entry["verdict"] == "below"
        assert 0 < entry["spike_rate"] < 1
        if not math.isclose(rate, entry["spike_rate"], rel_tol=1e-9):
            assert (spiking_j < relu_j) == (rate < entry["spike_rate"])


@pytest.mark.parametrize("hardware", [("tpu9",), ("loihi", "cmos45-fp16")])
def test_unknown_hardware_names_the_known_profiles(hardware):
    with pytest.raises(ValueError, match=r"unknown hardware profile .*cmos45-fp32, .*loihi"):
        CompareConfig(**{**QUICK.__dict__, "hardware": hardware}).check()


def test_no_hardware_is_an_error():
    with pytest.raises(ValueError, match="at least one hardware profile"):
        CompareConfig(**{**QUICK.__dict__, "hardware": ()}).check()


def test_cli_shows_energy_per_profile_and_why_loihi_has_no_total(cli, tmp_path):
    result = cli(
        "compare", "--epochs", "1", "--limit", "128", "--hidden", "16", "--steps", "3",
        "--out", str(tmp_path), "--hardware", "cmos45-int8, loihi",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "results.json").read_text())
    assert written["config"]["hardware"] == ["cmos45-int8", "loihi"]
    assert set(written["break_even"]) == {"cmos45-int8", "loihi"}
    output = " ".join(result.output.split())  # undo the table's wrapping
    for text in ("energy on cmos45-int8", "energy on loihi", "break-even spike rate", "no total"):
        assert text in output
    assert "loihi, spiking: no total" in output
    assert "first layer gets pixel values" in output
    assert "cmos45-fp32 " not in output
    assert "not computed" not in output


def test_cli_unknown_hardware_exits_2(cli, tmp_path):
    result = cli("compare", "--out", str(tmp_path), "--hardware", "cmos45-fp32,gpu")
    assert result.exit_code == 2
    assert "unknown hardware profile 'gpu'" in result.output


def test_interrupted_spiking_training_keeps_relu_cost_and_has_no_break_even():
    def stop_in_spiking(network, epoch, batch, batches, loss):
        if network == "spiking":
            raise KeyboardInterrupt

    result = compare(QUICK, on_batch=stop_in_spiking).to_dict()
    assert result["status"] == "interrupted"
    assert result["networks"]["relu"]["inference"]["energy"]["cmos45-fp32"]["energy_j"] > 0
    assert "inference" not in result["networks"]["spiking"]
    assert "break_even" not in result
