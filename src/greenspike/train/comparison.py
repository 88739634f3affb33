"""Train a conventional network and its spiking twin on the same task and compare them.

Both networks get the same data, data order, optimizer, budget and seed. Each is one
`EnergyTracker` run of its own, named by what it is ("mlp-128 digits relu", "cnn-16-32 mnist
spiking": `run_name`), kept in the run ledger and tagged `compare=<group id>`: it trains
inside the run's window "train", so its training energy carries the provenance of the meter
that measured it, logs its loss and train accuracy per epoch (once the window has closed),
then is tested and counted on the test images. With precision int8 or int4 the window also
holds the quantization: the float epochs, then the network quantized (calibrated on training
images) and fine-tuned for `qat_epochs` with fake quantization. Each twin is then priced on
every deployment it is asked for (the `hardware` profiles and its side of the `deploy`
pairings), at that deployment's precision, with its test accuracy measured there
(`greenspike.train.inference`). Once both are priced, the break-even spike rate per profile
and each pairing. A KeyboardInterrupt or SIGTERM stops the comparison
cleanly: the result still holds everything measured, with status "interrupted".
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
from greenspike.cost import CostReport, Deployment, deployment
from greenspike.data import LabelledImages
from greenspike.energy.measurement import EnergyReport, WindowReport
from greenspike.energy.meters.base import Meter
from greenspike.energy.tracker import status_of
from greenspike.ledger.sink import DEFAULT, open_ledger
from greenspike.ledger.store import Ledger
from greenspike.quant import quantize
from greenspike.tracking import EnergyTracker, LedgerOption
from greenspike.train.config import CompareConfig
from greenspike.train.datasets import load_dataset
from greenspike.train.inference import (
    CALIBRATION_IMAGES,
    Deployer,
    DeploymentEnergy,
    InferenceCost,
    break_even,
    count_network,
    inference_cost,
)
from greenspike.train.loop import evaluate, fit
from greenspike.train.measured_inference import InferenceMeasurement, measure_inference
from greenspike.train.models import EVENTS, build_pair
from greenspike.train.results import CompareResult, NetworkResult, Pairing

RESULTS_FILE = "results.json"
GROUP_TAG = "compare"  # the ledger tag holding a comparison's group id
TRAIN_WINDOW = "train"
OnBatch = Callable[[str, int, int, int, float], None]  # (network, epoch, batch, batches, loss)
OnEnd = Callable[[CompareResult], None]  # the result, however the run ended
QAT_LR_FACTOR = 0.1  # quantization-aware fine-tuning at a tenth of the learning rate


def compare(
    config: CompareConfig,
    *,
    on_batch: OnBatch | None = None,
    on_end: OnEnd | None = None,
    meters: Literal["auto"] | Sequence[Meter] = "auto",
    ledger: LedgerOption = DEFAULT,
) -> CompareResult:
    """Train and test both networks.

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
    table = config.profiles()
    hardware = {name: deployment(name, table) for name in config.hardware}
    pairs = [(deployment(r, table), deployment(s, table)) for r, s in config.deploy]
    sides = {"relu": [relu for relu, _ in pairs], "spiking": [spiking for _, spiking in pairs]}
    opened = _opened(ledger)
    runs: dict[str, _NetworkRun] = {}
    error: BaseException | None = None
    with sigterm_raises():
        try:
            for network in (relu, spiking):  # before either run: not charged to either
                network.to(device)
                warm_up(network, train, config.seed)
            for name, network in (("relu", relu), ("spiking", spiking)):
                tracker = EnergyTracker(
                    meters,
                    country=config.country,
                    intensity_g_per_kwh=config.intensity_g_per_kwh,
                    pue=config.pue,
                    name=run_name(config, name),
                    ledger=opened,
                    tags={GROUP_TAG: result.group, "network": name},
                    metadata={"config": config.to_dict()},
                )
                deployments = {**hardware, **{d.name: d for d in sides[name]}}
                run = runs[name] = _NetworkRun(
                    name, network, tracker, config, on_batch, deployments
                )
                run.run(train, test)
            deployers = {name: run.deployer for name, run in runs.items() if run.deployer}
            result = replace(
                result,
                break_even={
                    name: break_even(
                        deployers["spiking"].measure(where)[1],
                        deployers["relu"].measure(where)[1],
                        where,
                    )
                    for name, where in hardware.items()
                },
                pairings=tuple(
                    Pairing(runs["relu"].priced(relu), runs["spiking"].priced(spiking))
                    for relu, spiking in pairs
                ),
            )
            if config.measure_inference_s is not None:
                tracker = EnergyTracker(
                    meters,
                    country=config.country,
                    intensity_g_per_kwh=config.intensity_g_per_kwh,
                    pue=config.pue,
                    name=run_name(config, "inference"),
                    ledger=opened,
                    tags={GROUP_TAG: result.group, "network": "inference"},
                    metadata={"config": config.to_dict()},
                )
                result = replace(result, measured_inference=_measured(runs, tracker, test))
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


def _measured(
    runs: dict[str, _NetworkRun], tracker: EnergyTracker, test: LabelledImages
) -> InferenceMeasurement:
    """Each twin's inference measured on this machine, beside its first deployment's estimate."""
    config = next(iter(runs.values())).config
    assert config.measure_inference_s is not None
    first = config.hardware[0] if config.hardware else None
    estimates = {
        name: run.inference.energy.get(first) if run.inference and first else None
        for name, run in runs.items()
    }
    return measure_inference(
        tracker,
        {name: run.network for name, run in runs.items()},
        test,
        estimates,
        seconds=config.measure_inference_s,
        seed=config.seed,
    )


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


def run_name(config: CompareConfig, network: str) -> str:
    """The ledger name of one twin's run: model-widths, data set, network.

    E.g. "mlp-128 digits relu", "cnn-16-32 mnist spiking".
    """
    shape = "-".join(str(size) for size in config.hidden)
    return f"{config.model}-{shape} {config.dataset} {network}"


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
    deployments: dict[str, Deployment]
    status: str = "running"
    optimizer_steps: int | None = None
    train_time_s: float | None = None
    accuracy: float | None = None
    cost: CostReport | None = None
    inference: InferenceCost | None = None
    deployer: Deployer | None = None

    def run(self, train: LabelledImages, test: LabelledImages) -> None:
        """Train (in the window "train"), test, count and price the network."""
        try:
            with self.tracker:
                self._train(train)
                torch.manual_seed(self.config.seed)  # the spikes of a random encoder
                self.accuracy = evaluate(self.network, test)
                self.cost = count_network(self.network, test.images, self.config.seed)
                self.deployer = Deployer(
                    self.network,
                    self.config.trained_precision,
                    self.accuracy,
                    self.cost,
                    train.images,
                    test,
                    self.config.seed,
                )
                self.inference = inference_cost(self.cost, self.deployments, self.deployer)
                self.tracker.log_metrics(None, **_finite(**self._final_metrics()))
        except BaseException as error:
            self.status = status_of(error)
            raise
        self.status = "finished"

    def priced(self, where: Deployment) -> DeploymentEnergy:
        """The network on `where` (one of its deployments)."""
        assert self.inference is not None
        return self.inference.energy[where.name]

    def _train(self, train: LabelledImages) -> None:
        epochs: list[tuple[int, float, float]] = []  # logged after the window: a write takes ms
        on_batch = self.on_batch
        config = self.config
        started = time.perf_counter()

        def train_for(epochs_run: int, first_epoch: int, lr: float) -> int:
            return fit(
                self.network,
                train,
                epochs=epochs_run,
                batch_size=config.batch_size,
                lr=lr,
                seed=config.seed + first_epoch,
                on_batch=None
                if on_batch is None
                else lambda epoch, *a: on_batch(self.name, first_epoch + epoch, *a),
                on_epoch=lambda epoch, *a: epochs.append((first_epoch + epoch, *a)),
            )

        try:
            with self.tracker.window(TRAIN_WINDOW):
                self.optimizer_steps = train_for(config.epochs, 0, config.lr)
                if config.precision != "fp32":  # quantize, then fine-tune with fake quantization
                    torch.manual_seed(config.seed)
                    self.network = quantize(
                        self.network,
                        config.trained_precision,
                        train.images[:CALIBRATION_IMAGES],
                    )
                    if config.resolved_qat_epochs:
                        self.optimizer_steps += train_for(
                            config.resolved_qat_epochs, config.epochs, config.lr * QAT_LR_FACTOR
                        )
        finally:
            self.train_time_s = time.perf_counter() - started
            for epoch, loss, accuracy in epochs:  # a diverged (NaN) loss is not a metric
                self.tracker.log_metrics(
                    step=epoch, **_finite(train_loss=loss, train_accuracy=accuracy)
                )

    def _final_metrics(self) -> dict[str, float]:
        """Test accuracy, spike rate, effective ops; per deployment accuracy and energy."""
        assert self.accuracy is not None and self.cost is not None and self.inference
        metrics = {
            "accuracy": self.accuracy,
            "effective_ops_per_inference": self.cost.total.effective_ops,
        }
        if self.cost.spike_rate is not None:
            metrics["spike_rate"] = self.cost.spike_rate
        for name, energy in self.inference.energy.items():
            metrics[f"accuracy:{name}"] = energy.accuracy
            if energy.energy_j is not None:
                metrics[f"energy_per_inference_j:{name}"] = energy.energy_j
        return metrics

    def result(self) -> NetworkResult:
        """What the run measured so far, frozen."""
        report = self.tracker.report
        window = None
        if report is not None:
            window = next((w for w in report.windows if w.name == TRAIN_WINDOW), None)
        return NetworkResult(
            status=self.status,  # type: ignore[arg-type]
            parameters=sum(p.numel() for p in self.network.parameters()),
            run_id=self.tracker.run_id,
            optimizer_steps=self.optimizer_steps,
            train_time_s=self.train_time_s,
            accuracy=self.accuracy,
            spike_rate=None if self.cost is None else self.cost.spike_rate,
            inference=self.inference,
            training_energy=window,
            training_co2e_g=None
            if report is None or window is None
            else training_co2e_g(report, window),
            energy=report,
        )


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
