"""Export then import gives the same network: identical outputs, bit for bit."""

from __future__ import annotations

import io

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from greenspike import snn
from greenspike.interop import GraphNetwork, Scale, SumPool2d, from_nir, to_nir

nir = pytest.importorskip("nir")

N_IN, N = 6, 5
decays = st.one_of(st.just(0.0), st.floats(2**-10, 1.0, exclude_max=True, width=32))
thresholds = st.floats(0.125, 3.0, width=32)
resets = st.sampled_from(["subtract", "zero", "none"])


def per_neuron(draw, values):
    """A scalar, or one value per neuron."""
    if draw(st.booleans()):
        return draw(values)
    return torch.tensor(draw(st.lists(values, min_size=N, max_size=N)))


@st.composite
def neuron_layers(draw):
    kind = draw(st.sampled_from(["LIF", "IF", "RecurrentLIF", "CubaLIF", "LeakyIntegrator"]))
    beta, threshold = per_neuron(draw, decays), per_neuron(draw, thresholds)
    if kind == "LIF":
        reset = draw(resets)
        delay = reset != "zero" and draw(st.booleans())
        return snn.LIF(beta, threshold, reset=reset, reset_delay=delay)
    if kind == "IF":
        reset = draw(resets)
        v_init = None
        if reset != "zero" and draw(st.booleans()):  # a start below the threshold
            v_init = draw(st.sampled_from([-0.25, 0.0, 0.5])) * threshold
        return snn.IF(threshold, reset=reset, v_init=v_init)
    if kind == "RecurrentLIF":
        reset = draw(resets)
        layer = snn.RecurrentLIF(
            N,
            beta,
            threshold,
            reset=reset,
            reset_delay=reset != "zero" and draw(st.booleans()),
            bias=draw(st.booleans()),
        )
        with torch.no_grad():
            layer.recurrent.weight.mul_(2)
        return layer
    if kind == "CubaLIF":
        return snn.CubaLIF(per_neuron(draw, decays), beta, threshold, reset="zero")
    return snn.LeakyIntegrator(beta)


def through_a_file(graph):
    """`nir.write` then `nir.read`, in memory."""
    buffer = io.BytesIO()
    nir.write(buffer, graph)
    buffer.seek(0)
    return nir.read(buffer)


@settings(max_examples=40, deadline=None)
@given(
    layer=neuron_layers(),
    dt=st.floats(1e-6, 1e-1),
    seed=st.integers(0, 2**16),
    gain=st.floats(0.5, 4.0),
)
def test_export_then_import_gives_identical_outputs(layer, dt, seed, gain):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(N_IN, N), layer)
    x = gain * torch.rand(12, 3, N_IN)
    network = from_nir(through_a_file(to_nir(model, dt=dt)))
    with torch.no_grad():
        expected, got = model(x), network(x)
    assert torch.equal(got, expected)
    assert type(network.layers["1"]) is type(layer)
    if type(layer) is snn.LIF and layer.reset == "subtract":  # the one reset a delay changes
        assert network.layers["1"].reset_delay == layer.reset_delay


def test_an_if_starting_at_half_its_threshold_comes_back_with_its_v_init():
    """What converted networks use: exported as the membrane v - v_init, read back exactly."""
    torch.manual_seed(0)  # weights under which v_init changes the spikes (not all seeds do)
    threshold = torch.tensor([0.7, 1.3, 2.1, 0.4, 1.0])
    layer = snn.IF(threshold, v_init=threshold / 2)
    model = nn.Sequential(nn.Linear(N_IN, N), layer)
    network = from_nir(through_a_file(to_nir(model)))
    imported = network.layers["1"]
    assert torch.equal(imported.v_init, layer.v_init)
    assert torch.equal(imported.threshold, threshold)
    x = 2 * torch.rand(20, 3, N_IN, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        assert torch.equal(network(x), model(x))
        assert not torch.equal(model(x), nn.Sequential(model[0], snn.IF(threshold))(x))


def test_a_deep_network_survives_a_file(tmp_path):
    torch.manual_seed(0)
    recurrent = snn.RecurrentLIF(8, 0.8, 0.7)
    model = nn.Sequential(
        nn.Linear(N_IN, 8, bias=False),
        snn.LIF(0.9),
        nn.Linear(8, 8),
        recurrent,
        nn.Linear(8, 8),
        snn.CubaLIF(0.5, 0.9, reset="zero"),
        nn.Linear(8, 3),
        snn.LeakyIntegrator(0.95),
    )
    nir.write(tmp_path / "net.nir", to_nir(model, dt=1e-3))
    network = from_nir(tmp_path / "net.nir")
    x = 2 * torch.rand(30, 4, N_IN)
    with torch.no_grad():
        expected = model(x)
        assert torch.equal(network(x), expected)
    assert model[:4](x).sum() > 10  # the recurrent layer fires
    assert network.dt == 1e-3  # read from the graph's metadata
    assert isinstance(network.layers["0"], nn.Linear) and network.layers["0"].bias is None


def test_a_convolutional_network_round_trips():
    torch.manual_seed(1)
    layers = [
        nn.Conv2d(2, 4, 3, padding=1),
        snn.LIF(0.9, reset="zero"),
        SumPool2d(2),
        nn.Conv2d(4, 4, 3, stride=2, padding="valid", bias=False),
        snn.IF(0.5),
        nn.AvgPool2d(1),
        nn.Flatten(),
        nn.Linear(16, 3),
        snn.LIF(torch.tensor([0.5, 0.7, 0.9]), 0.25),
    ]
    graph = through_a_file(to_nir(nn.Sequential(*layers), input_shape=(2, 12, 12)))
    network = from_nir(graph)
    x = 4 * torch.rand(6, 2, 2, 12, 12)
    expected = x
    for layer in layers:  # the stateless layers see one step: fold time into the batch
        if isinstance(layer, snn.Neuron):
            expected = layer(expected)
        else:
            expected = layer(expected.flatten(0, 1)).unflatten(0, expected.shape[:2])
    with torch.no_grad():
        assert torch.equal(network(x), expected)
    assert expected.sum() > 0


def test_conv1d_and_per_channel_parameters_round_trip():
    torch.manual_seed(2)
    model = nn.Sequential(
        nn.Conv1d(3, 4, 5, stride=2, dilation=2, groups=1),
        snn.LIF(torch.tensor([0.2, 0.5, 0.8, 0.95]).view(4, 1), reset="subtract"),
    )
    x = 3 * torch.rand(8, 2, 3, 20)
    network = from_nir(through_a_file(to_nir(model, input_shape=(3, 20))))
    expected = model[1](model[0](x.flatten(0, 1)).unflatten(0, (8, 2)))
    with torch.no_grad():
        assert torch.equal(network(x), expected)


def test_an_imported_network_exports_again_unchanged():
    torch.manual_seed(3)
    model = nn.Sequential(nn.Linear(N_IN, N), snn.LIF(0.8), nn.Linear(N, 2), Scale(torch.ones(2)))
    first = from_nir(to_nir(model, dt=2e-4))
    second = from_nir(to_nir(first))
    assert second.dt == 2e-4
    x = torch.rand(10, 3, N_IN)
    with torch.no_grad():
        assert torch.equal(second(x), model(x))


def test_a_graph_with_branches_sums_the_inputs_of_a_node():
    """NIR adds what arrives at a node over several edges; so does GraphNetwork."""
    torch.manual_seed(4)
    layers = {"a": nn.Linear(N_IN, N), "b": nn.Linear(N_IN, N), "lif": snn.LIF(0.9)}
    edges = [("input", "a"), ("input", "b"), ("a", "lif"), ("b", "lif"), ("lif", "output")]
    network = GraphNetwork(layers, edges, (N_IN,), dt=1e-4)
    x = torch.rand(10, 2, N_IN)
    with torch.no_grad():
        expected = layers["lif"](layers["a"](x) + layers["b"](x))
        assert torch.equal(network(x), expected)
        assert torch.equal(from_nir(through_a_file(to_nir(network)))(x), expected)


def test_an_explicit_dt_overrides_the_recorded_one():
    model = nn.Sequential(nn.Linear(N_IN, N), snn.LIF(0.5, reset="zero"))
    graph = to_nir(model, dt=1e-3)
    assert from_nir(graph, dt=1e-3).layers["1"].beta.item() == 0.5
    # tau = 2 ms read with a 0.1 ms step: beta = 1 - 0.1 / 2 = 0.95
    assert from_nir(graph, dt=1e-4).layers["1"].beta.item() == pytest.approx(0.95)
