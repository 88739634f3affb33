"""`compare --optimize`: the search for the cheapest spiking network, the choice, the network."""

from __future__ import annotations

import json

import pytest
import torch

from greenspike.errors import InvalidInputError
from greenspike.ledger import Ledger
from greenspike.search import OptimizeConfig, optimize
from greenspike.search.optimization import choose, spec_of
from greenspike.search.records import TrialRecord
from greenspike.train import CompareConfig, compare

SLICE = CompareConfig(epochs=2, limit=160, hidden=(16,), steps=3, deploy=())


def _trial(number: int, state: str, accuracy: float, energy: float) -> TrialRecord:
    values = (accuracy, energy) if state == "complete" else None
    return TrialRecord(number, state, False, values, {})  # type: ignore[arg-type]


def test_choose_the_cheapest_within_the_drop_else_the_closest():
    trials = (
        _trial(0, "complete", 0.95, 5e-9),
        _trial(1, "complete", 0.90, 1e-9),  # cheapest, but 5 points below
        _trial(2, "complete", 0.94, 3e-9),  # cheapest within 1 point of 0.95
        _trial(3, "pruned", 0.99, 0.0),
        _trial(4, "complete", 0.951, 9e-9),
    )
    assert choose(trials, 0.95, 1.0) == (trials[2], True)
    assert choose(trials, 0.95, 0.0) == (trials[0], True)  # 0.95 itself, cheaper than 0.951
    closest, within = choose(trials, 0.99, 1.0)  # none within: the most accurate
    assert (closest.number, within) == (4, False)
    assert choose((trials[3],), 0.9, 1.0) == (None, False)


@pytest.mark.parametrize(
    ("config", "compare_config", "message"),
    [
        (OptimizeConfig(max_drop=-1), SLICE, "`max_drop` must be accuracy points"),
        (OptimizeConfig(trials=0), SLICE, "`trials` must be an integer >= 1"),
        (OptimizeConfig(epochs=0), SLICE, "optimize epochs must be an integer >= 1"),
        (OptimizeConfig(target="loihi"), SLICE, "has no figure for multiply-accumulates"),
        (OptimizeConfig(target="tpu"), SLICE, "unknown hardware profile 'tpu'"),
        (OptimizeConfig(energy_budget_kj=-1), SLICE, "`energy_budget_kj` must be a number"),
        (
            OptimizeConfig(),
            CompareConfig(dataset="shd", data_dir="."),
            "searches image data sets, not the event data set 'shd'",
        ),
    ],
)
def test_bad_optimize_settings_are_refused_before_any_training(config, compare_config, message):
    with pytest.raises(InvalidInputError, match=message):
        config.check(compare_config)


@pytest.mark.slow
def test_optimize_on_a_slice_records_every_trial_and_adds_the_chosen_network(tmp_path, ledger_url):
    torch.set_num_threads(1)
    result = compare(SLICE, ledger=ledger_url)
    seen = []
    optimization = optimize(
        result,
        OptimizeConfig(trials=4),
        out=str(tmp_path),
        ledger=ledger_url,
        on_trial=seen.append,
    )
    search = optimization.search
    assert search.stopped_by == "4 trials reached"
    assert [t.number for t in search.trials] == [0, 1, 2, 3] == [t.number for t in seen]
    assert optimization.reference.test_accuracy == (
        result.networks["relu"].inference.energy["cmos45-int8"].accuracy
    )
    for trial in search.trials:  # the twin's depth, model, lr; no wider, no more steps
        assert trial.params["network"] == "spiking" and trial.params["depth"] == 1
        assert trial.params["lr"] == SLICE.lr and 1 <= trial.params["steps"] <= SLICE.steps
        assert 1 <= trial.params["width"] <= 16 and trial.params["rate_penalty"] > 0
    chosen = optimization.chosen
    assert chosen is not None and chosen.state == "complete"
    assert (chosen, optimization.within_max_drop) == choose(
        search.trials, optimization.reference.validation_accuracy, 1.0
    )
    grown = optimization.result
    assert list(grown.networks) == ["relu", "spiking", "optimized"]
    optimized = grown.networks["optimized"]
    assert optimized.role == "optimized" and optimized.spec == spec_of(chosen, SLICE)
    assert optimized.status == "finished" and optimized.optimizer_steps == 2 * 3  # 160 / 64
    assert [v.network for v in grown.verdicts].count("optimized") == len(SLICE.hardware)
    data = json.loads(json.dumps(optimization.to_dict(), allow_nan=False))
    written = data["optimization"]
    assert [t["number"] for t in written["trials"]] == [0, 1, 2, 3]
    assert written["chosen_trial"] == chosen.number and written["network"] == "optimized"
    assert written["energy"]["energy_j"] == pytest.approx(
        sum(t["energy_j"] for t in written["trials"])
    )
    assert written["reference"]["energy_j"] > 0
    assert data["networks"]["optimized"]["spec"]["steps"] == chosen.params["steps"]
    ledger = Ledger(ledger_url)
    trials = ledger.runs(tags={"search": f"compare-{result.group}"})
    assert len(trials) == 5  # four trials and the ReLU reference, each a run of its own
    (kept,) = ledger.runs(tags={"compare": result.group, "network": "optimized"})
    assert kept.id == optimized.run_id and kept.status == "finished"
    shape = "-".join(map(str, optimized.spec.hidden))  # named by its own shape, not the twins'
    assert kept.name == f"{optimized.spec.model}-{shape} {SLICE.dataset} optimized"


def test_search_cli_searches_the_penalty_and_learns_neurons(cli, tmp_path):
    result = cli(
        "search", "--networks", "spiking", "--trials", "2", "--epochs", "1", "--limit", "120",
        "--rate-penalty", "0.01,1", "--learn-threshold", "--out", str(tmp_path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "results.json").read_text())
    for trial in written["trials"]:
        assert 0.01 <= trial["params"]["rate_penalty"] <= 1
    runs = Ledger().runs(tags={"search": "greenspike-search"})
    assert all(run.metadata["candidate"]["learn_threshold"] for run in runs)
    bad = cli("search", "--rate-penalty", "1", "--out", str(tmp_path))
    assert bad.exit_code == 2 and "--rate-penalty takes LOW,HIGH" in bad.output
    bad = cli("search", "--rate-penalty", "0,1", "--out", str(tmp_path))
    assert bad.exit_code == 2 and "rate penalty range must be" in " ".join(bad.output.split())


def test_search_cli_searches_the_weight_of_a_target_rate_penalty(cli, tmp_path, monkeypatch):
    from greenspike.search import _trial
    from greenspike.snn import RatePenalty

    built: list[RatePenalty] = []

    def recorded(weight: float, target_rate: float | None = None) -> RatePenalty:
        built.append(RatePenalty(weight, target_rate))
        return built[-1]

    monkeypatch.setattr(_trial, "RatePenalty", recorded)
    result = cli(
        "search", "--networks", "spiking", "--trials", "2", "--epochs", "1", "--limit", "120",
        "--rate-penalty", "0.01,1", "--target-rate", "0.05", "--out", str(tmp_path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(built) == 2 and all(p.target_rate == 0.05 for p in built)
    assert all(0.01 <= p.weight <= 1 for p in built)
    runs = Ledger().runs(tags={"search": "greenspike-search"})
    assert [run.metadata["candidate"]["target_rate"] for run in runs] == [0.05, 0.05]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--target-rate", "0.05"), "a target rate needs a rate penalty range"),
        (("--rate-penalty", "0.01,1", "--target-rate", "1.5"), "--target-rate must be"),
    ],
)
def test_search_cli_refuses_a_target_rate_it_cannot_use(cli, tmp_path, args, message):
    bad = cli("search", *args, "--out", str(tmp_path))
    assert bad.exit_code == 2 and message in " ".join(bad.output.split())
