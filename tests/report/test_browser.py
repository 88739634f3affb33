"""The HTML report in a real browser: headless Debian chromium renders it, nothing injected runs.

Skipped where chromium is missing, except under CI=true. The screenshot is kept in
$GREENSPIKE_TEST_ARTIFACTS when set (else in the test's temporary folder)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from greenspike.ledger import Ledger
from greenspike.report import write_html_report

# Would retitle the page or mark the body if the name were ever parsed as HTML.
HOSTILE = (
    "<script>document.title='pwned'</script>"
    "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"
)


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed: apt-get install -y chromium")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    return found


def run_browser(profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def report_file(ledger_url, make_report, tmp_path) -> Path:
    ledger = Ledger(ledger_url)
    ids = []
    for name, accuracy in [(HOSTILE, 0.95), ("ann", 0.97)]:
        run_id = ledger.start_run(
            name=name, start_unix_s=1.7e9, interval_s=1.0, tags={"group": HOSTILE}
        )
        for t in range(4):
            ledger.record(run_id, make_report(name, "running", cpu_j=3.0 * t, duration_s=t))
        ledger.record(run_id, make_report(name, "finished", cpu_j=12.0 + len(ids)))
        ledger.log_metrics(run_id, {"accuracy": accuracy}, step=0)
        ids.append(run_id)
    return write_html_report(ledger, ids, tmp_path / "report.html")


def test_chromium_renders_the_report_with_nothing_injected(report_file, tmp_path):
    result = run_browser(tmp_path / "profile", "--dump-dom", report_file.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    assert '<table id="runs">' in dom
    assert len(re.findall(r"<tr>", dom.split('<table id="runs">')[1].split("</table>")[0])) == 3
    assert 'id="comparison-plot"' in dom
    assert "<script" not in dom and "<img src=x" not in dom
    assert re.search(r"<body[^>]*>", dom).group() == "<body>"  # no onerror ran
    assert "<title>Energy report: 2 runs</title>" in dom  # no script ran
    assert "&lt;script&gt;document.title=" in dom
    console = [line for line in result.stderr.splitlines() if "CONSOLE" in line]
    assert console == [], console


def test_chromium_takes_a_screenshot_of_it(report_file, tmp_path):
    shot = Path(os.environ.get("GREENSPIKE_TEST_ARTIFACTS", tmp_path)) / "report-screenshot.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    result = run_browser(
        tmp_path / "profile",
        "--window-size=1200,1600",
        f"--screenshot={shot}",
        report_file.as_uri(),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000  # not a blank page


@pytest.mark.slow
def test_chromium_shows_the_comparison_with_its_optimized_network(cli, tmp_path):
    out = tmp_path / "run"
    result = cli(
        "compare", "--epochs", "2", "--limit", "160", "--hidden", "16", "--steps", "3",
        "--out", str(out), "--optimize", "--trials", "3",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "Chosen: trial" in output and "the optimized network costs" in output
    written = json.loads((out / "results.json").read_text())
    assert list(written["networks"]) == ["relu", "spiking", "optimized"]
    assert len(written["optimization"]["trials"]) == 3
    report = out / "report.html"
    dom = run_browser(tmp_path / "profile", "--dump-dom", report.as_uri()).stdout
    verdicts = dom.split('id="verdicts">')[1].split("</ul>")[0]
    assert verdicts.count("<li>") == 2 * 3  # two spiking networks x three profiles
    assert "cmos45-int8: the optimized network costs" in verdicts
    table = dom.split('id="compare-table">')[1].split("</table>")[0]
    assert ">optimized</th>" in table and "break-even time steps" in table
    for chart in ("energy-chart", "levers-chart", "pairings-chart", "search-chart",
                  "curves-chart", "comparison-plot"):  # fmt: skip
        assert f'id="{chart}"' in dom, chart
    assert 'id="optimization"' in dom and "The search's own bill" in dom
    shot = Path(os.environ.get("GREENSPIKE_TEST_ARTIFACTS", tmp_path)) / "compare-screenshot.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    taken = run_browser(
        tmp_path / "profile", "--window-size=1280,4000", f"--screenshot={shot}", report.as_uri()
    )
    assert taken.returncode == 0, taken.stderr[-2000:]
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and shot.stat().st_size > 50_000
