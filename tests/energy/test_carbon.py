"""Carbon intensity lookup: bundled OWID figures, codes and names, explicit values, errors."""

from __future__ import annotations

import csv
import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from greenspike.energy.carbon import (
    OWID_SOURCE,
    CarbonIntensity,
    carbon_intensity,
    find_place,
    known_intensities,
    known_places,
    suggestions,
)


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


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("Frnace", ["FRA"]),
        ("Califronia", ["US-CA"]),
        ("Untied States", ["USA"]),
        ("Germny", ["DEU"]),
        ("Virgina", ["US-VA"]),
        ("New York City", ["US-NY"]),
        ("nsw", ["AU-NSW"]),
        ("korea", ["PRK", "KOR"]),  # countries before cloud regions
        ("United", ["ARE", "GBR", "USA"]),  # names that start with it first
        ("us-east-7", ["aws:us-east-2", "aws:us-east-1"]),
    ],
)
def test_unknown_names_suggest_places_that_make_sense(typed, suggested):
    assert [p.code for p in suggestions(typed)][: len(suggested)] == suggested
    with pytest.raises(ValueError) as error:
        carbon_intensity(typed)
    message = str(error.value)
    first = find_place(suggested[0])
    shown = first.code if first.kind == "cloud" else f"{first.code} ({first.name})"
    assert message.startswith(f"unknown country or region {typed!r}; did you mean {shown}")
    assert "greenspike carbon lists them all" in message


def test_a_name_like_nothing_suggests_nothing_rather_than_nonsense():
    with pytest.raises(ValueError) as error:
        carbon_intensity("Atlantis")
    assert "did you mean" not in str(error.value)


@pytest.mark.parametrize(
    ("name", "code", "kind"),
    [
        ("California", "US-CA", "region"),
        ("us-ca", "US-CA", "region"),
        ("ontario", "CA-ON", "region"),
        ("Manitoba", "CA-MB", "region"),
        ("CA-MT", "CA-MB", "region"),  # Green Algorithms' code for Manitoba
        ("Mississippi", "US-MS", "region"),
        ("Washington DC", "US-DC", "region"),
        ("Victoria", "AU-VIC", "region"),
        ("new south wales", "AU-NSW", "region"),
        ("Georgia", "GEO", "country"),  # the country; the state is US-GA
        ("US-GA", "US-GA", "region"),
        ("UK", "GBR", "country"),
        ("Czech Republic", "CZE", "country"),
        ("Türkiye", "TUR", "country"),
        ("turkiye", "TUR", "country"),  # accents ignored
        ("Korea, Republic of", "KOR", "country"),
        ("us-east-1", "aws:us-east-1", "cloud"),
        ("AWS:US-EAST-1", "aws:us-east-1", "cloud"),
        ("europe-west1", "gcp:europe-west1", "cloud"),
        ("West Europe", "azure:westeurope", "cloud"),
        ("westeurope", "azure:westeurope", "cloud"),
    ],
)
def test_places_are_found_forgivingly(name, code, kind):
    place = find_place(name)
    assert (place.code, place.kind) == (code, kind)
    assert carbon_intensity(name) == place.intensity


def test_regions_carry_green_algorithms_figures_with_their_year_and_source(shared_data):
    california = find_place("California").intensity
    assert (california.intensity_g_per_kwh, california.year) == (216.43, 2020)
    assert california.region == "California, United States (US-CA)"
    assert california.source.startswith("Green Algorithms") and "CC BY 4.0" in california.source
    rows = list(csv.reader((shared_data / "green-algorithms/CI_aggregated.csv").open()))[2:]
    shared = {r[0]: float(r[4]) for r in rows if r[5] == "Region"}
    for place in known_places("region"):
        ga_code = next(c for c in place.names if c in shared)  # its code, or an alias
        assert place.intensity.intensity_g_per_kwh == shared[ga_code]
    assert {"US-CA", "US-TX", "CA-QC", "AU-VIC", "AU-WA1"} <= {
        p.code for p in known_places("region")
    }


def test_a_cloud_region_takes_the_figure_of_where_it_is():
    virginia = find_place("US-VA").intensity
    aws = find_place("us-east-1").intensity
    assert (aws.intensity_g_per_kwh, aws.year) == (virginia.intensity_g_per_kwh, virginia.year)
    assert aws.region == "aws us-east-1, in Virginia, United States (US-VA)"
    assert "docs.aws.amazon.com" in aws.source and aws.source.startswith(virginia.source)
    belgium = find_place("europe-west1").intensity  # a country: Our World in Data's figure
    assert belgium.intensity_g_per_kwh == carbon_intensity("BEL").intensity_g_per_kwh
    assert belgium.source.startswith(OWID_SOURCE)
    providers = {p.code.partition(":")[0] for p in known_places("cloud")}
    assert providers == {"aws", "gcp", "azure"}


def test_every_place_is_usable_and_every_name_finds_its_place():
    places = known_places()
    assert len(places) == len(known_places("country")) + len(known_places("region")) + len(
        known_places("cloud")
    )
    for place in places:
        assert place.intensity.intensity_g_per_kwh >= 0 and place.intensity.year >= 2000
        assert place.intensity.source and place.intensity.region
        found = find_place(place.code)
        assert found == place or (place.kind != "country" and found.kind == "country")
    with pytest.raises(ValueError, match="unknown kind of place 'planet'"):
        known_places("planet")


@given(st.sampled_from([p.code for p in known_places()]), st.sampled_from(["upper", "lower"]))
def test_codes_match_in_any_case_and_with_spaces_around(code, case):
    typed = f"  {getattr(code, case)()} "
    assert find_place(typed).code == find_place(code).code


def test_country_and_figure_together_are_ambiguous():
    with pytest.raises(ValueError, match="not both"):
        carbon_intensity("FRA", 50.0)


def test_every_bundled_row_is_usable():
    rows = known_intensities()
    assert len(rows) > 200
    assert all(r.intensity_g_per_kwh >= 0 and r.year >= 2000 and r.region for r in rows)


def test_cli_shows_one_place_with_its_full_source(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    result = cli("carbon", "DE")
    assert result.exit_code == 0
    assert "DEU: Germany (country)" in result.output
    assert f"{carbon_intensity('DEU').intensity_g_per_kwh:g} gCO2e/kWh" in result.output
    assert "Our World in Data" in " ".join(result.output.split())
    california = cli("carbon", "California").output
    assert "US-CA: California, United States (region)" in california
    assert "216.43 gCO2e/kWh in 2020" in california


def test_cli_lists_every_kind_readably_at_80_columns(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    result = cli("carbon")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert all(len(line.rstrip()) <= 80 for line in lines)
    for title in ("Countries:", "Regions:", "Cloud regions:"):
        assert any(line.startswith(title) for line in lines), title
    for code in ("FRA", "US-CA", "CA-ON", "aws:us-east-1", "gcp:europe-west1"):
        assert len([line for line in lines if line.startswith(f"{code} ")]) == 1  # one line
    regions = cli("carbon", "--kind", "region").output
    assert "US-CA " in regions and "FRA " not in regions and "aws:" not in regions


def test_cli_json_round_trips(cli):
    listed = json.loads(cli("carbon", "--json").output)
    assert [p["code"] for p in listed] == [p.code for p in known_places()]
    (one,) = json.loads(cli("carbon", "us-east-1", "--json").output)
    assert one == find_place("us-east-1").to_dict()
    assert (
        CarbonIntensity(**{k: one[k] for k in ("intensity_g_per_kwh", "source", "region", "year")})
        == find_place("us-east-1").intensity
    )
