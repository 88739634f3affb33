"""What one inference of each trained twin costs on each deployment, at the deployment's precision.

A deployment (`greenspike.cost.Deployment`: a profile, or a chip with a host) runs each layer at
its part's precision. Every energy figure here belongs to the network as it would run there:
the trained network is quantized to those precisions (`greenspike.quant`, calibrated on training
images), its test accuracy is measured at them, and its operations are counted on the test
images and priced per part. A deployment at the precision the twin was trained at uses the
trained network itself. A profile with no figure for an operation the network does (e.g. Loihi
has no multiply-accumulate) gives no total: `energy_j` is None and `unpriced` says what is
missing, never 0 J.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import torch

from greenspike.cost import (
    CostReport,
    Counts,
    Deployment,
    DeploymentEstimate,
    HardwareProfile,
    Precision,
    break_even_rate,
    count,
    deployment,
)
from greenspike.data import LabelledImages
from greenspike.errors import InvalidInputError, UnpricedOperationError
from greenspike.quant import float_model, quantize
from greenspike.train.loop import evaluate

DEFAULT_HARDWARE = ("cmos45-fp32", "cmos45-int8", "loihi")
# Each twin on the hardware it would run on: (ReLU twin, spiking twin).
DEFAULT_PAIRINGS: tuple[tuple[str, str], ...] = (
    ("cmos7-int8", "loihi+host=cmos7-int8"),
    ("gpu7-fp16", "loihi+host=cmos7-int8"),
    ("cmos7-int8", "truenorth+host=cmos7-int8"),
)
COUNT_IMAGES = 1000  # test images counted on: the counts are averages, 1,000 pin them down
COUNT_BATCH = 250  # images per forward pass while counting (bounds memory)
CALIBRATION_IMAGES = 512  # training images that set the quantized network's scales

Verdict = Literal["never", "below", "always", "unpriced"]


@dataclass(frozen=True)
class DeploymentEnergy:
    """A twin on one deployment: its accuracy and energy per inference at that precision.

    Args:
        deployment: where it runs (its parts' profiles).
        estimate: joules per inference per part and in total.
        accuracy: test accuracy of the network at the deployment's precision (0..1).
        counts: the counts per inference of that network (what was priced).
    """

    deployment: Deployment
    estimate: DeploymentEstimate
    accuracy: float
    counts: Counts

    @property
    def energy_j(self) -> float | None:
        """Joules per inference; None when a part could not price everything it runs."""
        return self.estimate.energy_j

    @property
    def unpriced_layers(self) -> tuple[str, ...]:
        """The layers some part cannot price in full."""
        return self.estimate.unpriced_layers

    def to_dict(self) -> dict[str, Any]:
        """The total's estimate with `unpriced_layers`, accuracy, precisions, parts, counts."""
        return {
            **self.estimate.total.to_dict(),
            "unpriced_layers": list(self.unpriced_layers),
            "accuracy": self.accuracy,
            "precision": {
                role: profile.precision.to_dict() for role, profile in self.deployment.parts
            },
            "parts": [part.to_dict() for part in self.estimate.parts],
            "counts": self.counts.to_dict(),
        }


@dataclass(frozen=True)
class InferenceCost:
    """A twin's counts per inference as trained (`counts`) and its energy on each deployment."""

    counts: CostReport
    energy: Mapping[str, DeploymentEnergy]

    def to_dict(self) -> dict[str, Any]:
        """`counts.to_dict()` with the energy per deployment under "energy"."""
        return {
            **self.counts.to_dict(),
            "energy": {name: energy.to_dict() for name, energy in self.energy.items()},
        }


@dataclass(frozen=True)
class BreakEven:
    """The spike rate below which the spiking twin costs less per inference than the ReLU one.

    `verdict`: "never" (rate 0: more costly even without a spike), "below" (wins below
    `spike_rate`), "always" (wins at every rate up to 1, or at any rate: `spike_rate` None stands
    for infinity) or "unpriced" (a network has operations the profile cannot price, or the
    hardware is a deployment with a host; `reason` says which).
    """

    spike_rate: float | None
    verdict: Verdict
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {"spike_rate": self.spike_rate, "verdict": self.verdict, "reason": self.reason}


def check_hardware(names: tuple[str, ...], profiles: Mapping[str, HardwareProfile]) -> None:
    """Check that every name is a deployment of known profiles (`greenspike.cost.deployment`).

    Raises:
        InvalidInputError: no name, or one that is not a deployment of `profiles` (the message
            lists the known profiles).
    """
    if not names:
        raise InvalidInputError(f"give at least one hardware profile: {', '.join(profiles)}")
    for name in names:
        deployment(name, profiles)


def count_network(
    network: torch.nn.Module, images: torch.Tensor, seed: int, batch_size: int = COUNT_BATCH
) -> CostReport:
    """Counts per inference of `network` (in eval mode) on the first COUNT_IMAGES images.

    `seed` fixes the spikes of a random (rate) encoder; `batch_size` images run at once.
    """
    network.eval()
    torch.manual_seed(seed)
    return count(network, images[:COUNT_IMAGES], batch_size=batch_size)


class Deployer:
    """Prices one trained twin on deployments, each at its precision, measuring its accuracy.

    Networks are quantized, tested and counted once per distinct set of per-layer precisions.

    Args:
        network: the trained twin (quantized if it was trained at a lower precision).
        trained: the precision it was trained at.
        accuracy: its test accuracy as trained.
        report: its counts as trained (which layers a host takes comes from them).
        calibration: training images that set a quantized network's scales.
        test: the test set.
        seed: fixes the spikes of a random encoder, for counting and testing.
        count_images: the images counted on (default the test images).
    """

    def __init__(
        self,
        network: torch.nn.Module,
        trained: Precision,
        accuracy: float,
        report: CostReport,
        calibration: torch.Tensor,
        test: LabelledImages,
        seed: int,
        count_images: torch.Tensor | None = None,
    ):
        self.network, self.trained, self.report = network, trained, report
        self.calibration, self.test, self.seed = calibration, test, seed
        self.count_images = test.images if count_images is None else count_images
        key = (trained, ())
        self._networks: dict[tuple, torch.nn.Module] = {key: network}
        self._measured: dict[tuple, tuple[float, CostReport]] = {key: (accuracy, report)}

    def __call__(self, where: Deployment) -> DeploymentEnergy:
        """The twin on `where`: accuracy and energy per inference at its precision."""
        accuracy, report = self.measure(where)
        return DeploymentEnergy(where, where.price(report), accuracy, report.total)

    def measure(self, where: Deployment) -> tuple[float, CostReport]:
        """Test accuracy and counts of the twin at the precisions of `where`."""
        key = self._key(where)
        if key not in self._measured:
            network = self.network_at(where)
            torch.manual_seed(self.seed)
            accuracy = evaluate(network, self.test)
            self._measured[key] = (accuracy, count_network(network, self.count_images, self.seed))
        return self._measured[key]

    def network_at(self, where: Deployment) -> torch.nn.Module:
        """The twin as it runs on `where`: quantized to its precisions (or as trained)."""
        key = self._key(where)
        if key not in self._networks:
            torch.manual_seed(self.seed)
            self._networks[key] = quantize(
                float_model(self.network),
                where.chip.precision,
                self.calibration[:CALIBRATION_IMAGES],
                layers=dict(key[1]),
            )
        return self._networks[key]

    def _key(self, where: Deployment) -> tuple:
        """The per-layer precisions of `where`: the chip's, and the layers that differ."""
        overrides = {
            name: precision
            for name, precision in where.precisions(self.report).items()
            if precision != where.chip.precision
        }
        return where.chip.precision, tuple(sorted(overrides.items(), key=lambda item: item[0]))


def inference_cost(
    report: CostReport,
    deployments: Mapping[str, Deployment],
    deploy: Callable[[Deployment], DeploymentEnergy],
) -> InferenceCost:
    """`report` with the energy of each of `deployments` (by name) from `deploy`."""
    return InferenceCost(report, {name: deploy(where) for name, where in deployments.items()})


def break_even(spiking: CostReport, conventional: CostReport, where: Deployment) -> BreakEven:
    """The break-even spike rate of `spiking` against `conventional` on a one-part deployment."""
    if where.host is not None:
        return BreakEven(
            None, "unpriced", f"{where.name}: the break-even rate is for one profile, not a host"
        )
    try:
        rate = break_even_rate(spiking, conventional, where.chip)
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
