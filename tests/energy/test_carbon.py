"""Carbon intensity lookup: bundled OWID figures, codes and names, explicit values, errors."""

from __future__ import annotations

import csv
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from greenspike.energy.carbon import OWID_SOURCE, carbon_intensity, known_intensities


def test_country_by_alpha3_alpha2_and_name_agree():
    by_alpha3 = carbon_intensity("FRA")
    assert carbon_intensity("fr") == by_alpha3
    assert carbon_intensity("France") == by_alpha3
    assert by_alpha3.region == "France (FRA)"
    assert by_alpha3.source == OWID_SOURCE
    assert by_alpha3.year >= 2023
    assert 10 < by_alpha3.intensity_g_per_kwh < 100  # French grid: nuclear and hydro


def test_bundled_table_is_the_latest_year_of_the_shared_owid_series(shared_data):
    latest: dict[str, tuple[int, float]] = {}
    owid = shared_data / "owid-carbon-intensity/carbon-intensity-electricity.csv"
    with open(owid, newline="") as f:
        for row in csv.DictReader(f):
            year, value = int(row["Year"]), float(row["Carbon intensity of electricity - gCO2/kWh"])
            if row["Code"] and year >= latest.get(row["Code"], (0, 0.0))[0]:
                latest[row["Code"]] = (year, value)
    for code in ("USA", "DEU", "IND", "CHN", "BRA", "NOR"):
        found = carbon_intensity(code)
        assert (found.year, found.intensity_g_per_kwh) == pytest.approx(latest[code], abs=0.01)


def test_world_and_eu_aggregates_are_available():
    assert 300 < carbon_intensity("WORLD").intensity_g_per_kwh < 600
    assert carbon_intensity("EU27").region == "European Union (27) (EU27)"


def test_no_country_and_no_figure_means_no_guess():
    assert carbon_intensity() is None


@given(st.floats(min_value=0, max_value=5000, allow_nan=False))
def test_explicit_intensity_is_kept_and_labelled(value):
    found = carbon_intensity(intensity_g_per_kwh=value)
    assert found.intensity_g_per_kwh == value
    assert found.source == "given by the user"
    assert found.region is None


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_invalid_explicit_intensity_is_rejected(bad):
    with pytest.raises(ValueError, match="carbon intensity must be a finite number >= 0"):
        carbon_intensity(intensity_g_per_kwh=bad)


def test_unknown_country_names_close_matches_and_how_to_list():
    with pytest.raises(ValueError) as error:
        carbon_intensity("Frnace")
    message = str(error.value)
    assert "unknown country 'Frnace'" in message
    assert "FRA (France)" in message
    assert "greenspike carbon" in message


def test_country_and_figure_together_are_ambiguous():
    with pytest.raises(ValueError, match="not both"):
        carbon_intensity("FRA", 50.0)


def test_every_bundled_row_is_usable():
    rows = known_intensities()
    assert len(rows) > 200
    assert all(r.intensity_g_per_kwh >= 0 and r.year >= 2000 and r.region for r in rows)


def test_cli_shows_one_country_with_its_source(cli):
    result = cli("carbon", "DE")
    assert result.exit_code == 0
    assert "Germany (DEU)" in result.output
    assert "Our World in Data" in result.output
    assert f"{carbon_intensity('DEU').intensity_g_per_kwh:.0f}" in result.output
