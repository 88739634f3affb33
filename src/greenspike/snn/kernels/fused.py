"""The autograd function every fused backend shares: flatten, call the kernel, reduce grads.

A backend is a module with `forward` and `backward` over flat tensors (time-major `[T, N]`,
per-neuron `[N]`, one dtype), as `kernels.cpu` and `kernels.triton_kernel`. The backward keeps one
tensor of the size of the input, the membrane before each reset, and no spikes.
"""

from __future__ import annotations

from types import ModuleType

import torch

from greenspike.snn import surrogate as surrogates

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
    backend: ModuleType,
    x: torch.Tensor,
    beta: float | torch.Tensor,
    threshold: float | torch.Tensor,
    v0: torch.Tensor,
    reset: str,
    surrogate: surrogates.Surrogate,
    detach_reset: bool,
) -> tuple[torch.Tensor, torch.Tensor]:
    """`functional.lif` on a fused backend (inputs already checked): spikes, final membrane."""
    beta = torch.as_tensor(beta, dtype=x.dtype, device=x.device)
    threshold = torch.as_tensor(threshold, dtype=x.dtype, device=x.device)
    inputs = (x, beta, threshold, v0)
    keep = torch.is_grad_enabled() and any(tensor.requires_grad for tensor in inputs)
    return _FusedLIF.apply(*inputs, backend, reset, surrogate, detach_reset, keep)


class _FusedLIF(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, beta, threshold, v0, backend, reset, surrogate, detach_reset, keep):
        step_shape = x.shape[1:]
        flat_x = x.contiguous().view(x.shape[0], -1)
        flat_beta = _per_neuron(beta, step_shape, x.dtype)
        flat_threshold = _per_neuron(threshold, step_shape, x.dtype)
        flat_v0 = v0.detach().to(x.dtype).reshape(-1)
        v = flat_v0.clone()
        spikes, membrane = backend.forward(
            flat_x, flat_beta, flat_threshold, v, RESET_CODES[reset], keep
        )
        if keep:
            ctx.save_for_backward(membrane, flat_v0, flat_beta, flat_threshold)
            ctx.backend, ctx.reset, ctx.detach_reset = backend, reset, detach_reset
            ctx.surrogate = surrogate_code(surrogate)
            ctx.shapes = (x.shape, beta.shape, threshold.shape)
            ctx.dtypes = (beta.dtype, threshold.dtype, v0.dtype)
        return spikes.view(x.shape), v.view(step_shape)

    @staticmethod
    def backward(ctx, grad_spikes, grad_v):
        membrane, v0, beta, threshold = ctx.saved_tensors
        x_shape, beta_shape, threshold_shape = ctx.shapes
        need_beta, need_threshold = ctx.needs_input_grad[1], ctx.needs_input_grad[2]
        grad_v = grad_v.to(membrane.dtype).reshape(-1).clone()
        grad_x, grad_beta, grad_threshold = ctx.backend.backward(
            membrane,
            grad_spikes.to(membrane.dtype).contiguous().view(membrane.shape),
            grad_v,
            beta,
            threshold,
            v0,
            RESET_CODES[ctx.reset],
            ctx.detach_reset,
            ctx.surrogate,
            need_beta,
            need_threshold,
        )
        step_shape = x_shape[1:]
        beta_dtype, threshold_dtype, v0_dtype = ctx.dtypes
        return (
            grad_x.view(x_shape),
            _reduce(grad_beta, step_shape, beta_shape, beta_dtype),
            _reduce(grad_threshold, step_shape, threshold_shape, threshold_dtype),
            grad_v.view(step_shape).to(v0_dtype) if ctx.needs_input_grad[3] else None,
            None,
            None,
            None,
            None,
            None,
        )


def _per_neuron(value: torch.Tensor, step_shape: torch.Size, dtype: torch.dtype) -> torch.Tensor:
    """A scalar or broadcasting parameter as one contiguous value per neuron, `[N]`."""
    return value.detach().to(dtype).expand(step_shape).contiguous().view(-1)


def _reduce(grad, step_shape, shape, dtype) -> torch.Tensor | None:
    """Per-neuron gradients summed back to the parameter's own (broadcast) shape."""
    if grad is None:
        return None
    return grad.view(step_shape).sum_to_size(shape).to(dtype)
