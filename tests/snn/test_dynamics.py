"""Hand-computed spike sequences for every neuron and reset mode (float64, no ties at threshold)."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from greenspike import snn
from greenspike.snn import functional as F


def seq(*values) -> torch.Tensor:
    """A [T, 1, 1] float64 sequence (one sample, one neuron)."""
    return torch.tensor(values, dtype=torch.float64).view(-1, 1, 1)


def flat(t: torch.Tensor) -> list[float]:
    return t.flatten().tolist()


@pytest.mark.parametrize(
    ("reset", "spikes", "v_final"),
    [
        # v: 1.8 fires; 0.5*v + 0.7; 0.5*v + 0.3
        ("subtract", [1, 1, 0], 0.35),  # 1.8->0.8; 1.1->0.1; 0.35
        ("zero", [1, 0, 0], 0.65),  # 1.8->0; 0.7; 0.65
        ("none", [1, 1, 1], 1.1),  # 1.8; 1.6; 1.1
    ],
)
def test_lif_by_hand(reset, spikes, v_final):
    out, state = F.lif(seq(1.8, 0.7, 0.3), F.LIFParameters(beta=0.5, threshold=1.0, reset=reset))
    assert flat(out) == spikes
    assert state.v.item() == pytest.approx(v_final)


def test_lif_module_starts_from_a_given_state():
    lif = snn.LIF(beta=0.5, reset="zero").double()
    start = snn.functional.LIFState(seq(1.6)[0])
    out, state = lif(seq(0.3, 0.2), start, return_state=True)
    assert flat(out) == [1, 0]  # 0.8 + 0.3 = 1.1 fires -> 0; then 0.2
    assert state.v.item() == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("reset", "spikes", "v_final"),
    [("subtract", [0, 0, 1, 0], 0.6), ("zero", [0, 0, 1, 0], 0.4), ("none", [0, 0, 1, 1], 1.6)],
)
def test_if_is_lif_without_leak(reset, spikes, v_final):
    out, state = snn.IF(reset=reset).double()(seq(0.4, 0.4, 0.4, 0.4), return_state=True)
    assert flat(out) == spikes
    assert state.v.item() == pytest.approx(v_final)
    assert snn.IF().beta.item() == 1.0


def test_per_neuron_beta_and_threshold():
    x = torch.tensor([[[0.6, 0.3]], [[0.6, 0.3]]], dtype=torch.float64)  # [T=2, B=1, N=2]
    beta = torch.tensor([0.5, 1.0], dtype=torch.float64)
    threshold = torch.tensor([1.0, 0.5], dtype=torch.float64)
    out, state = F.lif(x, F.LIFParameters(beta, threshold))
    assert out[:, 0].tolist() == [[0, 0], [0, 1]]  # neuron 0: 0.6, 0.9; neuron 1: 0.3, 0.6
    assert state.v[0].tolist() == pytest.approx([0.9, 0.1])


def test_tau_gives_the_exact_exponential_decay():
    lif = snn.LIF(tau=torch.tensor([2.0, 10.0]))
    assert lif.beta.tolist() == pytest.approx([0.6065306597, 0.904837418])
    with pytest.raises(ValueError, match=r"give either beta .* or tau"):
        snn.LIF(beta=0.9, tau=10.0)
    with pytest.raises(ValueError, match="give either beta"):
        snn.LIF()
    with pytest.raises(ValueError, match="tau must be > 0, got -1"):
        snn.LIF(tau=-1.0)


# Each decay per step of each neuron (name) and its time constant (tau_name), with the other
# values a layer needs.
DECAYS = {
    "lif": (snn.LIF, "beta", "tau", {}),
    "cuba-syn": (snn.CubaLIF, "alpha", "tau_syn", {"beta": 0.5}),
    "cuba-mem": (snn.CubaLIF, "beta", "tau_mem", {"alpha": 0.5}),
    "alif": (snn.ALIF, "beta", "tau", {"adaptation_decay": 0.9, "adaptation_scale": 0.1}),
    "alif-adapt": (snn.ALIF, "adaptation_decay", "tau_adapt", {"beta": 0.9, "adaptation_scale": 0}),
    "recurrent": (lambda **kw: snn.RecurrentLIF(2, **kw), "beta", "tau", {}),
    "readout": (snn.LeakyIntegrator, "beta", "tau", {}),
}


@pytest.mark.parametrize("name", list(DECAYS))
def test_every_decay_can_be_given_as_a_time_constant(name):
    make, decay, tau_name, others = DECAYS[name]
    tau = torch.tensor([2.0, 10.0])
    layer = make(**others, **{tau_name: tau})
    assert getattr(layer, decay).tolist() == pytest.approx([0.6065306597, 0.904837418])
    same = make(**others, **{decay: torch.exp(-1 / tau)})
    assert torch.equal(getattr(layer, decay), getattr(same, decay))
    with pytest.raises(
        ValueError,
        match=rf"give either {decay} \(decay per step\) or {tau_name} \(time constant in steps\)",
    ):
        make(**others, **{decay: 0.9, tau_name: 10.0})
    with pytest.raises(ValueError, match=f"give either {decay} "):
        make(**others)
    with pytest.raises(ValueError, match=f"{tau_name} must be > 0, got -1"):
        make(**others, **{tau_name: -1.0})


@pytest.mark.parametrize(
    ("reset", "spikes", "v_final"),
    [
        # i: 0.8, 1.2, 0.6, 0.4; v = 0.5 * v + i
        ("subtract", [0, 1, 0, 0], 0.85),  # 0.8; 1.6->0.6; 0.9; 0.85
        ("zero", [0, 1, 0, 0], 0.7),  # 0.8; 1.6->0; 0.6; 0.7
        ("none", [0, 1, 1, 1], 1.1),  # 0.8; 1.6; 1.4; 1.1
    ],
)
def test_cuba_lif_by_hand(reset, spikes, v_final):
    out, state = F.cuba_lif(
        seq(0.8, 0.8, 0.0, 0.1), F.CubaLIFParameters(alpha=0.5, beta=0.5, reset=reset)
    )
    assert flat(out) == spikes
    assert state.v.item() == pytest.approx(v_final)
    assert state.i.item() == pytest.approx(0.4)  # the current is never reset


@pytest.mark.parametrize(
    ("reset", "spikes", "v_final", "a_final"),
    [
        # theta = 1 + 0.8 a; a = 0.5 a + s; v = v + 1.5
        # t1: v 1.5 > 1.0 fires -> 0.5, a 1;  t2: v 2.0 > 1.8 fires -> 0.2, a 1.5
        # t3: v 1.7 < 2.2 silent, a 0.75;    t4: v 3.2 > 1.6 fires -> 1.6, a 1.375
        ("subtract", [1, 1, 0, 1], 1.6, 1.375),
        # t1: 1.5 fires -> 0, a 1; t2: 1.5 < 1.8, a 0.5; t3: 3.0 > 1.4 fires -> 0, a 1.25;
        # t4: 1.5 < 2.0, a 0.625
        ("zero", [1, 0, 1, 0], 1.5, 0.625),
        # v 1.5, 3.0, 4.5, 6.0 against theta 1.0, 1.8, 2.2, 2.4
        ("none", [1, 1, 1, 1], 6.0, 1.875),
    ],
)
def test_alif_threshold_rises_after_each_spike_and_relaxes(reset, spikes, v_final, a_final):
    out, state = F.alif(
        seq(1.5, 1.5, 1.5, 1.5),
        F.ALIFParameters(beta=1.0, adaptation_decay=0.5, adaptation_scale=0.8, reset=reset),
    )
    assert flat(out) == spikes
    assert state.v.item() == pytest.approx(v_final)
    assert state.a.item() == pytest.approx(a_final)


def test_alif_with_zero_adaptation_is_lif():
    x = torch.randn(12, 3, 5, generator=torch.Generator().manual_seed(1))
    alif_params = F.ALIFParameters(
        0.8, adaptation_decay=0.9, adaptation_scale=0.0, threshold=0.7, reset="zero"
    )
    alif_out, _ = F.alif(x, alif_params)
    lif_out, _ = F.lif(x, F.LIFParameters(0.8, 0.7, reset="zero"))
    assert torch.equal(alif_out, lif_out)


@pytest.mark.parametrize(
    ("reset", "v_final"),
    [
        # t1: v [1.5, 0] -> s [1, 0], v [0.5, 0]
        # t2: v [0.25, 0] + W s = [0.25, 2.0] -> s [0, 1], v [0.25, 1.0]
        # t3: v [0.125, 0.5] + [0.6, 0] + W s = [-0.275, 0.5] -> s [0, 0]
        ("subtract", [-0.275, 0.5]),
        # t1: -> v [0, 0]; t2: [0, 2.0] -> v [0, 0]; t3: [0.6, 0] + W s = [-0.4, 0]
        ("zero", [-0.4, 0.0]),
        # t1: [1.5, 0]; t2: [0.75, 2.0]; t3: [0.375 + 0.6 - 1, 1.0]: exactly at threshold, silent
        ("none", [-0.025, 1.0]),
    ],
)
def test_recurrent_lif_by_hand(reset, v_final):
    weight = torch.tensor([[0.0, -1.0], [2.0, 0.0]], dtype=torch.float64)  # [target, source]
    x = torch.tensor([[[1.5, 0.0]], [[0.0, 0.0]], [[0.6, 0.0]]], dtype=torch.float64)
    out, state = F.recurrent_lif(x, F.RecurrentLIFParameters(weight, beta=0.5, reset=reset))
    assert out[:, 0].tolist() == [[1, 0], [0, 1], [0, 0]]
    assert state.v[0].tolist() == pytest.approx(v_final)
    assert state.s[0].tolist() == [0, 0]


def test_recurrent_module_uses_its_linear_weight():
    layer = snn.RecurrentLIF(2, beta=0.5).double()
    with torch.no_grad():
        layer.recurrent.weight.copy_(torch.tensor([[0.0, -1.0], [2.0, 0.0]]))
    x = torch.tensor([[[1.5, 0.0]], [[0.0, 0.0]], [[0.6, 0.0]]], dtype=torch.float64)
    assert layer(x)[:, 0].tolist() == [[1, 0], [0, 1], [0, 0]]
    assert layer.recurrent.bias is None


def test_leaky_integrator_never_fires_and_returns_the_membrane():
    trace, state = F.leaky_integrator(seq(1.0, 1.0, 0.0), F.LIParameters(beta=0.5))
    assert flat(trace) == [1.0, 1.5, 0.75]
    assert state.v.item() == 0.75
    assert flat(snn.LeakyIntegrator(0.5).double()(seq(1.0, 1.0, 0.0))) == [1.0, 1.5, 0.75]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(0.0, 1.0), min_size=1, max_size=40),
    st.floats(0.1, 2.0),
)
def test_if_subtract_conserves_charge(inputs, threshold):
    """IF with soft reset and inputs in [0, threshold]: v_final = sum(x) - threshold * spikes,
    and the membrane stays in [0, threshold]."""
    x = seq(*[value * threshold for value in inputs])
    out, state = F.lif(x, F.LIFParameters(1.0, threshold, reset="subtract"))
    assert set(flat(out)) <= {0.0, 1.0}
    assert state.v.item() == pytest.approx(x.sum().item() - threshold * out.sum().item(), abs=1e-9)
    assert -1e-9 <= state.v.item() <= threshold + 1e-9


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-1.0, 1.0), min_size=1, max_size=30),
    st.floats(0.0, 1.0),
    st.floats(0.05, 2.0),
)
def test_without_reset_spikes_are_the_leaky_integral_above_threshold(inputs, beta, threshold):
    x = seq(*inputs)
    out, _ = F.lif(x, F.LIFParameters(beta, threshold, reset="none"))
    trace, _ = F.leaky_integrator(x, F.LIParameters(beta))
    assert torch.equal(out, (trace > threshold).double())
