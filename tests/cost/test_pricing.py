"""Energy = counts x profile figures, exactly; unpriced operations are never 0 J."""

from __future__ import annotations

import json
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import greenspike as gs
from greenspike.cost import Counts

from .test_profiles import VALID

counts_strategy = st.builds(
    Counts, **{name: st.integers(0, 10**6).map(float) for name in Counts.__dataclass_fields__}
)


def _by_hand(counts: Counts, profile) -> tuple[float, float, float]:
    precision = profile.precision
    b_w, b_s = precision.weights.bits / 8, precision.state.bits / 8
    b_a = b_s if precision.activations.name == "spike" else precision.activations.bits / 8
    weight_reads = {
        "dense": counts.weight_reads,
        "event": counts.event_weight_reads,
        "resident": 0,
    }[profile.weight_fetch]
    macs = counts.effective_macs if profile.skips_zeros else counts.dense_macs
    acs = counts.effective_acs if profile.skips_zeros else counts.dense_acs
    compute = macs * (profile.mac_pj or 0) + acs * profile.ac_pj
    neurons = counts.neuron_updates * profile.neuron_update_pj
    memory = (
        weight_reads * b_w * (profile.weight_read_pj_per_byte or 0)
        + counts.state_accesses * b_s * profile.state_pj_per_byte
        + (counts.activation_values * b_a + counts.spike_values / 8)
        * profile.activation_pj_per_byte
        + counts.spike_events * (profile.spike_event_pj or 0)
    )
    return compute * 1e-12, memory * 1e-12, neurons * 1e-12


@settings(max_examples=50, deadline=None)
@given(
    counts=counts_strategy,
    name=st.sampled_from(
        ["cmos45-fp32", "cmos45-int8", "cmos7-int8", "gpu7-fp16", "my-chip", "event", "resident"]
    ),
)
def test_energy_is_counts_times_figures(counts, name):
    event = {"weight_fetch": "event", "skips_zeros": "true", "weight_precision": "int4"}
    user = {
        "my-chip": VALID,
        "event": {**VALID, **event},
        "resident": {**VALID, "weight_fetch": "resident", "weight_read_pj_per_byte": ""},
    }
    profile = gs.cost.find_profile(user.get(name, name))
    if name in user:  # the user profiles have no spike-event figure
        counts = Counts(**{**counts.__dict__, "spike_events": 0.0})
    estimate = gs.cost.pricing.price(counts, profile)
    compute, memory, neurons = _by_hand(counts, profile)
    assert estimate.compute_j == pytest.approx(compute, rel=1e-12, abs=0)
    assert estimate.memory_j == pytest.approx(memory, rel=1e-12, abs=0)
    assert estimate.neuron_j == pytest.approx(neurons, rel=1e-12, abs=0)
    assert estimate.energy_j == pytest.approx(compute + memory + neurons, rel=1e-12, abs=0)
    assert estimate.complete


def test_one_linear_layer_on_cmos45_fp32_by_hand():
    layer = nn.Linear(4, 3)
    report = gs.cost.count(layer, torch.tensor([[1.0, 0.0, 1.0, 0.0]]))
    estimate = report.energy("cmos45-fp32")
    assert estimate.compute_j == pytest.approx(6 * 0.9e-12)  # 6 effective ACs
    # 15 parameters x 4 B x 2.5 pJ/B; 3 fp32 outputs x 4 B and 4 input spikes x 1 bit at 1.25 pJ/B
    assert estimate.memory_j == pytest.approx((15 * 4 * 2.5 + (3 * 4 + 4 / 8) * 1.25) * 1e-12)
    assert estimate.neuron_j == 0
    assert estimate.provenance.startswith("estimated by greenspike.cost with profile cmos45-fp32")
    assert "Horowitz" in estimate.provenance


def test_dense_hardware_prices_zeros_too():
    counts = Counts(dense_macs=10, effective_macs=2, dense_acs=8, effective_acs=1)
    dense = gs.cost.pricing.price(counts, VALID)  # skips_zeros false
    assert dense.compute_j == pytest.approx((10 * 1.5 + 8 * 0.5) * 1e-12)


def test_operations_without_a_figure_are_unpriced_not_free():
    counts = Counts(effective_macs=100, effective_acs=10, spike_events=5)
    estimate = gs.cost.pricing.price(counts, "loihi")
    assert estimate.energy_j is None and not estimate.complete
    assert estimate.unpriced == ("100 multiply-accumulates (no figure in profile 'loihi')",)
    assert estimate.priced_j == pytest.approx((10 * 23.6 + 5 * 1.7) * 1e-12)
    data = json.loads(json.dumps(estimate.to_dict()))
    assert data["energy_j"] is None and data["complete"] is False


def test_spiking_model_with_spike_input_is_fully_priced_on_loihi():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 4), gs.snn.LIF(beta=0.9, threshold=0.2))
    spikes = (torch.rand(6, 3, 5) > 0.5).float()  # [T, B, N] input spikes
    report = gs.cost.count(model, [spikes])
    estimate = report.energy("loihi")
    total = report.total
    assert estimate.complete
    assert estimate.energy_j == pytest.approx(
        (total.effective_acs * 23.6 + total.neuron_updates * 81 + total.spike_events * 1.7) * 1e-12
    )
    assert math.isclose(total.neuron_updates, 6 * 4)
