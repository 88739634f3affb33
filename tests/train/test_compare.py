"""greenspike.train and `greenspike compare`: twins, training, JSON, errors, interrupts."""

from __future__ import annotations

import json
import sys

import pytest
import torch

from greenspike.train import CompareConfig, build_pair, compare, load_dataset
from greenspike.train.models import Encoder, OverTime

QUICK = CompareConfig(epochs=5, limit=200, hidden=(32,), steps=4)


@pytest.mark.parametrize(("model", "hidden"), [("mlp", (32, 16)), ("cnn", (4, 8))])
@pytest.mark.parametrize("encoding", ["direct", "rate", "latency"])
def test_twins_have_identical_layer_shapes(model, hidden, encoding):
    relu, spiking = build_pair(model, (8, 8), 10, hidden, 5, encoding)
    shapes = [[p.shape for p in net.parameters()] for net in (relu, spiking)]
    assert shapes[0] == shapes[1]
    images = torch.rand(3, 8, 8)
    assert relu(images).shape == (3, 10)
    assert spiking(images).shape == (5, 3, 10)


@pytest.mark.parametrize(("model", "hidden"), [("mlp", (32, 16)), ("cnn", (4, 8))])
def test_direct_encoding_runs_the_first_layer_once_with_the_same_result(model, hidden):
    _, spiking = build_pair(model, (8, 8), 10, hidden, 5, "direct")
    spiking = spiking.double()
    images = torch.rand(3, 8, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    encoder_at = next(i for i, m in enumerate(spiking) if isinstance(m, Encoder))
    first_layer = spiking[encoder_at - 1 if model == "mlp" else encoder_at - 2]
    calls = []
    first_layer.register_forward_hook(lambda module, args, out: calls.append(args[0].shape[0]))
    out = spiking(images)
    assert calls == [3]  # one call on the 3 images, not on 5 x 3 repeated ones
    # the same as feeding the pixels to the first layer at every step
    every_step = Encoder("direct", 5)(images)
    every_step = OverTime(spiking[:encoder_at])(every_step)
    assert torch.equal(spiking[encoder_at + 1 :](every_step), out)


def test_compare_trains_both_and_reports_consistently():
    calls = []
    result = compare(QUICK, on_batch=lambda *call: calls.append(call[:4])).to_dict()
    assert calls[-1] == ("spiking", 4, 3, 4)  # 5 epochs of ceil(200 / 64) = 4 batches
    assert len(calls) == 2 * 5 * 4
    assert result["status"] == "finished"
    assert set(result["networks"]) == {"relu", "spiking"}
    assert result["data"]["train"] == 200
    for name, entry in result["networks"].items():
        assert entry["status"] == "finished"
        assert 0.3 < entry["accuracy"] <= 1  # 5 epochs on 200 digits: above chance (0.1)
        assert entry["optimizer_steps"] == 5 * 4  # ceil(200 / 64) batches per epoch
        assert entry["energy"]["name"] == f"mlp-32 digits {name}"  # a run of its own, named
        (window,) = entry["energy"]["windows"]
        assert entry["training_energy"] == window
        assert window["name"] == "train"
        totals = entry["training_energy"]["totals"]
        assert totals["energy_j"] > 0
        assert totals["energy_j"] <= entry["energy"]["totals"]["energy_j"]
        assert entry["training_co2e_g"] is None  # no country given
    assert 0 <= result["networks"]["spiking"]["spike_rate"] <= 1
    json.dumps(result)  # JSON-ready


def test_same_seed_same_result_on_cpu():
    config = CompareConfig(epochs=1, limit=128, hidden=(16,), steps=3, encoding="rate")
    first, second = compare(config).to_dict(), compare(config).to_dict()
    for name in ("relu", "spiking"):
        assert first["networks"][name]["accuracy"] == second["networks"][name]["accuracy"]


def test_interrupt_mid_training_keeps_what_was_measured():
    def stop_in_spiking(network, epoch, batch, batches, loss):
        if network == "spiking" and batch == 1:
            raise KeyboardInterrupt

    result = compare(QUICK, on_batch=stop_in_spiking).to_dict()
    assert result["status"] == "interrupted"
    assert result["networks"]["relu"]["status"] == "finished"
    spiking = result["networks"]["spiking"]
    assert spiking["status"] == "interrupted"
    assert "accuracy" not in spiking
    assert spiking["training_energy"]["status"] == "interrupted"
    assert spiking["energy"]["status"] == "interrupted"
    assert result["networks"]["relu"]["energy"]["status"] == "finished"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"dataset": "cifar"}, "unknown dataset 'cifar'"),
        ({"encoding": "phase"}, "unknown encoding 'phase'"),
        ({"model": "rnn"}, "unknown model 'rnn'"),
        ({"steps": 0}, "`steps` must be an integer >= 1"),
        ({"epochs": 0}, "`epochs` must be an integer >= 1"),
        ({"device": "tpu"}, "unknown `device` 'tpu'"),
    ],
)
def test_bad_config_is_a_clear_value_error(change, message):
    config = CompareConfig(**{**QUICK.__dict__, **change})
    with pytest.raises(ValueError, match=message):
        compare(config)


def test_mnist_without_files_says_where_to_put_them(tmp_path):
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte"):
        load_dataset("mnist", tmp_path)


def test_t10k_only_directory_is_split_8000_2000(shared_data):
    train, test = load_dataset("mnist", shared_data / "mnist-t10k", seed=1)
    assert (len(train.labels), len(test.labels)) == (8000, 2000)
    again, _ = load_dataset("mnist", shared_data / "mnist-t10k", seed=1)
    assert torch.equal(train.labels, again.labels)


def test_cli_writes_results_and_prints_them_as_json(cli, tmp_path):
    result = cli(
        "compare", "--epochs", "1", "--limit", "128", "--hidden", "16", "--steps", "3",
        "--out", str(tmp_path / "run"), "--json", "--hardware", "loihi,cmos45-fp32",
        "--country", "us-east-1", "--pue", "aws",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)  # stdout is the JSON alone; messages went to stderr
    written = json.loads((tmp_path / "run" / "results.json").read_text())
    assert printed == written
    assert written["status"] == "finished"
    assert written["config"]["hardware"] == ["loihi", "cmos45-fp32"]
    assert (written["config"]["country"], written["config"]["pue"]) == ("us-east-1", "aws")
    energy = written["networks"]["relu"]["energy"]
    assert energy["pue"] == 1.2 and "US-VA" in energy["carbon_intensity"]["region"]
    assert "Results:" in result.stderr and "test accuracy" not in result.stderr
    table = cli(
        "compare", "--epochs", "1", "--limit", "64", "--hidden", "8", "--steps", "2",
        "--out", str(tmp_path / "table"), "--no-ledger",
    )  # fmt: skip
    assert table.exit_code == 0, table.output
    assert "test accuracy" in table.stdout and "training CO2e" in table.stdout
    assert not (tmp_path / "table" / "report.html").exists()  # nothing kept, no report


def test_training_co2e_is_window_energy_times_intensity():
    result = compare(CompareConfig(**{**QUICK.__dict__, "epochs": 1, "country": "FRA"})).to_dict()
    for entry in result["networks"].values():
        run = entry["energy"]
        intensity = run["carbon_intensity"]["intensity_g_per_kwh"]
        kwh = entry["training_energy"]["totals"]["kwh"]
        assert entry["training_co2e_g"] == pytest.approx(kwh * run["pue"] * intensity)
        assert 0 < entry["training_co2e_g"] <= run["co2e_g"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset", "cifar"], "unknown dataset"),
        (["--encoding", "phase"], "unknown encoding"),
        (["--steps", "0"], "steps must be"),
        (["--hidden", "12,x"], "--hidden must be comma-separated integers"),
    ],
)
def test_cli_bad_arguments(cli, tmp_path, args, message):
    result = cli("compare", "--out", str(tmp_path), *args)
    assert result.exit_code == 2
    assert message in result.output


def test_cli_ctrl_c_writes_interrupted_results(cli, tmp_path, monkeypatch):
    compare_module = sys.modules[
        "greenspike.train.comparison"
    ]  # the name `compare` is the function

    def interrupted_fit(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(compare_module, "warm_up", lambda *args: 0.0)
    monkeypatch.setattr(compare_module, "fit", interrupted_fit)
    result = cli("compare", "--epochs", "1", "--limit", "64", "--out", str(tmp_path))
    assert result.exit_code == 130
    assert "Interrupted" in result.output
    written = json.loads((tmp_path / "results.json").read_text())
    assert written["status"] == "interrupted"
    assert written["networks"]["relu"]["training_energy"]["status"] == "interrupted"


def test_failure_still_hands_the_result_to_on_end_then_raises():
    def fail_in_relu(network, epoch, batch, batches, loss):
        if batch == 2:
            raise RuntimeError("boom")

    ended = []
    with pytest.raises(RuntimeError, match="boom"):
        compare(QUICK, on_batch=fail_in_relu, on_end=ended.append)
    (ended_with,) = ended
    result = ended_with.to_dict()
    assert result["status"] == "failed"
    assert result["networks"]["relu"]["status"] == "failed"
    assert result["networks"]["relu"]["training_energy"]["status"] == "failed"
    assert "spiking" not in result["networks"]
