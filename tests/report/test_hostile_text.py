"""Issue 21 items 11 and 14: names, tags, paths and NIR node names are shown, never obeyed:
no terminal escape sequence reaches the terminal raw, no rich markup is interpreted, and no CSV
cell is a live spreadsheet formula."""

from __future__ import annotations

import csv
import io
import json
import sys

from greenspike.report._tables import printable

ESCAPE = "\x1b]0;pwned\x07\x1b[2J"


def test_printable_shows_control_characters_and_keeps_the_rest():
    assert printable(f"run {ESCAPE}é\tx\n") == "run \\x1b]0;pwned\\x07\\x1b[2Jé\tx\n"
    assert printable("\x9b31m") == "\\x9b31m"


def test_runs_list_and_show_never_print_an_escape_sequence(cli, ledger_url):
    name = f"evil{ESCAPE}[bold]x[/]"
    result = cli("track", "--name", name, "--tag", f"k={ESCAPE}", "--", "true")
    assert result.exit_code == 0, result.output
    assert "\x1b]0" not in result.stderr and "\x1b[2J" not in result.stderr
    listed = cli("runs", "list")
    shown = cli("runs", "show", "1")
    for output in (listed.stdout, shown.stdout):
        assert "\x1b" not in output and "\x07" not in output
        assert "\\x1b" in output
    assert "[bold]x[/]" in shown.stdout  # the markup is shown as typed


def test_markup_in_an_output_path_is_the_path_printed(cli, tmp_path, ledger_url):
    (tmp_path / "[bold]").mkdir()
    out = tmp_path / "[bold]" / "[red]r.json"
    result = cli("track", "-o", str(out), "--", "true")
    assert result.exit_code == 0, result.output
    assert out.exists()
    assert f"Report written to {out}" in result.stderr.replace("\n", "")


def test_csv_export_writes_formulas_as_text(cli, ledger_url):
    formula = '=HYPERLINK("http://evil","click")'
    result = cli(
        "track", "--name", formula, "--tag", "lr=-0.1", "--tag", "at=@SUM(A1)", "--",
        sys.executable, "-c", "pass",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    exported = cli("runs", "export", "--format", "csv")
    row = next(csv.DictReader(io.StringIO(exported.stdout)))
    assert row["name"] == "'" + formula
    assert row["tags.at"] == "'@SUM(A1)"
    assert row["tags.lr"] == "-0.1"  # a number stays a number
    as_json = json.loads(cli("runs", "export", "--format", "json").stdout)
    assert as_json[0]["name"] == formula  # JSON keeps the exact value
