"""Machine and process scope: the tracked processes' CPU time and memory, apportioned counters,
and both figures side by side."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil
import pytest
from hypothesis import given
from hypothesis import strategies as st

from greenspike.energy.measurement import ComponentEnergy, EnergyReport
from greenspike.energy.meters import apportioned, estimated
from greenspike.energy.meters import process as process_meters
from greenspike.energy.meters.apportioned import ApportionedMeter
from greenspike.energy.meters.base import Meter
from greenspike.energy.meters.estimated import EstimatedCpuMeter
from greenspike.energy.meters.process import ProcessTree
from greenspike.energy.scope import scopes_differ
from greenspike.errors import InvalidInputError

BURN = "import time\nend = time.process_time() + {seconds}\nwhile time.process_time() < end: pass"


def burn(seconds: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", BURN.format(seconds=seconds)])


def test_the_tree_counts_a_child_that_came_and_went_once():
    tree = ProcessTree()
    tree.start()
    before = tree.cpu_s()
    burn(0.4).wait()  # ended and waited for: in this process's children times
    spent = tree.cpu_s() - before
    tick = 0.011  # the kernel reports children's CPU time in clock ticks (10 ms)
    assert 0.4 - tick <= spent < 0.4 + 0.3  # its 0.4 s of CPU, plus its interpreter's start


def test_the_tree_counts_a_live_child_it_finds_at_a_rescan():
    tree = ProcessTree()
    tree.start()
    before = tree.cpu_s()
    started = time.monotonic()
    child = burn(5.0)
    try:
        deadline = started + 30
        while psutil.Process(child.pid).cpu_times().user < 0.3 or time.monotonic() < started + 0.6:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        # past the first rescan at 0.5 s: the child is a member, with its CPU time so far
        assert tree.cpu_s() - before >= 0.3
    finally:
        child.kill()
        child.wait()


def test_without_the_root_only_the_descendants_count():
    tree = ProcessTree(include_root=False)
    tree.start()
    before = tree.cpu_s()
    end = time.process_time() + 0.3
    while time.process_time() < end:  # this process works: not counted
        pass
    assert tree.cpu_s() - before < 0.05
    assert tree.rss_bytes() == 0  # no child: no memory


def test_meters_that_share_a_tree_and_start_in_turn_scan_the_machine_once(monkeypatch):
    """Each scan reads every process on the machine: `greenspike track` starts three meters on
    one tree before its command, and must not pay for three scans (issue 24)."""
    tree = ProcessTree(include_root=False)
    scans = []
    children = tree._root.children
    monkeypatch.setattr(tree._root, "children", lambda **kw: scans.append(1) or children(**kw))
    for _ in range(3):
        tree.start()
    assert len(scans) == 1
    time.sleep(process_meters.RECENT_SCAN_S)
    tree.start()  # a later start finds the descendants anew
    assert len(scans) == 2


def test_the_tree_never_goes_back(monkeypatch):
    tree = ProcessTree()
    tree.start()
    first = tree.cpu_s()
    monkeypatch.setattr(tree, "_members", [])  # as if every process had just ended
    assert tree.cpu_s() == first


class FakeTree(ProcessTree):
    """CPU seconds set by the test."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds = 0.0

    def start(self) -> None:
        pass

    def cpu_s(self) -> float:
        return self.seconds

    def rss_bytes(self) -> int:
        return 0


class Counter(Meter):
    name = "rapl"

    def __init__(self):
        self.joules = {"cpu:package-0": 0.0, "dram:0": 0.0}

    def start(self):
        self.joules = dict.fromkeys(self.joules, 0.0)

    def read(self):
        return dict(self.joules)

    def components(self):
        from greenspike.energy.measurement import Component

        return tuple(Component(n, "measured", "energy counter", f"rapl:{n}") for n in self.joules)


@pytest.fixture
def machine(monkeypatch):
    """The machine's busy CPU seconds, set by the test."""
    busy = {"s": 1000.0}
    monkeypatch.setattr(apportioned, "machine_busy_s", lambda: busy["s"])
    return busy


@pytest.mark.parametrize("scope", ["machine", "process"])
def test_a_counter_is_apportioned_interval_by_interval(machine, scope):
    counter, tree = Counter(), FakeTree()
    meter = ApportionedMeter(counter, tree, scope, refresh_s=0.0)
    meter.start()
    counter.joules["cpu:package-0"] += 100.0  # interval 1: ours 1 s of 4 s busy
    tree.seconds += 1.0
    machine["s"] += 4.0
    meter.read()
    counter.joules["cpu:package-0"] += 50.0  # interval 2: all 2 s busy are ours
    tree.seconds += 2.0
    machine["s"] += 2.0
    figures = {"machine": {"cpu:package-0": 150.0, "dram:0": 0.0}}
    figures["process"] = {"cpu:package-0": 100 * 0.25 + 50 * 1.0, "dram:0": 0.0}
    assert meter.read() == figures[scope]
    assert meter.other_scope() == figures["process" if scope == "machine" else "machine"]
    assert meter.share == pytest.approx(3 / 6)
    [package, _] = meter.components()
    if scope == "machine":
        assert (package.provenance, package.label) == ("measured", "measured")
    else:
        assert (package.provenance, package.label) == ("estimated", "apportioned")
        assert package.source == "rapl:cpu:package-0 x 50.0% CPU-time share"
        assert package.notes[0].startswith("apportioned: 150.0 J measured by the counter")


def test_the_share_is_refreshed_at_most_every_refresh_s(machine):
    counter, tree = Counter(), FakeTree()
    meter = ApportionedMeter(counter, tree, "process", refresh_s=3600.0)
    meter.start()
    tree.seconds, machine["s"] = 1.0, machine["s"] + 1.0  # all ours: not seen before an hour
    counter.joules["cpu:package-0"] += 10.0
    assert meter.read()["cpu:package-0"] == 0.0  # the share at start: 0
    meter.refresh_s = 0.0
    counter.joules["cpu:package-0"] += 10.0
    assert meter.read()["cpu:package-0"] == 10.0  # refreshed: 100 %, for the new 10 J


def test_an_interval_without_busy_time_keeps_the_last_share(machine):
    counter, tree = Counter(), FakeTree()
    meter = ApportionedMeter(counter, tree, "process", refresh_s=0.0)
    meter.start()
    tree.seconds, machine["s"] = 1.0, machine["s"] + 2.0
    counter.joules["dram:0"] += 10.0
    meter.read()
    counter.joules["dram:0"] += 10.0  # no tick of CPU time in between
    assert meter.read()["dram:0"] == pytest.approx(10.0)


@given(
    st.lists(
        st.tuples(
            st.floats(0, 500), st.floats(0, 10), st.floats(0, 10)
        ),  # joules, ours, others' busy seconds
        min_size=1,
        max_size=30,
    )
)
def test_the_process_figure_never_exceeds_the_machines(intervals):
    busy = {"s": 0.0}
    apportioned.machine_busy_s, saved = (lambda: busy["s"]), apportioned.machine_busy_s
    try:
        counter, tree = Counter(), FakeTree()
        meter = ApportionedMeter(counter, tree, "process", refresh_s=0.0)
        meter.start()
        for joules, ours, others in intervals:
            counter.joules["cpu:package-0"] += joules
            tree.seconds += ours
            busy["s"] += ours + others
            process = meter.read()["cpu:package-0"]
            whole = meter.other_scope()["cpu:package-0"]
            assert 0 <= process <= whole + 1e-9
        if all(others == 0 and ours > 0 for _, ours, others in intervals):
            assert process == pytest.approx(whole)  # the machine was ours alone
    finally:
        apportioned.machine_busy_s = saved


def test_the_cpu_estimate_charges_the_trees_cpu_time_in_process_scope(monkeypatch):
    monkeypatch.setattr(estimated, "usable_cpus", lambda: [0, 1])
    monkeypatch.setattr(estimated.psutil, "cpu_count", lambda logical=True: 2)
    busy = [[10.0, 0.0], [10.0, 0.0]]

    def cpu_times(percpu=False):
        from collections import namedtuple

        times = namedtuple("times", "user system idle")
        return [times(b, s, 100.0) for b, s in busy]

    monkeypatch.setattr(estimated.psutil, "cpu_times", cpu_times)
    tree = FakeTree()
    meters = {s: EstimatedCpuMeter(tdp_w=20.0, scope=s, tree=tree) for s in ("machine", "process")}
    for meter in meters.values():
        meter.start()
    busy[0][0] += 8.0  # the machine works 8 s; the tracked processes 0.5 s of it
    tree.seconds += 0.5
    assert meters["machine"].read() == {"cpu": pytest.approx(10.0 * 8.0)}  # 10 W per thread
    assert meters["process"].read() == {"cpu": pytest.approx(10.0 * 0.5)}
    assert meters["machine"].other_scope() == meters["process"].read()
    [cpu] = meters["process"].components()
    assert "0.5 s CPU time of the tracked processes" in cpu.source


def test_scope_is_checked():
    with pytest.raises(InvalidInputError, match="`scope` must be 'machine' or 'process'"):
        EstimatedCpuMeter(scope="node")


def report(energy_j: float, other: float | None, scope="machine") -> EnergyReport:
    component = ComponentEnergy("cpu", "estimated", "tdp x utilisation", "s", energy_j=energy_j)
    return EnergyReport(
        name="r",
        status="finished",
        start_unix_s=0.0,
        end_unix_s=1.0,
        duration_s=1.0,
        components=(component,),
        scope=scope,
        other_scope_energy_j=other,
    )


def test_both_figures_are_shown_when_they_differ_much():
    assert report(128.0, 0.3).scopes_differ
    assert not report(100.0, 95.0).scopes_differ  # within 20 %
    assert not report(0.5, 0.0).scopes_differ  # under a joule apart
    assert not report(10.0, None).scopes_differ
    assert report(0.3, 128.0, "process").other_scope == "machine"
    assert scopes_differ(10.0, 7.9) and not scopes_differ(10.0, 8.1)


def test_reports_keep_their_scope_and_read_old_reports_as_machine_scope():
    process = report(1.0, 9.0, "process")
    assert EnergyReport.from_dict(process.to_dict()) == process
    old = report(1.0, None).to_dict()
    for key in ("scope", "other_scope_energy_j", "placement", "forecast"):
        del old[key]
    assert EnergyReport.from_dict(old) == report(1.0, None)
