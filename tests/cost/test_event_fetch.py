"""Weight fetch as a profile property: dense, event-driven and resident, counted by hand."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import greenspike as gs

from .test_profiles import VALID


def _two_layer_spiking_network() -> nn.Sequential:
    """5 inputs -> 4 LIF -> 2 outputs, every weight 1: a neuron fires whenever an input spikes.

    beta 0 and reset to zero: the membrane is the step's input, so the spikes are known.
    """
    network = nn.Sequential(
        nn.Linear(5, 4, bias=False),
        gs.snn.LIF(beta=0.0, threshold=0.5, reset="zero"),
        nn.Linear(4, 2, bias=False),
    )
    with torch.no_grad():
        for layer in (network[0], network[2]):
            layer.weight.fill_(1.0)
    return network


def test_event_driven_reads_are_spikes_times_fan_out_by_hand():
    spikes = torch.zeros(3, 1, 5)  # [T, B, N]: three input spikes over three steps
    spikes[0, 0, 0] = spikes[0, 0, 3] = spikes[2, 0, 2] = 1.0
    report = gs.cost.count(_two_layer_spiking_network(), [spikes])
    first, lif, second = (report.layers[name] for name in ("0", "1", "2"))
    # input spikes: 3 events x fan-out 4; every hidden neuron fires at steps 0 and 2: 8 x 2
    assert first.counts.event_weight_reads == 3 * 4
    assert second.counts.event_weight_reads == 8 * 2
    assert lif.counts.spike_events == 8
    assert report.total.event_weight_reads == 12 + 16
    # dense fetch reads every weight at every step: 3 steps x (20 + 8) weights
    assert report.total.weight_reads == 3 * (20 + 8)
    # all weights are non-zero: the event reads equal the effective accumulates
    assert report.total.effective_acs == report.total.event_weight_reads


def test_event_reads_count_zero_weights_but_effective_operations_do_not():
    layer = nn.Linear(3, 2, bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1.0, 0.0, 2.0], [0.0, 0.0, 3.0]]))
    total = gs.cost.count(layer, torch.tensor([[1.0, 1.0, 0.0]])).total
    assert total.event_weight_reads == 2 * 2  # two input spikes, each meets its 2 weights
    assert total.effective_acs == 1  # only input 0 meets a non-zero weight


def test_a_corner_spike_of_a_padded_convolution_fetches_its_border_fan_out():
    conv = nn.Conv2d(1, 2, 3, padding=1, bias=False)
    image = torch.zeros(1, 1, 3, 3)
    image[0, 0, 0, 0] = 1.0  # a corner: it reaches 2 x 2 output positions in each channel
    total = gs.cost.count(conv, image).total
    assert total.event_weight_reads == 4 * 2
    image[0, 0, 0, 0], image[0, 0, 1, 1] = 0.0, 1.0  # the centre reaches all 3 x 3 positions
    assert gs.cost.count(conv, image).total.event_weight_reads == 9 * 2


def test_recurrent_spikes_fetch_the_recurrent_fan_out():
    neuron = gs.snn.RecurrentLIF(3, beta=0.0, threshold=0.5, reset="zero")
    x = torch.zeros(2, 1, 3)
    x[0, 0, 1] = 1.0  # one spike at step 0, fed back at step 1 to 3 neurons
    report = gs.cost.count(neuron, x)
    spikes_at_step_0 = 1
    assert report.total.event_weight_reads == spikes_at_step_0 * 3


@pytest.mark.parametrize(("fetch", "reads"), [("dense", 3 * 28), ("event", 28), ("resident", 0)])
def test_each_weight_fetch_prices_its_own_count(fetch, reads):
    spikes = torch.zeros(3, 1, 5)
    spikes[0, 0, 0] = spikes[0, 0, 3] = spikes[2, 0, 2] = 1.0
    report = gs.cost.count(_two_layer_spiking_network(), [spikes])
    profile = {
        **VALID,
        "weight_fetch": fetch,
        "skips_zeros": "true",
        "weight_precision": "int4",  # half a byte per weight
        "weight_read_pj_per_byte": "" if fetch == "resident" else 2.0,
        "state_pj_per_byte": 0,
        "activation_pj_per_byte": 0,
        "spike_event_pj": 0,
    }
    estimate = report.energy(profile)
    assert estimate.memory_j == pytest.approx(reads * 0.5 * 2.0 * 1e-12)
