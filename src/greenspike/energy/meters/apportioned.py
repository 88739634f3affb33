"""A whole-machine counter (RAPL), apportioned to the tracked processes in process scope.

A CPU package counter covers every process on the package. In process scope each reading
interval's energy is split by the tracked processes' share of the machine's busy CPU time in
that interval,

    E_process += (E(t) - E(t_last)) * min(1, cpu_tree(t_last..t) / cpu_busy(t_last..t))

(an interval with no busy time keeps the last share; the share is taken at most every
`refresh_s`, 0.25 s by default, so that windows opened many times a second do not pay for it,
and readings in between split their energy by the latest share), so the component becomes an
estimate: a
measured total times an estimated share, labelled "apportioned". The share divides what the
package drew, idle power included, among the processes that kept it busy: on a machine the
run has to itself, the process figure is close to the machine figure. In machine scope the
counter's figures pass through, measured, and the apportioned ones are the other scope's.
"""

from __future__ import annotations

import time

from greenspike.energy.measurement import APPORTIONED, Component, MissingComponent
from greenspike.energy.meters.base import Meter
from greenspike.energy.meters.process import ProcessTree, machine_busy_s
from greenspike.energy.scope import Scope, checked_scope

SHARE_REFRESH_S = 0.25


class ApportionedMeter(Meter):
    """`inner`'s components in machine scope, their CPU-time share in process scope.

    Args:
        inner: the counter meter (not started: `start()` starts it).
        tree: the tracked processes.
        scope: "machine" or "process".
        refresh_s: the least time between two readings of the CPU times (the share).

    Raises:
        InvalidInputError: a bad scope.
    """

    def __init__(
        self,
        inner: Meter,
        tree: ProcessTree,
        scope: Scope = "machine",
        refresh_s: float = SHARE_REFRESH_S,
    ):
        self.inner = inner
        self.tree = tree
        self.scope = checked_scope(scope)
        self.refresh_s = refresh_s
        self._refreshed = -float("inf")
        self.name = inner.name
        self._whole: dict[str, float] = {}
        self._share_j: dict[str, float] = {}
        self._tree_s = self._busy_s = 0.0
        self._share = 0.0
        self._tree_total_s = self._busy_total_s = 0.0

    @property
    def max_poll_interval_s(self) -> float | None:
        """The inner meter's, so that no counter wraps unseen."""
        return getattr(self.inner, "max_poll_interval_s", None)

    @property
    def share(self) -> float:
        """The tracked processes' share of the busy CPU time since `start()` (0 to 1)."""
        if self._busy_total_s <= 0:
            return self._share
        return min(1.0, self._tree_total_s / self._busy_total_s)

    def start(self) -> None:
        """Start the inner meter and take the first CPU time readings."""
        self.inner.start()
        self.tree.start()
        self._whole = self.inner.read()
        self._share_j = dict.fromkeys(self._whole, 0.0)
        self._tree_s, self._busy_s = self.tree.cpu_s(), machine_busy_s()
        self._tree_total_s = self._busy_total_s = 0.0
        self._share = 0.0
        self._refreshed = time.monotonic()

    def read(self) -> dict[str, float]:
        """Joules of each component since `start()`, in this meter's scope."""
        whole = self.inner.read()
        now = time.monotonic()
        if now - self._refreshed >= self.refresh_s:
            self._refresh_share(now)
        shared = {
            name: self._share_j.get(name, 0.0) + (joules - self._whole.get(name, 0.0)) * self._share
            for name, joules in whole.items()
        }
        # one statement: an interrupt cannot leave the figures and their baselines apart
        self._whole, self._share_j = whole, shared
        return dict(whole if self.scope == "machine" else shared)

    def _refresh_share(self, now: float) -> None:
        """The tracked processes' share of the busy CPU time since the last refresh."""
        tree_s, busy_s = self.tree.cpu_s(), machine_busy_s()
        d_tree, d_busy = tree_s - self._tree_s, busy_s - self._busy_s
        if d_busy > 0:
            self._share = min(1.0, max(0.0, d_tree / d_busy))
        self._tree_s, self._busy_s, self._refreshed = tree_s, busy_s, now
        self._tree_total_s += max(0.0, d_tree)
        self._busy_total_s += max(0.0, d_busy)

    def other_scope(self) -> dict[str, float]:
        """The apportioned figures in machine scope, the whole counters' in process scope."""
        return dict(self._share_j if self.scope == "machine" else self._whole)

    def components(self) -> tuple[Component, ...]:
        """The inner components, or in process scope their apportioned versions."""
        inner = self.inner.components()
        if self.scope == "machine":
            return inner
        return tuple(
            Component(
                c.name,
                "estimated",
                APPORTIONED,
                f"{c.source} x {self.share:.1%} CPU-time share",
                (
                    f"apportioned: {self._whole.get(c.name, 0.0):.1f} J measured by the counter, "
                    "split by the tracked processes' share of the machine's busy CPU time",
                    *c.notes,
                ),
            )
            for c in inner
        )

    def missing(self) -> tuple[MissingComponent, ...]:
        """The inner meter's missing components."""
        return self.inner.missing()

    def unavailable(self) -> str | None:
        """Why the inner meter finds nothing, or None."""
        return self.inner.unavailable()

    def close(self) -> None:
        """Close the inner meter."""
        self.inner.close()
