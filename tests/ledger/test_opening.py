"""Issue 21: opening a ledger never writes into someone else's database, never creates one for
a command that only reads, never waits for the write lock to read, and a ledger that cannot be
opened is one clear error."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from sqlalchemy import create_engine, text

from greenspike.errors import InvalidInputError, LedgerVersionError
from greenspike.ledger import Ledger


def _foreign_sqlite(path):
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE users (name TEXT)")
        connection.execute("INSERT INTO users VALUES ('ada')")
    return path


def test_another_applications_sqlite_file_is_refused_and_left_as_it_was(tmp_path):
    path = _foreign_sqlite(tmp_path / "app.db")
    before = path.read_bytes()
    with pytest.raises(LedgerVersionError, match=r"tables \(users\).*not a greenspike ledger"):
        Ledger(path)
    assert path.read_bytes() == before
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        tables = connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        assert [row[0] for row in tables] == ["users"]


def test_a_postgresql_database_with_other_tables_is_refused_untouched(postgres_url):
    engine = create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE users (name TEXT)"))
    with pytest.raises(LedgerVersionError, match="not a greenspike ledger"):
        Ledger(postgres_url)
    with engine.connect() as connection:
        names = connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ).scalars()
        assert list(names) == ["users"]
    engine.dispose()


def test_a_reading_command_does_not_create_a_ledger(tmp_path):
    path = tmp_path / "typo.db"
    with pytest.raises(InvalidInputError, match=r"no ledger at .*typo\.db"):
        Ledger(path, create=False)
    assert not path.exists()


def test_opening_an_up_to_date_ledger_writes_nothing(tmp_path):
    path = tmp_path / "ledger.db"
    Ledger(path).close()
    before = path.stat().st_mtime_ns, path.read_bytes()
    with Ledger(path, create=False) as ledger:
        assert ledger.runs() == []
    assert (path.stat().st_mtime_ns, path.read_bytes()) == before


def test_reading_does_not_wait_for_a_writer_holding_the_lock(tmp_path):
    path = tmp_path / "ledger.db"
    with Ledger(path) as ledger:
        ledger.start_run(name="kept", start_unix_s=1.7e9, interval_s=1.0)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing, for as long as it likes
    try:
        found: list = []
        started = time.monotonic()
        reading = threading.Thread(
            target=lambda: found.append([r.name for r in Ledger(path, create=False).runs()]),
            daemon=True,
        )
        reading.start()
        reading.join(10)
        assert found == [["kept"]]
        assert time.monotonic() - started < 10
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def _garbage(path):
    path.write_text("not a database, " * 100)
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: tmp, "it is a directory"),
        (lambda tmp: _garbage(tmp / "x.db"), "not a database"),
        (lambda tmp: "postgresql+nodriver://u:pw@localhost/x", "unknown database driver"),
        (lambda tmp: "postgresql://u:secret@127.0.0.1:1/x", "cannot open the ledger"),
    ],
)
def test_a_ledger_that_cannot_be_opened_is_one_clear_error(tmp_path, make, message):
    with pytest.raises(InvalidInputError, match=message) as raised:
        Ledger(make(tmp_path))
    assert "secret" not in str(raised.value)


def test_the_cli_reports_a_ledger_it_cannot_open_on_one_line(cli, tmp_path):
    result = cli("runs", "list", "--ledger", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: cannot open the ledger") and "Traceback" not in (
        result.output
    )


def test_an_optuna_study_may_share_the_ledgers_database(tmp_path):
    optuna = pytest.importorskip("optuna")
    path = tmp_path / "shared.db"
    optuna.create_study(storage=f"sqlite:///{path}", study_name="s")
    with Ledger(path) as ledger:  # the study's tables are not someone else's
        ledger.start_run(name="trial", start_unix_s=1.7e9, interval_s=1.0)
        assert [run.name for run in ledger.runs()] == ["trial"]


def _ledger_with_one_run(path):
    with Ledger(path) as ledger:
        ledger.start_run(name="kept", start_unix_s=1.7e9, interval_s=1.0)
    return path


def _not_writable(monkeypatch):
    # The tests run as root, whom a chmod would not stop: simulate a ledger file (or folder)
    # this user cannot write through the check greenspike makes before opening it.
    from greenspike.ledger import _engine

    monkeypatch.setattr(_engine, "writable", lambda path: False)


def test_a_ledger_this_user_cannot_write_is_read_read_only(cli, tmp_path, monkeypatch):
    path = _ledger_with_one_run(tmp_path / "ledger.db")
    before = sorted(p.name for p in tmp_path.iterdir()), path.read_bytes()
    _not_writable(monkeypatch)
    for command in (["list"], ["show", "1"], ["export"], ["export", "--format", "csv"]):
        result = cli("runs", *command, "--ledger", str(path))
        assert result.exit_code == 0, result.output
        assert "kept" in result.stdout
    # nothing written, nothing created beside it (no -wal or -shm left for its owner)
    assert (sorted(p.name for p in tmp_path.iterdir()), path.read_bytes()) == before
    with Ledger(path, create=False, read_only=True) as ledger:
        assert [run.name for run in ledger.runs()] == ["kept"]
        with pytest.raises(Exception, match="readonly"):  # opened read-only: writes refused
            ledger.start_run(name="x", start_unix_s=1.7e9, interval_s=1.0)


def test_a_read_only_ledger_being_written_shows_the_runs_in_its_wal(tmp_path, monkeypatch):
    path = _ledger_with_one_run(tmp_path / "ledger.db")
    holder = sqlite3.connect(path)  # another process's open connection keeps the -wal file
    holder.execute("SELECT 1 FROM runs").fetchall()
    try:
        with Ledger(path) as ledger:
            ledger.start_run(name="in the wal", start_unix_s=1.7e9 + 1, interval_s=1.0)
        assert (tmp_path / "ledger.db-wal").stat().st_size > 0
        _not_writable(monkeypatch)
        with Ledger(path, create=False, read_only=True) as ledger:
            assert sorted(run.name for run in ledger.runs()) == ["in the wal", "kept"]
    finally:
        holder.close()
