"""Everyday equivalents of CO2e: factors with sources and years, and the division."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from greenspike.energy.equivalents import equivalence_factors, equivalents


def test_the_three_factors_with_their_published_values_sources_and_years():
    factors = {f.name: f for f in equivalence_factors()}
    car = factors["km driven by an average passenger car"]
    flight = factors["passengers flying New York-San Francisco round trip"]
    phone = factors["smartphone charges"]
    # EPA-420-F-18-008: 404 g CO2 per mile; 1 mile = 1.609344 km.
    assert car.co2e_kg_per_unit == pytest.approx(0.404 / 1.609344, abs=0.0005)
    assert (car.year, "EPA-420-F-18-008" in car.source) == (2018, True)
    # Strubell et al. 2019, Table 1: 1,984 lbs; 1 lb = 0.45359237 kg.
    assert flight.co2e_kg_per_unit == pytest.approx(1984 * 0.45359237, abs=0.05)
    assert (flight.year, "ACL 2019" in flight.source) == (2019, True)
    # EPA calculator: 8.22e-6 metric tons CO2 per smartphone charged.
    assert phone.co2e_kg_per_unit == pytest.approx(8.22e-3)
    assert "Greenhouse Gas Equivalencies Calculator" in phone.source


def test_one_flight_is_one_flight():
    flight = next(e for e in equivalents(899.9) if e.unit == "passenger round trips")
    assert flight.amount == pytest.approx(1.0)


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False))
def test_amount_times_factor_gives_back_the_co2e(co2e_kg):
    found = equivalents(co2e_kg)
    assert len(found) == len(equivalence_factors())
    for e in found:
        assert e.amount * e.co2e_kg_per_unit == pytest.approx(co2e_kg)
        assert e.source and e.year >= 2018


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_negative_or_not_finite_co2e_is_rejected(bad):
    with pytest.raises(ValueError, match="CO2e must be a finite number >= 0 kg"):
        equivalents(bad)
