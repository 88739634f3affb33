"""Issue 21 item 17: a small NIR file declaring a huge weight is refused before it is read."""

from __future__ import annotations

import pytest

from greenspike.errors import InvalidInputError

h5py = pytest.importorskip("h5py")
pytest.importorskip("nir")


def test_a_small_file_declaring_a_huge_weight_is_refused(tmp_path, monkeypatch):
    from greenspike.interop.importing import read_graph

    path = tmp_path / "bomb.nir"
    with h5py.File(path, "w") as file:
        node = file.create_group("node")
        node["type"] = "NIRGraph"
        fc = node.create_group("nodes").create_group("fc")
        fc["type"] = "Affine"
        # 10**6 x 10**6 floats (4 TB) declared, none written: a few KB on disk
        fc.create_dataset("weight", shape=(10**6, 10**6), dtype="f4", chunks=(1, 1024))
        fc["bias"] = [0.0]
    assert path.stat().st_size < 100_000
    with pytest.raises(InvalidInputError, match=r"declares 4,000,000,000,\d{3} bytes"):
        read_graph(path)
    monkeypatch.setenv("GREENSPIKE_MAX_DATA_BYTES", "1000")
    with pytest.raises(InvalidInputError, match=r"raise \$GREENSPIKE_MAX_DATA_BYTES"):
        read_graph(path)
