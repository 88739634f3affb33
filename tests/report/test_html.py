"""The HTML report: self-contained, escaped, measured and estimated marked apart."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greenspike.energy.measurement import ComponentEnergy, WindowReport
from greenspike.ledger import Ledger, Sample
from greenspike.report import render_html_report, runs_to_csv, runs_to_json, write_html_report

INJECTION = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def window(name: str, cpu_j: float) -> WindowReport:
    return WindowReport(
        name,
        "finished",
        1.7e9,
        1.7e9 + 1,
        1.0,
        (
            ComponentEnergy(
                "cpu:package-0", "measured", "energy counter", "rapl:package-0", energy_j=cpu_j
            ),
        ),
    )


@pytest.fixture
def ledger(ledger_url, make_report):
    ledger = Ledger(ledger_url)
    for i, name in enumerate([INJECTION, "ann $x$"]):
        run_id = ledger.start_run(
            name=name, start_unix_s=1.7e9, interval_s=1.0, tags={"group": INJECTION}
        )
        for t in range(3):
            ledger.record(
                run_id, make_report(name, "running", cpu_j=t, ram_j=t / 10, duration_s=float(t))
            )
        windows = (window("epoch-0", 4.0), window("epoch-1", 5.0))
        ledger.record(run_id, make_report(name, "finished", cpu_j=10.0 + i, windows=windows))
        ledger.log_metrics(run_id, {"accuracy": 0.9 + i / 100, INJECTION: 1.0}, step=0)
    return ledger


def test_the_report_is_self_contained_and_escaped(ledger, tmp_path):
    path = write_html_report(ledger, [1, 2], tmp_path / "r.html")
    html = path.read_text()
    assert "<script" not in html and "onerror=alert(1)>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing fetched
    assert html.count('src="data:image/png;base64,') == 5  # comparison + 2 x (time, windows)
    assert 'id="comparison-plot"' in html
    assert '<td class="num measured">10.0</td>' in html  # measured and estimated apart
    assert '<td class="num estimated">2.0</td>' in html
    assert "rapl:package-0" in html and "memory-model: 0.37 W/GB x 2 GB" in html
    assert "epoch-1" in html and "accuracy" in html


def test_one_run_has_no_comparison_plot(ledger):
    html = render_html_report([ledger.run(1)], {1: ledger.samples(1)})
    assert 'id="comparison-plot"' not in html and "Energy report: run 1" in html


def test_no_runs_or_unknown_runs_are_clear_errors(ledger, tmp_path):
    with pytest.raises(ValueError, match="no runs to report on"):
        render_html_report([])
    with pytest.raises(ValueError, match="no run 7 in the ledger"):
        write_html_report(ledger, [1, 7], tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


def test_a_stale_run_says_so(ledger_url, make_report):
    ledger = Ledger(ledger_url)
    run_id = ledger.start_run(name="killed", start_unix_s=1.7e9, interval_s=1.0)
    ledger.record(run_id, make_report("killed", "running"))
    with ledger.engine.begin() as connection:  # as if written by a process that is gone
        connection.exec_driver_sql("UPDATE runs SET pid_created_unix_s = 1.0")
    html = render_html_report([ledger.run(run_id)], {})
    assert "running (stale)" in html and "The process is gone" in html


@settings(max_examples=30, deadline=None)
@given(
    name=st.text(max_size=40) | st.text("<>&\"'/= scriptimgab", max_size=40),
    tag=st.text("<>&\"'/= scriptb", min_size=1, max_size=20).filter(str.strip),
)
def test_no_name_or_tag_can_add_markup(make_report, name, tag):
    from greenspike.ledger.records import RunRecord

    report = make_report(name)
    run = RunRecord(
        id=1,
        name=name,
        command=name,
        host="h",
        pid=1,
        rank=None,
        world_size=None,
        status="finished",
        stale=False,
        start_unix_s=1.7e9,
        end_unix_s=1.7e9 + 5,
        updated_unix_s=1.7e9,
        duration_s=5.0,
        energy_j=report.energy_j,
        measured_energy_j=report.measured_energy_j,
        estimated_energy_j=report.estimated_energy_j,
        co2e_g=None,
        pue=1.0,
        intensity_g_per_kwh=None,
        intensity_source=None,
        greenspike_version="0",
        components=report.components,
        tags={tag: name},
        report=report,
    )
    html = render_html_report([run], {1: [Sample(0.0, "ram", 0.0)]})
    tags = re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", html)
    assert set(tags) <= {
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "h1",
        "h2",
        "h3",
        "p",
        "span",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "a",
        "code",
        "section",
        "ul",
        "li",
        "footer",
        "img",
    }
    assert tags.count("section") == 1


def test_csv_and_json_exports(ledger):
    runs = ledger.runs()
    lines = runs_to_csv(runs).splitlines()
    assert lines[0].startswith("id,name,status") and len(lines) == 3
    assert '"ann $x$"' in runs_to_json(runs)
