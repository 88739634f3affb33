"""`greenspike compare` prices what it deploys: trained precision, accuracy per deployment, and
each twin on its own hardware."""

from __future__ import annotations

import csv
import json

import pytest

import greenspike as gs
from greenspike.errors import InvalidInputError
from greenspike.report._compare_plots import deployments_figure
from greenspike.train import CompareConfig, compare

QUICK = CompareConfig(epochs=2, limit=200, hidden=(32,), steps=4)


def _config(**changes) -> CompareConfig:
    return CompareConfig(**{**QUICK.__dict__, **changes})


def test_int8_training_adds_quantization_aware_epochs_and_prices_the_int8_network():
    fp32 = compare(_config(deploy=()), ledger=None)
    int8 = compare(_config(precision="int8", qat_epochs=1, deploy=()), ledger=None)
    for name in ("relu", "spiking"):
        trained, base = int8.networks[name], fp32.networks[name]
        assert trained.optimizer_steps == base.optimizer_steps * 3 // 2  # 2 float + 1 QAT epoch
        assert trained.inference is not None and base.inference is not None
        # cmos45-int8 runs the precision it was trained at: the trained network, as tested
        at_int8 = trained.inference.energy["cmos45-int8"]
        assert at_int8.accuracy == trained.accuracy
        assert at_int8.counts == trained.inference.counts.total
        # cmos45-fp32 prices its float weights, tested at fp32
        assert trained.inference.energy["cmos45-fp32"].deployment.chip.precision.is_fp32
    data = int8.to_dict()
    assert (data["config"]["precision"], data["config"]["qat_epochs"]) == ("int8", 1)
    written = data["networks"]["spiking"]["inference"]["energy"]["cmos45-int8"]
    assert written["precision"] == {
        "chip": {"weights": "int8", "activations": "int8", "state": "int16"}
    }
    assert written["accuracy"] == int8.networks["spiking"].accuracy
    assert written["parts"][0]["role"] == "chip"


def test_each_twin_on_its_own_hardware():
    pairings = (("cmos7-int8", "loihi+host=cmos7-int8"), ("gpu7-fp16", "loihi"))
    result = compare(_config(deploy=pairings), ledger=None)
    relu, spiking = result.networks["relu"], result.networks["spiking"]
    assert relu.inference is not None and spiking.inference is not None
    assert set(relu.inference.energy) == {*QUICK.hardware, "cmos7-int8", "gpu7-fp16"}
    assert set(spiking.inference.energy) == {*QUICK.hardware, "loihi+host=cmos7-int8", "loihi"}
    first, second = result.pairings
    assert first.relu is relu.inference.energy["cmos7-int8"]
    assert first.spiking is spiking.inference.energy["loihi+host=cmos7-int8"]
    assert first.energy_ratio == pytest.approx(first.spiking.energy_j / first.relu.energy_j)
    assert first.verdict == ("spiking" if first.energy_ratio < 1 else "relu")
    hybrid = first.spiking
    assert [part.role for part in hybrid.estimate.parts] == ["chip", "host"]
    assert hybrid.estimate.parts[1].layers == ("1",)  # the first layer multiplies pixels
    # Loihi alone cannot run the first layer: no total, no verdict, never 0 J
    assert second.spiking.energy_j is None and second.verdict == "unpriced"
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["deployments"][0] == {
        "network": "spiking",
        "accuracy_change": pytest.approx(100 * (first.spiking.accuracy - first.relu.accuracy)),
        "levers": first.levers.to_dict(),
        "relu": "cmos7-int8",
        "spiking": "loihi+host=cmos7-int8",
        "relu_energy_j": first.relu.energy_j,
        "spiking_energy_j": first.spiking.energy_j,
        "energy_ratio": first.energy_ratio,
        "relu_accuracy": first.relu.accuracy,
        "spiking_accuracy": first.spiking.accuracy,
        "verdict": first.verdict,
    }
    assert data["config"]["deploy"][1] == {"relu": "gpu7-fp16", "spiking": "loihi"}
    parts = data["networks"]["spiking"]["inference"]["energy"]["loihi+host=cmos7-int8"]["parts"]
    assert [part["hardware"] for part in parts] == ["loihi", "cmos7-int8"]
    # report.html shows the pairings: three bars (Loihi alone has no total, so no bar)
    figure = deployments_figure(result)
    axes = figure.axes[0]
    assert len(axes.patches) == 3
    assert any(text.get_text().endswith("on loihi, " + f"{second.spiking.accuracy:.1%}: no total")
               for text in axes.texts)  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"precision": "int3"}, "unknown precision 'int3': use one of fp32, int8, int4"),
        ({"qat_epochs": 2}, "`qat_epochs` is quantization-aware training: it needs `precision`"),
        ({"precision": "int8", "qat_epochs": -1}, "`qat_epochs` must be an integer >= 0"),
        ({"deploy": (("cmos7-int8", "loihi+host=tpu"),)}, "unknown hardware profile 'tpu'"),
        ({"deploy": (("cmos7-int8",),)}, "a deploy pairing is"),
        ({"hardware": ("loihi+gpu=cmos7-int8",)}, "is not ROLE=PROFILE"),
    ],
)
def test_bad_precision_and_deployments_are_refused(changes, message):
    with pytest.raises(InvalidInputError, match=message):
        _config(**changes).check()


def _profiles_file(path, **changes) -> str:
    row = {**gs.cost.find_profile("cmos7-int8").to_dict(), "name": "my-npu", **changes}
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    return str(path)


def test_cli_deploy_prints_each_pairing_with_its_verdict(cli, tmp_path):
    chips = _profiles_file(tmp_path / "chips.csv", weight_precision="int4")
    result = cli(
        "compare", "--epochs", "1", "--limit", "128", "--hidden", "16", "--steps", "2",
        "--out", str(tmp_path), "--no-ledger", "--hardware", "cmos45-fp32",
        "--hardware-file", chips,
        "--deploy", "relu=my-npu,spiking=loihi+host=my-npu",
        "--deploy", "spiking=truenorth+host=cmos7-int8, relu=gpu7-fp16",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "each twin on its own hardware" in output
    assert "loihi+host=my-npu vs my-npu: the spiking twin costs" in output
    assert "truenorth+host=cmos7-int8 vs gpu7-fp16: the spiking twin costs" in output
    assert "x the ReLU twin (" in output and "points of accuracy" in output
    assert "int4/int8/int16" in output  # the user profile's precision
    written = json.loads((tmp_path / "results.json").read_text())
    assert [d["relu"] for d in written["deployments"]] == ["my-npu", "gpu7-fp16"]
    assert written["config"]["hardware_file"] == chips


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--deploy", "relu=cmos7-int8"], "--deploy needs both twins"),
        (["--deploy", "ann=cmos7-int8,spiking=loihi"], "--deploy takes relu=DEPLOYMENT"),
        (["--deploy", "relu=cmos7-int8,spiking=tpu"], "unknown hardware profile 'tpu'"),
        (["--precision", "int2"], "unknown precision 'int2'"),
        (["--hardware-file", "absent.csv"], "absent.csv"),
    ],
)
def test_cli_bad_deploy_and_precision_exit_2(cli, tmp_path, args, message):
    result = cli("compare", "--out", str(tmp_path), *args)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())


def test_cli_refuses_a_profile_file_without_precision(cli, tmp_path):
    path = tmp_path / "chips.csv"
    row = gs.cost.find_profile("cmos7-int8").to_dict()
    del row["state_precision"]
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(row))
        writer.writeheader()
        writer.writerow({**row, "name": "old-chip"})
    result = cli("compare", "--out", str(tmp_path), "--hardware-file", str(path))
    assert result.exit_code == 2
    assert "missing field(s) ['state_precision']" in result.output
