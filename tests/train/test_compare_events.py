"""`greenspike compare` on event data: the registry, the twins' inputs, errors, a full run."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest
import torch

from greenspike.train import CompareConfig, build_pair, compare, load_dataset
from greenspike.train.datasets import EVENT_SOURCES, EventSource

SENSOR = (6, 4, 2)  # 6 wide, 4 high, 2 polarities
WINDOW_US = 1000
XYTP = np.dtype([("x", int), ("y", int), ("t", int), ("p", int)])


def fake_samples(count: int, seed: int) -> list[tuple[np.ndarray, int]]:
    """Class c fires in columns 2c and 2c+1, with polarity c % 2, at random rows and times."""
    rng = np.random.default_rng(seed)
    samples = []
    for index in range(count):
        label = index % 3
        n = int(rng.integers(5, 15))
        rows = np.zeros(n, dtype=XYTP)
        rows["x"] = 2 * label + rng.integers(0, 2, n)
        rows["y"] = rng.integers(0, 4, n)
        rows["t"] = rng.integers(0, WINDOW_US, n)
        rows["p"] = label % 2
        samples.append((rows, label))
    return samples


@pytest.fixture
def fake_events(monkeypatch):
    """An event data set "fake" in the registry: 48 train and 24 test samples of 3 classes."""
    reads = []

    def read(directory, train):
        reads.append((directory, train))
        return fake_samples(48 if train else 24, seed=int(train))

    monkeypatch.setitem(EVENT_SOURCES, "fake", EventSource(SENSOR, WINDOW_US, (2, 4, 6), read))
    return reads


def test_event_data_sets_load_as_binned_frames(fake_events, tmp_path):
    train, test = load_dataset("fake", tmp_path, steps=5)
    assert fake_events == [(tmp_path, True), (tmp_path, False)]
    assert train.images.shape == (48, 5, 2, 4, 6)
    assert test.images.shape == (24, 5, 2, 4, 6)
    assert train.images.dtype == torch.uint8
    assert set(train.images.unique().tolist()) == {0, 1}
    assert train.labels.tolist() == [i % 3 for i in range(48)]
    # class 1 fires in columns 2 and 3 with polarity 1 only
    ones = train.images[train.labels == 1]
    assert ones[..., [0, 1, 4, 5]].sum() == 0 and ones[:, :, 0].sum() == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"data_dir": None, "steps": 4}, "fake needs --data-dir"),
        ({"steps": None}, "give the number of time steps"),
    ],
)
def test_event_data_set_errors(fake_events, tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        load_dataset("fake", **{"data_dir": tmp_path, **kwargs})


@pytest.mark.parametrize(("model", "hidden"), [("mlp", (16,)), ("cnn", (4,))])
def test_twins_take_frames_and_the_event_count_image(model, hidden):
    relu, spiking = build_pair(model, (2, 4, 6), 3, hidden, 5, "events")
    assert [p.shape for p in relu.parameters()] == [p.shape for p in spiking.parameters()]
    frames = (torch.rand(7, 5, 2, 4, 6) < 0.3).to(torch.uint8)
    assert spiking(frames).shape == (5, 7, 3)
    # the ReLU twin sees the share of the 5 bins with an event: the same as giving it that image
    torch.manual_seed(0)
    assert torch.equal(relu(frames), relu[1:](frames.float().mean(1)))
    assert relu(frames).shape == (7, 3)
    with pytest.raises(ValueError, match=r"event frames must be \[B, 5, \.\.\.\]"):
        spiking(frames[:, :4])


def test_cnn_needs_two_dimensional_frames():
    with pytest.raises(ValueError, match="use --model mlp"):
        build_pair("cnn", (700,), 20, (4,), 5, "events")
    relu, spiking = build_pair("mlp", (700,), 20, (8,), 5, "events")
    frames = torch.zeros(2, 5, 700, dtype=torch.uint8)
    assert relu(frames).shape == (2, 20)
    assert spiking(frames).shape == (5, 2, 20)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dataset": "nmnist", "encoding": "rate"}, "nmnist is event data, already spikes"),
        ({"dataset": "digits", "encoding": "events"}, "'events' is for the event data sets"),
        ({"dataset": "shd", "model": "cnn"}, r"shd frames are 1-D \(700 channels\)"),
    ],
)
def test_encoding_must_fit_the_data(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CompareConfig(**kwargs).check()


def test_encoding_defaults_to_events_for_event_data_only():
    assert CompareConfig(dataset="shd").encoding == "events"
    assert CompareConfig(dataset="digits").encoding == "direct"


@pytest.mark.parametrize(
    ("model", "hidden", "kind"), [("mlp", (16,), "linear"), ("cnn", (4,), "conv")]
)
def test_both_twins_learn_from_event_data(fake_events, tmp_path, model, hidden, kind):
    config = CompareConfig(
        dataset="fake",
        data_dir=str(tmp_path),
        model=model,
        hidden=hidden,
        epochs=20,
        steps=4,
        batch_size=8,
    )
    result = compare(config, meters=[], ledger=None).to_dict()
    assert result["status"] == "finished"
    assert result["config"]["encoding"] == "events"
    assert result["data"] == {"train": 48, "test": 24}
    for entry in result["networks"].values():
        assert entry["accuracy"] >= 0.8  # chance: 1/3
    spiking = result["networks"]["spiking"]["inference"]
    # the first layer takes binary event spikes: accumulates, not multiply-accumulates
    first = spiking["layers"][0]
    assert first["kind"] == kind
    assert first["counts"]["effective_acs"] > 0 and first["counts"]["dense_macs"] == 0
    relu_first = result["networks"]["relu"]["inference"]["layers"][0]
    assert relu_first["counts"]["dense_macs"] > 0  # the count image is not binary


def test_cli_without_tonic_says_what_to_install(cli, monkeypatch, tmp_path):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "tonic" else real(name, *a)
    )
    result = cli("compare", "--dataset", "nmnist", "--data-dir", str(tmp_path), "--no-ledger")
    assert result.exit_code == 2
    assert "pip install tonic" in result.output and "NMNIST" in result.output


def test_cli_compares_on_event_data_and_writes_the_report(cli, fake_events, tmp_path):
    out = tmp_path / "out"
    result = cli(
        "compare", "--dataset", "fake", "--data-dir", str(tmp_path), "--hidden", "16",
        "--epochs", "2", "--steps", "4", "--batch-size", "8", "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    saved = json.loads((out / "results.json").read_text())
    assert saved["config"]["encoding"] == "events"
    assert set(saved["networks"]) == {"relu", "spiking"}
    assert (out / "report.html").stat().st_size > 0
    refused = cli("compare", "--dataset", "fake", "--data-dir", str(tmp_path), "--encoding", "rate")
    assert refused.exit_code == 2
    assert "fake is event data, already spikes" in refused.output
