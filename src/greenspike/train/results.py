"""What a comparison found: typed, frozen results, JSON at the edge (`to_dict()`).

    result = compare(CompareConfig())
    result.networks["spiking"].accuracy, result.networks["spiking"].inference.energy["loihi"]
    result.break_even["cmos45-int8"].verdict
    verdict = result.verdicts[0]                   # both on the first --hardware entry
    verdict.energy_ratio, verdict.accuracy_change, verdict.levers.best
    pairing = result.pairings[0]                   # each twin on its own hardware
    pairing.energy_ratio, pairing.verdict, pairing.spiking.accuracy
    json.dumps(result.to_dict())                   # results.json, as the README documents it

A network interrupted or failed midway keeps what it measured: fields it never reached are None
and left out of its JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from greenspike.energy.measurement import EnergyReport, WindowReport
from greenspike.interop import ConversionReport
from greenspike.train.config import CompareConfig
from greenspike.train.conversion import CurvePoint
from greenspike.train.inference import BreakEven, DeploymentEnergy, InferenceCost
from greenspike.train.levers import Levers
from greenspike.train.measured_inference import InferenceMeasurement
from greenspike.train.progress import EpochRecord
from greenspike.train.spec import NetworkKind, NetworkSpec, Role

Status = Literal["running", "finished", "failed", "interrupted"]
NETWORKS = ("relu", "spiking", "converted")  # the networks `compare` itself may run
PairingVerdict = Literal["spiking", "relu", "tie", "unpriced"]


@dataclass(frozen=True)
class NetworkResult:
    """One twin's run: training, test accuracy, counts and energy per inference.

    Args:
        status: how its run ended ("running" while it goes on).
        parameters: trainable and fixed parameter values.
        run_id: its run in the ledger (None: not kept).
        optimizer_steps: minibatches trained on.
        train_time_s: wall-clock seconds of training.
        accuracy: test accuracy (0..1) at the precision it was trained at.
        spike_rate: spikes per neuron per step over its spiking layers (None: not spiking).
        inference: counts as trained, and accuracy and energy per inference on each
            deployment (the `hardware` profiles, and its side of the `deploy` pairings).
        training_energy: the energy of its "train" window, with provenance (the converted
            network: its "convert" window, the conversion).
        training_co2e_g: CO2e of that window (None without a carbon intensity).
        energy: the whole run's energy report.
        spec: what the network is and how it was trained (None: not recorded).
        role: how it came to be in the comparison ("twin", "optimized", "converted").
        epochs: each training epoch's loss, train accuracy and time, in order.
        conversion: how the converted network was converted (None for the others).
        curve: the converted network's accuracy and energy per inference by time steps.
    """

    status: Status
    parameters: int
    run_id: int | None = None
    optimizer_steps: int | None = None
    train_time_s: float | None = None
    accuracy: float | None = None
    spike_rate: float | None = None
    inference: InferenceCost | None = None
    training_energy: WindowReport | None = None
    training_co2e_g: float | None = None
    energy: EnergyReport | None = None
    spec: NetworkSpec | None = None
    role: Role = "twin"
    epochs: tuple[EpochRecord, ...] = ()
    conversion: ConversionReport | None = None
    curve: tuple[CurvePoint, ...] | None = None

    @property
    def kind(self) -> NetworkKind | None:
        """The network's kind, relu or spiking (None when its spec was not recorded)."""
        return None if self.spec is None else self.spec.kind

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields; those never reached are left out."""
        data: dict[str, Any] = {
            "status": self.status,
            "parameters": self.parameters,
            "run_id": self.run_id,
        }
        for name in ("optimizer_steps", "train_time_s", "accuracy", "spike_rate"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        if self.inference is not None:
            data["inference"] = self.inference.to_dict()
        if self.training_energy is not None:
            data["training_energy"] = self.training_energy.to_dict()
            data["training_co2e_g"] = self.training_co2e_g
        if self.energy is not None:
            data["energy"] = self.energy.to_dict()
        data["role"] = self.role
        if self.spec is not None:
            data["spec"] = self.spec.to_dict()
        data["epochs"] = [epoch.to_dict() for epoch in self.epochs]
        if self.conversion is not None:
            data["conversion"] = self.conversion.to_dict()
        if self.curve is not None:
            data["curve"] = [point.to_dict() for point in self.curve]
        return data


@dataclass(frozen=True)
class Pairing:
    """The ReLU twin on one deployment against a spiking network on the same or another one.

    `energy_ratio` = spiking energy / ReLU energy per inference (below 1 the spiking network
    uses less), None when either has no total. `verdict`: which uses less energy ("tie" when
    equal, "unpriced" without both totals). Each side carries its accuracy at its precision.
    `network` names the spiking network ("spiking" for the twin); `levers`, where the spiking
    side has a total, says which single change would move the verdict most.
    """

    relu: DeploymentEnergy
    spiking: DeploymentEnergy
    network: str = "spiking"
    levers: Levers | None = None

    @property
    def accuracy_change(self) -> float:
        """Spiking accuracy minus ReLU accuracy, in percentage points."""
        return 100 * (self.spiking.accuracy - self.relu.accuracy)

    @property
    def energy_ratio(self) -> float | None:
        """Spiking twin's joules per inference over the ReLU twin's; None without both."""
        relu, spiking = self.relu.energy_j, self.spiking.energy_j
        if relu is None or spiking is None or relu == 0:
            return None
        return spiking / relu

    @property
    def verdict(self) -> PairingVerdict:
        """Which twin uses less energy per inference on its deployment."""
        ratio = self.energy_ratio
        if ratio is None:
            return "unpriced"
        return "spiking" if ratio < 1 else "relu" if ratio > 1 else "tie"

    def to_dict(self) -> dict[str, Any]:
        """Both deployments, energies and accuracies, the ratio and the verdict."""
        return {
            "relu": self.relu.deployment.name,
            "spiking": self.spiking.deployment.name,
            "relu_energy_j": self.relu.energy_j,
            "spiking_energy_j": self.spiking.energy_j,
            "energy_ratio": self.energy_ratio,
            "relu_accuracy": self.relu.accuracy,
            "spiking_accuracy": self.spiking.accuracy,
            "verdict": self.verdict,
            "network": self.network,
            "accuracy_change": self.accuracy_change,
            "levers": None if self.levers is None else self.levers.to_dict(),
        }


@dataclass(frozen=True)
class CompareResult:
    """A comparison: its config, data sizes, each twin's result and the break-even per profile.

    Args:
        status: "finished", "failed" or "interrupted" ("running" while it goes on).
        group: the comparison's id; its runs carry the ledger tag compare=<group>.
        config: what was compared.
        train_size, test_size: images trained and tested on.
        networks: by name, in the order they ran (only those that started): "relu" (the
            reference), "spiking" (its twin; absent with `config.spiking` "convert"),
            "converted" (the ReLU twin converted, with "convert" or "both"), then any further
            spiking network ("optimized").
        break_even: per hardware profile, once both twins are profiled; else None.
        converted_break_even: the same for the converted network; None without one.
        pairings: each `deploy` pairing for each spiking network, once it is priced.
        verdicts: each spiking network against the ReLU twin on each `hardware` entry.
        measured_inference: each twin's inference measured on this machine
            (`measure_inference_s`), or None.
    """

    status: Status
    group: str
    config: CompareConfig
    train_size: int
    test_size: int
    networks: Mapping[str, NetworkResult] = field(default_factory=dict)
    break_even: Mapping[str, BreakEven] | None = None
    converted_break_even: Mapping[str, BreakEven] | None = None
    pairings: tuple[Pairing, ...] = ()
    verdicts: tuple[Pairing, ...] = ()
    measured_inference: InferenceMeasurement | None = None

    @property
    def spiking_networks(self) -> tuple[str, ...]:
        """The names of its spiking networks, in the order they ran."""
        return tuple(name for name, n in self.networks.items() if n.kind == "spiking")

    def to_dict(self) -> dict[str, Any]:
        """The JSON of results.json."""
        data: dict[str, Any] = {
            "status": self.status,
            "group": self.group,
            "config": self.config.to_dict(),
            "data": {"train": self.train_size, "test": self.test_size},
            "networks": {name: network.to_dict() for name, network in self.networks.items()},
        }
        if self.break_even is not None:
            data["break_even"] = {name: b.to_dict() for name, b in self.break_even.items()}
        if self.converted_break_even is not None:
            data["converted_break_even"] = {
                name: b.to_dict() for name, b in self.converted_break_even.items()
            }
        if self.pairings:
            data["deployments"] = [pairing.to_dict() for pairing in self.pairings]
        if self.verdicts:
            data["verdicts"] = [verdict.to_dict() for verdict in self.verdicts]
        if self.measured_inference is not None:
            data["measured_inference"] = self.measured_inference.to_dict()
        return data
