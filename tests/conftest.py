"""Fixtures shared by the whole suite.

PostgreSQL (the ledger and search tests): $GREENSPIKE_TEST_POSTGRES_URL, or a throwaway cluster
started here with Debian's initdb/pg_ctl (as the postgres user when running as root, since the
server refuses to run as root). Without either the PostgreSQL tests are skipped, except under
CI=true, where they fail."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from greenspike.cli.app import app


@pytest.fixture(autouse=True)
def ledger_url(tmp_path_factory, monkeypatch) -> str:
    """Every test keeps its runs in a ledger of its own in a temporary folder, never in the
    home directory: $GREENSPIKE_LEDGER points there. The URL is returned for tests that read it."""
    url = f"sqlite:///{tmp_path_factory.mktemp('ledger') / 'ledger.db'}"
    monkeypatch.setenv("GREENSPIKE_LEDGER", url)
    return url


@pytest.fixture
def cli():
    """Invoke the `greenspike` command in-process: `cli("carbon", "FRA")` -> click Result.

    `input=` is what the command reads from stdin (answers to its questions)."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(app, list(args), prog_name="greenspike", input=input)

    return invoke


@pytest.fixture
def greenspike_process():
    """Run `python -m greenspike ...` in a real child process -> CompletedProcess (text)."""

    def run(*args: str, timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "greenspike", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            **kwargs,
        )

    return run


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The project's reference data (`../shared/data` beside the checkout, or
    $GREENSPIKE_SHARED_DATA); tests that need it are skipped where it is absent."""
    default = Path(__file__).resolve().parents[2] / "shared" / "data"
    path = Path(os.environ.get("GREENSPIKE_SHARED_DATA", default))
    if not path.is_dir():
        pytest.skip(f"reference data not found at {path}")
    return path


def energy_report(
    name: str | None = "run",
    status: str = "finished",
    cpu_j: float = 10.0,
    ram_j: float = 2.0,
    duration_s: float = 5.0,
    start_unix_s: float = 1.7e9,
    windows: tuple = (),
    intensity: float | None = 50.0,
):
    """An EnergyReport with a measured CPU package and an estimated RAM component."""
    from greenspike.energy.carbon import CarbonIntensity
    from greenspike.energy.measurement import ComponentEnergy, EnergyReport

    return EnergyReport(
        name=name,
        status=status,
        start_unix_s=start_unix_s,
        end_unix_s=None if status == "running" else start_unix_s + duration_s,
        duration_s=duration_s,
        components=(
            ComponentEnergy(
                "cpu:package-0", "measured", "energy counter", "rapl:package-0", energy_j=cpu_j
            ),
            ComponentEnergy(
                "ram", "estimated", "memory model", "memory-model: 0.37 W/GB x 2 GB", energy_j=ram_j
            ),
        ),
        carbon_intensity=None if intensity is None else CarbonIntensity(intensity, "given"),
        windows=windows,
    )


@pytest.fixture(scope="session")
def make_report():
    """`make_report(name=..., status=..., cpu_j=..., ram_j=...)` -> an EnergyReport."""
    return energy_report


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
