"""greenspike.search and `greenspike search`: a study end to end, pruning, budgets, resuming."""

from __future__ import annotations

import json

import pytest

from greenspike.ledger import Ledger
from greenspike.search import SearchConfig, SearchSpace, search
from greenspike.search._study import open_study, storage_url

GOOD = {"network": "relu", "model": "mlp", "depth": 1, "width": 64, "lr": 0.02}
POOR = {"network": "relu", "model": "mlp", "depth": 1, "width": 8, "lr": 0.001}


def quick(tmp_path, **change) -> SearchConfig:
    """A study small enough for the tests: 120 digits, 1 epoch, 3 trials."""
    settings = {"trials": 3, "epochs": 1, "limit": 120, "out": str(tmp_path), "batch_size": 32}
    return SearchConfig(**{**settings, **change})


def enqueue(config: SearchConfig, *params: dict) -> None:
    """Fix the candidates of the first trials (Optuna's enqueue_trial)."""
    study = open_study(config, storage_url(config))
    for point in params:
        study.enqueue_trial(point)


def test_small_study_on_digits_end_to_end(tmp_path, ledger_url):
    config = quick(
        tmp_path,
        objectives=("accuracy", "inference-energy", "training-energy"),
        hardware=("cmos45-fp32", "loihi"),
        space=SearchSpace(max_depth=1, steps=(2, 3)),
    )
    seen = []
    result = search(config, on_trial=seen.append).to_dict()
    assert result["stopped_by"] == "3 trials reached"
    assert [t["number"] for t in result["trials"]] == [0, 1, 2]
    assert [t.number for t in seen] == [0, 1, 2]
    assert result["counts"]["complete"] == 3  # one epoch: nothing to prune
    bill = result["energy"]
    assert bill["energy_j"] == pytest.approx(sum(t["energy_j"] for t in result["trials"]))
    assert bill["energy_j"] == pytest.approx(bill["measured_energy_j"] + bill["estimated_energy_j"])
    assert bill["kwh"] == pytest.approx(bill["energy_j"] / 3.6e6)
    assert bill["sources"]  # every joule says where it comes from
    assert result["notes"] == []  # one worker: no overlapping figures
    for trial in result["trials"]:
        accuracy, inference_j, training_j = trial["values"]
        assert accuracy == trial["accuracy_curve"][-1]
        assert 0 <= accuracy <= 1 and 0 <= trial["test_accuracy"] <= 1
        assert 0 < training_j == trial["training_energy_j"] <= trial["energy_j"]
        assert trial["energy_sources"] and trial["energy_status"] == "finished"
        cmos, loihi = trial["inference_energy"]["cmos45-fp32"], trial["inference_energy"]["loihi"]
        assert 0 < inference_j == trial["inference_energy_j"] == cmos["energy_j"]
        assert "Horowitz" in cmos["provenance"]
        if trial["params"]["network"] == "relu":  # Loihi has no MAC figure: no partial sum
            assert loihi["energy_j"] is None and loihi["unpriced"]
    front = [t for t in result["trials"] if t["pareto"]]
    assert front and {t["number"] for t in front} == set(result["pareto"])
    for t in result["trials"]:  # no trial dominates one on the front
        for f in front:
            better = [
                t["values"][0] > f["values"][0],
                *(a < b for a, b in zip(t["values"][1:], f["values"][1:], strict=True)),
            ]
            no_worse = [
                t["values"][0] >= f["values"][0],
                *(a <= b for a, b in zip(t["values"][1:], f["values"][1:], strict=True)),
            ]
            assert not (all(no_worse) and any(better))
    json.dumps(result)
    with Ledger(ledger_url) as ledger:  # every trial is a run in the ledger
        runs = {run.id: run for run in ledger.runs(tags={"search": "greenspike-search"})}
    assert sorted(runs) == sorted(t["ledger_run_id"] for t in result["trials"])
    for trial in result["trials"]:
        run = runs[trial["ledger_run_id"]]
        assert run.energy_j == pytest.approx(trial["energy_j"])
        assert run.tags["network"] == trial["params"]["network"]
        assert run.last_metric("accuracy") == trial["accuracy_curve"][-1]
        assert run.last_metric("inference_energy_j") == trial["inference_energy_j"]


def test_pruning_stops_a_trial_below_the_median(tmp_path):
    config = quick(tmp_path, trials=2, epochs=3, startup_trials=1)
    enqueue(config, GOOD, POOR)
    result = search(config).to_dict()
    good, poor = result["trials"]
    assert good["state"] == "complete" and good["epochs_run"] == 3
    assert poor["state"] == "pruned"
    assert poor["epochs_run"] == 1 and poor["accuracy_curve"][0] < good["accuracy_curve"][0]
    assert poor["energy_j"] > 0  # a pruned trial's energy is on the bill
    pruning = result["pruning"]
    assert (pruning["pruned_trials"], pruning["epochs_skipped"]) == (1, 2)
    per_epoch = good["training_energy_j"] / 3
    assert pruning["estimated_saved_j"] == pytest.approx(2 * per_epoch)
    assert pruning["method"].startswith("estimate")


def test_without_pruning_every_trial_runs_all_epochs(tmp_path):
    config = quick(tmp_path, trials=2, epochs=2, startup_trials=1, prune=False)
    enqueue(config, GOOD, POOR)
    result = search(config).to_dict()
    assert [t["epochs_run"] for t in result["trials"]] == [2, 2]


def test_energy_budget_stops_the_study(tmp_path):
    result = search(quick(tmp_path, trials=10, energy_budget_kj=1e-6)).to_dict()  # 1 mJ
    assert result["stopped_by"] == "energy budget of 1e-06 kJ reached"
    assert len(result["trials"]) == 1
    assert result["energy"]["energy_j"] >= 1e-3


def test_time_budget_stops_the_study(tmp_path):
    result = search(quick(tmp_path, trials=10, time_budget_min=1e-4)).to_dict()
    assert result["stopped_by"] == "time budget of 0.0001 min reached"
    assert len(result["trials"]) == 1


def test_ctrl_c_fails_the_trial_keeps_its_energy_and_the_study_resumes(tmp_path, monkeypatch):
    import greenspike.search._trial as trial_module

    real_fit = trial_module.fit

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(trial_module, "fit", interrupted)
    first = search(quick(tmp_path)).to_dict()
    assert first["stopped_by"] == "interrupted"
    (trial,) = first["trials"]
    assert trial["state"] == "fail"
    assert trial["energy_status"] == "interrupted" and trial["energy_j"] > 0

    monkeypatch.setattr(trial_module, "fit", real_fit)
    again = search(quick(tmp_path)).to_dict()
    states = [t["state"] for t in again["trials"]]
    assert states == ["fail", "complete", "complete", "complete"]  # the failed one is replaced
    assert again["energy"]["energy_j"] > trial["energy_j"]  # its energy still on the bill


def test_resuming_with_other_objectives_is_refused(tmp_path):
    search(quick(tmp_path, trials=1))
    with pytest.raises(ValueError, match="searches accuracy,inference-energy, not accuracy"):
        search(quick(tmp_path, trials=2, objectives=("accuracy",)))


def test_single_objective_study_has_one_best_trial(tmp_path):
    result = search(quick(tmp_path, trials=2, objectives=("accuracy",))).to_dict()
    (best,) = result["pareto"]
    assert result["trials"][best]["values"][0] == max(t["values"][0] for t in result["trials"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"objectives": ("accuracy", "speed")}, "unknown objective 'speed'"),
        ({"objectives": ()}, "give at least one objective"),
        ({"workers": 0}, "`workers` must be an integer >= 1, got 0"),
        ({"trials": 0}, "`trials` must be an integer >= 1, got 0"),
        ({"energy_budget_kj": -1.0}, "`energy_budget_kj` must be a number of kJ > 0, got -1.0"),
        ({"time_budget_min": 0.0}, "`time_budget_min` must be a number of min > 0"),
        ({"sampler": "grid"}, "unknown `sampler` 'grid': use one of tpe, nsga2"),
        ({"validation": 1.0}, "`validation` must be a fraction in"),
        ({"space": SearchSpace(networks=("lstm",))}, "unknown network 'lstm'"),
        ({"space": SearchSpace(lr=(0.1, 0.01))}, "learning rate range must be low <= high"),
        ({"space": SearchSpace(beta=(0.5, 1.5))}, "beta range must be"),
        ({"storage": "nosuchdb://x"}, "bad --storage 'nosuchdb://x'"),
        ({"storage": "postgresql+nosuchdriver://u:secret@h/db"}, r"bad --storage .*u:\*\*\*@h"),
        ({"dataset": "cifar"}, "unknown dataset 'cifar'"),
        ({"dataset": "nmnist"}, "nmnist needs --data-dir"),
        (
            {"dataset": "shd", "space": SearchSpace(models=("cnn",))},
            "shd frames are 1-D .* search `models` mlp only",
        ),
        ({"space": SearchSpace(encodings=("events",))}, "encoding 'events' comes with the event"),
        ({"device": "tpu"}, "unknown `device` 'tpu'"),
        ({"steps": 0}, "`steps` must be an integer >= 1"),
        ({"pue": 0.5}, "PUE must be a finite number >= 1"),
        ({"country": "FRA", "intensity_g_per_kwh": 50.0}, "not both"),
        (
            {"space": SearchSpace(models=("cnn",), max_depth=4)},
            "max depth 4 is too deep for a cnn on 8x8 images .* use at most 3",
        ),
        ({"hardware": ("tpu-v9",)}, "unknown hardware profile 'tpu-v9'"),
        ({"hardware": ("loihi",)}, "'loihi', which has no figure for multiply-accumulates"),
    ],
)
def test_bad_settings_are_clear_value_errors(tmp_path, change, message):
    with pytest.raises(ValueError, match=message):
        search(quick(tmp_path, **change))


def test_cli_prints_the_front_and_writes_results_and_plot(cli, tmp_path):
    result = cli(
        "search", "--trials", "2", "--epochs", "1", "--limit", "120", "--max-depth", "1",
        "--networks", "relu", "--country", "FRA", "--out", str(tmp_path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Pareto front of greenspike-search" in result.output
    assert "Search cost:" in result.output and "g CO2e" in result.output
    assert "µJ/inf.: estimated on cmos45-fp32 by greenspike.cost" in " ".join(result.output.split())
    written = json.loads((tmp_path / "results.json").read_text())
    assert written["counts"]["complete"] == 2
    for trial in written["trials"]:  # one line per trial as it ends, with its energy
        accuracy, energy = trial["accuracy_curve"][-1], trial["energy_j"]
        line = f"trial {trial['number']}: complete, relu, validation accuracy {accuracy:.1%}, "
        assert line + f"{energy:.3g} J" in result.output
    assert written["energy"]["co2e_g"] > 0
    assert (tmp_path / "pareto.png").read_bytes().startswith(b"\x89PNG")
    html = (tmp_path / "report.html").read_text()
    assert "<h2>Pareto front</h2>" in html and "search greenspike-search trial 1" in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--objectives", "accuracy,speed"], "unknown objective 'speed'"),
        (["--workers", "0"], "--workers must be an integer >= 1"),
        (["--energy-budget-kj", "-2"], "--energy-budget-kj must be a number of kJ > 0"),
        (["--device", "tpu"], "unknown --device 'tpu': use one of cpu, cuda"),
        (["--steps", "0", "--dataset", "nmnist"], "--steps must be an integer >= 1"),
        (["--country", "Atlantis"], "unknown country or region 'Atlantis'"),
        (["--pue", "0.5"], "PUE must be a finite number >= 1"),
        (["--limit", "1"], "--limit must be >= 2 train images"),
        (["--networks", "relu,lstm"], "unknown network 'lstm'"),
        (["--models", "rnn"], "unknown model 'rnn'"),
        (["--storage", "nosuchdb://x"], "bad --storage"),
    ],
)
def test_cli_bad_arguments(cli, tmp_path, args, message):
    result = cli("search", "--out", str(tmp_path), *args)
    assert result.exit_code == 2
    assert message in result.output
