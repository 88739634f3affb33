"""Neuron modules check their parameters when they change, and run lean without gradients."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from greenspike import snn
from greenspike.snn import functional as F
from greenspike.snn.kernels import _choose, cpu
from greenspike.snn.lif import MIN_LEARNED_THRESHOLD

T, B, N = 6, 3, 5


@pytest.fixture
def x():
    return torch.randn(T, B, N, generator=torch.Generator().manual_seed(0)) * 1.5


@pytest.fixture
def checks(monkeypatch):
    """Counts the parameter checks of every neuron module class, by class name."""
    counted: dict[str, int] = {}
    for kind in (snn.LIF, snn.LeakyIntegrator, snn.CubaLIF, snn.ALIF, snn.RecurrentLIF):
        check = kind._check_parameters

        def counting(params, step_shape, caller, check=check, name=kind.__name__):
            counted[name] = counted.get(name, 0) + 1
            check(params, step_shape, caller)

        monkeypatch.setattr(kind, "_check_parameters", staticmethod(counting))
    return counted


@pytest.mark.parametrize(
    "make",
    [
        lambda: snn.LIF(0.9, threshold=0.8),
        lambda: snn.LeakyIntegrator(0.8),
        lambda: snn.CubaLIF(alpha=0.6, beta=0.85),
        lambda: snn.ALIF(0.9, adaptation_decay=0.8, adaptation_scale=0.5),
        lambda: snn.RecurrentLIF(N, beta=0.9),
    ],
)
def test_parameters_are_checked_once_until_something_changes(make, checks, x):
    layer = make()
    name = type(layer).__name__
    original = layer.beta.clone()
    first = layer(x)
    for _ in range(3):
        assert torch.equal(layer(x), first)
        layer.step(x[0])
    assert checks[name] == 1  # sequences and steps of one shape share the check
    layer(x[:, :2])  # another step shape
    assert checks[name] == 2
    with torch.no_grad():
        layer.beta.fill_(0.5)  # an in-place change (what an optimizer step does)
    changed = layer(x)
    assert checks[name] == 3 and not torch.equal(changed, first)
    layer.beta = original  # a new tensor
    assert torch.equal(layer(x), first)
    assert checks[name] == 4


def test_a_value_that_becomes_invalid_is_caught_at_the_next_call(x):
    lif = snn.LIF(0.9)
    lif(x)
    with torch.no_grad():
        lif.threshold.fill_(-0.5)  # changed in place
    with pytest.raises(ValueError, match=r"threshold must be > 0, got -0\.5"):
        lif(x)
    lif.reset = "soft"  # a setting changed by assignment
    with torch.no_grad():
        lif.threshold.fill_(1.0)
    with pytest.raises(ValueError, match="reset must be one of"):
        lif(x)


def test_a_learned_threshold_pushed_below_zero_is_used_at_its_floor(x):
    lif = snn.LIF(0.9, learn_threshold=True)
    with torch.no_grad():
        lif.threshold.fill_(-0.5)  # e.g. a learning rate too large: training goes on
    floor = snn.LIF(0.9, threshold=MIN_LEARNED_THRESHOLD)
    assert torch.equal(lif(x), floor(x))


def test_learned_values_get_a_fresh_graph_at_every_call_but_one_check(checks, x):
    lif = snn.LIF(0.9, learn_beta=True, learn_threshold=True)
    optimizer = torch.optim.SGD(lif.parameters(), lr=0.01)
    for step in range(3):
        lif(x).sum().backward()  # a second backward through a kept graph would fail
        lif(x).sum().backward()
        optimizer.step()
        optimizer.zero_grad()
        assert checks["LIF"] == step + 1  # checked again after each optimizer step only


def test_without_gradients_the_kernel_runs_without_autograd(x):
    lif = snn.LIF(torch.linspace(0.5, 0.9, N), threshold=0.8, learn_beta=True)
    with torch.no_grad():
        spikes = lif(x.unsqueeze(0).expand(T, T, B, N)[0])
    assert spikes.grad_fn is None and not spikes.requires_grad
    assert torch.equal(spikes, lif(x).detach())
    reference = snn.LIF(torch.linspace(0.5, 0.9, N), threshold=0.8, backend="torch")
    assert torch.equal(spikes, reference(x))


@st.composite
def readout_calls(draw):
    dtype = draw(st.sampled_from([torch.float32, torch.float64]))
    features = draw(st.lists(st.integers(1, 5), min_size=1, max_size=2))
    shape = (draw(st.integers(1, 8)), draw(st.integers(1, 4)), *features)
    generator = torch.Generator().manual_seed(draw(st.integers(0, 2**16)))
    x = torch.randn(shape, generator=generator, dtype=dtype) * 2
    beta = draw(st.sampled_from(["float", "one", "scalar tensor", "per neuron"]))
    beta = {
        "float": 0.8,
        "one": 1.0,
        "scalar tensor": torch.rand((), generator=generator, dtype=dtype),
        "per neuron": torch.rand(features, generator=generator, dtype=dtype),
    }[beta]
    v0 = torch.randn(shape[1:], generator=generator, dtype=dtype) if draw(st.booleans()) else None
    if draw(st.booleans()):  # the same input at every step
        x = x[0].unsqueeze(0).expand(shape)
    return x, F.LIParameters(beta), v0


@settings(max_examples=100, deadline=None)
@given(readout_calls())
def test_the_readout_trace_without_gradients_is_the_loops_to_the_last_bit(call):
    x, params, v0 = call
    assert _choose.choose_membrane_kernel(x, params.beta, v0) is cpu
    state = None if v0 is None else F.LIState(v0)
    trace, final = F.leaky_integrator(x, params, state)
    stepped, step_state = [], state
    for x_t in x:  # the reference: one step at a time
        v_t, step_state = F.leaky_integrator_step(x_t, params, step_state)
        stepped.append(v_t)
    assert torch.equal(trace, torch.stack(stepped))
    assert torch.equal(final.v, step_state.v)


def test_the_readout_needs_the_loop_for_gradients_and_uncovered_inputs(x):
    beta = torch.tensor(0.8, requires_grad=True)
    assert _choose.choose_membrane_kernel(x, beta, None) is None
    with torch.no_grad():
        assert _choose.choose_membrane_kernel(x, beta, None) is cpu
    assert _choose.choose_membrane_kernel(x.requires_grad_(), 0.8, None) is None
    assert _choose.choose_membrane_kernel(x.detach().bfloat16(), 0.8, None) is None
    assert _choose.choose_membrane_kernel(x.detach(), torch.full((N,), 0.8).double(), None) is None
    readout = snn.LeakyIntegrator(0.8, learn_beta=True)
    readout(x).sum().backward()
    assert readout.beta.grad is not None and readout.beta.grad.abs() > 0


def test_a_non_finite_readout_input_is_rejected_on_either_path(x):
    x[3, 1, 2] = float("nan")
    for grad in (False, True):
        with (
            torch.set_grad_enabled(grad),
            pytest.raises(ValueError, match="leaky_integrator input must be finite, found 1"),
        ):
            snn.LeakyIntegrator(0.9, learn_beta=True)(x)
