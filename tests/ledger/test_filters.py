"""Ledger filters beyond equality: tag keys, name globs, conditions on a metric's last value."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greenspike.ledger import Ledger
from greenspike.ledger.filters import MetricCondition, metric_condition, name_like

NAMES = ["mlp-128 digits relu", "mlp-128 digits spiking", "cnn-16-32 mnist spiking", "50%_off"]


@pytest.fixture
def ledger_with_runs(ledger) -> Ledger:
    for index, name in enumerate(NAMES):
        run_id = ledger.start_run(
            name=name,
            start_unix_s=1.7e9 + index,
            interval_s=1.0,
            tags={"compare": "g1"} if "digits" in name else {"search": "s"},
        )
        ledger.log_metrics(run_id, {"accuracy": 0.5 + index / 10}, step=0)
        ledger.log_metrics(run_id, {"accuracy": 0.9 + index / 100}, step=1)
    return ledger


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"name": "SPIKING"}, {NAMES[1], NAMES[2]}),
        ({"name": "mlp-*relu"}, {NAMES[0]}),
        ({"name": "*spiking"}, {NAMES[1], NAMES[2]}),
        ({"name": "mlp-12?"}, set()),  # a glob matches whole names
        ({"name": "50%"}, {NAMES[3]}),  # % and _ are not wildcards
        ({"name": "_off"}, {NAMES[3]}),
        ({"tag_keys": ["compare"]}, {NAMES[0], NAMES[1]}),
        ({"tag_keys": ["compare", "search"]}, set()),
        ({"where": [metric_condition("accuracy>=0.92")]}, {NAMES[2], NAMES[3]}),
        ({"where": [metric_condition("accuracy<0.7")]}, set()),  # the last value counts
        ({"where": [metric_condition("loss<1")]}, set()),  # never logged: no match
        ({"where": [metric_condition("accuracy>0.9")], "limit": 1}, {NAMES[3]}),  # newest
    ],
)
def test_filters(ledger_with_runs, kwargs, expected):
    assert {run.name for run in ledger_with_runs.runs(**kwargs)} == expected


@pytest.mark.parametrize(
    ("text", "condition"),
    [
        ("accuracy>=0.95", MetricCondition("accuracy", ">=", 0.95)),
        (" loss < 1e-3 ", MetricCondition("loss", "<", 1e-3)),
        (
            "energy_per_inference_j:loihi!=0",
            MetricCondition("energy_per_inference_j:loihi", "!=", 0),
        ),
        ("epochs==20", MetricCondition("epochs", "=", 20.0)),
    ],
)
def test_conditions_are_read_from_text(text, condition):
    assert metric_condition(text) == condition


@pytest.mark.parametrize(
    "bad", ["accuracy", "accuracy>", ">0.5", "accuracy>=high", "a>nan", "a=>1"]
)
def test_bad_conditions_are_clear_errors(bad):
    with pytest.raises(ValueError, match="a metric condition is NAME OP NUMBER"):
        metric_condition(bad)


names = st.text(
    st.characters(whitelist_categories=("Ll", "Nd"), whitelist_characters="_:-"), min_size=1
)


@given(names, st.sampled_from(["<", "<=", ">", ">=", "=", "!="]), st.floats(-1e6, 1e6))
def test_a_condition_survives_its_text_and_holds_as_python_compares(name, op, value):
    condition = MetricCondition(name, op, value)  # type: ignore[arg-type]
    assert metric_condition(f"{name}{op}{value!r}") == condition
    compare = {"<": float.__lt__, "<=": float.__le__, ">": float.__gt__, ">=": float.__ge__,
               "=": float.__eq__, "!=": float.__ne__}[op]  # fmt: skip
    for last in (value - 1, value, value + 1):
        assert condition.holds(last) == compare(float(last), value)
    assert not condition.holds(None)


def test_like_patterns():
    assert name_like("relu") == "%relu%"
    assert name_like("mlp-*relu") == "mlp-%relu"
    assert name_like("a_b?") == "a\\_b_"


metric_logs = st.lists(
    st.tuples(
        st.one_of(st.none(), st.integers(0, 3)),  # step
        st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]),  # value
        st.integers(0, 2),  # unix_s offset: ties happen
    ),
    max_size=6,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(metric_logs, min_size=1, max_size=5), st.sampled_from(["<", ">=", "=", "!="]))
def test_sql_filters_on_the_value_last_metric_calls_last(tmp_path, runs, op):
    from greenspike.energy.metric import Metric

    with Ledger(tmp_path / f"l{abs(hash(str(runs)))}.db") as ledger:
        ids = []
        for logs in runs:
            run_id = ledger.start_run(name="r", start_unix_s=1.7e9, interval_s=1.0)
            ledger.log_metrics(run_id, [Metric("acc", v, s, 1.7e9 + t) for s, v, t in logs])
            ids.append(run_id)
        condition = MetricCondition("acc", op, 0.5)  # type: ignore[arg-type]
        found = {run.id for run in ledger.runs(where=[condition])}
        expected = {run.id for run in ledger.runs() if condition.holds(run.last_metric("acc"))}
        assert found == expected
