"""Estimated CPU and memory energy, for machines whose energy counters cannot be read.

CPU, the Green Algorithms model (Lannelongue, Grealey and Inouye 2021) applied to the CPUs this
process may use (its affinity):

    P_cpu = tdp_per_core_w * n_cores * u
    E_cpu = tdp_per_core_w / threads_per_core * busy_s

In machine scope busy_s is the busy seconds of those CPUs, which, like a RAPL counter, charges
everything that ran on them; in process scope it is the CPU time of the tracked processes
(`ProcessTree`). Both are read from the kernel's time counters rather than sampled.
tdp_per_core_w is the CPU's TDP over its physical cores from the bundled TDP table; `tdp_w /
n_cores` when the user gives `tdp_w`, the power of the CPUs this process may use at full load;
Green Algorithms' generic 12 W per core when the CPU model is not in the table.

Memory, Green Algorithms' reference power per GB (GB = 2**30 bytes, as DIMMs are sold):

    P_ram = 0.3725 W/GB * memory

where memory is the machine's memory in use (machine scope) or the resident memory of the
tracked processes (process scope), sampled at most every RSS_REFRESH_S and held in between.

Each meter computes the figure of the other scope as well (`other_scope()`), so that a report
can show both when they differ much.
"""

from __future__ import annotations

import math
import platform
import time
from pathlib import Path

import psutil

from greenspike._checks import checked_real
from greenspike.energy.measurement import Component
from greenspike.energy.meters.base import Meter
from greenspike.energy.meters.process import ProcessTree, busy_s, machine_memory_used_bytes
from greenspike.energy.scope import Scope, checked_scope
from greenspike.energy.tdp import MEMORY_POWER_SOURCE, MEMORY_POWER_W_PER_GB, find_hardware
from greenspike.errors import InvalidInputError

BYTES_PER_GB = 2**30
RSS_REFRESH_S = 0.5
GENERIC_CPU = "Generic CPU core"


def check_tdp_w(tdp_w: float | None) -> None:
    """Check that `tdp_w` is None or a finite number of watts > 0.

    Raises:
        InvalidInputError: `tdp_w` is not a number, not finite or not > 0.
    """
    if tdp_w is not None and not (checked_real(tdp_w, "CPU TDP") > 0):
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


class EstimatedCpuMeter(Meter):
    """CPU energy from TDP x utilisation; `tdp_w` overrides the table, `cpu_model` the detection.

    Args:
        tdp_w: power of the CPUs this process may use, at full load (default: the TDP table).
        cpu_model: the CPU's name, to look up in the table (default: this machine's).
        scope: "machine" (busy time of the usable CPUs) or "process" (CPU time of `tree`).
        tree: the tracked processes (default: this process and its children); gives the
            process figure as `other_scope()` in machine scope.

    Raises:
        InvalidInputError: `tdp_w` is not None or a finite number of watts > 0, or a bad scope.
    """

    name = "estimated-cpu"

    def __init__(
        self,
        tdp_w: float | None = None,
        cpu_model: str | None = None,
        *,
        scope: Scope = "machine",
        tree: ProcessTree | None = None,
    ):
        check_tdp_w(tdp_w)
        self.scope = checked_scope(scope)
        self.tdp_w = tdp_w
        self.cpu_model = cpu_model
        self.tree = tree if tree is not None else ProcessTree()
        #: Where the per-core TDP comes from: "user", "table" or "generic" (model not found).
        self.tdp_origin = ""
        self._tdp_note = ""
        self._cpus: list[int] = []
        self._threads_per_core = 1.0
        self._per_core_w = 0.0
        self._start_busy_s = self._start_tree_s = 0.0
        self._busy = self._tree_busy = 0.0
        self._start = self._last = time.monotonic()

    @property
    def cores(self) -> float:
        """Physical cores this process may use."""
        return len(self._cpus) / self._threads_per_core

    def start(self) -> None:
        """Find the usable CPUs and their TDP per core; take the first CPU time readings."""
        self._cpus = usable_cpus()
        logical = psutil.cpu_count() or len(self._cpus)
        physical = psutil.cpu_count(logical=False) or logical
        self._threads_per_core = max(1.0, logical / physical)
        self._per_core_w = self._tdp_per_core_w()
        self.tree.start()
        self._start_busy_s = self._busy_now()
        self._start_tree_s = self.tree.cpu_s()
        self._busy = self._tree_busy = 0.0
        self._start = self._last = time.monotonic()

    def read(self) -> dict[str, float]:
        """Joules of `"cpu"` since `start()`: TDP per thread x busy seconds in this scope."""
        self._busy = max(self._busy_now() - self._start_busy_s, self._busy)
        self._tree_busy = max(self.tree.cpu_s() - self._start_tree_s, self._tree_busy)
        self._last = time.monotonic()
        return {"cpu": self._joules(self.scope)}

    def other_scope(self) -> dict[str, float]:
        """Joules of `"cpu"` as the other scope counts them, as of `read()`."""
        return {"cpu": self._joules("process" if self.scope == "machine" else "machine")}

    def components(self) -> tuple[Component, ...]:
        """The estimated `"cpu"` component, its source giving TDP per core, cores, utilisation."""
        elapsed_s = self._last - self._start
        capacity_s = len(self._cpus) * elapsed_s
        if self.scope == "machine":
            utilisation = self._busy / capacity_s if capacity_s > 0 else 0.0
            source = (
                f"tdp-utilisation: {self._per_core_w:.3g} W/core x {self.cores:g} cores "
                f"x {utilisation:.0%}"
            )
            covers = (
                "utilisation of every process on these CPUs, from the kernel's CPU time counters"
            )
        else:
            source = (
                f"tdp-utilisation: {self._per_core_w / self._threads_per_core:.3g} W/thread x "
                f"{self._tree_busy:.3g} s CPU time of the tracked processes"
            )
            covers = "CPU time of the tracked process and its children, from the kernel's counters"
        return (
            Component("cpu", "estimated", "tdp x utilisation", source, (self._tdp_note, covers)),
        )

    def _joules(self, scope: Scope) -> float:
        busy = self._busy if scope == "machine" else self._tree_busy
        return self._per_core_w / self._threads_per_core * busy

    def _busy_now(self) -> float:
        per_cpu = psutil.cpu_times(percpu=True)
        return math.fsum(busy_s(per_cpu[cpu]) for cpu in self._cpus if cpu < len(per_cpu))

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
    """Memory energy from the memory in use: the machine's, or the tracked processes'.

    Args:
        scope: "machine" (the machine's memory in use) or "process" (resident memory of `tree`).
        tree: the tracked processes (default: this process and its children); gives the
            process figure as `other_scope()` in machine scope.

    Raises:
        InvalidInputError: a bad scope.
    """

    name = "estimated-ram"

    def __init__(self, *, scope: Scope = "machine", tree: ProcessTree | None = None):
        self.scope = checked_scope(scope)
        self.tree = tree if tree is not None else ProcessTree()
        self._bytes = {"machine": 0, "process": 0}
        self._gb_s = {"machine": 0.0, "process": 0.0}
        self._start = self._last = self._last_sample = time.monotonic()

    def start(self) -> None:
        """Take the memory in use now, in both scopes."""
        self.tree.start()
        self._sample()
        self._gb_s = {"machine": 0.0, "process": 0.0}
        self._start = self._last = self._last_sample = time.monotonic()

    def read(self) -> dict[str, float]:
        """Joules of `"ram"` since `start()`: 0.3725 W/GB x the GB-seconds held so far."""
        now = time.monotonic()
        held = {
            s: self._gb_s[s] + self._bytes[s] / BYTES_PER_GB * (now - self._last)
            for s in self._gb_s
        }
        self._gb_s, self._last = held, now  # one statement: no slice counted twice
        if now - self._last_sample >= RSS_REFRESH_S:
            self._sample()
            self._last_sample = now
        return {"ram": MEMORY_POWER_W_PER_GB * self._gb_s[self.scope]}

    def other_scope(self) -> dict[str, float]:
        """Joules of `"ram"` as the other scope counts them, as of `read()`."""
        other = "process" if self.scope == "machine" else "machine"
        return {"ram": MEMORY_POWER_W_PER_GB * self._gb_s[other]}

    def components(self) -> tuple[Component, ...]:
        """The estimated `"ram"` component, its source giving the mean memory in use."""
        elapsed_s = self._last - self._start
        gb_s, now_bytes = self._gb_s[self.scope], self._bytes[self.scope]
        mean_gb = gb_s / elapsed_s if elapsed_s > 0 else now_bytes / BYTES_PER_GB
        source = f"memory-model: {MEMORY_POWER_W_PER_GB:g} W/GB x {mean_gb:.2f} GB"
        covers = (
            "GB: mean memory in use on the machine (GB = 2**30 bytes)"
            if self.scope == "machine"
            else "GB: mean resident memory of the tracked process and its children "
            "(GB = 2**30 bytes)"
        )
        return (
            Component("ram", "estimated", "memory model", source, (covers, MEMORY_POWER_SOURCE)),
        )

    def _sample(self) -> None:
        self._bytes = {"machine": machine_memory_used_bytes(), "process": self.tree.rss_bytes()}
