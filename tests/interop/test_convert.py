"""ReLU network -> IF network: thresholds from known activations, folding, pooling, refusals."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn
from torch.nn import functional

import greenspike as gs
from greenspike import snn
from greenspike.interop import ConvertedNetwork, GraphNetwork, convert


def hand_built() -> nn.Sequential:
    """Linear(2, 3) with ReLU: on inputs (a, 0) the hidden activations are (a, 2a, relu(-a))."""
    first, readout = nn.Linear(2, 3), nn.Linear(3, 2)
    with torch.no_grad():
        first.weight.copy_(torch.tensor([[1.0, 0.0], [2.0, 0.0], [-1.0, 0.0]]))
        first.bias.zero_()
        readout.weight.copy_(torch.tensor([[1.0, -1.0, 0.5], [0.25, 0.5, 1.0]]))
        readout.bias.copy_(torch.tensor([0.1, -0.2]))
    return nn.Sequential(first, nn.ReLU(), readout)


def calibration_inputs() -> torch.Tensor:
    """Inputs (a, 0) for a = 0.1, 0.2, ..., 1.0: hidden activations 0.1..1, 0.2..2, zeros."""
    a = torch.arange(1, 11) / 10
    return torch.stack([a, torch.zeros(10)], 1)


def test_max_normalisation_sets_the_threshold_to_the_largest_activation():
    model = hand_built()
    network = convert(model, calibration_inputs(), normalisation="max", v_init=0.0)
    (layer,) = network.report.layers
    assert layer.threshold == pytest.approx(2.0)  # the largest of 30 activations: 2 * 1.0
    assert layer.activation_max == pytest.approx(2.0) and layer.clipped == 0.0
    neurons = network.network.layers["1"]
    assert isinstance(neurons, snn.IF) and neurons.reset == "subtract"
    assert neurons.threshold.item() == pytest.approx(2.0) and neurons.v_init is None
    readout = network.network.layers["2"]  # a spike stands for an activation of 2
    torch.testing.assert_close(readout.weight, 2 * model[2].weight)
    torch.testing.assert_close(readout.bias, model[2].bias)


def test_percentile_normalisation_takes_the_nearest_rank():
    """30 activations: 10 zeros, 0.1..1.0, 0.2..2.0. The 90th percentile is the 27th value
    in order (ceil(0.9 * 30)): the fourth largest, 1.4; 2.0, 1.8 and 1.6 lie above it."""
    network = convert(hand_built(), calibration_inputs(), percentile=90, v_init=0.5)
    (layer,) = network.report.layers
    assert layer.threshold == pytest.approx(1.4)
    assert layer.clipped == pytest.approx(3 / 30)
    neurons = network.network.layers["1"]
    assert neurons.v_init.item() == pytest.approx(0.7)  # half the threshold
    assert network.report.percentile == 90 and network.report.calibration_samples == 10


def test_the_first_layer_starts_at_half_its_threshold_the_later_ones_at_v_init_later():
    torch.manual_seed(5)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))
    x = torch.rand(50, 3)
    first, second = (convert(model, x).network.layers[k] for k in ("1", "3"))
    assert first.v_init.item() == pytest.approx(first.threshold.item() / 2)
    assert second.v_init is None  # fed spikes: from 0
    later = convert(model, x, v_init=0.0, v_init_later=0.25).network.layers
    assert later["1"].v_init is None
    assert later["3"].v_init.item() == pytest.approx(later["3"].threshold.item() / 4)
    report = convert(model, x).report
    assert (report.v_init, report.v_init_later) == (0.5, 0.0)


def test_the_spike_rates_approach_the_relu_outputs_and_the_outputs_the_logits():
    model = hand_built()
    network = convert(model, calibration_inputs(), normalisation="max", steps=400)
    x = torch.tensor([[0.35, 0.0], [0.8, 0.0], [-0.5, 0.0]])
    with torch.no_grad():
        outputs = network(x)
        hidden = network.network.layers["1"](network.network.layers["0"](x).expand(400, -1, -1))
        expected = model(x)
    assert outputs.shape == (400, 3, 2)
    torch.testing.assert_close(hidden.mean(0) * 2.0, torch.relu(model[0](x)), atol=0.01, rtol=0)
    torch.testing.assert_close(outputs.mean(0), expected, atol=0.01, rtol=0)


def test_batch_norm_folding_equals_the_unfolded_network_in_eval_mode():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(4 * 5 * 5, 6),
        nn.BatchNorm1d(6),
        nn.ReLU(),
        nn.Linear(6, 3),
    )
    model.train()
    for _ in range(5):  # running statistics that are not the initial ones
        model(torch.randn(16, 2, 5, 5) * 3 + 1)
    with torch.no_grad():
        for norm in (model[1], model[5]):
            norm.weight.uniform_(0.5, 2.0)
            norm.bias.uniform_(-1, 1)
    model.eval()
    x = torch.randn(32, 2, 5, 5) * 3 + 1
    network = convert(model, x, normalisation="max")
    assert network.report.folded == ("1", "5")
    folded_conv, folded_linear = network.network.layers["0"], network.network.layers["4"]
    with torch.no_grad():
        hidden = torch.relu(folded_conv(x))
        torch.testing.assert_close(hidden, torch.relu(model[1](model[0](x))))
        expected = model[5](model[4](model[3](model[2](model[1](model[0](x))))))
        threshold = network.report.layers[0].threshold  # the folded Linear gets spikes x it
        torch.testing.assert_close(folded_linear(hidden.flatten(1) / threshold), expected)


def test_the_source_model_is_not_changed():
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 2))
    model.train()
    before = copy.deepcopy(model.state_dict())
    convert(model, torch.randn(20, 4))
    assert model.training and all(layer.training for layer in model)
    after = model.state_dict()
    assert all(torch.equal(before[key], after[key]) for key in before)


def test_dropout_and_identity_are_removed():
    model = nn.Sequential(
        nn.Linear(4, 8), nn.Dropout(0.5), nn.ReLU(), nn.Identity(), nn.Linear(8, 2)
    )
    network = convert(model, torch.rand(50, 4))
    assert network.report.removed == ("1", "3")
    kinds = [type(layer).__name__ for layer in network.network.layers.values()]
    assert kinds == ["Linear", "IF", "Linear"]


def test_a_max_pool_before_the_first_relu_stays_one_after_it_accumulates():
    """The max pool on the input computes once (exact); the one on spikes would be an OR."""
    torch.manual_seed(2)
    model = nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1),
        nn.MaxPool2d(2),
        nn.ReLU(),
        nn.Conv2d(3, 4, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # after its ReLU: moved before it
        nn.Flatten(),
        nn.Linear(4 * 2 * 2, 3),
    )
    x = torch.rand(40, 1, 8, 8)
    network = convert(model, x, normalisation="max", steps=600)
    layers = network.network.layers
    assert list(layers) == ["0", "1", "2", "3", "5", "4", "6", "7"]
    assert type(layers["1"]) is nn.MaxPool2d
    assert isinstance(layers["5"], snn.AccumulatedMaxPool2d)
    assert network.report.accumulated_max_pools == ("5",)
    with torch.no_grad():
        torch.testing.assert_close(network(x[:8]).mean(0), model(x[:8]), atol=0.03, rtol=0)


def test_a_model_traced_by_torch_fx_converts_like_its_sequential():
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 3)
            self.fc = nn.Linear(2 * 2 * 2, 3)

        def forward(self, x):
            x = functional.max_pool2d(functional.relu(self.conv(x)), 2)
            x = functional.dropout(x, 0.2, self.training)
            return self.fc(x.view(x.size(0), -1))

    torch.manual_seed(3)
    net = Net().eval()
    sequential = nn.Sequential(net.conv, nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), net.fc)
    x = torch.rand(30, 1, 6, 6)
    traced, plain = convert(net, x), convert(sequential, x)
    kinds = [type(layer).__name__ for layer in traced.network.layers.values()]
    assert kinds == ["Conv2d", "MaxPool2d", "IF", "Flatten", "Linear"]
    with torch.no_grad():
        assert torch.equal(traced(x), plain(x))


def test_nested_sequentials_are_flattened_and_names_stay_unique():
    model = nn.Sequential(nn.Sequential(nn.Linear(3, 4), nn.ReLU()), nn.Sequential(nn.Linear(4, 2)))
    network = convert(model, torch.rand(10, 3))
    assert list(network.network.layers) == ["0_0", "0_1", "1_0"]


def test_a_network_ending_in_a_relu_scales_its_spikes_back():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    x = torch.rand(20, 3)
    network = convert(model, x, normalisation="max", steps=500)
    assert isinstance(list(network.network.layers.values())[-1], gs.interop.Scale)
    with torch.no_grad():
        torch.testing.assert_close(network(x).mean(0), model(x), atol=0.02, rtol=0)


def test_the_converted_network_is_an_ordinary_greenspike_network():
    """NIR export (the GraphNetwork inside, each step fed the input), and cost counts."""
    pytest.importorskip("nir")
    torch.manual_seed(4)
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(8, 3)
    )
    x = torch.rand(16, 1, 4, 4)
    network = convert(model, x, steps=6)
    graph = gs.interop.to_nir(network)
    again = gs.interop.from_nir(graph)
    assert isinstance(network.network, GraphNetwork)
    with torch.no_grad():
        outputs = network(x)
        assert torch.equal(again(x.expand(6, -1, -1, -1, -1)), outputs)
    report = gs.cost.count(network, x)
    assert report.samples == 16 and report.steps == 6
    layers = report.layers
    first = layers["network.layers.0"].counts  # on the input once: multiply-accumulates
    assert first.effective_macs > 0 and first.effective_acs == 0
    assert layers["network.layers.0"].steps == 1
    readout = layers["network.layers.4"].counts  # on average-pooled spikes: not binary
    assert readout.dense_macs == pytest.approx(6 * 8 * 3)
    assert layers["network.layers.1"].spike_rate is not None


def test_bad_models_and_arguments_are_refused_by_name():
    x = torch.rand(10, 3)
    refusals = [
        (nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 2)), "layer '1' (Sigmoid)"),
        (nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.BatchNorm1d(4)), "layer '2' (BatchNorm1d)"),
        (nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2)), "the model has no ReLU"),
        (nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(5, 2)), "layer '2' (Linear) cannot"),
    ]
    for model, message in refusals:
        with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
            convert(model, x)
    dead = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    with torch.no_grad():
        dead[0].bias.fill_(-10.0)
    with pytest.raises(ValueError, match=r"ReLU '1' gives no activation above 0"):
        convert(dead, x)
    model = hand_built()
    for arguments, message in [
        ({"percentile": 0}, "percentile must be in"),
        ({"v_init": 1.0}, "v_init must be a fraction"),
        ({"v_init_later": -0.1}, "v_init_later must be a fraction"),
        ({"normalisation": "mean"}, "normalisation must be one of"),
        ({"steps": 0}, "steps must be an integer >= 1"),
    ]:
        with pytest.raises(ValueError, match=message):
            convert(model, calibration_inputs(), **arguments)
    with pytest.raises(ValueError, match="calibration holds no samples"):
        convert(model, torch.zeros(0, 2))
    with pytest.raises(ValueError, match="calibration must be a tensor"):
        convert(model, 3)


def test_a_model_that_is_not_a_chain_is_refused_naming_the_node():
    class Residual(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(3, 3)

        def forward(self, x):
            return torch.relu(self.fc(x)) + x

    with pytest.raises(ValueError, match=r"Residual node 'add'.*chain of layers"):
        convert(Residual(), torch.rand(10, 3))


def test_the_network_checks_its_inputs():
    network = convert(hand_built(), calibration_inputs())
    assert isinstance(network, ConvertedNetwork)
    with pytest.raises(ValueError, match=r"takes inputs \[B, 2\]"):
        network(torch.rand(4, 3))
    with pytest.raises(ValueError, match="steps must be an integer"):
        network(torch.rand(4, 2), steps=0)
