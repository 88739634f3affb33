"""The tracker hands its run to a RunSink and never knows where it goes."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
import types

import pytest

from greenspike.energy import RunSink, Tracker
from greenspike.energy.tracker import cuda_sync


class ListSink:
    """A RunSink that notes every call."""

    where = "a list"

    def __init__(self, fail_on: str | None = None):
        self.calls: list[tuple[str, object]] = []
        self.fail_on = fail_on

    def _note(self, name, value):
        if name == self.fail_on:
            raise OSError(f"{name} failed")
        self.calls.append((name, value))

    def begin(self, report, *, interval_s, command, tags, metadata):
        self._note("begin", (report.status, interval_s, command, dict(tags), dict(metadata)))
        return 7

    def update(self, report):
        self._note("update", report.status)

    def log_metrics(self, metrics):
        self._note("log_metrics", [(m.name, m.value, m.step) for m in metrics])

    def set_tags(self, tags):
        self._note("set_tags", dict(tags))

    def finish(self, report):
        self._note("finish", report.status)


def test_a_sink_gets_the_run_from_begin_to_finish(fake_meter):
    sink: RunSink = ListSink()  # a Protocol: any object with its methods
    tracker = Tracker([fake_meter], interval_s=0.01, sink=sink, tags={"a": "1"}, command="x")
    with tracker:
        tracker.log_metrics(step=0, loss=0.5)
        tracker.set_tags(b=2)
    tracker.log_metrics(accuracy=0.9)  # after the run too
    names = [name for name, _ in sink.calls]
    assert names[0] == "begin" and tracker.run_id == 7
    assert sink.calls[0][1] == ("running", 0.01, "x", {"a": "1"}, {})
    assert ("log_metrics", [("loss", 0.5, 0)]) in sink.calls
    assert ("set_tags", {"b": "2"}) in sink.calls
    assert names.index("finish") < names.index("log_metrics", names.index("finish"))
    assert sink.calls[-1] == ("log_metrics", [("accuracy", 0.9, None)])
    assert [value for name, value in sink.calls if name == "finish"] == ["finished"]
    assert all(value == "running" for name, value in sink.calls if name == "update")


@pytest.mark.parametrize("failing", ["begin", "log_metrics", "finish"])
def test_a_failing_sink_never_stops_the_measurement(fake_meter, failing, caplog):
    sink = ListSink(fail_on=failing)
    with caplog.at_level(logging.WARNING), Tracker([fake_meter], sink=sink) as tracker:
        tracker.log_metrics(loss=1.0)
    assert tracker.report is not None and tracker.report.status == "finished"
    assert failing in caplog.text  # logged; and noted in the report unless it was the last write
    if failing != "finish":
        assert any(failing in note and "a list" in note for note in tracker.report.notes)
    if failing == "begin":  # a sink that did not take the run gets nothing more
        assert sink.calls == [] and tracker.run_id is None


def test_sync_runs_before_every_reading_at_window_edges(fake_meter):
    calls = []
    tracker = Tracker([fake_meter], interval_s=60, sync=lambda: calls.append("sync"))
    with tracker:
        assert len(calls) == 1  # start
        with tracker.window("epoch"):
            assert len(calls) == 2
        assert len(calls) == 3
    assert len(calls) == 4  # stop


def test_a_failing_sync_is_noted_not_raised(fake_meter):
    def broken():
        raise RuntimeError("no device")

    with Tracker([fake_meter], sync=broken) as tracker, tracker.window("w"):
        pass
    assert any("sync before reading the meters failed" in n for n in tracker.report.notes)


def test_bad_sync_is_refused():
    with pytest.raises(ValueError, match="sync must be 'auto', a function or None"):
        Tracker(sync="cuda")


def test_cuda_sync_waits_only_when_torch_has_initialised_cuda(monkeypatch):
    synchronised = []
    cuda = types.SimpleNamespace(
        is_initialized=lambda: initialised[0], synchronize=lambda: synchronised.append(1)
    )
    initialised = [False]
    monkeypatch.setitem(sys.modules, "torch", types.SimpleNamespace(cuda=cuda))
    cuda_sync()
    assert synchronised == []
    initialised[0] = True
    cuda_sync()
    assert synchronised == [1]


def test_the_default_sync_never_imports_torch():
    code = (
        "import sys\n"
        "from greenspike.energy import Tracker\n"
        "with Tracker(interval_s=60) as tracker, tracker.window('w'):\n"
        "    pass\n"
        "print('torch' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


class FullDiskSink(ListSink):
    """A sink whose writes fail (no space left) until `space` is set."""

    def __init__(self):
        super().__init__()
        self.space = False

    def _note(self, name, value):
        if name != "begin" and not self.space:
            raise OSError(28, "No space left on device")
        super()._note(name, value)


def test_writes_that_failed_on_a_full_disk_reach_the_sink_once_space_returns(
    fake_meter, monkeypatch
):
    import greenspike.energy.tracker as tracker_module

    monkeypatch.setattr(tracker_module, "RETRY_S", 0.01)
    sink = FullDiskSink()
    with Tracker([fake_meter], interval_s=1e6, sink=sink) as tracker:
        tracker.log_metrics(step=1, loss=0.5)
    tracker.log_metrics(accuracy=0.9)
    assert [name for name, _ in sink.calls] == ["begin"]  # nothing could be written
    assert any("No space left on device" in note for note in tracker.report.notes)
    sink.space = True
    deadline = time.monotonic() + 10
    while len(sink.calls) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sink.calls[1:] == [
        ("log_metrics", [("loss", 0.5, 1)]),
        ("finish", "finished"),
        ("log_metrics", [("accuracy", 0.9, None)]),
    ]
    assert tracker.flush()


class SlowSink(ListSink):
    """A sink whose begin() takes a while, as a ledger does that is opened for the first time
    (importing its database driver) or that another process holds locked."""

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds = seconds
        self.begun_at: float | None = None

    def begin(self, report, **details):
        time.sleep(self.seconds)
        self.begun_at = time.monotonic()
        return super().begin(report, **details)


def test_a_slow_sink_delays_neither_the_start_nor_the_readings(fake_meter):
    sink = SlowSink(0.5)
    readings = []
    tracker = Tracker(
        [fake_meter], interval_s=0.01, sink=sink, on_update=lambda r: readings.append(r)
    )
    started = time.monotonic()
    tracker.start()
    assert time.monotonic() - started < 0.25  # the tracked code starts at once
    tracker.log_metrics(step=0, loss=1.0)  # waits for begin(), then goes to the sink
    assert sink.begun_at is not None and len(readings) > 3  # read on while the sink began
    assert tracker.run_id == 7
    tracker.stop()
    names = [name for name, _ in sink.calls]
    assert names[:2] == ["begin", "log_metrics"] and names[-1] == "finish"


def test_the_sink_begins_only_once_the_event_it_waits_for_is_set(fake_meter):
    import threading

    sink = ListSink()
    launched = threading.Event()
    tracker = Tracker([fake_meter], interval_s=0.01, sink=sink)
    tracker.start(sink_after=launched)
    time.sleep(0.1)
    assert sink.calls == []  # the readings go on, the sink waits
    launched.set()
    tracker.stop()
    assert [name for name, _ in sink.calls][:: len(sink.calls) - 1] == ["begin", "finish"]


def test_track_hands_its_run_to_the_sink_only_once_the_command_has_started(fake_meter, monkeypatch):
    """So that the sink's start (a ledger's imports) never delays the command (issue 24)."""
    from greenspike.energy import _command

    events: list[str] = []

    class Popen(subprocess.Popen):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            events.append("started")

    class NotingSink(ListSink):
        def begin(self, report, **details):
            events.append("begin")
            return super().begin(report, **details)

    monkeypatch.setattr(_command.subprocess, "Popen", Popen)
    exit_code, report = _command.run_command(["true"], Tracker([fake_meter], sink=NotingSink()))
    assert exit_code == 0 and report.status == "finished"
    assert events == ["started", "begin"]


def test_a_run_stopped_before_its_sink_has_begun_is_still_kept_whole(fake_meter):
    sink = SlowSink(0.3)
    with Tracker([fake_meter], interval_s=0.01, sink=sink) as tracker:
        pass  # a command that ends at once
    assert [name for name, _ in sink.calls] == ["begin", "finish"]
    assert tracker.run_id == 7 and sink.calls[-1] == ("finish", "finished")


def test_metrics_the_sink_did_not_take_are_kept_in_the_report(fake_meter, monkeypatch):
    import json

    import greenspike.energy.tracker as tracker_module
    from greenspike.energy import EnergyReport

    monkeypatch.setattr(tracker_module, "RETRY_S", 1e6)  # the disk stays full for this test
    sink = FullDiskSink()
    with Tracker([fake_meter], interval_s=1e6, sink=sink) as tracker:
        tracker.log_metrics(step=1, loss=0.5, accuracy=0.8)
    report = tracker.report
    assert [(m.name, m.value, m.step) for m in report.unwritten_metrics] == [
        ("loss", 0.5, 1),
        ("accuracy", 0.8, 1),
    ]
    data = json.loads(report.to_json())
    assert [m["name"] for m in data["unwritten_metrics"]] == ["loss", "accuracy"]
    assert EnergyReport.from_json(report.to_json()) == report


def test_metrics_the_sink_took_at_last_are_not_in_the_report(fake_meter, monkeypatch):
    import greenspike.energy.tracker as tracker_module

    monkeypatch.setattr(tracker_module, "RETRY_S", 1e6)
    sink = FullDiskSink()
    with Tracker([fake_meter], interval_s=1e6, sink=sink) as tracker:
        tracker.log_metrics(step=1, loss=0.5)
        sink.space = True  # space came back before the run ended: tried again at stop()
    assert tracker.report.unwritten_metrics == ()
    assert "unwritten_metrics" not in tracker.report.to_dict()  # readers see the same keys
    assert ("log_metrics", [("loss", 0.5, 1)]) in sink.calls


def test_metrics_of_a_run_the_sink_never_took_are_kept_in_the_report(fake_meter):
    sink = ListSink(fail_on="begin")  # the ledger could not be opened: the run is not kept
    with Tracker([fake_meter], interval_s=1e6, sink=sink) as tracker:
        tracker.log_metrics(loss=0.5)
    assert [m.name for m in tracker.report.unwritten_metrics] == ["loss"]
