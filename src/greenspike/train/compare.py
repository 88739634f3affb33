"""Train a conventional network and its spiking twin on the same task and compare them.

Both networks get the same data, data order, optimizer, budget and seed. Each is one
`EnergyTracker` run of its own ("compare relu", "compare spiking"), kept in the run ledger and
tagged `compare=<group id>`: it trains inside the run's window "train", so its training energy
carries the provenance of the meter that measured it, logs its loss and train accuracy per epoch
(once the window has closed), then is tested and profiled on the test images
(`greenspike.train.inference`: operations, memory traffic and energy per inference on each
hardware profile). Once both are trained, the break-even spike rate per profile. A
KeyboardInterrupt or SIGTERM stops the comparison cleanly: the result still holds everything
measured, with status "interrupted".
"""

from __future__ import annotations

import copy
import json
import math
import secrets
import signal
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from greenspike.cost import CostReport
from greenspike.data import LabelledImages
from greenspike.energy.report import EnergyReport, WindowReport
from greenspike.energy.tracker import EnergyTracker, Terminated, status_of
from greenspike.errors import InvalidInputError
from greenspike.train.datasets import EVENT_SOURCES, load_dataset
from greenspike.train.inference import (
    DEFAULT_HARDWARE,
    break_even,
    check_hardware,
    inference_entry,
    profile_network,
)
from greenspike.train.loop import evaluate, fit
from greenspike.train.models import (
    EVENTS,
    build_pair,
    check_encoding,
    check_model,
    check_steps,
)

DEVICES = ("cpu", "cuda")
RESULTS_FILE = "results.json"
GROUP_TAG = "compare"  # the ledger tag holding a comparison's group id
TRAIN_WINDOW = "train"
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
    encoding: str | None = None  # None: "events" for event data sets, else "direct"
    batch_size: int = 64
    lr: float = 2e-3
    seed: int = 0
    device: str = "cpu"
    data_dir: str | None = None
    country: str | None = None
    limit: int | None = None  # train on the first `limit` train images only (quick runs)
    hardware: tuple[str, ...] = DEFAULT_HARDWARE  # profiles of greenspike.cost

    def __post_init__(self) -> None:
        if self.encoding is None:
            events = self.dataset in EVENT_SOURCES
            object.__setattr__(self, "encoding", EVENTS if events else "direct")

    def check(self) -> None:
        """ValueError naming the first bad field and what is valid."""
        check_model(self.model)
        check_encoding(self.encoding)
        if (self.dataset in EVENT_SOURCES) != (self.encoding == EVENTS):
            if self.encoding == EVENTS:
                raise InvalidInputError(
                    f"encoding {EVENTS!r} is for the event data sets ({', '.join(EVENT_SOURCES)}), "
                    f"not {self.dataset!r}: use direct, rate or latency"
                )
            raise InvalidInputError(
                f"{self.dataset} is event data, already spikes: use encoding {EVENTS!r} "
                f"(the default for it), not {self.encoding!r}"
            )
        source = EVENT_SOURCES.get(self.dataset)
        if self.model == "cnn" and source is not None and len(source.frame_shape) == 1:
            raise InvalidInputError(
                f"{self.dataset} frames are 1-D ({source.frame_shape[0]} channels), the cnn "
                "needs 2-D ones: use --model mlp"
            )
        check_steps(self.steps)
        for name in ("epochs", "batch_size"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise InvalidInputError(
                    f"{name} must be an integer >= 1, got {getattr(self, name)!r}"
                )
        if not self.lr > 0:
            raise InvalidInputError(f"learning rate must be > 0, got {self.lr!r}")
        if self.device not in DEVICES:
            raise InvalidInputError(
                f"unknown device {self.device!r}: use one of {', '.join(DEVICES)}"
            )
        if self.device == "cuda" and not torch.cuda.is_available():
            raise InvalidInputError("device 'cuda' asked for, but torch sees no CUDA GPU: use cpu")
        if self.limit is not None and self.limit < 1:
            raise InvalidInputError(f"limit must be >= 1 train images, got {self.limit!r}")
        check_hardware(self.hardware)


def compare(
    config: CompareConfig,
    *,
    on_batch: OnBatch | None = None,
    on_end: OnEnd | None = None,
    meters: Any = "auto",
    ledger: Any = "default",
) -> dict[str, Any]:
    """Train and test both networks; returns the JSON-ready result (see README).

    Each network is one run of its own in `ledger` (as for `EnergyTracker`: "default", a URL
    or path, a `Ledger`, or None to keep nothing), tagged with the comparison's `group`.
    `on_end` gets the result however the run ends, before an error other than an interrupt
    propagates: the place to save it. An interrupt (Ctrl-C, SIGTERM) returns the result with
    status "interrupted".
    """
    config.check()
    train, test = load_dataset(config.dataset, config.data_dir, config.seed, config.steps)
    if config.limit is not None:
        train = LabelledImages(train.images[: config.limit], train.labels[: config.limit])
    device = torch.device(config.device)
    train = LabelledImages(train.images.to(device), train.labels.to(device))
    test = LabelledImages(test.images.to(device), test.labels.to(device))
    torch.manual_seed(config.seed)
    relu, spiking = build_pair(
        config.model,
        tuple(train.images.shape[2 if config.encoding == EVENTS else 1 :]),
        int(max(train.labels.max(), test.labels.max())) + 1,
        config.hidden,
        config.steps,
        config.encoding,
    )
    result: dict[str, Any] = {
        "status": "running",
        "group": group_id(),
        "config": {
            **asdict(config),
            "hidden": list(config.hidden),
            "hardware": list(config.hardware),
        },
        "data": {"train": len(train.labels), "test": len(test.labels)},
        "networks": {},
    }
    ledger = _opened(ledger)
    error: BaseException | None = None
    with _sigterm_interrupts():
        try:
            for network in (relu, spiking):  # before either run: not charged to either
                network.to(device)
                warm_up(network, train, config.seed)
            costs = {}
            for name, network in (("relu", relu), ("spiking", spiking)):
                entry = result["networks"][name] = {}  # filled as it goes, kept if interrupted
                tracker = EnergyTracker(
                    meters,
                    country=config.country,
                    name=f"compare {name}",
                    ledger=ledger,
                    tags={GROUP_TAG: result["group"], "network": name},
                    metadata={"config": result["config"]},
                )
                costs[name] = _run(entry, tracker, name, network, train, test, config, on_batch)
            result["break_even"] = {
                hardware: break_even(costs["spiking"], costs["relu"], hardware)
                for hardware in config.hardware
            }
        except BaseException as caught:  # recorded, then re-raised unless an interrupt
            error = caught
    result["status"] = status_of(error)
    if on_end is not None:
        on_end(result)
    if error is not None and result["status"] != "interrupted":
        raise error
    return result


def _opened(ledger: Any) -> Any:
    """The ledger opened now, so that opening it is not charged to the first network's run.

    A URL or path that cannot be opened raises, as in `EnergyTracker`; the default ledger
    failing is left to the trackers, which note it in the runs and go on."""
    if ledger is None:
        return None
    from greenspike.ledger.recorder import DEFAULT, open_ledger  # as the tracker does: lazily

    try:
        return open_ledger(ledger)
    except Exception:
        if ledger != DEFAULT:
            raise
        return ledger


def group_id() -> str:
    """A new comparison's id, e.g. "20261123T104712-3fa2c1": UTC time and 6 random hex digits."""
    return f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{secrets.token_hex(3)}"


def _run(entry, tracker, name, network, train, test, config, on_batch) -> CostReport:
    """One network's run: train (in the window "train"), test and profile it into `entry`,
    logging metrics as they come; returns its per-inference counts."""
    entry["status"] = "running"
    entry["parameters"] = sum(p.numel() for p in network.parameters())
    try:
        with tracker:
            entry["run_id"] = tracker.run_id
            cost = _train_and_test(entry, tracker, name, network, train, test, config, on_batch)
    except BaseException as error:
        entry["status"] = status_of(error)
        raise
    finally:
        report = tracker.report
        if report is not None:
            window = next((w for w in report.windows if w.name == TRAIN_WINDOW), None)
            if window is not None:
                entry["training_energy"] = window.to_dict()
                entry["training_co2e_g"] = training_co2e_g(report, window)
            entry["energy"] = report.to_dict()
    entry["status"] = "finished"
    return cost


def _train_and_test(entry, tracker, name, network, train, test, config, on_batch) -> CostReport:
    epochs: list[tuple[int, float, float]] = []  # logged after the window: a write takes ms
    started = time.perf_counter()
    try:
        with tracker.window(TRAIN_WINDOW):
            entry["optimizer_steps"] = fit(
                network,
                train,
                epochs=config.epochs,
                batch_size=config.batch_size,
                lr=config.lr,
                seed=config.seed,
                on_batch=None if on_batch is None else lambda *a: on_batch(name, *a),
                on_epoch=lambda *epoch: epochs.append(epoch),
            )
    finally:
        entry["train_time_s"] = time.perf_counter() - started
        for epoch, loss, accuracy in epochs:  # a diverged (NaN) loss is not a metric
            tracker.log_metrics(step=epoch, **_finite(train_loss=loss, train_accuracy=accuracy))
    entry["accuracy"] = evaluate(network, test)
    cost = profile_network(network, test.images, config.seed)
    if cost.spike_rate is not None:
        entry["spike_rate"] = cost.spike_rate
    entry["inference"] = inference_entry(cost, config.hardware)
    tracker.log_metrics(**_finite(**_final_metrics(entry)))
    return cost


def _finite(**metrics: float) -> dict[str, float]:
    """The metrics a ledger takes: finite numbers (a diverged network gives NaN)."""
    return {name: value for name, value in metrics.items() if math.isfinite(value)}


def _final_metrics(entry: dict[str, Any]) -> dict[str, float]:
    """Test accuracy, spike rate, effective ops and each complete energy per inference."""
    metrics = {
        "accuracy": entry["accuracy"],
        "effective_ops_per_inference": entry["inference"]["total"]["effective_ops"],
    }
    if "spike_rate" in entry:
        metrics["spike_rate"] = entry["spike_rate"]
    for hardware, energy in entry["inference"]["energy"].items():
        if energy["complete"]:
            metrics[f"energy_per_inference_j:{hardware}"] = energy["energy_j"]
    return metrics


@contextmanager
def _sigterm_interrupts():
    """SIGTERM raises `Terminated` (an interrupt) for the whole comparison, between the two
    runs too, where no tracker is running; only in the main thread, and only if no other
    handler is installed."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated(128 + signum)


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
