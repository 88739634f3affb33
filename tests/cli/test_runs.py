"""`greenspike runs list|show|export|report` and `greenspike track`'s ledger options."""

from __future__ import annotations

import csv
import io
import json
import sys

import pytest

from greenspike.ledger import Ledger


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "220")


@pytest.fixture
def runs(ledger_url, make_report):
    """Three runs in the test's ledger: an SNN and an ANN of group mnist, and a failed one."""
    ledger = Ledger(ledger_url)
    ids = []
    for name, accuracy, tags, status, start in [
        ("snn <b>", 0.97, {"group": "mnist", "model": "snn"}, "finished", 1.7e9),
        ("ann", 0.98, {"group": "mnist", "model": "ann"}, "finished", 1.7e9 + 86400),
        ("broken", None, {}, "failed", 1.7e9 + 2 * 86400),
    ]:
        run_id = ledger.start_run(name=name, start_unix_s=start, interval_s=1.0, tags=tags)
        ledger.record(run_id, make_report(name, status, cpu_j=100.0 * (len(ids) + 1)))
        if accuracy is not None:
            ledger.log_metrics(run_id, {"accuracy": accuracy}, step=0)
        ids.append(run_id)
    return ids


def test_list_filters_and_shows_energy_at_a_glance(cli, runs):
    result = cli("runs", "list")
    assert result.exit_code == 0, result.output
    for text in ("snn <b>", "ann", "broken", "failed", "measured+estimated", "102.0", "302.0"):
        assert text in result.stdout
    only = cli("runs", "list", "--tag", "model=snn").stdout
    assert "snn <b>" in only and "broken" not in only
    assert "broken" in cli("runs", "list", "--status", "failed").stdout
    assert "ann" not in cli("runs", "list", "--status", "failed").stdout
    dated = cli("runs", "list", "--since", "2023-11-15T00:00", "--until", "2023-11-16").stdout
    assert "ann" in dated and "snn" not in dated and "broken" not in dated
    assert "No runs match." in cli("runs", "list", "--name", "nothing-like-it").stdout


def test_show_prints_everything_kept(cli, runs):
    result = cli("runs", "show", str(runs[0]))
    assert result.exit_code == 0, result.output
    for text in (
        "snn <b>",
        "cpu:package-0",
        "rapl:package-0",
        "measured",
        "estimated",
        "tag group",
        "Metrics",
        "0.97",
    ):
        assert text in result.stdout


def test_export_csv_and_json(cli, runs, tmp_path):
    rows = list(csv.DictReader(io.StringIO(cli("runs", "export", "--format", "csv").stdout)))
    assert [r["name"] for r in rows] == ["broken", "ann", "snn <b>"]
    assert float(rows[2]["energy_j"]) == 102.0 and rows[2]["provenance"] == "measured+estimated"
    assert rows[2]["tags"] == "group=mnist;model=snn"
    out = tmp_path / "runs.json"
    assert (
        cli("runs", "export", "-f", "json", "-o", str(out), "--tag", "group=mnist").exit_code == 0
    )
    data = json.loads(out.read_text())
    assert [d["id"] for d in data] == [runs[1], runs[0]]
    assert data[1]["report"]["schema"] == "greenspike.energy-report/1"
    assert data[1]["metrics"][0] == {**data[1]["metrics"][0], "name": "accuracy", "value": 0.97}


def test_report_writes_a_self_contained_html_file(cli, runs, tmp_path):
    out = tmp_path / "report.html"
    result = cli("runs", "report", "--tag", "group=mnist", "-o", str(out))
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert "Report of 2 runs" in result.stderr
    assert 'id="comparison-plot"' in html and "snn &lt;b&gt;" in html
    assert "broken" not in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("runs", "show", "99"), "no run 99 in the ledger"),
        (("runs", "list", "--status", "done"), "unknown status 'done'"),
        (("runs", "list", "--tag", "group"), "--tag takes KEY=VALUE, got 'group'"),
        (("runs", "list", "--since", "yesterday"), "--since takes a date or time"),
        (("runs", "export", "--format", "xml"), "unknown export format 'xml'; valid: csv, json"),
        (("runs", "report"), "no runs to report on"),
        (("runs", "report", "1", "-o", "/no/such/dir/r.html"), "no directory /no/such/dir"),
        (("runs", "list", "--ledger", "mysql://x/y"), "unsupported ledger URL"),
    ],
)
def test_bad_input_is_one_clear_error(cli, runs, args, message):
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert "Error:" in result.stderr and message in result.stderr


def test_track_keeps_the_run_unless_told_not_to(cli, ledger_url, tmp_path):
    result = cli("track", "--tag", "group=cli", "--", sys.executable, "-c", "pass")
    assert result.exit_code == 0, result.output
    (run,) = Ledger(ledger_url).runs()
    assert f"Kept in the ledger as run {run.id}" in result.stderr
    assert run.status == "finished" and run.tags == {"group": "cli"}
    assert run.command == f"{sys.executable} -c pass"
    assert cli("track", "--no-ledger", "--", sys.executable, "-c", "pass").exit_code == 0
    assert len(Ledger(ledger_url).runs()) == 1
    other = tmp_path / "other.db"
    assert cli("track", "--ledger", str(other), "--", sys.executable, "-c", "pass").exit_code == 0
    assert len(Ledger(other).runs()) == 1
    failed = cli("track", "--", sys.executable, "-c", "raise SystemExit(4)")
    assert failed.exit_code == 4
    assert Ledger(ledger_url).runs()[0].status == "failed"
