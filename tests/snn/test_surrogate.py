"""Surrogates: exact step forward, backward equal to the derivative of the smooth primitive."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from greenspike.snn import surrogate
from greenspike.snn.surrogate import heaviside

SURROGATES = [
    surrogate.atan(2.0),
    surrogate.atan(5.0),
    surrogate.fast_sigmoid(25.0),
    surrogate.fast_sigmoid(1.0),
    surrogate.sigmoid(4.0),
    surrogate.sigmoid(25.0),
    surrogate.triangle(1.0),
    surrogate.triangle(0.3),
    surrogate.straight_through(),
]


@pytest.mark.parametrize("spike", SURROGATES, ids=repr)
def test_forward_is_the_exact_heaviside_step(spike):
    x = torch.tensor([-2.0, -1e-7, 0.0, 1e-7, 3.0])
    assert spike(x).tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]
    assert torch.equal(heaviside(x), spike(x))


@pytest.mark.parametrize("spike", SURROGATES, ids=repr)
def test_backward_matches_finite_differences_of_the_smooth_primitive(spike):
    # The grid avoids x = 0 and |x| = width, where the triangle and fast-sigmoid derivatives
    # have kinks (central differences are off by O(h) there).
    x = torch.linspace(-1.7, 1.9, 37, dtype=torch.float64) + 0.013
    if isinstance(spike, surrogate.Triangle):
        x = x[(x.abs() - spike.width).abs() > 1e-3]
    x.requires_grad_(True)
    spike(x).backward(torch.ones_like(x))
    h = 1e-6
    with torch.no_grad():
        numeric = (spike.primitive(x + h) - spike.primitive(x - h)) / (2 * h)
    torch.testing.assert_close(x.grad, numeric, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("spike", SURROGATES, ids=repr)
def test_backward_scales_the_incoming_gradient(spike):
    x = torch.tensor([-0.3, 0.0, 0.2], requires_grad=True)
    upstream = torch.tensor([2.0, -1.0, 0.5])
    spike(x).backward(upstream)
    assert torch.allclose(x.grad, upstream * spike.derivative(x.detach()))


def test_documented_peaks_at_threshold():
    zero = torch.zeros(1)
    assert surrogate.atan(3.0).derivative(zero).item() == pytest.approx(1.5)
    assert surrogate.fast_sigmoid(10.0).derivative(zero).item() == pytest.approx(1.0)
    assert surrogate.sigmoid(4.0).derivative(zero).item() == pytest.approx(1.0)
    assert surrogate.triangle(0.5).derivative(zero).item() == pytest.approx(2.0)


@settings(max_examples=30, deadline=None)
@given(st.floats(0.05, 5.0))
def test_triangle_has_unit_area_and_support_width(width):
    spike = surrogate.triangle(width)
    x = torch.linspace(-2 * width, 2 * width, 4001, dtype=torch.float64)
    area = torch.trapezoid(spike.derivative(x), x).item()
    assert area == pytest.approx(1.0, abs=1e-4)
    assert spike.derivative(torch.tensor([1.0001 * width, -1.0001 * width])).abs().max() == 0


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (surrogate.atan, "alpha"),
        (surrogate.fast_sigmoid, "slope"),
        (surrogate.sigmoid, "alpha"),
        (surrogate.triangle, "width"),
    ],
)
@pytest.mark.parametrize("bad", [0.0, -1.0, math.inf, math.nan])
def test_non_positive_parameters_are_rejected(make, name, bad):
    with pytest.raises(ValueError, match=f"{name} must be a positive finite number, got"):
        make(bad)


def test_surrogates_are_immutable_and_comparable():
    assert surrogate.atan(2.0) == surrogate.ATan(alpha=2.0)
    with pytest.raises(AttributeError):
        surrogate.atan().alpha = 3.0
