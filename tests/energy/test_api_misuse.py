"""Issue 21 items 15 and 23: a misused Python API is a clear InvalidInputError naming the
argument, never an AttributeError, a TypeError or a dead sampling thread."""

from __future__ import annotations

import pytest

from greenspike.energy.tracker import Tracker
from greenspike.errors import InvalidInputError


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"country": 123}, "`country` .* must be text, got 123"),
        ({"meters": [1]}, "meters must be 'auto' or a list of meters"),
        ({"cpu_tdp_w": "100"}, r"CPU TDP must be a number, got '100'"),
        ({"cpu_tdp_w": True}, r"CPU TDP must be a number, got True"),
        ({"interval_s": True}, r"`interval_s` must be a number, got True"),
        ({"intensity_g_per_kwh": "5"}, "carbon intensity must be a number of g/kWh, got '5'"),
        ({"name": 5}, "`name` of the run must be text, got 5"),
        ({"name": "a\x00"}, "must not contain a NUL"),
        ({"interval_s": 1e10}, "`interval_s` must be between 0.01 s .* and 1e[+]06 s, got 1e"),
        ({"interval_s": 1e-9}, "`interval_s` must be between 0.01 s"),
    ],
)
def test_misuse_is_one_clear_error(options, message):
    with pytest.raises(InvalidInputError, match=message):
        Tracker(**options)


def test_stop_from_on_update_ends_the_run_and_keeps_it(fake_meter):
    import threading

    stopped = threading.Event()
    seen: list = []

    def on_update(report):
        seen.append(report.status)
        if report.status == "running" and not stopped.is_set():
            tracker.stop()  # from the sampling thread
            stopped.set()

    tracker = Tracker([fake_meter], interval_s=0.01, on_update=on_update).start()
    fake_meter.energy_j["ram"] += 3.0
    assert stopped.wait(10)
    report = tracker.stop()  # again, from the caller: the same report
    assert report.status == "finished"
    assert report.energy_of("ram") == 3.0
    assert not any("on_update failed" in note for note in report.notes)
    assert seen.count("finished") == 1


def test_an_infinite_reading_never_reaches_the_report(fake_meter):
    import json

    tracker = Tracker([fake_meter], interval_s=1e6).start()
    fake_meter.energy_j["ram"] += 2.0
    tracker.snapshot()
    fake_meter.energy_j["ram"] = float("inf")
    report = tracker.stop()
    assert report.energy_of("ram") == 2.0  # the last finite reading
    assert any("read inf J for" in note for note in report.notes)
    json.loads(report.to_json(), parse_constant=lambda name: pytest.fail(name))
