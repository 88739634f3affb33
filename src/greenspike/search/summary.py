"""What a study found and what it cost: the Pareto front, the bill, and what pruning saved.

The bill is the sum of the trials' tracker runs (every worker's), split by provenance; the
sampler's own bookkeeping between trials is not in it. What pruning saved is an estimate, and
labelled as one:

    saved_j ≈ (training joules per epoch, mean over complete trials)
              x (epochs the pruned trials did not run)
"""

from __future__ import annotations

from typing import Any

from greenspike.energy.report import J_PER_KWH
from greenspike.search.config import SearchConfig
from greenspike.search.trial import record_of

SAVING_METHOD = (
    "estimate: mean training energy per epoch of the complete trials x the epochs the pruned "
    "trials did not run"
)


def summarise(study, config: SearchConfig, url: str, stopped_by: str) -> dict[str, Any]:
    """The JSON-ready result of a study, read back from its storage (all workers' trials)."""
    import optuna

    from greenspike.search.study import shown

    study = optuna.load_study(study_name=study.study_name, storage=study._storage)
    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not complete:
        pareto = set()
    elif len(config.objectives) == 1:
        pareto = {study.best_trial.number}
    else:
        pareto = {t.number for t in study.best_trials}
    return {
        "study": study.study_name,
        "storage": shown(url),
        "objectives": list(config.objectives),
        "directions": config.directions,
        "hardware": list(config.hardware),
        "stopped_by": stopped_by,
        "counts": {
            state.name.lower(): sum(t.state == state for t in trials)
            for state in optuna.trial.TrialState
        },
        "energy": bill(trials),
        "notes": overlap_notes(trials) + unbilled_notes(trials),
        "pruning": pruning_saving(trials, config.epochs),
        "pareto": sorted(pareto),
        "trials": [_trial(t, t.number in pareto) for t in trials],
    }


def bill(trials) -> dict[str, Any]:
    """Energy of all trials (J, kWh), measured and estimated apart, CO2e and sources."""
    attrs = [record_of(t) for t in trials if "energy_j" in record_of(t)]
    energy_j = sum(a["energy_j"] for a in attrs)
    co2e = [a.get("co2e_g") for a in attrs]
    return {
        "energy_j": energy_j,
        "measured_energy_j": sum(a["measured_energy_j"] for a in attrs),
        "estimated_energy_j": sum(a["estimated_energy_j"] for a in attrs),
        "kwh": energy_j / J_PER_KWH,
        "co2e_g": sum(co2e) if co2e and None not in co2e else None,
        "sources": sorted({source for a in attrs for source in _kinds(a["energy_sources"])}),
        "trials_measured": len(attrs),
    }


def overlap_notes(trials) -> list[str]:
    """A warning when several workers shared a host: RAPL counters and the CPU-time estimate
    charge the whole CPU, so each side-by-side trial's figure includes its neighbours' draw."""
    pids: dict[str, set[str]] = {}
    for t in trials:
        host, _, pid = t.user_attrs.get("worker", "").rpartition(":")
        pids.setdefault(host, set()).add(pid)
    return [
        f"{len(found)} worker processes ran trials on {host}: where they ran side by side, each "
        "trial's energy includes its neighbours' (the CPU meters charge the whole CPU), so the "
        "bill may overcount; run one worker per machine for a bill you can add up"
        for host, found in sorted(pids.items())
        if host and len(found) > 1
    ]


def unbilled_notes(trials) -> list[str]:
    """Trials whose worker was killed before it could record their energy in the study."""
    return [
        f"trial {t.number} ended without recording its energy (its worker was killed): the "
        f"ledger's run {record['ledger_run_id']} holds it up to its last update, this "
        "bill does not"
        for t, record in ((t, record_of(t)) for t in trials)
        if "energy_j" not in record and record.get("ledger_run_id") is not None
    ]


def pruning_saving(trials, epochs: int) -> dict[str, Any]:
    """Pruned trials, the epochs they skipped, and the estimated joules that saved."""
    import optuna

    states = optuna.trial.TrialState
    records = [(t.state, record_of(t)) for t in trials]
    pruned = [r for state, r in records if state == states.PRUNED and "epochs_run" in r]
    skipped = sum(epochs - r["epochs_run"] for r in pruned)
    complete = [r for state, r in records if state == states.COMPLETE and "epochs_run" in r]
    epochs_done = sum(r["epochs_run"] for r in complete)
    per_epoch_j = (
        sum(r["training_energy_j"] for r in complete) / epochs_done if epochs_done else None
    )
    return {
        "pruned_trials": len(pruned),
        "epochs_skipped": skipped,
        "estimated_saved_j": None if per_epoch_j is None else per_epoch_j * skipped,
        "training_j_per_epoch": per_epoch_j,
        "method": SAVING_METHOD if per_epoch_j is not None else "no complete trial to scale from",
    }


def _kinds(sources: list[str]) -> list[str]:
    """ "cpu: estimated, tdp-utilisation: 12 W x 37 %" -> "cpu: estimated" (the figures vary)."""
    return [source.split(",")[0] for source in sources]


def _trial(trial, on_front: bool) -> dict[str, Any]:
    return {
        "number": trial.number,
        "state": trial.state.name.lower(),
        "pareto": on_front,
        "values": trial.values,
        "params": trial.params,
        **record_of(trial),
    }
