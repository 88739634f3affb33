"""`greenspike nir export | inspect`."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
import torch
from torch import nn

from greenspike import snn

nir = pytest.importorskip("nir")

MODEL_FILE = """
import torch
from torch import nn
from greenspike import snn

def build():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 6), snn.LIF(0.9), nn.Linear(6, 2), snn.LeakyIntegrator(0.8))

net = build()
relu_net = nn.Sequential(nn.Linear(4, 2), nn.ReLU())
nan_net = build()
with torch.no_grad():
    nan_net[2].weight[0, 0] = float("nan")
"""


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "models.py"
    path.write_text(MODEL_FILE)
    return path


def test_export_a_factory_then_inspect(cli, model_file, tmp_path):
    out = tmp_path / "net.nir"
    result = cli("nir", "export", f"{model_file}:build", "-o", str(out), "--dt", "1e-3")
    assert result.exit_code == 0, result.output
    assert "6 nodes, 5 edges, dt = 0.001 s" in result.output
    assert nir.read(out).metadata["dt"] == 1e-3
    result = cli("nir", "inspect", str(out))
    assert result.exit_code == 0, result.output
    for text in ("Affine", "NIRGraph", "Threshold", "Scale", "LI", "weight[6, 4]"):
        assert text in result.output
    assert "spike -> reset" in result.output  # the edges of the subgraph
    assert "dt = 0.001" in result.output
    assert "greenspike can run it" in result.output


def test_export_with_weights_and_from_a_saved_model(cli, model_file, tmp_path):
    trained = nn.Sequential(
        nn.Linear(4, 6), snn.LIF(0.9), nn.Linear(6, 2), snn.LeakyIntegrator(0.8)
    )
    torch.save(trained.state_dict(), tmp_path / "weights.pt")
    out = tmp_path / "a.nir"
    result = cli(
        "nir", "export", f"{model_file}:net", "-w", str(tmp_path / "weights.pt"), "-o", str(out)
    )
    assert result.exit_code == 0, result.output
    np.testing.assert_array_equal(nir.read(out).nodes["0"].weight, trained[0].weight.detach())
    torch.save(trained, tmp_path / "model.pt")
    result = cli("nir", "export", str(tmp_path / "model.pt"), "-o", str(tmp_path / "b.nir"))
    assert result.exit_code == 0, result.output
    np.testing.assert_array_equal(
        nir.read(tmp_path / "b.nir").nodes["2"].weight, trained[2].weight.detach()
    )


@pytest.mark.parametrize(
    ("spec", "extra", "message"),
    [
        ("{file}:relu_net", [], "layer '1' (ReLU) has no NIR equivalent"),
        ("{file}:missing", [], "has no attribute 'missing'"),
        ("{file}:nan_net", [], "layer '2' (Linear): weight contains NaN or infinite values"),
        ("no_such_module_here:net", [], "cannot import 'no_such_module_here'"),
        ("just-a-word", [], "neither a file nor 'module:name'"),
        ("{file}:net", ["--input-shape", "4,x"], "--input-shape must be integers"),
        ("{file}:net", ["--dt", "-1"], "dt must be a finite time step"),
        ("{file}:net", ["-w", "{tmp}/none.pt"], "no weights file"),
    ],
)
def test_export_errors_are_one_line(cli, model_file, tmp_path, spec, extra, message):
    extra = [e.format(tmp=tmp_path) for e in extra]
    result = cli(
        "nir", "export", spec.format(file=model_file), "-o", str(tmp_path / "x.nir"), *extra
    )
    assert result.exit_code == 2
    stderr = " ".join(result.stderr.split())
    assert stderr.startswith("Error: ") and message in stderr
    assert not (tmp_path / "x.nir").exists()


def test_inspect_says_why_greenspike_cannot_run_a_graph(cli, tmp_path):
    graph = nir.NIRGraph.from_list(
        nir.Affine(weight=np.ones((3, 2)), bias=np.zeros(3)), nir.Delay(delay=np.ones(3))
    )
    nir.write(tmp_path / "delay.nir", graph)
    result = cli("nir", "inspect", str(tmp_path / "delay.nir"))
    assert result.exit_code == 0, result.output
    assert "Delay" in result.output
    assert "greenspike cannot run it" in result.output and "is not supported" in result.output
    data = json.loads(cli("nir", "inspect", str(tmp_path / "delay.nir"), "--json").stdout)
    nodes = {n["type"]: n for n in data["nodes"]}
    assert {"Affine", "Delay"} <= set(nodes)
    assert (nodes["Affine"]["input"], nodes["Affine"]["output"]) == ("[2]", "[3]")
    assert data["runnable"] is False and "is not supported" in data["reason"]
    assert len(data["edges"]) == len(nir.read(tmp_path / "delay.nir").edges)


def test_inspect_says_a_graph_too_large_to_build_is_not_run(cli, tmp_path, monkeypatch):
    graph = nir.NIRGraph.from_list(nir.Linear(weight=np.ones((300, 200), np.int8)))
    nir.write(tmp_path / "big.nir", graph)
    monkeypatch.setenv("GREENSPIKE_MAX_DATA_BYTES", "100000")  # 60,000 int8: 480 kB as float64
    result = cli("nir", "inspect", str(tmp_path / "big.nir"))
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "greenspike cannot run it" in output and "raise $GREENSPIKE_MAX_DATA_BYTES" in output


def test_inspect_refuses_a_file_that_is_not_nir(cli, tmp_path):
    (tmp_path / "junk.nir").write_text("hello")
    result = cli("nir", "inspect", str(tmp_path / "junk.nir"))
    assert result.exit_code == 2
    assert "is not a readable NIR graph" in result.stderr


def test_without_nir_the_commands_name_the_extra(cli, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "nir", None)
    result = cli("nir", "inspect", str(tmp_path / "any.nir"))
    assert result.exit_code == 2
    assert "greenspike[nir]" in result.stderr


def test_a_failed_export_leaves_the_previous_file(cli, model_file, tmp_path, monkeypatch):
    out = tmp_path / "net.nir"
    out.write_bytes(b"previous export")

    def fail_midway(filename, graph, **kwargs):
        with open(filename, "wb") as partial:
            partial.write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(nir, "write", fail_midway)
    result = cli("nir", "export", f"{model_file}:build", "-o", str(out))
    assert result.exit_code == 2 and "disk full" in result.stderr
    assert out.read_bytes() == b"previous export"
    assert list(tmp_path.glob(".*partial")) == []
