"""Surrogate gradients: the exact Heaviside step forward, a smooth derivative backward.

A spiking neuron fires `s = H(v - threshold)`, whose true derivative is zero almost everywhere.
A surrogate keeps that exact forward pass and, in the backward pass, multiplies the incoming
gradient by the derivative `g'(x)` of a smooth step `g` at `x = v - threshold`.

Each surrogate is a small frozen object. Calling it on a tensor applies the spike function with
autograd (`surrogate(x)`); `heaviside(x)` and `surrogate.derivative(x)` are the plain forward and
backward functions, so a fused kernel can reproduce both; `surrogate.primitive(x)` is the smooth
step `g` itself (used to check the derivative, and to plot it).

Convention: `H(x) = 1` for `x > 0`, else `0` (a membrane exactly at threshold does not fire), as
in snnTorch and Norse; SpikingJelly fires at `x >= 0`. The two differ only when `v` equals the
threshold exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

from greenspike.errors import InvalidInputError


def heaviside(x: torch.Tensor) -> torch.Tensor:
    """The spike function `H(x)`, without gradient.

    Args:
        x: `v - threshold`, any shape.

    Returns:
        1.0 where `x > 0`, else 0.0, in `x`'s dtype.
    """
    return (x > 0).to(x.dtype)


class _SpikeFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, surrogate: Surrogate) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.surrogate = surrogate
        return heaviside(x)

    @staticmethod
    def backward(ctx: Any, grad_spikes: torch.Tensor) -> tuple[torch.Tensor, None]:
        (x,) = ctx.saved_tensors
        return grad_spikes * ctx.surrogate.derivative(x), None


@dataclass(frozen=True)
class Surrogate:
    """Base of the surrogates: forward `heaviside`, backward `derivative`."""

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Fire: the spikes `heaviside(x)`, differentiated as `derivative(x)`.

        Args:
            x: `v - threshold`, any shape.

        Returns:
            1.0 where `x > 0`, else 0.0, in `x`'s dtype; backward, the incoming gradient times
            `derivative(x)`.
        """
        return _SpikeFunction.apply(x, self)

    def derivative(self, x: torch.Tensor) -> torch.Tensor:
        """The factor the backward pass applies in place of the step's derivative.

        Args:
            x: `v - threshold`, any shape.

        Returns:
            `g'(x)`, elementwise.
        """
        raise NotImplementedError

    def primitive(self, x: torch.Tensor) -> torch.Tensor:
        """The smooth step whose derivative is `derivative` (up to a constant).

        Args:
            x: `v - threshold`, any shape.

        Returns:
            `g(x)`, elementwise.
        """
        raise NotImplementedError


def _check_positive(name: str, value: float, surrogate: str) -> None:
    if not (math.isfinite(value) and value > 0):
        raise InvalidInputError(
            f"{surrogate}: {name} must be a positive finite number, got {value!r}"
        )


@dataclass(frozen=True)
class ATan(Surrogate):
    """Arc-tangent surrogate, the default of greenspike's neurons.

    `g(x) = atan(pi/2 * alpha * x) / pi + 1/2`,
    `g'(x) = alpha / (2 * (1 + (pi/2 * alpha * x)^2))`; peak `alpha / 2` at threshold.

    Same as snnTorch `surrogate.atan(alpha)` and SpikingJelly `surrogate.ATan(alpha)`.

    Attributes:
        alpha: the sharpness, > 0.
    """

    alpha: float = 2.0

    def __post_init__(self) -> None:
        """Check the parameter.

        Raises:
            InvalidInputError: `alpha` is not a positive finite number.
        """
        _check_positive("alpha", self.alpha, "atan")

    def derivative(self, x: torch.Tensor) -> torch.Tensor:
        """`g'(x)` above, elementwise."""
        return self.alpha / 2 / (1 + (math.pi / 2 * self.alpha * x) ** 2)

    def primitive(self, x: torch.Tensor) -> torch.Tensor:
        """`g(x)` above, elementwise."""
        return torch.atan(math.pi / 2 * self.alpha * x) / math.pi + 0.5


@dataclass(frozen=True)
class FastSigmoid(Surrogate):
    """Fast sigmoid (SuperSpike) surrogate.

    `g(x) = x / (1 + slope * |x|)`, `g'(x) = 1 / (1 + slope * |x|)^2`; peak 1 at threshold.

    Same as snnTorch `surrogate.fast_sigmoid(slope)`. Norse 1.1's `method="super"` is this with
    `slope = 1` (its `alpha` is not used in the backward pass).

    Attributes:
        slope: the sharpness, > 0.
    """

    slope: float = 25.0

    def __post_init__(self) -> None:
        """Check the parameter.

        Raises:
            InvalidInputError: `slope` is not a positive finite number.
        """
        _check_positive("slope", self.slope, "fast_sigmoid")

    def derivative(self, x: torch.Tensor) -> torch.Tensor:
        """`g'(x)` above, elementwise."""
        return 1 / (1 + self.slope * x.abs()) ** 2

    def primitive(self, x: torch.Tensor) -> torch.Tensor:
        """`g(x)` above, elementwise."""
        return x / (1 + self.slope * x.abs())


@dataclass(frozen=True)
class Sigmoid(Surrogate):
    """Logistic sigmoid surrogate.

    `g(x) = sigmoid(alpha * x)`, `g'(x) = alpha * sigmoid(alpha * x) * (1 - sigmoid(alpha * x))`;
    peak `alpha / 4`.

    Same as SpikingJelly `surrogate.Sigmoid(alpha)` (default 4) and snnTorch
    `surrogate.sigmoid(slope)` with `slope = alpha` (snnTorch's default is 25).

    Attributes:
        alpha: the sharpness, > 0.
    """

    alpha: float = 4.0

    def __post_init__(self) -> None:
        """Check the parameter.

        Raises:
            InvalidInputError: `alpha` is not a positive finite number.
        """
        _check_positive("alpha", self.alpha, "sigmoid")

    def derivative(self, x: torch.Tensor) -> torch.Tensor:
        """`g'(x)` above, elementwise."""
        s = torch.sigmoid(self.alpha * x)
        return self.alpha * s * (1 - s)

    def primitive(self, x: torch.Tensor) -> torch.Tensor:
        """`g(x)` above, elementwise."""
        return torch.sigmoid(self.alpha * x)


@dataclass(frozen=True)
class Triangle(Surrogate):
    """Triangular surrogate of unit area.

    `g'(x) = max(0, 1 - |x| / width) / width`; `g` rises piecewise-quadratically from 0 at
    `x = -width` to 1 at `x = width`.

    Norse's `method="triangle"`, `alpha * max(0, 1 - |x|)`, is `alpha` times `triangle(1.0)`.

    Attributes:
        width: the half-width of the triangle, > 0.
    """

    width: float = 1.0

    def __post_init__(self) -> None:
        """Check the parameter.

        Raises:
            InvalidInputError: `width` is not a positive finite number.
        """
        _check_positive("width", self.width, "triangle")

    def derivative(self, x: torch.Tensor) -> torch.Tensor:
        """`g'(x)` above, elementwise."""
        return torch.clamp(1 - x.abs() / self.width, min=0) / self.width

    def primitive(self, x: torch.Tensor) -> torch.Tensor:
        """`g(x)` above, elementwise."""
        u = torch.clamp(x / self.width, -1, 1)
        return 0.5 + u - u * u.abs() / 2


@dataclass(frozen=True)
class StraightThrough(Surrogate):
    """Straight-through estimator: `g(x) = x`, `g'(x) = 1` (the gradient passes unchanged).

    Same as snnTorch `surrogate.straight_through_estimator()`.
    """

    def derivative(self, x: torch.Tensor) -> torch.Tensor:
        """`g'(x) = 1`, elementwise."""
        return torch.ones_like(x)

    def primitive(self, x: torch.Tensor) -> torch.Tensor:
        """`g(x) = x`."""
        return x


def atan(alpha: float = 2.0) -> ATan:
    """Arc-tangent surrogate (the default of greenspike's neurons), see `ATan`.

    Args:
        alpha: the sharpness; the derivative peaks at `alpha / 2`.

    Returns:
        The surrogate.

    Raises:
        InvalidInputError: `alpha` is not a positive finite number.
    """
    return ATan(alpha)


def fast_sigmoid(slope: float = 25.0) -> FastSigmoid:
    """Fast-sigmoid (SuperSpike) surrogate, see `FastSigmoid`.

    Args:
        slope: the sharpness.

    Returns:
        The surrogate.

    Raises:
        InvalidInputError: `slope` is not a positive finite number.
    """
    return FastSigmoid(slope)


def sigmoid(alpha: float = 4.0) -> Sigmoid:
    """Logistic-sigmoid surrogate, see `Sigmoid`.

    Args:
        alpha: the sharpness; the derivative peaks at `alpha / 4`.

    Returns:
        The surrogate.

    Raises:
        InvalidInputError: `alpha` is not a positive finite number.
    """
    return Sigmoid(alpha)


def triangle(width: float = 1.0) -> Triangle:
    """Triangular surrogate of unit area, see `Triangle`.

    Args:
        width: the half-width of the triangle.

    Returns:
        The surrogate.

    Raises:
        InvalidInputError: `width` is not a positive finite number.
    """
    return Triangle(width)


def straight_through() -> StraightThrough:
    """Straight-through estimator, see `StraightThrough`.

    Returns:
        The surrogate.
    """
    return StraightThrough()


# The surrogate every neuron uses unless told otherwise (surrogates are immutable).
DEFAULT_SURROGATE = ATan()
