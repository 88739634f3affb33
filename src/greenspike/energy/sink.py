"""`RunSink`: where a tracker hands its run, without knowing what keeps it.

The tracker (`greenspike.energy.tracker.Tracker`) calls, in this order:

    run_id = sink.begin(report, ...)   once, as the run starts (report status "running")
    sink.update(report)                after readings of the sampling thread (running reports)
    sink.log_metrics(metrics)          whenever the caller logs metrics, also after finish()
    sink.set_tags(tags)                whenever the caller adds tags, also after finish()
    sink.finish(report)                once, with the final report (finished/failed/interrupted)

Contract for implementations:

- Thread safety: `begin()` and `update()` are called from the tracker's sampling thread, so that
  a slow sink (a ledger to open, a database driver to import, a locked file) never delays the
  tracked code; the other methods run in the caller's thread, always after `begin()` has
  returned (they wait for it). A sink must accept being called from two threads.
- Errors: whatever a method raises is logged and noted in the run's report, never raised into
  the tracked code; a sink whose `begin()` raised receives no further call.
- Frequency: `update()` may come several times a second; a sink stores what it needs (the run
  ledger keeps about one running report per second, and the final report always).
- Ownership: the sink is the caller's; the tracker never closes it.

`greenspike.ledger.sink.LedgerSink` keeps runs in the run ledger (the default of
`greenspike.EnergyTracker`); a test or an application may pass any object with these methods.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from greenspike.energy.measurement import EnergyReport
from greenspike.energy.metric import Metric


class RunSink(Protocol):
    """Receives one tracked run at a time (see the module's contract)."""

    @property
    def where(self) -> str:
        """Where runs go, for messages: e.g. "the ledger sqlite:///..."."""
        ...

    def begin(
        self,
        report: EnergyReport,
        *,
        interval_s: float,
        command: str | None,
        tags: Mapping[str, str],
        metadata: Mapping[str, Any],
    ) -> int | None:
        """Take a new run; returns the id it is kept under (None: no id)."""
        ...

    def update(self, report: EnergyReport) -> None:
        """Take the running report (status "running")."""
        ...

    def log_metrics(self, metrics: Iterable[Metric]) -> None:
        """Take metrics the run logged."""
        ...

    def set_tags(self, tags: Mapping[str, str]) -> None:
        """Take tags added to the run (a key it has takes the new value)."""
        ...

    def finish(self, report: EnergyReport) -> None:
        """Take the final report (status finished, failed or interrupted)."""
        ...
