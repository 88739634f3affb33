"""What NIR cannot carry, and malformed or hostile files, give one clear ValueError."""

from __future__ import annotations

import re

import h5py
import numpy as np
import pytest
import torch
from torch import nn

from greenspike import snn
from greenspike.interop import from_nir, to_nir
from greenspike.interop.network import Scale

nir = pytest.importorskip("nir")


def lif_graph(**overrides):
    """input -> Affine -> LIF -> output, with LIF parameters overridden."""
    parameters = {
        "tau": np.full(3, 1e-3),
        "r": np.full(3, 10.0),
        "v_leak": np.zeros(3),
        "v_threshold": np.ones(3),
        "v_reset": np.zeros(3),
    }
    parameters.update(overrides)
    nodes = {
        "input": nir.Input(np.array([2])),
        "fc": nir.Affine(weight=np.ones((3, 2)), bias=np.zeros(3)),
        "lif": nir.LIF(**parameters),
        "output": nir.Output(np.array([3])),
    }
    edges = [("input", "fc"), ("fc", "lif"), ("lif", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


# ------------------------------------------------------------------- export


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        (nn.ReLU(), "layer '1' (ReLU) has no NIR equivalent"),
        (snn.ALIF(0.9, adaptation_decay=0.9, adaptation_scale=0.1), "(ALIF) has no NIR"),
        (snn.CubaLIF(0.5, 0.9), "(CubaLIF) resets with 'subtract'"),
        (snn.LIF(torch.tensor([0.5, 1.0, 0.9, 0.9])), "beta = 1 for some neurons"),
        (snn.LIF(torch.tensor([0.5, 0.9])), "beta of shape [2] does not broadcast"),
        (snn.LIF(0.9, reset="zero", reset_delay=True), "(LIF) resets to zero one step after"),
        (snn.LIF(0.9, v_init=0.5), "(LIF) starts from v_init != 0 with a leak"),
        (snn.IF(reset="zero", v_init=0.5), "(IF) starts from v_init != 0 with reset zero"),
        (snn.IF(1.0, v_init=1.0), "v_init must be below the threshold"),
        (snn.AccumulatedMaxPool2d(2), "(AccumulatedMaxPool2d) has no NIR equivalent"),
        (nn.MaxPool2d(2), "(MaxPool2d) has no NIR equivalent: NIR has no max pooling"),
    ],
)
def test_a_layer_nir_cannot_express_is_refused_by_name(layer, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        to_nir(nn.Sequential(nn.Linear(3, 4), layer))


def test_export_refuses_bad_dt_and_missing_input_shape():
    model = nn.Sequential(nn.Linear(3, 4), snn.LIF(0.9))
    for dt in (0, -1e-3, float("nan"), "1e-3"):
        with pytest.raises(ValueError, match="dt must be"):
            to_nir(model, dt=dt)
    with pytest.raises(ValueError, match="needs input_shape"):
        to_nir(nn.Sequential(nn.Conv2d(1, 2, 3), snn.LIF(0.9)))
    with pytest.raises(ValueError, match="cannot take one step of shape"):
        to_nir(model, input_shape=(5,))
    with pytest.raises(ValueError, match="flattens the batch dimension"):
        to_nir(nn.Sequential(nn.Flatten(0)), input_shape=(2, 2))


def _poisoned(value: float) -> list[tuple[nn.Module, str]]:
    """Models with one non-finite parameter, and the layer/parameter the error must name."""
    linear = nn.Linear(3, 4)
    conv = nn.Conv2d(1, 2, 3)
    recurrent = snn.RecurrentLIF(4, 0.9)
    neuron = snn.LIF(0.9, learn_threshold=True)  # a learned threshold can diverge in training
    with torch.no_grad():
        linear.weight[1, 2] = value
        conv.bias[0] = value
        recurrent.recurrent.weight[0, 0] = value
        neuron.threshold.fill_(value)
    return [
        (nn.Sequential(linear, snn.LIF(0.9)), "layer '0' (Linear): weight"),
        (nn.Sequential(conv, nn.Flatten(), snn.LIF(0.9)), "layer '0' (Conv2d): bias"),
        (nn.Sequential(nn.Linear(3, 4), recurrent), "layer '1' (RecurrentLIF): recurrent.weight"),
        (nn.Sequential(nn.Linear(3, 4), neuron), "(LIF): threshold"),
        (nn.Sequential(nn.Linear(3, 4), Scale(torch.tensor(value))), "(Scale): scale"),
    ]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_export_refuses_non_finite_parameters_its_importer_would_refuse(value):
    from greenspike.errors import InvalidInputError

    for model, where in _poisoned(value):
        with pytest.raises(InvalidInputError, match=re.escape(where) + ".*NaN or infinite"):
            to_nir(model, input_shape=(1, 5, 5) if isinstance(model[0], nn.Conv2d) else None)


# ------------------------------------------------------------------- import


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"tau": np.array([1e-3, np.nan, 1e-3])}, "'lif' (LIF): tau contains NaN"),
        ({"v_threshold": np.array([1.0, np.inf, 1.0])}, "v_threshold contains NaN or infinite"),
        ({"v_leak": np.full(3, 0.1)}, "v_leak must be 0"),
        ({"v_reset": np.full(3, -0.5)}, "v_reset must be 0"),
        ({"tau": np.full(3, 1e-5)}, "tau must be >= dt"),
        ({"r": np.zeros(3)}, "r must be > 0"),
        ({"v_threshold": -np.ones(3)}, "v_threshold must be > 0"),
    ],
)
def test_neuron_parameters_greenspike_cannot_honour_are_refused(overrides, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        from_nir(lif_graph(**overrides), dt=1e-4)


def test_parameters_of_the_wrong_shape_are_refused():
    graph = lif_graph()
    graph.nodes["lif"].tau = np.full(4, 1e-3)  # a graph built in memory skips nir's checks
    with pytest.raises(ValueError, match=r"tau has shape \[4\], expected \[3\]"):
        from_nir(graph)
    graph = lif_graph()
    graph.nodes["fc"].weight = np.ones((2, 3, 4))
    with pytest.raises(ValueError, match="weight must be a matrix"):
        from_nir(graph)


def test_an_unsupported_node_is_named():
    graph = lif_graph()
    graph.nodes["lif"] = nir.Delay(delay=np.ones(3))
    with pytest.raises(ValueError, match=r"node 'lif' \(Delay\) is not supported"):
        from_nir(graph)


def test_a_cycle_outside_a_subgraph_is_refused():
    graph = lif_graph()
    graph.nodes["w"] = nir.Linear(weight=np.eye(3))
    graph.edges += [("lif", "w"), ("w", "lif")]
    with pytest.raises(ValueError, match="cycle"):
        from_nir(graph)


def test_a_subgraph_that_is_not_a_recognised_layer_is_refused():
    inner = to_nir(nn.Sequential(snn.LIF(0.9)), input_shape=(3,)).nodes["0"]
    inner.nodes["reset"].scale = inner.nodes["reset"].scale * 2  # not -beta * threshold
    graph = lif_graph()
    graph.nodes["lif"] = inner
    with pytest.raises(ValueError, match="not a subtractive reset"):
        from_nir(graph)
    inner.edges.remove(("spike", "reset"))
    with pytest.raises(ValueError, match="not a recognised recurrent layer: its edges"):
        from_nir(graph)


def test_edges_to_missing_nodes_and_extra_inputs_are_refused():
    graph = lif_graph()
    graph.edges.append(("lif", "nowhere"))
    with pytest.raises(ValueError, match="does not connect two nodes"):
        from_nir(graph)
    graph = lif_graph()
    graph.nodes["input2"] = nir.Input(np.array([2]))
    with pytest.raises(ValueError, match="exactly one Input node"):
        from_nir(graph)


@pytest.fixture
def lif_file(tmp_path):
    path = tmp_path / "lif.nir"
    nir.write(path, lif_graph())
    return path


def test_a_valid_file_imports(lif_file):
    network = from_nir(lif_file, dt=1e-4)
    assert network(torch.ones(3, 1, 2)).shape == (3, 1, 3)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda f: f["node/nodes/lif"].__delitem__("tau"), "missing .* 'tau'"),
        (lambda f: f["node"].__delitem__("edges"), "edges"),
        (lambda f: _replace(f, "node/nodes/lif/r", np.ones(5)), "same shape"),
        (lambda f: _replace(f, "node/nodes/lif/type", b"Neuron"), "'lif' has type 'Neuron'"),
        (lambda f: _replace(f, "node/nodes/lif/tau", np.full(3, np.nan)), "tau contains NaN"),
        (lambda f: _replace(f, "node/nodes/fc/weight", np.ones(3)), "(?i)weight must be"),
    ],
)
def test_a_malformed_file_gets_a_clear_error(lif_file, edit, message):
    with h5py.File(lif_file, "r+") as f:
        edit(f)
    with pytest.raises(ValueError, match=message):
        from_nir(lif_file)


def _replace(f, key: str, value) -> None:
    del f[key]
    f[key] = value


def test_a_file_that_is_not_hdf5_or_missing(tmp_path):
    junk = tmp_path / "junk.nir"
    junk.write_bytes(b"not a NIR graph")
    with pytest.raises(ValueError, match=r"junk\.nir is not a readable NIR graph"):
        from_nir(junk)
    with pytest.raises(FileNotFoundError, match="no NIR file"):
        from_nir(tmp_path / "missing.nir")
    with pytest.raises(ValueError, match=r"expects a nir\.NIRGraph or a path"):
        from_nir(42)
