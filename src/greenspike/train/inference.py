"""What one inference of each trained twin costs, counted on test images and priced on hardware.

Counts and prices come from `greenspike.cost` (NeuroBench operation counts, memory traffic,
published per-operation energies). A profile with no figure for an operation the network does
(e.g. Loihi has no multiply-accumulate) gives no total: `energy_j` is None and `unpriced` says
what is missing, never 0 J.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import torch

from greenspike.cost import CostReport, EnergyEstimate, break_even_rate, count, profiles
from greenspike.cost.pricing import price
from greenspike.errors import InvalidInputError, UnpricedOperationError

DEFAULT_HARDWARE = ("cmos45-fp32", "cmos45-int8", "loihi")
COUNT_IMAGES = 1000  # test images counted on: the counts are averages, 1,000 pin them down
COUNT_BATCH = 250  # images per forward pass while counting (bounds memory)

Verdict = Literal["never", "below", "always", "unpriced"]


@dataclass(frozen=True)
class ProfileEnergy:
    """Energy per inference on one hardware profile, and the layers it cannot price."""

    estimate: EnergyEstimate
    unpriced_layers: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The estimate's JSON with `unpriced_layers`."""
        return {**self.estimate.to_dict(), "unpriced_layers": list(self.unpriced_layers)}


@dataclass(frozen=True)
class InferenceCost:
    """A network's counts per inference (`counts`) and their price on each profile (`energy`)."""

    counts: CostReport
    energy: Mapping[str, ProfileEnergy]

    def to_dict(self) -> dict[str, Any]:
        """`counts.to_dict()` with the energy per profile under "energy"."""
        return {
            **self.counts.to_dict(),
            "energy": {name: energy.to_dict() for name, energy in self.energy.items()},
        }


@dataclass(frozen=True)
class BreakEven:
    """The spike rate below which the spiking twin costs less per inference than the ReLU one.

    `verdict`: "never" (rate 0: more costly even without a spike), "below" (wins below
    `spike_rate`), "always" (wins at every rate up to 1, or at any rate: `spike_rate` None stands
    for infinity) or "unpriced" (a network has operations the profile cannot price; `reason`
    says which).
    """

    spike_rate: float | None
    verdict: Verdict
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {"spike_rate": self.spike_rate, "verdict": self.verdict, "reason": self.reason}


def check_hardware(names: tuple[str, ...]) -> None:
    """Check that every name is a hardware profile bundled with greenspike.cost.

    Raises:
        InvalidInputError: no name, or an unknown one (the message lists the known ones).
    """
    known = profiles()
    if not names:
        raise InvalidInputError(f"give at least one hardware profile: {', '.join(known)}")
    for name in names:
        if name not in known:
            raise InvalidInputError(
                f"unknown hardware profile {name!r}: use one of {', '.join(known)}"
            )


def count_network(
    network: torch.nn.Module, images: torch.Tensor, seed: int, batch_size: int = COUNT_BATCH
) -> CostReport:
    """Counts per inference of `network` (in eval mode) on the first COUNT_IMAGES images.

    `seed` fixes the spikes of a random (rate) encoder; `batch_size` images run at once.
    """
    network.eval()
    torch.manual_seed(seed)
    return count(network, images[:COUNT_IMAGES], batch_size=batch_size)


def inference_cost(report: CostReport, hardware: tuple[str, ...]) -> InferenceCost:
    """`report` priced on each profile of `hardware`, with the layers each cannot price.

    Raises:
        InvalidInputError: a name in `hardware` is not a known profile.
    """
    return InferenceCost(report, {name: _priced(report, name) for name in hardware})


def _priced(report: CostReport, hardware: str) -> ProfileEnergy:
    unpriced_layers = tuple(
        name for name, layer in report.layers.items() if not price(layer.counts, hardware).complete
    )
    return ProfileEnergy(report.energy(hardware), unpriced_layers)


def break_even(spiking: CostReport, conventional: CostReport, hardware: str) -> BreakEven:
    """The break-even spike rate of `spiking` against `conventional` on `hardware`."""
    try:
        rate = break_even_rate(spiking, conventional, hardware)
    except UnpricedOperationError as error:
        return BreakEven(None, "unpriced", str(error))
    verdict: Verdict
    if rate == 0:
        verdict = "never"
    elif rate >= 1:
        verdict = "always"
    else:
        verdict = "below"
    return BreakEven(None if math.isinf(rate) else rate, verdict)
