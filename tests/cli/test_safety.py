"""Issue 21: outputs never replace what is not ours, a failed write is never claimed, and bad
paths, ledgers and options are one clear error before any work."""

from __future__ import annotations

import sqlite3
import stat
import sys

import pytest


def test_track_checks_the_output_before_the_command_runs(cli, tmp_path):
    marker = tmp_path / "ran"
    long_name = tmp_path / ("r" * 300 + ".json")
    code = f"open({str(marker)!r}, 'w').close()"
    result = cli("track", "--no-ledger", "-o", str(long_name), "--", sys.executable, "-c", code)
    assert result.exit_code == 2
    assert "--output" in result.stderr and "too long" in result.stderr
    assert not marker.exists()


def test_track_never_claims_a_report_it_could_not_write(cli, tmp_path):
    folder = tmp_path / "gone"
    folder.mkdir()
    out = folder / "run.json"
    code = f"import shutil; shutil.rmtree({str(folder)!r})"
    result = cli("track", "--no-ledger", "-o", str(out), "--", sys.executable, "-c", code)
    assert result.exit_code == 2
    assert "Report written" not in result.stderr
    assert "the report was not written" in result.stderr


def test_track_output_to_dev_null_leaves_the_device(cli):
    result = cli("track", "--no-ledger", "-o", "/dev/null", "--", "true")
    assert result.exit_code == 0, result.output
    assert stat.S_ISCHR(__import__("os").stat("/dev/null").st_mode)


def test_runs_export_refuses_to_write_over_the_ledger(cli, tmp_path):
    ledger = tmp_path / "ledger.db"
    assert cli("track", "--ledger", str(ledger), "--", "true").exit_code == 0
    before = ledger.read_bytes()
    result = cli("runs", "export", "--ledger", str(ledger), "-o", str(ledger))
    assert result.exit_code == 2
    assert "SQLite database" in result.stderr
    assert ledger.read_bytes() == before
    with sqlite3.connect(ledger) as connection:
        assert connection.execute("select count(*) from runs").fetchone() == (1,)


@pytest.mark.parametrize("command", [("compare",), ("search", "--trials", "1")])
def test_an_out_that_cannot_be_a_folder_fails_before_any_work(cli, tmp_path, command):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = cli(*command, "--no-ledger", "--out", str(blocker / "results"))
    assert result.exit_code == 2
    assert "--out" in result.stderr and "is not a folder" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("runs", "list", "--limit", str(2**63)), "--limit takes integers up to"),
        (("runs", "show", str(2**63)), "RUN_ID takes integers up to"),
        (("track", "--interval", "1e10", "--", "true"), "--interval must be between 0.01 s"),
        (("track", "--interval", "1e-9", "--", "true"), "--interval must be between 0.01 s"),
        (("track", "--pue", "1_5", "--", "true"), "unknown PUE provider '1_5'"),
        (("compare", "--hidden", str(10**12)), "--hidden values must be from 1 to 1,048,576"),
        (("search", "--max-depth", "1000"), "--max-depth must be an integer from 1 to 64"),
        (("nir", "export", "m.py:net", "-o", "x.nir", "--input-shape", str(10**20)),
         "--input-shape must be sizes >= 1 of at most"),
    ],
)  # fmt: skip
def test_oversized_and_unbounded_values_are_one_clear_error(cli, tmp_path, args, message):
    (tmp_path / "m.py").write_text("import torch\nnet = torch.nn.Linear(2, 2)\n")
    import os

    previous = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = cli(*args)
    finally:
        os.chdir(previous)
    assert result.exit_code == 2, result.output
    assert "Error:" in result.stderr and message in result.stderr, result.stderr
