"""Schema versions of the ledger and the ordered steps that bring an older ledger up to date.

The version lives in the one-row table `greenspike_schema`. Opening a ledger runs, in one
transaction holding the write lock (SQLite `BEGIN IMMEDIATE`, a PostgreSQL advisory lock), every
step above its version; a ledger written by a newer greenspike is refused, never touched.
A step is a function of a Connection; once released it never changes (a later schema change is a
new step), so that every ledger, however old, follows the same path.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    select,
    text,
)

from greenspike.errors import LedgerVersionError
from greenspike.ledger import schema
from greenspike.ledger._engine import SHARED_TABLES, reader


def _create_v1(connection: Connection) -> None:
    """Version 1: runs, components, samples, tags, metrics (the tables as they were then)."""
    v1 = MetaData()
    Table(
        "greenspike_schema", v1, Column("version", Integer, primary_key=True, autoincrement=False)
    )
    Table(
        "runs",
        v1,
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
        Index("ix_runs_start", "start_unix_s"),
        Index("ix_runs_status", "status"),
    )
    Table(
        "components",
        v1,
        Column("run_id", ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
        Column("name", String(255), primary_key=True),
        Column("provenance", String(16), nullable=False),
        Column("method", Text, nullable=False),
        Column("source", Text, nullable=False),
        Column("energy_j", Float, nullable=False),
    )
    Table(
        "samples",
        v1,
        Column("id", Integer, primary_key=True),
        Column("run_id", ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
        Column("elapsed_s", Float, nullable=False),
        Column("component", String(255), nullable=False),
        Column("energy_j", Float, nullable=False),
        Index("ix_samples_run", "run_id", "elapsed_s"),
    )
    Table(
        "tags",
        v1,
        Column("run_id", ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
        Column("key", String(255), primary_key=True),
        Column("value", Text, nullable=False),
        Index("ix_tags_key", "key"),
    )
    Table(
        "metrics",
        v1,
        Column("id", Integer, primary_key=True),
        Column("run_id", ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
        Column("step", Integer),
        Column("name", String(255), nullable=False),
        Column("value", Float, nullable=False),
        Column("unix_s", Float, nullable=False),
        Index("ix_metrics_run", "run_id", "name"),
    )
    v1.create_all(connection)


def _add_jobs_v2(connection: Connection) -> None:
    """Version 2: runs get the job they belong to, their local rank and node, and their scope."""
    for column in (
        "job_id VARCHAR(255)",
        "local_rank INTEGER",
        "node_rank INTEGER",
        "scope VARCHAR(16) NOT NULL DEFAULT 'machine'",
    ):
        connection.execute(text(f"ALTER TABLE runs ADD COLUMN {column}"))
    connection.execute(text("CREATE INDEX ix_runs_job ON runs (job_id)"))


# Step N brings a ledger from version N - 1 to N.
MIGRATIONS: tuple[Callable[[Connection], None], ...] = (_create_v1, _add_jobs_v2)
SCHEMA_VERSION = len(MIGRATIONS)
# Any constant: the key of the PostgreSQL advisory lock that serialises migrations.
_PG_LOCK_KEY = 0x6752_5350


def migrate(engine: Engine, steps: tuple[Callable[[Connection], None], ...] = MIGRATIONS) -> int:
    """Bring the ledger to the latest version; return the version it had before (0: new).

    Raises:
        LedgerVersionError: the database is not a greenspike ledger, or one with a newer
            schema than `steps` knows; it is left untouched.
    """
    with reader(engine).connect() as connection:
        if schema_version_of(connection) == len(steps):
            return len(steps)  # up to date: nothing to write, no write lock to wait for
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        found = schema_version_of(connection)
        if found > len(steps):
            raise LedgerVersionError(
                f"the ledger at {engine.url.render_as_string(hide_password=True)} has schema "
                f"version {found}, newer than this greenspike knows ({len(steps)}): upgrade "
                "greenspike to read it"
            )
        for step in steps[found:]:
            step(connection)
        if found < len(steps):
            connection.execute(schema.schema_version.delete())
            connection.execute(schema.schema_version.insert().values(version=len(steps)))
        return found


def schema_version_of(connection: Connection) -> int:
    """The ledger's version: 0 for an empty database.

    Raises:
        LedgerVersionError: the database has tables (other than an Optuna study's, see
            SHARED_TABLES) but no greenspike version table: it is not a greenspike ledger
            (another application's database, never written to).
    """
    names = set(inspect(connection).get_table_names())
    if schema.schema_version.name not in names:
        if names - SHARED_TABLES:
            shown = ", ".join(sorted(names)[:8]) + (", ..." if len(names) > 8 else "")
            raise LedgerVersionError(
                f"the database has tables ({shown}) but no {schema.schema_version.name}: not a "
                "greenspike ledger, left untouched; give --ledger a new file or an empty database"
            )
        return 0
    found = connection.execute(select(schema.schema_version.c.version)).scalar()
    return int(found or 0)
