"""`greenspike runs list|show|compare|delete|export|report`, and `track`'s ledger options."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import sys
import time

import pytest

from greenspike.ledger import Ledger

LONG_NAME = "cnn-16-32-64 fashion-mnist spiking, latency code, seed 3"
LONG_METRIC = "energy_per_inference_j:cmos45-fp32-dram"


@pytest.fixture
def runs(ledger_url, make_report):
    """Three runs in the test's ledger: an SNN and an ANN of group mnist, and a failed one."""
    ledger = Ledger(ledger_url)
    ids = []
    for name, accuracy, tags, status, start in [
        ("snn <b>", 0.97, {"group": "mnist", "model": "snn"}, "finished", 1.7e9),
        ("ann", 0.98, {"group": "mnist", "model": "ann"}, "finished", 1.7e9 + 86400),
        ("broken", None, {"note": "x"}, "failed", 1.7e9 + 2 * 86400),
    ]:
        run_id = ledger.start_run(
            name=name,
            start_unix_s=start,
            interval_s=1.0,
            tags=tags,
            metadata={"config": {"epochs": 20 + len(ids), "hidden": [128]}, "lr": 0.002},
        )
        ledger.record(run_id, make_report(name, status, cpu_j=100.0 * (len(ids) + 1)))
        if accuracy is not None:
            ledger.log_metrics(run_id, {"accuracy": accuracy - 0.1}, step=0)
            ledger.log_metrics(run_id, {"accuracy": accuracy, LONG_METRIC: 2.5e-7}, step=1)
        ids.append(run_id)
    return ids


def lines_of(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


def run_lines(text: str, ids) -> dict[int, list[str]]:
    """The lines of a table that start with each run's id."""
    return {
        run_id: [line for line in lines_of(text) if re.match(rf"\s*{run_id}\s", line)]
        for run_id in ids
    }


def test_list_is_one_line_per_run_at_80_columns_most_useful_columns_first(
    cli, runs, ledger_url, make_report, monkeypatch
):
    ledger = Ledger(ledger_url)
    an_hour_ago = time.time() - 3600
    long_id = ledger.start_run(
        name=LONG_NAME,
        start_unix_s=an_hour_ago,
        interval_s=1.0,
        tags={"compare": "20261123T105544-593b14", "network": "spiking", "dataset": "fmnist"},
    )
    ledger.record(long_id, make_report(LONG_NAME, "finished", cpu_j=12_345.0))
    monkeypatch.setenv("COLUMNS", "80")
    result = cli("runs", "list")
    assert result.exit_code == 0, result.output
    assert all(len(line) <= 80 for line in lines_of(result.stdout))
    header = next(line for line in lines_of(result.stdout) if line.startswith("id"))
    assert header.split() == ["id", "name", "status", "started", "time", "energy", "accuracy"]
    found = run_lines(result.stdout, [*runs, long_id])
    assert all(len(lines) == 1 for lines in found.values()), found  # never wrapped
    (long_line,) = found[long_id]
    assert "cnn-16-32" in long_line and "…" in long_line  # shortened, not wrapped
    assert "12.3 kJ m+e" in long_line and "finished" in long_line
    recent = dt.datetime.fromtimestamp(an_hour_ago, dt.timezone.utc).strftime("%m-%d %H:%M")
    assert recent in long_line  # a recent run: month, day and time, as ls -l shows
    (snn,) = found[runs[0]]
    assert "snn <b>" in snn and "2023-11-14 " in snn and "102 J m+e" in snn  # older: the year
    assert "times UTC; energy: m measured, e estimated" in result.stdout
    assert snn.endswith("97.0%")  # the last accuracy, not the first
    (broken,) = found[runs[2]]
    assert "failed" in broken and broken.endswith("-")
    assert "m measured, e estimated" in result.stdout


def test_wide_adds_columns_and_never_shortens(cli, runs, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    result = cli("runs", "list", "--wide")
    assert result.exit_code == 0, result.output
    found = run_lines(result.stdout, runs)
    assert all(len(lines) == 1 for lines in found.values())
    (snn,) = found[runs[0]]
    assert snn.split()[8:14] == ["102", "J", "m+e", "100", "J", "2"]  # energy, measured, estimated
    assert "0.00142 g" in snn
    for text in (
        "snn <b>",
        "2023-11-14 22:13:20",
        "group=mnist, model=snn",
    ):
        assert text in snn, text


def test_list_json_is_every_field_of_every_run(cli, runs, ledger_url):
    data = json.loads(cli("runs", "list", "--json").stdout)
    expected = [run.to_dict() for run in Ledger(ledger_url).runs()]
    assert [d["id"] for d in data] == [runs[2], runs[1], runs[0]]
    for found, run in zip(data, expected, strict=True):
        assert {k: v for k, v in found.items() if k != "stale"} == {
            k: v for k, v in json.loads(json.dumps(run)).items() if k != "stale"
        }


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (("--tag", "group"), {"snn <b>", "ann"}),  # a key alone: any value
        (("--tag", "note"), {"broken"}),
        (("--tag", "model=snn"), {"snn <b>"}),
        (("--tag", "group", "--tag", "model=ann"), {"ann"}),
        (("--name", "AN"), {"ann"}),  # a part of the name, any case
        (("--name", "*n"), {"ann", "broken"}),  # a glob matches the whole name
        (("--name", "s?n*"), {"snn <b>"}),
        (("--where", "accuracy>=0.975"), {"ann"}),
        (("--where", "accuracy<0.975"), {"snn <b>"}),  # a run without the metric never matches
        (("--where", "accuracy>0.9", "--where", "accuracy!=0.98"), {"snn <b>"}),
        (("--status", "failed"), {"broken"}),
        (("--since", "2023-11-15T00:00", "--until", "2023-11-16"), {"ann"}),
    ],
)
def test_filters(cli, runs, args, names):
    result = cli("runs", "list", "--json", *args)
    assert result.exit_code == 0, result.output
    assert {run["name"] for run in json.loads(result.stdout)} == names


def test_no_match_says_so(cli, runs):
    assert "No runs match." in cli("runs", "list", "--name", "nothing-like-it").stdout
    assert json.loads(cli("runs", "list", "--name", "nothing", "--json").stdout) == []


def test_show_prints_everything_kept_with_full_metric_names_and_units(cli, runs, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    result = cli("runs", "show", str(runs[0]))
    assert result.exit_code == 0, result.output
    for text in (
        "snn <b>",
        "cpu:package-0",
        "rapl:package-0",
        "measured",
        "estimated",
        "tag group",
        "metadata config.epochs",
        "Metrics",
    ):
        assert text in result.stdout, text
    metric_lines = [line for line in lines_of(result.stdout) if line.startswith(LONG_METRIC)]
    assert len(metric_lines) == 1 and "250 nJ" in metric_lines[0]  # whole name, with its unit
    (accuracy,) = [line for line in lines_of(result.stdout) if line.startswith("accuracy ")]
    assert accuracy.split() == ["accuracy", "97.0%", "1", "87.0%", "97.0%"]  # last, step, min, max


def test_show_json_round_trips(cli, runs, ledger_url):
    data = json.loads(cli("runs", "show", str(runs[1]), "--json").stdout)
    run = Ledger(ledger_url).run(runs[1])
    assert data == json.loads(json.dumps(run.to_dict()))
    from greenspike.energy.measurement import EnergyReport

    assert EnergyReport.from_dict(data["report"]) == run.report


def test_compare_puts_runs_side_by_side(cli, runs, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    result = cli("runs", "compare", str(runs[0]), str(runs[1]))
    assert result.exit_code == 0, result.output
    text = lines_of(result.stdout)
    assert all(len(line) <= 80 for line in text)
    row = {line.split()[0]: line.split()[1:] for line in text if line.startswith("  ")}
    assert row["cpu:package-0"] == ["100", "J", "200", "J"]
    assert row["accuracy"] == ["97.0%", "98.0%"]
    assert row["model"] == ["snn", "ann"] and row["group"] == ["mnist", "mnist"]
    assert row["config.epochs"] == ["20", "21"] and row["lr"] == ["0.002", "0.002"]
    only = cli("runs", "compare", str(runs[0]), str(runs[1]), "--differences").stdout
    assert "config.epochs" in only and "  lr " not in only and "  group " not in only


def test_compare_json_has_raw_values_and_differences(cli, runs):
    data = json.loads(cli("runs", "compare", *map(str, runs), "--json").stdout)
    assert data["runs"] == runs
    rows = {(r["section"], r["name"]): r for r in data["rows"]}
    assert rows[("energy", "total")]["values"] == [102.0, 202.0, 302.0]
    assert rows[("metrics", "accuracy")]["values"] == [0.97, 0.98, None]
    assert rows[("metadata", "lr")] == {
        "section": "metadata", "name": "lr", "values": [0.002] * 3, "differs": False
    }  # fmt: skip
    assert rows[("tags", "group")]["differs"]


def test_delete_asks_first_and_keeps_everything_on_no(cli, runs, ledger_url):
    result = cli("runs", "delete", str(runs[2]), input="n\n")
    assert result.exit_code == 1 and "Nothing deleted" in result.output
    assert len(Ledger(ledger_url).runs()) == 3
    result = cli("runs", "delete", str(runs[2]), input="y\n")
    assert result.exit_code == 0, result.output
    assert [run.id for run in Ledger(ledger_url).runs()] == [runs[1], runs[0]]


def test_delete_by_filter_with_yes(cli, runs, ledger_url):
    result = cli("runs", "delete", "--tag", "group", "--yes")
    assert result.exit_code == 0, result.output
    assert f"Deleted 2 runs: {runs[1]}, {runs[0]}" in result.output
    assert [run.name for run in Ledger(ledger_url).runs()] == ["broken"]


def test_delete_never_touches_a_run_still_going_on(cli, runs, ledger_url):
    ledger = Ledger(ledger_url)
    live = ledger.start_run(name="live", start_unix_s=1.8e9, interval_s=1.0)  # this process
    result = cli("runs", "delete", str(live), str(runs[0]), "--yes")
    assert result.exit_code == 2
    assert f"run {live} is still going on" in result.stderr and "nothing deleted" in result.stderr
    assert len(ledger.runs()) == 4


def test_export_csv_carries_last_metrics_tags_and_config_as_columns(cli, runs):
    rows = list(csv.DictReader(io.StringIO(cli("runs", "export", "--format", "csv").stdout)))
    assert [r["name"] for r in rows] == ["broken", "ann", "snn <b>"]
    snn = rows[2]
    assert float(snn["energy_j"]) == 102.0 and snn["provenance"] == "measured+estimated"
    assert snn["tags"] == "group=mnist;model=snn"
    assert float(snn["metrics.accuracy"]) == 0.97  # the last value, not the first
    assert float(snn[f"metrics.{LONG_METRIC}"]) == 2.5e-7
    assert (snn["tags.group"], snn["tags.model"]) == ("mnist", "snn")
    assert snn["metadata.config.epochs"] == "20" and snn["metadata.lr"] == "0.002"
    assert json.loads(snn["metadata.config.hidden"]) == [128]
    assert rows[0]["metrics.accuracy"] == "" and rows[0]["tags.note"] == "x"
    header = list(rows[0])
    assert header.index("tags") < header.index("metrics.accuracy") < header.index("tags.group")


def test_export_json_to_a_file(cli, runs, tmp_path):
    out = tmp_path / "runs.json"
    result = cli("runs", "export", "-f", "json", "-o", str(out), "--tag", "group=mnist")
    assert result.exit_code == 0
    data = json.loads(out.read_text())
    assert [d["id"] for d in data] == [runs[1], runs[0]]
    assert data[1]["report"]["schema"] == "greenspike.energy-report/1"
    assert data[1]["metrics"][-1] == {**data[1]["metrics"][-1], "name": LONG_METRIC}


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
        (("runs", "list", "--tag", "=x"), "--tag takes KEY=VALUE, got '=x'"),
        (("runs", "list", "--since", "yesterday"), "--since takes a date or time"),
        (("runs", "list", "--where", "accuracy>high"), "a metric condition is NAME OP NUMBER"),
        (("runs", "list", "--where", "accuracy"), "e.g. accuracy>=0.95; got 'accuracy'"),
        (("runs", "list", "--limit", "0"), "--limit must be >= 1, got 0"),
        (("runs", "export", "--format", "xml"), "unknown export format 'xml'; valid: csv, json"),
        (("runs", "report"), "no runs to report on"),
        (("runs", "report", "1", "-o", "/no/such/dir/r.html"), "no such folder: /no/such/dir"),
        (("runs", "list", "--ledger", "mysql://x/y"), "unsupported ledger URL"),
        (("runs", "compare", "1", "1"), "give two or more different run ids"),
        (("runs", "compare", "1", "99"), "no run 99 in the ledger"),
        (("runs", "delete", "--yes", "99"), "no run 99 in the ledger"),
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


@pytest.mark.parametrize("command", ["no-such-command-here", "/no/such/dir/tool", __file__])
def test_a_command_that_cannot_start_is_an_error_not_a_run(cli, ledger_url, command):
    result = cli("track", "--", command, "--flag")
    assert result.exit_code == 2
    assert f"Error: cannot run '{command}'" in result.stderr
    assert "nothing was measured" in result.stderr
    assert Ledger(ledger_url).runs() == []


def test_show_keeps_every_value_on_one_line_at_80_columns(cli, ledger_url, monkeypatch):
    command = "python train.py " + " ".join(f"--option-{i} value-{i}" for i in range(20))
    run_id = Ledger(ledger_url).start_run(
        name="long", start_unix_s=1.7e9, interval_s=1.0, command=command
    )
    monkeypatch.setenv("COLUMNS", "80")
    result = cli("runs", "show", str(run_id))
    (line,) = [line for line in lines_of(result.stdout) if line.startswith("command")]
    assert len(line) <= 80 and line.endswith("…") and "python train.py --option-0" in line
    assert json.loads(cli("runs", "show", str(run_id), "--json").stdout)["command"] == command


def test_a_fresh_install_lists_no_runs_and_creates_no_ledger(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("GREENSPIKE_LEDGER", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    listed = cli("runs", "list")
    assert listed.exit_code == 0 and "No runs yet" in listed.output
    assert json.loads(cli("runs", "list", "--json").output) == []
    jobs = cli("runs", "list", "--jobs")
    assert jobs.exit_code == 0 and "No runs yet" in jobs.output
    assert json.loads(cli("runs", "list", "--jobs", "--json").output) == []
    assert not (tmp_path / "data").exists()  # nothing created for a read
    typo = cli("runs", "list", "--ledger", str(tmp_path / "typo.db"))  # named: must exist
    assert typo.exit_code == 2 and "no ledger at" in typo.output
    assert not (tmp_path / "typo.db").exists()
