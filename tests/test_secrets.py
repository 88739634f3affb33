"""Issue 21 item 6: a password in a URL on the command line is never stored or shown."""

from __future__ import annotations

import sys

from hypothesis import given
from hypothesis import strategies as st

from greenspike._secrets import hide_passwords
from greenspike.ledger import Ledger


def test_the_password_of_each_url_is_hidden():
    line = (
        "greenspike search --storage postgresql://me:p%40ss:w@db:5432/s "
        "--ledger postgresql+psycopg://u:x@h/l --out runs/a:b@c"
    )
    assert hide_passwords(line) == (
        "greenspike search --storage postgresql://me:***@db:5432/s "
        "--ledger postgresql+psycopg://u:***@h/l --out runs/a:b@c"
    )


@given(
    user=st.text("abcdefgh_", min_size=1, max_size=8),
    password=st.text(st.characters(blacklist_categories=["Z", "C"]), min_size=1, max_size=20),
)
def test_no_password_survives(user, password):
    shown = hide_passwords(f"run --ledger postgresql://{user}:{password}@host/db --seed 1")
    assert shown == f"run --ledger postgresql://{user}:***@host/db --seed 1"


def test_the_ledger_never_stores_a_password(tmp_path):
    with Ledger(tmp_path / "ledger.db") as ledger:
        run_id = ledger.start_run(
            name="psql postgresql://u:hunter2@h/db",
            command="greenspike compare --ledger postgresql://u:hunter2@h/db",
            start_unix_s=1.7e9,
            interval_s=1.0,
        )
        run = ledger.run(run_id)
    assert "hunter2" not in f"{run.name} {run.command}"
    assert run.command == "greenspike compare --ledger postgresql://u:***@h/db"


def test_track_keeps_no_password_in_the_run_or_its_report(cli, tmp_path, ledger_url):
    out = tmp_path / "run.json"
    argv = [sys.executable, "-c", "pass", "postgresql://u:hunter2@h/db"]
    result = cli("track", "-o", str(out), "--", *argv)
    assert result.exit_code == 0, result.output
    assert "hunter2" not in out.read_text()
    exported = cli("runs", "export", "--format", "json")
    assert exported.exit_code == 0 and "u:***@h/db" in exported.stdout
    assert "hunter2" not in exported.stdout
