"""One SQLAlchemy engine for SQLite and PostgreSQL, set up for many writers at once.

SQLite: WAL journal (readers never block the writer), a busy timeout (a writer waits for the
lock instead of failing), and `BEGIN IMMEDIATE` for every transaction, so that two processes never
both read and then both try to upgrade to the write lock (which SQLite would refuse at once).
Connections are not pooled: each transaction opens its own, which is safe across threads and
`fork()`. PostgreSQL: psycopg 3, pooled connections checked before use.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import NullPool

from greenspike.errors import InvalidInputError

BUSY_TIMEOUT_S = 60.0


def connect(url: str) -> Engine:
    """An engine for `url` (see `ledger_url`).

    Raises:
        InvalidInputError: `url` is not a database URL, a PostgreSQL URL lacks its driver, or
            a SQLite URL is in memory or in a folder that does not exist.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise InvalidInputError(f"bad ledger URL {url!r}: {error}") from error
    if parsed.get_backend_name() == "sqlite":
        return _sqlite(url, parsed.database)
    try:
        return create_engine(url, pool_pre_ping=True)
    except ModuleNotFoundError as error:
        raise InvalidInputError(
            f"a PostgreSQL ledger needs psycopg: pip install 'greenspike[postgres]' ({error})"
        ) from error


def _sqlite(url: str, database: str | None) -> Engine:
    if not database or database == ":memory:":
        raise InvalidInputError(
            f"the ledger must be a file, not {url!r} (an in-memory one is lost)"
        )
    folder = Path(database).parent
    if not folder.is_dir():
        raise InvalidInputError(f"cannot open the ledger {database}: no directory {folder}")
    engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, record) -> None:
        dbapi_connection.isolation_level = None  # transactions begin where we say
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        _switch_to_wal(cursor)
        cursor.execute("PRAGMA synchronous = NORMAL")  # durable across crashes of the process
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _switch_to_wal(cursor: sqlite3.Cursor) -> None:
    """`PRAGMA journal_mode = WAL`, retried while the file is new and another process holds it.

    A new file starts in rollback-journal mode, where a connection that reads the header
    (shared lock) while another commits its first tables can be refused at once, without the
    busy timeout (SQLite's deadlock avoidance). Once the file is in WAL mode, this never waits.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)
