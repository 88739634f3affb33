"""Train a conventional network and its spiking twin on the same task and compare them.

Both networks get the same data, data order, optimizer, budget and seed; each trains inside its
own window of one `EnergyTracker` run ("train-relu", "train-spiking"), so its training energy
carries the provenance of the meter that measured it. Each trained network is then tested and
profiled on the test images (`greenspike.train.inference`): operations, memory traffic and
energy per inference on each hardware profile, and the break-even spike rate per profile once
both are trained. A KeyboardInterrupt or SIGTERM stops the
comparison cleanly: the result still holds everything measured, with status "interrupted".
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from greenspike.cost import CostReport
from greenspike.data import LabelledImages
from greenspike.energy.report import EnergyReport, WindowReport
from greenspike.energy.tracker import EnergyTracker, status_of
from greenspike.train.datasets import load_dataset
from greenspike.train.inference import (
    DEFAULT_HARDWARE,
    break_even,
    check_hardware,
    inference_entry,
    profile_network,
)
from greenspike.train.loop import evaluate, fit
from greenspike.train.models import build_pair, check_encoding, check_model, check_steps

DEVICES = ("cpu", "cuda")
RESULTS_FILE = "results.json"
OnBatch = Callable[[str, int, int, int, float], None]  # (network, epoch, batch, batches, loss)
OnEnd = Callable[[dict[str, Any]], None]  # the result, however the run ended


@dataclass(frozen=True)
class CompareConfig:
    """What to compare: the data set, the network family and the shared training budget."""

    dataset: str = "digits"
    model: str = "mlp"
    hidden: tuple[int, ...] = (128,)
    epochs: int = 20
    steps: int = 8
    encoding: str = "direct"
    batch_size: int = 64
    lr: float = 2e-3
    seed: int = 0
    device: str = "cpu"
    data_dir: str | None = None
    country: str | None = None
    limit: int | None = None  # train on the first `limit` train images only (quick runs)
    hardware: tuple[str, ...] = DEFAULT_HARDWARE  # profiles of greenspike.cost

    def check(self) -> None:
        """ValueError naming the first bad field and what is valid."""
        check_model(self.model)
        check_encoding(self.encoding)
        check_steps(self.steps)
        for name in ("epochs", "batch_size"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {getattr(self, name)!r}")
        if not self.lr > 0:
            raise ValueError(f"learning rate must be > 0, got {self.lr!r}")
        if self.device not in DEVICES:
            raise ValueError(f"unknown device {self.device!r}: use one of {', '.join(DEVICES)}")
        if self.device == "cuda" and not torch.cuda.is_available():
            raise ValueError("device 'cuda' asked for, but torch sees no CUDA GPU: use cpu")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be >= 1 train images, got {self.limit!r}")
        check_hardware(self.hardware)


def compare(
    config: CompareConfig,
    *,
    on_batch: OnBatch | None = None,
    on_end: OnEnd | None = None,
    meters: Any = "auto",
) -> dict[str, Any]:
    """Train and test both networks; returns the JSON-ready result (see README).

    `on_end` gets the result however the run ends, before an error other than an interrupt
    propagates: the place to save it. An interrupt (Ctrl-C, SIGTERM) returns the result with
    status "interrupted".
    """
    config.check()
    train, test = load_dataset(config.dataset, config.data_dir, config.seed)
    if config.limit is not None:
        train = LabelledImages(train.images[: config.limit], train.labels[: config.limit])
    device = torch.device(config.device)
    train = LabelledImages(train.images.to(device), train.labels.to(device))
    test = LabelledImages(test.images.to(device), test.labels.to(device))
    torch.manual_seed(config.seed)
    relu, spiking = build_pair(
        config.model,
        tuple(train.images.shape[1:]),
        int(max(train.labels.max(), test.labels.max())) + 1,
        config.hidden,
        config.steps,
        config.encoding,
    )
    result: dict[str, Any] = {
        "status": "running",
        "config": {
            **asdict(config),
            "hidden": list(config.hidden),
            "hardware": list(config.hardware),
        },
        "data": {"train": len(train.labels), "test": len(test.labels)},
        "networks": {},
    }
    tracker = EnergyTracker(meters, country=config.country, name="compare")
    tracker.start()
    error: BaseException | None = None
    try:
        for network in (relu, spiking):  # in the run's total, in neither training window
            network.to(device)
            warm_up(network, train, config.seed)
        costs = {}
        for name, network in (("relu", relu), ("spiking", spiking)):
            entry = result["networks"][name] = {}  # filled as it goes, kept if interrupted
            costs[name] = _train_and_test(
                entry, tracker, name, network, train, test, config, on_batch
            )
        result["break_even"] = {
            hardware: break_even(costs["spiking"], costs["relu"], hardware)
            for hardware in config.hardware
        }
    except BaseException as caught:  # recorded, then re-raised unless an interrupt
        error = caught
    report = tracker.stop(status_of(error))
    windows = {w.name: w for w in report.windows}
    for name, entry in result["networks"].items():
        if f"train-{name}" in windows:
            window = windows[f"train-{name}"]
            entry["training_energy"] = window.to_dict()
            entry["training_co2e_g"] = training_co2e_g(report, window)
    result["status"] = report.status
    result["energy"] = report.to_dict()
    if on_end is not None:
        on_end(result)
    if error is not None and report.status != "interrupted":
        raise error
    return result


def _train_and_test(entry, tracker, name, network, train, test, config, on_batch) -> CostReport:
    """Train, test and profile one network into `entry`; returns its per-inference counts."""
    entry["status"] = "running"
    entry["parameters"] = sum(p.numel() for p in network.parameters())
    started = time.perf_counter()
    try:
        with tracker.window(f"train-{name}"):
            entry["optimizer_steps"] = fit(
                network,
                train,
                epochs=config.epochs,
                batch_size=config.batch_size,
                lr=config.lr,
                seed=config.seed,
                on_batch=None if on_batch is None else lambda *a: on_batch(name, *a),
            )
    except BaseException as error:
        entry["status"] = status_of(error)
        raise
    finally:
        entry["train_time_s"] = time.perf_counter() - started
    entry["accuracy"] = evaluate(network, test)
    cost = profile_network(network, test.images, config.seed)
    if cost.spike_rate is not None:
        entry["spike_rate"] = cost.spike_rate
    entry["inference"] = inference_entry(cost, config.hardware)
    entry["status"] = "finished"
    return cost


def training_co2e_g(report: EnergyReport, window: WindowReport) -> float | None:
    """CO2e of a window (g) = kWh x PUE x the run's carbon intensity; None without one."""
    if report.carbon_intensity is None:
        return None
    return window.kwh * report.pue * report.carbon_intensity.intensity_g_per_kwh


def warm_up(network: torch.nn.Module, data: LabelledImages, seed: int) -> None:
    """Two training steps of a throwaway copy: torch's one-time set-up costs (kernels, the
    optimizer's first step) otherwise land in the window of whichever network trains first."""
    sample = LabelledImages(data.images[:128], data.labels[:128])
    fit(copy.deepcopy(network), sample, epochs=1, batch_size=64, lr=1e-3, seed=seed)


def write_results(
    result: dict[str, Any], out_dir: str | Path, json_path: str | Path | None
) -> Path:
    """Write `results.json` into `out_dir` (created), and a copy to `json_path` if given."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, indent=2)
    path = out / RESULTS_FILE
    path.write_text(text + "\n")
    if json_path is not None:
        Path(json_path).write_text(text + "\n")
    return path
