"""EnergyTracker keeps its run in the ledger: at start, while it runs, and with its final status."""

from __future__ import annotations

import logging
import time

import pytest

from greenspike.ledger import Ledger
from greenspike.tracking import EnergyTracker


def test_a_tracked_run_lands_in_the_default_ledger(ledger_url):
    with EnergyTracker(
        interval_s=0.01, name="train", country="FRA", tags={"group": "g"}, metadata={"seed": 1}
    ) as tracker:
        running = Ledger(ledger_url).run(tracker.run_id)
        assert running.status == "running" and not running.stale
        with tracker.window("epoch-0"):
            time.sleep(0.02)
        tracker.log_metrics(step=0, accuracy=0.5, loss=1.5)
    tracker.log_metrics(accuracy=0.9)  # after stop(): the final test accuracy
    tracker.set_tags(model="snn")
    run = Ledger(ledger_url).run(tracker.run_id)
    assert run.status == "finished" and run.name == "train"
    assert run.tags == {"group": "g", "model": "snn"} and run.metadata == {"seed": 1}
    assert run.energy_j == pytest.approx(tracker.report.energy_j)
    assert run.report.windows[0].name == "epoch-0"
    assert run.co2e_g == pytest.approx(tracker.report.co2e_g)
    assert [(m.name, m.value, m.step) for m in run.metrics] == [
        ("accuracy", 0.5, 0),
        ("loss", 1.5, 0),
        ("accuracy", 0.9, None),
    ]
    assert tracker.metrics == list(run.metrics)


@pytest.mark.parametrize(
    ("error", "status"), [(RuntimeError, "failed"), (KeyboardInterrupt, "interrupted")]
)
def test_failures_and_interrupts_are_recorded(ledger_url, error, status):
    tracker = EnergyTracker(interval_s=0.01)
    with pytest.raises(error), tracker:
        raise error("stop")
    run = Ledger(ledger_url).run(tracker.run_id)
    assert run.status == status and run.report.notes[-1].startswith("ended by")


def test_no_ledger_keeps_nothing_but_metrics_in_memory(ledger_url):
    with EnergyTracker(interval_s=0.01, ledger=None) as tracker:
        tracker.log_metrics(step=1, accuracy=1.0)
    assert tracker.run_id is None and [m.value for m in tracker.metrics] == [1.0]
    assert Ledger(ledger_url).runs() == []


def test_a_ledger_given_by_url_or_object(tmp_path):
    url = f"sqlite:///{tmp_path / 'own.db'}"
    with EnergyTracker(interval_s=0.01, ledger=url) as by_url:
        pass
    with Ledger(url) as ledger, EnergyTracker(interval_s=0.01, ledger=ledger) as by_object:
        pass
    assert [r.id for r in Ledger(url).runs()] == [by_object.run_id, by_url.run_id]


def test_the_running_totals_are_updated_while_the_run_goes_on(ledger_url, monkeypatch):
    monkeypatch.setattr("greenspike.ledger.sink.EVERY_S", 0.05)
    with EnergyTracker(interval_s=0.01, cpu_tdp_w=100) as tracker:
        ledger = Ledger(ledger_url)
        deadline = time.monotonic() + 10
        while ledger.run(tracker.run_id).duration_s < 0.2 and time.monotonic() < deadline:
            time.sleep(0.02)
        running = ledger.run(tracker.run_id)
        assert running.status == "running" and running.duration_s >= 0.2
    assert len(ledger.samples(tracker.run_id)) > 2 * len(tracker.report.components)


def test_a_broken_default_ledger_does_not_stop_the_measurement(monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("GREENSPIKE_LEDGER", str(tmp_path / "missing" / "ledger.db"))
    with caplog.at_level(logging.WARNING), EnergyTracker(interval_s=0.01) as tracker:
        pass
    assert tracker.run_id is None and tracker.report.status == "finished"
    assert any("not kept in the ledger" in note for note in tracker.report.notes)


def test_bad_input_is_refused_at_once(tmp_path):
    with pytest.raises(ValueError, match="unsupported ledger URL"):
        EnergyTracker(ledger="mysql://x/y")
    with pytest.raises(ValueError, match="tag 'a' needs a value"):
        EnergyTracker(tags={"a": None})
    with pytest.raises(ValueError, match="metadata must be JSON-serialisable"):
        EnergyTracker(metadata={"f": float("nan")})
    tracker = EnergyTracker(interval_s=0.01)
    with pytest.raises(RuntimeError, match="start the tracker before logging metrics"):
        tracker.log_metrics(accuracy=1.0)
    with tracker, pytest.raises(ValueError, match="metric 'loss' must be a finite number"):
        tracker.log_metrics(loss=float("inf"))


def test_the_distributed_rank_and_job_are_recorded(ledger_url, monkeypatch):
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("WORLD_SIZE", "8")
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.setenv("GROUP_RANK", "1")
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "run-42")
    with EnergyTracker(interval_s=0.01, scope="process") as tracker:
        pass
    run = Ledger(ledger_url).run(tracker.run_id)
    assert (run.rank, run.world_size, run.local_rank, run.node_rank) == (3, 8, 1, 1)
    assert (run.job_id, run.scope) == ("run-42", "process")
    assert run.report.placement.job_id == "run-42"


def test_the_tracker_says_where_the_run_is_kept(ledger_url, caplog):
    with (
        caplog.at_level(logging.INFO, logger="greenspike.energy.tracker"),
        EnergyTracker(interval_s=10, name="fit") as tracker,
    ):
        pass
    assert tracker.run_id is not None
    kept = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert f"greenspike: run {tracker.run_id} (fit) is kept in the ledger {ledger_url}" in kept
    caplog.clear()
    with (
        caplog.at_level(logging.INFO, logger="greenspike.energy.tracker"),
        EnergyTracker(interval_s=10, ledger=None) as untracked,
    ):
        pass
    assert untracked.run_id is None and not caplog.records  # nothing kept, nothing said


def test_a_decorated_function_gives_its_reports_and_run(ledger_url):
    import greenspike as gs

    @gs.track("fit", interval_s=10)
    def fit(epochs: int) -> int:
        """Train for a while."""
        return epochs * 2

    assert fit.last_report is None and fit.__name__ == "fit" and fit.__doc__ == "Train for a while."
    assert fit(3) == 6
    first, first_id = fit.last_report, fit.tracker.run_id
    assert first.status == "finished" and first.name == "fit"
    assert fit(4) == 8
    assert fit.last_report is not first and fit.tracker.run_id != first_id  # one run per call
    runs = Ledger(ledger_url).runs(name="fit")
    assert [run.id for run in runs] == [fit.tracker.run_id, first_id]

    @gs.track("broken", interval_s=10)
    def broken() -> None:
        raise ValueError("no")

    with pytest.raises(ValueError):
        broken()
    assert broken.last_report.status == "failed"  # kept also when the call raised
    assert Ledger(ledger_url).run(broken.tracker.run_id).status == "failed"
