"""Fixtures shared by the whole suite."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from greenspike.cli import app


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
