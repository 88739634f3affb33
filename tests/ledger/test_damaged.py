"""Issue 21 item 10: one damaged or newer-format row never hides the rest of the ledger: the
other runs are listed and exported, and the bad one is named with what is wrong with it."""

from __future__ import annotations

import json
import sqlite3

import pytest

from greenspike.errors import InvalidInputError
from greenspike.ledger import Ledger

DAMAGE = [
    ("UPDATE runs SET status = 'paused' WHERE id = 2", "unknown status 'paused'"),
    ("UPDATE runs SET report_json = '{\"future\": 1}' WHERE id = 2", "not a greenspike energy"),
    ("UPDATE runs SET energy_j = 'lots' WHERE id = 2", "energy_j is 'lots', not a number"),
    ("UPDATE runs SET metadata_json = '{not json' WHERE id = 2", "JSONDecodeError"),
    ("UPDATE runs SET start_unix_s = 'soon' WHERE id = 2", "start_unix_s is 'soon'"),
]


@pytest.fixture
def three_runs(tmp_path, make_report):
    path = tmp_path / "ledger.db"
    with Ledger(path) as ledger:
        for name in ("one", "two", "three"):
            run_id = ledger.start_run(name=name, start_unix_s=1.7e9, interval_s=1.0)
            ledger.record(run_id, make_report(status="finished"))
    return path


@pytest.mark.parametrize(("sql", "reason"), DAMAGE)
def test_the_other_runs_are_read_and_the_bad_one_is_named(three_runs, sql, reason):
    with sqlite3.connect(three_runs) as connection:
        connection.execute(sql)
    with Ledger(three_runs) as ledger:
        assert sorted(run.name for run in ledger.runs()) == ["one", "three"]
        assert [bad.id for bad in ledger.damaged] == [2]
        assert reason in ledger.damaged[0].reason
        with pytest.raises(InvalidInputError, match=f"run 2 .* cannot be read: .*{reason[:5]}"):
            ledger.run(2)


def test_runs_list_and_export_show_the_rest_and_name_the_bad_run(cli, three_runs):
    with sqlite3.connect(three_runs) as connection:
        connection.execute(DAMAGE[0][0])
    listed = cli("runs", "list", "--ledger", str(three_runs))
    assert listed.exit_code == 0, listed.output
    assert "one" in listed.stdout and "three" in listed.stdout
    assert "Run 2 cannot be read and is left out: ValueError: unknown status" in listed.stderr
    exported = cli("runs", "export", "--format", "json", "--ledger", str(three_runs))
    assert exported.exit_code == 0, exported.output
    assert [run["name"] for run in json.loads(exported.stdout)] == ["three", "one"]
