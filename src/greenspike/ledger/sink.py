"""`LedgerSink`: keeps one tracked run at a time in a ledger while it goes on.

The `RunSink` (greenspike.energy.sink) that `greenspike.EnergyTracker` hands its runs to. The run
row is written as the tracker starts (from a thread of the tracker's own, so that the tracked
code never waits for the ledger); the running report is stored at most every `every_s` seconds,
and the final one always, so that a killed process leaves its energy up to the last update. The
default ledger, and SQLAlchemy with it, is opened only then.
"""

from __future__ import annotations

import os
import shlex
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from greenspike.energy.measurement import EnergyReport
from greenspike.energy.metric import Metric
from greenspike.energy.placement import detect_placement

if TYPE_CHECKING:
    from greenspike.ledger.store import Ledger

DEFAULT = "default"
# Seconds between two stores of a running report.
EVERY_S = 1.0


def open_ledger(ledger: Ledger | str | os.PathLike[str]) -> Ledger:
    """`ledger` itself, or the shared Ledger at that URL or path.

    Args:
        ledger: a Ledger, "default" ($GREENSPIKE_LEDGER or the user's file), a URL or a path.

    Raises:
        InvalidInputError: a URL that is not a database URL greenspike can open.
        LedgerVersionError: the database is not a ledger this greenspike can use.
    """
    from greenspike.ledger.store import Ledger, shared_ledger  # SQLAlchemy: only when opened

    if isinstance(ledger, Ledger):
        return ledger
    return shared_ledger(None if ledger == DEFAULT else ledger)


class LedgerSink:
    """Keeps runs in a ledger, one at a time.

    A run is `begin()`, `update()` as often as wanted, metrics and tags, then `finish()`.

    Args:
        ledger: a Ledger, a URL or path, or "default", which is opened only at `begin()` (so that
            a default ledger that cannot be opened costs the run its record, never the run).
        every_s: seconds between two stores of a running report (default EVERY_S).
    """

    def __init__(self, ledger: Ledger | str | os.PathLike[str], every_s: float | None = None):
        self._ledger = ledger
        self.every_s = EVERY_S if every_s is None else every_s
        self.run_id: int | None = None
        self._last_s = -float("inf")
        self._lock = threading.Lock()

    @property
    def where(self) -> str:
        """The ledger's URL (password hidden) once it is open, else "the ledger"."""
        if isinstance(self._ledger, (str, os.PathLike)):
            return "the ledger"
        return f"the ledger {self._ledger.where}"

    @property
    def ledger(self) -> Ledger:
        """The ledger, opened on first use.

        Raises:
            InvalidInputError: a URL that is not a database URL greenspike can open.
            LedgerVersionError: the database is not a ledger this greenspike can use.
        """
        ledger = self._ledger = open_ledger(self._ledger)
        return ledger

    def begin(
        self,
        report: EnergyReport,
        *,
        interval_s: float,
        command: str | None,
        tags: Mapping[str, str],
        metadata: Mapping[str, Any],
    ) -> int:
        """Write the run, then its first report; returns the run id.

        The run's job, ranks and node come from the report's placement (detected here when
        the report has none), its scope from the report.

        Raises:
            InvalidInputError: the ledger cannot be opened (see `ledger`), or a tag or the
                metadata is invalid.
            LedgerVersionError: the database is not a ledger this greenspike can use.
        """
        placement = report.placement or detect_placement()
        self._last_s = -float("inf")
        self.run_id = self.ledger.start_run(
            name=report.name,
            command=command if command is not None else shlex.join(sys.argv),
            start_unix_s=report.start_unix_s,
            interval_s=interval_s,
            pue=report.pue,
            tags=tags,
            metadata=metadata,
            rank=placement.rank,
            world_size=placement.world_size,
            job_id=placement.job_id,
            local_rank=placement.local_rank,
            node_rank=placement.node_rank,
            scope=report.scope,
        )
        self._store(report)
        return self.run_id

    def update(self, report: EnergyReport) -> None:
        """Store the running report if `every_s` has passed since the last store.

        Raises:
            RuntimeError: no run has begun.
        """
        if time.monotonic() - self._last_s >= self.every_s:
            self._store(report)

    def finish(self, report: EnergyReport) -> None:
        """Store the final report.

        Raises:
            RuntimeError: no run has begun.
        """
        self._store(report)

    def log_metrics(self, metrics: Iterable[Metric]) -> None:
        """Store metrics of the run.

        Raises:
            RuntimeError: no run has begun.
        """
        self.ledger.log_metrics(self._run(), metrics)

    def set_tags(self, tags: Mapping[str, str]) -> None:
        """Store tags of the run.

        Raises:
            RuntimeError: no run has begun.
            InvalidInputError: a tag name is empty or a value is None.
        """
        self.ledger.set_tags(self._run(), tags)

    def _store(self, report: EnergyReport) -> None:
        with self._lock:
            self._last_s = time.monotonic()
            self.ledger.record(self._run(), report)

    def _run(self) -> int:
        if self.run_id is None:
            raise RuntimeError("begin() the run first")
        return self.run_id


def ledger_sink(ledger: Ledger | str | os.PathLike[str] | None) -> LedgerSink | None:
    """The sink for `ledger=` as `greenspike.EnergyTracker` takes it; None keeps nothing.

    "default" is opened when a run begins; any other ledger is opened now.

    Raises:
        InvalidInputError: a URL that is not a database URL greenspike can open.
        LedgerVersionError: the database is not a ledger this greenspike can use.
    """
    if ledger is None:
        return None
    if isinstance(ledger, str) and ledger == DEFAULT:
        return LedgerSink(DEFAULT)
    return LedgerSink(open_ledger(ledger))
