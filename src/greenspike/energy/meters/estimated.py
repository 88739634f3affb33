"""Estimated CPU and memory energy, for machines whose energy counters cannot be read.

CPU, the Green Algorithms model (Lannelongue, Grealey and Inouye 2021) applied to the CPUs this
process may use (its affinity):

    P_cpu = tdp_per_core_w * n_cores * u
    E_cpu = tdp_per_core_w / threads_per_core * (sum over those CPUs of their busy seconds)

u, their mean utilisation, comes from the kernel's per-CPU time counters, which are read rather
than sampled; like a RAPL counter it charges everything that ran on those CPUs, not only this
process. tdp_per_core_w is the CPU's TDP over its physical cores from the bundled TDP table;
`tdp_w / n_cores` when the user gives `tdp_w`, the power of the CPUs this process may use at full
load; Green Algorithms' generic 12 W per core when the CPU model is not in the table.

Memory, Green Algorithms' reference power per GB (GB = 2**30 bytes, as DIMMs are sold):

    P_ram = 0.3725 W/GB * resident memory of this process and its children

The resident memory is sampled at most every RSS_REFRESH_S and held in between. The list of
child processes costs more to build (psutil scans every process on the machine, about 30 us
each): it is rebuilt after 0.5 s, then at doubling intervals up to every TREE_REFRESH_S, so a
child started with the run (as by `greenspike track`) is seen at once, and a long run on a
machine with thousands of processes does not pay for frequent scans.
"""

from __future__ import annotations

import math
import platform
import time
from pathlib import Path

import psutil

from greenspike.energy.measurement import Component
from greenspike.energy.meters.base import Meter
from greenspike.energy.tdp import MEMORY_POWER_SOURCE, MEMORY_POWER_W_PER_GB, find_hardware
from greenspike.errors import InvalidInputError

BYTES_PER_GB = 2**30
RSS_REFRESH_S = 0.5
TREE_REFRESH_S = 30.0
GENERIC_CPU = "Generic CPU core"


def check_tdp_w(tdp_w: float | None) -> None:
    """Check that `tdp_w` is None or a finite number of watts > 0.

    Raises:
        InvalidInputError: `tdp_w` is a number that is not finite or not > 0.
    """
    if tdp_w is not None and not (math.isfinite(tdp_w) and tdp_w > 0):
        raise InvalidInputError(f"CPU TDP must be a finite number of watts > 0, got {tdp_w:g}")


def cpu_model_name() -> str:
    """The CPU's name as the system gives it: /proc/cpuinfo on Linux, else platform."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                return value.strip()
    except OSError:
        pass
    return platform.processor()


def usable_cpus() -> list[int]:
    """Numbers of the logical CPUs this process may run on."""
    try:
        return sorted(psutil.Process().cpu_affinity())
    except (AttributeError, psutil.Error):  # no affinity on macOS
        return list(range(psutil.cpu_count() or 1))


def _busy_s(times) -> float:
    """Seconds a CPU spent working: all its time but idle and I/O wait, as psutil counts it.

    Guest time is left out as well: on Linux it is already inside user and nice.
    """
    spent = sum(times)
    for idle in ("idle", "iowait", "guest", "guest_nice"):
        spent -= getattr(times, idle, 0.0)
    return spent


class EstimatedCpuMeter(Meter):
    """CPU energy from TDP x utilisation; `tdp_w` overrides the table, `cpu_model` the detection.

    Raises:
        InvalidInputError: `tdp_w` is not None or a finite number of watts > 0.
    """

    name = "estimated-cpu"

    def __init__(self, tdp_w: float | None = None, cpu_model: str | None = None):
        check_tdp_w(tdp_w)
        self.tdp_w = tdp_w
        self.cpu_model = cpu_model
        #: Where the per-core TDP comes from: "user", "table" or "generic" (model not found).
        self.tdp_origin = ""
        self._tdp_note = ""
        self._cpus: list[int] = []
        self._threads_per_core = 1.0
        self._per_core_w = 0.0
        self._start_busy_s = 0.0
        self._busy = 0.0
        self._start = self._last = time.monotonic()

    @property
    def cores(self) -> float:
        """Physical cores this process may use."""
        return len(self._cpus) / self._threads_per_core

    def start(self) -> None:
        """Find the usable CPUs and their TDP per core; take the first CPU time reading."""
        self._cpus = usable_cpus()
        logical = psutil.cpu_count() or len(self._cpus)
        physical = psutil.cpu_count(logical=False) or logical
        self._threads_per_core = max(1.0, logical / physical)
        self._per_core_w = self._tdp_per_core_w()
        self._start_busy_s = self._busy_now()
        self._busy = 0.0
        self._start = self._last = time.monotonic()

    def read(self) -> dict[str, float]:
        """Joules of `"cpu"` since `start()`: TDP per thread x busy seconds of the usable CPUs."""
        self._busy = max(self._busy_now() - self._start_busy_s, self._busy)
        self._last = time.monotonic()
        return {"cpu": self._per_core_w / self._threads_per_core * self._busy}

    def components(self) -> tuple[Component, ...]:
        """The estimated `"cpu"` component, its source giving TDP per core, cores, utilisation."""
        elapsed_s = self._last - self._start
        capacity_s = len(self._cpus) * elapsed_s
        utilisation = self._busy / capacity_s if capacity_s > 0 else 0.0
        source = (
            f"tdp-utilisation: {self._per_core_w:.3g} W/core x {self.cores:g} cores "
            f"x {utilisation:.0%}"
        )
        notes = (
            self._tdp_note,
            "utilisation of every process on these CPUs, from the kernel's CPU time counters",
        )
        return (Component("cpu", "estimated", "tdp x utilisation", source, notes),)

    def _busy_now(self) -> float:
        per_cpu = psutil.cpu_times(percpu=True)
        return math.fsum(_busy_s(per_cpu[cpu]) for cpu in self._cpus if cpu < len(per_cpu))

    def _tdp_per_core_w(self) -> float:
        if self.tdp_w is not None:
            self.tdp_origin = "user"
            self._tdp_note = f"TDP {self.tdp_w:g} W given for the {self.cores:g} cores used"
            return self.tdp_w / self.cores
        model = self.cpu_model if self.cpu_model is not None else cpu_model_name()
        try:
            cpu = find_hardware(model, kind="cpu")
        except ValueError:
            generic = find_hardware(GENERIC_CPU, kind="cpu")
            self.tdp_origin = "generic"
            self._tdp_note = (
                f"the CPU {model!r} is not one model of the TDP table (unknown or ambiguous), "
                f"so the generic {generic.tdp_per_core_w:g} W per core is used "
                f"({generic.source}); give this CPU's TDP (--cpu-tdp-w, cpu_tdp_w=) "
                "for a better estimate"
            )
            return generic.tdp_per_core_w
        self.tdp_origin = "table"
        self._tdp_note = f"TDP of {cpu.model}: {cpu.tdp_w:g} W / {cpu.cores} cores ({cpu.source})"
        return cpu.tdp_per_core_w


class EstimatedRamMeter(Meter):
    """Memory energy from the resident memory of this process and its children."""

    name = "estimated-ram"

    def __init__(self) -> None:
        self._tree: list[psutil.Process] = []
        self._tree_refresh_s = RSS_REFRESH_S
        self._rss_bytes = 0
        self._gb_s = 0.0
        self._start = self._last = self._last_rss = self._last_tree = time.monotonic()

    def start(self) -> None:
        """Find this process and its children and take their resident memory."""
        self._tree, self._tree_refresh_s = self._process_tree(), RSS_REFRESH_S
        self._rss_bytes = self._tree_rss_bytes()
        self._gb_s = 0.0
        self._start = self._last = self._last_rss = self._last_tree = time.monotonic()

    def read(self) -> dict[str, float]:
        """Joules of `"ram"` since `start()`: 0.3725 W/GB x the GB-seconds held so far."""
        now = time.monotonic()
        gb_s = self._gb_s + self._rss_bytes / BYTES_PER_GB * (now - self._last)
        self._gb_s, self._last = gb_s, now  # one statement: no slice counted twice
        if now - self._last_tree >= self._tree_refresh_s:
            self._tree, self._last_tree = self._process_tree(), now
            self._tree_refresh_s = min(2 * self._tree_refresh_s, TREE_REFRESH_S)
        if now - self._last_rss >= RSS_REFRESH_S:
            self._rss_bytes, self._last_rss = self._tree_rss_bytes(), now
        return {"ram": MEMORY_POWER_W_PER_GB * self._gb_s}

    def components(self) -> tuple[Component, ...]:
        """The estimated `"ram"` component, its source giving the mean resident memory."""
        elapsed_s = self._last - self._start
        mean_gb = self._gb_s / elapsed_s if elapsed_s > 0 else self._rss_bytes / BYTES_PER_GB
        source = f"memory-model: {MEMORY_POWER_W_PER_GB:g} W/GB x {mean_gb:.2f} GB"
        notes = (
            "GB: mean resident memory of this process and its children (GB = 2**30 bytes)",
            MEMORY_POWER_SOURCE,
        )
        return (Component("ram", "estimated", "memory model", source, notes),)

    @staticmethod
    def _process_tree() -> list[psutil.Process]:
        process = psutil.Process()
        try:
            return [process, *process.children(recursive=True)]
        except psutil.Error:
            return [process]

    def _tree_rss_bytes(self) -> int:
        total = 0
        for process in self._tree:
            try:
                total += process.memory_info().rss
            except psutil.Error:
                continue  # ended or not ours to read: it no longer holds memory we can see
        return total
