"""Encoders: statistics of the rate code, exact latency and delta codes, range errors."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from greenspike.snn import encode


def test_rate_mean_converges_to_the_input():
    x = torch.tensor([[0.0, 0.05, 0.3], [0.5, 0.9, 1.0]])
    steps = 4000
    spikes = encode.rate(x, steps, generator=torch.Generator().manual_seed(0))
    assert spikes.shape == (steps, 2, 3)
    assert set(spikes.unique().tolist()) <= {0.0, 1.0}
    # Within 4.5 binomial standard deviations (a false failure about once in 10^5 seeds).
    tolerance = 4.5 * torch.sqrt(x * (1 - x) / steps)
    assert ((spikes.mean(0) - x).abs() <= tolerance).all()
    assert spikes[:, 0, 0].sum() == 0 and spikes[:, 1, 2].sum() == steps  # 0 and 1 are exact


def test_rate_is_reproducible_with_a_generator():
    x = torch.rand(5, 7)
    first = encode.rate(x, 10, generator=torch.Generator().manual_seed(3))
    second = encode.rate(x, 10, generator=torch.Generator().manual_seed(3))
    assert torch.equal(first, second)


@settings(max_examples=20, deadline=None)
@given(st.floats(0.0, 1.0), st.integers(0, 2**32 - 1))
def test_rate_mean_is_unbiased_for_any_probability(p, seed):
    spikes = encode.rate(torch.full((50,), p), 200, generator=torch.Generator().manual_seed(seed))
    assert abs(spikes.mean().item() - p) <= 4.5 * math.sqrt(p * (1 - p) / 10_000) + 1e-12


@pytest.mark.parametrize("encoder", [encode.rate, encode.latency])
def test_values_outside_the_unit_interval_are_an_error_naming_the_range(encoder):
    with pytest.raises(
        ValueError, match=r"expects values in \[0, 1\] .* got values from -0.5 to 2"
    ):
        encoder(torch.tensor([0.2, -0.5, 2.0]), 5)
    with pytest.raises(ValueError, match="input must be finite"):
        encoder(torch.tensor([0.2, float("nan")]), 5)
    with pytest.raises(ValueError, match="steps must be a positive integer, got 0"):
        encoder(torch.tensor([0.2]), 0)
    with pytest.raises(ValueError, match="floating-point tensor"):
        encoder(torch.tensor([1, 0]), 5)


def test_latency_linear_by_hand():
    x = torch.tensor([1.0, 0.5, 0.26, 0.0])
    spikes = encode.latency(x, 5)  # t = round((1 - x) * 4): 0, 2, 3, never
    assert spikes.shape == (5, 4)
    assert spikes.argmax(0)[:3].tolist() == [0, 2, 3]
    assert spikes.sum(0).tolist() == [1, 1, 1, 0]


def test_latency_log_by_hand():
    x = torch.tensor([1.0, 0.5, 0.1, 0.001])
    spikes = encode.latency(x, 10, mode="log", tau=3.0)
    # t = round(-3 ln x): 0, 2.08 -> 2, 6.9 -> 7, 20.7 -> beyond the last step: silent
    assert spikes.sum(0).tolist() == [1, 1, 1, 0]
    assert spikes.argmax(0)[:3].tolist() == [0, 2, 7]


def test_latency_log_default_tau_puts_one_percent_at_the_last_step():
    # t = round(19 ln x / ln 0.01): 0.0101 -> 18.96 -> 19; 0.008 -> 19.9 -> 20, past the end
    spikes = encode.latency(torch.tensor([0.0101, 0.008]), 20, mode="log")
    assert spikes.sum(0).tolist() == [1, 0]
    assert spikes[19, 0] == 1


def test_latency_rejects_unknown_modes_and_bad_tau():
    with pytest.raises(ValueError, match="mode must be 'linear' or 'log', got 'exp'"):
        encode.latency(torch.tensor([0.5]), 5, mode="exp")
    with pytest.raises(ValueError, match="tau must be a positive number of steps"):
        encode.latency(torch.tensor([0.5]), 5, mode="log", tau=-1.0)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=20), st.integers(1, 30))
def test_latency_spikes_at_most_once_and_larger_values_fire_no_later(values, steps):
    x = torch.tensor(values)
    spikes = encode.latency(x, steps)
    assert (spikes.sum(0) <= 1).all()
    assert torch.equal(spikes.sum(0), (x > 0).float())
    times = torch.where(spikes.sum(0) > 0, spikes.argmax(0), steps)
    order = x.argsort(descending=True)
    assert (times[order].diff() >= 0).all()


def test_delta_by_hand_signed_and_unsigned():
    x = torch.tensor([0.5, 0.7, 0.75, 0.4, 0.4, 0.65])
    # changes: -, +0.2, +0.05, -0.35, 0, +0.25 against threshold 0.1
    assert encode.delta(x, 0.1).tolist() == [0, 1, 0, -1, 0, 1]
    assert encode.delta(x, 0.1, signed=False).tolist() == [0, 1, 0, 1, 0, 1]


def test_delta_works_per_feature_and_checks_its_input():
    x = torch.tensor([[0.0, 1.0], [0.5, 1.0], [0.5, 0.0]])  # [T=3, 2 features]
    assert encode.delta(x, 0.2).tolist() == [[0, 0], [1, 0], [0, -1]]
    with pytest.raises(ValueError, match="threshold must be a positive number, got 0"):
        encode.delta(x, 0)
    with pytest.raises(ValueError, match="delta input must be finite"):
        encode.delta(torch.tensor([0.0, float("inf")]), 0.1)
