"""Showing runs: terminal tables, CSV/JSON export, and a self-contained HTML report.

from greenspike.report import write_html_report
write_html_report(ledger, [3, 4], "report.html")      # what `greenspike compare` reuses
"""

from greenspike.report.export import runs_to_csv, runs_to_json
from greenspike.report.html import render_html_report, write_html_report

__all__ = ["render_html_report", "runs_to_csv", "runs_to_json", "write_html_report"]
