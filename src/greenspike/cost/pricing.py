"""Pricing counted operations on a hardware profile: joules per inference, by component.

With figures in pJ, the counts of `report.Counts`, and bytes per value from the profile's
precision (b_w for weights, b_s for state, b_a for non-binary activations: a spikes-only chip's
non-binary values are the currents it accumulates into its neurons, b_a = b_s):

    compute = MACs x mac_pj + ACs x ac_pj   (effective ops if the profile skips zeros, else dense)
    neurons = neuron_updates x neuron_update_pj
    weights = weight_reads x b_w x weight_read_pj_per_byte         (weight_fetch "dense")
              event_weight_reads x b_w x weight_read_pj_per_byte   (weight_fetch "event")
              0                                                    (weight_fetch "resident")
    memory  = weights + state_accesses x b_s x state_pj_per_byte
              + (activation_values x b_a + spike_values / 8) x activation_pj_per_byte
              + spike_events x spike_event_pj
    energy_j = (compute + neurons + memory) x 1e-12

A term whose count is non-zero but whose figure the profile lacks (e.g. MACs on Loihi) is not
priced as 0 J: it is listed in `unpriced` and the estimate is marked incomplete.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from greenspike.cost.profiles import HardwareProfile, find_profile

if TYPE_CHECKING:
    from greenspike.cost.counts import Counts

PJ = 1e-12  # joules per picojoule


@dataclass(frozen=True)
class EnergyEstimate:
    """Estimated joules per inference on one hardware profile, with where the figure comes from."""

    hardware: str
    compute_j: float
    memory_j: float
    neuron_j: float
    unpriced: tuple[str, ...]
    provenance: str

    @property
    def priced_j(self) -> float:
        """Compute + memory + neuron updates, of the terms the profile could price."""
        return self.compute_j + self.memory_j + self.neuron_j

    @property
    def energy_j(self) -> float | None:
        """Joules per inference; None when some operations could not be priced.

        The operations left out are listed in `unpriced`; None keeps a partial sum from being
        mistaken for the whole.
        """
        return self.priced_j if self.complete else None

    @property
    def complete(self) -> bool:
        """Whether every counted operation had a figure in the profile."""
        return not self.unpriced

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields, with the derived `energy_j`, `priced_j` and `complete`."""
        return {
            **asdict(self),
            "unpriced": list(self.unpriced),
            "energy_j": self.energy_j,
            "priced_j": self.priced_j,
            "complete": self.complete,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EnergyEstimate:
        """The estimate `to_dict()` wrote (derived fields are recomputed, not read)."""
        return cls(
            hardware=data["hardware"],
            compute_j=data["compute_j"],
            memory_j=data["memory_j"],
            neuron_j=data["neuron_j"],
            unpriced=tuple(data["unpriced"]),
            provenance=data["provenance"],
        )


def price(counts: Counts, hardware: str | HardwareProfile | Mapping[str, Any]) -> EnergyEstimate:
    """Joules per inference for `counts` on `hardware` (name, profile or dict); see the module.

    Raises:
        InvalidInputError: `hardware` is an unknown profile name, or a dict that is not a valid
            profile (`hardware_profile`).
    """
    profile = find_profile(hardware)
    unpriced: list[str] = []

    def cost(count: float, figure: float | None, what: str) -> float:
        if not count:
            return 0.0
        if figure is None:
            unpriced.append(f"{count:g} {what} (no figure in profile {profile.name!r})")
            return 0.0
        return count * figure

    precision = profile.precision
    weight_bytes, state_bytes = precision.weights.bytes, precision.state.bytes
    activation_bytes = (
        state_bytes if precision.activations.kind == "spike" else precision.activations.bytes
    )
    weight_reads = {
        "dense": counts.weight_reads,
        "event": counts.event_weight_reads,
        "resident": 0.0,
    }[profile.weight_fetch]
    macs = counts.effective_macs if profile.skips_zeros else counts.dense_macs
    acs = counts.effective_acs if profile.skips_zeros else counts.dense_acs
    compute = cost(macs, profile.mac_pj, "multiply-accumulates") + cost(
        acs, profile.ac_pj, "accumulates"
    )
    neurons = cost(counts.neuron_updates, profile.neuron_update_pj, "neuron updates")
    memory = (
        cost(weight_reads * weight_bytes, profile.weight_read_pj_per_byte, "weight bytes read")
        + cost(counts.state_accesses * state_bytes, profile.state_pj_per_byte, "state bytes moved")
        + cost(
            counts.activation_values * activation_bytes + counts.spike_values / 8,
            profile.activation_pj_per_byte,
            "activation bytes moved",
        )
        + cost(counts.spike_events, profile.spike_event_pj, "spike events")
    )
    return EnergyEstimate(
        hardware=profile.name,
        compute_j=compute * PJ,
        memory_j=memory * PJ,
        neuron_j=neurons * PJ,
        unpriced=tuple(unpriced),
        provenance=f"estimated by greenspike.cost with profile {profile.name} ({profile.source})",
    )
