"""Issue 24: `greenspike track ... -- COMMAND` is read without typer so that the command starts at
once (greenspike.cli._quick_track). The quick reader must read every line it takes exactly as
typer's command does, and leave every other line to typer."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import greenspike.cli.track as track_command
from greenspike.cli._quick_track import _parser, quick_options, quick_track
from greenspike.cli._tracked import TrackOptions
from greenspike.cli.app import app


def _typer_track():
    return typer.main.get_command(app).commands["track"]


def _typer_options(cli, monkeypatch, args: list[str]) -> TrackOptions | None:
    """The options typer's command hands on for `greenspike track ARGS` (None: it refused)."""
    seen: list[TrackOptions] = []
    monkeypatch.setattr(track_command, "run_track", lambda options: seen.append(options) or 0)
    cli("track", *args)
    return seen[0] if seen else None


def test_the_quick_reader_has_every_option_of_typers_command():
    typer_flags = {
        param.name: set(param.opts) for param in _typer_track().params if param.opts[0][0] == "-"
    }
    quick_flags = _parser()[1]
    assert set(quick_flags) == set(typer_flags)
    for name, flag in quick_flags.items():
        assert flag == max(typer_flags[name], key=len)
    assert {field for field in TrackOptions.__dataclass_fields__} == {*typer_flags, "command"}


PLAIN_LINES = [
    ["--", "true"],
    ["--no-ledger", "--", "python", "train.py", "--lr", "0.1", "--"],
    ["-c", "FRA", "--pue", "gcp", "--interval", "0.5", "--", "sleep", "1"],
    ["--country=WORLD", "--intensity", "56", "--cpu-tdp-w", "1e2", "--", "true"],
    ["--tag", "a=1", "--tag", "b=", "--name", "x y", "--json", "--", "true"],
    ["--scope", "process", "--job", "j1", "--ledger", "sqlite:///l.db", "--", "true"],
    ["--epochs", "3", "--epochs-file", "e.txt", "--energy-budget-kwh", ".5", "--", "t"],
    ["-o", "report.json", "--interval", "-2", "--epochs", "-1", "--", "true"],
]


@pytest.mark.parametrize("args", PLAIN_LINES, ids=[" ".join(a) for a in PLAIN_LINES])
def test_plain_lines_are_read_quickly_and_as_typer_reads_them(cli, monkeypatch, args):
    quick = quick_options(args)
    assert quick is not None
    assert quick == _typer_options(cli, monkeypatch, args)


LEFT_TO_TYPER = [
    ["--help"],
    ["true"],  # no `--`: typer finds where the command starts
    ["--interval", "1_0", "--", "true"],
    ["--interval", "0x10", "--", "true"],
    ["--interval", "nan", "--", "true"],
    ["--epochs", "1.0", "--", "true"],
    ["--name", "--", "true"],  # --name takes `--` as its value in typer
    ["--unknown", "--", "true"],
    ["--inter", "1", "--", "true"],  # no abbreviations
    ["-o", ".", "--", "true"],  # a directory
    ["--json=1", "--", "true"],
    ["-c=FRA", "--", "true"],  # typer reads the value "=FRA"
    ["--name=--", "--", "true"],  # argparse would drop the value
    ["stray", "--", "true"],
]


@pytest.mark.parametrize("args", LEFT_TO_TYPER, ids=[" ".join(a) for a in LEFT_TO_TYPER])
def test_other_lines_are_left_to_typer(args):
    assert quick_options(args) is None


# Option values as users (and fuzzers) write them.
VALUES = st.sampled_from(
    ["1", "-2", "+3", "0.5", ".5", "5.", "1e3", "1E-3", "-1e+2", "007", "1_0", "0x1f", "inf",
     "nan", " 1", "1 ", "", "-", "--", "-x", "a=b", "=b", "FRA", "gcp", "x.json", "é", "1.5.2"]
)  # fmt: skip
FLAGS = st.sampled_from(
    ["--country", "-c", "--intensity", "--pue", "--interval", "--cpu-tdp-w", "--output", "-o",
     "--name", "--tag", "--ledger", "--scope", "--job", "--epochs", "--epochs-file",
     "--energy-budget-kwh"]
)  # fmt: skip
SWITCHES = st.sampled_from(["--json", "--no-ledger"])
PIECE = st.one_of(
    st.tuples(FLAGS, VALUES).map(list),
    st.tuples(FLAGS, VALUES).map(lambda fv: [f"{fv[0]}={fv[1]}"]),
    SWITCHES.map(lambda s: [s]),
)


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pieces=st.lists(PIECE, max_size=4), command=st.lists(VALUES, max_size=3))
def test_any_line_read_quickly_is_read_as_typer_reads_it(cli, monkeypatch, pieces, command):
    args = [part for piece in pieces for part in piece] + ["--", *command]
    quick = quick_options(args)
    if quick is not None:
        assert quick == _typer_options(cli, monkeypatch, args)


def test_errors_of_the_quick_start_are_one_line_naming_the_flag(capsys):
    assert quick_track(["--no-ledger", "--epochs", str(2**63), "--", "true"]) == 2
    assert capsys.readouterr().err.startswith("Error: --epochs takes integers up to")
    assert quick_track(["--no-ledger", "--country", "XXX", "--", "true"]) == 2
    assert capsys.readouterr().err.startswith("Error: unknown country or region 'XXX'")
    assert quick_track(["--no-ledger", "--", "no-such-command-here"]) == 2
    assert "no such command on PATH" in capsys.readouterr().err


def test_the_quick_start_runs_the_command_and_exits_with_its_status(capsys):
    assert quick_track(["--no-ledger", "--json", "--", sys.executable, "-c", "exit(3)"]) == 3
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "failed"
    assert "the command exited with status 3" in report["notes"]


def test_the_command_line_takes_the_quick_start_and_typer_alike(tmp_path):
    def greenspike(*args: str) -> subprocess.CompletedProcess:
        line = [sys.executable, "-m", "greenspike", "track", *args]
        return subprocess.run(line, capture_output=True, text=True, timeout=60, cwd=tmp_path)

    quick = greenspike("--no-ledger", "--", sys.executable, "-c", "print('hi')")
    assert (quick.returncode, quick.stdout) == (0, "hi\n")
    assert "Energy of" in quick.stderr
    through_typer = greenspike("--no-ledger", sys.executable, "-c", "print('hi')")  # no `--`
    assert (through_typer.returncode, through_typer.stdout) == (0, "hi\n")
    helped = greenspike("--help")
    assert helped.returncode == 0 and "--energy-budget-kwh" in helped.stdout
