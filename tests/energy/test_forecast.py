"""Forecasts of a whole run from its first epochs, checked against runs whose per-epoch energy
the test controls, and the energy budget that stops a run between two epochs."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from greenspike.energy._stats import t_cdf, t_quantile
from greenspike.energy.forecast import EpochSpan, Forecast, epoch_cycles, forecast_run
from greenspike.errors import EnergyBudgetExceeded, InvalidInputError
from greenspike.tracking import EnergyTracker

LONG = 1e6


@pytest.mark.parametrize(
    ("p", "dof", "expected"),  # Student's t tables (e.g. NIST/SEMATECH e-Handbook, 1.3.6.7.2)
    [(0.95, 1, 6.314), (0.95, 2, 2.920), (0.95, 10, 1.812), (0.975, 5, 2.571), (0.995, 3, 5.841)],
)
def test_t_quantiles_match_the_tables(p, dof, expected):
    assert t_quantile(p, dof) == pytest.approx(expected, abs=1e-3)
    assert t_cdf(t_quantile(p, dof), dof) == pytest.approx(p, abs=1e-10)
    assert t_quantile(1 - p, dof) == pytest.approx(-expected, abs=1e-3)


def spans(epoch_j, setup_j=0.0, gap_j=0.0, epoch_s=10.0, gap_s=0.0) -> list[EpochSpan]:
    """Epochs back to back after a setup, with `gap_j` spent between two epochs."""
    found, joules, seconds = [], setup_j, 5.0
    for energy in epoch_j:
        found.append(EpochSpan(seconds, seconds + epoch_s, joules, joules + energy))
        joules, seconds = joules + energy + gap_j, seconds + epoch_s + gap_s
    return found


def test_alike_epochs_give_an_exact_forecast_and_the_setup_is_kept():
    epochs = spans([100.0, 100.0, 100.0], setup_j=500.0)
    so_far = epochs[-1].end_j
    forecast = forecast_run(epochs, 10, so_far, 35.0, intensity_g_per_kwh=360.0, pue=1.5)
    assert forecast.energy_j == forecast.energy_low_j == forecast.energy_high_j == 1500.0
    assert forecast.duration_s == 35.0 + 7 * 10.0
    assert forecast.co2e_g == pytest.approx(1500 / 3.6e6 * 1.5 * 360)
    # carbontracker's total_epochs x mean epoch so far would say 10 x 266.7 = 2667 J
    assert (forecast.epochs_done, forecast.epochs_used, forecast.total_epochs) == (3, 3, 10)


def test_work_between_epochs_is_part_of_each_epochs_cycle():
    epochs = spans([100.0, 100.0], gap_j=20.0, gap_s=2.0)
    assert epoch_cycles(epochs) == [(120.0, 12.0), (120.0, 12.0)]
    forecast = forecast_run(epochs, 4, epochs[-1].end_j, 27.0)
    # two more epochs, each after a gap: 220 + (20 + 100) + (20 + 100)
    assert forecast.energy_j == epochs[-1].end_j + 2 * 120.0 == 460.0


def test_the_first_epoch_is_left_out_once_three_more_are_done():
    epochs = spans([400.0, 100.0, 100.0, 100.0])  # a warm-up epoch
    forecast = forecast_run(epochs, 10, epochs[-1].end_j, 45.0)
    assert forecast.epochs_used == 3
    assert forecast.energy_j == 700.0 + 6 * 100.0
    assert forecast_run(epochs[:3], 10, 600.0, 35.0).epochs_used == 3  # too few to leave one out


def test_the_interval_widens_with_the_spread_and_the_confidence():
    epochs = spans([90.0, 110.0, 95.0, 105.0, 100.0])
    narrow = forecast_run(epochs, 50, epochs[-1].end_j, 55.0, confidence=0.5)
    wide = forecast_run(epochs, 50, epochs[-1].end_j, 55.0, confidence=0.99)
    assert narrow.energy_j == wide.energy_j
    assert wide.energy_low_j < narrow.energy_low_j < narrow.energy_j < narrow.energy_high_j
    assert narrow.energy_high_j < wide.energy_high_j


def test_the_interval_covers_the_true_total_as_often_as_it_says():
    """1000 simulated runs with a setup, a warm-up epoch and noisy epochs: the 90 % interval
    after 5 of 40 epochs holds the true total in 86-94 % of them (binomial sd: 0.95 %)."""
    rng = random.Random(1)
    hits = 0
    runs = 1000
    for _ in range(runs):
        energies = [300.0] + [rng.gauss(100.0, 15.0) for _ in range(39)]
        epochs = spans(energies, setup_j=50.0)
        truth = epochs[-1].end_j
        forecast = forecast_run(epochs[:5], 40, epochs[4].end_j, 55.0, confidence=0.9)
        hits += forecast.energy_low_j <= truth <= forecast.energy_high_j
    assert 0.86 <= hits / runs <= 0.94


@given(
    st.lists(st.floats(1.0, 1e4), min_size=2, max_size=12),
    st.integers(0, 200),
    st.floats(0.0, 1e5),
)
def test_a_forecast_holds_what_was_measured_and_orders_its_interval(energies, more, setup_j):
    epochs = spans(energies, setup_j=setup_j)
    so_far = epochs[-1].end_j
    forecast = forecast_run(epochs, len(energies) + more, so_far, 1.0)
    assert so_far <= forecast.energy_low_j <= forecast.energy_j <= forecast.energy_high_j
    assert Forecast.from_dict(forecast.to_dict()) == forecast
    if more == 0:
        assert forecast.energy_j == forecast.energy_high_j == pytest.approx(so_far)


@pytest.mark.parametrize(
    ("epochs", "total", "message"),
    [
        (1, 10, "needs at least 2 finished epochs, 1 so far"),
        (3, 2, "total_epochs \\(2\\) is less than the 3 epochs already done"),
        (3, 0, "`total_epochs` must be an integer >= 1"),
    ],
)
def test_impossible_forecasts_are_refused(epochs, total, message):
    with pytest.raises(InvalidInputError, match=message):
        forecast_run(spans([1.0] * epochs), total, 3.0, 3.0)


def run_epochs(tracker, meter, energies, setup_j=0.0):
    meter.energy_j["cpu:package-0"] += setup_j
    for index, joules in enumerate(energies):
        with tracker.epoch(index):
            meter.energy_j["cpu:package-0"] += joules


def test_the_tracker_forecasts_at_each_epoch_end_from_the_energy_it_measured(fake_meter):
    with EnergyTracker([fake_meter], interval_s=LONG, total_epochs=6, ledger=None) as tracker:
        run_epochs(tracker, fake_meter, [30.0], setup_j=12.0)
        assert tracker.latest_forecast is None and tracker.epochs_done == 1
        run_epochs(tracker, fake_meter, [30.0, 30.0][1:])
        # windows named like epochs count too
        with tracker.window("epoch-2"):
            fake_meter.energy_j["cpu:package-0"] += 30.0
        forecast = tracker.latest_forecast
        assert forecast.energy_j == pytest.approx(12.0 + 6 * 30.0)
        assert forecast.energy_low_j == pytest.approx(forecast.energy_high_j)
        assert tracker.forecast(12).energy_j == pytest.approx(12.0 + 12 * 30.0)
    assert tracker.report.forecast.total_epochs == 12  # the latest one is kept in the report


def test_a_run_over_its_budget_stops_between_two_epochs(fake_meter):
    # 3.6e6 J = 1 kWh: epochs of 0.1 kWh, 20 of them, budget 1 kWh
    tracker = EnergyTracker(
        [fake_meter], interval_s=LONG, total_epochs=20, energy_budget_kwh=1.0, ledger=None
    )
    done = []
    over = pytest.raises(EnergyBudgetExceeded, match="over the budget of 1 kWh even at its low")
    with over, tracker:
        for index in range(20):
            with tracker.epoch(index):
                fake_meter.energy_j["cpu:package-0"] += 0.36e6
            done.append(index)
    assert done == [0]  # stopped at the end of epoch 1, which was not appended
    assert tracker.report.status == "interrupted"
    stopped = "stopped by its energy budget after 2 epochs"
    assert any(note.startswith(stopped) for note in tracker.report.notes)


def test_a_run_within_its_budget_is_not_stopped(fake_meter):
    with EnergyTracker(
        [fake_meter], interval_s=LONG, total_epochs=5, energy_budget_kwh=1.0, ledger=None
    ) as tracker:
        run_epochs(tracker, fake_meter, [0.1e6] * 5)
    assert tracker.report.status == "finished" and tracker.over_budget is None


def test_without_total_epochs_the_budget_stops_once_it_is_spent(fake_meter):
    tracker = EnergyTracker([fake_meter], interval_s=LONG, energy_budget_kwh=0.5, ledger=None)
    spent = pytest.raises(EnergyBudgetExceeded, match=r"1 kWh used, over the budget of 0\.5 kWh")
    with spent, tracker:
        run_epochs(tracker, fake_meter, [3.6e6, 1.0])
    assert tracker.epochs_done == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"total_epochs": 0}, "`total_epochs` must be an integer >= 1"),
        ({"energy_budget_kwh": -1}, "`energy_budget_kwh` must be a finite number of kWh > 0"),
        ({"energy_budget_kwh": float("inf")}, "`energy_budget_kwh` must be a finite"),
    ],
)
def test_bad_epoch_options_are_refused(options, message):
    with pytest.raises(InvalidInputError, match=message):
        EnergyTracker(ledger=None, **options)


def test_forecast_needs_a_running_tracker_and_a_total(fake_meter):
    tracker = EnergyTracker([fake_meter], interval_s=LONG, ledger=None)
    with pytest.raises(RuntimeError, match="not running"):
        tracker.forecast(3)
    with tracker, pytest.raises(InvalidInputError, match="needs `total_epochs`"):
        tracker.forecast()
