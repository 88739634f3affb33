"""Schema versions: a new ledger is at the latest version, an older one is brought up to date
with its data kept, and one from a newer greenspike (or a foreign database) is refused untouched."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import Connection, text

from greenspike.ledger import SCHEMA_VERSION, Ledger, LedgerVersionError
from greenspike.ledger._engine import _switch_to_wal, connect
from greenspike.ledger.migrations import MIGRATIONS, migrate, schema_version_of


def version(url: str) -> int:
    engine = connect(url)
    with engine.connect() as connection:
        found = schema_version_of(connection)
    engine.dispose()
    return found


def test_a_new_ledger_is_at_the_latest_version(any_url):
    assert version(any_url) == 0
    Ledger(any_url).close()
    assert version(any_url) == SCHEMA_VERSION == len(MIGRATIONS)
    Ledger(any_url).close()  # opening again changes nothing
    assert version(any_url) == SCHEMA_VERSION


def _add_notes_column(connection: Connection) -> None:
    connection.execute(text("ALTER TABLE runs ADD COLUMN review TEXT DEFAULT 'todo'"))


def test_an_older_ledger_is_migrated_and_keeps_its_runs(any_url):
    with Ledger(any_url) as ledger:
        ledger.start_run(name="old", start_unix_s=1.0, interval_s=1.0)
    engine = connect(any_url)
    newer = (*MIGRATIONS, _add_notes_column)
    assert migrate(engine, newer) == SCHEMA_VERSION
    assert migrate(engine, newer) == SCHEMA_VERSION + 1  # nothing left to do
    with engine.connect() as connection:
        row = connection.execute(text("SELECT name, review FROM runs")).one()
    engine.dispose()
    assert tuple(row) == ("old", "todo")
    # ... and that newer ledger is refused by this greenspike, which knows one version less
    with pytest.raises(LedgerVersionError, match=f"schema version {SCHEMA_VERSION + 1}, newer"):
        Ledger(any_url)
    assert version(any_url) == SCHEMA_VERSION + 1


def test_a_foreign_database_is_refused_untouched(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE runs (x INTEGER)")
    with pytest.raises(LedgerVersionError, match="not a greenspike ledger, left untouched"):
        Ledger(path)
    with sqlite3.connect(path) as connection:
        tables = connection.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    assert tables == [("runs",)]


def test_sqlite_ledgers_use_wal_and_a_busy_timeout(sqlite_url):
    with Ledger(sqlite_url) as ledger, ledger.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 10_000


class _RefusingCursor:
    """Refuses the journal switch `refusals` times with `message`, then accepts it."""

    def __init__(self, refusals: int, message: str = "database is locked"):
        self.refusals, self.message, self.calls = refusals, message, 0

    def execute(self, sql: str) -> None:
        self.calls += 1
        if self.calls <= self.refusals:
            raise sqlite3.OperationalError(self.message)


def test_the_switch_to_wal_is_retried_while_a_new_file_is_locked():
    cursor = _RefusingCursor(refusals=3)
    _switch_to_wal(cursor)
    assert cursor.calls == 4
    with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):
        _switch_to_wal(_RefusingCursor(refusals=1, message="disk I/O error"))  # not retried
