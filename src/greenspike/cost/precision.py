"""Number formats and the precision a network runs at: weights, activations, neuron state.

A format is written as in a profile's CSV cell: `fp32`, `fp16`, `bf16` (floating point),
`intN` (a signed N-bit integer for weights and state, N-bit for activations; `int2` is ternary
{-1, 0, 1}) or `spike` (activations only: the part takes binary or signed spikes, nothing else).

    precision = Precision.parse("int8", "int8", "int16")   # weights, activations, state
    precision.to_dict() == {"weights": "int8", "activations": "int8", "state": "int16"}
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from greenspike.errors import InvalidInputError

FormatKind = Literal["int", "float", "spike"]
FLOAT_BITS = {"fp32": 32, "fp16": 16, "bf16": 16}
WEIGHT_BITS = range(2, 17)  # integer weight widths greenspike.quant can run
ACTIVATION_BITS = range(2, 17)
STATE_BITS = range(4, 33)
_INT = re.compile(r"^int(\d+)$")


@dataclass(frozen=True)
class NumberFormat:
    """One number format: `kind` "int" (`bits`-bit integer), "float" or "spike" (1 bit).

    `name` is the format as written (`int8`, `fp16`, `bf16`, `spike`).
    """

    kind: FormatKind
    bits: int
    name: str

    @property
    def bytes(self) -> float:
        """Bytes per value (`bits / 8`)."""
        return self.bits / 8

    def __str__(self) -> str:
        return self.name


FP32 = NumberFormat("float", 32, "fp32")


def number_format(text: str, role: str = "format") -> NumberFormat:
    """The format written `text` (`fp32`, `fp16`, `bf16`, `intN` or `spike`).

    Args:
        text: the format.
        role: "weights", "activations" or "state": which widths are valid (weights int2..int16,
            activations int2..int16 or spike, state int4..int32; all may be fp32, fp16, bf16).

    Raises:
        InvalidInputError: `text` is not a format, or not one `role` can take; the message
            names the role and the valid formats.
    """
    name = str(text).strip().lower()
    valid = _valid_text(role)
    if name in FLOAT_BITS:
        return NumberFormat("float", FLOAT_BITS[name], name)
    if name == "spike" and role == "activations":
        return NumberFormat("spike", 1, name)
    match = _INT.match(name)
    if match is not None:
        bits = int(match.group(1))
        if bits in _INT_BITS.get(role, STATE_BITS):
            return NumberFormat("int", bits, name)
    raise InvalidInputError(f"{role}: {text!r} is not a supported format; use {valid}")


_INT_BITS = {"weights": WEIGHT_BITS, "activations": ACTIVATION_BITS, "state": STATE_BITS}


def _valid_text(role: str) -> str:
    bits = _INT_BITS.get(role, STATE_BITS)
    spike = ", spike (spikes only)" if role == "activations" else ""
    return f"fp32, fp16, bf16, int{bits.start}..int{bits.stop - 1}{spike}"


@dataclass(frozen=True)
class Precision:
    """The formats a network runs at: its weights, synaptic inputs and neuron state.

    `activations` is the format of the non-binary inputs of synaptic layers (spikes are exact
    in any format).
    """

    weights: NumberFormat
    activations: NumberFormat
    state: NumberFormat

    @classmethod
    def parse(cls, weights: str, activations: str, state: str) -> Precision:
        """The precision from three format names.

        Raises:
            InvalidInputError: a name is not a format its role can take (`number_format`).
        """
        return cls(
            number_format(weights, "weights"),
            number_format(activations, "activations"),
            number_format(state, "state"),
        )

    @property
    def is_fp32(self) -> bool:
        """Whether everything is fp32: the network runs as trained, nothing is quantized."""
        return self.weights == self.activations == self.state == FP32

    def __str__(self) -> str:
        return f"weights {self.weights}, activations {self.activations}, state {self.state}"

    def to_dict(self) -> dict[str, str]:
        """`{"weights": ..., "activations": ..., "state": ...}` with the format names."""
        return {
            "weights": self.weights.name,
            "activations": self.activations.name,
            "state": self.state.name,
        }


FULL_PRECISION = Precision(FP32, FP32, FP32)
