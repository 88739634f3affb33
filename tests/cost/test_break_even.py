"""The break-even spike rate: at r* the spiking model costs exactly as much as its twin."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import greenspike as gs


def _reports(threshold: float, steps: int = 4):
    torch.manual_seed(0)
    spiking = nn.Sequential(
        nn.Linear(20, 30),
        gs.snn.LIF(beta=0.9, threshold=threshold),
        nn.Linear(30, 30),
        gs.snn.LIF(beta=0.9, threshold=threshold),
        nn.Linear(30, 3),
    )
    conventional = nn.Sequential(
        nn.Linear(20, 30), nn.ReLU(), nn.Linear(30, 30), nn.ReLU(), nn.Linear(30, 3)
    )
    spikes = (torch.rand(steps, 8, 20) > 0.7).float()
    return gs.cost.count(spiking, [spikes]), gs.cost.count(conventional, torch.rand(8, 20))


@settings(max_examples=10, deadline=None)
@given(threshold=st.floats(0.05, 1.0), name=st.sampled_from(["cmos45-fp32", "cmos45-int8"]))
def test_at_the_break_even_rate_both_cost_the_same(threshold, name):
    spiking, conventional = _reports(threshold)
    rate = gs.cost.break_even_rate(spiking, conventional, name)
    if rate == 0.0 or rate == math.inf:
        return
    total, r0 = spiking.total, spiking.spike_rate
    scale = rate / r0
    at_rate = replace(
        total,
        effective_acs=total.effective_acs * scale,
        spike_events=total.spike_events * scale,
    )
    assert gs.cost.pricing.price(at_rate, name).energy_j == pytest.approx(
        conventional.energy(name).energy_j, rel=1e-9
    )


def test_weights_read_every_step_from_dram_erase_the_advantage():
    spiking, conventional = _reports(0.5, steps=8)
    assert gs.cost.break_even_rate(spiking, conventional, "cmos45-fp32-dram") == 0.0


def test_cheap_spikes_and_expensive_macs_win_at_every_rate():
    spiking, conventional = _reports(0.5, steps=1)
    profile = {
        **gs.cost.find_profile("cmos45-fp32").to_dict(),
        "name": "mac-heavy",
        "mac_pj": 1000.0,
        "ac_pj": 0.0,
        "spike_event_pj": 0.0,
        "activation_pj_per_byte": 0.0,
    }
    assert gs.cost.break_even_rate(spiking, conventional, profile) == math.inf


def test_errors_name_the_problem():
    spiking, conventional = _reports(0.5)
    with pytest.raises(
        ValueError, match=r"cannot price all of Sequential: .* multiply-accumulates"
    ):
        gs.cost.break_even_rate(spiking, conventional, "loihi")
    with pytest.raises(ValueError, match="has no spiking layer"):
        gs.cost.break_even_rate(conventional, conventional, "cmos45-fp32")


def _direct_twins(steps: int, threshold: float = 0.6):
    """A directly encoded spiking MLP (first layer once, then repeated) and its ReLU twin."""
    from greenspike.train import build_pair

    torch.manual_seed(1)
    relu, spiking = build_pair("mlp", (4, 4), 3, (12, 10), steps, "direct", threshold=threshold)
    images = torch.rand(16, 4, 4, generator=torch.Generator().manual_seed(2))
    return gs.cost.count(spiking, images), gs.cost.count(relu, images)


DEPLOYMENTS = ["cmos45-fp32", "cmos7-int8", "gpu7-fp16", "loihi+host=cmos7-int8"]


def _joules(report, where: str) -> float:
    return gs.cost.deployment(where).price(report).energy_j


@settings(max_examples=12, deadline=None)
@given(rate=st.floats(0.01, 0.95), where=st.sampled_from(DEPLOYMENTS))
def test_the_break_even_rate_gives_back_the_rate_whose_energy_it_is_asked_to_meet(rate, where):
    spiking, _ = _direct_twins(4)
    target = _joules(gs.cost.at_spike_rate(spiking, rate), where)
    if target == _joules(gs.cost.at_spike_rate(spiking, 0.0), where):
        # gpu7-fp16 multiplies every input, zero or not, and has no spike-event figure: the rate
        # changes nothing, so a spiking network that costs as much at one rate does at all
        assert gs.cost.break_even_rate(spiking, target, where) == 0.0
        return
    assert gs.cost.break_even_rate(spiking, target, where) == pytest.approx(rate, rel=1e-9)


@settings(max_examples=12, deadline=None)
@given(steps=st.integers(1, 12), where=st.sampled_from(DEPLOYMENTS))
def test_the_break_even_steps_give_back_the_steps_whose_energy_they_are_asked_to_meet(steps, where):
    spiking, _ = _direct_twins(4)
    once = ["1"]  # the first Linear layer sees the same pixels at every step: it runs once
    target = _joules(gs.cost.at_steps(spiking, steps, once), where)
    assert gs.cost.break_even_steps(spiking, target, where, once) == pytest.approx(steps, rel=1e-9)


@pytest.mark.parametrize("where", DEPLOYMENTS)
def test_break_even_points_against_the_twin_price_the_same_energy(where):
    spiking, relu = _direct_twins(6)
    relu_j = (
        _joules(relu, "cmos7-int8") if "+host" in where else _joules(relu, where)
    )  # a ReLU twin cannot run on Loihi: each twin on its own hardware
    rate = gs.cost.break_even_rate(spiking, relu_j, where)
    if 0 < rate < math.inf:
        priced = _joules(gs.cost.at_spike_rate(spiking, rate), where)
        assert priced == pytest.approx(relu_j, rel=1e-9)
    steps = gs.cost.break_even_steps(spiking, relu_j, where)
    assert steps >= 0
    if "+host" not in where:  # one part: the report itself is the conventional twin
        assert gs.cost.break_even_rate(spiking, relu, where) == rate


def test_projected_steps_equal_a_count_at_those_steps_when_the_rate_does_not_change():
    # threshold tiny and every input positive: every hidden neuron fires at every step
    def saturated(steps):
        from greenspike.train import build_pair

        torch.manual_seed(1)
        _, spiking = build_pair("mlp", (4, 4), 3, (12, 10), steps, "direct", threshold=1e-3)
        with torch.no_grad():
            for layer in spiking.modules():
                if isinstance(layer, nn.Linear):
                    layer.weight.abs_()
                    layer.bias.fill_(1.0)
        return gs.cost.count(spiking, torch.rand(16, 4, 4) + 0.1)

    three, seven = saturated(3), saturated(7)
    assert three.spike_rate == 1.0 == seven.spike_rate
    projected = gs.cost.at_steps(three, 7)  # default once: the layer that ran fewer steps
    assert three.layers["1"].steps == 1
    for name, layer in seven.layers.items():
        for field in ("dense_acs", "effective_acs", "neuron_updates", "weight_reads",
                      "state_accesses", "spike_events", "event_weight_reads"):  # fmt: skip
            assert getattr(projected.layers[name].counts, field) == pytest.approx(
                getattr(layer.counts, field), rel=1e-9
            ), (name, field)
    assert projected.steps == 7


def test_event_driven_fetches_of_spikes_scale_with_the_rate_those_of_pixels_do_not():
    spiking, _ = _direct_twins(4)
    silent = gs.cost.at_spike_rate(spiking, 0.0)
    assert (
        silent.layers["1"].counts.event_weight_reads
        == spiking.layers["1"].counts.event_weight_reads
        > 0
    )
    for layer in silent.layers.values():
        if layer.counts.dense_acs > 0:
            assert layer.counts.event_weight_reads == 0 and layer.counts.effective_acs == 0
    assert silent.spike_rate == 0
    doubled = gs.cost.at_spike_rate(spiking, 2 * spiking.spike_rate)
    assert doubled.total.spike_events == pytest.approx(2 * spiking.total.spike_events)


def test_projection_errors_name_the_problem():
    spiking, relu = _direct_twins(4)
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        gs.cost.at_steps(spiking, 0)
    with pytest.raises(ValueError, match="has no layer '9'"):
        gs.cost.at_steps(spiking, 2, once=["9"])
    with pytest.raises(ValueError, match="a spike rate is >= 0"):
        gs.cost.at_spike_rate(spiking, -0.1)
    with pytest.raises(ValueError, match="no spiking layer"):
        gs.cost.at_spike_rate(relu, 0.5)
