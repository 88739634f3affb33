"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from greenspike.cli import app


@pytest.fixture(autouse=True)
def ledger_url(tmp_path_factory, monkeypatch) -> str:
    """Every test keeps its runs in a ledger of its own in a temporary folder, never in the
    home directory: $GREENSPIKE_LEDGER points there. The URL is returned for tests that read it."""
    url = f"sqlite:///{tmp_path_factory.mktemp('ledger') / 'ledger.db'}"
    monkeypatch.setenv("GREENSPIKE_LEDGER", url)
    return url


@pytest.fixture
def cli():
    """Invoke the `greenspike` command in-process: `cli("carbon", "FRA")` -> click Result."""
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args), prog_name="greenspike")

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
    from greenspike.energy.report import ComponentEnergy, EnergyReport

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
