"""The snn package's place in greenspike: reachable as gs.snn, importing only torch."""

from __future__ import annotations

import subprocess
import sys

import greenspike as gs


def test_snn_and_data_are_reachable_from_the_top_level():
    from greenspike.data.digits import load_digits
    from greenspike.snn.lif import LIF

    assert gs.snn.LIF is LIF
    assert gs.data.load_digits is load_digits
    assert {"snn", "data"} <= set(dir(gs))


def test_snn_imports_nothing_else_from_greenspike():
    code = (
        "import sys, greenspike.snn; "
        "print(sorted(m for m in sys.modules if m.startswith('greenspike.') "
        "and not m.startswith('greenspike.snn') and m != 'greenspike.errors'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
