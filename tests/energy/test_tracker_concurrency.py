"""Issue 21 item 4: a tracker is used by one call at a time (a second concurrent call is a clear
error, never a lost call and a phantom "running" run), and only the process that started a run
records it (a forked child never finalises its parent's run)."""

from __future__ import annotations

import os
import threading

import pytest

import greenspike as gs
from greenspike.ledger import Ledger


def test_a_tracked_function_called_from_two_threads_at_once(fake_meter, tmp_path):
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    inside, release = threading.Event(), threading.Event()

    @gs.track("fit", meters=[fake_meter], interval_s=0.01, ledger=url)
    def fit():
        inside.set()
        release.wait(10)

    first = threading.Thread(target=fit)
    first.start()
    assert inside.wait(10)
    with pytest.raises(RuntimeError, match="a tracked function runs one call at a time"):
        fit()
    release.set()
    first.join(10)
    fit()  # once the first call is over, the next one runs
    with Ledger(url) as ledger:
        assert sorted(run.status for run in ledger.runs()) == ["finished", "finished"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_a_forked_child_leaves_the_parents_run_alone(fake_meter, tmp_path):
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    out = tmp_path / "report.json"
    tracker = gs.EnergyTracker(
        [fake_meter], interval_s=0.01, ledger=url, on_update=lambda r: r.write_json(out)
    ).start()
    pid = os.fork()
    if pid == 0:  # the child ends the run it inherited, as `with` and atexit would
        try:
            tracker.log_metrics(step=0, child=1.0)
            tracker.stop("failed")
            tracker._stop_at_exit()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    with Ledger(url) as ledger:
        assert ledger.run(tracker.run_id).status == "running"
        assert ledger.run(tracker.run_id).metrics == ()
    tracker.log_metrics(step=0, parent=1.0)
    report = tracker.stop()
    assert report.status == "finished"
    with Ledger(url) as ledger:
        run = ledger.run(tracker.run_id)
    assert run.status == "finished" and [m.name for m in run.metrics] == ["parent"]
    assert gs.EnergyReport.from_json(out.read_text()).status == "finished"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_a_child_forked_before_the_sink_answered_reads_the_run_id_at_once(fake_meter, tmp_path):
    import time

    class SlowSink:
        where = "a slow sink"

        def begin(self, report, **details):
            time.sleep(0.5)
            return 7

        def update(self, report): ...
        def log_metrics(self, metrics): ...
        def set_tags(self, tags): ...
        def finish(self, report): ...

    tracker = gs.energy.Tracker([fake_meter], interval_s=0.01, sink=SlowSink()).start()
    answer = tmp_path / "run_id"
    pid = os.fork()
    if pid == 0:  # no sink thread here: waiting for it would hang the child for ever
        try:
            answer.write_text(repr(tracker.run_id))
        finally:
            os._exit(0)
    deadline = time.monotonic() + 10
    while os.waitpid(pid, os.WNOHANG) == (0, 0) and time.monotonic() < deadline:
        time.sleep(0.01)
    if not answer.exists():
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    assert answer.read_text() == "None"
    assert tracker.run_id == 7
    tracker.stop()
