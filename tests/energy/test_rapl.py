"""RAPL through fake powercap trees: zones, double counting, wraps, permissions, hot-plug."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greenspike.energy.meters import rapl
from greenspike.energy.meters.rapl import RaplMeter, counter_delta_uj


def started(powercap) -> RaplMeter:
    meter = RaplMeter(powercap.root)
    meter.start()
    return meter


def test_one_component_per_package_and_dram_zone(powercap):
    meter = started(powercap.server(packages=2))
    sources = {c.name: c.source for c in meter.components()}
    assert sources == {
        "cpu:package-0": "rapl:package-0 (intel-rapl:0)",
        "cpu:package-1": "rapl:package-1 (intel-rapl:1)",
        "dram:0": "rapl:dram (intel-rapl:0:2)",
        "dram:1": "rapl:dram (intel-rapl:1:2)",
    }
    assert all(c.provenance == "measured" and c.label == "measured" for c in meter.components())
    assert meter.missing() == ()
    assert meter.unavailable() is None


def test_sub_zones_psys_and_mmio_are_not_counted_again(powercap):
    meter = started(powercap.server(packages=1))
    powercap.add("intel-rapl:0", 10.0)
    powercap.add("intel-rapl:0:0", 6.0)  # core: part of the package's 10 J
    powercap.add("intel-rapl:0:1", 1.0)  # uncore: part of it too
    powercap.add("intel-rapl:0:2", 2.5)  # DRAM: outside the package
    powercap.add("intel-rapl:1", 20.0)  # psys: the whole platform, package included
    powercap.add("intel-rapl-mmio:0", 10.0)  # package-0 again, through MMIO
    assert meter.read() == {"cpu:package-0": 10.0, "dram:0": 2.5}


def test_a_wrap_during_the_run_is_counted(powercap):
    powercap.zone("intel-rapl:0", "package-0", energy_uj=990_000_000, max_range_uj=1_000_000_000)
    meter = started(powercap)
    powercap.add("intel-rapl:0", 5.0)  # 995 J on the counter
    assert meter.read() == {"cpu:package-0": 5.0}
    powercap.add("intel-rapl:0", 15.0)  # passes 1000 J: reads 10 J
    assert meter.read() == {"cpu:package-0": 20.0}


def test_many_wraps_over_a_long_run_are_all_counted(powercap):
    powercap.zone("intel-rapl:0", "package-0", energy_uj=0, max_range_uj=1_000_000)
    meter = started(powercap)
    for _ in range(250):  # 0.7 J per poll: the 1 J counter wraps 175 times
        powercap.add("intel-rapl:0", 0.7)
        meter.read()
    assert meter.read()["cpu:package-0"] == pytest.approx(175.0)


@given(
    max_range_uj=st.integers(1_000, 2**40),
    start=st.floats(0, 1, exclude_max=True),
    steps=st.lists(st.floats(0, 1, exclude_max=True), max_size=50),
)
def test_counter_delta_recovers_every_increment_below_the_range(max_range_uj, start, steps):
    counter = int(start * max_range_uj)
    total = counted = 0
    for fraction in steps:
        increment = int(fraction * max_range_uj)  # less than one wrap between polls
        now = (counter + increment) % max_range_uj
        counted += counter_delta_uj(counter, now, max_range_uj)
        total, counter = total + increment, now
    assert counted == total


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps_j=st.lists(st.floats(0, 0.999), min_size=1, max_size=20))
def test_meter_total_equals_the_energy_counted_in(tmp_path_factory, powercap_class, steps_j):
    powercap = powercap_class(tmp_path_factory.mktemp("powercap"))
    powercap.zone("intel-rapl:0", "package-0", energy_uj=123_456, max_range_uj=1_000_000)
    meter = started(powercap)
    for joules in steps_j:
        powercap.add("intel-rapl:0", joules)
        meter.read()
    expected = sum(round(j * 1e6) for j in steps_j) / 1e6
    assert meter.read()["cpu:package-0"] == pytest.approx(expected, abs=1e-9)


def test_permission_denied_is_missing_with_the_reason_and_the_fix(powercap):
    powercap.server(packages=1)
    powercap.deny("intel-rapl:0")
    meter = started(powercap)
    [missing] = meter.missing()
    assert missing.name == "cpu:package-0"
    assert "permission denied" in missing.reason
    assert "CVE-2020-8694" in missing.reason
    assert "run as root" in missing.fix
    assert f"chmod a+r {powercap.root}/intel-rapl:*/energy_uj" in missing.fix
    assert 'SUBSYSTEM=="powercap"' in missing.fix
    assert [c.name for c in meter.components()] == ["dram:0"]
    assert "cpu:package-0" not in meter.read()  # missing, not 0 J


def test_a_zone_that_vanishes_keeps_its_energy_and_says_so(powercap):
    powercap.server(packages=2)
    meter = started(powercap)
    powercap.add("intel-rapl:1", 4.0)
    meter.read()
    powercap.remove("intel-rapl:1")
    powercap.add("intel-rapl:0", 1.0)
    assert meter.read()["cpu:package-1"] == 4.0
    [note] = next(c.notes for c in meter.components() if c.name == "cpu:package-1")
    assert "unreadable since" in note and "not counted" in note


def test_a_zone_that_comes_back_is_counted_again_from_its_return(powercap):
    powercap.zone("intel-rapl:0", "package-0", energy_uj=1_000_000)
    meter = started(powercap)
    powercap.add("intel-rapl:0", 3.0)
    meter.read()
    powercap.remove("intel-rapl:0")
    meter.read()
    powercap.zone("intel-rapl:0", "package-0", energy_uj=50_000_000)  # module reloaded
    assert meter.read() == {"cpu:package-0": 3.0}  # the gap is unknown, not guessed
    powercap.add("intel-rapl:0", 2.0)
    assert meter.read() == {"cpu:package-0": 5.0}
    [note] = meter.components()[0].notes
    assert note.startswith("unreadable from") and "gap not counted" in note


def unreadable_for_a_moment(powercap, meter, entry: str, joules: float) -> None:
    """One failed read of `entry` (as an EIO would give) while it counts `joules`."""
    powercap.deny(entry)
    powercap.add(entry, joules)
    meter.read()
    powercap.denied.clear()


@pytest.mark.parametrize("joules_in_gap", [2.0, 4000.0])  # 4000 J: the 4295 J counter wraps
def test_a_gap_shorter_than_one_wrap_is_counted_exactly(powercap, joules_in_gap):
    powercap.zone("intel-rapl:0", "package-0", energy_uj=1_000_000_000)
    meter = started(powercap)
    powercap.add("intel-rapl:0", 1.0)
    assert meter.read() == {"cpu:package-0": 1.0}
    unreadable_for_a_moment(powercap, meter, "intel-rapl:0", joules_in_gap)
    powercap.add("intel-rapl:0", 0.5)
    # 4295 J / 1 kW / 2 = 2.1 s: the counter cannot have wrapped twice since the last read
    assert meter.read() == {"cpu:package-0": pytest.approx(1.5 + joules_in_gap)}
    [note] = meter.components()[0].notes
    assert "unreadable from" in note and "counted" in note and "not counted" not in note


def test_a_gap_long_enough_for_two_wraps_is_not_guessed(powercap, monkeypatch):
    monkeypatch.setattr(rapl, "WRAP_SAFETY_POWER_W", 1e15)  # every gap could hide a wrap
    powercap.zone("intel-rapl:0", "package-0")
    meter = started(powercap)
    powercap.add("intel-rapl:0", 1.0)
    meter.read()
    unreadable_for_a_moment(powercap, meter, "intel-rapl:0", 2.0)
    assert meter.read() == {"cpu:package-0": 1.0}  # the reading after the gap: a new baseline
    powercap.add("intel-rapl:0", 0.5)
    assert meter.read() == {"cpu:package-0": 1.5}
    [note] = meter.components()[0].notes
    assert "gap not counted" in note


def test_a_zone_that_appears_during_the_run_is_counted_from_then(powercap):
    powercap.zone("intel-rapl:0", "package-0")
    meter = started(powercap)
    powercap.zone("intel-rapl:1", "package-1", energy_uj=7_000_000)
    assert meter.read() == {"cpu:package-0": 0.0, "cpu:package-1": 0.0}
    powercap.add("intel-rapl:1", 1.5)
    assert meter.read()["cpu:package-1"] == 1.5
    [note] = next(c.notes for c in meter.components() if c.name == "cpu:package-1")
    assert "appeared" in note and "before that not counted" in note


def test_garbage_in_a_counter_is_missing_not_zero(powercap):
    powercap.zone("intel-rapl:0", "package-0")
    (powercap.root / "intel-rapl:0" / "energy_uj").write_text("not a number\n")
    meter = started(powercap)
    [missing] = meter.missing()
    assert missing.name == "cpu:package-0" and "cannot read" in missing.reason
    assert meter.read() == {}


def test_a_counter_that_never_moves_is_flagged(powercap, monkeypatch):
    monkeypatch.setattr(rapl, "FROZEN_AFTER_S", 0.0)
    powercap.zone("intel-rapl:0", "package-0", energy_uj=42)
    meter = started(powercap)
    meter.read()
    [note] = meter.components()[0].notes
    assert "did not move" in note and "virtual machine" in note


def test_without_powercap_the_meter_says_why(tmp_path):
    meter = RaplMeter(tmp_path / "absent")
    meter.start()
    assert meter.components() == () and meter.read() == {}
    assert "does not exist" in meter.unavailable()
    empty = tmp_path / "empty"
    empty.mkdir()
    meter = RaplMeter(empty)
    meter.start()
    assert "no RAPL package or DRAM zone" in meter.unavailable()


def test_max_poll_interval_keeps_two_wraps_apart(powercap):
    powercap.zone("intel-rapl:0", "package-0", max_range_uj=65_532_610_987)  # AMD EPYC
    powercap.zone("intel-rapl:0:0", "dram", max_range_uj=262_143_328_850)  # Intel
    meter = started(powercap)
    # 65.5 kJ at 1 kW wraps after 65.5 s; polls at most every half of that.
    assert meter.max_poll_interval_s == pytest.approx(65_532.610987 / 1000 / 2)
    assert RaplMeter(powercap.root / "nowhere").max_poll_interval_s is None
