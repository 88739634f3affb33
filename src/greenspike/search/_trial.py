"""One trial of a search: draw a candidate, train it inside an energy tracker, score it.

The trial's tracker run has a window "train" (the epochs, with the per-epoch validation that
feeds pruning) and a window "evaluate" (test accuracy, and the operation counts of
`greenspike.cost` on up to 1,000 validation images, priced per inference on each hardware
profile or deployment at its precision: the network quantized to it, its accuracy measured
there; an estimate, labelled with its profile and source). The accuracy objective is the
validation accuracy at the first hardware's precision. Whatever ends the
trial (finished, pruned, failed, Ctrl-C), its energy with provenance is written to the study's
storage (`greenspike.search.records`) before Optuna records the trial's state, so a search
never loses what it measured.

The first ReLU and the first spiking trial of a worker are preceded by two throwaway training
steps outside any tracker (`greenspike.train.comparison.warm_up`): torch's one-time set-up would
otherwise inflate whichever trial comes first.
"""

from __future__ import annotations

import math
import os
import socket
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import optuna
import torch

from greenspike._signals import Terminated
from greenspike.cost import FULL_PRECISION, HardwareProfile, deployment
from greenspike.data import LabelledImages, split_train_test
from greenspike.energy.measurement import EnergyReport
from greenspike.energy.tracker import status_of
from greenspike.errors import InvalidInputError, UnpricedOperationError
from greenspike.search.config import SearchConfig
from greenspike.search.pruning import MedianRule
from greenspike.search.records import (
    RECORD,
    TrialEvaluation,
    TrialMeasurement,
    stored_record,
)
from greenspike.search.space import Candidate, build, suggest
from greenspike.snn import RatePenalty
from greenspike.tracking import EnergyTracker
from greenspike.train.comparison import warm_up
from greenspike.train.datasets import load_dataset
from greenspike.train.inference import Deployer, count_network
from greenspike.train.loop import evaluate, fit

FINISHED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)


@dataclass(frozen=True)
class SearchData:
    """Train images split into `fit` (to train) and `validation` (to score), and `test`.

    With `events`, the "images" are binned event frames `[N, T, ...]`.
    """

    fit: LabelledImages
    validation: LabelledImages
    test: LabelledImages
    events: bool = False

    @property
    def image_shape(self) -> tuple[int, ...]:
        """One image `(H, W)`, or one frame of event data (`(C, H, W)` or `(N,)`)."""
        return tuple(self.fit.images.shape[2 if self.events else 1 :])

    @property
    def classes(self) -> int:
        return int(max(self.fit.labels.max(), self.test.labels.max())) + 1


def load_search_data(config: SearchConfig) -> SearchData:
    """The data set of `config`, its train images split by `config.validation` and seed.

    Raises:
        InvalidInputError: the data set cannot be loaded (see `greenspike.train.load_dataset`),
            or the space's cnn is too deep for its images.
    """
    train, test = load_dataset(config.dataset, config.data_dir, config.seed, config.steps)
    if config.limit is not None:
        train = LabelledImages(train.images[: config.limit], train.labels[: config.limit])
    n_validation = max(1, round(len(train.labels) * config.validation))
    fit_part, validation = split_train_test(train, len(train.labels) - n_validation, config.seed)
    device = torch.device(config.device)
    fit_part, validation, test = (
        LabelledImages(part.images.to(device), part.labels.to(device))
        for part in (fit_part, validation, test)
    )
    data = SearchData(fit_part, validation, test, config.events)
    smallest = min(data.image_shape[-2:])
    if "cnn" in config.space.models and 2**config.space.max_depth > smallest:
        raise InvalidInputError(
            f"max depth {config.space.max_depth} is too deep for a cnn on "
            f"{data.image_shape[-2]}x{data.image_shape[-1]} images (each conv layer halves them): "
            f"use at most {smallest.bit_length() - 1}"
        )
    return data


class TrialRunner:
    """The objective function Optuna calls: `runner(trial)` -> objective values."""

    def __init__(self, config: SearchConfig, data: SearchData, meters: Any = "auto"):
        self.config = config
        self.data = data
        self.meters = meters
        self.rule = MedianRule(startup_trials=config.startup_trials) if config.prune else None
        self._warmed: set[str] = set()

    def __call__(self, trial: optuna.Trial) -> list[float]:
        candidate = suggest(trial, self.config.searched_space)
        if candidate.network not in self._warmed:  # torch's one-time set-up, in no trial's bill
            data = self.data
            network = build(candidate, data.image_shape, data.classes, events=data.events)
            warm_up(network.to(self.config.device), data.fit, 0)
            self._warmed.add(candidate.network)
        trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
        tracker = EnergyTracker(
            self.meters,
            country=self.config.country,
            intensity_g_per_kwh=self.config.intensity_g_per_kwh,
            pue=self.config.pue,
            name=f"search {trial.study.study_name} trial {trial.number}",
            ledger=self.config.ledger,
            tags={"search": trial.study.study_name, "trial": trial.number, **trial.params},
            metadata={"candidate": asdict(candidate), "objectives": list(self.config.objectives)},
        )
        tracker.start()
        trial.set_user_attr("ledger_run_id", tracker.run_id)  # where a killed trial's energy is
        curve: list[float] = []
        evaluation: TrialEvaluation | None = None
        error: BaseException | None = None
        try:
            evaluation = self._train_and_score(trial, candidate, tracker, curve)
        except BaseException as caught:  # recorded below, then re-raised
            error = caught
        pruned = isinstance(error, optuna.TrialPruned)
        report = tracker.stop("finished" if pruned else status_of(error))
        tracker.set_tags(trial_state="pruned" if pruned else "fail" if error else "complete")
        measurement = measurement_of(report, len(curve))
        trial.set_user_attr(RECORD, stored_record(curve, evaluation, measurement))  # one write
        if isinstance(error, Terminated):  # Optuna fails a trial on KeyboardInterrupt only
            raise KeyboardInterrupt from error
        if error is not None:
            raise error
        assert evaluation is not None
        return [
            self._value(name, curve, evaluation, measurement) for name in self.config.objectives
        ]

    def _train_and_score(
        self, trial, candidate: Candidate, tracker: EnergyTracker, curve: list[float]
    ) -> TrialEvaluation:
        data, config = self.data, self.config
        torch.manual_seed(config.seed + trial.number)
        network = build(candidate, data.image_shape, data.classes, events=data.events)
        network = network.to(config.device)

        def after_epoch(epoch: int, loss: float, train_accuracy: float) -> None:
            if not math.isfinite(loss):
                raise optuna.TrialPruned(f"the loss diverged ({loss}) in epoch {epoch + 1}")
            curve.append(evaluate(network, data.validation))
            network.train()
            tracker.log_metrics(
                step=epoch, accuracy=curve[-1], loss=loss, train_accuracy=train_accuracy
            )
            trial.set_user_attr("accuracy_curve", curve)
            if self.rule is not None and epoch + 1 < config.epochs:
                others = finished_curves(trial.study, exclude=trial.number)
                if self.rule.should_prune(epoch, curve[-1], others):
                    median = self.rule.median_at(epoch, others)
                    raise optuna.TrialPruned(
                        f"validation accuracy {curve[-1]:.3f} below the median {median:.3f} "
                        f"of finished trials at epoch {epoch + 1}"
                    )

        with tracker.window("train"):
            fit(
                network,
                data.fit,
                epochs=config.epochs,
                batch_size=config.batch_size,
                lr=candidate.lr,
                seed=config.seed + trial.number,
                on_epoch=after_epoch,
                penalty=RatePenalty(candidate.rate_penalty, candidate.target_rate)
                if candidate.rate_penalty
                else None,
            )
        with tracker.window("evaluate"):
            evaluation = evaluate_trial(
                network, data, config.hardware, config.seed, config.profiles()
            )
        tracker.log_metrics(
            test_accuracy=evaluation.test_accuracy,
            inference_energy_j=evaluation.inference_energy_j,
        )
        return evaluation

    def _value(
        self,
        name: str,
        curve: list[float],
        evaluation: TrialEvaluation,
        measurement: TrialMeasurement,
    ) -> float:
        if name == "accuracy":
            if evaluation.validation_accuracy is not None:
                return evaluation.validation_accuracy
            return curve[-1]
        if name == "inference-energy":
            return evaluation.inference_energy_j
        return measurement.training_energy_j


def evaluate_trial(
    network: torch.nn.Module,
    data: SearchData,
    hardware: tuple[str, ...],
    seed: int,
    profiles: Mapping[str, HardwareProfile] | None = None,
) -> TrialEvaluation:
    """Test accuracy, and joules per inference of `network` on each hardware deployment.

    Counted on the validation images as `greenspike compare` counts
    (`greenspike.train.inference.count_network`), each deployment pricing the network quantized
    to its precision (`greenspike.train.inference.Deployer`, calibrated on the fit images),
    with its test accuracy there.

    Raises:
        UnpricedOperationError: the first deployment cannot price every operation of the
            network.
    """
    test_accuracy = evaluate(network, data.test)
    counted = count_network(network, data.validation.images, seed)
    deployer = Deployer(
        network,
        FULL_PRECISION,
        test_accuracy,
        counted,
        data.fit.images,
        data.test,
        seed,
        count_images=data.validation.images,
    )
    where = {name: deployment(name, profiles) for name in hardware}
    energies = {name: deployer(place) for name, place in where.items()}
    first = energies[hardware[0]]
    if first.energy_j is None:
        raise UnpricedOperationError(
            f"hardware {hardware[0]!r} cannot price {'; '.join(first.estimate.total.unpriced)}: "
            "put a profile that prices every operation (e.g. cmos45-fp32) first"
        )
    first_place = where[hardware[0]]
    validation_accuracy = None
    if first_place.precisions(counted) != dict.fromkeys(counted.layers, FULL_PRECISION):
        torch.manual_seed(seed)
        validation_accuracy = evaluate(deployer.network_at(first_place), data.validation)
    return TrialEvaluation(
        test_accuracy=test_accuracy,
        inference_energy_j=first.energy_j,
        inference_energy={name: energy.estimate.total for name, energy in energies.items()},
        spike_rate=counted.spike_rate,
        synaptic_ops=counted.total.effective_ops,
        deployed_accuracy={name: energy.accuracy for name, energy in energies.items()},
        validation_accuracy=validation_accuracy,
    )


def finished_curves(study: optuna.Study, exclude: int) -> list[list[float]]:
    """Per-epoch validation accuracies of the study's complete and pruned trials."""
    return [
        t.user_attrs["accuracy_curve"]
        for t in study.get_trials(deepcopy=False, states=FINISHED)
        if t.number != exclude and t.user_attrs.get("accuracy_curve")
    ]


def measurement_of(report: EnergyReport, epochs_run: int) -> TrialMeasurement:
    """What a trial keeps of its tracker's report: its energy split by provenance."""
    train = [w for w in report.windows if w.name == "train"]
    return TrialMeasurement(
        epochs_run=epochs_run,
        energy_j=report.energy_j,
        measured_energy_j=report.measured_energy_j,
        estimated_energy_j=report.estimated_energy_j,
        training_energy_j=train[0].energy_j if train else 0.0,
        co2e_g=report.co2e_g,
        duration_s=report.duration_s,
        energy_status=report.status,
        energy_sources=tuple(f"{c.name}: {c.label}, {c.source}" for c in report.components),
    )
