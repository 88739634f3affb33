"""`gs.deploy`: the event-driven engine gives the trained network's own outputs."""

from __future__ import annotations

import functools
import itertools

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import greenspike as gs
from greenspike.data.digits import load_digits
from greenspike.engine import DenseStage, EventStage, NeuronStage, deploy
from greenspike.errors import InvalidInputError
from greenspike.snn import IF, LIF, LeakyIntegrator
from greenspike.train.loop import fit
from greenspike.train.models import OverTime, build_pair


def dyadic_linear(inputs: int, outputs: int, generator: torch.Generator) -> nn.Linear:
    """A Linear whose weights and bias are multiples of 1/64: its sums are exact in float32."""
    linear = nn.Linear(inputs, outputs)
    with torch.no_grad():
        linear.weight.copy_(torch.randint(-24, 25, linear.weight.shape, generator=generator) / 64)
        linear.bias.copy_(torch.randint(-8, 9, linear.bias.shape, generator=generator) / 64)
    return linear


def spiking_network(widths, betas, resets, generator) -> nn.Sequential:
    layers: list[nn.Module] = []
    for (a, b), beta, reset in zip(itertools.pairwise(widths), betas, resets, strict=False):
        layers.append(OverTime(nn.Sequential(dyadic_linear(a, b, generator))))
        layers.append(IF(reset=reset) if beta == 1.0 else LIF(beta=beta, reset=reset))
    layers += [OverTime(dyadic_linear(widths[-1], 3, generator)), LeakyIntegrator(beta=0.8)]
    return nn.Sequential(*layers)


@settings(max_examples=30, deadline=None)
@given(
    widths=st.lists(st.integers(1, 300), min_size=2, max_size=4),
    betas=st.lists(st.sampled_from([0.5, 0.9, 0.95, 1.0]), min_size=3, max_size=3),
    resets=st.lists(st.sampled_from(["subtract", "zero", "none"]), min_size=3, max_size=3),
    steps=st.integers(1, 8),
    batch=st.integers(1, 5),
    rate=st.sampled_from([0.0, 0.01, 0.05, 0.2, 0.5, 1.0]),
    seed=st.integers(0, 2**16),
)
def test_engine_spikes_equal_the_training_path(widths, betas, resets, steps, batch, rate, seed):
    g = torch.Generator().manual_seed(seed)
    model = spiking_network(widths, betas, resets, g)
    x = (torch.rand(steps, batch, widths[0], generator=g) < rate).float()
    engine = deploy(model)
    assert all(isinstance(stage, EventStage) for stage in engine.stages)
    with torch.no_grad():
        expected = model(x)
        hidden = model[:2](x)
    assert torch.equal(engine(x), expected)
    # Each layer's spikes, not only the readout: the first stage alone.
    first = deploy(model[:2])
    assert torch.equal(first(x), hidden)
    assert first.events == int(x.sum())


@functools.cache
def trained_digits_twin(encoding: str) -> tuple[nn.Module, torch.Tensor]:
    """A spiking twin trained briefly on the digits, and 300 test images."""
    train, test = load_digits("train"), load_digits("test")
    torch.manual_seed(0)
    _, spiking = build_pair("mlp", (8, 8), 10, (64,), 8, encoding)
    part = gs.data.LabelledImages(train.images[:600], train.labels[:600])
    fit(spiking, part, epochs=1, batch_size=64, lr=1e-2, seed=0)
    return spiking.eval(), test.images[:300].float()


def hidden_spikes(network, images):
    torch.manual_seed(3)
    with torch.no_grad():
        return network[: len(network) - 3](images)


@pytest.mark.slow  # trains a twin (shared with the tests after it)
def test_float32_differs_from_the_training_path_only_within_rounding():
    model, images = trained_digits_twin("rate")
    engine = deploy(model)
    torch.manual_seed(3)
    out = engine(images)
    torch.manual_seed(3)
    with torch.no_grad():
        expected = model(images)
    # The readout membranes agree to float32 rounding; the hidden spikes agree except where a
    # membrane lands within rounding of the threshold: measured, well under 1 in 10,000.
    assert torch.allclose(out, expected, atol=1e-4)
    torch.manual_seed(3)
    engine_hidden = deploy(model[: len(model) - 3])(images)
    differing = (engine_hidden != hidden_spikes(model, images)).float().mean()
    assert differing < 1e-4
    assert torch.equal(out.argmax(-1), expected.argmax(-1)) or (
        (out.argmax(-1) != expected.argmax(-1)).float().mean() < 0.01
    )


def test_int8_network_equals_the_fake_quantized_training_path_within_rounding():
    model, images = trained_digits_twin("rate")
    quantized = gs.quant.quantize(model, gs.quant.preset("int8"), calibration=images[:100])
    engine = deploy(quantized)
    int8_stages = [s for s in engine.stages if isinstance(s, EventStage)]
    assert int8_stages and all(s.layer.rows.dtype == torch.int8 for s in int8_stages)
    assert all(s.layer.grid is not None for s in int8_stages)  # the int16 state's grid
    torch.manual_seed(3)
    out = engine(images)
    torch.manual_seed(3)
    with torch.no_grad():
        expected = quantized(images)
    # The engine sums int8 levels exactly in int32 and scales once; the training path sums the
    # products level x scale in float32. Same spikes but where that rounding crosses a
    # threshold; a readout membrane can round to the neighbouring step of its fixed-point grid
    # (and carry that step, decayed, into the next ones).
    step = int8_stages[-1].layer.grid.step
    differing = (out - expected).abs()
    assert differing.max() <= 4 * step
    assert (differing > 0).float().mean() < 1e-3
    torch.manual_seed(3)
    engine_hidden = deploy(quantized[: len(quantized) - 3])(images)
    assert (engine_hidden != hidden_spikes(quantized, images)).float().mean() < 1e-4


def test_direct_encoding_keeps_the_first_layer_dense():
    model, images = trained_digits_twin("direct")
    engine = deploy(model)
    kinds = [type(stage).__name__ for stage in engine.stages]
    assert kinds[:3] == ["DenseStage"] * 3  # Flatten, Linear on pixels, Encoder
    assert kinds[3] == "NeuronStage"  # the LIF on the pixels' currents
    assert engine.event_driven == ("5",)  # the readout: its inputs are spikes
    with torch.no_grad():
        assert torch.allclose(engine(images), model(images), atol=1e-4)


def test_conv_layers_run_dense_with_the_same_outputs():
    torch.manual_seed(0)
    _, model = build_pair("cnn", (8, 8), 10, (4,), 4, "direct")
    images = torch.rand(6, 8, 8)
    engine = deploy(model)
    assert any(
        isinstance(stage, DenseStage) and isinstance(stage.module, nn.Conv2d)
        for stage in engine.stages
    )
    with torch.no_grad():
        assert torch.allclose(engine(images), model(images), atol=1e-5)


def test_a_spike_free_input_does_no_accumulation():
    g = torch.Generator().manual_seed(0)
    model = spiking_network([50, 40, 30], [0.9, 0.9, 0.9], ["subtract"] * 3, g)
    engine = deploy(model)
    engine(torch.zeros(6, 2, 50))
    first = engine.stages[0]
    assert isinstance(first, EventStage) and first.events == 0
    engine(torch.eye(50)[None, :2].expand(6, 2, 50).contiguous())
    assert first.events == 12  # one spike per sample and step


def test_streaming_equals_the_batched_run():
    model, images = trained_digits_twin("rate")
    engine = deploy(model)
    assert engine.stream_start == 1  # after the encoder: a stream takes spikes
    torch.manual_seed(3)
    spikes = model[0](images[:3])  # [T, B, 8, 8]
    whole = nn.Sequential(*model[1:])
    with torch.no_grad():
        expected = whole(spikes)
    for batch in (1, 3):
        stream = engine.stream(batch)
        stepped = torch.stack([stream.step(frame[:batch]) for frame in spikes])
        assert torch.allclose(stepped, expected[:, :batch], atol=1e-4)
    with pytest.raises(InvalidInputError, match=r"a step's input must be \[1, ...\]"):
        engine.stream().step(spikes[0])


def test_the_reference_backend_gives_the_same_outputs():
    g = torch.Generator().manual_seed(4)
    model = spiking_network([30, 20], [0.9], ["zero"], g)
    x = (torch.rand(5, 3, 30, generator=g) < 0.3).float()
    assert torch.equal(deploy(model, backend="reference")(x), deploy(model)(x))


def test_bad_arguments_are_named():
    with pytest.raises(InvalidInputError, match=r"deploy takes an nn\.Sequential"):
        deploy(nn.Linear(3, 3))
    with pytest.raises(InvalidInputError, match="backend must be one of"):
        deploy(nn.Sequential(nn.Linear(3, 3)), backend="gpu")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="batch must be an integer >= 1"):
        deploy(nn.Sequential(nn.Linear(3, 3))).stream(0)


def test_gs_deploy_is_the_public_name():
    assert gs.deploy is deploy


def test_quantized_dense_layers_hold_their_rounded_weights():
    model, images = trained_digits_twin("direct")
    quantized = gs.quant.quantize(model, gs.quant.preset("int8"), calibration=images[:100])
    engine = deploy(quantized)
    first = engine.stages[1]  # the Linear on pixels: dense, its inputs on an int8 grid
    assert isinstance(first, DenseStage) and isinstance(first.module, nn.Linear)
    assert not torch.nn.utils.parametrize.is_parametrized(first.module, "weight")
    assert torch.equal(first.module.weight, quantized[1].weight)
    with torch.no_grad():
        flat = images.flatten(1)
        assert torch.equal(first.run(flat)[0], quantized[1](flat))
        out, expected = engine(images), quantized(images)
    differing = (out - expected).abs()
    assert differing.max() <= 4 * engine.stages[-1].layer.grid.step
    assert (differing > 0).float().mean() < 1e-3


def test_neurons_after_conv_layers_run_in_the_kernel_per_channel():
    torch.manual_seed(0)
    _, model = build_pair("cnn", (8, 8), 10, (4, 6), 5, "rate")
    model[3].beta = torch.linspace(0.5, 1.0, 4).view(4, 1, 1)  # a beta per channel
    engine = deploy(model)
    neurons = [stage for stage in engine.stages if isinstance(stage, NeuronStage)]
    assert len(neurons) == 2
    images = torch.rand(3, 8, 8)
    torch.manual_seed(1)
    out = engine(images)
    torch.manual_seed(1)
    with torch.no_grad():
        expected = model(images)
    assert torch.equal(out, expected)  # the same arithmetic on the same currents
