"""`greenspike compare` on the command line: progress lines, the forecast, the spiking knobs."""

from __future__ import annotations

import json
import sys

import pytest

import greenspike.report.progress

SLICE = ("--epochs", "2", "--limit", "128", "--hidden", "16", "--steps", "3", "--no-ledger")


def test_progress_and_verdicts_are_printed_when_piped(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules["greenspike.cli.compare"], "BATCH_LINE_S", 0.0)
    monkeypatch.setattr(greenspike.report.progress, "LONG_S", 0.0)  # every run is long
    monkeypatch.setattr(greenspike.report.progress, "SHORT_S", 0.0)
    result = cli("compare", *SLICE, "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    forecast = next(i for i, line in enumerate(lines) if line.startswith("This will take about"))
    first_epoch = next(i for i, line in enumerate(lines) if line.startswith("relu epoch 1/2:"))
    assert forecast < first_epoch  # the warning comes before any training
    assert "To make it shorter: --epochs 1" in " ".join(result.output.split())
    for network in ("relu", "spiking"):
        assert any(line.startswith(f"{network} epoch 2/2: loss ") for line in lines)
        assert any(line.startswith(f"{network} epoch 1/2, batch 1/2: loss ") for line in lines)
    output = " ".join(result.output.split())
    assert "cmos45-fp32: the spiking twin costs " in output
    assert "break-even time steps" in output


def test_spiking_knobs_reach_the_spiking_twin(cli, tmp_path):
    result = cli(
        "compare", *SLICE, "--out", str(tmp_path), "--beta", "0.8", "--threshold", "0.5",
        "--lr", "0.01", "--learn-threshold", "--rate-penalty", "1.5", "--target-rate", "0.05",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "results.json").read_text())
    spec = written["networks"]["spiking"]["spec"]
    assert (spec["beta"], spec["threshold"], spec["lr"]) == (0.8, 0.5, 0.01)
    assert (spec["learn_beta"], spec["learn_threshold"]) == (False, True)
    assert (spec["rate_penalty"], spec["target_rate"]) == (1.5, 0.05)
    assert written["networks"]["relu"]["spec"]["lr"] == 0.01  # the same for both twins
    assert written["config"]["rate_penalty"] == 1.5
    assert "0.8 / 0.5 learned" in result.output and "1.5 above 0.05" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--beta", "1.5"], "--beta (decay per step) must be in (0, 1]"),
        (["--threshold", "0"], "--threshold must be a number > 0"),
        (["--target-rate", "0.1"], "needs the weight of its penalty: give --rate-penalty > 0"),
        (["--rate-penalty", "-1"], "rate penalty weight must be a number >= 0"),
        (["--optimize", "--target", "loihi"], "has no figure for multiply-accumulates"),
        (["--optimize", "--max-drop", "-2"], "--max-drop must be accuracy points"),
        (["--optimize", "--trials", "0"], "--trials must be an integer >= 1"),
    ],
)
def test_bad_knobs_exit_2_before_training(cli, tmp_path, args, message):
    result = cli("compare", "--out", str(tmp_path), *args)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert "epoch" not in result.output


def test_ctrl_c_during_the_search_keeps_the_twins(cli, tmp_path, monkeypatch):
    import greenspike.search  # noqa: F401  (the module `optimize` is shadowed by its function)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sys.modules["greenspike.search.optimization"], "reference_run", interrupted)
    result = cli("compare", *SLICE, "--out", str(tmp_path), "--optimize", "--trials", "2")
    assert result.exit_code == 130, result.output
    assert "Interrupted" in result.output
    written = json.loads((tmp_path / "results.json").read_text())
    assert written["status"] == "interrupted"
    assert [n["status"] for n in written["networks"].values()] == ["finished", "finished"]


def test_compare_and_its_report_need_no_optuna(tmp_path):
    """`make demo` installs greenspike without the `search` extra: compare must not import it."""
    import subprocess

    out = tmp_path / "out"
    run = (
        "import sys; sys.modules['optuna'] = None\n"  # as if it were not installed
        "from greenspike.cli import main\n"
        f"sys.argv = ['greenspike', 'compare', '--epochs', '1', '--limit', '100', '--ledger', "
        f"{str(tmp_path / 'ledger.db')!r}, '--out', {str(out)!r}]\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", run], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (out / "results.json").is_file() and (out / "report.html").is_file()
    optimize = run.replace("'--epochs', '1'", "'--epochs', '1', '--optimize'")
    refused = subprocess.run([sys.executable, "-c", optimize], capture_output=True, text=True)
    assert refused.returncode == 2 and "--optimize needs Optuna" in refused.stderr
