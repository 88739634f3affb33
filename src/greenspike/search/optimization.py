"""`compare --optimize`: search for the cheapest spiking network within reach of the ReLU twin.

After a comparison, a budgeted multi-objective study (`greenspike.search.search`: validation
accuracy at the target's precision, energy per inference on the target) over the spiking
twin's time steps, width, encoding, decay, threshold and activity penalty, with its depth,
model and learning rate fixed. The reference is the ReLU twin trained and scored the way every
trial is (on the same 80% of the train images, for the same epochs, its validation accuracy at
the target's precision): test images are never used to choose. Of the complete trials, the
chosen one is the cheapest on the target whose validation accuracy is within `max_drop` points
of the reference; if none is, the most accurate one ("the closest"). It is then trained and
measured exactly as the twins were (`greenspike.train.add_network`: full train set, same
epochs, precision and seed, its own run in the ledger) and joins the comparison as the network
"optimized". Every trial, the reference and the study's energy bill are kept (`Optimization`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import torch

from greenspike.cost import FULL_PRECISION, deployment
from greenspike.energy.measurement import EnergyReport
from greenspike.errors import InvalidInputError
from greenspike.search._trial import load_search_data
from greenspike.search.config import SearchConfig
from greenspike.search.records import TrialRecord
from greenspike.search.result import SearchResult
from greenspike.search.space import SearchSpace
from greenspike.tracking import EnergyTracker
from greenspike.train import CompareConfig, CompareResult, NetworkSpec, add_network
from greenspike.train.comparison import OnBatch, OnEpoch, OnForecast
from greenspike.train.inference import Deployer, count_network
from greenspike.train.loop import evaluate, fit
from greenspike.train.models import ENCODINGS

DEFAULT_TARGET = "cmos45-int8"  # an int8 accelerator on which both twins can be priced
NAME = "optimized"  # the network's name in the comparison
RATE_PENALTY = (1e-3, 3.0)  # the searched weights of the L1 activity penalty (log-uniform)
OBJECTIVES = ("accuracy", "inference-energy")
OnTrial = Callable[[TrialRecord], None]


@dataclass(frozen=True)
class OptimizeConfig:
    """What `compare --optimize` searches for, and with what budget.

    Args:
        target: the profile or deployment the energy is minimised on (it must price every
            operation of a spiking network: a spikes-only chip needs a host).
        max_drop: the most accuracy (percentage points) the network may lose against the ReLU
            twin at the target's precision.
        trials: the most trials.
        energy_budget_kj: stop starting trials once the trials used this much energy.
        time_budget_min: stop starting trials after this many minutes.
        epochs: epochs per trial (None: the comparison's).
    """

    target: str = DEFAULT_TARGET
    max_drop: float = 1.0
    trials: int = 40
    energy_budget_kj: float | None = None
    time_budget_min: float | None = None
    epochs: int | None = None

    def search_config(
        self, compare: CompareConfig, group: str, out: str, ledger: str | None
    ) -> SearchConfig:
        """The study for a comparison: its data, seed and budget, the spiking twin's space.

        Args:
            compare: the comparison's config.
            group: the comparison's id (the study is named `compare-<group>`).
            out: where the study's SQLite file goes.
            ledger: where the trials' runs are kept (as `SearchConfig.ledger`).
        """
        depth, widest = len(compare.hidden), max(compare.hidden)
        return SearchConfig(
            dataset=compare.dataset,
            data_dir=compare.data_dir,
            trials=self.trials,
            objectives=OBJECTIVES,
            energy_budget_kj=self.energy_budget_kj,
            time_budget_min=self.time_budget_min,
            study=f"compare-{group}",
            epochs=self.epochs or compare.epochs,
            batch_size=compare.batch_size,
            limit=compare.limit,
            seed=compare.seed,
            hardware=(self.target,),
            country=compare.country,
            intensity_g_per_kwh=compare.intensity_g_per_kwh,
            pue=compare.pue,
            device=compare.device,
            ledger=ledger,
            out=out,
            hardware_file=compare.hardware_file,
            space=SearchSpace(
                networks=("spiking",),
                models=(compare.model,),
                min_depth=depth,
                max_depth=depth,
                width=(min(widest, max(4, widest // 16)), widest),
                lr=(compare.lr, compare.lr),
                steps=(1, compare.steps),
                encodings=ENCODINGS,
                rate_penalty=RATE_PENALTY,
                learn_beta=compare.learn_beta,
                learn_threshold=compare.learn_threshold,
            ),
        )

    def check(self, compare: CompareConfig) -> None:
        """Check the budget, the target and the study it makes for `compare`, before any training.

        Raises:
            InvalidInputError: a bad `max_drop`, `trials`, budget or `epochs`; a target that is
                not a deployment of the known profiles or cannot price a spiking network; an
                event data set (the search takes images); or a study that could not run
                (`SearchConfig.check`).
            OSError: the comparison's hardware file cannot be read.
        """
        if not (isinstance(self.max_drop, int | float) and 0 <= self.max_drop < 100):
            raise InvalidInputError(
                f"`max_drop` must be accuracy points in [0, 100), got {self.max_drop!r}"
            )
        if self.epochs is not None and (not isinstance(self.epochs, int) or self.epochs < 1):
            raise InvalidInputError(f"optimize epochs must be an integer >= 1, got {self.epochs!r}")
        from greenspike.train.datasets import EVENT_SOURCES

        if compare.dataset in EVENT_SOURCES:
            raise InvalidInputError(
                f"--optimize searches image data sets, not the event data set "
                f"{compare.dataset!r} (yet): tune --steps, --hidden and --rate-penalty by hand"
            )
        self.search_config(compare, "check", "greenspike-compare", None).check()


@dataclass(frozen=True)
class Reference:
    """The ReLU twin trained and scored as a trial is: what the trials are held to.

    Args:
        validation_accuracy: its validation accuracy at the target's precision.
        test_accuracy: the ReLU twin of the comparison's test accuracy there (for the record).
        energy: the energy of its run (training and scoring), with provenance.
        run_id: its run in the ledger (None: not kept).
    """

    validation_accuracy: float
    test_accuracy: float
    energy: EnergyReport
    run_id: int | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields, the energy as its totals."""
        return {
            "validation_accuracy": self.validation_accuracy,
            "test_accuracy": self.test_accuracy,
            "energy_j": self.energy.energy_j,
            "measured_energy_j": self.energy.measured_energy_j,
            "estimated_energy_j": self.energy.estimated_energy_j,
            "run_id": self.run_id,
        }


@dataclass(frozen=True)
class Optimization:
    """What `compare --optimize` did: its study, and the network it chose and trained.

    Args:
        config: what was asked.
        reference: the ReLU twin as a trial, the accuracy the trials are held to.
        search: the study: every trial, its bill, why it stopped.
        chosen: the trial whose network joined the comparison (None: no complete trial).
        within_max_drop: whether the chosen trial's validation accuracy was within `max_drop`
            points of the reference (False: none was; the chosen one is the closest).
        result: the comparison, with the chosen network added as "optimized" when there is one.
    """

    config: OptimizeConfig
    reference: Reference
    search: SearchResult
    chosen: TrialRecord | None
    within_max_drop: bool
    result: CompareResult

    def to_dict(self) -> dict[str, Any]:
        """The comparison's JSON, with "optimization": the search, its bill and the choice."""
        search = self.search
        return {
            **self.result.to_dict(),
            "optimization": {
                "target": self.config.target,
                "max_drop": self.config.max_drop,
                "budget": {
                    "trials": self.config.trials,
                    "energy_budget_kj": self.config.energy_budget_kj,
                    "time_budget_min": self.config.time_budget_min,
                    "epochs": self.config.epochs,
                },
                "reference": self.reference.to_dict(),
                "chosen_trial": None if self.chosen is None else self.chosen.number,
                "within_max_drop": self.within_max_drop,
                "network": NAME if NAME in self.result.networks else None,
                "study": search.study,
                "storage": search.storage,
                "stopped_by": search.stopped_by,
                "counts": dict(search.counts),
                "energy": search.energy.to_dict(),
                "notes": list(search.notes),
                "pruning": search.pruning.to_dict(),
                "trials": [trial.to_dict() for trial in search.trials],
            },
        }


def choose(
    trials: tuple[TrialRecord, ...], reference: float, max_drop: float
) -> tuple[TrialRecord | None, bool]:
    """The cheapest complete trial within `max_drop` points of `reference`, else the closest.

    `reference` and the trials' accuracies are fractions; `max_drop` is in points.

    A trial's values are (validation accuracy, joules per inference on the target). The closest
    is the most accurate (the cheaper of equals).

    Returns:
        (the trial, whether it is within `max_drop`); (None, False) without a complete trial.
    """
    complete = [t for t in trials if t.state == "complete" and t.values is not None]
    complete = [t for t in complete if all(math.isfinite(v) for v in t.values or ())]
    if not complete:
        return None, False
    floor = reference - max_drop / 100 - 1e-12  # accuracies are fractions, max_drop is points
    within = [t for t in complete if t.values is not None and t.values[0] >= floor]
    if within:
        return min(within, key=lambda t: (_values(t)[1], -_values(t)[0], t.number)), True
    return max(complete, key=lambda t: (_values(t)[0], -_values(t)[1], -t.number)), False


def _values(trial: TrialRecord) -> tuple[float, ...]:
    assert trial.values is not None
    return trial.values


def spec_of(trial: TrialRecord, compare: CompareConfig) -> NetworkSpec:
    """The spiking network a trial drew, as a `NetworkSpec` (the comparison's model and lr)."""
    params = trial.params
    return NetworkSpec(
        "spiking",
        params["model"],
        (int(params["width"]),) * int(params["depth"]),
        float(params["lr"]),
        steps=int(params["steps"]),
        encoding=str(params["encoding"]),
        beta=float(params["beta"]),
        threshold=float(params["threshold"]),
        learn_beta=compare.learn_beta,
        learn_threshold=compare.learn_threshold,
        rate_penalty=float(params.get("rate_penalty", 0.0)),
    )


def optimize(
    result: CompareResult,
    config: OptimizeConfig,
    *,
    out: str,
    ledger: str | None,
    on_trial: OnTrial | None = None,
    on_batch: OnBatch | None = None,
    on_epoch: OnEpoch | None = None,
    on_forecast: OnForecast | None = None,
    meters: Any = "auto",
) -> Optimization:
    """Search, choose, and add the chosen network to the comparison (see the module).

    Args:
        result: a finished comparison whose `hardware` includes `config.target`.
        config: what to search for.
        out: where the study's SQLite file goes (the comparison's folder).
        ledger: where every trial's run and the chosen network's run are kept (None: nowhere;
            "default": $GREENSPIKE_LEDGER or the user's file; a path or URL).
        on_trial: called with each trial as it ends.
        on_batch: as for `greenspike.train.compare`, while the chosen network trains.
        on_epoch: as for `greenspike.train.compare`, while the chosen network trains.
        on_forecast: as for `greenspike.train.compare`, before the chosen network trains.
        meters: as for the tracker ("auto" or Meter objects).

    Returns:
        The study, the choice and the comparison with the network added.

    Raises:
        InvalidInputError: the comparison has no priced ReLU twin on the target, or a bad
            config (see `OptimizeConfig.check`).
        MissingExtraError: Optuna is not installed.
    """
    from greenspike.search._study import search

    relu = result.networks.get("relu")
    energy = None if relu is None or relu.inference is None else relu.inference.energy
    if energy is None or config.target not in energy:
        raise InvalidInputError(
            f"--optimize needs the ReLU twin priced on its target {config.target!r}: add the "
            "target to the comparison's hardware"
        )
    study = config.search_config(result.config, result.group, out, ledger)
    study.check()
    reference = reference_run(result.config, study, energy[config.target].accuracy, meters)
    found = search(study, meters=meters, on_trial=on_trial)
    chosen, within = choose(found.trials, reference.validation_accuracy, config.max_drop)
    compared = result
    if chosen is not None and found.stopped_by != "interrupted":
        compared = add_network(
            result,
            NAME,
            spec_of(chosen, result.config),
            "optimized",
            on_batch=on_batch,
            on_epoch=on_epoch,
            on_forecast=on_forecast,
            meters=meters,
            ledger=ledger,
        )
    elif found.stopped_by == "interrupted":
        compared = replace(result, status="interrupted")
    return Optimization(config, reference, found, chosen, within, compared)


def reference_run(
    compare: CompareConfig, study: SearchConfig, test_accuracy: float, meters: Any = "auto"
) -> Reference:
    """Train the ReLU twin as a trial of `study` is trained, and score it as one is scored.

    On the study's fit images, for its epochs, with the comparison's learning rate; its
    validation accuracy at the precision of the study's first hardware entry (the network
    quantized there, as `greenspike.train.inference.Deployer` does). Its own run in the
    study's ledger, tagged search=<study> and reference=relu.
    """
    data = load_search_data(study)
    spec = compare.relu_spec
    torch.manual_seed(study.seed)
    network = spec.build(data.image_shape, data.classes).to(study.device)
    tracker = EnergyTracker(
        meters,
        country=study.country,
        intensity_g_per_kwh=study.intensity_g_per_kwh,
        pue=study.pue,
        name=f"search {study.study} reference relu",
        ledger=study.ledger,
        tags={"search": study.study, "reference": "relu"},
        metadata={"spec": spec.to_dict()},
    )
    with tracker:
        with tracker.window("train"):
            fit(
                network,
                data.fit,
                epochs=study.epochs,
                batch_size=study.batch_size,
                lr=spec.lr,
                seed=study.seed,
            )
        with tracker.window("evaluate"):
            as_trained = evaluate(network, data.validation)
            counted = count_network(network, data.validation.images, study.seed)
            deployer = Deployer(
                network,
                FULL_PRECISION,
                as_trained,
                counted,
                data.fit.images,
                data.validation,
                study.seed,
            )
            accuracy = deployer.measure(deployment(study.hardware[0], study.profiles()))[0]
        tracker.log_metrics(validation_accuracy=accuracy)
    assert tracker.report is not None
    return Reference(accuracy, test_accuracy, tracker.report, tracker.run_id)
