"""Hardware TDP table and forgiving name lookup."""

from __future__ import annotations

import pytest

from greenspike.energy.tdp import KINDS, find_hardware, hardware_table


@pytest.mark.parametrize(
    ("name", "model", "tdp_w"),
    [
        ("v100", "NVIDIA Tesla V100", 300),
        ("Tesla V100-SXM2-16GB", "NVIDIA Tesla V100 SXM2", 300),
        ("V100 PCIe", "NVIDIA Tesla V100 PCIe", 250),
        ("A100-SXM4-80GB", "NVIDIA A100 SXM4 80GB", 400),
        ("NVIDIA A100 80GB PCIe", "NVIDIA A100 80GB PCIe", 300),
        ("NVIDIA H100 80GB HBM3", "NVIDIA H100 SXM5", 700),
        ("h100 pcie", "NVIDIA H100 PCIe", 350),
        ("H200", "NVIDIA H200 SXM", 700),
        ("NVIDIA L4", "NVIDIA L4", 72),
        ("Tesla T4", "NVIDIA Tesla T4", 70),
        ("p100", "NVIDIA Tesla P100", 250),
        ("NVIDIA GeForce RTX 4090", "NVIDIA GeForce RTX 4090", 450),
        ("3090", "NVIDIA GeForce RTX 3090", 350),
        ("TPUv3", "Google TPU v3", 220),
        ("tpu v4", "Google TPU v4", 170),
    ],
)
def test_accelerator_names_as_users_and_drivers_write_them(name, model, tdp_w):
    found = find_hardware(name)
    assert (found.model, found.tdp_w) == (model, tdp_w)
    assert found.source


@pytest.mark.parametrize(
    ("cpuinfo_name", "model", "per_core_w"),
    [
        ("Intel(R) Xeon(R) Gold 6148 CPU @ 2.40GHz", "Xeon Gold 6148", 7.5),
        ("AMD EPYC 7763 64-Core Processor", "AMD EPYC 7763", 280 / 64),
        ("AMD EPYC 7552 48-Core Processor", "AMD 7552", 200 / 48),
        ("Intel(R) Core(TM) i5-10400F CPU @ 2.90GHz", "Core i5-10400F", 65 / 6),
    ],
)
def test_cpu_marketing_names_resolve_with_per_core_tdp(cpuinfo_name, model, per_core_w):
    found = find_hardware(cpuinfo_name, kind="cpu")
    assert found.model == model
    assert found.tdp_per_core_w == pytest.approx(per_core_w)


@pytest.mark.parametrize(("name", "candidates"), [("h100", 2), ("a100", 4)])
def test_ambiguous_names_list_every_candidate_with_its_tdp(name, candidates):
    with pytest.raises(ValueError, match="ambiguous") as error:
        find_hardware(name)
    assert str(error.value).count(" W)") == candidates


def test_unknown_name_suggests_and_says_how_to_list():
    with pytest.raises(ValueError) as error:
        find_hardware("Tesla V1OO")
    message = str(error.value)
    assert "unknown hardware 'Tesla V1OO'" in message
    assert "close matches: " in message and "V100" in message
    assert "--list-hardware" in message


def test_kind_restricts_the_search_and_is_validated():
    with pytest.raises(ValueError, match="unknown hardware"):
        find_hardware("V100", kind="cpu")
    with pytest.raises(ValueError, match="valid kinds: gpu, tpu, cpu"):
        find_hardware("V100", kind="fpga")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="names no model"):
        find_hardware("(R)")


def test_every_row_is_sourced_positive_and_findable_by_its_own_name():
    table = hardware_table()
    assert {hw.kind for hw in table} == set(KINDS)
    for hw in table:
        assert hw.tdp_w > 0 and hw.source, hw
        assert hw.kind != "cpu" or (hw.cores or 0) >= 1, hw
        assert find_hardware(hw.model, kind=hw.kind) == hw
