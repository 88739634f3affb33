"""What one network of a comparison is: its kind, its role, its shape and how it is trained.

A comparison holds networks by name (`CompareResult.networks`): the ReLU twin ("relu") is the
reference every spiking network is measured against; the spiking twin ("spiking") has the
same layers; further spiking networks join it under their own names, each with its role
("optimized": the cheapest found by `compare --optimize`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from torch import nn

from greenspike.errors import InvalidInputError
from greenspike.snn import RatePenalty
from greenspike.snn.activity import check_rate_penalty
from greenspike.train.models import BETA, build_pair

NetworkKind = Literal["relu", "spiking"]
Role = Literal["twin", "optimized", "converted"]  # how it came to be in the comparison


@dataclass(frozen=True)
class NetworkSpec:
    """A network to build and train: `kind`, shape and, for a spiking network, its neurons.

    Args:
        kind: "relu" (conventional) or "spiking".
        model: "mlp" or "cnn".
        hidden: hidden widths (mlp) or channels (cnn).
        lr: Adam's learning rate.
        steps, encoding: time steps per input and how images become them (spiking only).
        beta, threshold: the LIF decay per step and firing threshold (spiking only).
        learn_beta, learn_threshold: whether training adjusts them (one value per layer).
        rate_penalty: weight of the activity penalty on the spikes (`greenspike.snn.RatePenalty`;
            0: none).
        target_rate: None for an L1 penalty, else the per-layer rate it bounds.
    """

    kind: NetworkKind
    model: str
    hidden: tuple[int, ...]
    lr: float
    steps: int | None = None
    encoding: str | None = None
    beta: float | None = None
    threshold: float | None = None
    learn_beta: bool = False
    learn_threshold: bool = False
    rate_penalty: float = 0.0
    target_rate: float | None = None

    @property
    def penalty(self) -> RatePenalty | None:
        """The activity penalty its training adds to the loss (None without one)."""
        if self.kind != "spiking" or not self.rate_penalty:
            return None
        return RatePenalty(self.rate_penalty, self.target_rate)

    def check(self) -> None:
        """Check the spiking fields.

        Raises:
            InvalidInputError: `beta` outside (0, 1], `threshold` not > 0, a bad rate penalty
                or target rate, or a target rate without a penalty weight.
        """
        if self.kind != "spiking":
            return
        check_beta(BETA if self.beta is None else self.beta)
        check_threshold(1.0 if self.threshold is None else self.threshold)
        check_rate_penalty(self.rate_penalty, self.target_rate)
        if self.target_rate is not None and not self.rate_penalty:
            raise InvalidInputError(
                f"a target rate ({self.target_rate:g}) needs the weight of its penalty: give "
                "`rate_penalty` > 0 too"
            )

    def build(self, image_shape: tuple[int, ...], classes: int) -> nn.Module:
        """The network, built by `greenspike.train.build_pair` (the twin of this kind).

        Raises:
            InvalidInputError: the spec does not fit the images (see `build_pair`).
        """
        relu, spiking = build_pair(
            self.model,
            image_shape,
            classes,
            self.hidden,
            self.steps or 1,
            self.encoding or "direct",
            beta=BETA if self.beta is None else self.beta,
            threshold=1.0 if self.threshold is None else self.threshold,
            learn_beta=self.learn_beta,
            learn_threshold=self.learn_threshold,
        )
        return relu if self.kind == "relu" else spiking

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields; the spiking ones only for a spiking network."""
        data: dict[str, Any] = {
            "kind": self.kind,
            "model": self.model,
            "hidden": list(self.hidden),
            "lr": self.lr,
        }
        if self.kind == "spiking":
            data.update(
                steps=self.steps,
                encoding=self.encoding,
                beta=self.beta,
                threshold=self.threshold,
                learn_beta=self.learn_beta,
                learn_threshold=self.learn_threshold,
                rate_penalty=self.rate_penalty,
                target_rate=self.target_rate,
            )
        return data


def check_beta(beta: float) -> None:
    """Check a LIF decay per step: a number in (0, 1].

    Raises:
        InvalidInputError: it is not.
    """
    if isinstance(beta, bool) or not isinstance(beta, int | float) or not 0 < beta <= 1:
        raise InvalidInputError(f"`beta` (decay per step) must be in (0, 1], got {beta!r}")


def check_threshold(threshold: float) -> None:
    """Check a firing threshold: a finite number > 0.

    Raises:
        InvalidInputError: it is not.
    """
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not 0 < threshold < float("inf")
    ):
        raise InvalidInputError(f"`threshold` must be a number > 0, got {threshold!r}")
