"""Option values as the command line gives them, read without typer (`greenspike track`'s quick
start uses them too): numbers or names, comma lists, KEY=VALUE pairs, 64-bit integers, and the
Python names in greenspike's messages turned into the flags a user typed.
"""

from __future__ import annotations

import re

from greenspike.errors import GreenspikeError, InvalidInputError

# The largest integer any option takes: a signed 64-bit integer, what SQLite and PostgreSQL
# (BIGINT) hold. Options with a tighter meaning (sizes, depths) are bounded where parsed.
MAX_INTEGER = 2**63 - 1

_NAMED = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)`")


def ledger_choice(ledger: str | None, no_ledger: bool) -> str | None:
    """What `ledger=` the library gets: None with --no-ledger, else the URL or "default"."""
    return None if no_ledger else ledger or "default"


def number_or_name(text: str | None) -> float | str | None:
    """ "1.2" -> 1.2; a name such as "gcp" stays a name for the library to check.

    Python's digit separator is not a number here: "1_5" stays text (and is refused as a
    name), never read as 15.
    """
    if text is None or "_" in text:
        return text
    try:
        return float(text)
    except ValueError:
        return text


def names(text: str) -> tuple[str, ...]:
    """ "a, b,,c" -> ("a", "b", "c")."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def key_values(pairs: list[str], option: str) -> dict[str, str]:
    """["group=mnist", "seed=1"] -> {"group": "mnist", "seed": "1"}.

    Raises:
        InvalidInputError: a pair without "=" or with an empty key.
    """
    found = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInputError(f"{option} takes KEY=VALUE, got {pair!r}")
        found[key.strip()] = value
    return found


def check_integers(where: str, value: object) -> None:
    """Check that an integer option or argument (or each of a list) fits in 64 bits.

    Raises:
        InvalidInputError: naming `where` (the flag or argument) and the bound.
    """
    values = value if isinstance(value, (list, tuple)) else [value]
    for item in values:
        if isinstance(item, int) and not isinstance(item, bool) and abs(item) > MAX_INTEGER:
            raise InvalidInputError(
                f"{where} takes integers up to {MAX_INTEGER:,} (a 64-bit integer), got {item}"
            )


def name_flags(error: GreenspikeError, flags: dict[str, str]) -> None:
    """Name flags in `error`'s message: `hours` -> --hours; other `names` lose the marks."""
    if error.args and isinstance(error.args[0], str):
        message = _NAMED.sub(lambda m: flags.get(m[1], m[1]), error.args[0])
        error.args = (message, *error.args[1:])
