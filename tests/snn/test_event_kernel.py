"""The event-driven Linear + LIF kernel against its PyTorch reference, and its fallbacks."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from greenspike.errors import InvalidInputError
from greenspike.snn.kernels import _build, event
from greenspike.snn.kernels.event import EventLayer, StateGrid


def make_layer(
    inputs: int,
    neurons: int,
    *,
    seed: int = 0,
    int8: bool = False,
    bias: bool = True,
    reset: str = "subtract",
    output: event.Output = "spikes",
    grid: StateGrid | None = None,
) -> EventLayer:
    """Weights and bias on a 1/64 grid: every sum is exact in float32, in any order."""
    g = torch.Generator().manual_seed(seed)
    levels = torch.randint(-20, 21, (inputs, neurons), generator=g)
    rows = levels.to(torch.int8) if int8 else levels.float() / 64
    scale = torch.rand(neurons, generator=g) / 32 + 1 / 64 if int8 else None
    return EventLayer(
        rows=rows.contiguous(),
        scale=scale,
        bias=torch.randint(-8, 9, (neurons,), generator=g).float() / 64 if bias else None,
        beta=torch.tensor([0.5, 0.75, 0.875, 1.0]).repeat(neurons)[:neurons].contiguous(),
        threshold=torch.full((neurons,), 0.25),
        reset=reset,
        output=output,
        grid=grid,
    )


def spikes(steps: int, batch: int, inputs: int, rate: float, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(steps, batch, inputs, generator=g) < rate).float()


@settings(max_examples=40, deadline=None)
@given(
    steps=st.integers(1, 6),
    batch=st.integers(1, 4),
    inputs=st.integers(1, 40),
    neurons=st.integers(1, 600),  # over the kernel's block of 256
    rate=st.sampled_from([0.0, 0.05, 0.3, 1.0]),
    reset=st.sampled_from(["subtract", "zero", "none"]),
    output=st.sampled_from(["spikes", "membrane"]),
    int8=st.booleans(),
    bias=st.booleans(),
    gridded=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_the_kernel_equals_the_reference_exactly_when_sums_are_exact(
    steps, batch, inputs, neurons, rate, reset, output, int8, bias, gridded, seed
):
    grid = StateGrid(step=1 / 128, top=127 / 128) if gridded else None
    layer = make_layer(
        inputs, neurons, seed=seed, int8=int8, bias=bias, reset=reset, output=output, grid=grid
    )
    x = spikes(steps, batch, inputs, rate, seed)
    g = torch.Generator().manual_seed(seed + 1)
    v0 = (torch.randint(-16, 17, (batch, neurons), generator=g).float() / 64).contiguous()
    v_c, v_ref = v0.clone(), v0.clone()
    out_c, events_c = event.run(layer, x, v_c, backend="c")
    out_ref, events_ref = event.run(layer, x, v_ref, backend="reference")
    assert torch.equal(out_c, out_ref)
    assert torch.equal(v_c, v_ref)
    assert events_c == events_ref == int(x.sum())
    if output == "spikes":
        assert set(out_c.unique().tolist()) <= {0.0, 1.0}


def test_graded_inputs_are_weighted_by_their_value():
    layer = make_layer(30, 20, seed=3, output="membrane")
    x = spikes(4, 2, 30, 0.3, 4) * torch.tensor(0.5)  # values 0 or 0.5
    x[0, 0, :5] = torch.tensor([0.25, -1.0, 2.0, 0.0, 1.0])
    out_c, events = event.run(layer, x, torch.zeros(2, 20), backend="c")
    out_ref, _ = event.run(layer, x, torch.zeros(2, 20), backend="reference")
    assert torch.equal(out_c, out_ref)
    assert events == int(torch.count_nonzero(x))


def test_random_float_weights_differ_only_within_rounding_of_the_threshold():
    g = torch.Generator().manual_seed(0)
    k, n = 512, 700
    layer = EventLayer(
        rows=(torch.randn(k, n, generator=g) * 0.05).contiguous(),
        scale=None,
        bias=torch.randn(n, generator=g) * 0.1,
        beta=torch.full((n,), 0.9),
        threshold=torch.ones(n),
        reset="subtract",
        output="spikes",
        grid=None,
    )
    x = spikes(8, 3, k, 0.2, 1)
    v_c, v_ref = torch.zeros(3, n), torch.zeros(3, n)
    out_c, _ = event.run(layer, x, v_c, backend="c")
    out_ref, _ = event.run(layer, x, v_ref, backend="reference")
    # Membranes agree to float32 rounding of sums of ~100 terms; spikes can only differ where
    # the membrane sat that close to the threshold (none do here for these seeds).
    assert torch.allclose(v_c, v_ref, atol=1e-5)
    assert (out_c != out_ref).float().mean() < 1e-3


def test_a_spike_free_input_does_no_accumulation():
    layer = make_layer(64, 300, seed=1)
    x = torch.zeros(5, 2, 64)
    v = torch.zeros(2, 300)
    out, events = event.run(layer, x, v, backend="c")
    assert events == 0
    # Only the bias drives the membrane: v[t] = beta * v[t-1] + bias, as the reference says.
    out_ref, _ = event.run(layer, x, torch.zeros(2, 300), backend="reference")
    assert torch.equal(out, out_ref)
    one_spike = x.clone()
    one_spike[2, 1, 7] = 1.0
    assert event.run(layer, one_spike, torch.zeros(2, 300), backend="c")[1] == 1


def test_unsupported_dtype_falls_back_to_the_reference():
    layer = make_layer(10, 12, seed=2)
    x = spikes(3, 2, 10, 0.5, 2).double()
    assert not event.runs_in_c(layer, x)
    v = torch.zeros(2, 12, dtype=torch.float64)
    out, _ = event.run(layer, x, v)
    expected, _ = event.reference(layer, x, torch.zeros(2, 12, dtype=torch.float64))
    assert out.dtype == torch.float64 and torch.equal(out, expected)
    with pytest.raises(InvalidInputError, match="backend='c' needs float32 CPU inputs"):
        event.run(layer, x, torch.zeros(2, 12, dtype=torch.float64), backend="c")


def test_without_a_compiler_it_warns_and_runs_the_reference(tmp_path, monkeypatch):
    monkeypatch.setenv("GREENSPIKE_KERNEL_CACHE", str(tmp_path))
    monkeypatch.setenv("CC", str(tmp_path / "no-such-compiler"))
    _build.load_event_library.cache_clear()
    event._functions.cache_clear()
    try:
        with pytest.warns(RuntimeWarning, match="event-driven CPU kernel is unavailable"):
            assert not event.available()
        layer = make_layer(10, 12, seed=5)
        x = spikes(3, 2, 10, 0.5, 5)
        out, events = event.run(layer, x, torch.zeros(2, 12))
        expected, _ = event.reference(layer, x, torch.zeros(2, 12))
        assert torch.equal(out, expected) and events == int(x.sum())
    finally:
        _build.load_event_library.cache_clear()
        event._functions.cache_clear()


def test_bad_inputs_are_named():
    layer = make_layer(10, 12, int8=True)
    with pytest.raises(InvalidInputError, match=r"inputs must be \[T, B, 10\]"):
        event.run(layer, torch.zeros(3, 2, 11), torch.zeros(2, 12))
    with pytest.raises(InvalidInputError, match=r"membranes must be contiguous \[2, 12\]"):
        event.run(layer, torch.zeros(3, 2, 10), torch.zeros(12))
    for backend in ("c", "reference"):
        v = torch.ones(2, 12)
        with pytest.raises(InvalidInputError, match="int8 weights take binary spike inputs"):
            event.run(layer, torch.full((3, 2, 10), 0.5), v, backend=backend)
        assert torch.equal(v, torch.ones(2, 12))  # nothing ran
    with pytest.raises(InvalidInputError, match="backend must be one of"):
        event.run(layer, torch.zeros(3, 2, 10), torch.zeros(2, 12), backend="gpu")  # type: ignore[arg-type]


def test_streaming_step_by_step_equals_one_call():
    layer = make_layer(50, 40, seed=9, grid=StateGrid(1 / 128, 127 / 128))
    x = spikes(7, 1, 50, 0.2, 9)
    whole, _ = event.run(layer, x, torch.zeros(1, 40))
    v = torch.zeros(1, 40)
    stepped = torch.cat([event.run(layer, x[t : t + 1], v)[0] for t in range(7)])
    assert torch.equal(whole, stepped)


@pytest.mark.parametrize("grid", [None, StateGrid(1 / 256, 200 / 256)])
@pytest.mark.parametrize("output", ["spikes", "membrane"])
def test_neurons_alone_take_their_currents_as_they_are(grid, output):
    neurons = 300
    layer = EventLayer(
        rows=None,
        scale=None,
        bias=None,
        beta=torch.linspace(0.5, 1.0, neurons),
        threshold=torch.full((neurons,), 0.5),
        reset="subtract",
        output=output,
        grid=grid,
    )
    currents = torch.randn(6, 2, neurons, generator=torch.Generator().manual_seed(0))
    out_c, events = event.run(layer, currents, torch.zeros(2, neurons), backend="c")
    out_ref, _ = event.run(layer, currents, torch.zeros(2, neurons), backend="reference")
    assert events == 0 and layer.inputs == neurons
    assert torch.equal(out_c, out_ref)
