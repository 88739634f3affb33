"""The snn package's place in greenspike: reachable as gs.snn, importing only torch."""

from __future__ import annotations

import greenspike as gs


def test_snn_and_data_are_reachable_from_the_top_level():
    from greenspike.data.digits import load_digits
    from greenspike.snn.lif import LIF

    assert gs.snn.LIF is LIF
    assert gs.data.load_digits is load_digits
    assert {"snn", "data"} <= set(dir(gs))
