"""Parsing shared by several commands."""

from __future__ import annotations

import typer

from greenspike.errors import InvalidInputError

LEDGER_OPTION = typer.Option(
    None,
    "--ledger",
    help="The run ledger: a file path, sqlite:///PATH or postgresql://... "
    "(default: $GREENSPIKE_LEDGER, else ~/.greenspike/ledger.db).",
)


def number_or_name(text: str | None) -> float | str | None:
    """ "1.2" -> 1.2; a name such as "gcp" stays a name for the library to check."""
    try:
        return None if text is None else float(text)
    except ValueError:
        return text


def key_values(pairs: list[str], option: str) -> dict[str, str]:
    """["group=mnist", "seed=1"] -> {"group": "mnist", "seed": "1"}; ValueError for "group"."""
    found = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInputError(f"{option} takes KEY=VALUE, got {pair!r}")
        found[key.strip()] = value
    return found
