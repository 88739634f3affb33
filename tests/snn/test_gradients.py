"""Gradients through time: analytic where the dynamics are linear, surrogate where they fire."""

from __future__ import annotations

import pytest
import torch

from greenspike import snn
from greenspike.snn import functional as F
from greenspike.snn import surrogate

T = 6


def test_membrane_gradient_through_time_is_beta_to_the_power_of_the_delay():
    """Without reset, v[T] = sum_t beta^(T-t) x[t]: d v[T] / d x[t] = beta^(T-t)."""
    x = torch.randn(T, 1, 1, dtype=torch.float64, requires_grad=True)
    _, state = F.lif(x, F.LIFParameters(0.7, reset="none"))
    state.v.sum().backward()
    expected = 0.7 ** torch.arange(T - 1, -1, -1, dtype=torch.float64)
    torch.testing.assert_close(x.grad.flatten(), expected)


def test_detach_reset_removes_the_reset_from_the_gradient():
    x = torch.full((T, 1, 1), 0.6, dtype=torch.float64, requires_grad=True)
    spikes, state = F.lif(x, F.LIFParameters(0.7, reset="subtract", detach_reset=True))
    assert spikes.sum() >= 2  # the reset happened, yet the gradient ignores it
    state.v.sum().backward()
    expected = 0.7 ** torch.arange(T - 1, -1, -1, dtype=torch.float64)
    torch.testing.assert_close(x.grad.flatten(), expected)

    attached = x.detach().clone().requires_grad_(True)
    F.lif(attached, F.LIFParameters(0.7, reset="subtract"))[1].v.sum().backward()
    assert not torch.allclose(attached.grad.flatten(), expected)


@pytest.mark.parametrize(
    "spike", [surrogate.atan(2.0), surrogate.fast_sigmoid(10.0), surrogate.triangle(0.8)], ids=repr
)
def test_spike_gradient_of_one_step_is_the_surrogate_at_v_minus_threshold(spike):
    x_t = torch.linspace(-1.0, 3.0, 17, dtype=torch.float64).view(1, -1).requires_grad_(True)
    v0 = F.LIFState(torch.full_like(x_t, 0.4).detach())
    spikes, _ = F.lif_step(x_t, F.LIFParameters(0.5, 1.2, surrogate=spike), v0)
    spikes.sum().backward()
    v = 0.5 * 0.4 + x_t.detach()
    torch.testing.assert_close(x_t.grad, spike.derivative(v - 1.2))


def test_surrogate_spike_gradient_matches_a_smooth_network_at_the_same_state():
    """One LIF step: the gradients w.r.t. beta and threshold equal the finite differences of
    the smooth network in which H is replaced by the surrogate's primitive."""
    spike = surrogate.sigmoid(3.0)
    x_t = torch.tensor([[0.3, 0.9, 1.4]], dtype=torch.float64)
    v_prev = torch.tensor([[0.5, 0.2, 0.1]], dtype=torch.float64)
    beta = torch.tensor(0.8, dtype=torch.float64, requires_grad=True)
    threshold = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    spikes, _ = F.lif_step(
        x_t, F.LIFParameters(beta, threshold, surrogate=spike), F.LIFState(v_prev)
    )
    spikes.sum().backward()

    def smooth(b, th):
        return spike.primitive(b * v_prev + x_t - th).sum()

    h = 1e-6
    d_beta = (smooth(0.8 + h, 1.0) - smooth(0.8 - h, 1.0)) / (2 * h)
    d_threshold = (smooth(0.8, 1.0 + h) - smooth(0.8, 1.0 - h)) / (2 * h)
    assert beta.grad.item() == pytest.approx(d_beta.item(), rel=1e-6)
    assert threshold.grad.item() == pytest.approx(d_threshold.item(), rel=1e-6)


def test_a_spiking_layer_learns_to_fire_more():
    torch.manual_seed(0)
    layer = torch.nn.Linear(4, 3)
    lif = snn.LIF(beta=0.9)
    x = torch.rand(10, 8, 4)
    optimiser = torch.optim.SGD(layer.parameters(), lr=0.5)
    before = lif(layer(x)).mean().item()
    for _ in range(20):
        loss = (1 - lif(layer(x))).pow(2).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    assert lif(layer(x)).mean().item() > before + 0.3


def test_every_neuron_passes_gradients_to_its_input():
    torch.manual_seed(0)
    x = (torch.rand(8, 2, 4) * 1.5).requires_grad_(True)
    for neuron in (
        snn.LIF(0.9),
        snn.IF(),
        snn.CubaLIF(0.5, 0.9),
        snn.ALIF(0.9, adaptation_decay=0.9, adaptation_scale=0.2),
        snn.RecurrentLIF(4, 0.9),
        snn.LeakyIntegrator(0.9),
    ):
        x.grad = None
        neuron(x).sum().backward()
        assert x.grad is not None and x.grad.abs().sum() > 0, neuron
