"""Bundled and user-defined hardware profiles: the published figures, and clear errors."""

from __future__ import annotations

import csv

import pytest

import greenspike as gs

VALID = {
    "name": "my-chip",
    "word_bits": 16,
    "skips_zeros": "false",
    "mac_pj": 1.5,
    "ac_pj": "0.5",
    "neuron_update_pj": 2,
    "weight_read_pj_per_byte": 3,
    "state_pj_per_byte": 4,
    "activation_pj_per_byte": 5,
    "spike_event_pj": "",
    "description": "a made-up chip",
    "source": "our own measurements, 2026",
}


def test_bundled_profiles_carry_horowitz_and_loihi_figures():
    profiles = gs.cost.profiles()
    assert {"cmos45-fp32", "cmos45-int8", "loihi"} <= set(profiles)
    fp32, int8, loihi = profiles["cmos45-fp32"], profiles["cmos45-int8"], profiles["loihi"]
    assert (fp32.ac_pj, fp32.mac_pj, fp32.word_bits) == (0.9, pytest.approx(0.9 + 3.7), 32)
    assert (int8.ac_pj, int8.mac_pj, int8.word_bits) == (0.03, pytest.approx(0.03 + 0.2), 8)
    assert fp32.state_pj_per_byte == 10 / 8  # 64-bit read from an 8 KB SRAM: 10 pJ
    assert profiles["cmos45-fp32-dram"].weight_read_pj_per_byte == 1300 / 8
    assert (loihi.ac_pj, loihi.mac_pj, loihi.spike_event_pj) == (23.6, None, 1.7)
    # all-in Loihi figures: memory is inside the synaptic op and the neuron update
    assert loihi.weight_read_pj_per_byte == loihi.state_pj_per_byte == 0
    for profile in profiles.values():
        assert "Horowitz" in profile.source or "Davies" in profile.source


def test_user_profile_from_a_dict():
    profile = gs.cost.hardware_profile(VALID)
    assert profile.skips_zeros is False
    assert (profile.ac_pj, profile.neuron_update_pj, profile.spike_event_pj) == (0.5, 2.0, None)
    assert gs.cost.find_profile(VALID) == profile
    assert gs.cost.find_profile(profile) is profile


def _write(path, *rows: dict) -> None:
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(VALID))
        writer.writeheader()
        writer.writerows(rows)


def test_user_profiles_from_a_csv_file(tmp_path):
    path = tmp_path / "chips.csv"
    _write(path, VALID, {**VALID, "name": "my-chip-2", "mac_pj": ""})
    profiles = gs.cost.load_profiles(path)
    assert list(profiles) == ["my-chip", "my-chip-2"]
    assert profiles["my-chip-2"].mac_pj is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"mac_pj": -1}, "mac_pj must be a non-negative number"),
        ({"ac_pj": "cheap"}, "ac_pj must be a non-negative number"),
        ({"ac_pj": float("inf")}, "ac_pj must be a non-negative number"),
        ({"word_bits": 0}, "word_bits must be a positive integer"),
        ({"word_bits": "8.5"}, "word_bits must be a positive integer"),
        ({"skips_zeros": "maybe"}, "skips_zeros must be true or false"),
        ({"source": " "}, "'source' is empty"),
        ({"name": "My Chip"}, "name 'My Chip' is not valid"),
        ({"watts": 3}, r"unknown field\(s\) \['watts'\]"),
    ],
)
def test_invalid_profiles_are_refused_with_the_reason(change, message):
    with pytest.raises(ValueError, match=message):
        gs.cost.hardware_profile({**VALID, **change})


def test_missing_field_is_named():
    values = {key: value for key, value in VALID.items() if key != "state_pj_per_byte"}
    with pytest.raises(ValueError, match=r"missing field\(s\) \['state_pj_per_byte'\]"):
        gs.cost.hardware_profile(values)


def test_unknown_name_lists_the_known_profiles():
    with pytest.raises(ValueError, match="unknown hardware profile 'tpu'; known: cmos45-fp32, "):
        gs.cost.find_profile("tpu")


def test_duplicate_and_empty_files_are_refused(tmp_path):
    path = tmp_path / "chips.csv"
    _write(path, VALID, VALID)
    with pytest.raises(ValueError, match="'my-chip' appears twice"):
        gs.cost.load_profiles(path)
    path.write_text(",".join(VALID) + "\n" + ",".join(str(v) for v in VALID.values()) + "\n")
    with pytest.raises(ValueError, match="line 2: more cells than columns"):
        gs.cost.load_profiles(path)  # the unquoted comma in the source
    path.write_text("")
    with pytest.raises(ValueError, match="no header row"):
        gs.cost.load_profiles(path)
    with pytest.raises(OSError):
        gs.cost.load_profiles(tmp_path / "absent.csv")
