"""results.json of `greenspike compare` and `greenspike search` keeps every field it had.

The stored examples (tests/golden, see its README) were written before the results were typed;
the typed results' `to_dict()` must give the same tree, or a larger one: every stored key, in the
same order among themselves, with the same value types, and the same values wherever a run with
the same seed is deterministic. New keys may appear anywhere (results only gain fields).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from greenspike.search import SearchConfig, search
from greenspike.train import CompareConfig, compare

GOLDEN = Path(__file__).parent / "golden"
# Keys whose values vary from run to run (energy, time, ids, hosts, paths): only their type is
# compared. Everything else must be equal.
VARYING = {
    "group", "run_id", "ledger_run_id", "worker", "storage", "train_time_s", "duration_s",
    "start_unix_s", "end_unix_s", "energy_j", "measured_energy_j", "estimated_energy_j",
    "kwh", "training_energy_j", "energy_j_by_component", "source", "notes", "co2e_g",
    "estimated_saved_j", "training_j_per_epoch", "energy_sources", "cpu", "ram",
    "other_scope_energy_j", "host",
}  # fmt: skip


def assert_same_tree(found, stored, path="", varying=False):
    """Every stored key, in order (new ones allowed), same types; equal values unless varying."""
    if isinstance(stored, dict):
        assert isinstance(found, dict), path
        kept = [key for key in found if key in stored]
        assert kept == list(stored), f"{path}: keys lost or reordered"
        for key in stored:
            assert_same_tree(found[key], stored[key], f"{path}.{key}", varying or key in VARYING)
    elif isinstance(stored, list):
        assert isinstance(found, list), path
        if varying:
            return
        assert len(found) == len(stored), f"{path}: length differs"
        for i, (f, s) in enumerate(zip(found, stored, strict=True)):
            assert_same_tree(f, s, f"{path}[{i}]", varying)
    elif varying:
        assert stored is None or found is None or type(found) is type(stored), path
    elif isinstance(stored, float):
        assert isinstance(found, float) and math.isclose(found, stored, rel_tol=1e-9), path
    else:
        assert found == stored and type(found) is type(stored), path


def test_the_tree_check_catches_a_renamed_or_missing_field_and_allows_new_ones():
    stored = {"a": 1, "b": {"c": [1.0, 2.0]}}
    assert_same_tree({"a": 1, "b": {"c": [1.0, 2.0]}}, stored)
    assert_same_tree({"a": 1, "new": None, "b": {"c": [1.0, 2.0], "d": 3}}, stored)
    for wrong in (
        {"a": 1},
        {"b": {"c": [1.0, 2.0]}, "a": 1},
        {"a": 1, "b": {"c": [1.0, 3.0]}},
        {"a": 1, "B": {"c": [1.0, 2.0]}},
        {"a": 1, "b": {"e": [1.0, 2.0]}},
    ):
        with pytest.raises(AssertionError):
            assert_same_tree(wrong, stored)


def test_compare_results_json_is_unchanged():
    stored = json.loads((GOLDEN / "compare-results.json").read_text())
    result = compare(CompareConfig(epochs=1, limit=200))
    found = json.loads(json.dumps(result.to_dict()))
    assert_same_tree(found, stored)
    assert result.networks["spiking"].accuracy == stored["networks"]["spiking"]["accuracy"]
    assert result.break_even is not None
    assert (
        result.break_even["cmos45-fp32"].verdict == stored["break_even"]["cmos45-fp32"]["verdict"]
    )


@pytest.mark.slow
def test_search_results_json_is_unchanged(tmp_path):
    stored = json.loads((GOLDEN / "search-results.json").read_text())
    result = search(SearchConfig(trials=4, epochs=2, limit=200, out=str(tmp_path)))
    found = json.loads(json.dumps(result.to_dict()))
    assert_same_tree(found, stored)
    assert [t.state for t in result.trials] == [t["state"] for t in stored["trials"]]
    assert result.pareto == tuple(stored["pareto"])
