"""Where runs are kept: every tracked run, in SQLite (default) or PostgreSQL.

A run keeps its energy per component and window with provenance, its carbon figures, tags,
metadata and metrics.

    from greenspike.ledger import Ledger
    for run in Ledger().runs(tags={"group": "mnist"}):
        print(run.id, run.name, run.energy_j, run.last_metric("accuracy"))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from greenspike._lazy import lazy_names
from greenspike.errors import LedgerVersionError
from greenspike.ledger.location import ENV_VAR, default_ledger_path, ledger_url

if TYPE_CHECKING:
    from greenspike.ledger.jobs import JobComponent, JobRecord, NodeEnergy
    from greenspike.ledger.migrations import SCHEMA_VERSION
    from greenspike.ledger.records import RunRecord, Sample
    from greenspike.ledger.store import Ledger, shared_ledger

# Imported on first use (some with SQLAlchemy) rather than with the package: a tracker hands its
# run to the ledger's sink at once, and the sink opens the ledger in the background.
_LAZY = {
    "SCHEMA_VERSION": "greenspike.ledger.migrations",
    "Ledger": "greenspike.ledger.store",
    "shared_ledger": "greenspike.ledger.store",
    "JobComponent": "greenspike.ledger.jobs",
    "JobRecord": "greenspike.ledger.jobs",
    "NodeEnergy": "greenspike.ledger.jobs",
    "RunRecord": "greenspike.ledger.records",
    "Sample": "greenspike.ledger.records",
}

__all__ = [
    "ENV_VAR",
    "SCHEMA_VERSION",
    "JobComponent",
    "JobRecord",
    "Ledger",
    "LedgerVersionError",
    "NodeEnergy",
    "RunRecord",
    "Sample",
    "default_ledger_path",
    "ledger_url",
    "shared_ledger",
]

__getattr__ = lazy_names(__name__, _LAZY)
