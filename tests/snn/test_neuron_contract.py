"""What every neuron module promises: step == sequence, explicit state, clear errors."""

from __future__ import annotations

import pytest
import torch

from greenspike import snn
from greenspike.snn import functional as F

T, B, N = 9, 3, 6


def neurons():
    per_neuron_beta = torch.linspace(0.5, 0.95, N)
    return {
        "lif-subtract": snn.LIF(beta=0.9, threshold=0.8),
        "lif-zero-per-neuron": snn.LIF(
            beta=per_neuron_beta, threshold=torch.full((N,), 0.7), reset="zero"
        ),
        "lif-none": snn.LIF(beta=0.7, reset="none"),
        "if": snn.IF(threshold=1.2),
        "if-half-threshold-start": snn.IF(threshold=1.2, v_init=0.6),
        "lif-delayed-reset": snn.LIF(beta=0.9, threshold=0.8, reset_delay=True),
        "cuba-delayed-zero-reset": snn.CubaLIF(0.6, 0.85, reset="zero", reset_delay=True),
        "recurrent-delayed-with-bias": snn.RecurrentLIF(N, beta=0.9, reset_delay=True, bias=True),
        "cuba": snn.CubaLIF(alpha=0.6, beta=0.85, reset="zero"),
        "alif": snn.ALIF(0.9, adaptation_decay=0.8, adaptation_scale=0.5),
        "recurrent": snn.RecurrentLIF(N, beta=0.9),
        "readout": snn.LeakyIntegrator(beta=0.8),
    }


@pytest.fixture
def x():
    return torch.randn(T, B, N, generator=torch.Generator().manual_seed(0)) * 1.5


@pytest.mark.parametrize("name", list(neurons()))
def test_stepping_equals_the_whole_sequence(name, x):
    torch.manual_seed(0)
    neuron = neurons()[name]
    outputs, final = neuron(x, return_state=True)
    state, stepped = None, []
    for x_t in x:
        out_t, state = neuron.step(x_t, state)
        stepped.append(out_t)
    assert torch.equal(torch.stack(stepped), outputs)
    assert type(state) is type(final) is neuron.State
    for mine, theirs in zip(state, final, strict=True):
        assert torch.equal(mine, theirs)
    if neuron.emits_spikes:
        assert set(outputs.unique().tolist()) <= {0.0, 1.0}
        assert outputs.sum() > 0, "test input should make some neurons fire"


@pytest.mark.parametrize("name", list(neurons()))
def test_a_sequence_split_in_two_continues_from_its_state(name, x):
    torch.manual_seed(0)
    neuron = neurons()[name]
    whole = neuron(x)
    first, state = neuron(x[:4], return_state=True)
    second = neuron(x[4:], state)
    assert torch.equal(torch.cat([first, second]), whole)


@pytest.mark.parametrize("name", list(neurons()))
def test_no_state_is_kept_between_calls(name, x):
    torch.manual_seed(0)
    neuron = neurons()[name]
    assert torch.equal(neuron(x), neuron(x))
    assert not any(buffer.shape[:1] == (B,) for buffer in neuron.buffers())


@pytest.mark.parametrize("name", list(neurons()))
def test_batch_shaped_input_is_rejected_with_a_hint(name):
    with pytest.raises(
        ValueError,
        match=r"time-major tensor \[T, B, \.\.\.\] with at least 3 "
        r"dimensions .* got shape \[3, 6\]",
    ):
        neurons()[name](torch.zeros(B, N))


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_input_is_rejected(bad, x):
    x[2, 1, 3] = bad
    with pytest.raises(ValueError, match=r"lif input must be finite, found 1 non-finite values"):
        snn.LIF(0.9)(x)
    with pytest.raises(ValueError, match="lif_step input must be finite"):
        snn.LIF(0.9).step(x[2])


def test_integer_input_is_rejected(x):
    with pytest.raises(TypeError, match=r"expects a floating-point tensor, got torch.int64"):
        snn.LIF(0.9)(x.long())


@pytest.mark.parametrize("beta", [1.5, -0.1, float("nan")])
def test_beta_outside_the_unit_interval(beta):
    with pytest.raises(ValueError, match=r"beta must (lie in \[0, 1\]|be a finite).*got"):
        snn.LIF(beta)
    with pytest.raises(ValueError, match=r"beta must"):
        F.lif(torch.zeros(2, 1, 1), F.LIFParameters(beta))


def test_per_neuron_beta_error_reports_the_range():
    with pytest.raises(ValueError, match=r"beta must lie in \[0, 1\] .* values from 0.5 to 1.2"):
        snn.LIF(torch.tensor([0.5, 1.2]))


@pytest.mark.parametrize("threshold", [0.0, -1.0])
def test_non_positive_threshold(threshold):
    with pytest.raises(ValueError, match=f"threshold must be > 0, got {threshold!r}"):
        snn.LIF(0.9, threshold)
    with pytest.raises(ValueError, match="threshold must be > 0"):
        F.cuba_lif(torch.zeros(2, 1, 1), F.CubaLIFParameters(0.5, 0.5, threshold))


def test_other_parameter_errors():
    with pytest.raises(
        ValueError, match="reset must be one of 'subtract', 'zero', 'none', got 'soft'"
    ):
        snn.LIF(0.9, reset="soft")
    with pytest.raises(ValueError, match=r"alpha must lie in \[0, 1\]"):
        snn.CubaLIF(alpha=2.0, beta=0.9)
    with pytest.raises(ValueError, match=r"adaptation_scale must be >= 0, got -0\.1"):
        snn.ALIF(0.9, adaptation_decay=0.9, adaptation_scale=-0.1)
    with pytest.raises(ValueError, match="features must be a positive integer, got 0"):
        snn.RecurrentLIF(0, beta=0.9)


def test_per_neuron_parameters_must_match_the_features(x):
    with pytest.raises(
        ValueError,
        match=r"beta of shape \[4\] does not broadcast to one time step "
        r"of shape \[3, 6\]",
    ):
        snn.LIF(torch.full((4,), 0.9))(x)


def test_state_of_the_wrong_shape(x):
    with pytest.raises(ValueError, match=r"state v has shape \[2, 6\], expected \[3, 6\]"):
        snn.LIF(0.9)(x, F.LIFState(torch.zeros(2, N)))


def test_recurrent_layer_checks_its_feature_count(x):
    with pytest.raises(
        ValueError, match=r"recurrent weight must have shape \[6, 6\] for 6 neurons"
    ):
        snn.RecurrentLIF(5, beta=0.9)(x)
    with pytest.raises(ValueError, match=r"expects inputs \[T, B, N\]"):
        snn.RecurrentLIF(N, beta=0.9)(x.view(T, B, 2, 3))


def test_step_needs_a_batch_dimension():
    with pytest.raises(ValueError, match=r"one time step \[B, \.\.\.\] with at least 2 dimensions"):
        snn.LIF(0.9).step(torch.zeros(N))


def test_conv_shaped_inputs_with_per_channel_parameters():
    x = torch.rand(5, 2, 3, 4, 4) * 2  # [T, B, C, H, W]
    beta = torch.tensor([0.5, 0.8, 1.0]).view(3, 1, 1)
    out = snn.LIF(beta)(x)
    assert out.shape == x.shape
    manual = torch.stack(
        [F.lif(x[:, :, c], F.LIFParameters(float(beta[c])))[0] for c in range(3)], 2
    )
    assert torch.equal(out, manual)


def test_modules_expose_their_parameters_for_export():
    cuba = snn.CubaLIF(alpha=0.6, beta=0.85, threshold=0.5, reset="zero")
    assert (
        cuba.alpha.item(),
        cuba.beta.item(),
        cuba.threshold.item(),
        cuba.reset,
    ) == pytest.approx((0.6, 0.85, 0.5, "zero"))
    assert set(dict(cuba.named_buffers())) == {"alpha", "beta", "threshold"}
    rec = snn.RecurrentLIF(4, beta=0.9)
    assert isinstance(rec.recurrent, torch.nn.Linear)
    assert [name for name, _ in rec.named_parameters()] == ["recurrent.weight"]
    assert isinstance(snn.IF(), snn.LIF) and isinstance(snn.IF(), snn.Neuron)
    assert not snn.LeakyIntegrator(0.9).emits_spikes


def test_learned_beta_and_threshold_receive_gradients_and_beta_is_clamped(x):
    lif = snn.LIF(beta=0.9, learn_beta=True, learn_threshold=True)
    assert {name for name, _ in lif.named_parameters()} == {"beta", "threshold"}
    lif(x).sum().backward()
    assert lif.beta.grad.abs() > 0 and lif.threshold.grad.abs() > 0
    with torch.no_grad():
        lif.beta.fill_(1.3)  # an optimiser overshot: used as 1.0, like snnTorch
    assert torch.equal(lif(x), snn.IF(threshold=1.0)(x))


def test_state_dict_round_trip_keeps_per_neuron_parameters():
    source = snn.CubaLIF(alpha=torch.rand(N), beta=torch.rand(N), threshold=torch.rand(N) + 0.1)
    target = snn.CubaLIF(alpha=torch.zeros(N), beta=torch.zeros(N), threshold=torch.ones(N))
    target.load_state_dict(source.state_dict())
    x = torch.rand(T, B, N)
    assert torch.equal(source(x), target(x))


def test_v_init_is_the_membrane_a_sequence_starts_from_unless_a_state_is_given(x):
    start = torch.linspace(-0.2, 0.9, N)
    lif = snn.LIF(beta=0.8, threshold=1.0, v_init=start)
    from_start = F.lif(x, F.LIFParameters(0.8, 1.0), F.LIFState(start.expand(B, N).clone()))
    assert torch.equal(lif(x), from_start[0])
    first_step = F.lif_step(x[0], F.LIFParameters(0.8, 1.0), F.LIFState(start.expand(B, N)))
    assert torch.equal(lif.step(x[0])[0], first_step[0])
    given = F.LIFState(torch.zeros(B, N))
    assert torch.equal(lif(x, given), snn.LIF(beta=0.8, threshold=1.0)(x))
    assert "v_init=tensor[6]" in repr(lif) and "v_init" in lif.state_dict()
    assert "v_init" not in snn.LIF(0.8).state_dict()  # checkpoints of plain LIF layers load


def test_half_threshold_start_rounds_the_spike_count_of_a_constant_input():
    """IF with subtractive reset fires floor(a T / threshold) times from 0, and
    floor(a T / threshold + 1/2), the nearest count, from half the threshold."""
    charge = torch.tensor([1.25, 3.75, 6.25, 9.75, 13.25])  # a T, T = 16: exact in binary
    x = (charge / 16).expand(16, 1, 5)
    counts = snn.IF(threshold=1.0)(x).sum(0).flatten().tolist()
    rounded = snn.IF(threshold=1.0, v_init=0.5)(x).sum(0).flatten().tolist()
    assert counts == [1.0, 3.0, 6.0, 9.0, 13.0]
    assert rounded == [1.0, 4.0, 6.0, 10.0, 13.0]


def test_bad_v_init_and_reset_delay_repr():
    with pytest.raises(ValueError, match="v_init must be a finite number"):
        snn.LIF(0.9, v_init=float("nan"))
    with pytest.raises(ValueError, match=r"v_init of shape \[4\] does not broadcast"):
        snn.IF(v_init=torch.zeros(4))(torch.zeros(T, B, N))
    assert "reset_delay=True" in repr(snn.LIF(0.9, reset_delay=True))
    assert "reset_delay" not in repr(snn.LIF(0.9))
