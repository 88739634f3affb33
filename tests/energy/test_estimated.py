"""Estimated CPU (TDP x utilisation) and RAM (W per GB) meters, and the automatic choice."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import namedtuple

import psutil
import pytest

from greenspike.energy.meters import estimated
from greenspike.energy.meters.auto import select_meters
from greenspike.energy.meters.estimated import EstimatedCpuMeter, EstimatedRamMeter
from greenspike.energy.meters.process import ProcessTree
from greenspike.energy.tdp import MEMORY_POWER_W_PER_GB

CpuTimes = namedtuple("CpuTimes", "user nice system idle iowait irq softirq steal guest guest_nice")


class FakeCpus:
    """Four logical CPUs on two physical cores (SMT); the test advances their busy seconds."""

    def __init__(self, monkeypatch, threads=4, cores=2, usable=(0, 1, 2, 3)):
        self.busy = [0.0] * threads
        self.idle = [100.0] * threads
        monkeypatch.setattr(estimated, "usable_cpus", lambda: list(usable))
        monkeypatch.setattr(psutil, "cpu_count", lambda logical=True: threads if logical else cores)
        monkeypatch.setattr(psutil, "cpu_times", self.cpu_times)

    def cpu_times(self, percpu=False):
        # A guest VM ran for half the busy time: Linux counts it in user time and again in guest.
        return [
            CpuTimes(b, 0, 0, i, i / 10, 0, 0, 0, b / 2, 0)
            for b, i in zip(self.busy, self.idle, strict=True)
        ]


def test_energy_is_per_core_tdp_times_busy_core_seconds(monkeypatch):
    cpus = FakeCpus(monkeypatch)
    meter = EstimatedCpuMeter(tdp_w=40.0)  # 20 W per physical core, 10 W per hardware thread
    meter.start()
    cpus.busy[0] += 3.0
    cpus.busy[3] += 1.0
    cpus.idle[1] += 9.0  # idle and I/O wait cost nothing
    assert meter.read() == {"cpu": pytest.approx(40.0)}
    [cpu] = meter.components()
    assert cpu.provenance == "estimated" and cpu.method == "tdp x utilisation"
    assert cpu.source.startswith("tdp-utilisation: 20 W/core x 2 cores x ")
    assert "40 W given for the 2 cores used" in cpu.notes[0]


def test_only_the_cpus_this_process_may_use_are_charged(monkeypatch):
    cpus = FakeCpus(monkeypatch, usable=(1,))
    meter = EstimatedCpuMeter(tdp_w=10.0)
    meter.start()
    cpus.busy[0] += 50.0  # not ours
    cpus.busy[1] += 2.0
    assert meter.read() == {"cpu": pytest.approx(20.0)}  # 10 W for the one thread, 2 s


@pytest.mark.parametrize(
    ("model", "per_core_w", "origin"),
    [
        ("Intel(R) Xeon(R) Gold 6148 CPU @ 2.40GHz", 7.5, "table"),
        ("AMD EPYC 7763 64-Core Processor", 280 / 64, "table"),
        ("AMD EPYC", 12.0, "generic"),  # what this machine's /proc/cpuinfo says: ambiguous
        ("", 12.0, "generic"),
        ("Quantum Abacus 9000", 12.0, "generic"),
    ],
)
def test_tdp_from_the_table_or_a_labelled_generic_figure(monkeypatch, model, per_core_w, origin):
    cpus = FakeCpus(monkeypatch, threads=2, cores=2, usable=(0, 1))
    meter = EstimatedCpuMeter(cpu_model=model)
    meter.start()
    cpus.busy[0] += 1.0
    assert meter.read()["cpu"] == pytest.approx(per_core_w)
    assert meter.tdp_origin == origin
    note = meter.components()[0].notes[0]
    if origin == "generic":
        assert "generic 12 W per core" in note and "--cpu-tdp-w" in note
    else:
        assert "TDP of" in note and "Green Algorithms" in note


@pytest.mark.parametrize("tdp_w", [0, -5, float("nan"), float("inf")])
def test_a_bad_tdp_is_refused(tdp_w):
    with pytest.raises(ValueError, match="CPU TDP must be"):
        EstimatedCpuMeter(tdp_w=tdp_w)


def test_on_this_machine_the_estimate_runs_and_grows_with_work():
    meter = EstimatedCpuMeter()
    meter.start()
    first = meter.read()["cpu"]
    deadline = time.monotonic() + 0.2
    while time.monotonic() < deadline:
        sum(range(10_000))
    assert meter.read()["cpu"] > first >= 0


@pytest.mark.parametrize("scope", ["machine", "process"])
def test_ram_energy_is_power_per_gb_times_gb_in_use_over_time(monkeypatch, scope):
    # machine scope: the machine's memory in use; process scope: the tracked processes' RSS
    machine, tree = (2, 5) if scope == "machine" else (5, 2)
    monkeypatch.setattr(estimated, "machine_memory_used_bytes", lambda: machine * 2**30)
    monkeypatch.setattr(ProcessTree, "rss_bytes", lambda self: tree * 2**30)
    before = time.monotonic()
    meter = EstimatedRamMeter(scope=scope)
    meter.start()
    after_start = time.monotonic()
    time.sleep(0.05)
    before_read = time.monotonic()
    energy_j = meter.read()["ram"]
    after = time.monotonic()
    power_w = MEMORY_POWER_W_PER_GB * 2
    assert power_w * (before_read - after_start) <= energy_j <= power_w * (after - before)
    assert meter.other_scope()["ram"] == pytest.approx(energy_j * 5 / 2)
    [ram] = meter.components()
    assert ram.source.startswith("memory-model: 0.3725 W/GB x 2.00 GB")
    assert ("memory in use on the machine" in ram.notes[0]) == (scope == "machine")


HOLD_200_MIB = "import time; b = bytearray(200 * 2**20); print(1, flush=True); time.sleep(30)"


def test_ram_counts_the_children_of_this_process():
    child = subprocess.Popen([sys.executable, "-c", HOLD_200_MIB], stdout=subprocess.PIPE)
    try:
        child.stdout.readline()  # its 200 MiB are allocated
        alone = psutil.Process().memory_info().rss
        meter = EstimatedRamMeter(scope="process")
        meter.start()
        time.sleep(0.01)
        meter.read()
        mean_gb = float(meter.components()[0].source.split(" x ")[1].removesuffix(" GB"))
        assert mean_gb * 2**30 > alone + 150 * 2**20
    finally:
        child.kill()
        child.wait()


def test_ram_counts_a_child_started_after_the_meter_within_a_second():
    meter = EstimatedRamMeter(scope="process")
    started = time.monotonic()
    meter.start()
    child = subprocess.Popen([sys.executable, "-c", HOLD_200_MIB], stdout=subprocess.PIPE)
    try:
        child.stdout.readline()
        time.sleep(max(0.0, 0.6 - (time.monotonic() - started)))
        meter.read()  # past 0.5 s: the process tree and its memory are sampled again
        start, first = time.monotonic(), meter.read()["ram"]
        time.sleep(0.2)
        power_w = (meter.read()["ram"] - first) / (time.monotonic() - start)
        alone = psutil.Process().memory_info().rss
        assert power_w > MEMORY_POWER_W_PER_GB * (alone + 150 * 2**20) / 2**30
    finally:
        child.kill()
        child.wait()


def test_auto_uses_rapl_where_readable_and_estimates_the_rest(powercap, fake_nvml):
    powercap.zone("intel-rapl:0", "package-0")  # a desktop: no DRAM zone
    selection = select_meters(40.0, rapl_root=powercap.root, nvml=fake_nvml(init_error=12))
    names = [c.name for m in selection.meters for c in m.components()]
    assert names == ["cpu:package-0", "ram"]
    assert "CPU TDP 40 W not used: RAPL measures the CPU" in selection.notes
    assert "memory energy is estimated: no readable RAPL DRAM counter" in selection.notes
    assert dict(selection.unavailable)["nvml"].startswith("NVML could not start")


def test_auto_estimates_a_cpu_whose_counters_are_denied_and_lists_them(
    powercap, fake_nvml, fake_gpu
):
    powercap.server(packages=1)
    powercap.deny("intel-rapl:0")
    gpu = fake_gpu("NVIDIA H100 80GB HBM3", "GPU-1")
    selection = select_meters(rapl_root=powercap.root, nvml=fake_nvml(gpu))
    names = {c.name: c.provenance for m in selection.meters for c in m.components()}
    assert names == {"dram:0": "measured", "cpu": "estimated", "gpu:0": "measured"}
    missing = [x.name for m in selection.meters for x in m.missing()]
    assert missing == ["cpu:package-0"]
