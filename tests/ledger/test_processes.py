"""Many processes writing at once, and a process killed with SIGKILL, against real ledgers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from greenspike.ledger import Ledger

PROCESSES, RUNS = 8, 50

WRITER = """
import sys, time
from greenspike.energy.measurement import ComponentEnergy, EnergyReport
from greenspike.ledger import Ledger

url, worker, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def report(status, joules):
    return EnergyReport(
        name=f"w{worker}", status=status, start_unix_s=1.7e9, duration_s=1.0,
        end_unix_s=None if status == "running" else 1.7e9 + 1,
        components=(ComponentEnergy("cpu", "estimated", "tdp x utilisation", "test",
                                    energy_j=joules),),
    )

ledger = Ledger(url)
for i in range(runs):
    run_id = ledger.start_run(name=f"w{worker}", start_unix_s=time.time(), interval_s=1.0,
                              tags={"worker": worker, "i": i})
    ledger.record(run_id, report("running", i / 2))
    ledger.log_metrics(run_id, {"i": i}, step=i)
    ledger.record(run_id, report("finished", 1000 * worker + i))
"""


@pytest.mark.slow
def test_eight_processes_record_fifty_runs_each(any_url):
    Ledger(any_url).close()  # the schema exists before the writers start
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, any_url, str(w), str(RUNS)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(PROCESSES)
    ]
    for writer in writers:
        _, errors = writer.communicate(timeout=240)
        assert writer.returncode == 0, errors
    runs = Ledger(any_url).runs()
    assert len(runs) == PROCESSES * RUNS
    assert len({run.id for run in runs}) == PROCESSES * RUNS
    seen = set()
    for run in runs:
        worker, i = int(run.tags["worker"]), int(run.tags["i"])
        seen.add((worker, i))
        assert run.name == f"w{worker}" and run.status == "finished"
        assert run.energy_j == 1000 * worker + i == run.components[0].energy_j
        assert [(m.name, m.value, m.step) for m in run.metrics] == [("i", i, i)]
    assert seen == {(w, i) for w in range(PROCESSES) for i in range(RUNS)}


def test_many_processes_can_create_the_same_new_ledger_at_once(any_url):
    openers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, any_url, str(w), "1"], stderr=subprocess.PIPE, text=True
        )
        for w in range(4)
    ]
    for opener in openers:
        _, errors = opener.communicate(timeout=120)
        assert opener.returncode == 0, errors
    assert len(Ledger(any_url).runs()) == 4


TRACKED = """
import sys, time
from greenspike.tracking import EnergyTracker
tracker = EnergyTracker(interval_s=0.02, name="killed", ledger=sys.argv[1], cpu_tdp_w=50)
with tracker:
    print(tracker.run_id, flush=True)
    while True:
        sum(range(10_000))
"""


def _start_tracked(url: str) -> tuple[subprocess.Popen, int]:
    child = subprocess.Popen(
        [sys.executable, "-c", TRACKED, url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = child.stdout.readline()
    assert line.strip().isdigit(), child.stderr.read() if child.poll() is not None else line
    return child, int(line)


def _wait_for_update(ledger: Ledger, run_id: int, seconds: float = 1.2) -> None:
    deadline = time.monotonic() + 30
    while ledger.run(run_id).duration_s < seconds:
        assert time.monotonic() < deadline, "the running run was never updated"
        time.sleep(0.1)


@pytest.mark.slow
def test_kill_9_leaves_a_readable_partial_record(any_url):
    child, run_id = _start_tracked(any_url)
    ledger = Ledger(any_url)
    _wait_for_update(ledger, run_id)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    run = ledger.run(run_id)
    assert run.status == "running" and run.stale and run.display_status == "running (stale)"
    assert run.duration_s >= 1.2 and run.energy_j > 0
    assert run.report.status == "running" and run.report.energy_j == run.energy_j
    assert [r.id for r in ledger.runs(status="stale")] == [run_id]


def test_sigterm_is_recorded_as_interrupted(sqlite_url):
    child, run_id = _start_tracked(sqlite_url)
    ledger = Ledger(sqlite_url)
    _wait_for_update(ledger, run_id, seconds=0.1)
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=30) == 143
    run = ledger.run(run_id)
    assert (run.status, run.stale) == ("interrupted", False)
    assert "ended by SIGTERM" in run.report.notes
