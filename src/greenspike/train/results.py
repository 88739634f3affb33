"""What a comparison found: typed, frozen results, JSON at the edge (`to_dict()`).

    result = compare(CompareConfig())
    result.networks["spiking"].accuracy, result.networks["spiking"].inference.energy["loihi"]
    result.break_even["cmos45-int8"].verdict
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
from greenspike.train.inference import BreakEven, InferenceCost

Status = Literal["running", "finished", "failed", "interrupted"]
NETWORKS = ("relu", "spiking", "converted")


@dataclass(frozen=True)
class NetworkResult:
    """One twin's run: training, test accuracy, counts and energy per inference.

    Args:
        status: how its run ended ("running" while it goes on).
        parameters: trainable and fixed parameter values.
        run_id: its run in the ledger (None: not kept).
        optimizer_steps: minibatches trained on.
        train_time_s: wall-clock seconds of training.
        accuracy: test accuracy (0..1).
        spike_rate: spikes per neuron per step over its spiking layers (None: not spiking).
        inference: counts and energy per inference on each hardware profile.
        training_energy: the energy of its "train" window, with provenance (the converted
            network: its "convert" window, the conversion).
        training_co2e_g: CO2e of that window (None without a carbon intensity).
        energy: the whole run's energy report.
        conversion: how the converted network was converted (None for the twins).
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
    conversion: ConversionReport | None = None
    curve: tuple[CurvePoint, ...] | None = None

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
        if self.conversion is not None:
            data["conversion"] = self.conversion.to_dict()
        if self.curve is not None:
            data["curve"] = [point.to_dict() for point in self.curve]
        return data


@dataclass(frozen=True)
class CompareResult:
    """A comparison: its config, data sizes, each twin's result and the break-even per profile.

    Args:
        status: "finished", "failed" or "interrupted" ("running" while it goes on).
        group: the comparison's id; its runs carry the ledger tag compare=<group>.
        config: what was compared.
        train_size, test_size: images trained and tested on.
        networks: "relu", "spiking" and "converted" (as `config.spiking` asks), in the order
            they ran (only those that started).
        break_even: per hardware profile, the spiking twin's against the ReLU twin, once both
            are profiled; else None.
        converted_break_even: the same for the converted network; None without one.
    """

    status: Status
    group: str
    config: CompareConfig
    train_size: int
    test_size: int
    networks: Mapping[str, NetworkResult] = field(default_factory=dict)
    break_even: Mapping[str, BreakEven] | None = None
    converted_break_even: Mapping[str, BreakEven] | None = None

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
        return data
