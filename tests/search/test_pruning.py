"""The median rule that prunes trials of (multi-objective) studies, and how workers share
trials."""

from __future__ import annotations

import statistics

import optuna
import pytest
from hypothesis import given
from hypothesis import strategies as st

from greenspike.search import MedianRule

accuracy = st.floats(0, 1)
curves = st.lists(st.lists(accuracy, min_size=1, max_size=5), max_size=8)


def test_optuna_refuses_to_report_in_multi_objective_studies():
    """Why the rule exists: if Optuna ever accepts this, its own pruners could be used."""
    study = optuna.create_study(directions=["maximize", "minimize"])
    with pytest.raises(NotImplementedError, match="multi-objective"):
        study.ask().report(0.5, 0)


@given(curves, st.integers(0, 4), accuracy, st.integers(0, 4))
def test_prunes_exactly_below_the_median_of_enough_trials(others, epoch, value, startup):
    rule = MedianRule(startup_trials=startup)
    reached = [curve[epoch] for curve in others if len(curve) > epoch]
    expected = len(reached) >= max(startup, 1) and value < statistics.median(reached)
    assert rule.should_prune(epoch, value, others) is expected


@given(curves, st.integers(0, 4))
def test_never_prunes_the_best_so_far(others, epoch):
    best = max([curve[epoch] for curve in others if len(curve) > epoch], default=0.0)
    assert not MedianRule(startup_trials=0).should_prune(epoch, best, others)


def test_warmup_epochs_are_never_pruned():
    rule = MedianRule(startup_trials=1, warmup_epochs=2)
    others = [[0.9, 0.9, 0.9]]
    assert not rule.should_prune(1, 0.1, others)
    assert rule.should_prune(2, 0.1, others)


@pytest.mark.parametrize("field", ["startup_trials", "warmup_epochs"])
def test_bad_settings_are_value_errors(field):
    with pytest.raises(ValueError, match=f"{field} must be an integer >= 0, got -1"):
        MedianRule(**{field: -1})


@given(st.integers(0, 1000), st.integers(1, 64))
def test_workers_share_the_remaining_trials_exactly_and_evenly(remaining, workers):
    from greenspike.search._study import shares

    counts = shares(remaining, workers)
    assert len(counts) == workers and sum(counts) == remaining
    assert max(counts) - min(counts) <= 1
