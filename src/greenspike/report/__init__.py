"""Showing runs: terminal tables, CSV/JSON export, and a self-contained HTML report.

from greenspike.report import write_html_report
write_html_report(ledger, [3, 4], "report.html")      # what `greenspike compare` reuses

The names below are imported when first used, so that a terminal table
(`greenspike.report.terminal`, which `greenspike track` prints) does not import matplotlib,
jinja2 and SQLAlchemy for the HTML report it does not write.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from greenspike._lazy import lazy_names

if TYPE_CHECKING:
    from greenspike.report.export import runs_to_csv, runs_to_json
    from greenspike.report.html import render_html_report, write_html_report

__all__ = ["render_html_report", "runs_to_csv", "runs_to_json", "write_html_report"]

_HOME = {
    "render_html_report": "greenspike.report.html",
    "write_html_report": "greenspike.report.html",
    "runs_to_csv": "greenspike.report.export",
    "runs_to_json": "greenspike.report.export",
}

__getattr__ = lazy_names(__name__, _HOME)
