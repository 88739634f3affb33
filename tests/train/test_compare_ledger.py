"""`greenspike compare` keeps each network as a ledger run and writes report.html from them."""

from __future__ import annotations

import json
import os
import signal
import sys

import pytest

from greenspike.ledger import Ledger
from greenspike.train import CompareConfig, compare

QUICK = CompareConfig(epochs=2, limit=128, hidden=(16,), steps=3)
SLICE = ("--epochs", "2", "--limit", "128", "--hidden", "16", "--steps", "3")


def test_cli_slice_gives_consistent_json_ledger_runs_and_report(cli, tmp_path, ledger_url):
    result = cli("compare", *SLICE, "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "results.json").read_text())
    group = written["group"]
    runs = {run.tags["network"]: run for run in Ledger(ledger_url).runs(tags={"compare": group})}
    assert set(runs) == {"relu", "spiking"}
    for name, entry in written["networks"].items():
        run = runs[name]
        assert entry["run_id"] == run.id
        assert (run.name, run.status) == (f"mlp-16 digits {name}", "finished")
        assert run.tags == {"compare": group, "network": name}
        assert run.energy_j == pytest.approx(entry["energy"]["totals"]["energy_j"])
        (window,) = run.report.windows
        assert window.to_dict() == entry["training_energy"]
        per_epoch = [m for m in run.metrics if m.name == "train_accuracy"]
        assert [m.step for m in per_epoch] == [0, 1]
        assert all(0 <= m.value <= 1 for m in per_epoch)
        assert [m.step for m in run.metrics if m.name == "train_loss"] == [0, 1]
        assert run.last_metric("accuracy") == pytest.approx(entry["accuracy"])
        for hardware, energy in entry["inference"]["energy"].items():
            logged = run.last_metric(f"energy_per_inference_j:{hardware}")
            if energy["complete"]:
                assert logged == pytest.approx(energy["energy_j"])
            else:  # never a partial sum in the ledger either
                assert logged is None
    assert runs["spiking"].last_metric("spike_rate") == pytest.approx(
        written["networks"]["spiking"]["spike_rate"]
    )
    assert runs["relu"].last_metric("spike_rate") is None
    report = (tmp_path / "report.html").read_text()
    assert f"Run {runs['relu'].id}: mlp-16 digits relu" in report
    assert f"Run {runs['spiking'].id}: mlp-16 digits spiking" in report
    assert 'id="comparison-plot"' in report  # accuracy against energy, two runs
    output = " ".join(result.output.split())
    assert f"Report: {tmp_path / 'report.html'}" in output
    assert f"compare={group}" in output


def test_cli_no_ledger_keeps_nothing_and_writes_no_report(cli, tmp_path, ledger_url):
    result = cli("compare", *SLICE, "--out", str(tmp_path), "--no-ledger")
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "results.json").read_text())
    assert all(entry["run_id"] is None for entry in written["networks"].values())
    assert not (tmp_path / "report.html").exists()
    assert Ledger(ledger_url).runs() == []


def test_cli_ledger_option_chooses_where_runs_go(cli, tmp_path):
    elsewhere = tmp_path / "elsewhere.db"
    result = cli("compare", *SLICE, "--out", str(tmp_path), "--ledger", str(elsewhere))
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "results.json").read_text())
    ids = sorted(run.id for run in Ledger(elsewhere).runs(tags={"compare": written["group"]}))
    assert ids == sorted(e["run_id"] for e in written["networks"].values())


def test_interrupted_spiking_run_is_kept_as_interrupted(ledger_url):
    def stop_in_spiking(network, epoch, batch, batches, loss):
        if network == "spiking" and epoch == 1:
            raise KeyboardInterrupt

    result = compare(QUICK, on_batch=stop_in_spiking).to_dict()
    runs = {run.tags["network"]: run for run in Ledger(ledger_url).runs()}
    assert runs["relu"].status == "finished"
    assert runs["spiking"].status == "interrupted"
    assert [m.step for m in runs["spiking"].metrics] == [0, 0]  # epoch 0's loss and accuracy
    assert result["networks"]["spiking"]["run_id"] == runs["spiking"].id


@pytest.fixture
def default_sigterm():
    """SIGTERM at its default for the test (another test may leave a handler), then restored."""
    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    yield
    signal.signal(signal.SIGTERM, previous)


def test_sigterm_while_no_run_is_open_is_an_interrupt(monkeypatch, default_sigterm):
    compare_module = sys.modules["greenspike.train.comparison"]

    def terminated(*args):  # the warm-up runs before either network's run opens
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(compare_module, "warm_up", terminated)
    ended = []
    result = compare(QUICK, on_end=ended.append)
    assert result.status == "interrupted"
    assert ended == [result]  # still handed over to be saved
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # given back


def test_a_diverged_network_still_gets_its_finite_metrics_kept(monkeypatch, ledger_url):
    loop = sys.modules["greenspike.train.loop"]
    real_loss = loop.loss_of

    def nan_for_relu(outputs, labels):  # the ReLU network's weights turn NaN
        return real_loss(outputs, labels) * (float("nan") if outputs.dim() == 2 else 1.0)

    monkeypatch.setattr(loop, "loss_of", nan_for_relu)
    result = compare(QUICK).to_dict()
    assert result["status"] == "finished"
    (relu,) = Ledger(ledger_url).runs(tags={"network": "relu"})
    names = {m.name for m in relu.metrics}
    assert {"train_accuracy", "accuracy"} <= names
    assert "train_loss" not in names
