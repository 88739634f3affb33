"""NIR graphs exchanged with snnTorch 1.0 and Norse 1.1, in both directions (skipped without
them). Each convention on which they differ from greenspike (and from each other) has a test
that pins it down, so that a peer release changing it shows up here.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from greenspike import snn
from greenspike.interop import from_nir, to_nir
from greenspike.snn import functional as F

nir = pytest.importorskip("nir")
# The peers call nirtorch APIs that nirtorch 2.6 deprecates: their concern, not ours.
pytestmark = pytest.mark.filterwarnings("ignore:nirtorch.*deprecated:DeprecationWarning")
T, B, N_IN, N = 25, 3, 5, 8


def inputs(seed: int, high: float = 1.0) -> torch.Tensor:
    return high * torch.rand(T, B, N_IN, generator=torch.Generator().manual_seed(seed))


def model_with(layer: nn.Module, seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(N_IN, N), layer)


def step_through(module, x: torch.Tensor) -> torch.Tensor:
    """Run an imported peer module (`out, state = module(x_t, state)`) over `x` `[T, B, ...]`."""
    outputs, state = [], None
    for x_t in x:
        out, state = module(x_t, state)
        outputs.append(out)
    return torch.stack(outputs)


# ---------------------------------------------------------------- snnTorch 1.0


@pytest.fixture
def snntorch_import():
    pytest.importorskip("snntorch")
    from snntorch.import_nir import import_from_nir

    return import_from_nir


@pytest.mark.parametrize(
    "layer",
    [
        snn.LIF(0.9, 0.8, reset="zero"),
        snn.CubaLIF(0.6, 0.8, reset="zero"),
        snn.LIF(torch.linspace(0.5, 0.95, N), reset="zero"),
    ],
    ids=["LIF", "CubaLIF", "LIF-per-neuron-beta"],
)
def test_snntorch_imports_greenspike_neurons_with_the_same_spikes(snntorch_import, layer):
    model = model_with(layer)
    theirs = snntorch_import(to_nir(model))  # dt = 1e-4: what snnTorch 1.0 assumes
    x = inputs(1, high=3.0)
    with torch.no_grad():
        ours = model(x)
        assert ours.sum() > 50
        assert torch.equal(step_through(theirs, x), ours)


def test_snntorch_imports_a_recurrent_lif(snntorch_import):
    """snnTorch 1.0 (with nirtorch 2.6) runs the subgraph itself: its recurrence lives in the
    state that each step returns."""
    recurrent = snn.RecurrentLIF(N, 0.8, 1.0, reset="zero")
    model = model_with(recurrent, seed=2)
    theirs = snntorch_import(to_nir(model))
    x = inputs(2, high=2.0)
    with torch.no_grad():
        ours = model(x)
        assert ours.sum() > 50
        assert torch.equal(step_through(theirs, x), ours)


def test_snntorch_cannot_import_the_subtract_reset_subgraph(snntorch_import):
    """snnTorch 1.0 has no NIR LI or Threshold: a subtract reset must go as 'zero'."""
    with pytest.raises(ValueError, match=r"Unknown node type .*LI"):
        snntorch_import(to_nir(model_with(snn.LIF(0.9))))


def test_snntorch_reads_nir_if_as_a_leaky_neuron(snntorch_import):
    """snnTorch 1.0 imports NIR IF as Leaky(beta=0.9): not an integrate-and-fire neuron."""
    theirs = snntorch_import(to_nir(model_with(snn.IF(reset="zero"))))
    assert theirs.get_submodule("1").beta.item() == pytest.approx(0.9)


def snntorch_graph(*modules):
    """A NIR graph from snnTorch's own per-module converter (its export_to_nir fails with nir
    1.0.8, see below)."""
    from snntorch.export_nir import _extract_snntorch_module

    nodes = [_extract_snntorch_module(m) for m in modules]
    return nir.NIRGraph.from_list(*nodes, type_check=False)  # scalar parameters: no types


def test_greenspike_imports_snntorch_neurons_with_the_same_spikes():
    snntorch = pytest.importorskip("snntorch")
    torch.manual_seed(3)
    rleaky = snntorch.RLeaky(beta=0.7, linear_features=N, reset_mechanism="zero", reset_delay=False)
    with torch.no_grad():
        rleaky.recurrent.bias.zero_()  # greenspike refuses a recurrent bias
    theirs = [
        nn.Linear(N_IN, N),
        snntorch.Leaky(beta=0.9, threshold=0.8, reset_mechanism="zero", reset_delay=False),
        nn.Linear(N, N),
        snntorch.Synaptic(alpha=0.6, beta=0.8, reset_mechanism="zero", reset_delay=False),
        nn.Linear(N, N),
        rleaky,
    ]
    ours = from_nir(snntorch_graph(*theirs), dt=1e-4)
    assert [type(layer).__name__ for layer in ours.layers.values()] == [
        "Linear", "LIF", "Linear", "CubaLIF", "Linear", "RecurrentLIF"
    ]  # fmt: skip
    x = inputs(3, high=3.0)
    expected = []
    mem1, syn2, mem2, spk3, mem3 = (torch.zeros(B, N) for _ in range(5))
    with torch.no_grad():
        for x_t in x:  # snnTorch's layers, with explicit state
            s1, mem1 = theirs[1](theirs[0](x_t), mem1)
            s2, syn2, mem2 = theirs[3](theirs[2](s1), syn2, mem2)
            spk3, mem3 = theirs[5](theirs[4](s2), spk3, mem3)
            expected.append(spk3)
        expected = torch.stack(expected)
        assert expected.sum() > 20
        assert torch.equal(ours(x), expected)


def test_snntorch_export_to_nir_fails_with_nir_1_0_8():
    """snnTorch 1.0's exporter keeps the sample's batch dimension in the Input node, and nir
    1.0.8's type inference rejects it; build graphs with its per-module converter instead."""
    snntorch = pytest.importorskip("snntorch")
    from snntorch.export_nir import export_to_nir

    net = nn.Sequential(nn.Linear(N_IN, N), snntorch.Leaky(beta=0.9, init_hidden=True))
    with pytest.raises(ValueError, match="type mismatch"):
        export_to_nir(net, torch.rand(1, N_IN))


# ------------------------------------------------------------------- Norse 1.1

DT = 1e-3


@pytest.fixture
def norse():
    return pytest.importorskip("norse.torch")


@pytest.mark.parametrize(
    "layer", [snn.IF(0.9, reset="zero"), snn.CubaLIF(0.6, 0.8, reset="zero")], ids=["IF", "CubaLIF"]
)
def test_norse_imports_greenspike_if_and_cuba_lif_with_the_same_spikes(norse, layer):
    model = model_with(layer)
    theirs = norse.from_nir(to_nir(model, dt=DT), dt=DT)
    x = inputs(4, high=3.0)
    with torch.no_grad():
        ours = model(x)
        assert ours.sum() > 50
        assert torch.equal(step_through(theirs, x), ours)


def test_norse_ignores_the_lif_input_gain(norse, caplog):
    """Norse 1.1 reads NIR LIF without `r` (it warns): its input gain is dt / tau = 1 - beta,
    not 1. Its spikes are those of greenspike's LIF on inputs scaled by 1 - beta."""
    beta = 0.75  # 1 - beta = 1/4: scaling the input is exact in floating point
    model = model_with(snn.LIF(beta, 0.2, reset="zero"))
    theirs = norse.from_nir(to_nir(model, dt=DT), dt=DT)
    assert "parameter r" in caplog.text
    x = inputs(5, high=1.5)
    with torch.no_grad():
        spikes = step_through(theirs, x)
        current = model[0](x)
        assert spikes.sum() > 20
        assert not torch.equal(spikes, model(x))
        assert torch.equal(
            spikes, F.lif(current * (1 - beta), F.LIFParameters(beta, 0.2, reset="zero"))[0]
        )


def test_greenspike_imports_norse_iaf_with_the_same_spikes(norse):
    torch.manual_seed(6)
    theirs = nn.Sequential(
        nn.Linear(N_IN, N), norse.IAFCell(norse.IAFParameters(v_th=torch.tensor(0.6)))
    )
    graph = norse.to_nir(theirs, torch.rand(N_IN))  # a sample without batch dimension
    ours = from_nir(graph, dt=DT)
    x = inputs(6, high=1.5)
    with torch.no_grad():
        expected, state = [], None
        for x_t in x:
            z, state = theirs[1](theirs[0](x_t), state)
            expected.append(z)
        expected = torch.stack(expected)
        assert expected.sum() > 50
        assert torch.equal(ours(x), expected)


def test_norse_exports_lif_time_constants_as_dt_over_tau_inverse(norse):
    """Norse 1.1 writes tau = dt / tau_mem_inv (1e-5 s here) where NIR means 1 / tau_mem_inv
    (10 ms): read with its own dt = 1 ms, tau < dt would decay by less than 0 per step, which
    greenspike refuses rather than guess."""
    cell = norse.LIFBoxCell(norse.LIFBoxParameters(tau_mem_inv=torch.tensor(100.0)))
    graph = norse.to_nir(nn.Sequential(nn.Linear(N_IN, N), cell), torch.rand(N_IN))
    np.testing.assert_allclose(graph.nodes["1"].tau, DT / 100.0)
    with pytest.raises(ValueError, match="tau must be >= dt"):
        from_nir(graph, dt=DT)


# ---------------------------------------------------------------- SpikingJelly 2.0


@pytest.fixture
def jelly_import():
    pytest.importorskip("spikingjelly.activation_based.neuron")
    from spikingjelly.activation_based.nir_exchange.from_nir import import_from_nir

    return import_from_nir


@pytest.mark.parametrize(
    "layer",
    [
        snn.LIF(0.9, 0.8, reset="zero"),
        snn.CubaLIF(0.6, 0.8, reset="zero"),
        snn.RecurrentLIF(N, 0.8, reset="zero"),
    ],
    ids=["LIF", "CubaLIF", "RecurrentLIF"],
)
def test_spikingjelly_imports_greenspike_zero_reset_neurons_with_the_same_spikes(
    jelly_import, layer
):
    model = model_with(layer, seed=7)
    theirs = jelly_import(to_nir(model))
    x = inputs(7, high=3.0)
    with torch.no_grad():
        ours = model(x)
        assert ours.sum() > 50
        assert torch.equal(step_through(theirs, x).detach(), ours)


def test_spikingjelly_reads_nir_if_as_euler_of_r_times_dt(jelly_import):
    """SpikingJelly 2.0 wants NIR IF's r = 1 / dt (v += dt r I); greenspike, Norse and snnTorch
    read r per step (v += r I): its importer refuses greenspike's IF."""
    with pytest.raises(ValueError, match=r"nir.IF.r must equal 1 / dt"):
        jelly_import(to_nir(model_with(snn.IF(reset="zero"))))


def test_spikingjelly_cannot_import_the_subtract_reset_subgraph(jelly_import):
    with pytest.raises(ValueError, match=r"Unknown node type .*LI"):
        jelly_import(to_nir(model_with(snn.LIF(0.9))))


# ------------------------------------------- handing a greenspike model back by hand


def test_a_greenspike_model_with_delayed_resets_is_snntorch_with_its_defaults():
    """Where NIR cannot carry it (a subtractive reset): train with reset_delay=True and build
    the same layers from snnTorch's defaults; the weights load as they are."""
    snntorch = pytest.importorskip("snntorch")
    torch.manual_seed(8)
    ours = nn.Sequential(
        nn.Linear(N_IN, N),
        snn.LIF(0.9, reset_delay=True),
        nn.Linear(N, 4),
        snn.LIF(0.8, 0.1, reset_delay=True),
    )
    theirs = nn.Sequential(
        nn.Linear(N_IN, N),
        snntorch.Leaky(beta=0.9, init_hidden=True),
        nn.Linear(N, 4),
        snntorch.Leaky(beta=0.8, threshold=0.1, init_hidden=True),
    )
    theirs.load_state_dict(
        {k: v for k, v in ours.state_dict().items() if k.split(".")[0] in ("0", "2")},
        strict=False,
    )
    x = inputs(8, high=3.0)
    with torch.no_grad():
        expected = ours(x)
        for layer in theirs:
            if hasattr(layer, "reset_mem"):
                layer.reset_mem()
        stepped = torch.stack([theirs(x_t) for x_t in x])
    assert expected.sum() > 20
    assert torch.equal(stepped, expected)
