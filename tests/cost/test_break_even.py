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
