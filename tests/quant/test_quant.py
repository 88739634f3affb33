"""Quantized twins: integer arithmetic, fixed-point state, calibration, QAT, and clear errors."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import greenspike as gs
from greenspike.cost import Precision
from greenspike.errors import InvalidInputError
from greenspike.train import build_pair, evaluate, fit, load_dataset

INT8 = gs.quant.preset("int8")


def test_a_quantized_linear_layer_is_integer_arithmetic_times_scales():
    torch.manual_seed(0)
    layer = nn.Linear(4, 3)
    x = torch.rand(5, 4)
    quantized = gs.quant.quantize(layer, INT8, calibration=x)
    weights = quantized.parametrizations.weight[0]
    w_scale = weights.scale(layer.weight)  # one per output channel
    x_scale = quantized.input_quantizer.scale
    # by hand: integers on the grids, multiplied and summed as integers, then scaled
    w_int = torch.clamp(torch.round(layer.weight / w_scale[:, None]), -127, 127).long()
    x_int = torch.clamp(torch.round(x / x_scale), 0, 255).long()  # non-negative: unsigned
    accumulator = x_int @ w_int.T  # int64, exact
    by_hand = accumulator.double() * (x_scale * w_scale).double() + layer.bias.double()
    torch.testing.assert_close(quantized(x).detach().double(), by_hand.detach(), atol=1e-6, rtol=0)
    assert w_int.abs().max() == 127  # the largest weight of some channel uses the full range
    assert x_int.max() <= 255 and quantized.input_quantizer.signed is False


def test_a_quantized_convolution_is_integer_arithmetic_times_scales():
    torch.manual_seed(1)
    conv = nn.Conv2d(2, 3, 3, padding=1, bias=False)
    x = torch.randn(2, 2, 5, 5)  # negative inputs: a signed grid
    quantized = gs.quant.quantize(conv, INT8, calibration=x)
    w_scale = quantized.parametrizations.weight[0].scale(conv.weight)
    x_scale = quantized.input_quantizer.scale
    w_int = torch.clamp(torch.round(conv.weight / w_scale[:, None, None, None]), -127, 127)
    x_int = torch.clamp(torch.round(x / x_scale), -127, 127)
    by_hand = nn.functional.conv2d(x_int.double(), w_int.double(), padding=1)
    by_hand = by_hand * (x_scale * w_scale).double()[None, :, None, None]
    assert quantized.input_quantizer.signed is True
    torch.testing.assert_close(quantized(x).detach().double(), by_hand.detach(), atol=1e-6, rtol=0)


@settings(max_examples=30, deadline=None)
@given(bits=st.integers(2, 8), seed=st.integers(0, 1000))
def test_weights_sit_on_a_symmetric_per_channel_grid(bits, seed):
    torch.manual_seed(seed)
    weight = torch.randn(6, 10)
    quantizer = gs.quant.WeightQuantizer(gs.quant.number_format(f"int{bits}", "weights"))
    scale = quantizer.scale(weight)
    levels = quantizer(weight) / scale[:, None]
    assert torch.allclose(levels, levels.round(), atol=1e-4)
    assert levels.abs().max() <= 2 ** (bits - 1) - 1 + 1e-4
    if bits == 2:  # ternary
        assert set(levels.round().unique().tolist()) <= {-1.0, 0.0, 1.0}
    # the chosen clipping is never worse than the plain largest-magnitude scale
    top = weight.abs().amax(1) / (2 ** (bits - 1) - 1)
    plain = torch.clamp(
        torch.round(weight / top[:, None]), -(2 ** (bits - 1) - 1), 2 ** (bits - 1) - 1
    )
    plain_error = ((plain * top[:, None] - weight) ** 2).sum(1)
    chosen_error = ((quantizer(weight) - weight) ** 2).sum(1)
    assert (chosen_error <= plain_error + 1e-6).all()


def test_spikes_pass_exactly_and_graded_inputs_are_rounded():
    torch.manual_seed(0)
    layer = nn.Linear(6, 2)
    spikes = (torch.rand(8, 6) > 0.5).float()
    on_spikes = gs.quant.quantize(layer, gs.quant.preset("int4"), calibration=spikes)
    assert on_spikes.input_quantizer.passes
    assert torch.equal(on_spikes.input_quantizer(spikes), spikes)
    graded = gs.quant.quantize(layer, gs.quant.preset("int4"), calibration=torch.rand(8, 6))
    rounded = graded.input_quantizer(torch.rand(8, 6))
    assert len(rounded.unique()) <= 16  # 4-bit unsigned levels


def test_neuron_state_is_fixed_point_and_saturates():
    lif = gs.snn.LIF(beta=0.9, threshold=1.0)
    x = torch.rand(6, 4, 3) * 0.6
    precision = Precision.parse("int8", "int8", "int4")  # a coarse 4-bit state: 7 levels a side
    quantized = gs.quant.quantize(lif, precision, calibration=x)
    assert type(quantized).__name__ == "FixedPointLIF" and isinstance(quantized, gs.snn.LIF)
    state_quantizer = quantized.state_quantizers["v"]
    step = state_quantizer.scale
    _, membrane = gs.snn.record_membrane(quantized, x * 3)  # beyond the calibrated range
    levels = membrane / step
    assert torch.allclose(levels, levels.round(), atol=1e-4)
    assert levels.abs().max() <= 7 + 1e-4
    # whole sequences and single steps agree, as for the float neuron
    spikes, final = quantized(x, return_state=True)
    stepped, state = [], None
    for x_t in x:
        out, state = quantized.step(x_t, state)
        stepped.append(out)
    assert torch.equal(torch.stack(stepped), spikes)
    assert torch.equal(state.v, final.v)


def test_quantize_copies_and_float_model_gives_the_float_network_back():
    torch.manual_seed(0)
    relu, spiking = build_pair("mlp", (8, 8), 10, (16,), 4, "direct")
    images = torch.rand(32, 8, 8)
    for network in (relu, spiking):
        before = [p.clone() for p in network.parameters()]
        expected = network.eval()(images)
        quantized = gs.quant.quantize(network, INT8, images)
        assert gs.quant.is_quantized(quantized) and not gs.quant.is_quantized(network)
        again = gs.quant.quantize(quantized, gs.quant.preset("int4"), images)  # from float
        plain = gs.quant.float_model(again)
        assert not gs.quant.is_quantized(plain)
        assert type(plain[1]) is nn.Linear
        assert torch.equal(plain(images), expected)
        assert all(torch.equal(a, b) for a, b in zip(before, network.parameters(), strict=True))
        assert torch.equal(network(images), expected)  # the original is untouched
        assert sum(p.numel() for p in quantized.parameters()) == sum(
            p.numel() for p in network.parameters()
        )


def test_counting_a_quantized_network_sees_its_zeros():
    layer = nn.Linear(4, 2, bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1.0, 0.001, -1.0, 0.5], [0.002, 1.0, 0.25, -0.5]]))
    x = torch.tensor([[1.0, 1.0, 1.0, 1.0]])
    assert gs.cost.count(layer, x).total.effective_acs == 8
    quantized = gs.quant.quantize(layer, gs.quant.preset("int4"), calibration=x)
    assert gs.cost.count(quantized, x).total.effective_acs == 6  # two weights round to 0


def test_without_gradients_the_quantized_weights_are_kept_until_the_weights_change(monkeypatch):
    torch.manual_seed(0)
    layer = gs.quant.quantize(nn.Linear(6, 4), INT8, calibration=torch.rand(5, 6))
    quantizer = layer.parametrizations.weight[0]
    searches = []
    search = quantizer.scale
    monkeypatch.setattr(quantizer, "scale", lambda w: searches.append(1) or search(w))
    x = torch.rand(3, 6)
    with torch.no_grad():
        first = layer(x)  # (calibration may have searched and kept them already)
        assert torch.equal(layer(x), first) and len(searches) <= 1  # kept: no new search
        layer.parametrizations.weight.original.mul_(2.0)  # written in place: searched again
        searched = len(searches)
        doubled = layer(x)
        assert len(searches) == searched + 1
        assert torch.equal(layer(x), doubled) and len(searches) == searched + 1
    by_search = layer(x)  # with gradients: searched at every call, never kept
    assert len(searches) == searched + 2 and by_search.requires_grad
    torch.testing.assert_close(doubled, by_search.detach(), rtol=0, atol=0)
    assert not torch.equal(doubled, first)


def test_gradients_pass_straight_through_for_quantization_aware_training():
    torch.manual_seed(0)
    _, spiking = build_pair("mlp", (8, 8), 10, (16,), 4, "direct")
    images, labels = torch.rand(16, 8, 8), torch.randint(0, 10, (16,))
    quantized = gs.quant.quantize(spiking, INT8, images).train()
    loss = gs.snn.loss.cross_entropy_membrane(quantized(images), labels)
    loss.backward()
    gradients = [p.grad for p in quantized.parameters() if p.requires_grad]
    assert gradients and all(g is not None and g.abs().sum() > 0 for g in gradients)


@pytest.mark.slow
def test_quantization_aware_training_beats_post_training_quantization_at_4_bits():
    train, test = load_dataset("digits")
    torch.manual_seed(0)
    twins = build_pair("mlp", (8, 8), 10, (16,), 4, "direct")
    int4 = gs.quant.preset("int4")
    for network in twins:
        fit(network, train, epochs=10, batch_size=64, lr=2e-3, seed=0)
        post_training = gs.quant.quantize(network, int4, train.images[:512])
        ptq = evaluate(post_training, test)
        fit(post_training, train, epochs=3, batch_size=64, lr=2e-4, seed=1)
        qat = evaluate(post_training, test)
        assert qat >= ptq + 0.005, (type(network[-1]).__name__, ptq, qat)


@pytest.mark.parametrize(
    ("text", "role", "message"),
    [
        (
            "int1",
            "weights",
            "weights: 'int1' is not a supported format; use fp32, fp16, bf16, int2",
        ),
        ("int17", "weights", "int2..int16"),
        ("int64", "state", "state: 'int64' is not a supported format; use .* int4..int32"),
        ("spike", "weights", "weights: 'spike'"),
        ("fp8", "activations", "activations: 'fp8' .* spike"),
    ],
)
def test_unsupported_bit_widths_name_the_role_and_the_valid_ones(text, role, message):
    with pytest.raises(InvalidInputError, match=message):
        gs.quant.number_format(text, role)


def test_unknown_preset_is_an_error():
    with pytest.raises(InvalidInputError, match="unknown precision 'int3': use one of fp32"):
        gs.quant.preset("int3")


def test_layers_that_cannot_be_quantized_are_refused_by_name():
    model = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4))
    with pytest.raises(InvalidInputError, match=r"layer '1' \(BatchNorm1d\) has weights"):
        gs.quant.quantize(model, INT8)
    with pytest.raises(InvalidInputError, match=r"layers \['9'\] are not layers of Sequential"):
        gs.quant.quantize(nn.Sequential(nn.Linear(2, 2)), INT8, layers={"9": INT8})
    snn = pytest.importorskip("snntorch")
    with pytest.raises(InvalidInputError, match="layer '1' is a snntorch Leaky"):
        gs.quant.quantize(nn.Sequential(nn.Linear(2, 2), snn.Leaky(beta=0.9)), INT8)


def test_a_host_layer_can_run_at_another_precision():
    torch.manual_seed(0)
    _, spiking = build_pair("mlp", (8, 8), 10, (16,), 4, "direct")
    images = torch.rand(32, 8, 8)
    host = gs.cost.find_profile("cmos7-int8").precision
    chip = gs.cost.find_profile("truenorth").precision
    mixed = gs.quant.quantize(spiking, chip, images, layers={"1": host})
    assert mixed[1].parametrizations.weight[0].number.name == "int8"
    assert mixed[5].layer.parametrizations.weight[0].number.name == "int2"
    assert mixed[3].state_quantizers["v"].number.name == "int20"
