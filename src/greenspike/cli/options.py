"""Parsing shared by several commands."""

from __future__ import annotations


def number_or_name(text: str | None) -> float | str | None:
    """ "1.2" -> 1.2; a name such as "gcp" stays a name for the library to check."""
    try:
        return None if text is None else float(text)
    except ValueError:
        return text
