"""The ledger keeps runs, components with provenance, tags, metrics, and reads them back:
against SQLite and PostgreSQL alike."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greenspike.energy.measurement import WindowReport
from greenspike.energy.metric import Metric
from greenspike.ledger import Ledger


def start(ledger: Ledger, name: str | None = "run", start_unix_s: float = 1.7e9, **options) -> int:
    return ledger.start_run(name=name, start_unix_s=start_unix_s, interval_s=1.0, **options)


def test_a_run_is_kept_from_start_to_end(ledger, make_report):
    run_id = start(
        ledger,
        "train",
        command="python train.py",
        tags={"group": "g"},
        metadata={"lr": 0.1, "layers": [2, 3]},
        rank=1,
        world_size=4,
    )
    run = ledger.run(run_id)
    assert (run.status, run.energy_j, run.components, run.report) == ("running", 0.0, (), None)
    assert (run.rank, run.world_size, run.command) == (1, 4, "python train.py")
    assert run.metadata == {"lr": 0.1, "layers": [2, 3]} and run.tags == {"group": "g"}
    assert not run.stale  # this very process is alive

    assert ledger.record(run_id, make_report("train", "running", cpu_j=4.0, ram_j=1.0))
    assert ledger.run(run_id).energy_j == 5.0
    window = WindowReport("epoch-0", "finished", 1.7e9, 1.7e9 + 1, 1.0, ())
    final = make_report("train", "finished", cpu_j=10.0, ram_j=2.0, windows=(window,))
    assert ledger.record(run_id, final)
    run = ledger.run(run_id)
    assert run.status == "finished" and run.end_unix_s == final.end_unix_s
    assert (run.energy_j, run.measured_energy_j, run.estimated_energy_j) == (12.0, 10.0, 2.0)
    assert math.isclose(run.co2e_g, final.co2e_g)
    assert run.provenance == "measured+estimated"
    assert {(c.name, c.provenance, c.source) for c in run.components} == {
        ("cpu:package-0", "measured", "rapl:package-0"),
        ("ram", "estimated", "memory-model: 0.37 W/GB x 2 GB"),
    }
    assert run.report == final
    assert [s.energy_j for s in ledger.samples(run_id) if s.component == "ram"] == [1.0, 2.0]


def test_a_finished_run_never_goes_back_to_running(ledger, make_report):
    run_id = start(ledger)
    ledger.record(run_id, make_report(status="interrupted", cpu_j=3.0))
    assert not ledger.record(run_id, make_report(status="running", cpu_j=99.0))
    run = ledger.run(run_id)
    assert (run.status, run.measured_energy_j) == ("interrupted", 3.0)


def test_metrics_and_tags(ledger):
    run_id = start(ledger, tags={"group": "a"})
    ledger.log_metrics(run_id, {"accuracy": 0.5, "loss": 2}, step=0)
    ledger.log_metrics(run_id, {"accuracy": 0.75}, step=1)
    ledger.log_metrics(run_id, [Metric("energy_per_inference_j", 1e-6, None, 1.7e9)])
    ledger.set_tags(run_id, {"group": "b", "model": "snn"})
    run = ledger.run(run_id)
    assert [(m.name, m.value, m.step) for m in run.metrics] == [
        ("accuracy", 0.5, 0),
        ("loss", 2.0, 0),
        ("accuracy", 0.75, 1),
        ("energy_per_inference_j", 1e-6, None),
    ]
    assert run.last_metric("accuracy") == 0.75 and run.last_metric("f1") is None
    assert run.tags == {"group": "b", "model": "snn"}


@pytest.mark.parametrize(
    ("metrics", "step", "message"),
    [
        ({"loss": float("nan")}, None, "metric 'loss' must be a finite number, got nan"),
        ({"acc": "high"}, None, "metric 'acc' must be a finite number, got 'high'"),
        ({"": 1.0}, None, "a metric needs a non-empty name"),
        ({"acc": 1.0}, -1, "step must be an integer from 0 to 2147483647 or None, got -1"),
    ],
)
def test_bad_metrics_are_refused(ledger, metrics, step, message):
    run_id = start(ledger)
    with pytest.raises(ValueError, match=message):
        ledger.log_metrics(run_id, metrics, step=step)
    assert ledger.run(run_id).metrics == ()


def test_unknown_runs_and_bad_input_are_clear_errors(ledger, make_report):
    with pytest.raises(ValueError, match="no run 42 in the ledger"):
        ledger.run(42)
    with pytest.raises(ValueError, match="no run 42"):
        ledger.record(42, make_report())
    with pytest.raises(ValueError, match="no run 42"):
        ledger.log_metrics(42, {"a": 1.0})
    with pytest.raises(ValueError, match="metadata must be JSON-serialisable"):
        start(ledger, metadata={"model": object()})
    with pytest.raises(ValueError, match="tag 'group' needs a value"):
        start(ledger, tags={"group": None})
    with pytest.raises(ValueError, match="unknown status 'done'; valid: running, finished"):
        ledger.runs(status="done")


def test_runs_are_filtered_by_name_tag_status_and_date(ledger, make_report):
    a = start(ledger, "mnist 100%_snn", start_unix_s=100.0, tags={"group": "x", "model": "snn"})
    b = start(ledger, "MNIST ann", start_unix_s=200.0, tags={"group": "x", "model": "ann"})
    c = start(ledger, "cifar", start_unix_s=300.0, tags={"group": "y"})
    ledger.record(a, make_report(status="finished"))
    ledger.record(b, make_report(status="failed"))

    def ids(**query):
        return [run.id for run in ledger.runs(**query)]

    assert ids() == [c, b, a]  # newest first
    assert ids(name="mnist") == [b, a]
    assert ids(name="100%_") == [a] and ids(name="0%") == [a] and ids(name="_s") == [a]
    assert ids(tags={"group": "x"}) == [b, a]
    assert ids(tags={"group": "x", "model": "ann"}) == [b]
    assert ids(status="failed") == [b] and ids(status="running") == [c]
    assert ids(status="stale") == []
    assert ids(since_unix_s=200.0) == [c, b] and ids(until_unix_s=200.0) == [a]
    assert ids(limit=1) == [c]
    ledger.delete_run(b)
    assert ids() == [c, a]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=30),
    tag=st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1),
    value=st.floats(allow_nan=False, allow_infinity=False),
)
def test_any_name_tag_and_metric_reads_back_exactly(name, tag, value):
    with tempfile.TemporaryDirectory() as folder, Ledger(Path(folder) / "l.db") as ledger:
        if not tag.strip():
            with pytest.raises(ValueError, match="a tag needs a non-empty name"):
                start(ledger, name, tags={tag: name})
            return
        run_id = start(ledger, name, tags={tag: name})
        ledger.log_metrics(run_id, {tag: value}, step=3)
        run = ledger.run(run_id)
        assert run.name == name and run.tags == {tag: name}
        assert [(m.name, m.value, m.step) for m in run.metrics] == [(tag, value, 3)]
        assert [r.id for r in ledger.runs(name=name)] == [run_id]
        assert [r.id for r in ledger.runs(tags={tag: name})] == [run_id]
