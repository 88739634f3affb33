"""The functional core's calling convention: `(x, params, state=None)` for sequence and step."""

from __future__ import annotations

import pytest
import torch

from greenspike import snn
from greenspike.snn import functional as F
from greenspike.snn import surrogate

T, B, N = 9, 3, 5


def calls():
    """Per neuron: its sequence and step functions, parameters, and the module they match."""
    weight = torch.randn(N, N, generator=torch.Generator().manual_seed(1)) * 0.5
    rec = snn.RecurrentLIF(N, 0.9, 0.8, reset="zero")
    with torch.no_grad():
        rec.recurrent.weight.copy_(weight)
    return {
        "lif": (
            F.lif,
            F.lif_step,
            F.LIFParameters(0.9, 0.8, reset="zero", surrogate=surrogate.sigmoid(3.0)),
            snn.LIF(0.9, 0.8, reset="zero", surrogate=surrogate.sigmoid(3.0)),
        ),
        "cuba": (
            F.cuba_lif,
            F.cuba_lif_step,
            F.CubaLIFParameters(0.6, 0.85, reset="none"),
            snn.CubaLIF(0.6, 0.85, reset="none"),
        ),
        "alif": (
            F.alif,
            F.alif_step,
            F.ALIFParameters(0.9, adaptation_decay=0.8, adaptation_scale=0.5, detach_reset=True),
            snn.ALIF(0.9, adaptation_decay=0.8, adaptation_scale=0.5, detach_reset=True),
        ),
        "recurrent": (
            F.recurrent_lif,
            F.recurrent_lif_step,
            F.RecurrentLIFParameters(weight, 0.9, 0.8, reset="zero"),
            rec,
        ),
        "readout": (F.leaky_integrator, F.leaky_integrator_step, F.LIParameters(0.8), None),
    }


@pytest.fixture
def x():
    return torch.randn(T, B, N, generator=torch.Generator().manual_seed(0)) * 1.5


@pytest.mark.parametrize("name", list(calls()))
def test_stepping_equals_the_whole_sequence(name, x):
    sequence, step, params, _ = calls()[name]
    outputs, final = sequence(x, params)
    state, stepped = None, []
    for x_t in x:
        out_t, state = step(x_t, params, state)
        stepped.append(out_t)
    assert torch.equal(torch.stack(stepped), outputs)
    assert type(state) is type(final)
    for mine, theirs in zip(state, final, strict=True):
        assert torch.equal(mine, theirs)
    continued, _ = sequence(x[4:], params, sequence(x[:4], params)[1])
    assert torch.equal(continued, outputs[4:])


@pytest.mark.parametrize("name", [name for name, call in calls().items() if call[3] is not None])
def test_a_module_runs_its_functional_pair_with_its_values(name, x):
    sequence, _, params, module = calls()[name]
    assert torch.equal(module(x), sequence(x, params)[0])
    assert type(module._functional_parameters()) is type(params)


def test_parameters_have_the_defaults_of_the_modules():
    assert F.LIFParameters(0.9) == (0.9, 1.0, "subtract", surrogate.atan(2.0), False, False)
    assert F.LIFParameters._fields == (
        "beta",
        "threshold",
        "reset",
        "surrogate",
        "detach_reset",
        "reset_delay",
    )
    assert F.CubaLIFParameters(0.5, 0.9).threshold == 1.0
    assert F.ALIFParameters._fields[:4] == (
        "beta",
        "adaptation_decay",
        "adaptation_scale",
        "threshold",
    )
    assert F.RecurrentLIFParameters._fields[:2] == ("weight", "beta")
    assert F.LIParameters._fields == ("beta",)


def test_parameters_other_than_the_neurons_tuple_are_rejected(x):
    with pytest.raises(
        TypeError, match=r"lif expects its parameters as one LIFParameters\(\.\.\.\), got 0\.9"
    ):
        F.lif(x, 0.9)
    with pytest.raises(TypeError, match=r"cuba_lif_step expects .* CubaLIFParameters"):
        F.cuba_lif_step(x[0], F.LIFParameters(0.9))


def test_parameters_are_checked_by_the_functions(x):
    with pytest.raises(ValueError, match=r"adaptation_decay must lie in \[0, 1\]"):
        F.alif(x, F.ALIFParameters(0.9, adaptation_decay=1.5, adaptation_scale=0.1))
    with pytest.raises(ValueError, match="reset must be one of 'subtract', 'zero', 'none'"):
        F.lif_step(x[0], F.LIFParameters(0.9, reset="soft"))
    with pytest.raises(ValueError, match=r"threshold of shape \[4\] does not broadcast"):
        F.recurrent_lif(x, F.RecurrentLIFParameters(torch.zeros(N, N), 0.9, torch.ones(4)))
