"""PUE: given figures, provider averages, the stated default, and bad values."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from greenspike.energy.pue import known_pues, power_usage_effectiveness


def _shared_green_algorithms() -> Path | None:
    """../shared/data/green-algorithms from the checkout, wherever the checkout sits."""
    for parent in Path(__file__).parents:
        candidate = parent / "shared/data/green-algorithms"
        if candidate.exists():
            return candidate
    return None


SHARED = _shared_green_algorithms()


def test_no_pue_means_no_overhead_labelled_as_not_given():
    found = power_usage_effectiveness()
    assert (found.value, found.provider) == (1.0, None)
    assert found.source.startswith("not given: 1, no data-centre overhead counted")
    assert "Uptime Institute" in found.source and "2024" in found.source
    average = power_usage_effectiveness("unknown")  # the industry average, on request
    assert (average.value, average.provider) == (1.56, "unknown")


@pytest.mark.parametrize(("name", "value"), [("gcp", 1.12), ("AWS", 1.2), (" Azure ", 1.12)])
def test_provider_names_are_case_insensitive(name, value):
    found = power_usage_effectiveness(name)
    assert found.value == value
    assert found.provider == name.strip().lower()
    assert "Green Algorithms" in found.source


@given(st.floats(min_value=1, max_value=5, allow_nan=False))
def test_a_given_pue_is_kept_and_labelled(value):
    found = power_usage_effectiveness(value)
    assert (found.value, found.source, found.provider) == (value, "given by the user", None)


@pytest.mark.parametrize("bad", [0.99, 0.0, -1.2, math.nan, math.inf, True])
def test_pue_below_one_or_not_finite_is_rejected_naming_the_value(bad):
    with pytest.raises(ValueError, match=rf"PUE must be a finite number >= 1.*got {bad}"):
        power_usage_effectiveness(bad)


def test_unknown_provider_lists_the_known_ones():
    with pytest.raises(ValueError) as error:
        power_usage_effectiveness("hetzner")
    assert "unknown PUE provider 'hetzner'" in str(error.value)
    assert "gcp, aws, azure, ovhcloud, oracle" in str(error.value)


def test_every_bundled_pue_is_at_least_one_and_sourced():
    assert set(known_pues()) == {"unknown", "gcp", "aws", "azure", "ovhcloud", "oracle"}
    assert all(p.value >= 1 and "https://" in p.source for p in known_pues().values())


@pytest.mark.skipif(SHARED is None, reason="shared reference data not present")
def test_bundled_pues_are_green_algorithms_defaults():
    lines = (SHARED / "defaults_PUE.csv").read_text().splitlines()[1:]  # first line: "index,>1,"
    shared = {row["provider"].lower(): float(row["PUE"]) for row in csv.DictReader(lines)}
    assert {name: p.value for name, p in known_pues().items()} == shared
