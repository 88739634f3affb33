"""`greenspike track --scope`, `--epochs` (the command tells its epochs through a file) and
`--energy-budget-kwh` (the command is stopped between two epochs)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from greenspike.energy.measurement import EnergyReport
from greenspike.ledger import Ledger

BURN = "while True: pass"


def cpu_j(report: EnergyReport) -> float:
    return sum(c.energy_j for c in report.components if c.name.startswith("cpu"))


@pytest.mark.slow
def test_process_scope_charges_only_the_command_on_a_busy_machine(greenspike_process, tmp_path):
    """`sleep` next to a process that keeps a CPU busy: the machine scope charges the busy CPU,
    the process scope what sleep used (about 0 J); each report has the other figure too."""
    busy = subprocess.Popen([sys.executable, "-c", BURN])  # not a child of greenspike
    try:
        reports = {}
        for scope in ("machine", "process"):
            out = tmp_path / f"{scope}.json"
            done = greenspike_process("track", "--scope", scope, "--output", str(out), "sleep", "2")
            assert done.returncode == 0, done.stderr
            reports[scope] = EnergyReport.from_json(out.read_text())
    finally:
        busy.kill()
        busy.wait()
    machine, process = reports["machine"], reports["process"]
    assert (machine.scope, process.scope) == ("machine", "process")
    assert cpu_j(machine) > 10.0  # a whole busy CPU for 2 s: about 12 W x 2 s here
    assert cpu_j(process) < 0.1  # sleep's own CPU time: a few milliseconds
    assert machine.other_scope_energy_j < 0.1 * machine.energy_j  # both figures, side by side
    assert process.other_scope_energy_j > 10.0 * max(process.energy_j, 1.0)
    assert machine.scopes_differ and process.scopes_differ


def test_a_bad_scope_is_one_clear_error(cli):
    result = cli("track", "--scope", "node", "--", "true")
    assert (
        result.exit_code == 2
        and "--scope must be 'machine' or 'process', got 'node'" in result.stderr
    )


EPOCHS = """
import sys, time
from greenspike.integrations import report_epoch
for epoch in range(int(sys.argv[1])):
    time.sleep(0.15)
    report_epoch(loss=1.0 / (epoch + 1), accuracy=0.5 + epoch / 10)
"""


def test_the_command_tells_its_epochs_and_gets_a_forecast(cli, tmp_path, ledger_url):
    out = tmp_path / "run.json"
    result = cli(
        "track",
        "--epochs",
        "4",
        "--country",
        "FRA",
        "--output",
        str(out),
        "--",
        sys.executable,
        "-c",
        EPOCHS,
        "4",
    )
    assert result.exit_code == 0, result.output
    report = EnergyReport.from_json(out.read_text())
    assert [w.name for w in report.windows] == ["epoch-0", "epoch-1", "epoch-2", "epoch-3"]
    assert all(w.status == "finished" for w in report.windows)
    forecast = report.forecast
    assert (forecast.total_epochs, forecast.epochs_done) == (4, 4)
    # made at the end of the last epoch: nothing left to forecast
    assert forecast.energy_low_j == forecast.energy_j == forecast.energy_high_j
    assert forecast.energy_j == forecast.so_far_energy_j <= report.energy_j
    assert result.stderr.count("Forecast: forecast for 4 epochs after 2") == 1  # printed once
    run = Ledger(ledger_url).runs()[0]
    losses = [(m.step, m.value) for m in run.metrics if m.name == "loss"]
    assert losses == [(0, 1.0), (1, 0.5), (2, pytest.approx(1 / 3)), (3, 0.25)]


def test_a_run_over_its_energy_budget_is_stopped_between_two_epochs(cli, tmp_path):
    out = tmp_path / "run.json"
    result = cli(
        "track",
        "--epochs",
        "50",
        "--energy-budget-kwh",
        "1e-12",
        "--output",
        str(out),
        "--",
        sys.executable,
        "-c",
        EPOCHS,
        "50",
    )
    assert result.exit_code == 143  # stopped by SIGTERM
    report = EnergyReport.from_json(out.read_text())
    assert report.status == "interrupted"
    assert any("stopped by its energy budget after 1 epochs" in n for n in report.notes)
    finished = [w for w in report.windows if w.status == "finished"]
    assert 1 <= len(finished) < 10  # stopped long before its 50 epochs
    assert "greenspike: stopped by its energy budget" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--energy-budget-kwh", "1", "--", "true"), "--energy-budget-kwh needs --epochs N"),
        (("--epochs-file", "e.txt", "--", "true"), "--epochs-file needs --epochs N"),
        (("--epochs", "0", "--", "true"), "--epochs must be an integer >= 1, got 0"),
        (("--epochs", "2", "--energy-budget-kwh", "-1", "--", "true"), "kWh > 0, got -1"),
        (("--epochs", "2", "--epochs-file", "/no/dir/e", "--", "true"), "no directory /no/dir"),
    ],
)
def test_bad_epoch_options_are_one_clear_error(cli, args, message):
    result = cli("track", *args)
    assert result.exit_code == 2 and message in result.stderr, result.output


def test_a_missing_command_is_refused_before_measuring_with_epochs_too(cli, ledger_url):
    result = cli("track", "--epochs", "2", "--", "no-such-command-here")
    assert result.exit_code == 2 and "nothing was measured" in result.stderr, result.output
    assert Ledger(ledger_url).runs() == []


def test_the_command_is_looked_up_on_the_path_it_runs_with(tmp_path, monkeypatch):
    from greenspike.energy._command import run_command
    from greenspike.errors import InvalidInputError
    from greenspike.tracking import EnergyTracker

    folder = tmp_path / "bin"
    folder.mkdir()
    tool = folder / "greenspike-test-tool"
    tool.write_text("#!/bin/sh\nexit 3\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    environment = {"PATH": f"{folder}:/usr/bin:/bin"}
    exit_code, report = run_command([tool.name], EnergyTracker(ledger=None), env=environment)
    assert (exit_code, report.status) == (3, "failed")
    with pytest.raises(InvalidInputError, match="no such command on PATH; nothing was measured"):
        run_command([tool.name], EnergyTracker(ledger=None))  # not on this process's PATH
    with pytest.raises(InvalidInputError, match="no such command on PATH"):
        run_command(["true"], EnergyTracker(ledger=None), env={"PATH": str(tmp_path)})


RANK_BURNS = """
import time
end = time.process_time() + 1.0
while time.process_time() < end:
    pass
"""


@pytest.mark.slow
def test_track_torchrun_is_one_run_with_its_ranks_as_children(tmp_path, ledger_url):
    """`greenspike track -- torchrun ...`: the launcher is the node's one run; in process scope
    its CPU time holds the ranks' (grandchildren)."""
    script = tmp_path / "burn.py"
    script.write_text(RANK_BURNS)
    out = tmp_path / "run.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "greenspike",
            "track",
            "--scope",
            "process",
            "--cpu-tdp-w",
            "40",
            "--job",
            "launch-1",
            "--output",
            str(out),
            "--",
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc-per-node",
            "2",
            str(script),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = EnergyReport.from_json(out.read_text())
    [run] = Ledger(ledger_url).runs()
    assert (run.job_id, run.rank, run.scope) == ("launch-1", None, "process")
    assert not report.placement.distributed
    cpu = report.energy_of("cpu")
    if cpu is None:
        pytest.skip("RAPL measures the CPU here: the estimate's TDP is not used")
    from greenspike.energy.meters.estimated import usable_cpus

    per_cpu_w = 40.0 / len(usable_cpus())
    assert cpu >= per_cpu_w * 2 * 1.0  # both ranks' second of CPU, and more (their start)
