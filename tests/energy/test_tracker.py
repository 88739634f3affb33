"""EnergyTracker: runs, nested windows, updates while running, failures, signals."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import greenspike as gs
from greenspike.energy.measurement import EnergyReport
from greenspike.tracking import EnergyTracker

LONG = 1e6  # an interval long enough that the sampling thread never reads during a test


def test_a_run_reports_each_component_with_its_provenance(fake_meter):
    with EnergyTracker([fake_meter], interval_s=LONG, name="train") as tracker:
        fake_meter.energy_j["cpu:package-0"] += 30.0
        fake_meter.energy_j["ram"] += 2.0
    report = tracker.report
    assert (report.name, report.status) == ("train", "finished")
    assert [(c.name, c.energy_j, c.provenance) for c in report.components] == [
        ("cpu:package-0", 30.0, "measured"),
        ("ram", 2.0, "estimated"),
    ]
    assert (report.measured_energy_j, report.estimated_energy_j, report.energy_j) == (30, 2, 32)
    assert report.duration_s >= 0
    assert report.end_unix_s == pytest.approx(report.start_unix_s + report.duration_s)
    assert fake_meter.closed


def test_windows_nest_and_hold_the_energy_between_their_edges(fake_meter):
    cpu = "cpu:package-0"
    with EnergyTracker([fake_meter], interval_s=LONG) as tracker:
        fake_meter.energy_j[cpu] += 1.0
        with tracker.window("epoch-0") as epoch:
            fake_meter.energy_j[cpu] += 10.0
            with tracker.window("validate"):
                fake_meter.energy_j[cpu] += 3.0
            fake_meter.energy_j[cpu] += 0.5
        with tracker.window("epoch-1"):
            fake_meter.energy_j[cpu] += 7.0
    [first, second] = tracker.report.windows
    assert first.energy_of(cpu) == 13.5 and second.energy_of(cpu) == 7.0
    assert first.windows[0].name == "validate" and first.windows[0].energy_of(cpu) == 3.0
    assert epoch.report == first
    assert first.status == "finished" and first.end_unix_s is not None
    assert tracker.report.energy_of(cpu) == 21.5


def test_windows_are_decorators_too(fake_meter):
    tracker = EnergyTracker([fake_meter], interval_s=LONG).start()

    @tracker.window("step")
    def step(joules):
        fake_meter.energy_j["ram"] += joules

    step(1.0)
    step(2.0)
    report = tracker.stop()
    assert [w.energy_of("ram") for w in report.windows] == [1.0, 2.0]


def test_the_tracker_is_a_decorator_and_gs_track_is_the_shortcut(fake_meter):
    tracker = gs.track("fit", meters=[fake_meter], interval_s=LONG)
    assert isinstance(tracker, gs.EnergyTracker) and tracker.name == "fit"

    @tracker
    def fit():
        fake_meter.energy_j["ram"] += 4.0

    fit()
    assert tracker.report.energy_of("ram") == 4.0


@st.composite
def programs(draw):
    """Random nestings of windows, each step adding energy to the two components."""

    def block(depth):
        steps = []
        for _ in range(draw(st.integers(0, 3))):
            if depth < 3 and draw(st.booleans()):
                steps.append(("window", block(depth + 1)))
            else:
                steps.append(("add", draw(st.floats(0, 1e6)), draw(st.floats(0, 10))))
        return steps

    return block(0)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(programs())
def test_no_window_holds_more_than_the_window_around_it(fake_meter, program):
    with EnergyTracker([fake_meter], interval_s=LONG) as tracker:

        def run(steps):
            for step in steps:
                if step[0] == "window":
                    with tracker.window("w"):
                        run(step[1])
                else:
                    fake_meter.energy_j["cpu:package-0"] += step[1]
                    fake_meter.energy_j["ram"] += step[2]

        run(program)
    report = tracker.report

    def check(parent_energy, windows):
        for name, total in parent_energy.items():
            inside = [w.energy_of(name) for w in windows]
            assert all(0 <= e <= total for e in inside)
            assert sum(inside) <= total * (1 + 1e-9) + 1e-9
        for w in windows:
            check({c.name: c.energy_j for c in w.components}, w.windows)
            assert w.energy_j == pytest.approx(sum(c.energy_j for c in w.components))

    check({c.name: c.energy_j for c in report.components}, report.windows)


def test_on_update_sees_the_running_report_then_the_final_one(fake_meter):
    updates: list[EnergyReport] = []
    with EnergyTracker([fake_meter], interval_s=0.01, on_update=updates.append) as tracker:
        fake_meter.energy_j["ram"] += 1.0
        with tracker.window("inside"):
            deadline = time.monotonic() + 5
            while not any(u.windows for u in updates) and time.monotonic() < deadline:
                time.sleep(0.01)
    running = next(u for u in updates if u.windows)
    assert running.status == "running" and running.end_unix_s is None
    assert running.windows[0].status == "running" and running.windows[0].end_unix_s is None
    assert EnergyReport.from_dict(json.loads(json.dumps(running.to_dict()))) == running
    assert updates[-1] == tracker.report and updates[-1].status == "finished"


def test_a_failing_on_update_is_noted_and_the_run_goes_on(fake_meter):
    def broken(report):
        raise OSError("disk full")

    with EnergyTracker([fake_meter], interval_s=0.01, on_update=broken) as tracker:
        time.sleep(0.05)
    assert "on_update failed: OSError('disk full')" in tracker.report.notes


def test_an_exception_ends_the_run_as_failed_with_the_report_kept(fake_meter):
    tracker = EnergyTracker([fake_meter], interval_s=LONG)
    with pytest.raises(ValueError, match="boom"), tracker, tracker.window("epoch-0"):
        fake_meter.energy_j["ram"] += 5.0
        raise ValueError("boom")
    report = tracker.report
    assert report.status == "failed" and "ended by ValueError: boom" in report.notes
    assert report.energy_of("ram") == 5.0
    assert report.windows[0].status == "failed"


def test_ctrl_c_ends_the_run_as_interrupted_and_closes_open_windows(fake_meter):
    tracker = EnergyTracker([fake_meter], interval_s=LONG)
    with pytest.raises(KeyboardInterrupt), tracker:
        tracker.window("left-open").start()
        fake_meter.energy_j["ram"] += 1.0
        raise KeyboardInterrupt
    report = tracker.report
    assert report.status == "interrupted" and "ended by KeyboardInterrupt" in report.notes
    assert report.windows[0].status == "interrupted" and report.windows[0].energy_of("ram") == 1


def test_windows_opened_in_another_thread_are_top_level(fake_meter):
    with EnergyTracker([fake_meter], interval_s=LONG) as tracker, tracker.window("main"):
        worker = threading.Thread(target=lambda: tracker.window("worker").start().stop())
        worker.start()
        worker.join()
    assert [w.name for w in tracker.report.windows] == ["main", "worker"]


def test_a_meter_that_fails_keeps_its_last_reading(fake_meter):
    with EnergyTracker([fake_meter], interval_s=LONG) as tracker:
        fake_meter.energy_j["ram"] += 2.0
        tracker.snapshot()
        fake_meter.fail = True
        fake_meter.energy_j["ram"] += 100.0
    assert tracker.report.energy_of("ram") == 2.0
    assert "meter fake failed to read: RuntimeError('sensor on fire')" in tracker.report.notes


def test_counters_are_polled_before_they_could_wrap_twice(fake_meter_class):
    from greenspike.energy.measurement import Component

    meter = fake_meter_class(
        Component("cpu:package-0", "measured", "energy counter", "rapl:package-0"),
        max_poll_interval_s=0.01,
    )
    reads = []
    original = meter.read
    meter.read = lambda: reads.append(1) or original()
    with EnergyTracker([meter], interval_s=LONG) as tracker:
        time.sleep(0.1)
    assert len(reads) > 3
    assert "meters read every 0.01 s so that no counter wraps twice" in tracker.report.notes


def test_stop_twice_gives_the_same_report_and_misuse_is_explained(fake_meter):
    tracker = EnergyTracker([fake_meter], interval_s=LONG)
    with pytest.raises(RuntimeError, match="not started"):
        tracker.stop()
    with pytest.raises(RuntimeError, match="start the tracker before opening window 'x'"):
        tracker.window("x").start()
    tracker.start()
    with pytest.raises(RuntimeError, match="already running"):
        tracker.start()
    report = tracker.stop()
    assert tracker.stop() is report


def test_two_meters_reporting_the_same_component_are_refused(fake_meter_class):
    from greenspike.energy.measurement import Component

    cpu = Component("cpu", "estimated", "tdp x utilisation", "tdp-utilisation")
    with pytest.raises(ValueError, match="several meters report cpu"):
        EnergyTracker([fake_meter_class(cpu), fake_meter_class(cpu)]).start()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"interval_s": -1}, "`interval_s` must be > 0 s, got -1 s"),
        ({"interval_s": 0}, "`interval_s` must be > 0 s"),
        ({"interval_s": float("nan")}, "`interval_s` must be a finite number"),
        ({"pue": 0.8}, "PUE must be a finite number >= 1"),
        ({"cpu_tdp_w": -3.0}, "CPU TDP must be"),
        ({"country": "Atlantis"}, "unknown country or region 'Atlantis'"),
        ({"country": "FRA", "intensity_g_per_kwh": 50}, "not both"),
        ({"meters": "rapl"}, "meters must be 'auto' or a list of meters"),
    ],
)
def test_bad_input_is_refused_before_anything_runs(options, message):
    with pytest.raises(ValueError, match=message):
        EnergyTracker(**options)


def test_carbon_comes_from_the_country_or_the_given_intensity(fake_meter):
    with EnergyTracker([fake_meter], interval_s=LONG, intensity_g_per_kwh=400, pue=1.5) as t:
        fake_meter.energy_j["ram"] += 3.6e6
    assert t.report.co2e_g == pytest.approx(1.0 * 1.5 * 400)
    assert EnergyTracker(country="FRA").carbon_intensity.region == "France (FRA)"


def test_auto_meters_start_and_stop_fast_on_this_machine():
    tracker = EnergyTracker()
    tracker.start()
    report = tracker.stop()
    names = {c.name for c in report.components}
    assert names & {"cpu", "cpu:package-0"}, names  # measured or estimated, never absent
    assert all(c.source for c in report.components)


# -- a real process: SIGTERM and interpreter exit ------------------------------------------

CHILD = """
import sys, time, greenspike as gs
path = sys.argv[1]
tracker = gs.track("child", interval_s=0.05, on_update=lambda r: r.write_json(path))
{body}
"""


def run_child(tmp_path, body: str, send=None):
    path = tmp_path / "report.json"
    code = CHILD.format(body=textwrap.dedent(body))
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True
    )
    if send is not None:
        assert child.stdout.readline() == "ready\n"
        child.send_signal(send)
    child.communicate(timeout=30)
    return child.returncode, EnergyReport.from_json(path.read_text())


def test_sigterm_unwinds_the_with_block_and_the_report_is_written(tmp_path):
    body = """
    with tracker, tracker.window("epoch-0"):
        print("ready", flush=True)
        time.sleep(30)
    """
    returncode, report = run_child(tmp_path, body, send=signal.SIGTERM)
    assert returncode == 128 + signal.SIGTERM
    assert report.status == "interrupted" and "ended by SIGTERM" in report.notes
    assert report.windows[0].status == "interrupted"


def test_a_tracker_never_stopped_is_stopped_at_exit(tmp_path):
    returncode, report = run_child(tmp_path, "tracker.start()\nprint('ready')")
    assert returncode == 0
    assert report.status == "interrupted"
    assert "the interpreter exited before stop()" in report.notes
