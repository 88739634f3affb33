"""The tracked processes and the machine, as the kernel counts them: CPU time and memory.

A `ProcessTree` is a process (by default this one) and its descendants. Its CPU time is

    cpu_s = sum over live processes p of the tree (user_p + system_p)
            + sum over them of (children_user_p + children_system_p)

where the children_* times hold the descendants that ended and were waited for, so that a
worker that came and went between two readings is still counted, once: a process is either live
or in its parent's children_* times, and each parent is read before its children, so that one
waited for between the two readings is missed for one reading rather than counted twice. The
total never goes back: such a dip keeps the last total until the parent's counters hold it.

The list of descendants costs more to build (psutil scans every process on the machine, about
30 us each): it is rebuilt after 0.5 s, then at doubling intervals up to every TREE_REFRESH_S, so
a child started with the run (as by `greenspike track`) is seen at once, and a long run on a
machine with thousands of processes does not pay for frequent scans.
"""

from __future__ import annotations

import math
import os
import time

import psutil

FIRST_TREE_REFRESH_S = 0.5
TREE_REFRESH_S = 30.0
# A scan this recent is reused by start(): the meters that share a tree start it in turn.
RECENT_SCAN_S = 0.1


def busy_s(times) -> float:
    """Seconds a CPU (or all of them) spent working: all but idle and I/O wait, as psutil counts.

    Guest time is left out as well: on Linux it is already inside user and nice.
    """
    spent = sum(times)
    for idle in ("idle", "iowait", "guest", "guest_nice"):
        spent -= getattr(times, idle, 0.0)
    return spent


def machine_busy_s() -> float:
    """Busy CPU seconds of the whole machine, every CPU, since boot."""
    return busy_s(psutil.cpu_times())


def machine_memory_used_bytes() -> int:
    """Memory in use on the machine: total minus what is available without swapping."""
    memory = psutil.virtual_memory()
    return int(memory.total - memory.available)


class ProcessTree:
    """A process and its descendants: their CPU time and resident memory (see the module).

    Args:
        root: the process id at the root (default: this process).
        include_root: whether the root's own CPU time and memory count; False counts only its
            descendants, as `greenspike track` does for the command it starts.
    """

    def __init__(self, root: int | None = None, include_root: bool = True):
        self.root = os.getpid() if root is None else root
        self.include_root = include_root
        self._root = psutil.Process(self.root)
        self._members: list[psutil.Process] = []  # each parent before its children
        self._cpu_s = 0.0
        self._refresh_s = FIRST_TREE_REFRESH_S
        self._scanned = -math.inf

    def start(self) -> None:
        """Find the descendants (a scan under RECENT_SCAN_S old is reused); restart the refresh."""
        now = time.monotonic()
        if now - self._scanned >= RECENT_SCAN_S:
            self._scan(now)
        self._refresh_s = FIRST_TREE_REFRESH_S
        self._cpu_s = 0.0
        self._cpu_s = self.cpu_s()

    def cpu_s(self) -> float:
        """CPU seconds of the tree since its processes started (see the module), never less."""
        self._maybe_rescan()
        total = 0.0
        for process in self._members:
            try:
                times = process.cpu_times()
            except psutil.Error:  # ended: its parent's waited-for times hold it, or will
                continue
            own = times.user + times.system if self._counts_own(process) else 0.0
            total += own + times.children_user + times.children_system
        self._cpu_s = max(self._cpu_s, total)
        return self._cpu_s

    def rss_bytes(self) -> int:
        """Resident memory of the live processes of the tree, in bytes."""
        self._maybe_rescan()
        total = 0
        for process in self._members:
            if not self._counts_own(process):
                continue
            try:
                total += process.memory_info().rss
            except psutil.Error:
                continue  # ended, or not ours to read: it holds no memory we can see
        return total

    def _counts_own(self, process: psutil.Process) -> bool:
        return self.include_root or process.pid != self.root

    def _maybe_rescan(self) -> None:
        now = time.monotonic()
        if now - self._scanned >= self._refresh_s:
            self._scan(now)
            self._refresh_s = min(2 * self._refresh_s, TREE_REFRESH_S)

    def _scan(self, now: float) -> None:
        try:
            children = self._root.children(recursive=True)
        except psutil.Error:
            children = []
        known = {p.pid: p for p in self._members}
        # psutil lists descendants depth first, each parent before its children; the Process
        # objects already known are kept, as psutil checks they are still the same process
        self._members = [self._root, *(known.get(c.pid, c) for c in children)]
        self._scanned = now
