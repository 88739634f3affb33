"""Counts by hand and against NeuroBench's definition (binary copy of the layer on binary input)."""

from __future__ import annotations

import copy
import json

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import greenspike as gs


def _linear_4_3() -> nn.Linear:
    torch.manual_seed(0)
    layer = nn.Linear(4, 3)
    with torch.no_grad():
        layer.weight.copy_(torch.rand(3, 4) + 0.1)  # no zero weights
    return layer


def test_linear_with_spikes_counts_effective_accumulates():
    report = gs.cost.count(_linear_4_3(), torch.tensor([[1.0, 0.0, 1.0, 0.0]]))
    total = report.total
    assert (total.dense_acs, total.effective_acs) == (12, 6)
    assert (total.dense_macs, total.effective_macs) == (0, 0)
    assert total.dense_ops == 12
    assert total.weight_reads == 15  # 12 weights + 3 biases, one step
    assert (total.spike_values, total.activation_values) == (4, 3)  # spikes in, currents out


def test_linear_with_graded_input_counts_effective_macs():
    total = gs.cost.count(_linear_4_3(), torch.tensor([[0.5, 0.0, 0.2, 0.0]])).total
    assert (total.dense_macs, total.effective_macs, total.effective_acs) == (12, 6, 0)


def test_zero_weights_are_not_effective_and_count_as_connection_sparsity():
    layer = _linear_4_3()
    with torch.no_grad():
        layer.weight[0, 0] = 0.0
        layer.weight[2, 2] = 0.0
    report = gs.cost.count(layer, torch.tensor([[1.0, 0.0, 1.0, 0.0]]))
    assert report.total.effective_acs == 4
    assert report.total.dense_acs == 12  # NeuroBench dense: every weight, zero or not
    assert report.connection_sparsity == pytest.approx(2 / 12)


def test_counts_are_per_sample():
    inputs = torch.tensor([[1.0, 0.0, 1.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    report = gs.cost.count(_linear_4_3(), inputs)
    assert report.samples == 2
    assert report.total.effective_acs == (6 + 12) / 2
    assert report.layers["Linear"].input_sparsity == pytest.approx(2 / 8)


def test_conv2d_padding_counts_only_real_inputs():
    # 3x3 input, 3x3 kernel, padding 1: each output sees 4 (corner), 6 (edge) or 9 inputs.
    conv = nn.Conv2d(1, 1, 3, padding=1)
    total = gs.cost.count(conv, torch.ones(1, 1, 3, 3)).total
    assert total.dense_acs == 4 * 4 + 4 * 6 + 9


def test_conv2d_stride_and_padding():
    # 4x4 input, padding 1, stride 2: outputs at 2x2 see 4, 6, 6 and 9 real inputs.
    conv = nn.Conv2d(1, 2, 3, padding=1, stride=2)
    input_ = torch.zeros(1, 1, 4, 4)
    input_[0, 0, 0, 0] = 0.5  # meets only output (0, 0) in each of 2 channels
    total = gs.cost.count(conv, input_).total
    assert total.dense_macs == 2 * (4 + 6 + 6 + 9)
    assert total.effective_macs == 2


@settings(max_examples=25, deadline=None)
@given(
    channels=st.integers(1, 3),
    size=st.integers(3, 7),
    kernel=st.integers(1, 3),
    stride=st.integers(1, 3),
    padding=st.integers(0, 2),
    dilation=st.integers(1, 2),
    grouped=st.booleans(),
    spikes=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_conv_counts_match_binary_copy_of_the_layer(
    channels, size, kernel, stride, padding, dilation, grouped, spikes, seed
):
    """NeuroBench's definition: effective = sum of (layer with 0/1 weights, no bias)(x != 0)."""
    generator = torch.Generator().manual_seed(seed)
    groups = channels if grouped else 1
    conv = nn.Conv2d(
        channels, 2 * groups, kernel, stride, padding, dilation=dilation, groups=groups
    )
    if dilation * (kernel - 1) + 1 > size + 2 * padding:
        return
    with torch.no_grad():
        conv.weight.mul_(torch.rand(conv.weight.shape, generator=generator) > 0.3)
    x = (torch.rand(2, channels, size, size, generator=generator) > 0.5).float()
    if not spikes:
        x = x * 0.5
    total = gs.cost.count(conv, x).total
    binary = copy.deepcopy(conv)
    with torch.no_grad():
        binary.bias.zero_()
        binary.weight.copy_(conv.weight.ne(0).float())
        effective = binary(x.ne(0).float()).sum().item() / 2
        binary.weight.fill_(1.0)
        dense = binary(torch.ones_like(x)).sum().item() / 2
    assert total.effective_ops == pytest.approx(effective)
    assert total.dense_ops == pytest.approx(dense)
    assert (total.effective_acs > 0 or total.effective_macs > 0) or effective == 0
    assert (total.dense_acs > 0) == spikes


def test_conv1d_same_padding():
    conv = nn.Conv1d(1, 1, 3, padding="same")
    total = gs.cost.count(conv, torch.ones(1, 1, 5)).total
    assert total.dense_acs == 2 + 3 + 3 + 3 + 2


def _spiking_mlp(steps: int) -> nn.Module:
    torch.manual_seed(1)

    class SpikingMLP(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1 = nn.Linear(6, 5)
            self.lif1 = gs.snn.LIF(beta=0.9, threshold=0.5)
            self.fc2 = nn.Linear(5, 2)
            self.readout = gs.snn.LeakyIntegrator(beta=0.9)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            current = self.fc1(x)
            spikes = self.lif1(current.expand(steps, *current.shape))
            return self.readout(self.fc2(spikes))

    return SpikingMLP()


def test_spiking_counts_scale_with_time_steps():
    x = torch.rand(4, 6)
    short, long = gs.cost.count(_spiking_mlp(5), x), gs.cost.count(_spiking_mlp(10), x)
    assert (short.steps, long.steps, short.samples) == (5, 10, 4)
    assert long.total.neuron_updates == 2 * short.total.neuron_updates == 2 * 5 * (5 + 2)
    assert long.total.state_accesses == 2 * short.total.state_accesses == 4 * 5 * (5 + 2)
    assert long.total.dense_acs == 2 * short.total.dense_acs == 2 * 5 * 5 * 2
    assert long.total.dense_macs == short.total.dense_macs == 6 * 5  # fc1 runs once
    assert long.layers["fc2"].counts.weight_reads == 10 * (10 + 2)
    assert long.layers["fc1"].counts.weight_reads == 30 + 5


def test_spike_counts_and_rates_by_hand():
    model = _spiking_mlp(5)
    x = torch.rand(4, 6)
    report = gs.cost.count(model, x)
    spikes = model.lif1(model.fc1(x).expand(5, 4, 5)).detach()
    fanout = model.fc2.weight.ne(0).sum(0)
    assert report.layers["lif1"].counts.spike_events == pytest.approx(spikes.sum().item() / 4)
    assert report.layers["lif1"].spike_rate == pytest.approx(spikes.mean().item())
    assert report.spike_rate == pytest.approx(spikes.mean().item())
    assert report.total.effective_acs == pytest.approx(
        (spikes.reshape(-1, 5) * fanout).sum().item() / 4
    )
    assert report.layers["readout"].spike_rate is None


def test_conv_with_time_folded_into_batch_counts_like_step_by_step():
    torch.manual_seed(2)
    conv, lif = nn.Conv2d(1, 2, 3, padding=1), gs.snn.LIF(beta=0.9, threshold=0.3)

    class Folded(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv, self.lif = conv, lif

        def forward(self, x: torch.Tensor) -> torch.Tensor:  # x [T, B, 1, 5, 5]
            steps, batch = x.shape[:2]
            return self.lif(self.conv(x.flatten(0, 1)).unflatten(0, (steps, batch)))

    x = (torch.rand(3, 4, 1, 5, 5) > 0.6).float()
    report = gs.cost.count(Folded(), [x])  # the model takes time-major input
    per_step = [gs.cost.count(conv, x_t).total for x_t in x]  # [B, 1, 5, 5] each
    assert report.samples == 4 and report.steps == 3
    conv_counts = report.layers["conv"].counts
    assert conv_counts.effective_acs == pytest.approx(sum(c.effective_acs for c in per_step))
    assert conv_counts.dense_acs == pytest.approx(sum(c.dense_acs for c in per_step))
    assert conv_counts.weight_reads == 3 * (2 * 9 + 2)
    assert report.layers["lif"].counts.neuron_updates == 3 * 2 * 25


def test_recurrent_lif_counts_recurrent_synapses():
    torch.manual_seed(3)
    layer = gs.snn.RecurrentLIF(3, beta=0.8, threshold=0.4)
    x = torch.rand(4, 2, 3)
    report = gs.cost.count(layer, [x])
    spikes = layer(x).detach()
    fanout = layer.recurrent.weight.ne(0).sum(0)
    expected = (spikes[:-1].reshape(-1, 3) * fanout).sum().item() / 2
    assert report.total.effective_acs == pytest.approx(expected)
    assert report.total.dense_acs == 4 * 9  # 4 steps x 3 x 3 per sample
    assert report.total.weight_reads == 4 * 9
    assert report.total.state_accesses == 2 * 4 * 3  # v read and written; s is no state


def test_conventional_model_is_one_step_of_macs():
    model = nn.Sequential(nn.Flatten(), nn.Linear(8, 4), nn.ReLU(), nn.Linear(4, 2))
    x = torch.rand(5, 2, 4)
    report = gs.cost.count(model, x)
    assert (report.samples, report.steps, report.spike_rate) == (5, 1, None)
    assert report.total.dense_macs == 8 * 4 + 4 * 2
    assert report.total.neuron_updates == 0
    relu = model[2](model[1](x.flatten(1)))
    assert report.activation_sparsity == pytest.approx((relu == 0).float().mean().item())
    nonzero_hidden = (relu != 0).sum().item() / 5
    assert report.layers["3"].counts.effective_macs == pytest.approx(nonzero_hidden * 2)


def test_in_place_changes_after_an_activation_are_seen():
    class ShiftAfterReLU(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.relu, self.fc = nn.ReLU(), nn.Linear(4, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            hidden = self.relu(x)
            hidden += 1.0  # no zeros left
            return self.fc(hidden.flatten(1))

    report = gs.cost.count(ShiftAfterReLU(), -torch.rand(2, 4))
    assert report.layers["relu"].output_sparsity == 1.0
    assert report.layers["fc"].counts.effective_acs == 4 * 3  # all ones: binary, none zero


@settings(max_examples=10, deadline=None)
@given(batch_size=st.integers(1, 7), seed=st.integers(0, 100))
def test_batching_does_not_change_per_inference_counts(batch_size, seed):
    torch.manual_seed(seed)
    x = torch.rand(7, 6)
    whole = gs.cost.count(_spiking_mlp(4), x)
    chunked = gs.cost.count(_spiking_mlp(4), x, batch_size=batch_size)
    assert chunked.samples == whole.samples == 7
    for name, value in whole.total.to_dict().items():
        assert getattr(chunked.total, name) == pytest.approx(value), name


def test_profile_leaves_the_model_unchanged():
    model = _spiking_mlp(3)
    x = torch.rand(2, 6)
    before = model(x)
    gs.cost.count(model, x)
    assert not model._forward_hooks and not model.fc1._forward_hooks
    assert torch.equal(model(x), before)


def test_report_is_json_serialisable():
    report = gs.cost.count(_spiking_mlp(3), torch.rand(2, 6))
    data = json.loads(json.dumps(report.to_dict()))
    assert data["steps"] == 3 and data["samples"] == 2
    assert [layer["name"] for layer in data["layers"]] == ["fc1", "lif1", "fc2", "readout"]
    assert data["total"]["dense_ops"] == report.total.dense_ops
    assert data["parameter_bytes"] == 4 * (6 * 5 + 5 + 5 * 2 + 2)  # beta, threshold: buffers


@pytest.mark.parametrize(
    ("inputs", "batch_size", "message"),
    [
        ("images", None, "inputs must be a tensor"),
        (torch.tensor(1.0), None, "non-empty batch"),
        (torch.rand(2, 6), 0, "batch_size must be a positive integer"),
    ],
)
def test_bad_arguments_are_named(inputs, batch_size, message):
    with pytest.raises(ValueError, match=message):
        gs.cost.count(_spiking_mlp(2), inputs, batch_size=batch_size)


def test_model_without_countable_layers_is_refused():
    with pytest.raises(ValueError, match=r"no layer greenspike\.cost can count"):
        gs.cost.count(nn.Flatten(), torch.rand(2, 3))


def test_cost_is_reachable_from_the_package():
    assert "cost" in dir(gs)
    assert gs.cost.count is gs.cost.counting.count


@pytest.mark.parametrize("dtype", [torch.float16, torch.float64])
def test_counts_do_not_depend_on_the_model_precision(dtype):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(144, 3))
    x = torch.rand(5, 1, 6, 6)
    reference = gs.cost.count(model, x).total
    assert gs.cost.count(model.to(dtype), x.to(dtype)).total == reference


@pytest.mark.parametrize(
    ("neuron", "state_variables"),
    [
        (gs.snn.LIF(beta=0.9), 1),
        (gs.snn.IF(), 1),
        (gs.snn.CubaLIF(alpha=0.8, beta=0.9), 2),  # synaptic current i and membrane v
        (
            gs.snn.ALIF(beta=0.9, adaptation_decay=0.9, adaptation_scale=0.5),
            2,
        ),  # v and adaptation a
        (gs.snn.LeakyIntegrator(beta=0.9), 1),
    ],
)
def test_every_state_variable_is_read_and_written_at_every_update(neuron, state_variables):
    report = gs.cost.count(neuron, [torch.rand(6, 3, 4)])
    assert report.total.neuron_updates == 6 * 4
    assert report.total.state_accesses == 2 * state_variables * 6 * 4
