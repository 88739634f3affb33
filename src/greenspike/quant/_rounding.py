"""Rounding onto a number format, with a straight-through gradient.

Forward, values are rounded onto the format's grid; backward, the gradient passes through the
rounding unchanged and is zero where a value was clipped (the clipped straight-through estimator
of Bengio et al. 2013, as in quantization-aware training). In evaluation (no gradient) this is
plain quantization.
"""

from __future__ import annotations

import torch

from greenspike.cost.precision import NumberFormat

_FLOAT_DTYPES = {"fp16": torch.float16, "bf16": torch.bfloat16}


def through(x: torch.Tensor, rounded: torch.Tensor) -> torch.Tensor:
    """`rounded` forward, the gradient of `x` backward."""
    return x + (rounded - x).detach()


def to_float_format(x: torch.Tensor, number: NumberFormat) -> torch.Tensor:
    """`x` rounded to fp16 / bf16 and back (fp32: unchanged), straight-through."""
    dtype = _FLOAT_DTYPES.get(number.name)
    return x if dtype is None else through(x, x.to(dtype).to(x.dtype))


def to_grid(x: torch.Tensor, scale: torch.Tensor, low: float, high: float) -> torch.Tensor:
    """`clamp(round(x / scale), low, high) * scale`, straight-through inside [low, high]."""
    clipped = torch.maximum(torch.minimum(x, high * scale), low * scale)
    return through(clipped, torch.round(clipped / scale) * scale)


def signed_levels(bits: int) -> float:
    """The largest level of a symmetric signed `bits`-bit grid: 2**(bits - 1) - 1."""
    return float(2 ** (bits - 1) - 1)


def clip_search(values: torch.Tensor, top: torch.Tensor, low: float, high: float) -> torch.Tensor:
    """The scale of each row of `values` whose grid [low, high] x scale rounds it best.

    The clipping point is searched over 1.0, 0.95, ..., 0.3 of `top` (each row's largest
    magnitude) and the one with the least squared rounding error wins (ties: the largest).

    Args:
        values: `[rows, n]` values to quantize.
        top: `[rows]` each row's largest magnitude.
        low: the grid's lowest level (e.g. -127).
        high: its highest level (e.g. 127).

    Returns:
        `[rows]` scales (1 for a row of zeros).
    """
    ratios = torch.linspace(1.0, 0.3, 15, dtype=values.dtype, device=values.device)
    scales = top[None, :] * ratios[:, None] / high  # [R, rows]
    scales = torch.where(scales > 0, scales, torch.ones_like(scales))
    grid = (values[None] / scales[..., None]).round().clamp(low, high) * scales[..., None]
    errors = ((grid - values[None]) ** 2).sum(-1)  # [R, rows]
    best = errors.argmin(0)
    return scales.gather(0, best[None])[0]
