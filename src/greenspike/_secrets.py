"""Passwords kept out of what greenspike stores and prints: command lines, names."""

from __future__ import annotations

import re

# scheme://user:password@host: the password is everything between the first ":" after the
# user name and the last "@" before the host (a password may itself contain "@" or ":").
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:@/\s]*):(?P<password>\S+)@")


def hide_passwords(text: str) -> str:
    """`text` with the password of every URL in it replaced by `***`.

    `greenspike compare --ledger postgresql://me:pw@db/runs` becomes
    `greenspike compare --ledger postgresql://me:***@db/runs`, as SQLAlchemy shows a URL.
    """
    return _URL_PASSWORD.sub(lambda m: f"{m['head']}:***@", text)
