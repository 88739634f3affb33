"""Issue 21: a replay of the hostile-input corpus over every command. Each case must end in a
clean exit (0, or 2 with one `Error:` line), never a traceback or a hang, and must leave every
planted file (someone else's database, a read-only report, a ledger, a FIFO) as it was.

Add a case here for each new problem found: `{tmp}` is a scratch folder, `{ledger}` a ledger
with one run, `{foreign}` another application's SQLite file, `{fifo}` a named pipe, `{file}` a
planted regular file.
"""

from __future__ import annotations

import os
import sqlite3
import stat

import pytest

from greenspike.cli._quick_track import quick_track

LONG = "n" * 50_000
ESCAPE = "\x1b]0;title\x07\x1b[2J"
CORPUS: list[tuple[str, ...]] = [
    # outputs that are not ours to replace (items 1, 3, 5, 7)
    ("runs", "export", "--ledger", "{ledger}", "-o", "{ledger}"),
    ("runs", "export", "--ledger", "{ledger}", "-o", "{foreign}"),
    ("runs", "report", "1", "--ledger", "{ledger}", "-o", "{foreign}"),
    ("runs", "export", "--ledger", "{ledger}", "-o", "{tmp}"),
    ("runs", "export", "--ledger", "{ledger}", "-o", "{tmp}/no/such/dir/x.csv"),
    ("runs", "export", "--ledger", "{ledger}", "-o", "{tmp}/" + "x" * 300),
    ("track", "--no-ledger", "-o", "{foreign}", "--", "true"),
    ("track", "--no-ledger", "-o", "{tmp}/" + "r" * 300, "--", "true"),
    ("compare", "--no-ledger", "--out", "{file}/sub"),
    # ledgers that are not ledgers (items 2, 12)
    ("runs", "list", "--ledger", "{foreign}"),
    ("runs", "list", "--ledger", "{tmp}"),
    ("runs", "list", "--ledger", "{file}"),
    ("runs", "list", "--ledger", "{tmp}/typo.db"),
    ("runs", "list", "--ledger", "postgresql+nodriver://u:pw@localhost/x"),
    ("runs", "list", "--ledger", "postgresql://u:secret@127.0.0.1:1/x"),
    ("runs", "list", "--ledger", "mysql://u@h/db"),
    ("track", "--ledger", "{foreign}", "--", "true"),
    # numbers (items 15, 16, 23)
    ("runs", "list", "--ledger", "{ledger}", "--limit", str(2**63)),
    ("runs", "list", "--ledger", "{ledger}", "--limit", "0"),
    ("runs", "show", str(2**63), "--ledger", "{ledger}"),
    ("runs", "show", str(-(2**63) - 1), "--ledger", "{ledger}"),
    ("runs", "delete", "999", "--ledger", "{ledger}", "--yes"),
    ("track", "--no-ledger", "--interval", "1e10", "--", "true"),
    ("track", "--no-ledger", "--interval", "1e-9", "--", "true"),
    ("track", "--no-ledger", "--interval", "nan", "--", "true"),
    ("track", "--no-ledger", "--pue", "1_5", "--", "true"),
    ("track", "--no-ledger", "--pue", "inf", "--", "true"),
    ("track", "--no-ledger", "--intensity", "-1", "--", "true"),
    ("track", "--no-ledger", "--cpu-tdp-w", "0", "--", "true"),
    ("track", "--no-ledger", "--country", "XXX", "--", "true"),
    ("compare", "--no-ledger", "--hidden", str(10**12), "--out", "{tmp}/c"),
    ("compare", "--no-ledger", "--country", "XXX", "--out", "{tmp}/c"),
    ("search", "--no-ledger", "--max-depth", str(10**20), "--out", "{tmp}/s"),
    ("search", "--no-ledger", "--country", "XXX", "--out", "{tmp}/s"),
    ("nir", "export", "{tmp}/m.py:net", "-o", "{tmp}/x.nir", "--input-shape", str(10**20)),
    ("nir", "export", "{tmp}/m.py:net", "-o", "{tmp}/x.nir", "--input-shape", "a,b"),
    # hostile strings (items 6, 11, 14)
    ("track", "--ledger", "{ledger}", "--name", LONG, "--", "true"),
    ("track", "--ledger", "{ledger}", "--name", ESCAPE + "[bold]x[/]", "--", "true"),
    ("track", "--ledger", "{ledger}", "--tag", "k=" + ESCAPE, "--", "true"),
    ("track", "--ledger", "{ledger}", "--tag", "=v", "--", "true"),
    ("track", "--ledger", "{ledger}", "--name", '=HYPERLINK("x")', "--", "true"),
    ("track", "--ledger", "{ledger}", "-o", "{tmp}/[red]x.json", "--", "true"),
    ("track", "--ledger", "{ledger}", "--", "echo", "postgresql://u:hunter2@h/db"),
    ("runs", "list", "--ledger", "{ledger}"),
    ("runs", "show", "1", "--ledger", "{ledger}"),
    ("runs", "export", "--ledger", "{ledger}", "--format", "csv"),
    ("runs", "export", "--ledger", "{ledger}", "--format", "xml"),
    ("runs", "list", "--ledger", "{ledger}", "--since", "yesterday"),
    # damaged files (items 17, 18, 19)
    ("nir", "inspect", "{file}"),
    ("nir", "inspect", "{tmp}/missing.nir"),
    ("nir", "export", "{tmp}/exits.py:net", "-o", "{tmp}/y.nir"),
    ("nir", "export", "{tmp}/broken.py:net", "-o", "{tmp}/y.nir"),
    ("nir", "export", "{tmp}/raises.py:net", "-o", "{tmp}/y.nir"),
    ("nir", "export", "{tmp}/m.py:nothing", "-o", "{tmp}/y.nir"),
    # what our own importer would refuse (item 23)
    ("nir", "export", "{tmp}/nan.py:net", "-o", "{tmp}/y.nir"),
    # a 20 KB consistent graph that would take over 1 GiB as float64 (item 17)
    ("nir", "inspect", "{tmp}/bomb.nir"),
]


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    from greenspike.ledger import Ledger

    tmp = tmp_path_factory.mktemp("fuzz")
    ledger = tmp / "ledger.db"
    with Ledger(ledger) as opened:
        opened.start_run(name="kept", start_unix_s=1.7e9, interval_s=1.0)
    foreign = tmp / "app.db"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE users (name TEXT)")
    file = tmp / "planted.txt"
    file.write_text("mine")
    file.chmod(0o600)
    (tmp / "m.py").write_text("import torch\nnet = torch.nn.Linear(2, 2)\n")
    (tmp / "exits.py").write_text("import sys\nsys.exit(0)\n")
    (tmp / "broken.py").write_text("def net(:\n")
    (tmp / "raises.py").write_text("raise RuntimeError('boom')\n")
    (tmp / "nan.py").write_text(
        "import torch\nnet = torch.nn.Linear(2, 2)\n"
        "torch.nn.init.constant_(net.bias, float('nan'))\n"
    )
    _plant_nir_bomb(tmp / "bomb.nir")
    fifo = tmp / "pipe"
    os.mkfifo(fifo)
    return {"tmp": tmp, "ledger": ledger, "foreign": foreign, "file": file, "fifo": fifo}


def _plant_nir_bomb(path):
    """Input -> Linear -> Output, consistent: a 12,000 x 12,000 int8 weight that the file
    declares (144 MB, under the 1 GiB read limit) but stores as one fill value: about 20 KB."""
    try:
        import h5py
        import nir
        import numpy as np
    except ImportError:  # without nir the case is a clean "needs greenspike[nir]" error
        return
    n = 12_000
    nodes = {
        "input": nir.Input(np.array([n])),
        "fc": nir.Linear(weight=np.ones((1, 1), np.int8)),
        "output": nir.Output(np.array([n])),
    }
    edges = [("input", "fc"), ("fc", "output")]
    nir.write(path, nir.NIRGraph(nodes=nodes, edges=edges, type_check=False))
    with h5py.File(path, "r+") as file:
        fc = file["node/nodes/fc"]
        del fc["weight"]
        fc.create_dataset(
            "weight", shape=(n, n), dtype="i1", chunks=(1000, 1000), compression="gzip", fillvalue=1
        )


def _fingerprint(paths):
    return {
        name: (os.lstat(path).st_mode, path.read_bytes() if path.is_file() else None)
        for name, path in paths.items()
        if name in ("foreign", "file", "fifo")
    }


@pytest.mark.parametrize("case", CORPUS, ids=[" ".join(c)[:60] for c in CORPUS])
def test_the_corpus_ends_cleanly_and_touches_nothing_planted(cli, planted, case):
    before = _fingerprint(planted)
    args = [part.format(**planted) for part in case]
    result = cli(*args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert result.stderr.startswith("Error:") or "Usage:" in result.stderr, result.output
    assert "hunter2" not in result.output
    if case[:2] != ("runs", "export"):  # an export is data: it keeps the exact value
        assert "\x1b]0" not in result.output
    assert _fingerprint(planted) == before
    assert stat.S_IMODE(planted["file"].stat().st_mode) == 0o600
    with sqlite3.connect(planted["foreign"]) as connection:
        tables = connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        assert [row[0] for row in tables] == ["users"]
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)


TRACK_CASES = [case for case in CORPUS if case[0] == "track"]


@pytest.mark.parametrize("case", TRACK_CASES, ids=[" ".join(c)[:60] for c in TRACK_CASES])
def test_track_cases_end_alike_through_the_quick_start(cli, planted, capsys, case):
    """The lines `greenspike track` reads without typer (greenspike.cli._quick_track) end as
    they do through typer: same exit status, same `Error:` line, nothing planted touched."""
    before = _fingerprint(planted)
    args = [part.format(**planted) for part in case]
    exit_code = quick_track(args[1:])
    if exit_code is None:
        return  # left to typer: the test above replays it
    quick_error = capsys.readouterr().err
    assert _fingerprint(planted) == before
    result = cli(*args)
    assert exit_code == result.exit_code
    if exit_code == 2:
        assert quick_error.startswith("Error:")
        assert quick_error.splitlines()[0] == result.stderr.splitlines()[0]
