"""Deployments: a network split over hardware, one profile per part.

A neuromorphic chip takes spikes only, so a network whose first layer multiplies pixel values
(direct encoding) runs that layer on a host: `loihi+host=cmos7-int8` puts the leading layers
that take non-binary input (multiply-accumulates) on `cmos7-int8` and everything from the
first layer that does not on `loihi`. A plain profile name is a deployment of one part.

    deployment = gs.cost.deployment("loihi+host=cmos7-int8")
    estimate = deployment.price(report)          # per part and in total
    estimate.energy_j, [part.layers for part in estimate.parts]
    deployment.precisions(report)                # the precision each layer runs at

The link between host and chip (moving the host's outputs onto the chip) is not priced: the
host writes its outputs to its own memory and the chip reads them as inputs, each at its own
per-byte figure, but no interface energy is added.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from greenspike.cost.counts import CostReport, Counts
from greenspike.cost.precision import Precision
from greenspike.cost.pricing import EnergyEstimate, price
from greenspike.cost.profiles import HardwareProfile, find_profile, profiles
from greenspike.errors import InvalidInputError

Role = Literal["chip", "host"]
ROLES: tuple[Role, ...] = ("chip", "host")


@dataclass(frozen=True)
class Deployment:
    """Where a network runs: `chip` for everything, or a `host` for its leading layers.

    The host takes the leading layers whose synaptic operations get non-binary input
    (multiply-accumulates), up to the first layer that does not; the chip takes the rest.
    """

    chip: HardwareProfile
    host: HardwareProfile | None = None

    @property
    def name(self) -> str:
        """The deployment as written: `chip` or `chip+host=host`."""
        return self.chip.name if self.host is None else f"{self.chip.name}+host={self.host.name}"

    @property
    def parts(self) -> tuple[tuple[Role, HardwareProfile], ...]:
        """(role, profile) of each part: the chip, then the host if any."""
        chip: tuple[Role, HardwareProfile] = ("chip", self.chip)
        return (chip,) if self.host is None else (chip, ("host", self.host))

    def profile(self, role: Role) -> HardwareProfile:
        """The profile of one part.

        Raises:
            InvalidInputError: `role` is "host" and the deployment has no host.
        """
        if role == "chip":
            return self.chip
        if self.host is None:
            raise InvalidInputError(f"deployment {self.name!r} has no host")
        return self.host

    def roles(self, report: CostReport) -> dict[str, Role]:
        """The part each layer of `report` runs on, by layer name, in the report's order."""
        roles: dict[str, Role] = {}
        leading = self.host is not None
        for name, layer in report.layers.items():
            leading = leading and layer.kind in ("linear", "conv") and layer.counts.dense_macs > 0
            roles[name] = "host" if leading else "chip"
        return roles

    def precisions(self, report: CostReport) -> dict[str, Precision]:
        """The precision each layer of `report` runs at: its part's profile's precision."""
        return {name: self.profile(role).precision for name, role in self.roles(report).items()}

    def price(self, report: CostReport) -> DeploymentEstimate:
        """Joules per inference of `report` on each part and in total."""
        roles = self.roles(report)
        parts = []
        for role, profile in self.parts:
            layers = tuple(name for name, part in roles.items() if part == role)
            counts = _sum(report.layers[name].counts for name in layers)
            unpriced = tuple(
                name for name in layers if not price(report.layers[name].counts, profile).complete
            )
            parts.append(PartEstimate(role, layers, price(counts, profile), unpriced))
        return DeploymentEstimate(self.name, tuple(parts))

    def to_dict(self) -> dict[str, Any]:
        """The name and the profile of each part, by role."""
        return {"name": self.name, **{role: profile.name for role, profile in self.parts}}


@dataclass(frozen=True)
class PartEstimate:
    """One part of a deployment: its role, the layers it runs and their energy on its profile.

    `unpriced_layers`: those of its layers the profile cannot price in full.
    """

    role: Role
    layers: tuple[str, ...]
    estimate: EnergyEstimate
    unpriced_layers: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The role, layers and the estimate's JSON (`EnergyEstimate.to_dict()`)."""
        return {
            "role": self.role,
            "layers": list(self.layers),
            **self.estimate.to_dict(),
            "unpriced_layers": list(self.unpriced_layers),
        }


@dataclass(frozen=True)
class DeploymentEstimate:
    """Joules per inference of a network on a deployment, per part and in `total`."""

    deployment: str
    parts: tuple[PartEstimate, ...]

    @property
    def total(self) -> EnergyEstimate:
        """The parts added up: one estimate named after the deployment.

        One part: that part's estimate as it is. Several: compute, memory and neuron energy
        summed, the unpriced operations of all parts, and each part's provenance.
        """
        if len(self.parts) == 1:
            return self.parts[0].estimate
        estimates = [part.estimate for part in self.parts]
        return EnergyEstimate(
            hardware=self.deployment,
            compute_j=sum(e.compute_j for e in estimates),
            memory_j=sum(e.memory_j for e in estimates),
            neuron_j=sum(e.neuron_j for e in estimates),
            unpriced=tuple(u for e in estimates for u in e.unpriced),
            provenance=f"estimated by greenspike.cost with deployment {self.deployment}: "
            + "; ".join(
                f"{part.role} {part.estimate.provenance.removeprefix(_PREFIX)}"
                for part in self.parts
            ),
        )

    @property
    def energy_j(self) -> float | None:
        """Joules per inference; None when some part could not price all it runs."""
        return self.total.energy_j

    @property
    def unpriced_layers(self) -> tuple[str, ...]:
        """The layers some part cannot price in full, in the order of the parts."""
        return tuple(name for part in self.parts for name in part.unpriced_layers)


_PREFIX = "estimated by greenspike.cost with "


def deployment(
    spec: str | Deployment | HardwareProfile | Mapping[str, Any],
    known: Mapping[str, HardwareProfile] | None = None,
) -> Deployment:
    """A deployment from `chip` or `chip+host=profile`, a profile, or a profile's fields.

    Args:
        spec: the deployment as written (profile names joined by `+`, every part after the
            first as `role=profile`; the only such role is `host`), or a Deployment, a
            HardwareProfile or a dict of profile fields (a deployment of one part).
        known: the profiles names may refer to; default the bundled ones.

    Raises:
        InvalidInputError: an empty part, an unknown role or one given twice, an unknown
            profile name (the message lists the known ones), or a dict that is not a valid
            profile.
    """
    if isinstance(spec, Deployment):
        return spec
    if isinstance(spec, HardwareProfile | Mapping):
        return Deployment(find_profile(spec))
    table = dict(profiles() if known is None else known)
    chip_name, *others = (part.strip() for part in str(spec).split("+"))
    parts: dict[str, HardwareProfile] = {"chip": _known(chip_name, table, spec)}
    for other in others:
        role, sep, name = other.partition("=")
        role = role.strip()
        if not sep or role not in ROLES or role == "chip":
            raise InvalidInputError(
                f"deployment {spec!r}: {other!r} is not ROLE=PROFILE with ROLE host "
                "(e.g. loihi+host=cmos7-int8)"
            )
        if role in parts:
            raise InvalidInputError(f"deployment {spec!r}: {role} is given twice")
        parts[role] = _known(name.strip(), table, spec)
    return Deployment(parts["chip"], parts.get("host"))


def _known(name: str, table: Mapping[str, HardwareProfile], spec: object) -> HardwareProfile:
    if not name:
        raise InvalidInputError(f"deployment {spec!r} has an empty part")
    if name not in table:
        raise InvalidInputError(
            f"deployment {spec!r}: unknown hardware profile {name!r}; known: {', '.join(table)}"
        )
    return table[name]


def _sum(counts: Iterable[Counts]) -> Counts:
    total = Counts()
    for each in counts:
        total = total + each
    return total
