"""The comparison's table and verdicts: what each row and line says, and digits that tell apart."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from greenspike._units import distinct_ratio, distinct_si
from greenspike.report.compare import compare_view, deployments_view, verdict_line
from greenspike.report.progress import duration, epoch_line, forecast_line
from greenspike.train import BreakEven, CompareConfig, EpochRecord, TrainingForecast, compare

QUICK = CompareConfig(epochs=2, limit=160, hidden=(16,), steps=3)


@pytest.fixture(scope="module")
def result():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield compare(QUICK, ledger=None)
    torch.set_num_threads(threads)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(1e-12, 1e3, allow_nan=False), min_size=1, max_size=5))
def test_different_energies_never_print_the_same(values):
    shown = distinct_si(values, "J")
    for a, b in itertools.pairwise(values):
        assert (shown[values.index(a)] == shown[values.index(b)]) == (a == b)
    ratios = distinct_ratio(values)
    assert len(set(ratios)) == len(set(values))


def test_a_small_difference_gets_the_digits_it_needs():
    assert distinct_si([1.121e-6, 1.1232e-6], "J") == ["1.121 µJ", "1.123 µJ"]
    assert distinct_si([1.12e-6, 1.12e-6, 5e-9], "J") == ["1.12 µJ", "1.12 µJ", "5 nJ"]
    assert distinct_ratio([1.002, 1.0]) == ["1.002x", "1x"]


def _with_energy(energy, joules):
    """`energy` (a one-part DeploymentEnergy) with its compute energy set so it totals `joules`."""
    (part,) = energy.estimate.parts
    estimate = part.estimate
    compute = joules - estimate.memory_j - estimate.neuron_j
    part = replace(part, estimate=replace(estimate, compute_j=compute))
    return replace(energy, estimate=replace(energy.estimate, parts=(part,)))


def test_verdict_line_states_ratio_accuracy_break_even_and_the_best_lever(result):
    verdict = next(v for v in result.verdicts if v.spiking.deployment.name == "cmos45-int8")
    line = verdict_line(verdict)
    assert line.startswith("cmos45-int8: the spiking twin costs ")
    assert f"at {verdict.accuracy_change:+.1f} points of accuracy" in line
    assert "break-even spike rate " in line and ", time steps " in line
    assert ("fewer time steps would move it most (1 step: " in line) == (
        verdict.levers.best == "time steps"
    )
    # a 0.2 % difference never reads as the same energy
    relu_j = verdict.relu.energy_j
    close = replace(verdict, spiking=_with_energy(verdict.spiking, relu_j * 1.002))
    line = verdict_line(close)
    assert "costs 1.002x the ReLU twin" in line
    shown = line.split("(")[1].split(")")[0].split(" vs ")
    assert shown[0] != shown[1]
    # above 100 %, the break-even rate is "always", as in results.json
    always = replace(verdict.levers, rate=BreakEven(3.368, "always"))
    line = verdict_line(replace(verdict, levers=always))
    assert "break-even spike rate always" in line and "336" not in line


def test_the_table_has_a_verdict_per_profile_and_the_break_even_rows(result):
    view = compare_view(result)
    assert view.header == ("", "relu", "spiking")
    assert len(view.verdicts) == len(QUICK.hardware)
    labels = [row[0] for section in view.sections for row in section]
    for row in ("  spiking / ReLU", "  break-even spike rate", "  break-even time steps"):
        assert labels.count(row) == len(QUICK.hardware)
    assert labels[:7] == ["role", "hidden", "time steps", "encoding", "beta / threshold",
                          "rate penalty", "learning rate"]  # fmt: skip
    rows = {row[0]: row[1:] for section in view.sections for row in section}
    assert rows["time steps"] == ("-", "3") and rows["beta / threshold"] == ("-", "0.9 / 1")
    energies = rows["energy on cmos45-fp32"]
    assert energies[0] != energies[1]
    pairings = deployments_view(result)
    assert len(pairings.sections[0]) == len(QUICK.deploy) == len(pairings.verdicts)
    assert pairings.verdicts[0].startswith("loihi+host=cmos7-int8 vs cmos7-int8: the spiking twin")


def test_progress_lines_and_the_forecast_say_how_to_make_it_shorter():
    record = EpochRecord("spiking", 2, 20, 0.4123, 0.881, 3.0)
    assert epoch_line(record) == (
        "spiking epoch 3/20: loss 0.4123, train accuracy 88.1%, 3 s, ETA 17 s"
    )
    assert [duration(s) for s in (0.5, 45, 150, 900, 7200)] == [
        "0.5 s", "45 s", "2.5 min", "15 min", "2 h",
    ]  # fmt: skip
    config = CompareConfig(dataset="mnist", model="cnn", epochs=20)
    quick = TrainingForecast({"relu": 10.0, "spiking": 60.0}, {"relu": 0.1, "spiking": 0.6}, 5, 20)
    assert forecast_line(quick, config) is None
    slow = TrainingForecast({"relu": 60.0, "spiking": 840.0}, {}, 125, 20)
    line = forecast_line(slow, config)
    assert line.startswith("This will take about 15 min of training on this machine")
    assert "relu 60 s, spiking 14 min" in line
    assert "--epochs 2" in line  # 20 epochs x 120 s / 900 s
    assert "--limit 1000" in line and "fewer --steps (now 8)" in line
