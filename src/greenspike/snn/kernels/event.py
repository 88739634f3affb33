"""Event-driven Linear + LIF for inference: the C kernel of `event_cpu.c`, or its reference.

One call runs a whole sequence through `Linear(K, N)` and the neuron layer that follows::

    c[t] = sum over k with x[t, k] != 0 of x[t, k] * W[k, :]  (+ bias)
    h[t] = beta * v[t-1] + c[t];  s[t] = H(h[t] - threshold);  v[t] = reset(h[t], s[t])

then, with a fixed-point state grid `q` (step `q.step`, top `q.top`),
`v[t] = clamp(round(v[t] / step), -levels, levels) * step`. The output is `s` ("spikes"), or
the membrane `v` ("membrane": a leaky integrator readout, no threshold and no reset).

Only the weight rows of the inputs that are not zero are read (`W` is kept input-major,
`[K, N]`, so each is one contiguous row): for binary spikes at rate p, p*K rows per step
instead of K. int8 weights (`rows.dtype == torch.int8`, one scale per output neuron) add up in
int32 and are scaled once: `c = scale * sum(q[k, :])`; they take binary inputs only.
Without weights (`rows` None) the layer is the neurons alone and `c[t] = x[t]`, their currents.

The C kernel runs float32 inputs on the CPU; anything else (float64, another device, no C
compiler) runs `reference`, a PyTorch loop over time with a dense product per step: the same
update, the same results up to the summation order of float32 weights.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import torch

from greenspike.errors import InvalidInputError
from greenspike.snn.kernels._build import load_event_library
from greenspike.snn.kernels.fused import RESET_CODES

Output = Literal["spikes", "membrane"]
OUTPUT_CODES: dict[Output, int] = {"spikes": 0, "membrane": 1}
Backend = Literal["auto", "c", "reference"]
BACKENDS: tuple[Backend, ...] = ("auto", "c", "reference")
# Below this many neuron-steps (T * B * N), one thread does it: a batch-1 layer of 1024
# neurons over 8 steps takes tens of microseconds, less than waking a second thread costs.
_PARALLEL_WORK = 1 << 16

_pointer, _int64, _int, _float = ctypes.c_void_p, ctypes.c_int64, ctypes.c_int, ctypes.c_float


@dataclass(frozen=True)
class StateGrid:
    """A fixed-point neuron state: `v = clamp(round(v / step), -top/step, top/step) * step`.

    Args:
        step: the grid's step (float32).
        top: the largest magnitude, `levels * step` computed in float32 (saturation).
    """

    step: float
    top: float


@dataclass(frozen=True)
class EventLayer:
    """A Linear + neuron layer ready for event-driven inference.

    Args:
        rows: the weights input-major, `[K, N]`, float32 or int8 (contiguous); None for the
            neurons alone, whose inputs `[T, B, N]` are then their currents (e.g. the neurons
            after a dense layer, with a fixed-point state).
        scale: `[N]` float32 scale per output neuron of int8 rows; None for float rows.
        bias: `[N]` float32, or None.
        beta: `[N]` decay per step.
        threshold: `[N]` firing threshold (unused for a membrane output).
        reset: "subtract", "zero" or "none".
        output: "spikes" (a LIF layer) or "membrane" (a leaky integrator).
        grid: the fixed-point state grid, or None for a float32 state.
    """

    rows: torch.Tensor | None
    scale: torch.Tensor | None
    bias: torch.Tensor | None
    beta: torch.Tensor
    threshold: torch.Tensor
    reset: str
    output: Output
    grid: StateGrid | None

    @property
    def inputs(self) -> int:
        """K, the number of inputs (N for the neurons alone)."""
        return self.neurons if self.rows is None else int(self.rows.shape[0])

    @property
    def neurons(self) -> int:
        """N, the number of output neurons."""
        return int(self.beta.shape[0])


def available() -> bool:
    """Whether the C kernel is built (or can be built now) on this machine."""
    return _functions() is not None


def runs_in_c(layer: EventLayer, x: torch.Tensor) -> bool:
    """Whether the C kernel can run `layer` on `x` (else `run` uses the reference)."""
    return x.dtype == torch.float32 and x.device.type == "cpu" and available()


def run(
    layer: EventLayer, x: torch.Tensor, v: torch.Tensor, *, backend: Backend = "auto"
) -> tuple[torch.Tensor, int]:
    """Run `layer` over `x` `[T, B, K]` from the membranes `v` `[B, N]` (updated in place).

    Args:
        layer: the layer.
        x: the inputs, `[T, B, K]`; binary for int8 rows.
        v: the membranes before the first step; they hold those after the last on return.
        backend: "auto" (the C kernel where it can run, else the reference), "c" or
            "reference".

    Returns:
        The outputs `[T, B, N]` and the number of events (weight rows added, all steps).

    Raises:
        InvalidInputError: shapes that do not fit, int8 rows with inputs that are not binary,
            or backend "c" where the C kernel cannot run.
    """
    _check(layer, x, v)
    if backend not in BACKENDS:
        raise InvalidInputError(f"backend must be one of {BACKENDS}, got {backend!r}")
    in_c = runs_in_c(layer, x)
    if backend == "c" and not in_c:
        raise InvalidInputError(
            "backend='c' needs float32 CPU inputs and a C compiler; use backend='auto'"
        )
    if backend == "reference" or not in_c:
        _check_binary(layer, x)
        return reference(layer, x, v)
    return _run_c(layer, x.contiguous(), v)


def reference(layer: EventLayer, x: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, int]:
    """The same layer as a PyTorch loop: a dense product per step, then the update."""
    rows = None if layer.rows is None else layer.rows.to(x.dtype)
    outputs = []
    for x_t in x:
        current = x_t if rows is None else x_t @ rows
        if layer.scale is not None:
            current = current * layer.scale.to(x.dtype)
        if layer.bias is not None:
            current = current + layer.bias.to(x.dtype)
        h = layer.beta.to(x.dtype) * v + current
        if layer.output == "membrane":
            after, out = h, h
        else:
            threshold = layer.threshold.to(x.dtype)
            out = (h - threshold > 0).to(x.dtype)
            after = h
            if layer.reset == "subtract":
                after = torch.where(out > 0, h - threshold, h)
            elif layer.reset == "zero":
                after = torch.where(out > 0, torch.zeros_like(h), h)
        if layer.grid is not None:
            step = torch.tensor(layer.grid.step, dtype=x.dtype)
            top = torch.tensor(layer.grid.top, dtype=x.dtype)
            after = torch.round(after.clamp(-top, top) / step) * step
            if layer.output == "membrane":
                out = after
        v.copy_(after)
        outputs.append(out)
    return torch.stack(outputs), 0 if rows is None else int(torch.count_nonzero(x))


def _check(layer: EventLayer, x: torch.Tensor, v: torch.Tensor) -> None:
    if x.dim() != 3 or x.shape[2] != layer.inputs:
        raise InvalidInputError(
            f"inputs must be [T, B, {layer.inputs}] for this layer, got {list(x.shape)}"
        )
    if tuple(v.shape) != (x.shape[1], layer.neurons) or not v.is_contiguous():
        raise InvalidInputError(
            f"the membranes must be contiguous [{x.shape[1]}, {layer.neurons}], got {list(v.shape)}"
        )


def _check_binary(layer: EventLayer, x: torch.Tensor) -> None:
    """int8 weights sum spikes: refuse other inputs (the C kernel checks while gathering)."""
    int8 = layer.rows is not None and layer.rows.dtype == torch.int8
    if int8 and not bool(((x == 0) | (x == 1)).all()):
        raise InvalidInputError(NOT_BINARY)


NOT_BINARY = "int8 weights take binary spike inputs (0 or 1) only"


def _run_c(layer: EventLayer, x: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, int]:
    steps, batch, inputs = x.shape
    neurons = layer.neurons
    out = torch.empty(steps, batch, neurons, dtype=torch.float32)
    grid_step, grid_top = (layer.grid.step, layer.grid.top) if layer.grid else (0.0, 0.0)
    work = steps * batch * neurons
    threads = torch.get_num_threads() if work >= _PARALLEL_WORK else 1
    functions = _functions()
    assert functions is not None, "runs_in_c checked it"
    common = (_address(layer.beta), _address(layer.threshold), _address(v), _address(out))
    sizes = (steps, batch, inputs, neurons, RESET_CODES[layer.reset], OUTPUT_CODES[layer.output])
    tail = (grid_step, grid_top, threads)
    zeros = torch.zeros(neurons) if layer.bias is None else None  # alive until the call ends
    bias = _address(layer.bias if zeros is None else zeros)
    if layer.rows is not None and layer.rows.dtype == torch.int8:
        rows = (_address(layer.rows), _address(layer.scale))
        events = functions["i8"](x.data_ptr(), *rows, bias, *common, *sizes, *tail)
    else:
        events = functions["f32"](x.data_ptr(), _address(layer.rows), bias, *common, *sizes, *tail)
    if events == -2:
        raise InvalidInputError(NOT_BINARY)
    if events < 0:
        raise MemoryError("the event-driven kernel could not allocate its event lists")
    return out, int(events)


@functools.cache
def _functions() -> dict[str, Callable[..., int]] | None:
    library = load_event_library()
    if library is None:
        return None
    tail: list[Any] = [_int64, _int64, _int64, _int64, _int, _int, _float, _float, _int]
    f32 = library.event_linear_lif_f32
    f32.argtypes = [*[_pointer] * 7, *tail]
    f32.restype = _int64
    i8 = library.event_linear_lif_i8
    i8.argtypes = [*[_pointer] * 8, *tail]
    i8.restype = _int64
    return {"f32": f32, "i8": i8}


def _address(tensor: torch.Tensor | None) -> int | None:
    if tensor is None:
        return None
    assert tensor.is_contiguous() and tensor.device.type == "cpu", "EventLayer holds them so"
    return tensor.data_ptr()
