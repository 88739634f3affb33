"""Spike statistics per layer, membrane recording, and the plots they feed."""

from __future__ import annotations

import matplotlib
import pytest
import torch
from torch import nn

from greenspike import snn

matplotlib.use("Agg")


class TwoLayers(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.first = snn.IF(threshold=1.0)
        self.second = snn.LIF(beta=0.5, threshold=100.0)  # never fires
        self.readout = snn.LeakyIntegrator(0.9)

    def forward(self, x):
        return self.readout(self.second(self.first(x)))


def test_spike_stats_counts_each_spiking_layer():
    # IF, threshold 1: neuron 0 gets 0.6/step -> fires at steps 2 and 4 (of 4); neuron 1 gets 0.
    x = torch.zeros(4, 3, 2)
    x[:, :, 0] = 0.6
    stats = snn.spike_stats(TwoLayers(), x)
    assert list(stats) == ["first", "second"]  # the readout does not spike
    first = stats["first"]
    assert (first.spikes, first.neurons, first.samples, first.sample_steps) == (6, 2, 3, 12)
    assert first.rate == pytest.approx(6 / (2 * 12))
    assert first.silent_fraction == 0.5
    assert stats["second"].spikes == 0 and stats["second"].silent_fraction == 1.0


def test_spike_stats_accumulates_over_calls_and_removes_its_hooks():
    class TwiceCalled(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lif = snn.IF()

        def forward(self, a, b):
            return self.lif(a), self.lif(b)

    model = TwiceCalled()
    stats = snn.spike_stats(model, torch.full((2, 1, 3), 1.5), torch.zeros(5, 2, 3))
    assert (stats["lif"].spikes, stats["lif"].samples, stats["lif"].sample_steps) == (6, 3, 12)
    assert not model.lif._forward_hooks


def test_record_membrane_matches_the_forward_pass():
    lif = snn.LIF(beta=0.5, reset="zero").double()
    x = torch.tensor([1.8, 0.7, 0.3], dtype=torch.float64).view(3, 1, 1)
    spikes, membrane = snn.record_membrane(lif, x)
    assert torch.equal(spikes, lif(x))
    assert membrane.flatten().tolist() == pytest.approx([0.0, 0.7, 0.65])


def test_raster_draws_one_mark_per_spike():
    spikes = torch.zeros(10, 2, 4)
    spikes[[1, 3, 3, 8], 1, [0, 2, 3, 1]] = 1
    ax = snn.plot_raster(spikes, sample=1)
    offsets = ax.collections[0].get_offsets()
    assert sorted(map(tuple, offsets.tolist())) == [(1, 0), (3, 2), (3, 3), (8, 1)]
    assert ax.get_xlabel() == "time step"
    matplotlib.pyplot.close("all")


def test_membrane_plot_draws_the_chosen_neurons_and_the_threshold():
    membrane = torch.rand(20, 1, 8)
    ax = snn.plot_membrane(membrane, threshold=1.0, neurons=[0, 5])
    lines = ax.get_lines()
    assert len(lines) == 3
    assert lines[1].get_ydata().tolist() == pytest.approx(membrane[:, 0, 5].tolist())
    assert list(lines[2].get_ydata()) == [1.0, 1.0]
    matplotlib.pyplot.close("all")


def test_plots_reject_bad_shapes_and_samples():
    with pytest.raises(ValueError, match=r"expects \[T, N\] or \[T, B, \.\.\.\], got shape \[5\]"):
        snn.plot_raster(torch.zeros(5))
    with pytest.raises(ValueError, match="sample 3 is outside the batch of 2"):
        snn.plot_membrane(torch.zeros(5, 2, 3), sample=3)
