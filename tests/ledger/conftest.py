"""Ledgers to test against: SQLite in a temporary folder, and PostgreSQL (the `postgres_url`
fixture of tests/conftest.py, shared with the search tests)."""

from __future__ import annotations

import pytest


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def any_url(request) -> str:
    """Each test using it runs once against SQLite and once against PostgreSQL."""
    return request.getfixturevalue(f"{request.param.removesuffix('ql')}_url")


@pytest.fixture
def ledger(any_url):
    from greenspike.ledger import Ledger

    with Ledger(any_url) as opened:
        yield opened
