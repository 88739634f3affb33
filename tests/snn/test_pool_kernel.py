"""The 2x2 max pool kernel gives PyTorch's `F.max_pool2d(x, 2)`: the same values and gradients."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from greenspike.snn.kernels import _build, pool
from greenspike.train.models import MaxPool2x2, build_pair

pytestmark = pytest.mark.skipif(pool._library() is None, reason="no C compiler")

SHAPES = st.tuples(
    st.integers(1, 3), st.integers(1, 3), st.integers(2, 9), st.integers(2, 9)
)  # B, C, H, W: odd sizes leave a row or column out


def both(x: torch.Tensor, grad: torch.Tensor, pool_fn) -> tuple[torch.Tensor, torch.Tensor]:
    """(pooled, input gradient) of `pool_fn` on a leaf copy of `x`, weighted by `grad`."""
    leaf = x.detach().clone().requires_grad_()
    out = pool_fn(leaf)
    out.backward(grad)
    return out, leaf.grad


def assert_identical(a: torch.Tensor, b: torch.Tensor) -> None:
    """Equal values, NaN where NaN, and the same sign of every zero."""
    assert a.shape == b.shape and a.dtype == b.dtype
    assert torch.equal(a.isnan(), b.isnan())
    assert torch.equal(a.nan_to_num(), b.nan_to_num())
    assert torch.equal(a.signbit(), b.signbit())


@settings(max_examples=60, deadline=None)
@given(
    SHAPES,
    st.sampled_from([torch.float32, torch.float64]),
    st.booleans(),
    st.integers(0, 2**31 - 1),
)
def test_values_and_gradients_are_pytorchs(shape, dtype, ties, seed):
    generator = torch.Generator().manual_seed(seed)
    if ties:  # few distinct values: many windows with several maxima (and -0 against +0)
        x = torch.randint(-1, 2, shape, generator=generator).to(dtype) * 0.5
        x = torch.where(torch.rand(shape, generator=generator) < 0.2, -x, x)
    else:
        x = torch.randn(shape, generator=generator, dtype=dtype)
    out_shape = (*shape[:2], shape[2] // 2, shape[3] // 2)
    grad = torch.randn(out_shape, generator=generator, dtype=dtype)
    grad[torch.rand(out_shape, generator=generator) < 0.2] = -0.0
    expected = both(x, grad, lambda t: F.max_pool2d(t, 2))
    got = both(x, grad, pool.max_pool2x2)
    for a, b in zip(got, expected, strict=True):
        assert_identical(a, b)
    with torch.no_grad():
        assert_identical(pool.max_pool2x2(x), expected[0])
    assert_identical(pool.max_pool2x2(x[0]), F.max_pool2d(x[0], 2))  # [C, H, W]


@settings(max_examples=30, deadline=None)
@given(SHAPES, st.integers(0, 2**31 - 1), st.sampled_from([math.nan, math.inf, -math.inf]))
def test_nan_and_infinity_follow_pytorch(shape, seed, special):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 3, shape, generator=generator).float()
    x[torch.rand(shape, generator=generator) < 0.3] = special
    grad = torch.randn(*shape[:2], shape[2] // 2, shape[3] // 2, generator=generator)
    expected = both(x, grad, lambda t: F.max_pool2d(t, 2))
    got = both(x, grad, pool.max_pool2x2)
    for a, b in zip(got, expected, strict=True):
        assert_identical(a, b)


def test_second_derivatives_are_pytorchs():
    x = torch.randn(2, 3, 6, 5, dtype=torch.float64, requires_grad=True)
    grad = torch.randn(2, 3, 3, 2, dtype=torch.float64, requires_grad=True)
    ours = torch.autograd.grad(pool.max_pool2x2(x), x, grad, create_graph=True)[0]
    theirs = torch.autograd.grad(F.max_pool2d(x, 2), x, grad, create_graph=True)[0]
    assert torch.equal(ours, theirs)
    weights = torch.randn_like(ours)
    assert torch.equal(
        torch.autograd.grad((ours * weights).sum(), grad)[0],
        torch.autograd.grad((theirs * weights).sum(), grad)[0],
    )


def test_only_one_byte_per_output_is_kept_for_the_backward():
    x = torch.randn(4, 8, 14, 14, requires_grad=True)
    out = pool.max_pool2x2(x)
    saved = out.grad_fn.saved_tensors
    assert [(t.dtype, t.shape) for t in saved] == [(torch.uint8, out.shape)]


def test_what_the_kernel_does_not_take_runs_pytorch():
    x = torch.randn(2, 3, 8, 8).transpose(2, 3)  # not contiguous
    assert not pool._fits(x) and torch.equal(pool.max_pool2x2(x), F.max_pool2d(x, 2))
    assert not pool._fits(torch.zeros(2, 3, 1, 8))
    assert not pool._fits(torch.zeros(2, 3, 8, 8, dtype=torch.float16))
    with pytest.raises(RuntimeError):  # PyTorch's own error for a window larger than the input
        pool.max_pool2x2(torch.zeros(2, 3, 1, 1))


def test_the_twins_pool_is_a_max_pool2d_with_its_results():
    layer = MaxPool2x2()
    assert isinstance(layer, torch.nn.MaxPool2d) and layer.kernel_size == 2
    x = torch.randn(3, 4, 10, 10)
    assert torch.equal(layer(x), F.max_pool2d(x, 2))
    layer.padding = 1  # changed settings: nn.MaxPool2d's own forward
    assert torch.equal(layer(x), F.max_pool2d(x, 2, padding=1))
    for twin in build_pair("cnn", (28, 28), 10, (4, 8), 4, "direct"):
        pools = [type(m) for m in twin.modules() if isinstance(m, torch.nn.MaxPool2d)]
        assert pools == [MaxPool2x2, MaxPool2x2]


def test_without_a_compiler_it_warns_and_runs_pytorch(tmp_path, monkeypatch):
    monkeypatch.setenv("GREENSPIKE_KERNEL_CACHE", str(tmp_path))
    monkeypatch.setenv("CC", str(tmp_path / "no-such-compiler"))
    _build.load_pool_library.cache_clear()
    pool._library.cache_clear()
    try:
        unavailable = "2x2 max pool kernel is unavailable.*using PyTorch's own max pool"
        with pytest.warns(RuntimeWarning, match=unavailable):
            x = torch.randn(2, 3, 8, 8)
            assert torch.equal(pool.max_pool2x2(x), F.max_pool2d(x, 2))
    finally:
        _build.load_pool_library.cache_clear()
        pool._library.cache_clear()
