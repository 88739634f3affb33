"""The ledger's tables (SQLAlchemy Core), as of the latest schema version.

- runs: one row per tracked run, written at its start and updated while it goes on; the totals
  are copied out of the report so that runs can be listed and filtered without parsing it;
  host, pid and the creation time of that process tell whether a "running" run is still alive;
  job_id groups the ranks of a distributed job (with their rank, local rank and node), and
  scope says whose energy the run holds (machine or process).
- components: joules per component of a run, with provenance, method and source.
- samples: cumulative joules per component at each update, for plots over time.
- tags: free-form key/value labels (`group=mnist-compare`), searchable.
- metrics: numbers the run logged (accuracy, loss), per step.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

METADATA = MetaData()

schema_version = Table(
    "greenspike_schema",
    METADATA,
    Column("version", Integer, primary_key=True, autoincrement=False),
)

runs = Table(
    "runs",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("name", Text),
    Column("command", Text),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("pid_created_unix_s", Float, nullable=False),
    Column("rank", Integer),
    Column("world_size", Integer),
    Column("status", String(16), nullable=False),
    Column("start_unix_s", Float, nullable=False),
    Column("end_unix_s", Float),
    Column("updated_unix_s", Float, nullable=False),
    Column("interval_s", Float, nullable=False),
    Column("duration_s", Float, nullable=False),
    Column("energy_j", Float, nullable=False),
    Column("measured_energy_j", Float, nullable=False),
    Column("estimated_energy_j", Float, nullable=False),
    Column("co2e_g", Float),
    Column("pue", Float, nullable=False),
    Column("intensity_g_per_kwh", Float),
    Column("intensity_source", Text),
    Column("report_json", Text),
    Column("metadata_json", Text, nullable=False),
    Column("greenspike_version", String(32), nullable=False),
    # version 2: distributed jobs and scopes
    Column("job_id", String(255)),
    Column("local_rank", Integer),
    Column("node_rank", Integer),
    Column("scope", String(16), nullable=False, server_default="machine"),
    Index("ix_runs_start", "start_unix_s"),
    Index("ix_runs_status", "status"),
    Index("ix_runs_job", "job_id"),
)

components = Table(
    "components",
    METADATA,
    Column("run_id", ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(255), primary_key=True),
    Column("provenance", String(16), nullable=False),
    Column("method", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("energy_j", Float, nullable=False),
)

samples = Table(
    "samples",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("run_id", ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("elapsed_s", Float, nullable=False),
    Column("component", String(255), nullable=False),
    Column("energy_j", Float, nullable=False),
    Index("ix_samples_run", "run_id", "elapsed_s"),
)

tags = Table(
    "tags",
    METADATA,
    Column("run_id", ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("value", Text, nullable=False),
    Index("ix_tags_key", "key"),
)

metrics = Table(
    "metrics",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("run_id", ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("step", Integer),
    Column("name", String(255), nullable=False),
    Column("value", Float, nullable=False),
    Column("unix_s", Float, nullable=False),
    Index("ix_metrics_run", "run_id", "name"),
)
