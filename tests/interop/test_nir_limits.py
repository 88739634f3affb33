"""Issue 21 item 17: a small NIR file declaring a huge weight is refused before it is read."""

from __future__ import annotations

import itertools

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


def _int8_linear_graph(nir, np, rows: int, columns: int):
    """Input -> Linear -> Output, consistent, with an int8 weight (1 byte a value in the file)."""
    nodes = {
        "input": nir.Input(input_type=np.array([columns])),
        "fc": nir.Linear(weight=np.ones((rows, columns), np.int8)),
        "output": nir.Output(output_type=np.array([rows])),
    }
    return nir.NIRGraph(nodes=nodes, edges=[("input", "fc"), ("fc", "output")])


def test_a_small_consistent_graph_that_builds_into_a_huge_network_is_refused(tmp_path, monkeypatch):
    import nir
    import numpy as np

    from greenspike.interop import from_nir
    from greenspike.interop.importing import read_graph

    path = tmp_path / "small.nir"
    nir.write(path, _int8_linear_graph(nir, np, 2_000, 1_000))
    # 2 MB of int8 in the file (compressible to a few KB), 16 MB once the importer makes the
    # values float64: at a 10 MB limit the file may be read but not built
    monkeypatch.setenv("GREENSPIKE_MAX_DATA_BYTES", str(10_000_000))
    graph = read_graph(path)
    with pytest.raises(
        InvalidInputError, match=r"2,000,0\d\d values, 16,000,\d{3} bytes .*GREENSPIKE_MAX_DATA"
    ):
        from_nir(graph)
    with pytest.raises(InvalidInputError, match=r"small.nir holds 2,000,0\d\d values"):
        from_nir(path)
    monkeypatch.setenv("GREENSPIKE_MAX_DATA_BYTES", str(20_000_000))
    assert from_nir(path).layers["fc"].weight.shape == (2_000, 1_000)


def test_the_same_array_linked_from_many_nodes_counts_each_time(monkeypatch):
    import nir
    import numpy as np

    from greenspike.interop import from_nir

    weight = np.ones((100, 100))  # 80 kB, shared by ten layers: 800 kB once built
    nodes = {"input": nir.Input(input_type=np.array([100]))}
    names = [f"fc{i}" for i in range(10)]
    nodes |= {name: nir.Linear(weight=weight) for name in names}
    nodes["output"] = nir.Output(output_type=np.array([100]))
    chain = ["input", *names, "output"]
    graph = nir.NIRGraph(nodes=nodes, edges=list(itertools.pairwise(chain)))
    monkeypatch.setenv("GREENSPIKE_MAX_DATA_BYTES", str(500_000))
    with pytest.raises(InvalidInputError, match=r"100,\d{3} values"):
        from_nir(graph)
