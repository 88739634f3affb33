"""The rate penalty and the spike recorder: values, gradients (finite differences), training."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import greenspike as gs
from greenspike.errors import InvalidInputError
from greenspike.snn import LIF, LeakyIntegrator, RatePenalty, SpikeRecorder
from greenspike.snn.lif import MIN_LEARNED_THRESHOLD


def _layers(seed: int = 0) -> list[torch.Tensor]:
    """Three "spike" tensors of different shapes, relaxed to real values in (0, 1)."""
    generator = torch.Generator().manual_seed(seed)
    shapes = [(3, 2, 4), (3, 2, 5), (3, 2, 2, 2)]
    return [
        torch.rand(shape, generator=generator, dtype=torch.float64).requires_grad_()
        for shape in shapes
    ]


@pytest.mark.parametrize("target_rate", [None, 0.3, 0.55])
def test_penalty_gradient_matches_finite_differences(target_rate):
    layers = _layers()
    penalty = RatePenalty(0.7, target_rate)
    if target_rate is not None:  # away from the hinge's kink, where no derivative exists
        assert all(abs(s.mean().item() - target_rate) > 1e-3 for s in layers)
    assert torch.autograd.gradcheck(lambda *s: penalty(s), layers, eps=1e-6, atol=1e-8)
    # and against a central difference written out by hand, on one value of each layer
    (penalty(layers)).backward()
    for s in layers:
        flat = s.detach().clone().reshape(-1)
        for index in (0, flat.numel() - 1):
            up, down = flat.clone(), flat.clone()
            up[index] += 1e-6
            down[index] -= 1e-6
            others = [t.detach() for t in layers]

            def value(changed, s=s, others=others):
                swapped = [
                    changed.reshape(s.shape) if t is s else o
                    for t, o in zip(layers, others, strict=True)
                ]
                return penalty(swapped).item()

            numeric = (value(up) - value(down)) / 2e-6
            assert s.grad.reshape(-1)[index].item() == pytest.approx(numeric, abs=1e-7)


def test_l1_penalty_is_the_mean_rate_and_the_target_penalty_a_per_layer_bound():
    spikes = [torch.tensor([[1.0, 0.0], [1.0, 1.0]]), torch.tensor([[0.0, 0.0, 0.0, 1.0]])]
    assert RatePenalty(2.0)(spikes).item() == pytest.approx(2.0 * 4 / 8)
    # layer rates 0.75 and 0.25; a target of 0.5 penalises only the first
    assert RatePenalty(2.0, 0.5)(spikes).item() == pytest.approx(2.0 * (0.25**2 + 0) / 2)
    assert RatePenalty(2.0, 0.8)(spikes).item() == 0.0


def _spiking(seed: int) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(6, 8), LIF(0.8, 0.5), nn.Linear(8, 5), LIF(0.9), nn.Linear(5, 3),
        LeakyIntegrator(0.9),
    )  # fmt: skip


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), steps=st.integers(1, 6))
def test_l1_penalty_over_weight_is_the_spike_rate_the_cost_model_counts(seed, steps):
    model = _spiking(seed)
    x = torch.rand(steps, 4, 6, generator=torch.Generator().manual_seed(seed)) * 2
    with SpikeRecorder(model) as recorder:
        model(x)
        penalty = RatePenalty(1.0)(recorder.spikes).item()
    report = gs.cost.count(model, x, batch_dim=1)
    assert penalty == pytest.approx(report.spike_rate, abs=1e-7)


def test_recorder_keeps_the_graph_and_clears_and_removes_its_hooks():
    model = _spiking(0)
    x = torch.rand(4, 5, 6) * 3
    recorder = SpikeRecorder(model)
    model(x)
    assert len(recorder.spikes) == 2 and all(s.requires_grad for s in recorder.spikes)
    RatePenalty(1.0)(recorder.spikes).backward()
    assert model[0].weight.grad is not None and model[0].weight.grad.abs().sum() > 0
    recorder.clear()
    assert recorder.spikes == []
    recorder.close()
    model(x)
    assert recorder.spikes == []  # hooks gone


@pytest.fixture
def one_thread():
    """Tiny tensors: one thread (two contend on a loaded machine, 30x slower)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_training_with_the_penalty_fires_less(one_thread):
    def rate_after_training(weight: float) -> float:
        model = _spiking(1)
        x = torch.rand(6, 64, 6, generator=torch.Generator().manual_seed(0)) * 2
        labels = (x.mean(0)[:, 0] > 1).long()
        optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
        penalty = RatePenalty(weight)
        with SpikeRecorder(model) as recorder:
            for _ in range(40):
                recorder.clear()
                loss = gs.snn.loss.cross_entropy_membrane(model(x), labels)
                loss = loss + penalty(recorder.spikes)
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
        return gs.cost.count(model, x, batch_dim=1).spike_rate

    assert rate_after_training(5.0) < 0.5 * rate_after_training(0.0)


@pytest.mark.parametrize(
    ("weight", "target", "message"),
    [
        (-1.0, None, "rate penalty weight must be a number >= 0"),
        (float("nan"), None, "rate penalty weight must be a number >= 0"),
        (1.0, 1.0, "`target_rate` must be spikes per neuron per step in"),
        (1.0, -0.1, "`target_rate` must be"),
    ],
)
def test_bad_penalties_are_refused(weight, target, message):
    with pytest.raises(InvalidInputError, match=message):
        RatePenalty(weight, target)


def test_a_model_without_spiking_layers_is_refused():
    with pytest.raises(InvalidInputError, match="no greenspike spiking layer"):
        SpikeRecorder(nn.Sequential(nn.Linear(2, 2), nn.ReLU()))
    with pytest.raises(InvalidInputError, match="at least one spiking layer"):
        RatePenalty(1.0)([])


def test_a_learned_threshold_stays_positive():
    lif = LIF(0.9, 1.0, learn_threshold=True)
    with torch.no_grad():
        lif.threshold.fill_(-0.5)
    x = torch.full((3, 1, 2), MIN_LEARNED_THRESHOLD / 2)
    # v = 0.0005 < 0.001 at the first step: no spike, although v > -0.5
    assert lif(x)[0].sum() == 0
    assert lif(x).sum() > 0  # it fires once the membrane passes the clamped threshold
