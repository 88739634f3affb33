"""One SQLAlchemy engine for SQLite and PostgreSQL, set up for many writers at once.

SQLite: WAL journal (readers never block the writer), a busy timeout (a writer waits for the
lock instead of failing), and `BEGIN IMMEDIATE` for every transaction, so that two processes never
both read and then both try to upgrade to the write lock (which SQLite would refuse at once).
Connections are not pooled: each transaction opens its own, which is safe across threads and
`fork()`. PostgreSQL: psycopg 3, pooled connections checked before use.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from greenspike.errors import InvalidInputError

BUSY_TIMEOUT_S = 60.0
# Tables that may share a ledger's database: an Optuna study kept in the same database
# (`greenspike search --storage URL --ledger URL`). Any other table means someone else's database.
SHARED_TABLES = frozenset(
    {
        "alembic_version",
        "studies",
        "study_directions",
        "study_system_attributes",
        "study_user_attributes",
        "trial_heartbeats",
        "trial_intermediate_values",
        "trial_params",
        "trial_system_attributes",
        "trial_user_attributes",
        "trial_values",
        "trials",
        "version_info",
    }
)
# The execution option of a read-only engine (see `reader`).
READ_ONLY = "greenspike_read_only"


def connect(url: str, *, read_only: bool = False) -> Engine:
    """An engine for `url` (see `ledger_url`).

    `read_only`: the caller only reads. A SQLite ledger this user cannot write (see
    `writable`) is then opened read-only (SQLite URI `mode=ro`) instead of failing: it takes no
    lock that could stop its owner, and creates no file beside it while no writer has it open
    (`immutable=1` when there is no `-wal` file; with one, SQLite reads the runs kept in it).

    Raises:
        InvalidInputError: `url` is not a database URL, a PostgreSQL URL lacks its driver, or
            a SQLite URL is in memory or in a folder that does not exist.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise InvalidInputError(f"bad ledger URL {url!r}: {error}") from error
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if read_only and database and Path(database).is_file() and not writable(Path(database)):
            return _sqlite(_read_only_url(database), database, read_only=True)
        return _sqlite(url, database)
    try:
        return create_engine(url, pool_pre_ping=True)
    except ModuleNotFoundError as error:
        raise InvalidInputError(
            f"a PostgreSQL ledger needs psycopg: pip install 'greenspike[postgres]' ({error})"
        ) from error
    except NoSuchModuleError as error:
        raise InvalidInputError(
            f"unknown database driver in the ledger URL {parsed.render_as_string()!r}: "
            "use postgresql://USER@HOST/DB (psycopg) or sqlite:///PATH"
        ) from error


def check_exists(url: str) -> None:
    """For a command that only reads: a SQLite ledger must exist (never made empty by a typo).

    Raises:
        InvalidInputError: there is no file at the SQLite URL's path.
    """
    parsed = make_url(url)
    sqlite = parsed.get_backend_name() == "sqlite"
    if sqlite and parsed.database and not Path(parsed.database).exists():
        raise InvalidInputError(
            f"no ledger at {parsed.database}: nothing was kept there yet (check --ledger "
            "or $GREENSPIKE_LEDGER; `greenspike track` creates a ledger)"
        )


def writable(path: Path) -> bool:
    """Whether this user may write the SQLite file `path` and create its `-wal` beside it."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def _read_only_url(database: str) -> str:
    """A SQLite URI for reading `database` without writing anything (see `connect`)."""
    path = Path(database).resolve()
    active = Path(f"{path}-wal").exists()  # a writer has it open (or crashed): read its WAL too
    query = "mode=ro" if active else "mode=ro&immutable=1"
    return f"sqlite:///file:{quote(str(path))}?{query}&uri=true"


def cannot_open(where: str, error: SQLAlchemyError) -> InvalidInputError:
    """The clear error for a ledger the database driver cannot open or use."""
    cause = getattr(error, "orig", None) or error
    first = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    return InvalidInputError(
        f"cannot open the ledger {where}: {first}; give --ledger a greenspike ledger file, "
        "a new file, or a postgresql:// URL with the right host, port, user and password"
    )


def _sqlite(url: str, database: str | None, *, read_only: bool = False) -> Engine:
    if not database or database == ":memory:":
        raise InvalidInputError(
            f"the ledger must be a file, not {url!r} (an in-memory one is lost)"
        )
    folder = Path(database).parent
    if not folder.is_dir():
        raise InvalidInputError(f"cannot open the ledger {database}: no directory {folder}")
    if Path(database).is_dir():
        raise InvalidInputError(f"cannot open the ledger {database}: it is a directory")
    engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, record) -> None:
        dbapi_connection.isolation_level = None  # transactions begin where we say
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        if not read_only and _empty_or_ours(cursor):  # another's database keeps its journal
            _switch_to_wal(cursor)
        cursor.execute("PRAGMA synchronous = NORMAL")  # durable across crashes of the process
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        reading = read_only or connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")

    return engine


def reader(engine: Engine) -> Engine:
    """`engine` for reading only: SQLite transactions that never take the write lock.

    In WAL mode a reader is never blocked by a writer, so reading never waits.
    """
    return engine.execution_options(**{READ_ONLY: True})


def _empty_or_ours(cursor: sqlite3.Cursor) -> bool:
    names = {row[0] for row in cursor.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    return "greenspike_schema" in names or not names - SHARED_TABLES


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
