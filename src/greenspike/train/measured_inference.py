"""Inference measured on this machine: each twin run for a few seconds inside an energy window.

`compare --measure-inference` (and `CompareConfig(measure_inference_s=...)`) runs, after
training, each twin's inference on the test images: the ReLU twin in torch (eval mode,
`torch.inference_mode`), the spiking twin dense (its own modules, the training path without
autograd) and event-driven (`greenspike.engine.deploy`), each at batch 1 and at batch
`MEASURE_BATCH`, for `seconds` each (whole calls, cycling through the test images), one
`EnergyTracker` run around all of them with a window per run. Every joule carries the
provenance of the meter that measured it: "measured" where the machine has counters (RAPL,
NVML), "estimated" (a TDP x utilisation model) where it has none. The tracker's meters see the
whole machine (or the process, per its scope): on a busy machine the figure includes what
others did meanwhile.

Per run: joules per inference = window energy / inferences, latency = duration / calls,
throughput = inferences / duration, and the test accuracy of that implementation (the one
whose energy is reported), beside the cost model's estimate for the same network.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import torch

from greenspike.data import LabelledImages
from greenspike.energy.measurement import EnergyReport, WindowReport
from greenspike.tracking import EnergyTracker
from greenspike.train.inference import DeploymentEnergy
from greenspike.train.loop import predictions

MEASURE_BATCH = 64
MEASURE_SECONDS = 3.0
Implementation = Literal["torch", "dense", "event-driven"]
# What runs each twin: the ReLU twin in torch; the spiking twin dense and event-driven.
IMPLEMENTATIONS: dict[str, tuple[Implementation, ...]] = {
    "relu": ("torch",),
    "spiking": ("dense", "event-driven"),
}


@dataclass(frozen=True)
class MeasuredRun:
    """One twin's inference run, with the energy the tracker saw in its window.

    Args:
        network: "relu" or "spiking".
        implementation: "torch", "dense" or "event-driven".
        batch: images per call.
        calls: calls made in the window.
        inferences: images run in the window (calls x batch).
        accuracy: test accuracy of this implementation (0..1).
        window: the energy window (components with their provenance).
        estimate: the cost model's estimate for the same network (first hardware profile), or
            None where it was not priced.
    """

    network: str
    implementation: Implementation
    batch: int
    calls: int
    inferences: int
    accuracy: float
    window: WindowReport
    estimate: DeploymentEnergy | None

    @property
    def name(self) -> str:
        """The window's name, e.g. "spiking event-driven b64"."""
        return window_name(self.network, self.implementation, self.batch)

    @property
    def energy_j_per_inference(self) -> float:
        """Joules per inference, measured and estimated components together."""
        return self.window.energy_j / self.inferences

    @property
    def provenance(self) -> str:
        """Where the joules come from: "measured", "estimated" or "measured + estimated"."""
        kinds = sorted({c.provenance for c in self.window.components})
        return " + ".join(kinds) if kinds else "none"

    @property
    def latency_s(self) -> float:
        """Seconds per call."""
        return self.window.duration_s / self.calls

    @property
    def throughput_per_s(self) -> float:
        """Inferences per second."""
        return self.inferences / self.window.duration_s

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the figures, each joule with its provenance and sources."""
        estimate = self.estimate
        return {
            "network": self.network,
            "implementation": self.implementation,
            "batch": self.batch,
            "calls": self.calls,
            "inferences": self.inferences,
            "duration_s": self.window.duration_s,
            "latency_s": self.latency_s,
            "throughput_per_s": self.throughput_per_s,
            "accuracy": self.accuracy,
            "energy_j_per_inference": {
                "value": self.energy_j_per_inference,
                "provenance": self.provenance,
                "measured_j": self.window.measured_energy_j / self.inferences,
                "estimated_j": self.window.estimated_energy_j / self.inferences,
                "sources": [
                    {"component": c.name, "provenance": c.provenance, "source": c.source}
                    for c in self.window.components
                ],
            },
            "cost_model_j_per_inference": None
            if estimate is None
            else {
                "value": estimate.energy_j,
                "provenance": "estimated",
                "source": estimate.estimate.total.provenance,
                "accuracy": estimate.accuracy,
            },
        }


@dataclass(frozen=True)
class InferenceMeasurement:
    """Every measured run and the tracker run that held them (None if it was not kept)."""

    runs: tuple[MeasuredRun, ...]
    seconds: float
    run_id: int | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the seconds per run, the ledger run, each run."""
        return {
            "seconds_per_run": self.seconds,
            "run_id": self.run_id,
            "runs": [run.to_dict() for run in self.runs],
        }


def window_name(network: str, implementation: str, batch: int) -> str:
    """The energy window of one run, e.g. "spiking event-driven b1"."""
    return f"{network} {implementation} b{batch}"


def measure_inference(
    tracker: EnergyTracker,
    networks: Mapping[str, torch.nn.Module],
    test: LabelledImages,
    estimates: Mapping[str, DeploymentEnergy | None],
    *,
    seconds: float = MEASURE_SECONDS,
    batches: tuple[int, ...] = (1, MEASURE_BATCH),
    seed: int = 0,
) -> InferenceMeasurement:
    """Run each twin's inference for `seconds` per implementation and batch inside `tracker`.

    Args:
        tracker: a tracker not started yet; it runs around all the measurements.
        networks: the trained "relu" and "spiking" twins.
        test: the test images (cycled through) and labels (for each implementation's accuracy).
        estimates: per network, the cost model's estimate to show beside the measurement.
        seconds: how long each run lasts (whole calls: at least one).
        batches: the batch sizes.
        seed: the seed of random encoders, set before each accuracy pass.

    Returns:
        The runs, in the order they ran.
    """
    calls = {
        (name, implementation): implementation_call(implementation, network)
        for name, network in networks.items()
        for implementation in IMPLEMENTATIONS[name]
    }
    accuracies = {}
    for key, call in calls.items():  # outside the tracker: not charged to any run
        torch.manual_seed(seed)
        accuracies[key] = _accuracy(call, test)
        for batch in batches:
            call(test.images[:batch])  # warm-up
    counted: list[tuple[str, Implementation, int, int]] = []
    with tracker:
        for (name, implementation), call in calls.items():
            for batch in batches:
                with tracker.window(window_name(name, implementation, batch)):
                    made = _run_for(call, test.images, batch, seconds)
                counted.append((name, implementation, batch, made))
    report = tracker.report
    assert report is not None
    runs = tuple(
        MeasuredRun(
            network=name,
            implementation=implementation,
            batch=batch,
            calls=made,
            inferences=made * batch,
            accuracy=accuracies[name, implementation],
            window=_window(report, window_name(name, implementation, batch)),
            estimate=estimates.get(name),
        )
        for name, implementation, batch, made in counted
    )
    return InferenceMeasurement(runs, seconds, tracker.run_id)


def implementation_call(
    implementation: Implementation, network: torch.nn.Module
) -> Callable[[torch.Tensor], torch.Tensor]:
    """The inference function of one implementation of a network (no autograd)."""
    from greenspike.engine import deploy  # lazily: greenspike.engine imports train.models

    network.eval()
    engine = deploy(network) if implementation == "event-driven" else None

    def call(images: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode():
            return engine(images) if engine is not None else network(images)

    return call


def _run_for(
    call: Callable[[torch.Tensor], torch.Tensor], images: torch.Tensor, batch: int, seconds: float
) -> int:
    """Call on successive batches of `images` until `seconds` have passed; the calls made."""
    starts = itertools.cycle(range(0, max(1, len(images) - batch + 1), batch))
    made = 0
    deadline = time.perf_counter() + seconds
    while made == 0 or time.perf_counter() < deadline:
        start = next(starts)
        call(images[start : start + batch])
        made += 1
    return made


def _accuracy(call: Callable[[torch.Tensor], torch.Tensor], test: LabelledImages) -> float:
    correct = 0
    for start in range(0, len(test.labels), 1000):
        outputs = call(test.images[start : start + 1000])
        correct += int((predictions(outputs) == test.labels[start : start + 1000]).sum())
    return correct / max(1, len(test.labels))


def _window(report: EnergyReport, name: str) -> WindowReport:
    window = next((w for w in report.windows if w.name == name), None)
    assert window is not None, f"the tracker closed window {name!r}"
    return window
