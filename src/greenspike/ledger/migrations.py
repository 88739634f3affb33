"""Schema versions of the ledger and the ordered steps that bring an older ledger up to date.

The version lives in the one-row table `greenspike_schema`. Opening a ledger runs, in one
transaction holding the write lock (SQLite `BEGIN IMMEDIATE`, a PostgreSQL advisory lock), every
step above its version; a ledger written by a newer greenspike is refused, never touched.
A step is a function of a Connection; once released it never changes (a later schema change is a
new step), so that every ledger, however old, follows the same path.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Engine, inspect, select, text

from greenspike.errors import LedgerVersionError
from greenspike.ledger import schema


def _create_v1(connection: Connection) -> None:
    """Version 1: runs, components, samples, tags, metrics."""
    schema.METADATA.create_all(connection)


# Step N brings a ledger from version N - 1 to N.
MIGRATIONS: tuple[Callable[[Connection], None], ...] = (_create_v1,)
SCHEMA_VERSION = len(MIGRATIONS)
# Any constant: the key of the PostgreSQL advisory lock that serialises migrations.
_PG_LOCK_KEY = 0x6752_5350


def migrate(engine: Engine, steps: tuple[Callable[[Connection], None], ...] = MIGRATIONS) -> int:
    """Bring the ledger to the latest version; return the version it had before (0: new).

    Raises:
        LedgerVersionError: the database is not a greenspike ledger, or one with a newer
            schema than `steps` knows; it is left untouched.
    """
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
        LedgerVersionError: the database has greenspike's tables but no version table: it is
            not a greenspike ledger.
    """
    names = set(inspect(connection).get_table_names())
    if schema.schema_version.name not in names:
        if names & set(schema.METADATA.tables):
            raise LedgerVersionError(
                f"the database has tables {', '.join(sorted(names))} but no "
                f"{schema.schema_version.name}: not a greenspike ledger, left untouched"
            )
        return 0
    found = connection.execute(select(schema.schema_version.c.version)).scalar()
    return int(found or 0)
