"""Issue 21 item 20: a compiler that takes too long falls back to the reference loop, as the
README promises, instead of raising TimeoutExpired from a neuron layer."""

from __future__ import annotations

import pytest

from greenspike.snn.kernels import _build


def test_a_slow_compiler_falls_back_to_the_reference_loop(tmp_path, monkeypatch):
    slow = tmp_path / "slow-cc"
    slow.write_text("#!/bin/sh\nexec sleep 5\n")
    slow.chmod(0o755)
    monkeypatch.setenv("GREENSPIKE_KERNEL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("CC", str(slow))
    monkeypatch.setattr(_build, "COMPILE_TIMEOUT_S", 0.2)
    _build.load_cpu_library.cache_clear()
    try:
        with pytest.warns(RuntimeWarning, match="using the PyTorch reference loop"):
            assert _build.load_cpu_library() is None
    finally:
        _build.load_cpu_library.cache_clear()
    assert list((tmp_path / "cache").glob("*.so")) == []
