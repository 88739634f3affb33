"""`RunRecorder`: keeps one tracked run in a ledger while it goes on; what EnergyTracker uses.

The run row is written when the tracker starts; the running report is stored at most every
`every_s` seconds (from the sampling thread), and the final one always, so that a killed
process leaves its energy up to the last update.
"""

from __future__ import annotations

import os
import shlex
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

from greenspike.energy.metric import Metric
from greenspike.energy.report import EnergyReport
from greenspike.ledger.store import Ledger, shared_ledger

DEFAULT = "default"
# Seconds between two stores of a running report.
EVERY_S = 1.0


def open_ledger(ledger: Ledger | str | os.PathLike[str]) -> Ledger:
    """`ledger` itself, or the shared Ledger at that URL ("default": $GREENSPIKE_LEDGER or the
    user's file)."""
    if isinstance(ledger, Ledger):
        return ledger
    return shared_ledger(None if ledger == DEFAULT else ledger)


def distributed_rank() -> tuple[int | None, int | None]:
    """(rank, world size) from torchrun's RANK / WORLD_SIZE or Slurm's; (None, None) if absent."""
    for rank_var, size_var in (("RANK", "WORLD_SIZE"), ("SLURM_PROCID", "SLURM_NTASKS")):
        rank, size = os.environ.get(rank_var), os.environ.get(size_var)
        if rank is not None and size is not None and rank.isdigit() and size.isdigit():
            return int(rank), int(size)
    return None, None


class RunRecorder:
    """One run in `ledger`: `begin()`, then `update()` as often as wanted, metrics and tags."""

    def __init__(self, ledger: Ledger, every_s: float | None = None):
        self.ledger = ledger
        self.every_s = EVERY_S if every_s is None else every_s
        self.run_id: int | None = None
        self._last_s = -float("inf")
        self._lock = threading.Lock()

    def begin(
        self,
        report: EnergyReport,
        *,
        interval_s: float,
        command: str | None,
        tags: Mapping[str, object],
        metadata: Mapping[str, Any],
    ) -> int:
        """Write the run, then its first report; returns the run id."""
        rank, world_size = distributed_rank()
        self.run_id = self.ledger.start_run(
            name=report.name,
            command=command if command is not None else shlex.join(sys.argv),
            start_unix_s=report.start_unix_s,
            interval_s=interval_s,
            pue=report.pue,
            tags=tags,
            metadata=metadata,
            rank=rank,
            world_size=world_size,
        )
        self.update(report)
        return self.run_id

    def due(self) -> bool:
        """Has `every_s` passed since the last store, so that a running report would be kept?"""
        return time.monotonic() - self._last_s >= self.every_s

    def update(self, report: EnergyReport) -> None:
        """Store the report: a final one always, a running one if `every_s` has passed."""
        if self.run_id is None:
            raise RuntimeError("begin() the run before updating it")
        with self._lock:
            if report.status == "running" and not self.due():
                return
            self._last_s = time.monotonic()
            self.ledger.record(self.run_id, report)

    def log_metrics(self, metrics: Iterable[Metric]) -> None:
        if self.run_id is None:
            raise RuntimeError("begin() the run before logging metrics")
        self.ledger.log_metrics(self.run_id, metrics)

    def set_tags(self, tags: Mapping[str, object]) -> None:
        if self.run_id is None:
            raise RuntimeError("begin() the run before tagging it")
        self.ledger.set_tags(self.run_id, tags)
