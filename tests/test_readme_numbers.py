"""The figures README.md quotes are what the code gives today (scripts/readme_numbers.py).

Deterministic figures are checked: the estimates always, the tutorial example and the default
comparison in the slow tests (they train). Times and measured energies are not checked.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "readme_numbers.py"


@pytest.fixture(scope="module")
def numbers():
    spec = importlib.util.spec_from_file_location("readme_numbers", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["readme_numbers"] = module
    spec.loader.exec_module(module)
    return module


def patterns_of(numbers, *sources):
    return [p for p in numbers.PATTERNS if p.source in sources]


def test_every_figure_has_exactly_one_place_in_the_readme(numbers):
    readme = numbers.readme_figures(numbers.README.read_text(), numbers.PATTERNS)
    fields = {field for pattern in numbers.PATTERNS for field in pattern.fields}
    assert fields <= set(readme)
    assert numbers.table_rows(readme["compare_block"][0])  # the compare table is there


def test_the_estimates_in_the_readme_are_todays(numbers):
    patterns = patterns_of(numbers, "estimate")
    readme = numbers.readme_figures(numbers.README.read_text(), patterns)
    now = numbers.measure_estimate()
    assert numbers.drifted(now, readme) == []
    assert now["gpt3_kwh"] == "1,289,376"  # Patterson et al. 2021: 1,287 MWh from unrounded days


def test_write_puts_every_figure_in_its_place_and_check_sees_a_drift(numbers):
    pattern = numbers.Pattern("x", "costs {a} against {b} per inference; {a} again")
    text = "Intro. costs 1 nJ against 2 nJ per inference; 1 nJ again. End."
    assert numbers.readme_figures(text, [pattern])["a"] == ["1 nJ"]
    written = numbers.write(text, {"a": "3 nJ", "b": "4 nJ"}, [pattern])
    assert written == "Intro. costs 3 nJ against 4 nJ per inference; 3 nJ again. End."
    found = numbers.readme_figures(written, [pattern])
    assert numbers.drifted({"a": "3 nJ", "b": "5 nJ"}, found) == ["b"]
    assert numbers.drifted({"a": "3 nJ", "b": "4 nJ"}, found) == []
    with pytest.raises(ValueError, match="README has 0 places for"):
        numbers.readme_figures("nothing here", [pattern])


@pytest.mark.slow
def test_the_example_and_the_default_comparison_in_the_readme_are_todays(numbers):
    patterns = patterns_of(numbers, "example", "compare")
    readme = numbers.readme_figures(numbers.README.read_text(), patterns)
    now = {**numbers.measure_example(), **numbers.measure_compare()}
    assert numbers.drifted(now, readme) == []
    assert set(numbers.DRIFTING) <= set(now)  # measured too, though never checked
