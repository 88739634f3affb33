"""The neurons of a converted network on the fused kernels and the parameter cache.

A converted network (`gs.convert`) feeds its first IF layer the same currents at every step
(an expanded view, time stride 0), starts it at `v_init`, and may hold an accumulated max
pool; imported snnTorch models use `reset_delay`. These run through the kernels' repeated
input path and the layers' cached parameter checks, and must give what the reference gives.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import greenspike as gs
from greenspike import snn
from greenspike.quant import preset, quantize
from greenspike.snn.kernels import cpu


def _needs_cpu_kernel() -> None:
    if not cpu.available():
        pytest.skip("no C compiler: the fused CPU kernel cannot be built")


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    steps=st.integers(2, 9),
    v_init=st.sampled_from([0.0, 0.5, 0.25]),
    reset_delay=st.booleans(),
    grad=st.booleans(),
)
def test_an_if_layer_on_a_repeated_input_equals_the_reference(
    seed, steps, v_init, reset_delay, grad
):
    _needs_cpu_kernel()
    generator = torch.Generator().manual_seed(seed)
    current = (2 * torch.rand(3, 7, generator=generator, dtype=torch.float64)).requires_grad_(grad)
    threshold = 0.5 + torch.rand(7, generator=generator, dtype=torch.float64)
    results = {}
    for backend in ("cpu", "torch"):
        layer = snn.IF(threshold, v_init=v_init * threshold, reset_delay=reset_delay)
        layer = layer.to(torch.float64)
        layer.backend = backend
        leaf = current.detach().clone().requires_grad_(grad)
        x = leaf.unsqueeze(0).expand(steps, *leaf.shape)  # what a converted network feeds it
        spikes, state = layer(x, return_state=True)
        gradient = None
        if grad:
            weights = torch.rand(spikes.shape, generator=torch.Generator().manual_seed(1))
            ((spikes * weights.to(spikes.dtype)).sum() + state.v.sum()).backward()
            gradient = leaf.grad
        results[backend] = (spikes.detach(), state.v.detach(), gradient)
    fused, reference = results["cpu"], results["torch"]
    assert torch.equal(fused[0], reference[0])
    assert torch.allclose(fused[1], reference[1])
    if grad:
        assert torch.allclose(fused[2], reference[2])


def test_v_init_starts_each_sequence_and_step_and_a_given_state_replaces_it():
    layer = snn.IF(1.0, v_init=0.5)
    x = torch.full((3, 2, 4), 0.3)
    expected, _ = snn.IF(1.0)(x, snn.LIF.State(torch.full((2, 4), 0.5)), return_state=True)
    with torch.no_grad():  # the lean path and the cached parameters
        assert torch.equal(layer(x), expected)
        assert torch.equal(layer(x), expected)  # again, from the cache
    spike, _ = layer.step(x[0])
    assert torch.equal(spike, expected[0])
    zeros = snn.LIF.State(torch.zeros(2, 4))
    assert torch.equal(layer(x, zeros), snn.IF(1.0)(x))


def test_changing_v_init_or_reset_delay_after_a_call_takes_effect():
    x = torch.full((4, 1, 3), 0.6)
    layer = snn.IF(1.0, v_init=0.0)
    with torch.no_grad():
        before = layer(x)
        layer.v_init.fill_(0.5)
        assert torch.equal(layer(x), snn.IF(1.0, v_init=0.5)(x))
        assert not torch.equal(layer(x), before)
        leaky = snn.LIF(beta=0.9, threshold=1.0, reset="zero")
        leaky(x)
        leaky.reset_delay = True  # a setting: part of what the cached check depends on
        assert torch.equal(
            leaky(x), snn.LIF(beta=0.9, threshold=1.0, reset="zero", reset_delay=True)(x)
        )


def test_an_accumulated_max_pool_checks_its_windows_again_when_they_change():
    pool = snn.AccumulatedMaxPool2d(2)
    x = torch.rand(3, 1, 2, 4, 4)
    assert pool(x).shape == (3, 1, 2, 2, 2)
    pool.kernel_size = pool.stride = (4, 4)
    assert pool(x).shape == (3, 1, 2, 1, 1)
    pool.kernel_size = (5, 5)
    with pytest.raises(gs.errors.InvalidInputError):
        pool(x)


@pytest.mark.parametrize("precision", ["int8", "int4"])
def test_a_quantized_converted_network_with_an_accumulated_max_pool_runs(precision):
    torch.manual_seed(0)
    relu = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 10),
    )  # fmt: skip
    images = torch.rand(64, 1, 8, 8)
    converted = gs.convert(relu, images, steps=8)
    quantized = quantize(converted, preset(precision), images)
    pools = [m for m in quantized.modules() if isinstance(m, snn.AccumulatedMaxPool2d)]
    assert len(pools) == 1
    pool = pools[0]
    x = torch.randn(6, 2, 4, 4, 4)
    outputs, state = pool(x, return_state=True)
    # its state is on the grid, and its outputs add up to the pooled sum it holds
    assert torch.allclose(outputs.sum(0), state.pooled, atol=1e-5)
    assert torch.equal(pool.state_quantizers["pooled"](state.pooled), state.pooled)
    with torch.no_grad():
        assert quantized(images[:4]).shape == (8, 4, 10)
