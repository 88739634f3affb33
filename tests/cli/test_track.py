"""`greenspike track`: runs a command, reports, exits with its status, passes signals on."""

from __future__ import annotations

import json
import select
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from greenspike.energy.measurement import EnergyReport


def report_at(path) -> EnergyReport:
    return EnergyReport.from_json(path.read_text())


def test_the_command_runs_and_its_report_is_written(cli, tmp_path):
    out = tmp_path / "run.json"
    result = cli(
        "track", "--country", "FRA", "--output", str(out), "--", sys.executable, "-c", "pass"
    )
    assert result.exit_code == 0, result.output
    report = report_at(out)
    assert report.status == "finished"
    assert report.name == f"{sys.executable} -c pass"
    assert report.carbon_intensity.region == "France (FRA)" and report.co2e_g is not None
    assert "Energy of" in result.stderr and "CO2e:" in result.stderr


def test_json_prints_the_final_report_to_stdout_after_the_command(cli, ledger_url):
    code = "print('from the command')"
    result = cli("track", "--json", "--intensity", "100", "--", sys.executable, "-c", code)
    assert result.exit_code == 0, result.output
    report = EnergyReport.from_json(result.stdout)
    assert report.status == "finished" and report.carbon_intensity.intensity_g_per_kwh == 100
    assert report.to_dict() == json.loads(result.stdout)
    assert "Energy of" not in result.stderr and "Kept in the ledger as run" in result.stderr


def test_the_exit_status_of_the_command_is_kept(cli, tmp_path):
    out = tmp_path / "run.json"
    code = "import sys; sys.exit(3)"
    result = cli("track", "-o", str(out), "--name", "exits", sys.executable, "-c", code)
    assert result.exit_code == 3
    report = report_at(out)
    assert (report.name, report.status) == ("exits", "failed")
    assert "the command exited with status 3" in report.notes


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "no command to run"),
        (("--",), "no command to run"),
        (("--interval", "-1", "--", "true"), "--interval must be > 0 s, got -1 s"),
        (("--country", "Atlantis", "--", "true"), "unknown country or region 'Atlantis'"),
        (("--pue", "0.5", "--", "true"), "PUE must be a finite number >= 1"),
        (("--output", "/no/such/dir/run.json", "--", "true"), "no such folder: /no/such/dir"),
        (("--", "no-such-command-here"), "cannot run 'no-such-command-here'"),
        (("--json", "run.json", "--", "true"), "--json is a flag: it prints the report to stdout"),
    ],
)
def test_bad_input_is_one_clear_error(cli, args, message):
    sigterm_handler = signal.getsignal(signal.SIGTERM)
    result = cli("track", *args)
    assert result.exit_code == 2
    assert "Error:" in result.stderr and message in result.stderr
    assert signal.getsignal(signal.SIGTERM) is sigterm_handler  # no handler left behind


CHILD = """
import signal, sys, time
if sys.argv[1] == "handles-sigterm":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(5))
print("ready", flush=True)
time.sleep(0 if sys.argv[1] == "ends" else 30)
"""


def track_in_a_real_process(tmp_path, mode: str, send: signal.Signals):
    """`python -m greenspike track -- python CHILD`; `send` goes to greenspike once the child
    runs. A new session: no terminal, so Ctrl-C could not have reached the child directly."""
    out = tmp_path / "run.json"
    command = [sys.executable, "-m", "greenspike", "track", "--interval", "0.05", "--output"]
    process = subprocess.Popen(
        [*command, str(out), "--", sys.executable, "-c", CHILD, mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stdout.readline() == "ready\n"
    process.send_signal(send)
    _, stderr = process.communicate(timeout=30)
    return process.returncode, report_at(out), stderr


def test_sigterm_reaches_the_command_and_its_exit_status_is_kept(tmp_path):
    returncode, report, stderr = track_in_a_real_process(
        tmp_path, "handles-sigterm", signal.SIGTERM
    )
    assert returncode == 5
    assert report.status == "interrupted" and report.duration_s > 0
    assert "greenspike received SIGTERM; the command exited with status 5" in report.notes
    assert "Energy of" in stderr and "interrupted" in stderr


def test_ctrl_c_reaches_the_command_and_the_report_is_still_written(tmp_path):
    returncode, report, _ = track_in_a_real_process(tmp_path, "default", signal.SIGINT)
    assert returncode == 128 + signal.SIGINT  # Python ends by SIGINT after KeyboardInterrupt
    assert report.status == "interrupted"
    assert "greenspike received SIGINT; the command was killed by SIGINT" in report.notes


def test_a_command_killed_by_a_signal_exits_like_a_shell_says(cli, tmp_path):
    out = tmp_path / "run.json"
    code = "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"
    result = cli("track", "--output", str(out), "--", sys.executable, "-c", code)
    assert result.exit_code == 128 + signal.SIGKILL
    report = report_at(out)
    assert report.status == "interrupted"
    assert "the command was killed by SIGKILL" in report.notes


def test_a_locked_ledger_never_delays_the_command(tmp_path, monkeypatch):
    from greenspike.ledger import Ledger

    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    Ledger(url).close()  # an existing ledger, which another process then holds locked
    monkeypatch.setenv("GREENSPIKE_LEDGER", url)
    lock = sqlite3.connect(tmp_path / "ledger.db", isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    process = subprocess.Popen(
        [sys.executable, "-m", "greenspike", "track", "--", sys.executable, "-c", CHILD, "ends"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:  # the command runs while the ledger is locked
        assert select.select([process.stdout], [], [], 30)[0], "the command did not start"
        assert process.stdout.readline() == "ready\n"
        time.sleep(0.5)
        assert process.poll() is None  # greenspike waits to keep the run
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    (run,) = Ledger(url).runs()
    assert run.status == "finished" and "Kept in the ledger as run" in stderr


def test_building_a_tracker_for_the_default_ledger_leaves_sqlalchemy_unloaded(ledger_url):
    code = (
        "import sys\n"
        "from greenspike.tracking import EnergyTracker\n"
        "EnergyTracker(interval_s=60)\n"
        "print('sqlalchemy' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_metrics_the_ledger_did_not_take_are_in_the_output_report(cli, tmp_path, monkeypatch):
    import greenspike.energy.tracker as tracker_module
    from greenspike.ledger.sink import LedgerSink

    def full_disk(self, metrics):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(LedgerSink, "log_metrics", full_disk)
    monkeypatch.setattr(tracker_module, "RETRY_S", 1e6)  # the disk stays full
    out = tmp_path / "report.json"
    epoch = "import os; open(os.environ['GREENSPIKE_EPOCHS_FILE'], 'a').write('{\"loss\": 0.5}\\n')"
    result = cli(
        "track", "--ledger", str(tmp_path / "ledger.db"), "--epochs", "1", "-o", str(out),
        "--", sys.executable, "-c", epoch,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert [(m["name"], m["value"], m["step"]) for m in data["unwritten_metrics"]] == [
        ("loss", 0.5, 0)
    ]
    assert report_at(out).unwritten_metrics[0].name == "loss"
