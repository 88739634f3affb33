"""Checks at the public boundary of the functional core: each error names the bad value."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, Literal, Protocol, TypeVar, get_args

import torch

from greenspike.errors import InvalidInputError

# What a spiking neuron does to its membrane after a spike (see `functional.lif`).
ResetMode = Literal["subtract", "zero", "none"]
RESET_MODES: tuple[ResetMode, ...] = get_args(ResetMode)
# A neuron parameter: one value for the layer, or a tensor of per-neuron values.
Value = float | torch.Tensor


def check_sequence(x: torch.Tensor, caller: str) -> None:
    """`x` is a floating-point time-major tensor `[T, B, ...]` (finiteness: `check_finite`)."""
    _check_tensor(x, caller)
    if x.dim() < 3:
        raise InvalidInputError(
            f"{caller} expects a time-major tensor [T, B, ...] with at least 3 dimensions "
            f"(time steps, batch, features), got shape {list(x.shape)}; for a single time step "
            "[B, ...] use the step function, for a single sample add a batch dimension"
        )
    if x.shape[0] == 0:
        raise InvalidInputError(f"{caller} got an input with 0 time steps (shape {list(x.shape)})")


def check_step(x_t: torch.Tensor, caller: str) -> None:
    """`x_t` is a finite floating-point tensor for one time step, `[B, ...]`."""
    _check_tensor(x_t, caller)
    if x_t.dim() < 2:
        raise InvalidInputError(
            f"{caller} expects one time step [B, ...] with at least 2 dimensions "
            f"(batch, features), got shape {list(x_t.shape)}"
        )
    check_finite(x_t, f"{caller} input")


def _check_tensor(x: object, caller: str) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{caller} expects a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(
            f"{caller} expects a floating-point tensor, got {x.dtype}; convert it with .float()"
        )


def check_finite(x: torch.Tensor, what: str) -> None:
    """Every value of `x` is finite; the error names `what` and counts the bad values.

    A dimension that only repeats values (stride 0, as `expand` makes) is read once: checking
    a directly encoded input costs what checking one step does, and copies nothing.
    """
    x = x.detach()  # a check, not part of the graph: autograd keeps nothing for it
    if x.numel() == 0:
        return
    x = x[tuple(slice(0, 1) if step == 0 else slice(None) for step in x.stride())]
    # One pass and no temporary of x's size (isfinite would allocate two): the extremes are
    # finite exactly when every value is, as min and max propagate NaN.
    if all(bool(torch.isfinite(extreme)) for extreme in torch.aminmax(x)):
        return
    bad = x[~torch.isfinite(x)]
    raise InvalidInputError(
        f"{what} must be finite, found {bad.numel()} non-finite values (e.g. {bad[0].item()})"
    )


def check_parameter_type(params: object, kind: type, caller: str) -> None:
    """`params` is the parameter NamedTuple of the neuron, e.g. `LIFParameters` for `lif`."""
    if not isinstance(params, kind):
        raise TypeError(
            f"{caller} expects its parameters as one {kind.__name__}(...), got {params!r}"
        )


def check_decay(name: str, value: Value, step_shape: torch.Size) -> None:
    """A decay factor per time step, in [0, 1], one value or one per neuron of `step_shape`."""
    check_unit_interval(name, value)
    check_broadcast(name, value, step_shape)


def check_unit_interval(name: str, value: Value) -> None:
    """A decay factor per time step: finite, within [0, 1]."""
    low, high = _checked_range(name, value)
    if low < 0 or high > 1:
        raise InvalidInputError(
            f"{name} must lie in [0, 1] (a decay factor per time step), got {_describe(value)}"
        )


def check_positive(name: str, value: Value) -> None:
    low, _ = _checked_range(name, value)
    if low <= 0:
        raise InvalidInputError(f"{name} must be > 0, got {_describe(value)}")


def check_finite_value(name: str, value: Value) -> None:
    """A number, or a tensor of them, all finite."""
    _checked_range(name, value)


def check_non_negative(name: str, value: Value) -> None:
    low, _ = _checked_range(name, value)
    if low < 0:
        raise InvalidInputError(f"{name} must be >= 0, got {_describe(value)}")


def check_reset(reset: str) -> None:
    """`reset` is one of `RESET_MODES`."""
    if reset not in RESET_MODES:
        raise InvalidInputError(
            f"reset must be one of {', '.join(map(repr, RESET_MODES))}, got {reset!r}"
        )


def check_broadcast(name: str, value: Value, step_shape: torch.Size) -> None:
    """A per-neuron parameter broadcasts to one time step `[B, ...]` without enlarging it."""
    if not isinstance(value, torch.Tensor) or value.dim() == 0:
        return
    try:
        shape = torch.broadcast_shapes(value.shape, step_shape)
    except RuntimeError:
        shape = None
    if shape != step_shape:
        raise InvalidInputError(
            f"{name} of shape {list(value.shape)} does not broadcast to one time step of shape "
            f"{list(step_shape)}: give one value per neuron, aligned with the trailing dimensions"
        )


class _NamedTensors(Protocol):
    """A neuron's state: a NamedTuple of tensors of one time step's shape."""

    @property
    def _fields(self) -> tuple[str, ...]: ...

    def __iter__(self) -> Iterator[torch.Tensor]: ...


StateT = TypeVar("StateT", bound=_NamedTensors)


def initial_state(kind: type[StateT], state: StateT | None, x_t: torch.Tensor) -> StateT:
    """`state`, each tensor checked to have the shape of one step `x_t`, or zeros if None."""
    if state is None:
        named_tuple: Any = kind  # a TypeVar cannot be bounded by "any NamedTuple class"
        return named_tuple._make(torch.zeros_like(x_t) for _ in named_tuple._fields)
    check_state(state, x_t.shape)
    return state


def check_state(state: _NamedTensors, step_shape: torch.Size) -> None:
    """Each tensor of `state` has the shape of one time step, `step_shape`."""
    for name, value in zip(state._fields, state, strict=True):
        if value.shape != step_shape:
            raise InvalidInputError(
                f"state {name} has shape {list(value.shape)}, expected {list(step_shape)} "
                "(one time step of the input, [B, ...])"
            )


def _checked_range(name: str, value: Value) -> tuple[float, float]:
    if isinstance(value, torch.Tensor):
        if value.numel() == 0:
            raise InvalidInputError(f"{name} is an empty tensor")
        detached = value.detach()
        if not bool(torch.isfinite(detached).all()):
            raise InvalidInputError(f"{name} must be finite, got {_describe(value)}")
        return detached.min().item(), detached.max().item()
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInputError(f"{name} must be a finite number or tensor, got {value!r}")
    return float(value), float(value)


def _describe(value: Value) -> str:
    if isinstance(value, torch.Tensor):
        if value.numel() == 1:
            return f"{value.item():g}"
        detached = value.detach()
        return f"a tensor with values from {detached.min().item():g} to {detached.max().item():g}"
    return f"{value!r}"
