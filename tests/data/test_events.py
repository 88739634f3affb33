"""greenspike.data.events: binning events into binary frames, and the tonic requirement."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from greenspike.data.events import bin_events, read_tonic
from greenspike.errors import MissingExtraError

XYTP = np.dtype([("x", int), ("y", int), ("t", int), ("p", int)])  # tonic's N-MNIST layout
TXP = np.dtype([("t", int), ("x", int), ("p", int)])  # tonic's SHD layout


def events(rows, dtype=XYTP) -> np.ndarray:
    return np.array([tuple(row) for row in rows], dtype=dtype)


def test_bins_by_hand():
    # sensor 3 wide, 2 high, 2 polarities; window 100 us in 4 bins of 25 us
    frames = bin_events(
        events(
            [
                (0, 0, 0, 0),  # bin 0
                (2, 1, 24, 1),  # bin 0
                (2, 1, 25, 1),  # bin 1
                (1, 0, 60, 0),  # bin 2
                (1, 0, 70, 0),  # bin 2 again, same cell: counts once
                (1, 1, 99, 1),  # bin 3
                (0, 0, 100, 0),  # at the window's end: dropped
                (0, 0, -1, 0),  # before it: dropped
            ]
        ),
        (3, 2, 2),
        4,
        100,
    )
    expected = torch.zeros(4, 2, 2, 3, dtype=torch.uint8)
    expected[0, 0, 0, 0] = 1
    expected[0, 1, 1, 2] = 1
    expected[1, 1, 1, 2] = 1
    expected[2, 0, 0, 1] = 1
    expected[3, 1, 1, 1] = 1
    assert torch.equal(frames, expected)


def test_sensor_without_y_nor_polarity_bins_channels():
    # SHD-like: 5 channels, events (t, x, p) with p always 0
    frames = bin_events(events([(10, 4, 0), (900, 0, 0)], TXP), (5, 1, 1), 2, 1000)
    assert frames.shape == (2, 1, 1, 5)
    assert frames[0, 0, 0].tolist() == [0, 0, 0, 0, 1]
    assert frames[1, 0, 0].tolist() == [1, 0, 0, 0, 0]


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 2), st.integers(-50, 250), st.integers(0, 1)),
        max_size=60,
    ),
    steps=st.integers(1, 7),
    window=st.integers(1, 200),
)
def test_frames_hold_one_spike_per_cell_with_events_in_the_window(rows, steps, window):
    """Binary binning: the spikes in the frames number the distinct (bin, p, y, x) cells hit by
    events inside [0, window); with one event per cell, exactly the events inside it."""
    frames = bin_events(events(rows), (4, 3, 2), steps, window)
    assert frames.shape == (steps, 2, 3, 4)
    assert set(frames.unique().tolist()) <= {0, 1}
    cells = {(t * steps // window, p, y, x) for x, y, t, p in rows if 0 <= t < window}
    assert int(frames.sum()) == len(cells)
    assert all(frames[cell] == 1 for cell in cells)


@pytest.mark.parametrize(
    ("rows", "sensor", "steps", "window", "message"),
    [
        ([(4, 0, 0, 0)], (4, 3, 2), 2, 10, r"x values must lie in 0\.\.3"),
        ([(0, 0, 0, 2)], (4, 3, 2), 2, 10, r"p values must lie in 0\.\.1"),
        ([(0, 0, 0, 0)], (4, 3, 2), 0, 10, "steps must be an integer >= 1"),
        ([(0, 0, 0, 0)], (4, 3, 2), 2, 0, "window must be > 0"),
    ],
)
def test_bad_events_or_bins_are_refused(rows, sensor, steps, window, message):
    with pytest.raises(ValueError, match=message):
        bin_events(events(rows), sensor, steps, window)


def test_events_outside_the_window_may_be_off_sensor():
    frames = bin_events(events([(99, 99, 500, 0)]), (4, 3, 2), 2, 100)
    assert int(frames.sum()) == 0


def test_without_tonic_the_error_says_what_to_install_and_where(monkeypatch, tmp_path):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "tonic" else real(name, *a)
    )
    with pytest.raises(MissingExtraError, match="pip install tonic") as error:
        read_tonic("NMNIST", tmp_path, train=True)
    assert str(Path(tmp_path) / "NMNIST") in str(error.value)


def test_tonic_layouts_match_ours():
    tonic = pytest.importorskip("tonic")
    from greenspike.train.datasets import EVENT_SOURCES

    assert EVENT_SOURCES["nmnist"].sensor == tuple(tonic.datasets.NMNIST.sensor_size)
    assert EVENT_SOURCES["shd"].sensor == tuple(tonic.datasets.SHD.sensor_size)
    for source in (tonic.datasets.NMNIST, tonic.datasets.SHD):
        sample = np.zeros(3, dtype=source.dtype)
        assert bin_events(sample, tuple(source.sensor_size), 2, 10).sum() == 1


def test_tonic_reads_and_downloads_into_the_data_dir(monkeypatch, tmp_path):
    """read_tonic builds tonic's data set with save_to=data_dir (tonic then reads DIR/NAME, or
    downloads there): checked with a stand-in tonic module."""
    calls = []

    class NMNIST:
        def __init__(self, save_to, train):
            calls.append((save_to, train))

    fake = types.ModuleType("tonic")
    fake.__spec__ = importlib.machinery.ModuleSpec("tonic", None)
    fake.datasets = types.SimpleNamespace(NMNIST=NMNIST)
    monkeypatch.setitem(sys.modules, "tonic", fake)
    assert isinstance(read_tonic("NMNIST", tmp_path, train=False), NMNIST)
    assert calls == [(str(tmp_path), False)]
