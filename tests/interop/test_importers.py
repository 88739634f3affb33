"""snnTorch, SpikingJelly and Norse models imported into greenspike give the same spikes.

Each peer runs its own model its own way (snnTorch and Norse step by step with their state,
SpikingJelly in multi-step mode); the imported network runs the whole sequence. The peers are
optional (installed with --no-deps, see the Makefile); their tests skip without them.
"""

from __future__ import annotations

import sys

import pytest
import torch
from torch import nn

from greenspike import snn
from greenspike.interop import GraphNetwork, Scale, from_norse, from_snntorch, from_spikingjelly
from greenspike.snn import surrogate

T, B, N_IN = 30, 16, 12


def inputs(seed: int, high: float = 2.0, shape: tuple[int, ...] = (N_IN,)) -> torch.Tensor:
    return high * torch.rand(T, B, *shape, generator=torch.Generator().manual_seed(seed))


def spiking_share(spikes: torch.Tensor) -> float:
    return float(spikes.mean())


# ---------------------------------------------------------------- snnTorch


@pytest.fixture
def snntorch():
    return pytest.importorskip("snntorch")


def run_snntorch(model: nn.Sequential, x: torch.Tensor) -> torch.Tensor:
    """An snnTorch Sequential of init_hidden neurons, stepped over `x` from zero state."""
    for layer in model.modules():
        if hasattr(layer, "reset_mem"):
            layer.reset_mem()
    with torch.no_grad():
        return torch.stack([model(x_t) for x_t in x])


def snntorch_neurons(snntorch):
    """Each neuron with its defaults (reset_delay=True), and variations of reset and delay."""
    return {
        "leaky": lambda: snntorch.Leaky(beta=0.9),
        "leaky-zero": lambda: snntorch.Leaky(beta=0.8, reset_mechanism="zero"),
        "leaky-none": lambda: snntorch.Leaky(beta=0.5, threshold=1.2, reset_mechanism="none"),
        # without the delay, snnTorch subtracts twice above 2 x threshold (documented): a
        # threshold above any one step's input keeps the membranes below that
        "leaky-no-delay": lambda: snntorch.Leaky(beta=0.9, threshold=3.0, reset_delay=False),
        "leaky-per-neuron": lambda: snntorch.Leaky(
            beta=torch.linspace(0.2, 1.0, 24), threshold=torch.linspace(0.5, 1.5, 24)
        ),
        "leaky-learned": lambda: snntorch.Leaky(beta=0.85, learn_beta=True, learn_threshold=True),
        "integrate": lambda: snntorch.Leaky(beta=1.0, threshold=2.0),
        "synaptic": lambda: snntorch.Synaptic(alpha=0.7, beta=0.8),
        "synaptic-zero": lambda: snntorch.Synaptic(alpha=0.7, beta=0.8, reset_mechanism="zero"),
        "synaptic-no-delay": lambda: snntorch.Synaptic(
            alpha=0.5, beta=0.5, threshold=2.0, reset_delay=False
        ),
        "rleaky": lambda: snntorch.RLeaky(beta=0.8, linear_features=24),
        "rleaky-zero": lambda: snntorch.RLeaky(
            beta=0.8, linear_features=24, reset_mechanism="zero"
        ),
    }


NEURON_KINDS = [
    "leaky",
    "leaky-zero",
    "leaky-none",
    "leaky-no-delay",
    "leaky-per-neuron",
    "leaky-learned",
    "integrate",
    "synaptic",
    "synaptic-zero",
    "synaptic-no-delay",
    "rleaky",
    "rleaky-zero",
]


@pytest.mark.parametrize("kind", NEURON_KINDS)
def test_snntorch_models_import_with_bit_identical_spikes(snntorch, kind):
    torch.manual_seed(0)
    make = snntorch_neurons(snntorch)[kind]
    hidden = make()
    hidden.init_hidden = True
    model = nn.Sequential(
        nn.Linear(N_IN, 24),
        hidden,
        nn.Linear(24, 10),
        snntorch.Leaky(beta=0.9, init_hidden=True),
    )
    x = inputs(1)
    theirs = run_snntorch(model, x)
    network = from_snntorch(model)
    with torch.no_grad():
        ours = network(x)
        hidden_spikes = network.layers["1"](network.layers["0"](x))
    assert 0.02 < spiking_share(hidden_spikes) < 0.98, "the test input should drive the layer"
    assert theirs.sum() > 20
    assert torch.equal(ours, theirs)


def test_snntorch_neurons_map_to_their_greenspike_counterparts(snntorch):
    neurons = snntorch_neurons(snntorch)

    def imported(kind):
        return from_snntorch(nn.Sequential(nn.Linear(3, 24), neurons[kind]())).layers["1"]

    leaky = imported("leaky")
    assert type(leaky) is snn.LIF and leaky.reset_delay and leaky.detach_reset
    assert not imported("leaky-zero").reset_delay  # snnTorch's delayed zero reset = immediate
    assert not imported("leaky-no-delay").reset_delay
    assert type(imported("integrate")) is snn.IF
    learned = imported("leaky-learned")
    assert {n for n, _ in learned.named_parameters()} == {"beta", "threshold"}
    synaptic = imported("synaptic-zero")
    assert type(synaptic) is snn.CubaLIF and synaptic.reset_delay and synaptic.reset == "zero"
    recurrent = imported("rleaky")
    assert type(recurrent) is snn.RecurrentLIF and recurrent.recurrent.bias is not None


def test_a_convolutional_snntorch_model_imports(snntorch):
    torch.manual_seed(2)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.MaxPool2d(2),
        snntorch.Leaky(beta=0.9, init_hidden=True),
        nn.Flatten(),
        nn.Linear(4 * 4 * 4, 5),
        snntorch.Leaky(beta=0.9, init_hidden=True),
    )
    x = inputs(3, high=3.0, shape=(1, 8, 8))
    theirs = run_snntorch(model, x)
    with torch.no_grad():
        ours = from_snntorch(model, input_shape=(1, 8, 8))(x)
    assert theirs.sum() > 20
    assert torch.equal(ours, theirs)


def test_snntorch_surrogates_map_to_the_same_shapes(snntorch):
    from snntorch import surrogate as theirs

    cases = {
        theirs.atan(alpha=3.0): surrogate.atan(3.0),
        theirs.fast_sigmoid(slope=10): surrogate.fast_sigmoid(10.0),
        theirs.sigmoid(slope=5): surrogate.sigmoid(5.0),
        theirs.triangular(): surrogate.DEFAULT_SURROGATE,  # no greenspike twin: the default
    }
    for spike_grad, expected in cases.items():
        model = nn.Sequential(nn.Linear(3, 4), snntorch.Leaky(beta=0.9, spike_grad=spike_grad))
        assert from_snntorch(model).layers["1"].surrogate == expected


@pytest.mark.filterwarnings("ignore:Inhibition is an unstable feature:UserWarning")
def test_what_snntorch_cannot_give_greenspike_is_refused_by_name(snntorch):
    refused = [
        (snntorch.Alpha(alpha=0.9, beta=0.8), r"layer '1' \(Alpha\) has no greenspike form"),
        (snntorch.Leaky(beta=0.9, inhibition=True), "uses inhibition"),
        (snntorch.Leaky(beta=0.9, graded_spikes_factor=2.0), "graded_spikes_factor"),
        (snntorch.RLeaky(beta=0.9, all_to_all=False, V=0.5), "all-to-all linear recurrence"),
    ]
    for neuron, message in refused:
        with pytest.raises(ValueError, match=message):
            from_snntorch(nn.Sequential(nn.Linear(3, 4), neuron))
    with pytest.raises(ValueError, match=r"needs input_shape .* starts with Conv2d"):
        from_snntorch(nn.Sequential(nn.Conv2d(1, 2, 3), snntorch.Leaky(beta=0.9)))


def test_a_model_that_loops_over_time_itself_is_refused_with_the_way_out(snntorch):
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(3, 4)
            self.lif = snntorch.Leaky(beta=0.9)

        def forward(self, x):
            mem = self.lif.init_leaky()
            spikes = []
            for step in range(x.shape[0]):
                spk, mem = self.lif(self.fc(x[step]), mem)
                spikes.append(spk)
            return torch.stack(spikes)

    net = Net()
    with pytest.raises(ValueError, match=r"from_snntorch takes an nn\.Sequential"):
        from_snntorch(net)
    network = from_snntorch(nn.Sequential(net.fc, net.lif))  # its layers in the loop's order
    x = inputs(4, shape=(3,))
    with torch.no_grad():
        assert torch.equal(network(x), net(x))


# ------------------------------------------------------------- SpikingJelly


@pytest.fixture
def jelly():
    neuron = pytest.importorskip("spikingjelly.activation_based.neuron")
    from spikingjelly.activation_based import functional, layer

    return neuron, layer, functional


def jelly_nodes(neuron):
    return {
        "if-subtract": lambda: neuron.IFNode(v_reset=None),
        "if-zero": lambda: neuron.IFNode(v_threshold=0.8),
        "half-threshold-if": lambda: neuron.HalfThresholdIFNode(),
        "lif-decay-input": lambda: neuron.LIFNode(tau=2.0),
        "lif-decay-input-subtract": lambda: neuron.LIFNode(tau=3.0, v_reset=None),
        "lif-no-input-decay": lambda: neuron.LIFNode(tau=4.0, decay_input=False),
        "parametric-lif": lambda: neuron.ParametricLIFNode(init_tau=3.0),
    }


JELLY_KINDS = [
    "if-subtract",
    "if-zero",
    "half-threshold-if",
    "lif-decay-input",
    "lif-decay-input-subtract",
    "lif-no-input-decay",
    "parametric-lif",
]


@pytest.mark.parametrize("kind", JELLY_KINDS)
def test_spikingjelly_multi_step_models_import_with_the_same_spikes(jelly, kind):
    neuron, layer, functional = jelly
    torch.manual_seed(5)
    model = nn.Sequential(
        layer.Linear(N_IN, 32),
        jelly_nodes(neuron)[kind](),
        layer.Dropout(0.3),
        layer.Linear(32, 10),
        neuron.IFNode(),
    )
    functional.set_step_mode(model, "m")
    model.eval()
    x = inputs(6, high=3.0)
    functional.reset_net(model)
    with torch.no_grad():
        theirs = model(x)
        network = from_spikingjelly(model)
        ours = network(x)
        hidden = network.layers["1"](network.layers["0"](x))
    assert 0.02 < spiking_share(hidden) < 0.98
    assert theirs.sum() > 20
    assert torch.equal(ours, theirs)


def test_a_spikingjelly_cnn_with_batch_norm_imports(jelly):
    """Containers flattened, batch norm folded (the same spikes up to rounding)."""
    neuron, layer, functional = jelly
    torch.manual_seed(7)
    model = nn.Sequential(
        layer.SeqToANNContainer(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4)),
        neuron.IFNode(),
        layer.MaxPool2d(2),
        layer.Flatten(),
        layer.Linear(4 * 4 * 4, 5),
        neuron.IFNode(v_threshold=0.05),
    )
    with torch.no_grad():
        model[0][1].running_mean.uniform_(-0.2, 0.2)
        model[0][1].running_var.uniform_(0.5, 2.0)
    functional.set_step_mode(model, "m")
    model.eval()
    x = inputs(8, high=2.0, shape=(1, 8, 8))
    functional.reset_net(model)
    with torch.no_grad():
        theirs = model(x)
        ours = from_spikingjelly(model, input_shape=(1, 8, 8))(x)
    assert theirs.sum() > 20
    assert (ours != theirs).float().mean() <= 0.002


def test_spikingjelly_parameters_map_as_documented(jelly):
    neuron, _, _ = jelly

    def imported(node):
        return from_spikingjelly(nn.Sequential(nn.Linear(3, 4), node)).layers["1"]

    lif = imported(neuron.LIFNode(tau=4.0, v_threshold=0.5))
    assert lif.beta.item() == pytest.approx(0.75) and lif.threshold.item() == pytest.approx(2.0)
    assert lif.reset == "zero" and lif.surrogate == surrogate.sigmoid(4.0)
    half = imported(neuron.HalfThresholdIFNode(v_threshold=2.0))
    assert type(half) is snn.IF and half.v_init.item() == 1.0 and half.reset == "subtract"
    from spikingjelly.activation_based import surrogate as theirs

    atan = imported(neuron.IFNode(surrogate_function=theirs.ATan(alpha=3.0), detach_reset=True))
    assert atan.surrogate == surrogate.atan(3.0) and atan.detach_reset


def test_what_spikingjelly_cannot_give_greenspike_is_refused_by_name(jelly):
    neuron, _, _ = jelly
    with pytest.raises(ValueError, match=r"resets to v_reset = 0.5"):
        from_spikingjelly(nn.Sequential(nn.Linear(3, 4), neuron.IFNode(v_reset=0.5)))
    with pytest.raises(ValueError, match=r"layer '1' \(QIFNode\) has no greenspike form"):
        from_spikingjelly(nn.Sequential(nn.Linear(3, 4), neuron.QIFNode()))


# -------------------------------------------------------------------- Norse


@pytest.fixture
def norse():
    return pytest.importorskip("norse.torch")


def run_norse(model, x: torch.Tensor) -> torch.Tensor:
    state, outputs = None, []
    with torch.no_grad():
        for x_t in x:
            out, state = model(x_t, state)
            outputs.append(out)
    return torch.stack(outputs)


def norse_cells(norse):
    from norse.torch.functional.reset import reset_subtract

    fast = torch.tensor(200.0)  # tau_mem_inv: K = dt * 200 = 0.2 with dt = 1 ms
    return {
        "lif-box": lambda: norse.LIFBoxCell(norse.LIFBoxParameters(tau_mem_inv=fast)),
        "lif-box-subtract": lambda: norse.LIFBoxCell(
            norse.LIFBoxParameters(tau_mem_inv=fast, reset_method=reset_subtract)
        ),
        "lif": lambda: norse.LIFCell(norse.LIFParameters(tau_mem_inv=fast)),
        "iaf": lambda: norse.IAFCell(norse.IAFParameters(v_th=torch.tensor(1.0))),
    }


@pytest.mark.parametrize("kind", ["lif-box", "lif-box-subtract", "lif", "iaf"])
def test_norse_models_import_with_the_same_spikes_and_readout(norse, kind):
    torch.manual_seed(9)
    model = norse.SequentialState(
        nn.Linear(N_IN, 32),
        norse_cells(norse)[kind](),
        nn.Linear(32, 6),
        norse.LIBoxCell(norse.LIBoxParameters(tau_mem_inv=torch.tensor(100.0))),
    )
    x = inputs(10, high=3.0)
    theirs = run_norse(model, x)
    network = from_norse(model)
    with torch.no_grad():
        ours = network(x)
        hidden = network.layers["1"](network.layers["0"](x))
        their_hidden = run_norse(norse.SequentialState(model[0], model[1]), x)
    assert 0.02 < spiking_share(hidden) < 0.98
    assert torch.equal(hidden, their_hidden)
    torch.testing.assert_close(ours, theirs)  # the readout membrane: equal up to rounding
    assert network.dt == 1e-3
    assert [type(m) for m in list(network.layers.values())[-2:]] == [Scale, snn.LeakyIntegrator]


def test_a_lifted_norse_sequence_model_imports(norse):
    torch.manual_seed(11)
    model = nn.Sequential(
        norse.Lift(nn.Linear(N_IN, 32)),
        norse.LIF(norse.LIFParameters(tau_mem_inv=torch.tensor(200.0))),
    )
    x = inputs(12, high=3.0)
    with torch.no_grad():
        theirs, _ = model[1](model[0](x))
        ours = from_norse(model)(x)
    assert theirs.sum() > 20
    assert torch.equal(ours, theirs)
    assert isinstance(from_norse(model), GraphNetwork)


def test_what_norse_cannot_give_greenspike_is_refused_by_name(norse):
    leaky = norse.LIFBoxCell(norse.LIFBoxParameters(v_leak=torch.tensor(-0.5)))
    with pytest.raises(ValueError, match=r"has v_leak = .*rest and reset at 0"):
        from_norse(nn.Sequential(nn.Linear(3, 4), leaky))
    with pytest.raises(ValueError, match=r"layer '1' \(LICell\) has no greenspike form"):
        from_norse(nn.Sequential(nn.Linear(3, 4), norse.LICell()))
    two_steps = nn.Sequential(
        nn.Linear(3, 4), norse.IAFCell(dt=1e-3), nn.Linear(4, 4), norse.IAFCell(dt=1e-4)
    )
    with pytest.raises(ValueError, match="one network, one time step"):
        from_norse(two_steps)


def test_a_missing_peer_is_named_with_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "snntorch", None)  # makes `import snntorch` fail
    with pytest.raises(ImportError, match="pip install snntorch"):
        from_snntorch(nn.Sequential(nn.Linear(2, 3)))
