"""Max pooling of accumulated inputs: the max pool a spiking network can do soundly over time."""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F

from greenspike.errors import InvalidInputError
from greenspike.snn.functional import _checks
from greenspike.snn.functional._scan import scan


class MaxPoolState(NamedTuple):
    """State of an accumulated max pool after a time step.

    Attributes:
        total: the sum of the inputs so far `[B, C, H, W]`.
        pooled: the max pool of `total` `[B, C, H_out, W_out]`.
    """

    total: torch.Tensor
    pooled: torch.Tensor


class MaxPoolParameters(NamedTuple):
    """Windows of an accumulated max pool (equations: `accumulated_max_pool2d`).

    Attributes:
        kernel_size: the window, (height, width).
        stride: the step between windows, (height, width).
        padding: the implicit padding on each side (never the maximum), (height, width).
    """

    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int] = (0, 0)


def accumulated_max_pool2d(
    x: torch.Tensor, params: MaxPoolParameters, state: MaxPoolState | None = None
) -> tuple[torch.Tensor, MaxPoolState]:
    r"""Max-pool the running sum of `x` `[T, B, C, H, W]`; output its change at each step.

    For each step t, from `total[0] = state.total` (zeros by default)::

        total[t] = total[t-1] + x[t]
        y[t]     = maxpool(total[t]) - maxpool(total[t-1])

    so the outputs add up to the max pool of the inputs added up: `y[1] + ... + y[t] =
    maxpool(x[1] + ... + x[t])` (up to rounding). A rate-coded network converted from a ReLU
    network needs exactly this: a max pool of the currents at each step would take the max of
    each step's noise (too large), and a max pool of spikes their OR (too many); this one
    passes the max of the accumulated currents, the quantity the ReLU network pooled (the
    temporal-difference treatment SpikingJelly gives other non-linear operators). Its output
    is a current, not spikes: put it before the spiking layer.

    Args:
        x: inputs `[T, B, C, H, W]` (currents), floating point.
        params: `MaxPoolParameters(kernel_size, stride, padding)`.
        state: the state to start from; None: zeros.

    Returns:
        The outputs `[T, B, C, H_out, W_out]` and `MaxPoolState(total[T], pooled[T])`.

    Raises:
        InvalidInputError: `x` is not `[T, B, C, H, W]`, not finite or too small for a window;
            `state` has the wrong shapes.
        TypeError: `x` is not a floating-point tensor, or `params` not `MaxPoolParameters`.
    """
    _checks.check_sequence(x, "accumulated_max_pool2d")
    check_parameters(params, x.shape[1:], "accumulated_max_pool2d")
    return run_accumulated_max_pool2d(x, params, state)


def run_accumulated_max_pool2d(
    x: torch.Tensor, params: MaxPoolParameters, state: MaxPoolState | None = None
) -> tuple[torch.Tensor, MaxPoolState]:
    """`accumulated_max_pool2d` whose input and parameters were checked already.

    What `snn.AccumulatedMaxPool2d` runs: it checks its parameters when they change.

    Raises:
        InvalidInputError: `x` is not finite; `state` has the wrong shapes.
    """
    _checks.check_finite(x, "accumulated_max_pool2d input")
    return scan(accumulated_max_pool2d_update, x, params, initial_state(params, state, x[0]))


def accumulated_max_pool2d_step(
    x_t: torch.Tensor, params: MaxPoolParameters, state: MaxPoolState | None = None
) -> tuple[torch.Tensor, MaxPoolState]:
    """One step of `accumulated_max_pool2d`: `x_t` `[B, C, H, W]` -> `[B, C, H_out, W_out]`.

    Args:
        x_t: inputs of one step `[B, C, H, W]`, floating point.
        params: `MaxPoolParameters(kernel_size, stride, padding)`.
        state: the state after the previous step; None: zeros.

    Returns:
        The output of the step and the new `MaxPoolState`.

    Raises:
        InvalidInputError: as `accumulated_max_pool2d`, for one step `[B, C, H, W]`.
        TypeError: as `accumulated_max_pool2d`.
    """
    _checks.check_step(x_t, "accumulated_max_pool2d_step")
    check_parameters(params, x_t.shape, "accumulated_max_pool2d_step")
    return accumulated_max_pool2d_update(x_t, params, initial_state(params, state, x_t))


def accumulated_max_pool2d_update(
    x_t: torch.Tensor, params: MaxPoolParameters, state: MaxPoolState
) -> tuple[torch.Tensor, MaxPoolState]:
    """The unchecked update of one step: output, new state."""
    total = state.total + x_t
    pooled = _pool(total, params)
    return pooled - state.pooled, MaxPoolState(total, pooled)


def _pool(x: torch.Tensor, params: MaxPoolParameters) -> torch.Tensor:
    return F.max_pool2d(x, params.kernel_size, params.stride, params.padding)


def initial_state(
    params: MaxPoolParameters, state: MaxPoolState | None, x_t: torch.Tensor
) -> MaxPoolState:
    """`state`, its shapes checked against one step `x_t`, or zeros if None.

    Raises:
        InvalidInputError: `state` has the wrong shapes.
        TypeError: `state` is not a `MaxPoolState`.
    """
    pooled_shape = _pool(torch.zeros((1, *x_t.shape[1:]), device="meta"), params).shape[1:]
    if state is None:
        total = torch.zeros_like(x_t)
        return MaxPoolState(total, total.new_zeros((x_t.shape[0], *pooled_shape)))
    _checks.check_parameter_type(state, MaxPoolState, "accumulated_max_pool2d")
    for name, value, shape in (
        ("total", state.total, x_t.shape),
        ("pooled", state.pooled, torch.Size((x_t.shape[0], *pooled_shape))),
    ):
        if value.shape != shape:
            raise InvalidInputError(
                f"state {name} has shape {list(value.shape)}, expected {list(shape)}"
            )
    return state


def check_parameters(params: MaxPoolParameters, step_shape: torch.Size, caller: str) -> None:
    """`params` are `MaxPoolParameters` whose windows fit steps of shape `step_shape`.

    Raises:
        InvalidInputError: the step is not `[B, C, H, W]`, or a window is invalid or too large.
        TypeError: `params` is not `MaxPoolParameters`.
    """
    _checks.check_parameter_type(params, MaxPoolParameters, caller)
    if len(step_shape) != 4:
        raise InvalidInputError(
            f"{caller} expects images [T, B, C, H, W] (one step [B, C, H, W]), got a step of "
            f"shape {list(step_shape)}"
        )
    for name in MaxPoolParameters._fields:
        pair = getattr(params, name)
        low = 0 if name == "padding" else 1
        if len(pair) != 2 or any(not isinstance(n, int) or n < low for n in pair):
            raise InvalidInputError(f"{name} must be two integers >= {low}, got {pair!r}")
    for size, kernel, pad in zip(step_shape[-2:], params.kernel_size, params.padding, strict=True):
        if 2 * pad > kernel:
            raise InvalidInputError(
                f"padding {params.padding} must be at most half the window {params.kernel_size}"
            )
        if size + 2 * pad < kernel:
            raise InvalidInputError(
                f"a window of {params.kernel_size} does not fit images of "
                f"{list(step_shape[-2:])} with padding {params.padding}"
            )
