"""`greenspike compare --spiking convert|both`: the ReLU twin converted, tested and priced."""

from __future__ import annotations

import json

import pytest

from greenspike.data import LabelledImages
from greenspike.interop import ConvertedNetwork
from greenspike.ledger.sink import open_ledger
from greenspike.train import CompareConfig, compare
from greenspike.train.conversion import accuracy_by_steps, converted_twin, set_steps
from greenspike.train.datasets import load_dataset
from greenspike.train.loop import evaluate, fit
from greenspike.train.models import build_pair

QUICK = CompareConfig(epochs=4, limit=300, hidden=(32,), steps=8, curve_steps=(2, 32))


def test_convert_trains_the_relu_twin_once_and_converts_it(ledger_url):
    result = compare(CompareConfig(**{**QUICK.__dict__, "spiking": "convert"}))
    data = result.to_dict()
    assert list(data["networks"]) == ["relu", "converted"]
    assert data["config"]["spiking"] == "convert" and data["config"]["curve_steps"] == [2, 32]
    converted = result.networks["converted"]
    relu = result.networks["relu"]
    assert converted.status == "finished" and converted.optimizer_steps is None
    assert [point.steps for point in converted.curve] == [2, 8, 32]  # curve_steps and steps
    at_steps = next(point for point in converted.curve if point.steps == 8)
    assert converted.accuracy == at_steps.accuracy
    assert converted.inference.counts.steps == 8
    assert converted.training_energy.name == "convert"  # the conversion: its only training
    assert converted.conversion.calibration_samples == 300
    assert converted.conversion.layers[0].threshold > 0
    # the longer it runs, the closer to the ReLU twin it was converted from
    by_steps = {point.steps: point for point in converted.curve}
    assert by_steps[32].accuracy >= relu.accuracy - 0.03
    fp32 = {t: p.energy_j["cmos45-fp32"] for t, p in by_steps.items()}
    assert fp32[2] < fp32[8] < fp32[32]  # each step costs
    assert result.break_even is None and set(result.converted_break_even) == set(QUICK.hardware)
    assert "converted_break_even" in data and "break_even" not in data
    entry = data["networks"]["converted"]
    assert entry["conversion"]["normalisation"] == "percentile"
    assert [point["steps"] for point in entry["curve"]] == [2, 8, 32]
    runs = open_ledger(ledger_url).runs(tags={"compare": result.group})
    (run,) = [run for run in runs if run.name == "mlp-32 digits converted"]
    curve = {m.step: m.value for m in run.metrics if m.name == "curve_accuracy"}
    assert curve == {t: p.accuracy for t, p in by_steps.items()}
    assert run.last_metric("accuracy") == converted.accuracy


def test_the_converted_network_is_priced_like_a_twin_each_deployment_at_its_precision():
    config = CompareConfig(**{**QUICK.__dict__, "spiking": "convert", "epochs": 2})
    result = compare(config, ledger=None)
    converted = result.networks["converted"]
    assert converted.role == "converted" and converted.spec.kind == "spiking"
    assert result.spiking_networks == ("converted",)
    energy = converted.inference.energy
    spiking_sides = {spiking for _, spiking in config.deploy}
    assert set(energy) == set(config.hardware) | spiking_sides
    # as converted (float) on cmos45-fp32; quantized, and tested again, on the int8 hardware
    assert energy["cmos45-fp32"].accuracy == converted.accuracy
    assert energy["cmos45-fp32"].counts == converted.inference.counts.total
    int8 = energy["cmos45-int8"]
    assert int8.deployment.chip.precision.weights.name == "int8"
    assert int8.counts != converted.inference.counts.total  # the int8 network was counted
    # a verdict per hardware entry and a row per pairing, as for the spiking twin
    assert [v.network for v in result.verdicts] == ["converted"] * len(config.hardware)
    assert {v.spiking.deployment.name for v in result.verdicts} == set(config.hardware)
    assert len(result.pairings) == len(config.deploy)
    assert all(p.network == "converted" for p in result.pairings)
    # the curve's accuracy is the float network's: priced on the fp32 hardware only
    assert all(set(point.energy_j) == {"cmos45-fp32"} for point in converted.curve)
    data = result.to_dict()
    assert {d["network"] for d in data["deployments"]} == {"converted"}


def test_both_compares_three_networks_in_the_order_they_run():
    config = CompareConfig(**{**QUICK.__dict__, "spiking": "both", "epochs": 2})
    result = compare(config, ledger=None)
    assert list(result.networks) == ["relu", "spiking", "converted"]
    assert result.break_even is not None and result.converted_break_even is not None
    assert all(n.status == "finished" for n in result.networks.values())
    assert result.spiking_networks == ("spiking", "converted")
    hardware = len(config.hardware)
    assert [v.network for v in result.verdicts] == ["spiking"] * hardware + ["converted"] * hardware


def test_a_plain_comparison_keeps_the_fields_it_always_had():
    assert "spiking" not in QUICK.to_dict() and "curve_steps" not in QUICK.to_dict()
    assert QUICK.networks == ("relu", "spiking")


def test_the_cnn_twin_converts_with_its_channel_front_and_accumulated_pooling():
    train, test = load_dataset("digits", None, 0, 4)
    train = LabelledImages(train.images[:600], train.labels[:600])
    relu, _ = build_pair("cnn", (8, 8), 10, (4, 8), 4, "direct")
    fit(relu, train, epochs=3, batch_size=64, lr=5e-3, seed=0)
    network, report = converted_twin(relu, train.images, steps=32)
    assert report.accumulated_max_pools  # the second block pools after spikes
    assert any(isinstance(m, ConvertedNetwork) for m in network.modules())
    relu_accuracy = evaluate(relu, test)
    accuracy = accuracy_by_steps(network, test.images, test.labels, (4, 32))
    assert accuracy[32] >= relu_accuracy - 0.04
    set_steps(network, 32)
    assert evaluate(network, test) == accuracy[32]  # one run of 32 steps, as the curve says


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"spiking": "half"}, "unknown `spiking` network 'half'"),
        (
            {"spiking": "both", "precision": "int8"},
            "converts the float ReLU twin: use `precision` fp32",
        ),
        ({"spiking": "convert", "encoding": "rate"}, "use --encoding direct with spiking"),
        ({"spiking": "both", "curve_steps": (8, 0)}, "`curve_steps` must be integers >= 1"),
        (
            {"spiking": "convert", "dataset": "shd", "encoding": None},
            "use spiking 'twin' for event data sets",
        ),
    ],
)
def test_bad_conversion_options_are_clear_errors(change, message):
    with pytest.raises(ValueError, match=message):
        CompareConfig(**{**QUICK.__dict__, **change}).check()


def test_cli_prints_the_curve_and_writes_it(cli, tmp_path):
    result = cli(
        "compare", "--epochs", "2", "--limit", "128", "--hidden", "16", "--steps", "4",
        "--spiking", "convert", "--curve-steps", "2,16", "--out", str(tmp_path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "converted network by time steps" in result.output
    assert "ReLU twin" in result.output
    assert "the converted network costs" in result.output  # its verdict lines
    written = json.loads((tmp_path / "results.json").read_text())
    assert [p["steps"] for p in written["networks"]["converted"]["curve"]] == [2, 4, 16]
    report = (tmp_path / "report.html").read_text()
    assert "Converted network by time steps" in report
    bad = cli("compare", "--spiking", "convert", "--curve-steps", "8,x", "--out", str(tmp_path))
    assert bad.exit_code == 2 and "--curve-steps must be comma-separated integers" in bad.output
    refused = cli("compare", "--spiking", "convert", "--optimize", "--out", str(tmp_path))
    assert refused.exit_code == 2 and "use --spiking twin or both" in refused.output
    refused = cli("compare", "--spiking", "both", "--precision", "int4", "--out", str(tmp_path))
    assert refused.exit_code == 2 and "--precision" in refused.output


def test_cli_json_prints_the_converted_network_to_stdout(cli, tmp_path):
    result = cli(
        "compare", "--epochs", "1", "--limit", "128", "--hidden", "16", "--steps", "4",
        "--spiking", "convert", "--curve-steps", "2", "--out", str(tmp_path), "--json",
        "--no-ledger",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert [p["steps"] for p in printed["networks"]["converted"]["curve"]] == [2, 4]
