"""The exported nodes mean, under NIR's own equations, what the greenspike layer computes.

A small reference simulator steps NIR's continuous-time equations with forward Euler at the
exported dt, in float64, independently of greenspike's code; its spikes must equal ours.
Inputs stay clear of the threshold, so float32 vs float64 rounding cannot flip a spike.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from greenspike import snn
from greenspike.interop import from_nir, to_nir
from greenspike.interop.parameters import decay_to_tau, tau_to_decay

nir = pytest.importorskip("nir")
DT = 1e-3


def inputs(seed: int, shape=(40, 1, 6), high: float = 0.9) -> torch.Tensor:
    return high * torch.rand(*shape, generator=torch.Generator().manual_seed(seed))


def exported_node(layer, features: int = 6):
    return to_nir(torch.nn.Sequential(layer), dt=DT, input_shape=(features,)).nodes["0"]


def euler_lif(node, x: np.ndarray) -> np.ndarray:
    """NIR LIF: tau dv/dt = (v_leak - v) + r I; spike where v > v_threshold; then v = v_reset."""
    v, spikes = np.zeros(x.shape[1:]), []
    for x_t in x:
        v = v + DT / node.tau * (node.v_leak - v + node.r * x_t)
        s = v > node.v_threshold
        v = np.where(s, node.v_reset, v)
        spikes.append(s)
    return np.array(spikes, dtype=np.float32)


def euler_membrane_threshold(graph, x: np.ndarray) -> np.ndarray:
    """A subgraph LI (or I) -> Threshold with feedback (Scale, Linear) one step later."""
    membrane, threshold = graph.nodes["membrane"], graph.nodes["spike"].threshold
    reset = graph.nodes.get("reset")
    w_rec = graph.nodes.get("w_rec")
    v, s, spikes = np.zeros(x.shape[1:]), np.zeros(x.shape[1:]), []
    for x_t in x:
        current = x_t.copy()
        if reset is not None:
            current += reset.scale * s
        if w_rec is not None:
            current += s @ w_rec.weight.T + getattr(w_rec, "bias", 0)
        if isinstance(membrane, nir.I):  # dv/dt = r I, one step: v += r I
            v = v + membrane.r * current
        else:
            v = v + DT / membrane.tau * (membrane.v_leak - v + membrane.r * current)
        s = (v > threshold).astype(np.float64)
        spikes.append(s)
    return np.array(spikes, dtype=np.float32)


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9, 0.999])
def test_a_zero_reset_lif_is_the_nir_lif(beta):
    layer = snn.LIF(beta, 0.8, reset="zero")
    node = exported_node(layer)
    assert isinstance(node, nir.LIF)
    np.testing.assert_allclose(node.tau, DT / (1 - np.float64(np.float32(beta))))
    np.testing.assert_allclose(node.r, node.tau / DT)
    assert np.all(node.v_leak == 0) and np.all(node.v_reset == 0)
    np.testing.assert_allclose(node.v_threshold, np.float32(0.8))
    x = inputs(0, high=1.5)
    spikes = layer(x)
    assert spikes.sum() > 20
    np.testing.assert_array_equal(euler_lif(node, x.double().numpy()), spikes.numpy())


@pytest.mark.parametrize("reset", ["subtract", "none"])
def test_a_subtract_or_no_reset_lif_is_a_membrane_threshold_subgraph(reset):
    layer = snn.LIF(0.9, 1.0, reset=reset)
    graph = exported_node(layer)
    assert isinstance(graph, nir.NIRGraph)
    assert isinstance(graph.nodes["membrane"], nir.LI)
    assert ("reset" in graph.nodes) == (reset == "subtract")
    x = inputs(1)
    spikes = layer(x)
    assert spikes.sum() > 20
    np.testing.assert_array_equal(euler_membrane_threshold(graph, x.double().numpy()), spikes)


def test_a_delayed_subtractive_reset_feeds_back_the_undecayed_threshold():
    layer = snn.LIF(0.8, 1.0, reset_delay=True)
    graph = exported_node(layer)
    np.testing.assert_allclose(graph.nodes["reset"].scale, -1.0)
    x = inputs(8, high=1.6)
    spikes = layer(x)
    assert spikes.sum() > 20
    assert not torch.equal(spikes, snn.LIF(0.8, 1.0)(x))
    np.testing.assert_array_equal(euler_membrane_threshold(graph, x.double().numpy()), spikes)


@pytest.mark.parametrize("reset", ["subtract", "none"])
def test_an_if_starting_from_v_init_is_the_subgraph_of_v_minus_v_init(reset):
    layer = snn.IF(1.0, reset=reset, v_init=0.5)
    graph = exported_node(layer)
    assert isinstance(graph.nodes["membrane"], nir.I)
    np.testing.assert_allclose(graph.nodes["spike"].threshold, 0.5)
    x = inputs(9, high=0.6)
    spikes = layer(x)
    assert spikes.sum() > 20
    np.testing.assert_array_equal(euler_membrane_threshold(graph, x.double().numpy()), spikes)


@pytest.mark.parametrize("reset", ["subtract", "none", "zero"])
def test_a_recurrent_lif_is_a_subgraph_with_its_weights(reset):
    torch.manual_seed(5)
    layer = snn.RecurrentLIF(6, 0.8, 1.0, reset=reset, bias=True)
    graph = exported_node(layer)
    np.testing.assert_array_equal(graph.nodes["w_rec"].weight, layer.recurrent.weight.detach())
    np.testing.assert_array_equal(graph.nodes["w_rec"].bias, layer.recurrent.bias.detach())
    assert {("w_rec", "membrane" if reset != "zero" else "lif")} <= set(graph.edges)
    x = inputs(2, high=1.2)
    with torch.no_grad():
        spikes = layer(x)
    assert spikes.sum() > 20
    if reset != "zero":
        reference = euler_membrane_threshold(graph, x.double().numpy())
        np.testing.assert_array_equal(reference, spikes)


def test_a_cuba_lif_is_the_nir_cuba_lif():
    layer = snn.CubaLIF(0.7, 0.9, 0.6, reset="zero")
    node = exported_node(layer)
    i, v, spikes = np.zeros(6), np.zeros(6), []
    for x_t in inputs(3, high=0.4).double().numpy():
        i = i + DT / node.tau_syn * (-i + node.w_in * x_t)
        v = v + DT / node.tau_mem * (node.v_leak - v + node.r * i)
        s = v > node.v_threshold
        v = np.where(s, node.v_reset, v)
        spikes.append(s)
    ours = layer(inputs(3, high=0.4))
    assert ours.sum() > 20
    np.testing.assert_array_equal(np.array(spikes, dtype=np.float32), ours)


def test_if_is_the_nir_if_with_unit_gain_per_step():
    node = exported_node(snn.IF(0.7, reset="zero"))
    assert isinstance(node, nir.IF)
    assert np.all(node.r == 1)
    np.testing.assert_allclose(node.v_threshold, np.float32(0.7))


def test_the_leaky_integrator_is_nir_li_and_its_trace_matches():
    layer = snn.LeakyIntegrator(0.8)
    node = exported_node(layer)
    assert isinstance(node, nir.LI)
    x = inputs(4)
    v, trace = np.zeros(6), []
    for x_t in x.double().numpy():
        v = v + DT / node.tau * (node.v_leak - v + node.r * x_t)
        trace.append(v)
    np.testing.assert_allclose(np.array(trace), layer(x).double().numpy(), rtol=1e-5)


@given(arrays(np.float32, 64, elements=st.floats(2**-20, 1.0, width=32, exclude_max=True)))
def test_beta_survives_tau_and_back_in_float32(beta):
    for dt in (1e-6, 1e-4, 1e-3, 0.1):
        back = tau_to_decay(decay_to_tau(beta, dt), dt).astype(np.float32)
        np.testing.assert_array_equal(back, beta)


def test_a_nir_lif_with_any_input_gain_reads_as_the_same_spikes():
    """r = 1 (Norse's convention): gain dt / tau = 0.1, read as threshold / 0.1."""
    node = nir.LIF(
        tau=np.full(6, 1e-2),
        r=np.ones(6),
        v_leak=np.zeros(6),
        v_threshold=np.full(6, 0.15),
        v_reset=np.zeros(6),
    )
    network = from_nir(nir.NIRGraph.from_list(node), dt=DT)
    assert network.layers["lif"].threshold.item() == pytest.approx(1.5)
    x = inputs(6, high=2.0)
    spikes = network(x)
    assert spikes.sum() > 20
    np.testing.assert_array_equal(euler_lif(node, x.double().numpy()), spikes)


def test_a_nir_li_with_a_gain_reads_as_scale_then_leaky_integrator():
    node = nir.LI(tau=np.full(6, 4e-3), r=np.full(6, 2.0), v_leak=np.zeros(6))
    network = from_nir(nir.NIRGraph.from_list(node), dt=DT)
    assert [type(m).__name__ for m in network.layers.values()] == ["Scale", "LeakyIntegrator"]
    x = inputs(7)
    v, trace = np.zeros(6), []
    for x_t in x.double().numpy():
        v = v + DT / node.tau * (node.v_leak - v + node.r * x_t)
        trace.append(v)
    np.testing.assert_allclose(network(x).double().numpy(), np.array(trace), rtol=1e-5)
