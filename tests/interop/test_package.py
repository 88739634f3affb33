"""The interop package's place in greenspike: gs.interop, with nir imported only when used."""

from __future__ import annotations

import subprocess
import sys

import pytest
from torch import nn

import greenspike as gs
from greenspike import snn


def test_interop_is_reachable_from_the_top_level():
    from greenspike.interop.exporting import to_nir

    assert gs.interop.to_nir is to_nir
    assert "interop" in dir(gs)
    assert gs.convert is gs.interop.convert  # bring your own network: at the top level


def test_importing_interop_imports_neither_nir_nor_the_peers():
    """nir, snnTorch, SpikingJelly and Norse are imported inside the functions that use them."""
    optional = ("nir", "snntorch", "spikingjelly", "norse")
    code = f"import sys, greenspike.interop; print([m for m in {optional} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_without_nir_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "nir", None)  # makes `import nir` fail
    model = nn.Sequential(nn.Linear(2, 3), snn.LIF(0.9))
    with pytest.raises(ImportError, match=r"pip install 'greenspike\[nir\]'"):
        gs.interop.to_nir(model)
    with pytest.raises(ImportError, match=r"greenspike\[nir\]"):
        gs.interop.from_nir("model.nir")
