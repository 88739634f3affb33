"""Train a conventional network and its spiking twin on the same task and compare them.

Both networks get the same data, data order, optimizer, budget and seed. Each is one
`EnergyTracker` run of its own ("compare relu", "compare spiking"), kept in the run ledger and
tagged `compare=<group id>`: it trains inside the run's window "train", so its training energy
carries the provenance of the meter that measured it, logs its loss and train accuracy per epoch
(once the window has closed), then is tested and counted on the test images
(`greenspike.train.inference`: operations, memory traffic and energy per inference on each
hardware profile). Once both are trained, the break-even spike rate per profile. With
`config.spiking` "convert" or "both", a third run ("compare converted") converts the trained
ReLU twin into a spiking network (in its window "convert", `greenspike.train.conversion`) and
tests and prices it at `steps` and along its curve of time steps. A KeyboardInterrupt or
SIGTERM stops the comparison cleanly: the result still holds everything measured, with status
"interrupted".
"""

from __future__ import annotations

import copy
import json
import math
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import torch

from greenspike._files import write_atomically
from greenspike._signals import sigterm_raises
from greenspike.cost import CostReport
from greenspike.data import LabelledImages
from greenspike.energy.measurement import EnergyReport, WindowReport
from greenspike.energy.meters.base import Meter
from greenspike.energy.tracker import status_of
from greenspike.interop import ConversionReport
from greenspike.ledger.sink import DEFAULT, open_ledger
from greenspike.ledger.store import Ledger
from greenspike.tracking import EnergyTracker, LedgerOption
from greenspike.train.config import CompareConfig
from greenspike.train.conversion import (
    CurvePoint,
    accuracy_by_steps,
    converted_twin,
    count_converted,
    set_steps,
)
from greenspike.train.datasets import load_dataset
from greenspike.train.inference import BreakEven, break_even, count_network, inference_cost
from greenspike.train.loop import evaluate, fit
from greenspike.train.models import EVENTS, build_pair
from greenspike.train.results import CompareResult, NetworkResult

RESULTS_FILE = "results.json"
GROUP_TAG = "compare"  # the ledger tag holding a comparison's group id
TRAIN_WINDOW = "train"
CONVERT_WINDOW = "convert"
OnBatch = Callable[[str, int, int, int, float], None]  # (network, epoch, batch, batches, loss)
OnEnd = Callable[[CompareResult], None]  # the result, however the run ended


def compare(
    config: CompareConfig,
    *,
    on_batch: OnBatch | None = None,
    on_end: OnEnd | None = None,
    meters: Literal["auto"] | Sequence[Meter] = "auto",
    ledger: LedgerOption = DEFAULT,
) -> CompareResult:
    """Train and test both networks (and the converted ReLU twin, as `config.spiking` asks).

    Each network is one run of its own in `ledger` (as for `greenspike.EnergyTracker`:
    "default", a URL or path, a `Ledger`, or None to keep nothing), tagged with the
    comparison's `group`.

    Args:
        config: what to compare.
        on_batch: called after every minibatch with (network, epoch, batch, batches, loss).
        on_end: gets the result however the run ends, before an error other than an interrupt
            propagates: the place to save it.
        meters: as for the tracker ("auto" or Meter objects).
        ledger: where the runs are kept.

    Returns:
        The result; status "interrupted" after Ctrl-C or SIGTERM.

    Raises:
        InvalidInputError: a bad config, a data set that cannot be loaded (see
            `load_dataset`), or a ledger URL or path that cannot be opened.
        LedgerVersionError: the ledger given is not one this greenspike can use.
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
        config.resolved_encoding,
    )
    result = CompareResult("running", group_id(), config, len(train.labels), len(test.labels))
    opened = _opened(ledger)
    runs: dict[str, _NetworkRun] = {}
    costs: dict[str, CostReport] = {}
    error: BaseException | None = None
    trained = {"relu": relu, "spiking": spiking}
    with sigterm_raises():
        try:
            for name in config.networks:  # before any run: not charged to any
                if name in trained:
                    trained[name].to(device)
                    warm_up(trained[name], train, config.seed)
            for name in config.networks:
                tracker = EnergyTracker(
                    meters,
                    country=config.country,
                    name=f"compare {name}",
                    ledger=opened,
                    tags={GROUP_TAG: result.group, "network": name},
                    metadata={"config": config.to_dict()},
                )
                if name == "converted":  # the ReLU twin, trained by now
                    run: _NetworkRun = _ConvertedRun(name, relu, tracker, config, on_batch)
                else:
                    run = _NetworkRun(name, trained[name], tracker, config, on_batch)
                runs[name] = run
                costs[name] = run.run(train, test)
            result = replace(
                result,
                break_even=_break_even(costs, "spiking", config),
                converted_break_even=_break_even(costs, "converted", config),
            )
        except BaseException as caught:  # recorded, then re-raised unless an interrupt
            error = caught
    result = replace(
        result,
        status=status_of(error),
        networks={name: run.result() for name, run in runs.items()},
    )
    if on_end is not None:
        on_end(result)
    if error is not None and result.status != "interrupted":
        raise error
    return result


def _break_even(
    costs: dict[str, CostReport], name: str, config: CompareConfig
) -> dict[str, BreakEven] | None:
    """The break-even spike rate of network `name` against the ReLU twin per profile."""
    if name not in costs:
        return None
    return {hw: break_even(costs[name], costs["relu"], hw) for hw in config.hardware}


def _opened(ledger: LedgerOption) -> LedgerOption:
    """The ledger opened now, so that opening it is not charged to the first network's run.

    A URL or path that cannot be opened raises, as in `EnergyTracker`; the default ledger
    failing is left to the trackers, which note it in the runs and go on.
    """
    if ledger is None or isinstance(ledger, Ledger):
        return ledger
    try:
        return open_ledger(ledger)
    except Exception:
        if ledger != DEFAULT:
            raise
        return ledger


def group_id() -> str:
    """A new comparison's id, e.g. "20261123T104712-3fa2c1": UTC time and 6 random hex digits."""
    return f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{secrets.token_hex(3)}"


@dataclass
class _NetworkRun:
    """One network's run while it goes on: what it measured so far, frozen by `result()`."""

    name: str
    network: torch.nn.Module
    tracker: EnergyTracker
    config: CompareConfig
    on_batch: OnBatch | None
    status: str = "running"
    optimizer_steps: int | None = None
    train_time_s: float | None = None
    accuracy: float | None = None
    cost: CostReport | None = None
    window_name: str = TRAIN_WINDOW

    def run(self, train: LabelledImages, test: LabelledImages) -> CostReport:
        """Train (in the window "train"), test and count the network; returns its counts."""
        try:
            with self.tracker:
                self._train(train)
                self.accuracy = evaluate(self.network, test)
                self.cost = count_network(self.network, test.images, self.config.seed)
                self.tracker.log_metrics(None, **_finite(**self._final_metrics()))
        except BaseException as error:
            self.status = status_of(error)
            raise
        self.status = "finished"
        return self.cost

    def _train(self, train: LabelledImages) -> None:
        epochs: list[tuple[int, float, float]] = []  # logged after the window: a write takes ms
        on_batch = self.on_batch
        started = time.perf_counter()
        try:
            with self.tracker.window(TRAIN_WINDOW):
                self.optimizer_steps = fit(
                    self.network,
                    train,
                    epochs=self.config.epochs,
                    batch_size=self.config.batch_size,
                    lr=self.config.lr,
                    seed=self.config.seed,
                    on_batch=None if on_batch is None else lambda *a: on_batch(self.name, *a),
                    on_epoch=lambda *epoch: epochs.append(epoch),
                )
        finally:
            self.train_time_s = time.perf_counter() - started
            for epoch, loss, accuracy in epochs:  # a diverged (NaN) loss is not a metric
                self.tracker.log_metrics(
                    step=epoch, **_finite(train_loss=loss, train_accuracy=accuracy)
                )

    def _final_metrics(self) -> dict[str, float]:
        """Test accuracy, spike rate, effective ops and each complete energy per inference."""
        assert self.accuracy is not None and self.cost is not None
        metrics = {
            "accuracy": self.accuracy,
            "effective_ops_per_inference": self.cost.total.effective_ops,
        }
        if self.cost.spike_rate is not None:
            metrics["spike_rate"] = self.cost.spike_rate
        for hardware in self.config.hardware:
            energy = self.cost.energy(hardware)
            if energy.energy_j is not None:
                metrics[f"energy_per_inference_j:{hardware}"] = energy.energy_j
        return metrics

    def result(self) -> NetworkResult:
        """What the run measured so far, frozen."""
        report = self.tracker.report
        window = None
        if report is not None:
            window = next((w for w in report.windows if w.name == self.window_name), None)
        return NetworkResult(
            status=self.status,  # type: ignore[arg-type]
            parameters=sum(p.numel() for p in self.network.parameters()),
            run_id=self.tracker.run_id,
            optimizer_steps=self.optimizer_steps,
            train_time_s=self.train_time_s,
            accuracy=self.accuracy,
            spike_rate=None if self.cost is None else self.cost.spike_rate,
            inference=None
            if self.cost is None
            else inference_cost(self.cost, self.config.hardware),
            training_energy=window,
            training_co2e_g=None
            if report is None or window is None
            else training_co2e_g(report, window),
            energy=report,
        )


@dataclass
class _ConvertedRun(_NetworkRun):
    """The converted ReLU twin's run: convert (window "convert"), test along the curve, count.

    `network` is the trained ReLU twin until the conversion replaces it.
    """

    window_name: str = CONVERT_WINDOW
    conversion: ConversionReport | None = None
    curve: tuple[CurvePoint, ...] | None = None

    def run(self, train: LabelledImages, test: LabelledImages) -> CostReport:
        """Convert, test at each step count of the curve, count at each; returns the counts."""
        try:
            with self.tracker:
                self._convert(train)
                self._test(test)
                self.tracker.log_metrics(None, **_finite(**self._final_metrics()))
                for point in self.curve or ():  # the curve, by steps
                    energies = {
                        f"curve_energy_per_inference_j:{hardware}": energy
                        for hardware, energy in point.energy_j.items()
                        if energy is not None
                    }
                    self.tracker.log_metrics(
                        step=point.steps, **_finite(curve_accuracy=point.accuracy, **energies)
                    )
        except BaseException as error:
            self.status = status_of(error)
            raise
        self.status = "finished"
        assert self.cost is not None
        return self.cost

    def _convert(self, train: LabelledImages) -> None:
        started = time.perf_counter()
        try:
            with self.tracker.window(CONVERT_WINDOW):
                self.network, self.conversion = converted_twin(
                    self.network, train.images, self.config.steps
                )
        finally:
            self.train_time_s = time.perf_counter() - started

    def _test(self, test: LabelledImages) -> None:
        steps = self.config.steps_curve
        accuracy = accuracy_by_steps(self.network, test.images, test.labels, steps)
        points = []
        for t in steps:
            cost = count_converted(self.network, test.images, t, self.config.seed)
            if t == self.config.steps:
                self.cost = cost
            energy = {hardware: cost.energy(hardware).energy_j for hardware in self.config.hardware}
            points.append(CurvePoint(t, accuracy[t], cost.spike_rate, energy))
        set_steps(self.network, self.config.steps)
        self.accuracy, self.curve = accuracy[self.config.steps], tuple(points)

    def result(self) -> NetworkResult:
        """What the run measured so far, frozen, with the conversion and the curve."""
        return replace(super().result(), conversion=self.conversion, curve=self.curve)


def _finite(**metrics: float) -> dict[str, float]:
    """The metrics a ledger takes: finite numbers (a diverged network gives NaN)."""
    return {name: value for name, value in metrics.items() if math.isfinite(value)}


def training_co2e_g(report: EnergyReport, window: WindowReport) -> float | None:
    """CO2e of a window (g) = kWh x PUE x the run's carbon intensity; None without one."""
    if report.carbon_intensity is None:
        return None
    return window.kwh * report.pue * report.carbon_intensity.intensity_g_per_kwh


def warm_up(network: torch.nn.Module, data: LabelledImages, seed: int) -> None:
    """Run two training steps of a throwaway copy of `network`.

    Torch's one-time set-up costs (kernels, the optimizer's first step) would otherwise land in
    the window of whichever network trains first.
    """
    sample = LabelledImages(data.images[:128], data.labels[:128])
    fit(copy.deepcopy(network), sample, epochs=1, batch_size=64, lr=1e-3, seed=seed)


def write_results(result: CompareResult, out_dir: str | Path, json_path: str | Path | None) -> Path:
    """Write `results.json` into `out_dir` (created), and a copy to `json_path` if given.

    Both are written atomically (greenspike._files): a reader never sees half a file.

    Raises:
        OSError: `out_dir` cannot be created, or a file cannot be written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result.to_dict(), indent=2) + "\n"
    path = write_atomically(out / RESULTS_FILE, text)
    if json_path is not None:
        write_atomically(json_path, text)
    return path
