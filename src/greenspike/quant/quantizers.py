"""The three quantizers: a layer's weights, its inputs, and a neuron's state.

- `WeightQuantizer` (a parametrization of a layer's `weight`): symmetric, one scale per output
  channel. With N-bit integers, `w_q = s_c x clamp(round(w / s_c), -(2**(N-1) - 1), 2**(N-1) - 1)`
  (int2 is ternary: {-s_c, 0, s_c}); `s_c` minimises the channel's squared rounding error over
  clipping points from its largest magnitude down to 0.3 of it. fp16 / bf16: rounded to that
  type. Recomputed at every call while gradients flow, so it follows the weights as they
  train; without gradients (evaluation, inference) it is kept until the weights change.
- `InputQuantizer`: one scale per layer, set by calibration (`observe`, then `freeze`): inputs
  that were all spikes ({0, 1} or {-1, 0, 1}) pass unchanged (exact in any format); otherwise
  unsigned N-bit levels `s x [0, 2**N - 1]` when no input was negative, else signed
  `s x [-(2**(N-1) - 1), 2**(N-1) - 1]`, `s` chosen as for the weights over the calibration
  values. A chip that takes spikes only ("spike") leaves non-binary inputs as they are (it
  cannot run that layer; its energy is unpriced).
- `StateQuantizer`: a neuron's state variable in fixed point, `s x [-(2**(N-1) - 1),
  2**(N-1) - 1]` with `s` = the largest magnitude seen in calibration / (2**(N-1) - 1); beyond
  it the state saturates. fp16 / bf16: rounded to that type.

Every rounding passes gradients straight through (`_rounding`), for quantization-aware
training.
"""

from __future__ import annotations

import torch
from torch import nn

from greenspike.cost.precision import NumberFormat
from greenspike.quant import _rounding

_CALIBRATION_VALUES = 1 << 16  # input values kept to choose a scale


class WeightQuantizer(nn.Module):
    """Quantizes a weight tensor `[C_out, ...]` to `number`, one scale per output channel.

    Args:
        number: the weight format (intN, fp16, bf16 or fp32).
    """

    def __init__(self, number: NumberFormat):
        super().__init__()
        self.number = number
        self._kept: tuple[tuple[object, ...], torch.Tensor] | None = None

    def scale(self, weight: torch.Tensor) -> torch.Tensor:
        """The per-channel scales `[C_out]` of an integer format (see the module docstring)."""
        high = _rounding.signed_levels(self.number.bits)
        rows = weight.detach().reshape(len(weight), -1)
        return _rounding.clip_search(rows, rows.abs().amax(1), -high, high)

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        """`weight` on the format's grid (straight-through gradient).

        Without gradients, the result is kept and reused until `weight` changes (another tensor,
        or this one written in place: its version counter moves).
        """
        if torch.is_grad_enabled() and weight.requires_grad:
            return self._quantize(weight)
        key = (weight.data_ptr(), weight._version, weight.shape, weight.dtype, weight.device)
        if self._kept is None or self._kept[0] != key:
            self._kept = (key, self._quantize(weight).detach())
        return self._kept[1]

    def _quantize(self, weight: torch.Tensor) -> torch.Tensor:
        if self.number.kind != "int":
            return _rounding.to_float_format(weight, self.number)
        high = _rounding.signed_levels(self.number.bits)
        scale = self.scale(weight).reshape(-1, *([1] * (weight.dim() - 1)))
        return _rounding.to_grid(weight, scale, -high, high)

    def extra_repr(self) -> str:
        """The format, for the module's repr."""
        return str(self.number)


class InputQuantizer(nn.Module):
    """Quantizes a layer's input to `number`, with a scale set by calibration.

    Until calibrated (`observe()` ... `freeze()`), it passes inputs unchanged.

    Args:
        number: the activation format (intN, fp16, bf16, fp32 or spike).
    """

    scale: torch.Tensor

    def __init__(self, number: NumberFormat):
        super().__init__()
        self.number = number
        self.register_buffer("scale", torch.ones(()))
        self.signed = False
        self.passes = True  # inputs pass unchanged (spikes, fp32, not calibrated)
        self.observing = False
        self._seen: list[torch.Tensor] = []
        self._only_spikes = True
        self._negative = False

    def observe(self) -> None:
        """Start recording inputs (calibration); they pass unchanged meanwhile."""
        self.observing, self._seen = True, []
        self._only_spikes, self._negative = True, False

    def freeze(self) -> None:
        """Stop recording and set the scale from what was seen."""
        self.observing = False
        self.passes = not self._seen or self._only_spikes or self.number.name in ("spike", "fp32")
        if self.number.kind == "int" and not self.passes:
            values = torch.cat(self._seen)
            self.signed = self._negative
            low, high = self._levels()
            top = values.abs().amax().reshape(1)
            self.scale = _rounding.clip_search(values[None], top, low, high)[0]
        self._seen = []

    def _levels(self) -> tuple[float, float]:
        bits = self.number.bits
        if self.signed:
            high = _rounding.signed_levels(bits)
            return -high, high
        return 0.0, float(2**bits - 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """`x` on the format's grid (or unchanged: see the class docstring)."""
        if self.observing:
            self._record(x.detach())
            return x
        if self.passes:
            return x
        if self.number.kind == "float":
            return _rounding.to_float_format(x, self.number)
        low, high = self._levels()
        return _rounding.to_grid(x, self.scale, low, high)

    def _record(self, x: torch.Tensor) -> None:
        low, high = torch.aminmax(x.float())
        self._negative = self._negative or bool(low < 0)
        if self._only_spikes:
            self._only_spikes = bool(low >= -1 and high <= 1) and torch.equal(x.sign(), x)
        flat = x.float().flatten()
        kept = sum(len(seen) for seen in self._seen)
        if kept < _CALIBRATION_VALUES:
            step = max(1, len(flat) // (_CALIBRATION_VALUES - kept))
            self._seen.append(flat[::step].clone())
        else:  # keep the extremes in view: the scale search starts from the largest magnitude
            self._seen.append(flat[flat.abs().argmax()].reshape(1))

    def extra_repr(self) -> str:
        """The format and, once calibrated, the scale, for the module's repr."""
        if self.passes or self.number.kind != "int":
            return str(self.number)
        return f"{self.number}, scale={self.scale.item():.4g}, signed={self.signed}"


class StateQuantizer(nn.Module):
    """Holds one neuron state variable in fixed point (or fp16 / bf16) once calibrated.

    Args:
        number: the state format (intN, fp16, bf16 or fp32).
    """

    scale: torch.Tensor

    def __init__(self, number: NumberFormat):
        super().__init__()
        self.number = number
        self.register_buffer("scale", torch.ones(()))
        self.observing = False
        self.calibrated = False
        self._largest = 0.0

    def observe(self) -> None:
        """Start recording the largest magnitude (calibration); values pass unchanged."""
        self.observing, self._largest = True, 0.0

    def freeze(self) -> None:
        """Stop recording; the grid's step is the largest magnitude / 2**(N-1) - 1."""
        self.observing = False
        if self.number.kind == "int":
            largest = self._largest or 1.0
            self.scale = torch.tensor(largest / _rounding.signed_levels(self.number.bits))
            self.calibrated = True

    def forward(self, value: torch.Tensor) -> torch.Tensor:
        """`value` on the state's grid, saturating (unchanged while observing)."""
        if self.observing:
            self._largest = max(self._largest, float(value.detach().abs().amax()))
            return value
        if self.number.kind == "float":
            return _rounding.to_float_format(value, self.number)
        if not self.calibrated:
            return value
        high = _rounding.signed_levels(self.number.bits)
        return _rounding.to_grid(value, self.scale, -high, high)

    def extra_repr(self) -> str:
        """The format and, once calibrated, the grid step, for the module's repr."""
        if self.calibrated:
            return f"{self.number}, scale={self.scale.item():.4g}"
        return str(self.number)
