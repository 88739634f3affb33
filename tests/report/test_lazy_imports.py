"""`greenspike track` prints a terminal table: that must not import the HTML report's stack."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_the_terminal_report_imports_neither_matplotlib_nor_jinja2_nor_sqlalchemy():
    code = (
        "import sys, greenspike.report.terminal; "
        "print(sorted(m for m in ('matplotlib', 'jinja2', 'sqlalchemy') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_package_still_offers_its_names_and_refuses_others():
    import greenspike.report as report
    from greenspike.report.html import write_html_report

    assert report.write_html_report is write_html_report
    assert set(report.__all__) <= set(dir(report)) | set(report._HOME)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = report.nothing
