"""What a trial keeps in the study storage, typed: its evaluation and its measured energy.

A trial's Optuna user attributes hold `worker` (host:pid), `ledger_run_id`, `accuracy_curve`
(validation accuracy per epoch, updated after each) and, written once when it ends however it
ends, RECORD: its `TrialMeasurement` and, if it got that far, its `TrialEvaluation`. A worker
killed mid-trial leaves no RECORD; the ledger run still holds its energy up to its last update.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from greenspike.cost import EnergyEstimate

RECORD = "record"  # the user attribute holding what a trial measured, written once at its end
TrialState = Literal["running", "waiting", "complete", "pruned", "fail"]


@dataclass(frozen=True)
class TrialEvaluation:
    """A trained trial's scores: test accuracy and energy per inference.

    Args:
        test_accuracy: on the test images (reported, never used to choose).
        inference_energy_j: joules per inference on the study's first hardware profile.
        inference_energy: the estimate on each hardware profile (or deployment), for the
            network quantized to its precision.
        spike_rate: spikes per neuron per step (None for a ReLU network).
        synaptic_ops: effective synaptic operations per inference.
        deployed_accuracy: test accuracy at each hardware's precision.
        validation_accuracy: validation accuracy at the first hardware's precision, the
            accuracy objective (None when that is fp32: the last epoch's validation accuracy).
    """

    test_accuracy: float
    inference_energy_j: float
    inference_energy: Mapping[str, EnergyEstimate]
    spike_rate: float | None
    synaptic_ops: float
    deployed_accuracy: Mapping[str, float] = field(default_factory=dict)
    validation_accuracy: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "test_accuracy": self.test_accuracy,
            "inference_energy_j": self.inference_energy_j,
            "inference_energy": {name: e.to_dict() for name, e in self.inference_energy.items()},
            "spike_rate": self.spike_rate,
            "synaptic_ops": self.synaptic_ops,
            "deployed_accuracy": dict(self.deployed_accuracy),
            "validation_accuracy": self.validation_accuracy,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrialEvaluation:
        """What `to_dict()` wrote."""
        return cls(
            test_accuracy=data["test_accuracy"],
            inference_energy_j=data["inference_energy_j"],
            inference_energy={
                name: EnergyEstimate.from_dict(e) for name, e in data["inference_energy"].items()
            },
            spike_rate=data["spike_rate"],
            synaptic_ops=data["synaptic_ops"],
            deployed_accuracy=data.get("deployed_accuracy", {}),  # absent before issue 16
            validation_accuracy=data.get("validation_accuracy"),
        )


@dataclass(frozen=True)
class TrialMeasurement:
    """What a trial's tracker run measured, split by provenance.

    Args:
        epochs_run: epochs trained (fewer than asked when pruned).
        energy_j, measured_energy_j, estimated_energy_j: the whole trial's joules.
        training_energy_j: joules of its "train" window.
        co2e_g: CO2e (None without a carbon intensity).
        duration_s: seconds the trial's run took.
        energy_status: how its run ended.
        energy_sources: "component: label, source" per component.
    """

    epochs_run: int
    energy_j: float
    measured_energy_j: float
    estimated_energy_j: float
    training_energy_j: float
    co2e_g: float | None
    duration_s: float
    energy_status: str
    energy_sources: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "epochs_run": self.epochs_run,
            "energy_j": self.energy_j,
            "measured_energy_j": self.measured_energy_j,
            "estimated_energy_j": self.estimated_energy_j,
            "training_energy_j": self.training_energy_j,
            "co2e_g": self.co2e_g,
            "duration_s": self.duration_s,
            "energy_status": self.energy_status,
            "energy_sources": list(self.energy_sources),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrialMeasurement:
        """What `to_dict()` wrote."""
        return cls(
            epochs_run=data["epochs_run"],
            energy_j=data["energy_j"],
            measured_energy_j=data["measured_energy_j"],
            estimated_energy_j=data["estimated_energy_j"],
            training_energy_j=data["training_energy_j"],
            co2e_g=data["co2e_g"],
            duration_s=data["duration_s"],
            energy_status=data["energy_status"],
            energy_sources=tuple(data["energy_sources"]),
        )


@dataclass(frozen=True)
class TrialRecord:
    """One trial of a study as its storage holds it.

    Args:
        number: Optuna's trial number.
        state: "complete", "pruned", "fail", "running" or "waiting".
        pareto: whether it is on the study's Pareto front.
        values: its objective values (None unless complete).
        params: the candidate Optuna drew (network, model, depth, width, lr, ...).
        accuracy_curve: validation accuracy after each epoch (None before the first).
        worker: "host:pid" of the process that ran it (None if it never started).
        ledger_run_id: its run in the ledger (None: not kept).
        evaluation: its scores, once trained to the end.
        measurement: its energy, once it ended (None if its worker was killed).
    """

    number: int
    state: TrialState
    pareto: bool
    values: tuple[float, ...] | None
    params: Mapping[str, Any]
    accuracy_curve: tuple[float, ...] | None = None
    worker: str | None = None
    ledger_run_id: int | None = None
    evaluation: TrialEvaluation | None = None
    measurement: TrialMeasurement | None = None

    @property
    def accuracy(self) -> float | None:
        """The last validation accuracy (None before the first epoch)."""
        return self.accuracy_curve[-1] if self.accuracy_curve else None

    @classmethod
    def from_trial(cls, trial: Any, pareto: bool = False) -> TrialRecord:
        """The record of an Optuna FrozenTrial."""
        attrs = trial.user_attrs
        record = attrs.get(RECORD, {})
        curve = record.get("accuracy_curve", attrs.get("accuracy_curve"))
        return cls(
            number=trial.number,
            state=trial.state.name.lower(),
            pareto=pareto,
            values=None if trial.values is None else tuple(trial.values),
            params=dict(trial.params),
            accuracy_curve=None if curve is None else tuple(curve),
            worker=attrs.get("worker"),
            ledger_run_id=attrs.get("ledger_run_id"),
            evaluation=TrialEvaluation.from_dict(record) if "test_accuracy" in record else None,
            measurement=TrialMeasurement.from_dict(record) if "energy_j" in record else None,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields, flat (as in results.json); parts never reached are left out."""
        data: dict[str, Any] = {
            "number": self.number,
            "state": self.state,
            "pareto": self.pareto,
            "values": None if self.values is None else list(self.values),
            "params": dict(self.params),
        }
        if self.accuracy_curve is not None:
            data["accuracy_curve"] = list(self.accuracy_curve)
        if self.worker is not None:
            data["ledger_run_id"] = self.ledger_run_id
            data["worker"] = self.worker
        if self.evaluation is not None:
            data.update(self.evaluation.to_dict())
        if self.measurement is not None:
            data.update(self.measurement.to_dict())
        return data


def stored_record(
    curve: list[float], evaluation: TrialEvaluation | None, measurement: TrialMeasurement
) -> dict[str, Any]:
    """The RECORD user attribute of a trial that ended."""
    return {
        "accuracy_curve": curve,
        **({} if evaluation is None else evaluation.to_dict()),
        **measurement.to_dict(),
    }
