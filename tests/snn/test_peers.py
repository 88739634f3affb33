"""Cross-checks against snnTorch, SpikingJelly and Norse under the documented mappings.

Each peer is optional (`pip install --no-deps`, see the Makefile); its tests skip without it.
Inputs are random and stay clear of the threshold, so that the tie convention (SpikingJelly
fires at v >= threshold, we at v > threshold) and floating-point rounding cannot flip a spike.
"""

from __future__ import annotations

import pytest
import torch

from greenspike.snn import functional as F

T, B, N = 25, 4, 16


def inputs(low: float, high: float, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return low + (high - low) * torch.rand(T, B, N, generator=generator)


# ---------------------------------------------------------------- snnTorch


@pytest.mark.parametrize("reset", ["subtract", "zero", "none"])
def test_snntorch_leaky_without_reset_delay(reset):
    snntorch = pytest.importorskip("snntorch")
    x = inputs(-0.3, 1.0)  # inputs <= threshold: no membrane above 2 * threshold
    theirs = snntorch.Leaky(beta=0.8, threshold=1.0, reset_mechanism=reset, reset_delay=False)
    their_spikes, their_v = [], []
    for x_t in x:
        spk, mem = theirs(x_t)
        their_spikes.append(spk)
        their_v.append(mem)
    spikes, state = F.lif(x, F.LIFParameters(0.8, 1.0, reset=reset))
    assert spikes.sum() > 50
    assert torch.equal(spikes, torch.stack(their_spikes))
    assert torch.equal(state.v, their_v[-1])


def test_snntorch_differs_once_a_membrane_exceeds_twice_the_threshold():
    """The documented limit of the snnTorch mapping for reset="subtract"."""
    snntorch = pytest.importorskip("snntorch")
    x = torch.tensor([2.5, 0.0, 0.0]).view(3, 1, 1)  # v = 2.5 -> 1.5 after the reset
    theirs = snntorch.Leaky(beta=1.0, threshold=1.0, reset_delay=False)
    their_spikes = torch.stack([theirs(x_t)[0] for x_t in x])
    spikes, _ = F.lif(x, F.LIFParameters(1.0, 1.0, reset="subtract"))
    assert spikes.flatten().tolist() == [1, 1, 0]  # 2.5 -> 1.5 fires -> 0.5
    assert their_spikes.flatten().tolist() != spikes.flatten().tolist()


def step_snntorch(neuron, x: torch.Tensor) -> list[tuple[torch.Tensor, ...]]:
    """Each step's outputs of a snnTorch neuron run over `x` `[T, B, ...]` (hidden state)."""
    return [neuron(x_t) for x_t in x]


@pytest.mark.parametrize("reset", ["subtract", "zero", "none"])
@pytest.mark.parametrize(
    ("beta", "threshold"),
    [(0.8, 1.0), (1.0, 0.5), ("per neuron", 0.7)],
    ids=["leaky", "integrate", "per-neuron-beta"],
)
def test_snntorch_leaky_with_its_default_reset_delay(reset, beta, threshold):
    """snnTorch's default `reset_delay=True`: the membrane it reports is the one that fired,
    its reset comes one step later. Inputs up to 3 x threshold: no caveat here."""
    snntorch = pytest.importorskip("snntorch")
    if beta == "per neuron":
        beta = torch.linspace(0.3, 0.95, N)
    x = inputs(-0.5, 3.0 * threshold, seed=11)
    theirs = step_snntorch(snntorch.Leaky(beta=beta, threshold=threshold, reset_mechanism=reset), x)
    their_spikes = torch.stack([spk for spk, _ in theirs])
    their_v = torch.stack([mem for _, mem in theirs])
    # for "zero", snnTorch zeroes the old membrane before the leak: the immediate reset
    delay = reset != "zero"
    params = F.LIFParameters(beta, threshold, reset=reset, reset_delay=delay)
    spikes, state = F.lif(x, params)
    assert spikes.sum() > 50
    assert reset == "none" or spikes.sum() < spikes.numel() - 50  # "none" saturates
    assert torch.equal(spikes, their_spikes)
    if delay:
        assert torch.equal(state.v, their_v[-1])
        for backend in ("torch", "cpu"):  # the fused kernel too
            assert torch.equal(F.lif(x, params, backend=backend)[0], their_spikes)


def test_the_delayed_subtractive_reset_differs_from_the_immediate_one():
    """The delayed reset subtracts one threshold per spike, undecayed: another neuron."""
    x = inputs(0.0, 1.5, seed=12)
    delayed = F.lif(x, F.LIFParameters(0.8, 1.0, reset_delay=True))[0]
    immediate = F.lif(x, F.LIFParameters(0.8, 1.0))[0]
    assert not torch.equal(delayed, immediate)


@pytest.mark.parametrize("reset", ["subtract", "zero", "none"])
def test_snntorch_synaptic_with_its_default_reset_delay(reset):
    snntorch = pytest.importorskip("snntorch")
    x = inputs(-0.3, 1.2, seed=13)
    theirs = step_snntorch(
        snntorch.Synaptic(alpha=0.6, beta=0.8, threshold=1.0, reset_mechanism=reset), x
    )
    spikes, state = F.cuba_lif(x, F.CubaLIFParameters(0.6, 0.8, 1.0, reset=reset, reset_delay=True))
    assert spikes.sum() > 50
    assert torch.equal(spikes, torch.stack([spk for spk, _, _ in theirs]))
    assert torch.equal(state.i, theirs[-1][1])
    assert torch.equal(state.v, theirs[-1][2])


@pytest.mark.parametrize("reset", ["subtract", "zero", "none"])
def test_snntorch_rleaky_with_its_defaults_is_recurrent_lif_with_bias(reset):
    """RLeaky by default: reset delayed, and a recurrent bias."""
    snntorch = pytest.importorskip("snntorch")
    torch.manual_seed(14)
    theirs = snntorch.RLeaky(beta=0.8, linear_features=N, reset_mechanism=reset)
    x = inputs(-0.2, 1.0, seed=14)
    outputs = step_snntorch(theirs, x)
    weight, bias = theirs.recurrent.weight.detach(), theirs.recurrent.bias.detach()
    params = F.RecurrentLIFParameters(weight, 0.8, 1.0, reset=reset, reset_delay=True, bias=bias)
    spikes, state = F.recurrent_lif(x, params)
    assert spikes.sum() > 50
    assert torch.equal(spikes, torch.stack([spk for spk, _ in outputs]).detach())
    assert torch.equal(state.v, outputs[-1][1].detach())


@pytest.mark.parametrize("reset", ["subtract", "zero"])
def test_snntorch_synaptic_is_cuba_lif(reset):
    snntorch = pytest.importorskip("snntorch")
    x = inputs(-0.2, 0.5, seed=1)
    theirs = snntorch.Synaptic(
        alpha=0.6, beta=0.8, threshold=1.0, reset_mechanism=reset, reset_delay=False
    )
    their_spikes = []
    for x_t in x:
        spk, syn, mem = theirs(x_t)
        their_spikes.append(spk)
    spikes, state = F.cuba_lif(x, F.CubaLIFParameters(0.6, 0.8, 1.0, reset=reset))
    assert spikes.sum() > 50
    assert torch.equal(spikes, torch.stack(their_spikes))
    torch.testing.assert_close(state.i, syn)
    torch.testing.assert_close(state.v, mem)


def test_snntorch_rleaky_is_recurrent_lif():
    snntorch = pytest.importorskip("snntorch")
    # Inputs <= 0.6 and excitatory weights <= 0.025 (16 inputs: <= 0.4) keep every membrane
    # below 2 * threshold; inhibitory weights exercise the feedback.
    x = inputs(-0.2, 0.6, seed=2)
    weight = -0.15 + 0.175 * torch.rand(N, N, generator=torch.Generator().manual_seed(3))
    theirs = snntorch.RLeaky(beta=0.8, linear_features=N, all_to_all=True, reset_delay=False)
    with torch.no_grad():
        theirs.recurrent.weight.copy_(weight)
        theirs.recurrent.bias.zero_()
    their_spikes = []
    for x_t in x:
        spk, mem = theirs(x_t)
        their_spikes.append(spk)
    spikes, state = F.recurrent_lif(x, F.RecurrentLIFParameters(weight, 0.8, 1.0))
    assert spikes.sum() > 50
    assert not torch.equal(spikes, F.lif(x, F.LIFParameters(0.8, 1.0))[0])  # the feedback matters
    assert torch.equal(spikes, torch.stack(their_spikes))
    torch.testing.assert_close(state.v, mem)


# ------------------------------------------------------------- SpikingJelly


@pytest.mark.parametrize(("v_reset", "reset"), [(None, "subtract"), (0.0, "zero")])
@pytest.mark.parametrize("tau", [2.0, 4.0])  # powers of 2: v - v / tau == (1 - 1 / tau) * v exactly
def test_spikingjelly_lifnode_without_input_decay(v_reset, reset, tau):
    neuron = pytest.importorskip("spikingjelly.activation_based.neuron")
    x = inputs(-0.2, 1.2, seed=4)
    theirs = neuron.LIFNode(
        tau=tau, decay_input=False, v_threshold=1.0, v_reset=v_reset, step_mode="m"
    )
    their_spikes = theirs(x)
    spikes, state = F.lif(x, F.LIFParameters(1 - 1 / tau, 1.0, reset=reset))
    assert spikes.sum() > 50
    assert torch.equal(spikes, their_spikes)
    torch.testing.assert_close(state.v, theirs.v)


@pytest.mark.parametrize(("v_reset", "reset"), [(None, "subtract"), (0.0, "zero")])
def test_spikingjelly_ifnode(v_reset, reset):
    neuron = pytest.importorskip("spikingjelly.activation_based.neuron")
    x = inputs(-0.3, 0.7, seed=5)
    theirs = neuron.IFNode(v_threshold=0.9, v_reset=v_reset, step_mode="m")
    spikes, state = F.lif(x, F.LIFParameters(1.0, 0.9, reset=reset))
    assert spikes.sum() > 50
    assert torch.equal(spikes, theirs(x))
    torch.testing.assert_close(state.v, theirs.v)


# -------------------------------------------------------------------- Norse

DT, TAU_MEM_INV, TAU_SYN_INV, V_TH = 1e-3, 100.0, 200.0, 0.2
K = DT * TAU_MEM_INV  # Norse scales its input by dt / tau_mem; our v is Norse's v / K


@pytest.mark.parametrize("reset", ["subtract", "zero"])
def test_norse_lif_box_cell(reset):
    norse = pytest.importorskip("norse.torch")
    from norse.torch.functional.reset import reset_subtract, reset_value

    x = inputs(-0.5, 3.0, seed=6)
    p = norse.LIFBoxParameters(
        tau_mem_inv=torch.tensor(TAU_MEM_INV),
        v_th=torch.tensor(V_TH),
        reset_method=reset_subtract if reset == "subtract" else reset_value,
    )
    cell, state, their_spikes = norse.LIFBoxCell(p, dt=DT), None, []
    for x_t in x:
        z, state = cell(x_t, state)
        their_spikes.append(z)
    spikes, ours = F.lif(x, F.LIFParameters(1 - K, V_TH / K, reset=reset))
    assert spikes.sum() > 50
    assert torch.equal(spikes, torch.stack(their_spikes))
    torch.testing.assert_close(ours.v * K, state.v)


def test_norse_lif_is_cuba_lif_with_zero_reset():
    norse = pytest.importorskip("norse.torch")
    x = inputs(-0.5, 2.0, seed=7)
    p = norse.LIFParameters(
        tau_syn_inv=torch.tensor(TAU_SYN_INV),
        tau_mem_inv=torch.tensor(TAU_MEM_INV),
        v_th=torch.tensor(V_TH),
    )
    their_spikes, state = norse.LIF(p, dt=DT)(x)
    alpha = 1 - DT * TAU_SYN_INV
    spikes, ours = F.cuba_lif(x, F.CubaLIFParameters(alpha, 1 - K, V_TH / K, reset="zero"))
    assert spikes.sum() > 50
    assert torch.equal(spikes, their_spikes)
    torch.testing.assert_close(ours.v * K, state.v)
    torch.testing.assert_close(ours.i * alpha, state.i)


def test_norse_iaf_is_if_with_zero_reset():
    norse = pytest.importorskip("norse.torch")
    x = inputs(-0.2, 0.6, seed=8)
    their_spikes, state = norse.IAF(norse.IAFParameters(v_th=torch.tensor(1.0)))(x)
    spikes, ours = F.lif(x, F.LIFParameters(1.0, 1.0, reset="zero"))
    assert spikes.sum() > 50
    assert torch.equal(spikes, their_spikes)
    torch.testing.assert_close(ours.v, state.v)


def test_norse_li_box_is_the_leaky_integrator():
    norse = pytest.importorskip("norse.torch")
    x = inputs(-1.0, 1.0, seed=9)
    cell = norse.LIBoxCell(norse.LIBoxParameters(tau_mem_inv=torch.tensor(TAU_MEM_INV)), dt=DT)
    state, theirs = None, []
    for x_t in x:
        v, state = cell(x_t, state)
        theirs.append(v)
    trace, _ = F.leaky_integrator(x, F.LIParameters(1 - K))
    torch.testing.assert_close(trace * K, torch.stack(theirs))
