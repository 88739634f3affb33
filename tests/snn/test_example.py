"""The tutorial example keeps its promise: > 95 % test accuracy on the digits in under a minute."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).parents[2] / "examples/spiking_mlp_digits.py"


@pytest.mark.slow
def test_spiking_mlp_example_trains_to_over_95_percent_within_a_minute():
    done = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=120, check=True
    )
    final = re.search(r"test accuracy ([\d.]+)% after ([\d.]+) s of training", done.stdout)
    assert final, done.stdout
    accuracy, seconds = float(final[1]), float(final[2])
    assert accuracy > 95.0
    assert seconds < 60.0
