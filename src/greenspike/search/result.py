"""What a study found and what it cost: the Pareto front, the bill, and what pruning saved.

The bill is the sum of the trials' tracker runs (every worker's), split by provenance; the
sampler's own bookkeeping between trials is not in it. What pruning saved is an estimate, and
labelled as one:

    saved_j ≈ (training joules per epoch, mean over complete trials)
              x (epochs the pruned trials did not run)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from greenspike.energy.measurement import J_PER_KWH
from greenspike.search.config import SearchConfig
from greenspike.search.records import TrialMeasurement, TrialRecord

SAVING_METHOD = (
    "estimate: mean training energy per epoch of the complete trials x the epochs the pruned "
    "trials did not run"
)


@dataclass(frozen=True)
class SearchBill:
    """The energy of all trials with a measurement (every worker's), split by provenance.

    `co2e_g` is None unless every measured trial had a carbon intensity; `sources` are the kinds
    of component ("cpu: estimated") that measured them.
    """

    energy_j: float
    measured_energy_j: float
    estimated_energy_j: float
    co2e_g: float | None
    sources: tuple[str, ...]
    trials_measured: int

    @property
    def kwh(self) -> float:
        """The energy in kWh."""
        return self.energy_j / J_PER_KWH

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields, kWh included."""
        return {
            "energy_j": self.energy_j,
            "measured_energy_j": self.measured_energy_j,
            "estimated_energy_j": self.estimated_energy_j,
            "kwh": self.kwh,
            "co2e_g": self.co2e_g,
            "sources": list(self.sources),
            "trials_measured": self.trials_measured,
        }


@dataclass(frozen=True)
class PruningSaving:
    """Pruned trials, the epochs they skipped, and the joules that saved.

    The saving is an estimate (see `method`), None without a complete trial to scale from.
    """

    pruned_trials: int
    epochs_skipped: int
    estimated_saved_j: float | None
    training_j_per_epoch: float | None
    method: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "pruned_trials": self.pruned_trials,
            "epochs_skipped": self.epochs_skipped,
            "estimated_saved_j": self.estimated_saved_j,
            "training_j_per_epoch": self.training_j_per_epoch,
            "method": self.method,
        }


@dataclass(frozen=True)
class SearchResult:
    """A study read back from its storage: every worker's trials, the front and the bill.

    Args:
        study, storage: the study's name and storage URL (password hidden).
        objectives, directions: what it optimises and in which direction.
        hardware: the cost-model profiles of the inference energy (the objective uses the first).
        stopped_by: why it stopped ("20 trials reached", "interrupted", ...).
        counts: trials per Optuna state ("complete", "pruned", "fail", "running", "waiting").
        energy: what all trials cost.
        notes: warnings about the bill (workers sharing a host, trials killed unbilled).
        pruning: what pruning saved.
        pareto: numbers of the trials on the front.
        trials: every trial.
    """

    study: str
    storage: str
    objectives: tuple[str, ...]
    directions: tuple[str, ...]
    hardware: tuple[str, ...]
    stopped_by: str
    counts: Mapping[str, int]
    energy: SearchBill
    notes: tuple[str, ...]
    pruning: PruningSaving
    pareto: tuple[int, ...]
    trials: tuple[TrialRecord, ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON of results.json."""
        return {
            "study": self.study,
            "storage": self.storage,
            "objectives": list(self.objectives),
            "directions": list(self.directions),
            "hardware": list(self.hardware),
            "stopped_by": self.stopped_by,
            "counts": dict(self.counts),
            "energy": self.energy.to_dict(),
            "notes": list(self.notes),
            "pruning": self.pruning.to_dict(),
            "pareto": list(self.pareto),
            "trials": [trial.to_dict() for trial in self.trials],
        }


def summarise(study: Any, config: SearchConfig, url: str, stopped_by: str) -> SearchResult:
    """The result of a study, read back from its storage (all workers' trials)."""
    import optuna

    from greenspike.search._study import shown

    study = optuna.load_study(study_name=study.study_name, storage=study._storage)
    frozen = study.get_trials(deepcopy=False)
    complete = [t for t in frozen if t.state == optuna.trial.TrialState.COMPLETE]
    if not complete:
        pareto: set[int] = set()
    elif len(config.objectives) == 1:
        pareto = {study.best_trial.number}
    else:
        pareto = {t.number for t in study.best_trials}
    trials = tuple(TrialRecord.from_trial(t, t.number in pareto) for t in frozen)
    return SearchResult(
        study=study.study_name,
        storage=shown(url),
        objectives=tuple(config.objectives),
        directions=tuple(config.directions),
        hardware=tuple(config.hardware),
        stopped_by=stopped_by,
        counts={
            state.name.lower(): sum(t.state == state for t in frozen)
            for state in optuna.trial.TrialState
        },
        energy=bill(trials),
        notes=tuple(overlap_notes(trials) + unbilled_notes(trials)),
        pruning=pruning_saving(trials, config.epochs),
        pareto=tuple(sorted(pareto)),
        trials=trials,
    )


def bill(trials: Sequence[TrialRecord]) -> SearchBill:
    """Energy of all trials with a measurement, measured and estimated apart, CO2e, sources."""
    measured = [t.measurement for t in trials if t.measurement is not None]
    co2e = [m.co2e_g for m in measured]
    return SearchBill(
        energy_j=sum(m.energy_j for m in measured),
        measured_energy_j=sum(m.measured_energy_j for m in measured),
        estimated_energy_j=sum(m.estimated_energy_j for m in measured),
        co2e_g=sum(c for c in co2e if c is not None) if co2e and None not in co2e else None,
        sources=tuple(sorted({kind for m in measured for kind in _kinds(m)})),
        trials_measured=len(measured),
    )


def overlap_notes(trials: Sequence[TrialRecord]) -> list[str]:
    """A warning for each host where several workers ran trials.

    RAPL counters and the CPU-time estimate charge the whole CPU, so each side-by-side trial's
    figure includes its neighbours' draw.
    """
    pids: dict[str, set[str]] = {}
    for t in trials:
        host, _, pid = (t.worker or "").rpartition(":")
        pids.setdefault(host, set()).add(pid)
    return [
        f"{len(found)} worker processes ran trials on {host}: where they ran side by side, each "
        "trial's energy includes its neighbours' (the CPU meters charge the whole CPU), so the "
        "bill may overcount; run one worker per machine for a bill you can add up"
        for host, found in sorted(pids.items())
        if host and len(found) > 1
    ]


def unbilled_notes(trials: Sequence[TrialRecord]) -> list[str]:
    """Trials whose worker was killed before it could record their energy in the study."""
    return [
        f"trial {t.number} ended without recording its energy (its worker was killed): the "
        f"ledger's run {t.ledger_run_id} holds it up to its last update, this "
        "bill does not"
        for t in trials
        if t.measurement is None and t.ledger_run_id is not None
    ]


def pruning_saving(trials: Sequence[TrialRecord], epochs: int) -> PruningSaving:
    """Pruned trials, the epochs they skipped, and the estimated joules that saved."""
    pruned = [t.measurement for t in trials if t.state == "pruned" and t.measurement]
    complete = [t.measurement for t in trials if t.state == "complete" and t.measurement]
    skipped = sum(epochs - m.epochs_run for m in pruned)
    epochs_done = sum(m.epochs_run for m in complete)
    per_epoch_j = sum(m.training_energy_j for m in complete) / epochs_done if epochs_done else None
    return PruningSaving(
        pruned_trials=len(pruned),
        epochs_skipped=skipped,
        estimated_saved_j=None if per_epoch_j is None else per_epoch_j * skipped,
        training_j_per_epoch=per_epoch_j,
        method=SAVING_METHOD if per_epoch_j is not None else "no complete trial to scale from",
    )


def _kinds(measurement: TrialMeasurement) -> list[str]:
    """The kind of each energy source, without the figures that vary from trial to trial.

    E.g. "cpu: estimated, tdp-utilisation: 12 W x 37 %" -> "cpu: estimated".
    """
    return [source.split(",")[0] for source in measurement.energy_sources]
