"""Where runs are kept: every tracked run, in SQLite (default) or PostgreSQL.

A run keeps its energy per component and window with provenance, its carbon figures, tags,
metadata and metrics.

    from greenspike.ledger import Ledger
    for run in Ledger().runs(tags={"group": "mnist"}):
        print(run.id, run.name, run.energy_j, run.last_metric("accuracy"))
"""

from greenspike.errors import LedgerVersionError
from greenspike.ledger.jobs import JobComponent, JobRecord, NodeEnergy
from greenspike.ledger.location import ENV_VAR, default_ledger_path, ledger_url
from greenspike.ledger.migrations import SCHEMA_VERSION
from greenspike.ledger.records import RunRecord, Sample
from greenspike.ledger.store import Ledger, shared_ledger

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
