"""Several workers on one study: PostgreSQL shared by two processes, and a worker stopped by
SIGTERM whose trial is kept as failed."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import optuna
import pytest

from greenspike.ledger import Ledger
from greenspike.search import SearchConfig, search


@pytest.mark.slow
def test_two_workers_share_one_study_on_postgresql(postgres_url, tmp_path):
    config = SearchConfig(
        trials=6,
        epochs=1,
        limit=120,
        batch_size=32,
        workers=2,
        storage=postgres_url,  # the study and the ledger in one database
        ledger=postgres_url,
        study="shared",
        out=str(tmp_path),
    )
    result = search(config).to_dict()
    trials = result["trials"]
    assert [t["number"] for t in trials] == list(range(6))  # none lost, none doubled
    assert result["counts"]["complete"] == 6 and result["stopped_by"] == "6 trials reached"
    workers = {t["worker"] for t in trials}
    assert len(workers) == 2  # three trials each
    (note,) = result["notes"]  # both on this host: their energy figures overlap
    assert "2 worker processes ran trials" in note and "may overcount" in note

    with Ledger(postgres_url) as ledger:
        runs = ledger.runs(tags={"search": "shared"})
    assert sorted(int(run.tags["trial"]) for run in runs) == list(range(6))
    by_trial = {int(run.tags["trial"]): run for run in runs}
    for trial in trials:
        run = by_trial[trial["number"]]
        assert run.id == trial["ledger_run_id"]
        assert run.status == "finished" and run.tags["trial_state"] == "complete"
        assert run.energy_j == pytest.approx(trial["energy_j"])
        assert f"{run.host}:{run.pid}" == trial["worker"]
        assert run.last_metric("accuracy") == trial["accuracy_curve"][-1]
    assert sum(run.energy_j for run in runs) == pytest.approx(result["energy"]["energy_j"])


@pytest.mark.slow
def test_sigterm_fails_the_running_trial_and_keeps_its_energy(tmp_path):
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    command = [
        sys.executable, "-m", "greenspike", "search", "--trials", "3", "--epochs", "200",
        "--no-prune", "--storage", storage, "--out", str(tmp_path),
    ]  # fmt: skip
    worker = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not _started_trials(storage) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(0.5)  # into the first epochs
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=60)
    finally:
        worker.kill()
    assert worker.returncode == 130, out + err
    assert "Interrupted" in out
    (trial,) = optuna.load_study(study_name="greenspike-search", storage=storage).trials
    assert trial.state == optuna.trial.TrialState.FAIL
    record = trial.user_attrs["record"]  # what the trial measured, in the study storage
    assert record["energy_status"] == "interrupted" and record["energy_j"] > 0
    written = json.loads((tmp_path / "results.json").read_text())
    assert written["stopped_by"] == "interrupted" and written["counts"]["fail"] == 1


def _started_trials(storage: str) -> int:
    """Running trials past their warm-up (the worker is named just before the tracker starts)."""
    try:
        study = optuna.load_study(study_name="greenspike-search", storage=storage)
    except KeyError:  # not created yet
        return 0
    running = study.get_trials(states=(optuna.trial.TrialState.RUNNING,))
    return sum("worker" in t.user_attrs for t in running)


@pytest.mark.slow
def test_a_killed_workers_trial_is_failed_on_resume_and_its_energy_is_in_the_ledger(
    tmp_path, ledger_url, monkeypatch
):
    import greenspike.search._study as study_module

    storage = f"sqlite:///{tmp_path / 'study.db'}"
    command = [
        sys.executable, "-m", "greenspike", "search", "--trials", "2", "--epochs", "500",
        "--no-prune", "--storage", storage, "--out", str(tmp_path),
    ]  # fmt: skip
    worker = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not _started_trials(storage) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.5)  # the ledger has an update of the running trial
    finally:
        worker.kill()  # SIGKILL: no chance to record anything
        worker.wait(timeout=30)
    monkeypatch.setattr(study_module, "GRACE_S", 1)  # a heartbeat older than 1 s is stale
    time.sleep(1.5)
    result = search(
        SearchConfig(trials=2, epochs=1, limit=120, storage=storage, out=str(tmp_path))
    ).to_dict()
    assert [t["state"] for t in result["trials"]] == ["fail", "complete", "complete"]
    killed = result["trials"][0]
    assert "energy_j" not in killed  # the worker died before writing it to the study...
    with Ledger(ledger_url) as ledger:  # ...but the ledger kept the run up to its last update
        run = ledger.run(killed["ledger_run_id"])
    assert run.stale and run.energy_j > 0 and run.tags["trial"] == "0"
    assert any(f"ledger's run {run.id} holds it" in note for note in result["notes"])
