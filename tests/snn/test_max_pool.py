"""The accumulated max pool: its outputs add up to the max pool of its inputs added up."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.nn import functional

from greenspike import snn
from greenspike.snn import functional as F


@settings(max_examples=40, deadline=None)
@given(
    steps=st.integers(1, 6),
    size=st.integers(3, 7),
    kernel=st.integers(1, 3),
    stride=st.integers(1, 3),
    padding=st.integers(0, 1),
    seed=st.integers(0, 2**16),
)
def test_outputs_add_up_to_the_max_pool_of_the_inputs_added_up(
    steps, size, kernel, stride, padding, seed
):
    padding = min(padding, kernel // 2)
    x = torch.randn(steps, 2, 3, size, size, generator=torch.Generator().manual_seed(seed))
    x = x.double()
    pool = snn.AccumulatedMaxPool2d(kernel, stride, padding)
    y = pool(x)
    for t in range(1, steps + 1):
        expected = functional.max_pool2d(x[:t].sum(0), kernel, stride, padding)
        torch.testing.assert_close(y[:t].sum(0), expected)


def test_a_constant_input_gets_the_plain_max_pool_at_every_step():
    x = torch.randn(1, 2, 3, 4, 4).expand(5, -1, -1, -1, -1)
    y = snn.AccumulatedMaxPool2d(2)(x)
    torch.testing.assert_close(y, functional.max_pool2d(x[0], 2).expand_as(y))


def test_unlike_a_max_pool_at_each_step_it_takes_the_max_of_the_totals():
    """Two inputs alternate 1, 0 and 0, 1: each step's max is 1, the totals' max is half."""
    a = torch.tensor([1.0, 0.0] * 4)
    x = torch.stack([a, 1 - a], -1).view(8, 1, 1, 1, 2)
    y = snn.AccumulatedMaxPool2d((1, 2))(x)
    assert y.sum().item() == 4.0
    assert functional.max_pool2d(x.flatten(0, 1), (1, 2)).sum().item() == 8.0


def test_step_by_step_equals_the_sequence_and_a_sequence_continues_from_its_state():
    x = torch.randn(6, 2, 3, 5, 5, generator=torch.Generator().manual_seed(1))
    pool = snn.AccumulatedMaxPool2d(3, 2, 1)
    whole, final = pool(x, return_state=True)
    state, steps = None, []
    for x_t in x:
        y_t, state = pool.step(x_t, state)
        steps.append(y_t)
    assert torch.equal(torch.stack(steps), whole)
    assert all(torch.equal(a, b) for a, b in zip(state, final, strict=True))
    first, middle = pool(x[:2], return_state=True)
    assert torch.equal(torch.cat([first, pool(x[2:], middle)]), whole)


def test_bad_inputs_are_refused():
    pool = snn.AccumulatedMaxPool2d(2)
    with pytest.raises(ValueError, match=r"expects images \[T, B, C, H, W\]"):
        pool(torch.zeros(3, 2, 8))
    with pytest.raises(ValueError, match="does not fit"):
        snn.AccumulatedMaxPool2d(5)(torch.zeros(3, 1, 1, 4, 4))
    with pytest.raises(ValueError, match="kernel_size must be one integer or two"):
        snn.AccumulatedMaxPool2d((2, 2, 2))
    with pytest.raises(ValueError, match="state pooled has shape"):
        F.accumulated_max_pool2d(
            torch.zeros(2, 1, 1, 4, 4),
            F.MaxPoolParameters((2, 2), (2, 2)),
            F.MaxPoolState(torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 4, 4)),
        )
