"""Issue 21 item 9: one rule for SQLite and PostgreSQL. What PostgreSQL would refuse (NUL in a
text, names over 255 characters, steps of 2**31 and more) is refused at the API, with a clear
error, before anything is written, against both databases."""

from __future__ import annotations

import pytest

from greenspike.errors import InvalidInputError


def _start(ledger, **options):
    return ledger.start_run(start_unix_s=1.7e9, interval_s=1.0, **options)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"name": "a\x00b"}, "the run's name must not contain a NUL"),
        ({"name": "r", "tags": {"k": "a\x00b"}}, "tag 'k' must not contain a NUL"),
        ({"name": "r", "tags": {"k" * 256: "v"}}, "a tag's name must be at most 255"),
        ({"name": "r", "command": "x\x00"}, "the run's command must not contain a NUL"),
    ],
)
def test_a_run_postgresql_would_refuse_is_refused_everywhere(ledger, options, message):
    with pytest.raises(InvalidInputError, match=message):
        _start(ledger, **options)
    assert ledger.runs() == []


@pytest.mark.parametrize(
    ("metrics", "step", "message"),
    [
        ({"m" * 256: 1.0}, None, "a metric's name must be at most 255"),
        ({"a\x00": 1.0}, None, "a metric's name must not contain a NUL"),
        ({"acc": 1.0}, 2**31, "step must be an integer from 0 to 2147483647"),
    ],
)
def test_a_metric_postgresql_would_refuse_is_refused_everywhere(ledger, metrics, step, message):
    run_id = _start(ledger, name="r")
    with pytest.raises(InvalidInputError, match=message):
        ledger.log_metrics(run_id, metrics, step=step)
    ledger.log_metrics(run_id, {"m" * 255: 1.0}, step=2**31 - 1)  # the limits themselves
    assert [(m.name, m.step) for m in ledger.run(run_id).metrics] == [("m" * 255, 2**31 - 1)]
