"""Ledgers to test against: SQLite in a temporary folder, and PostgreSQL, from
$GREENSPIKE_TEST_POSTGRES_URL or a throwaway cluster started here with Debian's initdb/pg_ctl
(as the postgres user when running as root, since the server refuses to run as root).
Without either the PostgreSQL tests are skipped, except under CI=true, where they fail."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

POSTGRES_ENV = "GREENSPIKE_TEST_POSTGRES_URL"


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL tests cannot run under CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server():
    """The URL of a PostgreSQL server's maintenance database `postgres`."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed: pip install 'greenspike[postgres]'")
    if os.environ.get(POSTGRES_ENV):
        yield os.environ[POSTGRES_ENV]
        return
    initdbs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not initdbs:
        _unavailable(f"no {POSTGRES_ENV} and no initdb under /usr/lib/postgresql/*/bin")
    bindir = Path(initdbs[-1]).parent
    folder = Path(tempfile.mkdtemp(prefix="greenspike-pg-"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    data, log = folder / "data", folder / "server.log"

    def run(*argv: str) -> None:
        subprocess.run(  # from a folder the postgres user may enter
            [*as_postgres, *argv], check=True, capture_output=True, timeout=120, cwd=folder
        )

    try:
        run(
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        options = f"-p 5432 -k {folder} -c listen_addresses='' -c fsync=off -c max_connections=60"
        run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-o", options, "start")
    except (subprocess.CalledProcessError, OSError) as error:
        detail = getattr(error, "stderr", b"") or b""
        shutil.rmtree(folder, ignore_errors=True)
        _unavailable(f"could not start a throwaway PostgreSQL: {error} {detail.decode()[-500:]}")
    try:
        yield f"postgresql+psycopg://postgres@/postgres?host={folder}&port=5432"
    finally:
        subprocess.run(
            [*as_postgres, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
            cwd=folder,
        )
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server):
    """A fresh, empty database on the PostgreSQL server, dropped after the test."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"gs_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def any_url(request) -> str:
    """Each test using it runs once against SQLite and once against PostgreSQL."""
    return request.getfixturevalue(f"{request.param.removesuffix('ql')}_url")


@pytest.fixture
def ledger(any_url):
    from greenspike.ledger import Ledger

    with Ledger(any_url) as opened:
        yield opened
