"""What one inference does: operations, neuron updates and memory traffic, per layer and in total.

Synaptic operations follow NeuroBench (Yik et al., Nature Communications 2025): `dense` counts
every weight times every input, zero or not (bias excluded); `effective` counts only the pairs
where both the input and the weight are non-zero; an effective operation is an accumulate (AC)
when the layer's input is binary (spikes), a multiply-accumulate (MAC) otherwise.
All counts are per inference (per sample), so they may be fractional averages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from greenspike._summary import Column, Summary, TextTable
from greenspike._units import si
from greenspike.cost.pricing import EnergyEstimate, price
from greenspike.cost.profiles import HardwareProfile


@dataclass(frozen=True)
class Counts:
    """Per-inference operation and traffic counts (a layer's, or a model's total).

    Neuron updates come in two definitions, kept apart: `neuron_updates` counts every neuron at
    every time step, as a time-stepped chip updates it (greenspike's count, what profiles
    price); `membrane_updates` is NeuroBench's "membrane updates": a neuron-step counts only
    when the neuron's membrane potential changed (the first step counts every neuron).

    Memory traffic is in values moved: `weight_reads` (weights and biases read, once per time
    step the layer runs: a dense weight fetch), `event_weight_reads` (the weights an
    event-driven core reads: for every non-zero input, the fan-out weights it meets, zero
    weights included; biases not), `state_accesses` (neuron state values read plus written,
    every neuron every step), `activation_values` (non-binary inputs read and outputs written by
    each layer), `spike_values` (spike values: one bit each, two for a signed spike in
    {-1, 0, 1}), and `spike_events` (spikes emitted).
    """

    dense_macs: float = 0.0
    dense_acs: float = 0.0
    effective_macs: float = 0.0
    effective_acs: float = 0.0
    neuron_updates: float = 0.0
    weight_reads: float = 0.0
    state_accesses: float = 0.0
    activation_values: float = 0.0
    spike_values: float = 0.0
    spike_events: float = 0.0
    event_weight_reads: float = 0.0
    membrane_updates: float = 0.0

    @property
    def dense_ops(self) -> float:
        """NeuroBench's dense synaptic operations: MACs and ACs, zeros included."""
        return self.dense_macs + self.dense_acs

    @property
    def effective_ops(self) -> float:
        """NeuroBench's effective synaptic operations (zeros skipped): MACs + ACs."""
        return self.effective_macs + self.effective_acs

    def memory_bytes(self, word_bits: int = 32) -> float:
        """Bytes moved with `word_bits`-bit weights, state and activations, 1-bit spikes."""
        words = self.weight_reads + self.state_accesses + self.activation_values
        return words * word_bits / 8 + self.spike_values / 8

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    def to_dict(self) -> dict[str, float]:
        """The counts as plain floats, with the derived `dense_ops` and `effective_ops`."""
        return {**asdict(self), "dense_ops": self.dense_ops, "effective_ops": self.effective_ops}


@dataclass(frozen=True)
class LayerCost:
    """One layer's counts per inference and its activity.

    `kind`: "linear", "conv", "neuron" (with its recurrent synapses, if any) or "activation".
    `input_sparsity` (synaptic layers) / `output_sparsity` (neuron and activation layers):
    fraction of zero values, else None. `spike_rate`: spikes per neuron
    per time step (spiking neurons only, else None). `weights` and `zero_weights` count synaptic
    weights (biases excluded); `parameter_bytes` all the layer's own parameters.
    """

    name: str
    kind: str
    counts: Counts
    steps: float
    neurons: int
    spike_rate: float | None
    input_sparsity: float | None
    output_sparsity: float | None
    weights: int
    zero_weights: int
    parameter_bytes: int

    def to_dict(self) -> dict[str, Any]:
        """The fields as plain JSON-serialisable values, `counts` as `Counts.to_dict()`."""
        return {**asdict(self), "counts": self.counts.to_dict()}


@dataclass(frozen=True)
class CostReport:
    """The cost of one inference of a model, measured on real inputs by `gs.cost.count`.

    `layers` in the order they first ran; `samples` the inferences profiled; `steps` the time
    steps per inference (1 for a conventional network).
    """

    model: str
    samples: int
    steps: int
    layers: Mapping[str, LayerCost]
    parameter_bytes: int

    @property
    def total(self) -> Counts:
        """The counts of all layers, per inference."""
        total = Counts()
        for layer in self.layers.values():
            total = total + layer.counts
        return total

    @property
    def spike_rate(self) -> float | None:
        """Spikes per neuron per time step over all spiking layers (None without any)."""
        spiking = [layer for layer in self.layers.values() if layer.spike_rate is not None]
        neuron_steps = sum(layer.neurons * layer.steps for layer in spiking)
        if not neuron_steps:
            return None
        return sum(layer.counts.spike_events for layer in spiking) / neuron_steps

    @property
    def activation_sparsity(self) -> float | None:
        """NeuroBench activation sparsity: the fraction of zero outputs of the activation layers.

        Counted over all neuron and activation (ReLU, ...) layers, all steps and all samples;
        None without any such layer.
        """
        active = [layer for layer in self.layers.values() if layer.kind in ("neuron", "activation")]
        values = sum(layer.neurons * layer.steps for layer in active)
        if not values:
            return None
        zeros = sum(
            (layer.output_sparsity or 0.0) * layer.neurons * layer.steps for layer in active
        )
        return zeros / values

    @property
    def connection_sparsity(self) -> float | None:
        """Fraction of zero synaptic weights (biases excluded); None without synaptic layers.

        As NeuroBench's documentation defines it: sum of zero weights / sum of weights over the
        synaptic layers.
        """
        weights = sum(layer.weights for layer in self.layers.values())
        if not weights:
            return None
        return sum(layer.zero_weights for layer in self.layers.values()) / weights

    def energy(self, hardware: str | HardwareProfile | Mapping[str, Any]) -> EnergyEstimate:
        """Joules per inference on `hardware`, with the compute / memory / neuron-update split.

        Args:
            hardware: a bundled profile name, a HardwareProfile or a dict of profile fields.

        Returns:
            The estimate, with its breakdown and provenance (see `greenspike.cost.pricing`).

        Raises:
            InvalidInputError: `hardware` is an unknown profile name, or a dict that is not a
                valid profile (`hardware_profile`).
        """
        return price(self.total, hardware)

    def __str__(self) -> str:
        return str(self.summary())

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython and Jupyter
        printer.text(str(self))

    def summary(self) -> Summary:
        """Per layer and in total: operations, neuron updates, memory moved, spike rate.

        `str()` of it (and of the report) is plain text.
        """
        columns = (
            Column("layer"),
            Column("kind"),
            Column("ops (effective)", "right"),
            Column("neuron updates", "right"),
            Column("memory (32-bit)", "right"),
            Column("spike rate", "right"),
        )

        def row(name: str, kind: str, counts: Counts, rate: float | None) -> tuple[str, ...]:
            return (
                name,
                kind,
                _ops(counts),
                f"{counts.neuron_updates:,.0f}",
                si(counts.memory_bytes(32), "B", largest="M"),
                "-" if rate is None else f"{rate:.1%}",
            )

        layers = [
            row(n, layer.kind, layer.counts, layer.spike_rate) for n, layer in self.layers.items()
        ]
        table = TextTable.of(columns, layers, [row("total", "", self.total, self.spike_rate)])
        lines = [
            f"{self.samples:,} samples profiled, {self.steps} time step{'s' * (self.steps != 1)} "
            f"per inference; parameters {si(self.parameter_bytes, 'B', largest='M')}",
            "sparsity: activations "
            + _share(self.activation_sparsity)
            + ", connections "
            + _share(self.connection_sparsity),
            "energy per inference: report.energy(PROFILE), e.g. 'cmos45-fp32'",
        ]
        return Summary(f"Cost of one inference of {self.model}", (table, *lines))

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain JSON-serialisable values."""
        return {
            "model": self.model,
            "samples": self.samples,
            "steps": self.steps,
            "parameter_bytes": self.parameter_bytes,
            "spike_rate": self.spike_rate,
            "activation_sparsity": self.activation_sparsity,
            "connection_sparsity": self.connection_sparsity,
            "memory_bytes_at_32_bit": self.total.memory_bytes(32),
            "total": self.total.to_dict(),
            "layers": [layer.to_dict() for layer in self.layers.values()],
        }


def _ops(counts: Counts) -> str:
    """Effective MACs and ACs, e.g. "5,265 MAC + 5,757 AC"; "0" for none."""
    parts = [
        f"{value:,.0f} {unit}"
        for value, unit in ((counts.effective_macs, "MAC"), (counts.effective_acs, "AC"))
        if value
    ]
    return " + ".join(parts) or "0"


def _share(fraction: float | None) -> str:
    return "-" if fraction is None else f"{fraction:.1%}"
