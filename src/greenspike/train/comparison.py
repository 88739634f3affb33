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
(`greenspike.train.inference`). Once both are priced, the break-even spike rate per profile, a
verdict per hardware entry and each pairing, each with the levers that would move it
(`greenspike.train.levers`). With `config.spiking` "convert" or "both", a further run
("... converted") converts the trained ReLU twin into a spiking network (in its window
"convert", `greenspike.train.conversion`), tests and prices it like a twin (every deployment at
its precision, accuracy measured there; verdicts and pairings against the ReLU twin), and
measures its accuracy-versus-steps curve. A KeyboardInterrupt or SIGTERM stops the comparison
cleanly: the result still holds everything measured, with status "interrupted".

`add_network` trains a further spiking network (e.g. the one `compare --optimize` found) the
same way, as a run of its own in the same group, and adds it to the result beside the twins.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Protocol

import torch

from greenspike._files import write_atomically
from greenspike._signals import sigterm_raises
from greenspike.cost import CostReport, Deployment, deployment
from greenspike.data import LabelledImages
from greenspike.energy.measurement import EnergyReport, WindowReport
from greenspike.energy.meters.base import Meter
from greenspike.energy.tracker import status_of
from greenspike.errors import InvalidInputError
from greenspike.interop import ConversionReport
from greenspike.ledger.sink import DEFAULT, open_ledger
from greenspike.ledger.store import Ledger
from greenspike.quant import float_model, preset, quantize
from greenspike.snn import RatePenalty
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
from greenspike.train.inference import (
    CALIBRATION_IMAGES,
    BreakEven,
    Deployer,
    DeploymentEnergy,
    InferenceCost,
    break_even,
    count_network,
    inference_cost,
)
from greenspike.train.levers import levers
from greenspike.train.loop import evaluate, fit
from greenspike.train.measured_inference import InferenceMeasurement, measure_inference
from greenspike.train.models import EVENTS, build_pair
from greenspike.train.progress import EpochRecord, TrainingForecast
from greenspike.train.results import CompareResult, NetworkResult, Pairing
from greenspike.train.spec import NetworkSpec, Role

RESULTS_FILE = "results.json"
GROUP_TAG = "compare"  # the ledger tag holding a comparison's group id
TRAIN_WINDOW = "train"
CONVERT_WINDOW = "convert"
OnBatch = Callable[[str, int, int, int, float], None]  # (network, epoch, batch, batches, loss)
OnEpoch = Callable[[EpochRecord], None]  # each network's epochs, as they end
OnForecast = Callable[[TrainingForecast], None]  # predicted training time, before any run
OnEnd = Callable[[CompareResult], None]  # the result, however the run ended
WARM_UP_STEPS = 3  # throwaway training steps per network before any run (the first is set-up)
QAT_LR_FACTOR = 0.1  # quantization-aware fine-tuning at a tenth of the learning rate


def compare(
    config: CompareConfig,
    *,
    on_batch: OnBatch | None = None,
    on_epoch: OnEpoch | None = None,
    on_forecast: OnForecast | None = None,
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
        on_epoch: called after every epoch of every network with its `EpochRecord`.
        on_forecast: called once, before either run starts, with the predicted training time
            of each network on this machine (timed on its warm-up).
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
    task = _Task.of(config)
    torch.manual_seed(config.seed)
    relu, spiking = build_pair(
        config.model,
        task.image_shape,
        task.classes,
        config.hidden,
        config.steps,
        config.resolved_encoding,
        beta=config.beta,
        threshold=config.threshold,
        learn_beta=config.learn_beta,
        learn_threshold=config.learn_threshold,
    )
    specs = {"relu": config.relu_spec, "spiking": config.spiking_spec}
    result = CompareResult("running", group_id(), config, len(task.train.labels), task.test_size)
    sides = {
        "relu": [relu for relu, _ in task.pairs],
        "spiking": [spiking for _, spiking in task.pairs],
    }
    opened = _opened(ledger)
    runs: dict[str, _NetworkRun] = {}
    error: BaseException | None = None
    with sigterm_raises():
        try:
            trained = {"relu": relu, "spiking": spiking}
            networks = {name: trained[name] for name in config.networks if name in trained}
            per_batch = {  # before any run: not charged to any
                name: task.warm_up(network, specs[name].penalty)
                for name, network in networks.items()
            }
            if on_forecast is not None:
                on_forecast(task.forecast(per_batch))
            for name, network in networks.items():
                deployments = {**task.hardware, **{d.name: d for d in sides[name]}}
                run = runs[name] = _NetworkRun(
                    name,
                    specs[name],
                    "twin",
                    network,
                    task.tracker(name, specs[name], result.group, meters, opened),
                    config,
                    on_batch,
                    on_epoch,
                    deployments,
                )
                run.run(task.train, task.test)
            if "converted" in config.networks:  # the ReLU twin, trained by now
                spec = config.converted_spec
                runs["converted"] = _ConvertedRun(
                    "converted",
                    spec,
                    "converted",
                    runs["relu"].network,
                    task.tracker("converted", spec, result.group, meters, opened),
                    config,
                    on_batch,
                    on_epoch,
                    {**task.hardware, **{d.name: d for d in sides["spiking"]}},
                )
                runs["converted"].run(task.train, task.test)
            spiking_runs = [runs[name] for name in ("spiking", "converted") if name in runs]
            result = replace(
                result,
                break_even=task.break_even(runs, "spiking"),
                converted_break_even=task.break_even(runs, "converted"),
                verdicts=tuple(v for r in spiking_runs for v in task.verdicts(runs["relu"], r)),
                pairings=tuple(p for r in spiking_runs for p in task.pairings(runs["relu"], r)),
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
                result = replace(result, measured_inference=_measured(runs, tracker, task.test))
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


def add_network(
    result: CompareResult,
    name: str,
    spec: NetworkSpec,
    role: Role,
    *,
    on_batch: OnBatch | None = None,
    on_epoch: OnEpoch | None = None,
    on_forecast: OnForecast | None = None,
    on_end: OnEnd | None = None,
    meters: Literal["auto"] | Sequence[Meter] = "auto",
    ledger: LedgerOption = DEFAULT,
) -> CompareResult:
    """Train one more spiking network the way the twins were, and add it to `result`.

    Same data, data order, epochs, precision (with its quantization-aware epochs) and seed; its
    own run in `ledger`, tagged with the comparison's group and `network=name`; priced on the
    comparison's `hardware` and on the spiking side of every `deploy` pairing, with a verdict
    against the ReLU twin on each (appended to `verdicts` and `pairings`).

    Args:
        result: a finished comparison (its ReLU twin priced).
        name: the network's name in `result.networks` (not one it already has).
        spec: the network (a spiking one).
        role: how it came to be there (e.g. "optimized").
        on_batch: as for `compare`.
        on_epoch: as for `compare`.
        on_forecast: as for `compare`, with this network's predicted training time.
        on_end: as for `compare`.
        meters: as for `compare`.
        ledger: as for `compare` (the ledger the twins' runs are in).

    Returns:
        `result` with the network added (status "interrupted" after Ctrl-C or SIGTERM).

    Raises:
        InvalidInputError: `name` is taken, `spec` is not a spiking network or does not fit the
            data, or `result` has no priced ReLU twin.
    """
    relu = result.networks.get("relu")
    if relu is None or relu.inference is None:
        raise InvalidInputError("the comparison has no priced ReLU twin to measure it against")
    if name in result.networks:
        raise InvalidInputError(f"the comparison already has a network named {name!r}")
    if spec.kind != "spiking":
        raise InvalidInputError(f"{name}: add_network takes a spiking network, not {spec.kind}")
    spec.check()
    config = result.config
    task = _Task.of(config)
    torch.manual_seed(config.seed)
    network = spec.build(task.image_shape, task.classes)
    deployments = {**task.hardware, **{s.name: s for _, s in task.pairs}}
    run: _NetworkRun | None = None
    error: BaseException | None = None
    with sigterm_raises():
        try:
            per_batch = task.warm_up(network, spec.penalty)
            if on_forecast is not None:
                on_forecast(task.forecast({name: per_batch}))
            tracker = task.tracker(name, spec, result.group, meters, _opened(ledger))
            run = _NetworkRun(
                name, spec, role, network, tracker, config, on_batch, on_epoch, deployments
            )
            run.run(task.train, task.test)
            reference = _Priced(relu.inference.energy)
            result = replace(
                result,
                verdicts=result.verdicts + task.verdicts(reference, run),
                pairings=result.pairings + task.pairings(reference, run),
            )
        except BaseException as caught:
            error = caught
    networks = dict(result.networks)
    if run is not None:
        networks[name] = run.result()
    result = replace(result, networks=networks)
    if error is not None:
        result = replace(result, status=status_of(error))
    if on_end is not None:
        on_end(result)
    if error is not None and result.status != "interrupted":
        raise error
    return result


@dataclass(frozen=True)
class _Priced:
    """A network already priced: its energy per deployment, by name."""

    energy: Mapping[str, DeploymentEnergy]

    def priced(self, where: Deployment) -> DeploymentEnergy:
        return self.energy[where.name]


@dataclass(frozen=True)
class _Task:
    """A comparison's data and hardware, as every network of it is trained and priced."""

    config: CompareConfig
    train: LabelledImages
    test: LabelledImages
    image_shape: tuple[int, ...]
    classes: int
    hardware: dict[str, Deployment]
    pairs: list[tuple[Deployment, Deployment]]

    @classmethod
    def of(cls, config: CompareConfig) -> _Task:
        train, test = load_dataset(config.dataset, config.data_dir, config.seed, config.steps)
        if config.limit is not None:
            train = LabelledImages(train.images[: config.limit], train.labels[: config.limit])
        device = torch.device(config.device)
        train = LabelledImages(train.images.to(device), train.labels.to(device))
        test = LabelledImages(test.images.to(device), test.labels.to(device))
        table = config.profiles()
        return cls(
            config,
            train,
            test,
            tuple(train.images.shape[2 if config.encoding == EVENTS else 1 :]),
            int(max(train.labels.max(), test.labels.max())) + 1,
            {name: deployment(name, table) for name in config.hardware},
            [(deployment(r, table), deployment(s, table)) for r, s in config.deploy],
        )

    @property
    def test_size(self) -> int:
        return len(self.test.labels)

    def warm_up(self, network: torch.nn.Module, penalty: RatePenalty | None) -> float:
        network.to(self.config.device)
        return warm_up(network, self.train, self.config.seed, self.config.batch_size, penalty)

    def forecast(self, per_batch: Mapping[str, float]) -> TrainingForecast:
        """Predicted training time: the timed minibatch x minibatches x epochs, per network."""
        config = self.config
        batches = -(-len(self.train.labels) // config.batch_size)
        epochs = config.epochs + config.resolved_qat_epochs
        return TrainingForecast(
            {name: seconds * batches * epochs for name, seconds in per_batch.items()},
            dict(per_batch),
            batches,
            epochs,
        )

    def tracker(
        self,
        name: str,
        spec: NetworkSpec,
        group: str,
        meters: Literal["auto"] | Sequence[Meter],
        ledger: LedgerOption,
    ) -> EnergyTracker:
        return EnergyTracker(
            meters,
            country=self.config.country,
            intensity_g_per_kwh=self.config.intensity_g_per_kwh,
            pue=self.config.pue,
            name=run_name(self.config, name, spec),
            ledger=ledger,
            tags={GROUP_TAG: group, "network": name},
            metadata={"config": self.config.to_dict()},
        )

    def break_even(self, runs: Mapping[str, _NetworkRun], name: str) -> dict[str, BreakEven] | None:
        """The break-even spike rate of network `name` against the ReLU twin per hardware entry.

        None when `name` did not run.
        """
        if name not in runs:
            return None
        deployers = {n: run.deployer for n, run in runs.items() if run.deployer}
        return {
            hardware: break_even(
                deployers[name].measure(where)[1], deployers["relu"].measure(where)[1], where
            )
            for hardware, where in self.hardware.items()
        }

    def verdicts(self, relu: _Priced | _NetworkRun, spiking: _NetworkRun) -> tuple[Pairing, ...]:
        """The spiking network against the ReLU twin on each hardware entry."""
        return tuple(spiking.versus(relu.priced(where), where) for where in self.hardware.values())

    def pairings(self, relu: _Priced | _NetworkRun, spiking: _NetworkRun) -> tuple[Pairing, ...]:
        """The spiking network on its side of each pairing, against the ReLU twin on its own."""
        return tuple(spiking.versus(relu.priced(r), s) for r, s in self.pairs)


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


def run_name(config: CompareConfig, network: str, spec: NetworkSpec | None = None) -> str:
    """The ledger name of one network's run: model-widths, data set, network.

    E.g. "mlp-128 digits relu", "cnn-16-32 mnist spiking", "mlp-25 digits optimized". The model
    and widths are `spec`'s when given (a network of its own shape), else the config's.
    """
    model, hidden = (config.model, config.hidden) if spec is None else (spec.model, spec.hidden)
    shape = "-".join(str(size) for size in hidden)
    return f"{model}-{shape} {config.dataset} {network}"


def group_id() -> str:
    """A new comparison's id, e.g. "20261123T104712-3fa2c1": UTC time and 6 random hex digits."""
    return f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{secrets.token_hex(3)}"


@dataclass
class _NetworkRun:
    """One network's run while it goes on: what it measured so far, frozen by `result()`."""

    name: str
    spec: NetworkSpec
    role: Role
    network: torch.nn.Module
    tracker: EnergyTracker
    config: CompareConfig
    on_batch: OnBatch | None
    on_epoch: OnEpoch | None
    deployments: dict[str, Deployment]
    status: str = "running"
    optimizer_steps: int | None = None
    train_time_s: float | None = None
    accuracy: float | None = None
    cost: CostReport | None = None
    inference: InferenceCost | None = None
    deployer: Deployer | None = None
    epochs: list[EpochRecord] = field(default_factory=list)
    window_name: str = TRAIN_WINDOW

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

    def versus(self, relu: DeploymentEnergy, where: Deployment) -> Pairing:
        """This spiking network on `where` against the ReLU twin as `relu` prices it."""
        assert self.deployer is not None
        mine = self.priced(where)
        found = None
        if mine.energy_j is not None and relu.energy_j is not None:
            report = self.deployer.measure(where)[1]
            found = levers(report, relu.energy_j, where, runs_once(report, self.spec))
        return Pairing(relu, mine, self.name, found)

    def _train(self, train: LabelledImages) -> None:
        on_batch, on_epoch = self.on_batch, self.on_epoch
        config = self.config
        all_epochs = config.epochs + config.resolved_qat_epochs
        started = time.perf_counter()

        def ended(epoch: int, loss: float, accuracy: float) -> None:
            record = EpochRecord(
                self.name, epoch, all_epochs, loss, accuracy, time.perf_counter() - started
            )
            self.epochs.append(record)  # logged after the window: a ledger write takes ms
            if on_epoch is not None:
                on_epoch(record)

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
                on_epoch=lambda epoch, *a: ended(first_epoch + epoch, *a),
                penalty=self.spec.penalty,
            )

        try:
            with self.tracker.window(TRAIN_WINDOW):
                self.optimizer_steps = train_for(config.epochs, 0, self.spec.lr)
                if config.precision != "fp32":  # quantize, then fine-tune with fake quantization
                    torch.manual_seed(config.seed)
                    self.network = quantize(
                        self.network,
                        config.trained_precision,
                        train.images[:CALIBRATION_IMAGES],
                    )
                    if config.resolved_qat_epochs:
                        self.optimizer_steps += train_for(
                            config.resolved_qat_epochs, config.epochs, self.spec.lr * QAT_LR_FACTOR
                        )
        finally:
            self.train_time_s = time.perf_counter() - started
            for record in self.epochs:  # a diverged (NaN) loss is not a metric
                self.tracker.log_metrics(
                    step=record.epoch,
                    **_finite(train_loss=record.loss, train_accuracy=record.train_accuracy),
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
            window = next((w for w in report.windows if w.name == self.window_name), None)
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
            spec=self.spec,
            role=self.role,
            epochs=tuple(self.epochs),
        )


@dataclass
class _ConvertedRun(_NetworkRun):
    """The converted ReLU twin's run: convert (window "convert"), test, price, and its curve.

    `network` is the trained ReLU twin until the conversion replaces it. The converted network
    is float (converted from the twin's float weights, whatever precision the twin was trained
    at): it is priced like a twin, each deployment at its precision with the accuracy measured
    there. Its accuracy-versus-steps curve is measured as converted (float), so each point is
    priced only on the `hardware` entries that run it at that precision (`curve_hardware`).
    """

    window_name: str = CONVERT_WINDOW
    conversion: ConversionReport | None = None
    curve: tuple[CurvePoint, ...] | None = None

    def run(self, train: LabelledImages, test: LabelledImages) -> None:
        """Convert, test and price at `steps`, then test and price along the curve."""
        config = self.config
        try:
            with self.tracker:
                self._convert(train)
                accuracy = accuracy_by_steps(
                    self.network, test.images, test.labels, config.steps_curve
                )
                set_steps(self.network, config.steps)
                self.accuracy = accuracy[config.steps]
                self.cost = count_converted(self.network, test.images, config.steps, config.seed)
                self.deployer = Deployer(
                    self.network,
                    preset("fp32"),
                    self.accuracy,
                    self.cost,
                    train.images,
                    test,
                    config.seed,
                )
                self.inference = inference_cost(self.cost, self.deployments, self.deployer)
                self.curve = self._curve(accuracy, test)
                self.tracker.log_metrics(None, **_finite(**self._final_metrics()))
                for point in self.curve:  # the curve, by steps
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

    def _convert(self, train: LabelledImages) -> None:
        started = time.perf_counter()
        try:
            with self.tracker.window(CONVERT_WINDOW):
                self.network, self.conversion = converted_twin(
                    float_model(self.network), train.images, self.config.steps
                )
        finally:
            self.train_time_s = time.perf_counter() - started

    def curve_hardware(self) -> tuple[str, ...]:
        """The `hardware` entries that run the converted network as converted (float)."""
        assert self.deployer is not None
        as_converted = self.deployer.network_at
        return tuple(
            name
            for name, where in self.deployments.items()
            if name in self.config.hardware and as_converted(where) is self.network
        )

    def _curve(self, accuracy: Mapping[int, float], test: LabelledImages) -> tuple[CurvePoint, ...]:
        """Accuracy, spike rate and energy per inference at each step count of the curve."""
        priced = {name: self.deployments[name] for name in self.curve_hardware()}
        points = []
        for steps in self.config.steps_curve:
            cost = count_converted(self.network, test.images, steps, self.config.seed)
            energy = {name: where.price(cost).energy_j for name, where in priced.items()}
            points.append(CurvePoint(steps, accuracy[steps], cost.spike_rate, energy))
        set_steps(self.network, self.config.steps)
        return tuple(points)

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


def warm_up(
    network: torch.nn.Module,
    data: LabelledImages,
    seed: int,
    batch_size: int = 64,
    penalty: RatePenalty | None = None,
) -> float:
    """Run three training steps of a throwaway copy of `network`; returns one step's seconds.

    Torch's one-time set-up costs (kernels, the optimizer's first step) would otherwise land in
    the window of whichever network trains first. The quicker of the second and third steps,
    past those costs, times one minibatch of this network on this machine (the last step, when
    the data holds fewer).
    """
    size = WARM_UP_STEPS * batch_size
    sample = LabelledImages(data.images[:size], data.labels[:size])
    ends = [time.perf_counter()]
    fit(
        copy.deepcopy(network),
        sample,
        epochs=1,
        batch_size=batch_size,
        lr=1e-3,
        seed=seed,
        on_batch=lambda *_: ends.append(time.perf_counter()),
        penalty=penalty,
    )
    steps = [after - before for before, after in itertools.pairwise(ends)]
    return min(steps[1:]) if len(steps) > 1 else steps[-1]


def runs_once(report: CostReport, spec: NetworkSpec) -> tuple[str, ...]:
    """The layers of a network that run once per inference, whatever its time steps.

    With direct encoding, the synaptic layers before the first neuron layer see the same pixels
    at every step, and the twins run them once (`greenspike.train.models`); nothing else does.
    """
    if spec.encoding != "direct":
        return ()
    leading = []
    for name, layer in report.layers.items():
        if layer.kind not in ("linear", "conv"):
            break
        leading.append(name)
    return tuple(leading)


class Results(Protocol):
    """What results.json holds: a `CompareResult`, or one that extends it (`--optimize`)."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON of results.json."""
        ...


def write_results(result: Results, out_dir: str | Path, json_path: str | Path | None) -> Path:
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
