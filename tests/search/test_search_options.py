"""`greenspike search` takes what `compare` takes: event data, the carbon options, no ledger."""

from __future__ import annotations

import json

import numpy as np
import pytest

from greenspike.ledger import Ledger
from greenspike.search import SearchConfig, search
from greenspike.train.datasets import EVENT_SOURCES, EventSource

XYTP = np.dtype([("x", int), ("y", int), ("t", int), ("p", int)])


def fake_events(count: int, seed: int) -> list[tuple[np.ndarray, int]]:
    """Class c fires in columns 2c and 2c+1 of a 6x4 sensor, polarity c % 2, at random times."""
    rng = np.random.default_rng(seed)
    samples = []
    for index in range(count):
        label = index % 3
        n = int(rng.integers(5, 15))
        rows = np.zeros(n, dtype=XYTP)
        rows["x"] = 2 * label + rng.integers(0, 2, n)
        rows["y"] = rng.integers(0, 4, n)
        rows["t"] = rng.integers(0, 1000, n)
        rows["p"] = label % 2
        samples.append((rows, label))
    return samples


@pytest.fixture
def events(monkeypatch, tmp_path):
    """An event data set "fake" (60 train, 30 test samples of 3 classes) and its folder."""
    source = EventSource(
        (6, 4, 2), 1000, (2, 4, 6), lambda path, train: fake_events(60 if train else 30, train)
    )
    monkeypatch.setitem(EVENT_SOURCES, "fake", source)
    return tmp_path


@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_search_on_event_data_keeps_the_bins_and_searches_the_rest(events, tmp_path, model):
    from greenspike.search import SearchSpace

    config = SearchConfig(
        dataset="fake",
        data_dir=str(events),
        steps=5,
        trials=3,
        epochs=1,
        batch_size=16,
        out=str(tmp_path / "out"),
        ledger=None,
        intensity_g_per_kwh=100.0,
        pue=1.5,
        space=SearchSpace(networks=("spiking", "relu"), models=(model,), max_depth=1),
    )
    result = search(config).to_dict()
    assert result["counts"]["complete"] == 3
    for trial in result["trials"]:
        params = trial["params"]
        if params["network"] == "spiking":
            assert (params["steps"], params["encoding"]) == (5, "events")  # the bins, not searched
            assert trial["spike_rate"] is not None
        assert trial["ledger_run_id"] is None  # ledger=None: nothing kept
        assert trial["co2e_g"] == pytest.approx(trial["energy_j"] / 3.6e6 * 1.5 * 100.0)


def test_cli_search_takes_compare_options_and_prints_json(cli, events, tmp_path, ledger_url):
    result = cli(
        "search", "--dataset", "fake", "--data-dir", str(events), "--steps", "4",
        "--trials", "2", "--epochs", "1", "--batch-size", "16", "--max-depth", "1",
        "--device", "cpu", "--no-ledger", "--country", "europe-west1", "--pue", "gcp",
        "--json", "--out", str(tmp_path / "out"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed == json.loads((tmp_path / "out" / "results.json").read_text())
    assert printed["counts"]["complete"] == 2
    assert printed["hardware"] == ["cmos45-fp32", "cmos45-int8", "loihi"]  # compare's default
    assert "Pareto front" not in result.stdout and "trial 0:" in result.stderr
    assert Ledger(ledger_url).runs() == []  # --no-ledger
    assert not (tmp_path / "out" / "report.html").exists()
