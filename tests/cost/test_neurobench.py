"""NeuroBench's definitions on hand-built cases, the peers' neurons, and what is refused.

Side by side with NeuroBench 2.3.0 itself where it is installed (`pip install neurobench==2.3.0
--no-deps`, as the Makefile does): synaptic operations, membrane updates and activation
sparsity of the same snnTorch model agree exactly.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

import greenspike as gs
from greenspike.errors import InvalidInputError


def test_neuron_updates_count_every_step_membrane_updates_only_changes():
    lif = gs.snn.LIF(beta=0.5, threshold=1.0)
    x = torch.tensor([[[0.0, 1.0]], [[0.0, 0.0]], [[0.0, 0.0]]])  # [T=3, B=1, N=2]
    total = gs.cost.count(lif, x).total
    assert total.neuron_updates == 3 * 2  # every neuron, every step
    # step 0 counts both; neuron 0 stays at 0 after; neuron 1 decays 1 -> 0.5 -> 0.25
    assert total.membrane_updates == 2 + 1 + 1


def test_a_membrane_held_at_zero_after_a_reset_is_not_updated():
    lif = gs.snn.LIF(beta=0.5, threshold=0.5, reset="zero")
    x = torch.tensor([[[2.0]], [[0.0]], [[0.0]]])  # fires at step 0, reset to 0, stays 0
    report = gs.cost.count(lif, x)
    assert report.total.spike_events == 1
    assert (report.total.neuron_updates, report.total.membrane_updates) == (3, 1)


def test_membrane_updates_of_a_readout_and_of_a_fixed_point_layer():
    readout = gs.snn.LeakyIntegrator(beta=1.0)
    x = torch.tensor([[[1.0, 0.0]], [[0.0, 0.0]], [[1.0, 0.0]]])
    assert gs.cost.count(readout, x).total.membrane_updates == 2 + 0 + 1
    quantized = gs.quant.quantize(readout, gs.quant.preset("int8"), x)
    assert gs.cost.count(quantized, x).total.membrane_updates == 2 + 0 + 1


def test_signed_spikes_are_accumulates_not_multiply_accumulates():
    layer = nn.Linear(4, 3)
    with torch.no_grad():
        layer.weight.fill_(0.5)
    signed = gs.snn.encode.delta(torch.tensor([[0.0, 1.0], [1.0, 1.0], [0.0, 2.0]]), 0.5)
    assert set(signed.unique().tolist()) == {-1.0, 0.0, 1.0}
    x = torch.tensor([[1.0, 0.0, -1.0, 0.0]])
    total = gs.cost.count(layer, x).total
    assert (total.effective_acs, total.dense_acs) == (2 * 3, 4 * 3)
    assert (total.effective_macs, total.dense_macs) == (0, 0)
    assert total.spike_values == 4 * 2  # a signed spike takes two bits
    graded = gs.cost.count(layer, torch.tensor([[1.0, 0.0, -0.5, 0.0]])).total
    assert (graded.effective_macs, graded.effective_acs) == (2 * 3, 0)


@pytest.mark.parametrize(
    ("layer", "name"),
    [
        (nn.Conv3d(1, 2, 3), "Conv3d"),
        (nn.LSTM(4, 3), "LSTM"),
        (nn.Embedding(10, 4), "Embedding"),
    ],
)
def test_layers_that_cannot_be_counted_are_refused_by_name(layer, name):
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.head = nn.Linear(4, 4)
            self.odd = layer

        def forward(self, x):
            if isinstance(self.odd, nn.Conv3d):
                return self.odd(x.reshape(1, 1, 4, 4, 4))
            if isinstance(self.odd, nn.Embedding):
                return self.odd(x.long().clamp(0, 9))
            return self.odd(self.head(x))[0]

    with pytest.raises(InvalidInputError, match=rf"layer 'odd' \({name}\) has weights"):
        gs.cost.count(Model(), torch.rand(16, 4) if name != "Conv3d" else torch.rand(64))


def test_a_layer_with_weights_that_never_runs_is_not_refused():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.used, self.unused = nn.Linear(4, 2), nn.LSTM(2, 2)

        def forward(self, x):
            return self.used(x)

    assert gs.cost.count(Model(), torch.rand(3, 4)).total.dense_macs == 8


def test_time_major_inputs_split_along_time_are_an_error_not_a_guess():
    model = nn.Sequential(nn.Linear(6, 5), gs.snn.LIF(beta=0.9))
    x = torch.rand(8, 12, 6)  # [T=8, B=12, N]
    whole = gs.cost.count(model, [x])
    assert whole.samples == 12  # from the neurons' [T, B, ...] input, not the first dimension
    with pytest.raises(InvalidInputError, match=r"time-major inputs .* need batch_dim=1"):
        gs.cost.count(model, [x], batch_size=4)
    split = gs.cost.count(model, [x], batch_size=5, batch_dim=1)
    assert split.samples == 12
    assert split.total.to_dict() == pytest.approx(whole.total.to_dict())


def test_neuron_layers_that_disagree_on_the_batch_are_an_error():
    class TwoBatches(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = gs.snn.LIF(beta=0.9), gs.snn.LIF(beta=0.9)

        def forward(self, x):
            self.b(x.transpose(0, 1))  # treats [T, B] as [B, T]
            return self.a(x)

    with pytest.raises(InvalidInputError, match="batch dimension cannot be inferred"):
        gs.cost.count(TwoBatches(), [torch.rand(3, 5, 2)])


# --- the peers' neurons -------------------------------------------------------------------


class _Stepper(nn.Module):
    """Runs a step-by-step network over `[B, T, F]`, as NeuroBench's snnTorch wrapper does."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        from snntorch import utils

        utils.reset(self.net)
        return torch.stack([self.net(x[:, t])[0] for t in range(x.shape[1])])


def _snntorch_network(bias: bool) -> nn.Sequential:
    snn = pytest.importorskip("snntorch")
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(20, 16, bias=bias),
        snn.Leaky(beta=0.9, init_hidden=True),
        nn.Linear(16, 4, bias=bias),
        snn.Leaky(beta=0.9, init_hidden=True, output=True),
    )


@pytest.mark.parametrize(("bias", "density"), [(True, 0.3), (False, 0.05)])
def test_snntorch_model_agrees_with_neurobench_side_by_side(bias, density):
    pytest.importorskip("neurobench")
    from neurobench.benchmarks import Benchmark
    from neurobench.metrics.workload import (
        ActivationSparsity,
        MembraneUpdates,
        SynapticOperations,
    )
    from neurobench.models import SNNTorchModel

    net = _snntorch_network(bias)
    torch.manual_seed(1)
    data = (torch.rand(8, 6, 20) < density).float()  # [B, T, F]
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(data, torch.zeros(8, dtype=torch.long)), batch_size=8
    )
    metrics = [SynapticOperations, MembraneUpdates, ActivationSparsity]
    theirs = Benchmark(SNNTorchModel(net), loader, [], [], [[], metrics]).run()
    ours = gs.cost.count(_Stepper(net), data)
    operations = theirs["SynapticOperations"]
    assert ours.total.effective_acs == operations["Effective_ACs"]
    assert ours.total.effective_macs == operations["Effective_MACs"]
    assert ours.total.dense_ops == operations["Dense"]
    assert ours.total.membrane_updates == theirs["MembraneUpdates"]
    assert ours.activation_sparsity == pytest.approx(theirs["ActivationSparsity"])
    assert (ours.samples, ours.steps) == (8, 6)
    assert ours.total.neuron_updates == 6 * (16 + 4)
    if not bias:  # sparse input, no bias: some membranes stay at rest
        assert ours.total.membrane_updates < ours.total.neuron_updates


def test_snntorch_synaptic_counts_two_state_variables():
    snn = pytest.importorskip("snntorch")
    net = nn.Sequential(
        nn.Linear(5, 3), snn.Synaptic(alpha=0.8, beta=0.9, init_hidden=True, output=True)
    )
    report = gs.cost.count(_Stepper(net), torch.rand(4, 7, 5))
    neuron = report.layers["net.1"]
    assert (neuron.kind, neuron.neurons, neuron.steps) == ("neuron", 3, 7)
    assert neuron.counts.state_accesses == 2 * 2 * 7 * 3  # syn and mem, read and written


@pytest.mark.parametrize("step_mode", ["s", "m"])
def test_spikingjelly_lif_node_in_either_step_mode(step_mode):
    neuron_module = pytest.importorskip("spikingjelly.activation_based.neuron")
    from spikingjelly.activation_based import functional as sj_functional

    node = neuron_module.LIFNode(tau=2.0, step_mode=step_mode)

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc, self.node = nn.Linear(6, 4), node

        def forward(self, x):  # x [T, B, 6]
            current = self.fc(x)
            if step_mode == "m":
                return self.node(current)
            return torch.stack([self.node(c) for c in current])

    torch.manual_seed(0)
    model = Model()
    x = torch.rand(5, 3, 6)
    x[:2] = 0.0  # no input for two steps: the membranes rest at 0 at step 1
    with torch.no_grad():
        model.fc.bias.zero_()
    report = gs.cost.count(model, [x])
    layer = report.layers["node"]
    assert (report.samples, layer.steps, layer.neurons) == (3, 5, 4)
    assert layer.counts.neuron_updates == 5 * 4
    assert layer.counts.state_accesses == 2 * 5 * 4
    assert node.step_mode == step_mode  # the model is left as it was
    # the membranes stepped by hand in single-step mode: v after each step
    sj_functional.reset_net(node)
    node.step_mode = "s"
    expected, previous = 0, None
    with torch.no_grad():
        for current in model.fc(x):
            node(current)
            v = node.v.clone()
            expected += v.numel() if previous is None else int((v != previous).sum())
            previous = v
    assert layer.counts.membrane_updates == expected / 3
    assert layer.counts.membrane_updates < layer.counts.neuron_updates


@pytest.mark.parametrize("cell", [True, False])
def test_norse_lif_cell_and_sequence(cell):
    norse = pytest.importorskip("norse.torch")

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(6, 4)
            self.lif = norse.LIFCell() if cell else norse.LIF()

        def forward(self, x):  # [T, B, 6]
            current = self.fc(x)
            if not cell:
                return self.lif(current)[0]
            state, outputs = None, []
            for c in current:
                z, state = self.lif(c, state)
                outputs.append(z)
            return torch.stack(outputs)

    torch.manual_seed(0)
    report = gs.cost.count(Model(), [torch.rand(5, 3, 6) * 4])
    layer = report.layers["lif"]
    assert (report.samples, layer.steps, layer.neurons) == (3, 5, 4)
    assert layer.counts.state_accesses == 2 * 2 * 5 * 4  # v and i
    assert layer.counts.membrane_updates == 5 * 4  # driven every step: every membrane moves


def test_peer_neurons_greenspike_does_not_know_are_refused_by_name():
    snn = pytest.importorskip("snntorch")
    model = nn.Sequential(nn.Linear(4, 4), snn.Alpha(alpha=0.9, beta=0.8, init_hidden=True))
    with pytest.raises(InvalidInputError, match="layer '1' is a snntorch Alpha, a neuron"):
        gs.cost.count(model, torch.rand(2, 4))
