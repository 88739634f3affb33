"""What every fused backend shares: flat tensors in, the kernel called, gradients reduced back.

A backend is a module with `forward` and `backward` over flat tensors (time-major rows
`[T, N]`, per-neuron `[N]`, one dtype), as `kernels.cpu` and `kernels.triton_kernel`: the
`Kernel` protocol. For the backward the autograd function keeps a reference to the input (no
copy), the initial membrane and the parameters; no spikes, no membrane trace: the kernels
recompute the membrane from the input. The kernels' backward is not itself differentiable, so
a backward that builds a graph (`create_graph=True`, for second derivatives) differentiates the
reference loop instead: same gradients, and the graph that higher derivatives need.

No `[T, N]` copy is made of an input that repeats over time (`c.unsqueeze(0).expand(T, ...)`,
as direct encoding makes): the kernels read its one row, and when autograd may hand its
gradient to `c` directly (`repeated_source`), they sum that gradient over time into `[N]`.
Without gradients to compute (`torch.no_grad()`, or nothing that requires one) the kernel is
called directly, without autograd's bookkeeping.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Protocol

import torch

from greenspike.snn import surrogate as surrogates
from greenspike.snn.functional import _checks

if TYPE_CHECKING:
    from greenspike.snn.functional.lif import LIFParameters


class Kernel(Protocol):
    """A fused LIF backend over flat tensors of one dtype.

    The input `x` comes as rows `[T, N]`, one per time step: contiguous, or one row repeated
    (row stride 0) for an input that is the same at every step. `beta` and `threshold` are
    contiguous `[N]`, one value per neuron, or 0-dimensional, one value for all. The initial
    membrane `v0` is N contiguous values (of any shape), or None for zeros; so is `grad_v`.
    `reset` is a code of `RESET_CODES`, `surrogate` the pair of `surrogate_code`.
    """

    def forward(
        self,
        x: torch.Tensor,
        beta: torch.Tensor,
        threshold: torch.Tensor,
        v0: torch.Tensor | None,
        reset: int,
        *,
        membrane: bool = False,
        delay: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor, bool]:
        """(spikes `[T, N]`, the final membrane `v[T]` `[N]`, whether every input was finite).

        With `membrane`, the membranes before each reset instead of the spikes (with reset
        "none": the leaky integrator's trace). `delay`: the reset of a spike is applied at the
        next step (`LIFParameters.reset_delay`); the final membrane is then the one that fired.
        """

    def backward(
        self,
        x: torch.Tensor,
        grad_spikes: torch.Tensor,
        grad_v: torch.Tensor,
        beta: torch.Tensor,
        threshold: torch.Tensor,
        v0: torch.Tensor | None,
        reset: int,
        delay: bool,
        detach_reset: bool,
        surrogate: tuple[int, float],
        need_beta: bool,
        need_threshold: bool,
        *,
        sum_over_time: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """`(dL/dx [T, N], dL/dbeta [N] or None, dL/dthreshold [N] or None)`.

        With `sum_over_time`, dL/dx summed over the steps, `[N]`, with no `[T, N]` buffer.
        `grad_v` `[N]` holds `dL/dv[T]` on entry and `dL/dv[0]` on return; `grad_spikes`
        `[T, N]` may be strided, with a neuron stride of 0 or 1.
        """


RESET_CODES = {"subtract": 0, "zero": 1, "none": 2}
# The surrogates the kernels know, by exact type: (code in the kernels, its parameter's name).
SURROGATE_CODES: dict[type, tuple[int, str | None]] = {
    surrogates.ATan: (0, "alpha"),
    surrogates.FastSigmoid: (1, "slope"),
    surrogates.Sigmoid: (2, "alpha"),
    surrogates.Triangle: (3, "width"),
    surrogates.StraightThrough: (4, None),
}


def surrogate_code(surrogate: surrogates.Surrogate) -> tuple[int, float] | None:
    """(kernel code, parameter) of a built-in surrogate; None for any other surrogate."""
    known = SURROGATE_CODES.get(type(surrogate))
    if known is None:
        return None
    code, parameter = known
    return code, float(getattr(surrogate, parameter)) if parameter else 0.0


def fused_lif(
    kernel: Kernel, x: torch.Tensor, params: LIFParameters, v0: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """`functional.lif` on a fused kernel (shapes and parameters already checked).

    Returns the spikes and the final membrane. `beta` and `threshold` are cast to the input's
    dtype first, as the reference's arithmetic does (autograd casts their gradients back);
    `v0` None starts from zeros. Without gradients to compute (under `torch.no_grad()`, or
    when nothing requires one) the kernel is called directly, without autograd's bookkeeping.

    Raises:
        InvalidInputError: `x` holds a value that is not finite (seen by the kernel's pass).
    """
    beta = torch.as_tensor(params.beta, dtype=x.dtype, device=x.device)
    threshold = torch.as_tensor(params.threshold, dtype=x.dtype, device=x.device)
    tensors = (x, beta, threshold, v0)
    if not torch.is_grad_enabled() or not any(t is not None and t.requires_grad for t in tensors):
        reset = RESET_CODES[params.reset]
        return _forward(
            kernel, x, beta, threshold, v0, reset, x.shape[1:], delay=params.reset_delay
        )
    source = repeated_source(x)
    steps = None if source is None else x.shape[0]
    spikes, v = _FusedLIF.apply(
        x if source is None else source,
        beta,
        threshold,
        v0,
        kernel,
        params.reset,
        params.surrogate,
        params.detach_reset,
        params.reset_delay,
        steps,
    )
    return spikes, v


def fused_membrane(
    kernel: Kernel, x: torch.Tensor, beta: torch.Tensor, v0: torch.Tensor | None, caller: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """The leaky integrator's trace `v[t] = beta * v[t-1] + x[t]` and `v[T]`, without gradients.

    The LIF recurrence without firing (reset "none"), the membranes written out: the same
    arithmetic as the reference loop, so the same values to the last bit.

    Raises:
        InvalidInputError: `x` holds a value that is not finite.
    """
    no_threshold = torch.full((), math.inf, dtype=x.dtype, device=x.device)
    reset = RESET_CODES["none"]
    return _forward(kernel, x, beta, no_threshold, v0, reset, x.shape[1:], membrane=caller)


def repeated_source(x: torch.Tensor) -> torch.Tensor | None:
    """The tensor `c` `[B, ...]` whose values `x` `[T, B, ...]` repeats at every step, or None.

    `x` qualifies when it is a view of `c` with a time stride of 0, as
    `c.unsqueeze(0).expand(T, ...)` makes (direct encoding), through which autograd would pass
    `c` the sum over time of `x`'s gradient. The kernel then computes that sum itself, into
    `[B, ...]`, and hands it to `c` directly: no `[T, B, ...]` gradient exists. `x` itself
    then gets no gradient of its own, so a view that is watched (a hook, `retain_grad()`) or
    that autograd did not record (made under `no_grad`) does not qualify.
    """
    if x.dim() < 2 or x.shape[0] < 2 or x.stride(0) != 0 or x.grad_fn is None:
        return None
    if x.retains_grad or getattr(x, "_backward_hooks", None):
        return None
    base = x._base
    if base is None or not base.requires_grad or base.dtype != x.dtype:
        return None
    if base.data_ptr() != x.data_ptr() or base.numel() != x[0].numel():
        return None
    step_shape = x.shape[1:]
    if base.shape == step_shape:
        source = base
    elif base.is_contiguous():
        source = base.view(step_shape)
    else:
        return None
    if _strides(source) != _strides(x[0]):
        return None
    return source


class _FusedLIF(torch.autograd.Function):
    """Spikes and final membrane of `x` `[T, B, ...]`, or of a repeated input.

    With `steps`, `x` is one step `[B, ...]`, the input at every one of `steps` steps; its
    gradient is then summed over time by the kernel.
    """

    @staticmethod
    def forward(
        ctx: Any,
        x: torch.Tensor,
        beta: torch.Tensor,
        threshold: torch.Tensor,
        v0: torch.Tensor | None,
        backend: Kernel,
        reset: str,
        surrogate: surrogates.Surrogate,
        detach_reset: bool,
        reset_delay: bool,
        steps: int | None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        step_shape = x.shape if steps is not None else x.shape[1:]
        ctx.save_for_backward(x, beta, threshold, v0)
        ctx.backend, ctx.reset, ctx.detach_reset = backend, reset, detach_reset
        ctx.surrogate, ctx.steps, ctx.reset_delay = surrogate, steps, reset_delay
        rows = _flat(x).expand(steps, -1) if steps is not None else None
        reset_code = RESET_CODES[reset]
        return _forward(
            backend, x, beta, threshold, v0, reset_code, step_shape, rows, delay=reset_delay
        )

    @staticmethod
    def backward(
        ctx: Any, grad_spikes: torch.Tensor, grad_v: torch.Tensor
    ) -> tuple[torch.Tensor | None, ...]:
        if torch.is_grad_enabled():  # create_graph=True: the graph comes from the reference
            grads = _reference_backward(ctx, grad_spikes, grad_v)
            return (*grads, None, None, None, None, None, None)
        x, beta, threshold, v0 = ctx.saved_tensors
        steps = ctx.steps
        step_shape = x.shape if steps is not None else x.shape[1:]
        rows = _flat(x).expand(steps, -1) if steps is not None else _input_rows(x)
        need_x, need_beta, need_threshold, need_v0 = ctx.needs_input_grad[:4]
        flat_grad_v = grad_v.to(x.dtype).clone(memory_format=torch.contiguous_format)
        grad_x, grad_beta, grad_threshold = ctx.backend.backward(
            rows,
            _rows(grad_spikes.to(x.dtype), rows.shape),
            flat_grad_v,
            _per_neuron(beta, step_shape),
            _per_neuron(threshold, step_shape),
            None if v0 is None else v0.detach().to(x.dtype).contiguous(),
            RESET_CODES[ctx.reset],
            ctx.reset_delay,
            ctx.detach_reset,
            surrogate_code(ctx.surrogate),
            need_beta,
            need_threshold,
            # a repeated input takes the sum over time; an input without a gradient, anything
            sum_over_time=steps is not None or not need_x,
        )
        return (
            grad_x.view(x.shape) if need_x else None,
            _reduce(grad_beta, step_shape, beta.shape) if need_beta else None,
            _reduce(grad_threshold, step_shape, threshold.shape) if need_threshold else None,
            flat_grad_v.view(step_shape).to(v0.dtype) if need_v0 else None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
        )


def _forward(
    kernel: Kernel,
    x: torch.Tensor,
    beta: torch.Tensor,
    threshold: torch.Tensor,
    v0: torch.Tensor | None,
    reset: int,
    step_shape: torch.Size,
    rows: torch.Tensor | None = None,
    *,
    membrane: str | None = None,
    delay: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The kernel's forward on `x` (or on `rows` given for it): outputs `[T, *step_shape]`, v[T].

    `membrane` names the caller that wants the membranes rather than the spikes; `delay`: the
    reset of a spike is applied at the next step.

    Raises:
        InvalidInputError: `x` holds a value that is not finite.
    """
    if rows is None:
        rows = _input_rows(x)
    out, v, finite = kernel.forward(
        rows,
        _per_neuron(beta, step_shape),
        _per_neuron(threshold, step_shape),
        None if v0 is None else v0.detach().to(rows.dtype).contiguous(),
        reset,
        membrane=membrane is not None,
        delay=delay,
    )
    if not finite:
        _checks.check_finite(x, f"{membrane or 'lif'} input")  # raises, naming the values
    return out.view(rows.shape[0], *step_shape), v.view(step_shape)


def _reference_backward(
    ctx: Any, grad_spikes: torch.Tensor, grad_v: torch.Tensor
) -> list[torch.Tensor | None]:
    """Gradients of (x, beta, threshold, v0) through the reference loop, with their graph."""
    from greenspike.snn.functional.lif import LIFParameters, LIFState, lif

    inputs = ctx.saved_tensors  # x, beta, threshold, v0: the order of `apply`
    x, beta, threshold, v0 = inputs
    if ctx.steps is not None:  # one step, repeated
        x = x.unsqueeze(0).expand(ctx.steps, *x.shape)
    params = LIFParameters(
        beta, threshold, ctx.reset, ctx.surrogate, ctx.detach_reset, ctx.reset_delay
    )
    state = None if v0 is None else LIFState(v0)
    spikes, final = lif(x, params, state, backend="torch")
    needed = ctx.needs_input_grad[:4]
    grads = iter(
        torch.autograd.grad(
            (spikes, final.v),
            [t for t, need in zip(inputs, needed, strict=True) if need],
            (grad_spikes, grad_v),
            create_graph=True,
            allow_unused=True,
        )
    )
    return [next(grads) if need else None for need in needed]


def _input_rows(x: torch.Tensor) -> torch.Tensor:
    """`x` `[T, B, ...]` as rows `[T, N]`.

    A view when `x` is contiguous, one row repeated (stride 0) when `x` repeats over time,
    otherwise a contiguous copy.
    """
    steps = x.shape[0]
    if steps > 1 and x.stride(0) == 0:
        if _dense_step(x):  # its one row as it is in memory
            return x.as_strided((steps, x.numel() // steps), (0, 1))
        return _flat(x[0]).expand(steps, -1)
    return (x if x.is_contiguous() else x.contiguous()).view(steps, -1)


def _dense_step(x: torch.Tensor) -> bool:
    """Whether one step of `x` `[T, B, ...]` lies contiguous in memory."""
    expected = 1
    for size, stride in zip(reversed(x.shape[1:]), reversed(x.stride()[1:]), strict=True):
        if size != 1 and stride != expected:
            return False
        expected *= size
    return True


def _flat(x: torch.Tensor) -> torch.Tensor:
    """`x` as one contiguous row (a view when it is contiguous already)."""
    return x.contiguous().view(-1)


def _rows(grad: torch.Tensor, shape: torch.Size) -> torch.Tensor:
    """`grad` as `[T, N]` rows, without a copy when its neuron stride is 0 or 1.

    The gradient of `spikes.sum()` is one value broadcast: copying it would cost a whole
    `[T, N]` tensor.
    """
    try:
        rows = grad.view(shape)
    except RuntimeError:  # strides that do not merge into rows
        rows = grad.contiguous().view(shape)
    return rows if rows.stride(1) in (0, 1) else rows.contiguous()


def _per_neuron(value: torch.Tensor, step_shape: torch.Size) -> torch.Tensor:
    """A parameter for the kernels: one value for all (0-dimensional), or `[N]`, one per neuron.

    Called where autograd records nothing (inside the autograd function, or without
    gradients).
    """
    if value.dim() == 0:
        return value
    return value.expand(step_shape).contiguous().view(-1)


def _strides(x: torch.Tensor) -> tuple[tuple[int, int], ...]:
    """(size, stride) of the dimensions that have more than one element: the layout of `x`."""
    layout = zip(x.shape, x.stride(), strict=True)
    return tuple((size, stride) for size, stride in layout if size > 1)


def _reduce(grad: torch.Tensor, step_shape: torch.Size, shape: torch.Size) -> torch.Tensor:
    """Per-neuron gradients summed back to the parameter's own (broadcast) shape."""
    return grad.view(step_shape).sum_to_size(shape)
