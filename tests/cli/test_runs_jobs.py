"""`greenspike runs list --jobs`, `runs list --job ID`, `runs show --job ID`, `runs report --job
ID`: distributed jobs as wholes, each sensor counted once, missing ranks shown as missing; at 80
columns, and as JSON with --json."""

from __future__ import annotations

import html
import json
import re

import pytest

from greenspike.energy.carbon import CarbonIntensity
from greenspike.energy.measurement import ComponentEnergy, EnergyReport
from greenspike.ledger import Ledger


@pytest.fixture(autouse=True)
def terminal_of_80_columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")


def fits_80_columns(text: str) -> bool:
    return all(len(line.rstrip()) <= 80 for line in text.splitlines())


def components(rank: int):
    gpu = ComponentEnergy(
        f"gpu:{rank}", "measured", "energy counter", f"nvml:{rank}", energy_j=100.0
    )
    if rank:
        return (gpu,)
    package = ComponentEnergy(
        "cpu:package-0", "measured", "energy counter", "rapl:package-0", energy_j=900.0
    )
    return (package, gpu)


@pytest.fixture
def job(ledger_url):
    """Job "train-7": ranks 0 and 1 of 3 on one node; rank 2 never ran."""
    ledger = Ledger(ledger_url)
    for rank in (0, 1):
        run_id = ledger.start_run(
            name=f"rank {rank} <i>",
            start_unix_s=1.7e9 + rank,
            interval_s=1.0,
            rank=rank,
            world_size=3,
            local_rank=rank,
            job_id="train-7",
        )
        ledger.record(
            run_id,
            EnergyReport(
                name=f"rank {rank}",
                status="finished",
                start_unix_s=1.7e9 + rank,
                end_unix_s=1.7e9 + 60,
                duration_s=60.0 - rank,
                components=components(rank),
                carbon_intensity=CarbonIntensity(50.0, "given"),
            ),
        )
    ledger.start_run(name="alone", start_unix_s=1.7e9 + 100, interval_s=1.0)
    return "train-7"


def test_list_jobs_shows_one_line_per_job_with_its_missing_ranks(cli, job):
    result = cli("runs", "list", "--jobs")
    assert result.exit_code == 0, result.output
    [row] = [line for line in result.stdout.splitlines() if "train-7" in line]
    assert re.search(r"finished .* 2/3 +1 +1\.0 min +1\.1 kJ +0\.0153 g$", row), row
    assert "alone" not in result.stdout and fits_80_columns(result.stdout)
    [listed] = json.loads(cli("runs", "list", "--jobs", "--json").stdout)
    assert (listed["job_id"], listed["energy_j"], listed["missing_ranks"]) == (
        "train-7",
        1100.0,
        [2],
    )


def test_list_job_id_lists_the_runs_of_that_job_with_their_ranks(cli, job):
    result = cli("runs", "list", "--job", job)
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if "<i>" in line]
    assert [re.search(r" ([01])/3 ", row)[1] for row in rows] == ["1", "0"]  # newest first
    assert "alone" not in result.stdout and fits_80_columns(result.stdout)
    listed = json.loads(cli("runs", "list", "--job", job, "--json").stdout)
    assert [(run["rank"], run["job_id"]) for run in listed] == [(1, job), (0, job)]
    wide = cli("runs", "list", "--job", job, "--wide").stdout
    assert re.search(r"train-7 +machine", wide)


def test_show_job_adds_each_sensor_once_and_names_the_missing_rank(cli, job):
    result = cli("runs", "show", "--job", job)
    assert result.exit_code == 0, result.output
    assert "Job train-7: finished, 2 runs on 1 node, 1.0 min" in result.stdout
    assert re.search(r"job +total +1\.1 kJ += 0\.000306 kWh", result.stdout)
    assert "rank 0 (run 1)" in result.stdout and "rank 1 (run 2)" in result.stdout
    assert "missing: rank(s) 2 of 3 have no run in the ledger" in result.stdout
    assert fits_80_columns(result.stdout)
    shown = json.loads(cli("runs", "show", "--job", job, "--json").stdout)
    assert (shown["energy_j"], shown["ranks"], shown["missing_ranks"]) == (1100.0, [0, 1], [2])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("runs", "show"), "give a run id or --job ID (one of the two)"),
        (("runs", "show", "1", "--job", "x"), "give a run id or --job ID (one of the two)"),
        (("runs", "show", "--job", "nope"), "no job 'nope' in the ledger"),
        (("runs", "list", "--jobs", "--status", "failed"), "--jobs lists jobs, not runs: leave"),
        (("runs", "list", "--jobs", "--job", "x"), "leave out --job (or use --job ID"),
        (("runs", "report", "--job", "nope"), "no job 'nope' in the ledger"),
    ],
)
def test_bad_job_requests_are_one_clear_error(cli, job, args, message):
    result = cli(*args)
    assert result.exit_code == 2 and message in result.stderr, result.output


def test_the_html_report_shows_the_job_as_a_whole(cli, job, tmp_path):
    out = tmp_path / "job.html"
    result = cli("runs", "report", "--job", job, "-o", str(out))
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert "<title>Energy report: job train-7</title>" in page
    assert "Missing: rank(s) 2 have no run" in page
    assert "node total" in page and "1,100.0" in page
    assert 'id="run-1"' in page and 'id="run-2"' in page  # the job's runs follow
    assert html.escape("rank 0 <i>") in page and "rank 0 <i>" not in page


def test_the_html_report_shows_both_scopes_when_they_differ(cli, ledger_url, tmp_path):
    ledger = Ledger(ledger_url)
    run_id = ledger.start_run(name="shared", start_unix_s=1.7e9, interval_s=1.0)
    cpu = ComponentEnergy("cpu", "estimated", "tdp x utilisation", "tdp", energy_j=120.0)
    ledger.record(
        run_id,
        EnergyReport(
            name="shared",
            status="finished",
            start_unix_s=1.7e9,
            end_unix_s=1.7e9 + 5,
            duration_s=5.0,
            components=(cpu,),
            other_scope_energy_j=0.4,
        ),
    )
    out = tmp_path / "run.html"
    assert cli("runs", "report", str(run_id), "-o", str(out)).exit_code == 0
    page = out.read_text()
    assert "Scope machine: 120.0 J. In process scope" in page and "0.4 J" in page
