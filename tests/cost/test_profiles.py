"""Bundled and user-defined hardware profiles: the published figures, and clear errors."""

from __future__ import annotations

import csv

import pytest

import greenspike as gs
from greenspike.cost.profiles import COLUMNS

VALID = {
    "name": "my-chip",
    "weight_precision": "int16",
    "activation_precision": "int16",
    "state_precision": "int16",
    "weight_fetch": "dense",
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


def _formats(profile) -> tuple[str, str, str]:
    return tuple(profile.precision.to_dict().values())


def test_bundled_profiles_carry_their_published_figures_and_precision():
    profiles = gs.cost.profiles()
    assert set(profiles) == {
        "cmos45-fp32", "cmos45-fp32-dram", "cmos45-int8", "cmos7-int8", "gpu7-fp16", "loihi",
        "truenorth",
    }  # fmt: skip
    fp32, int8, loihi = profiles["cmos45-fp32"], profiles["cmos45-int8"], profiles["loihi"]
    assert (fp32.ac_pj, fp32.mac_pj) == (0.9, pytest.approx(0.9 + 3.7))
    assert _formats(fp32) == ("fp32", "fp32", "fp32")
    assert (int8.ac_pj, int8.mac_pj) == (0.03, pytest.approx(0.03 + 0.2))
    assert _formats(int8) == ("int8", "int8", "int16")
    assert fp32.state_pj_per_byte == 10 / 8  # 64-bit read from an 8 KB SRAM: 10 pJ
    assert profiles["cmos45-fp32-dram"].weight_read_pj_per_byte == 1300 / 8
    assert (loihi.ac_pj, loihi.mac_pj, loihi.spike_event_pj) == (23.6, None, 1.7)
    assert (_formats(loihi), loihi.weight_fetch) == (("int8", "spike", "int24"), "event")
    # all-in Loihi figures: memory is inside the synaptic op and the neuron update
    assert loihi.weight_read_pj_per_byte == loihi.state_pj_per_byte == 0
    # 7 nm (Jouppi et al. 2021, Table 2): int8 mult 0.07 + add 0.007; SRAM per 64-bit access
    cmos7, gpu = profiles["cmos7-int8"], profiles["gpu7-fp16"]
    assert (cmos7.mac_pj, cmos7.ac_pj) == (pytest.approx(0.07 + 0.007), 0.007)
    assert (cmos7.weight_read_pj_per_byte, cmos7.state_pj_per_byte) == (8.5 / 8, 7.5 / 8)
    assert (gpu.mac_pj, gpu.ac_pj, gpu.skips_zeros) == (pytest.approx(0.34 + 0.16), 0.5, False)
    assert (gpu.weight_read_pj_per_byte, _formats(gpu)) == (14 / 8, ("fp16",) * 3)
    truenorth = profiles["truenorth"]
    assert (truenorth.ac_pj, truenorth.mac_pj, truenorth.neuron_update_pj) == (26, None, 0)
    assert _formats(truenorth) == ("int2", "spike", "int20")
    for profile in profiles.values():
        assert any(
            author in profile.source for author in ("Horowitz", "Davies", "Jouppi", "Merolla")
        )


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
        ({"weight_precision": "int1"}, "weights: 'int1' is not a supported format"),
        ({"weight_precision": "int8.5"}, "weights: 'int8.5' is not a supported format"),
        ({"state_precision": "spike"}, "state: 'spike' is not a supported format"),
        ({"activation_precision": " "}, "activation_precision is empty"),
        ({"weight_fetch": "lazy"}, "weight_fetch must be one of dense, event, resident"),
        ({"weight_fetch": "event"}, "weight_fetch event .* skips_zeros must be true"),
        ({"weight_fetch": "resident"}, "resident .* weight_read_pj_per_byte must be empty"),
        ({"activation_precision": "spike"}, "spikes only, so mac_pj must be empty"),
        ({"skips_zeros": "maybe"}, "skips_zeros must be true or false"),
        ({"source": " "}, "'source' is empty"),
        ({"name": "My Chip"}, "name 'My Chip' is not valid"),
        ({"watts": 3}, r"unknown field\(s\) \['watts'\]"),
        ({"word_bits": 8}, "word_bits became weight_precision, activation_precision"),
    ],
)
def test_invalid_profiles_are_refused_with_the_reason(change, message):
    with pytest.raises(ValueError, match=message):
        gs.cost.hardware_profile({**VALID, **change})


@pytest.mark.parametrize("column", ["state_pj_per_byte", "weight_precision", "state_precision"])
def test_missing_field_is_named(column):
    values = {key: value for key, value in VALID.items() if key != column}
    with pytest.raises(gs.errors.InvalidInputError, match=rf"missing field\(s\) \['{column}'\]"):
        gs.cost.hardware_profile(values)


def test_a_resident_profile_needs_no_weight_read_figure():
    profile = gs.cost.hardware_profile(
        {**VALID, "weight_fetch": "resident", "weight_read_pj_per_byte": ""}
    )
    assert profile.weight_fetch == "resident"


def test_profiles_round_trip_through_their_columns():
    for profile in gs.cost.profiles().values():
        assert list(profile.to_dict()) == list(COLUMNS)
        assert gs.cost.hardware_profile(profile.to_dict()) == profile


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
