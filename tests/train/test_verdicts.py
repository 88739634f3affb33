"""Verdicts and their levers, training for sparsity, and a third network in the comparison."""

from __future__ import annotations

import json
import sys
from dataclasses import replace

import pytest
import torch

import greenspike as gs
from greenspike.errors import InvalidInputError
from greenspike.train import (
    CompareConfig,
    NetworkSpec,
    add_network,
    build_pair,
    compare,
    load_dataset,
)
from greenspike.train.comparison import runs_once
from greenspike.train.inference import COUNT_BATCH
from greenspike.train.levers import levers

QUICK = CompareConfig(epochs=3, limit=200, hidden=(32,), steps=4, deploy=())


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Small networks: one thread (two contend on a loaded machine, several times slower)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def quick(one_thread):
    """One plain comparison, with what its progress callbacks saw."""
    seen: list = []
    result = compare(
        QUICK,
        ledger=None,
        on_epoch=lambda record: seen.append(("epoch", record.network, record.epoch)),
        on_forecast=lambda forecast: seen.append(("forecast", forecast)),
    )
    return result, seen


@pytest.fixture
def built(monkeypatch):
    """The (relu, spiking) networks `compare` builds, trained in place by it."""
    compare_module = sys.modules["greenspike.train.comparison"]
    pairs = []

    def recording_build_pair(*args, **kwargs):
        pairs.append(build_pair(*args, **kwargs))
        return pairs[-1]

    monkeypatch.setattr(compare_module, "build_pair", recording_build_pair)
    return pairs


@pytest.mark.parametrize("encoding", ["direct", "rate"])
def test_verdict_levers_reproduce_equal_energies_in_the_cost_model(built, encoding):
    config = replace(QUICK, encoding=encoding, hardware=("cmos45-fp32", "cmos45-fp32-dram"))
    result = compare(config, ledger=None)
    ((_, spiking),) = built
    _, test = load_dataset("digits")
    torch.manual_seed(config.seed)
    report = gs.cost.count(spiking.eval(), test.images, batch_size=COUNT_BATCH)
    once = runs_once(report, config.spiking_spec)
    assert once == (("1",) if encoding == "direct" else ())
    assert [(v.network, v.spiking.deployment.name) for v in result.verdicts] == [
        ("spiking", "cmos45-fp32"),
        ("spiking", "cmos45-fp32-dram"),
    ]
    for verdict in result.verdicts:
        where = verdict.spiking.deployment
        relu_j = verdict.relu.energy_j
        found = verdict.levers
        assert found == levers(report, relu_j, where, once)  # fp32: the network as trained
        assert verdict.energy_ratio == pytest.approx(verdict.spiking.energy_j / relu_j)
        assert found.energy_at_rate(found.spike_rate) == pytest.approx(verdict.spiking.energy_j)
        assert found.energy_at_steps(found.steps) == pytest.approx(verdict.spiking.energy_j)
        rate, steps = found.rate, found.steps_break_even
        if rate.verdict == "below":  # plugged back into the cost model: the twin's energy
            at_rate = where.price(gs.cost.at_spike_rate(report, rate.spike_rate)).energy_j
            assert at_rate == pytest.approx(relu_j, rel=1e-9)
        elif rate.verdict == "never":
            assert found.silent_j >= relu_j
        else:
            assert found.energy_at_rate(1.0) <= relu_j
        if steps.verdict == "below":  # the line through the projected whole steps meets it
            assert found.energy_at_steps(steps.steps) == pytest.approx(relu_j, rel=1e-9)
            for whole in (1, 2, 3):
                priced = where.price(gs.cost.at_steps(report, whole, once)).energy_j
                assert priced == pytest.approx(found.energy_at_steps(whole), rel=1e-9)
            assert found.energy_at_steps(steps.most) < relu_j
            assert found.energy_at_steps(steps.most + 1) >= relu_j
        elif steps.verdict == "never":
            assert found.one_step_j >= relu_j


def test_levers_name_the_change_that_can_save_most():
    torch.manual_seed(0)
    relu, spiking = build_pair("mlp", (8, 8), 10, (24,), 6, "direct")
    images = torch.rand(32, 8, 8, generator=torch.Generator().manual_seed(1))
    report, relu_report = gs.cost.count(spiking, images), gs.cost.count(relu, images)
    for name in ("cmos45-fp32", "truenorth+host=cmos7-int8"):
        where = gs.cost.deployment(name)
        relu_j = gs.cost.deployment("cmos7-int8").price(relu_report).energy_j
        found = levers(report, relu_j, where, ("1",))
        best = {"spike rate": found.silent_j, "time steps": found.one_step_j}
        assert best[found.best] == min(best.values())
        data = json.loads(json.dumps(found.to_dict()))
        assert data["best"] == found.best
        assert data["break_even_steps"]["most"] == found.steps_break_even.most
    # TrueNorth's all-in figure is per synaptic event: silence is what pays there
    assert levers(report, relu_j, gs.cost.deployment("truenorth+host=cmos7-int8"), ("1",)).best == (
        "spike rate"
    )


def test_a_rate_penalty_makes_the_spiking_twin_fire_less(quick):
    plain, _ = quick
    sparse = compare(replace(QUICK, rate_penalty=2.0), ledger=None)
    assert sparse.networks["spiking"].spike_rate < 0.5 * plain.networks["spiking"].spike_rate
    assert sparse.networks["relu"].accuracy == plain.networks["relu"].accuracy  # untouched
    spec = sparse.to_dict()["networks"]["spiking"]["spec"]
    assert (spec["rate_penalty"], spec["target_rate"]) == (2.0, None)


def test_learned_decay_and_threshold_are_trained_and_recorded(built):
    result = compare(replace(QUICK, learn_beta=True, learn_threshold=True), ledger=None)
    ((_, spiking),) = built
    lif = next(m for m in spiking.modules() if isinstance(m, gs.snn.LIF))
    assert isinstance(lif.beta, torch.nn.Parameter) and isinstance(
        lif.threshold, torch.nn.Parameter
    )
    assert lif.beta.item() != pytest.approx(0.9, abs=1e-6)  # moved by training
    assert lif.threshold.item() != pytest.approx(1.0, abs=1e-6)
    networks = result.networks
    assert networks["spiking"].parameters == networks["relu"].parameters + 2
    assert networks["spiking"].spec.learn_beta and networks["spiking"].spec.learn_threshold


def test_results_record_each_network_spec_role_and_epochs(quick):
    result, _ = quick
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    relu, spiking = data["networks"]["relu"], data["networks"]["spiking"]
    assert relu["role"] == spiking["role"] == "twin"
    assert relu["spec"] == {"kind": "relu", "model": "mlp", "hidden": [32], "lr": 0.002}
    assert spiking["spec"]["kind"] == "spiking" and spiking["spec"]["steps"] == 4
    assert [e["epoch"] for e in spiking["epochs"]] == [0, 1, 2]
    elapsed = [e["elapsed_s"] for e in spiking["epochs"]]
    assert elapsed == sorted(elapsed) and elapsed[-1] <= spiking["train_time_s"]
    assert len(data["verdicts"]) == len(QUICK.hardware)
    assert result.spiking_networks == ("spiking",)


def test_progress_callbacks_see_every_epoch_and_a_forecast_first(quick):
    _, seen = quick
    kind, forecast = seen[0]
    assert kind == "forecast"
    assert set(forecast.seconds) == {"relu", "spiking"}
    assert forecast.batches == 4 and forecast.epochs == 3  # ceil(200 / 64), 3 epochs
    for name, seconds in forecast.seconds.items():
        assert seconds == pytest.approx(forecast.seconds_per_batch[name] * 4 * 3)
    assert seen[1:] == [("epoch", n, e) for n in ("relu", "spiking") for e in range(3)]


def test_add_network_trains_a_third_spiking_network_like_the_twins(ledger_url):
    result = compare(QUICK, ledger=ledger_url)
    spec = NetworkSpec("spiking", "mlp", (16,), 2e-3, steps=2, encoding="rate", beta=0.8,
                       threshold=0.7, rate_penalty=0.5)  # fmt: skip
    grown = add_network(result, "sparse", spec, "optimized", ledger=ledger_url)
    assert list(grown.networks) == ["relu", "spiking", "sparse"]
    sparse = grown.networks["sparse"]
    assert (sparse.role, sparse.spec, sparse.status) == ("optimized", spec, "finished")
    assert sparse.optimizer_steps == result.networks["spiking"].optimizer_steps  # same budget
    assert set(sparse.inference.energy) == set(QUICK.hardware)
    assert grown.spiking_networks == ("spiking", "sparse")
    assert [v.network for v in grown.verdicts] == ["spiking"] * 3 + ["sparse"] * 3
    for verdict in grown.verdicts[3:]:
        assert verdict.relu is grown.networks["relu"].inference.energy[verdict.relu.deployment.name]
    run = gs.ledger.Ledger(ledger_url).run(sparse.run_id)
    assert run.tags == {"compare": result.group, "network": "sparse"}
    with pytest.raises(InvalidInputError, match="already has a network named 'spiking'"):
        add_network(result, "spiking", spec, "optimized", ledger=None)
    with pytest.raises(InvalidInputError, match="takes a spiking network"):
        add_network(result, "other", result.networks["relu"].spec, "optimized", ledger=None)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"beta": 0.0}, "`beta` (decay per step) must be in (0, 1]"),
        ({"threshold": -1.0}, "`threshold` must be a number > 0"),
        ({"rate_penalty": -0.5}, "rate penalty weight must be a number >= 0"),
        ({"target_rate": 0.1}, "a target rate (0.1) needs the weight of its penalty"),
        ({"rate_penalty": 1.0, "target_rate": 1.5}, "`target_rate` must be spikes per neuron"),
    ],
)
def test_bad_spiking_knobs_are_refused_naming_them(changes, message):
    with pytest.raises(InvalidInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        replace(QUICK, **changes).check()


def test_break_even_steps_verdicts_read_never_below_and_always():
    from greenspike.train.levers import StepsBreakEven

    assert StepsBreakEven(0.7, "never").most == 0
    assert StepsBreakEven(3.0, "below").most == 2  # at 3 steps it costs the same: not less
    assert StepsBreakEven(3.4, "below").most == 3
    assert StepsBreakEven(None, "always").most is None
