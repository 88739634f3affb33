"""Where the ledger is: explicit URL, $GREENSPIKE_LEDGER, or the user's data directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from greenspike.ledger import Ledger, default_ledger_path, ledger_url


def test_urls_paths_and_the_environment(monkeypatch, tmp_path):
    assert ledger_url(tmp_path / "a.db") == f"sqlite:///{tmp_path / 'a.db'}"
    assert ledger_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert ledger_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert ledger_url("sqlite:///x.db") == "sqlite:///x.db"
    monkeypatch.setenv("GREENSPIKE_LEDGER", str(tmp_path / "env.db"))
    assert ledger_url() == f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.delenv("GREENSPIKE_LEDGER")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert default_ledger_path() == tmp_path / ".greenspike" / "ledger.db"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert ledger_url() == f"sqlite:///{tmp_path / 'xdg' / 'greenspike' / 'ledger.db'}"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u@h/db", "unsupported ledger URL 'mysql://u@h/db'; valid: a file path"),
        ("  ", "empty ledger URL"),
        ("sqlite://", "the ledger must be a file"),
        ("/no/such/dir/ledger.db", "no directory /no/such/dir"),
    ],
)
def test_bad_locations_are_clear_errors(url, message):
    with pytest.raises(ValueError, match=message):
        Ledger(url)


def test_the_default_ledger_is_made_in_the_user_data_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("GREENSPIKE_LEDGER")
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with Ledger() as ledger:
        ledger.start_run(name="x", start_unix_s=1.0, interval_s=1.0)
    assert (tmp_path / ".greenspike" / "ledger.db").is_file()


def test_tests_keep_their_runs_in_a_temporary_ledger(ledger_url):
    path = Path(ledger_url.removeprefix("sqlite:///"))
    assert ledger_url.startswith("sqlite:///") and not path.is_relative_to(Path.home())


def test_the_ledger_and_report_import_without_torch_and_the_cli_without_sqlalchemy():
    import subprocess
    import sys

    code = (
        "import sys, greenspike.cli, greenspike.energy; heavy = 'sqlalchemy' in sys.modules; "
        "import greenspike as gs, greenspike.report; gs.Ledger; "
        "print(heavy, 'torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]


def test_a_password_is_never_shown(tmp_path):
    from greenspike.ledger._engine import connect

    engine = connect("postgresql://me:s3cret@db.example/ledger")
    assert "s3cret" not in engine.url.render_as_string(hide_password=True)
    with Ledger(tmp_path / "l.db") as ledger:
        assert ledger.where == f"sqlite:///{tmp_path / 'l.db'}" and repr(ledger).startswith(
            "Ledger("
        )
