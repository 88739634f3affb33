"""The autograd function every fused backend shares: flatten, call the kernel, reduce grads.

A backend is a module with `forward` and `backward` over flat tensors (time-major `[T, N]`,
per-neuron `[N]`, one dtype), as `kernels.cpu` and `kernels.triton_kernel`: the `Kernel`
protocol. For the backward
it keeps a reference to the input (no copy), the initial membrane and the parameters; no
spikes, no membrane trace: the kernels recompute the membrane from the input. The kernels'
backward is not itself differentiable, so a backward that builds a graph (`create_graph=True`,
for second derivatives) differentiates the reference loop instead: same gradients, and the
graph that higher derivatives need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import torch

from greenspike.snn import surrogate as surrogates

if TYPE_CHECKING:
    from greenspike.snn.functional.lif import LIFParameters


class Kernel(Protocol):
    """A fused LIF backend over flat tensors: `x` `[T, N]`, per-neuron values `[N]`, one dtype.

    `reset` is a code of `RESET_CODES`, `surrogate` the pair of `surrogate_code`.
    """

    def forward(
        self,
        x: torch.Tensor,
        beta: torch.Tensor,
        threshold: torch.Tensor,
        v: torch.Tensor,
        reset: int,
        delay: bool,
    ) -> torch.Tensor:
        """Spikes `[T, N]`; `v` `[N]` holds `v[0]` on entry and `v[T]` on return.

        `delay`: the reset of a spike is applied at the next step (`LIFParameters.reset_delay`).
        """

    def backward(
        self,
        x: torch.Tensor,
        grad_spikes: torch.Tensor,
        grad_v: torch.Tensor,
        beta: torch.Tensor,
        threshold: torch.Tensor,
        v0: torch.Tensor,
        reset: int,
        delay: bool,
        detach_reset: bool,
        surrogate: tuple[int, float],
        need_beta: bool,
        need_threshold: bool,
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """`(dL/dx [T, N], dL/dbeta [N] or None, dL/dthreshold [N] or None)`.

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
    kernel: Kernel, x: torch.Tensor, params: LIFParameters, v0: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """`functional.lif` on a fused kernel (inputs already checked): spikes, final membrane.

    `beta` and `threshold` are cast to the input's dtype first, as the reference's arithmetic
    does (autograd casts their gradients back).
    """
    beta = torch.as_tensor(params.beta, dtype=x.dtype, device=x.device)
    threshold = torch.as_tensor(params.threshold, dtype=x.dtype, device=x.device)
    spikes, v = _FusedLIF.apply(
        x,
        beta,
        threshold,
        v0,
        kernel,
        params.reset,
        params.surrogate,
        params.detach_reset,
        params.reset_delay,
    )
    return spikes, v


class _FusedLIF(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any,
        x: torch.Tensor,
        beta: torch.Tensor,
        threshold: torch.Tensor,
        v0: torch.Tensor,
        backend: Kernel,
        reset: str,
        surrogate: surrogates.Surrogate,
        detach_reset: bool,
        reset_delay: bool,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        step_shape = x.shape[1:]
        flat_beta = _per_neuron(beta, step_shape)
        flat_threshold = _per_neuron(threshold, step_shape)
        flat_v0 = v0.detach().to(x.dtype).reshape(-1)
        v = flat_v0.clone()
        spikes = backend.forward(
            _flat(x), flat_beta, flat_threshold, v, RESET_CODES[reset], reset_delay
        )
        ctx.save_for_backward(x, beta, threshold, v0)
        ctx.backend, ctx.reset, ctx.detach_reset = backend, reset, detach_reset
        ctx.reset_delay = reset_delay
        ctx.surrogate = surrogate
        return spikes.view(x.shape), v.view(step_shape)

    @staticmethod
    def backward(
        ctx: Any, grad_spikes: torch.Tensor, grad_v: torch.Tensor
    ) -> tuple[torch.Tensor | None, ...]:
        if torch.is_grad_enabled():  # create_graph=True: the graph comes from the reference
            return (*_reference_backward(ctx, grad_spikes, grad_v), None, None, None, None, None)
        x, beta, threshold, v0 = ctx.saved_tensors
        step_shape = x.shape[1:]
        need_beta, need_threshold = ctx.needs_input_grad[1], ctx.needs_input_grad[2]
        flat_x = _flat(x)
        flat_grad_v = grad_v.to(x.dtype).reshape(-1).clone()
        grad_x, grad_beta, grad_threshold = ctx.backend.backward(
            flat_x,
            _rows(grad_spikes.to(x.dtype), flat_x.shape),
            flat_grad_v,
            _per_neuron(beta, step_shape),
            _per_neuron(threshold, step_shape),
            v0.detach().to(x.dtype).reshape(-1),
            RESET_CODES[ctx.reset],
            ctx.reset_delay,
            ctx.detach_reset,
            surrogate_code(ctx.surrogate),
            need_beta,
            need_threshold,
        )
        return (
            grad_x.view(x.shape),
            _reduce(grad_beta, step_shape, beta.shape),
            _reduce(grad_threshold, step_shape, threshold.shape),
            flat_grad_v.view(step_shape).to(v0.dtype) if ctx.needs_input_grad[3] else None,
            None,
            None,
            None,
            None,
            None,
        )


def _reference_backward(
    ctx: Any, grad_spikes: torch.Tensor, grad_v: torch.Tensor
) -> list[torch.Tensor | None]:
    """Gradients of (x, beta, threshold, v0) through the reference loop, with their graph."""
    from greenspike.snn.functional.lif import LIFParameters, LIFState, lif

    inputs = ctx.saved_tensors  # x, beta, threshold, v0: the order of `apply`
    x, beta, threshold, v0 = inputs
    params = LIFParameters(
        beta, threshold, ctx.reset, ctx.surrogate, ctx.detach_reset, ctx.reset_delay
    )
    spikes, state = lif(x, params, LIFState(v0), backend="torch")
    needed = ctx.needs_input_grad[:4]
    grads = iter(
        torch.autograd.grad(
            (spikes, state.v),
            [t for t, need in zip(inputs, needed, strict=True) if need],
            (grad_spikes, grad_v),
            create_graph=True,
            allow_unused=True,
        )
    )
    return [next(grads) if need else None for need in needed]


def _flat(x: torch.Tensor) -> torch.Tensor:
    """`x` `[T, B, ...]` as contiguous rows `[T, N]` (a view when it is contiguous already)."""
    return x.contiguous().view(x.shape[0], -1)


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
    """A scalar or broadcasting parameter as one contiguous value per neuron, `[N]`."""
    return value.detach().expand(step_shape).contiguous().view(-1)


def _reduce(
    grad: torch.Tensor | None, step_shape: torch.Size, shape: torch.Size
) -> torch.Tensor | None:
    """Per-neuron gradients summed back to the parameter's own (broadcast) shape."""
    if grad is None:
        return None
    return grad.view(step_shape).sum_to_size(shape)
