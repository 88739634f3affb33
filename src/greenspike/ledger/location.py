"""Where the ledger lives: an explicit URL, else $GREENSPIKE_LEDGER, else the user's SQLite file.

That file is `~/.greenspike/ledger.db`, or `$XDG_DATA_HOME/greenspike/ledger.db` when
XDG_DATA_HOME is set.
"""

from __future__ import annotations

import os
from pathlib import Path

from greenspike.errors import InvalidInputError

ENV_VAR = "GREENSPIKE_LEDGER"
SUPPORTED = ("sqlite", "postgresql")


def default_ledger_path() -> Path:
    """`$XDG_DATA_HOME/greenspike/ledger.db` when XDG_DATA_HOME is set, else ~/.greenspike."""
    xdg = os.environ.get("XDG_DATA_HOME")
    folder = Path(xdg) / "greenspike" if xdg else Path.home() / ".greenspike"
    return folder / "ledger.db"


def ledger_url(url: str | os.PathLike[str] | None = None) -> str:
    """The SQLAlchemy URL of the ledger: `url`, else $GREENSPIKE_LEDGER, else the default file.

    `url` is a URL or a file path; the default file's folder is created. A plain path becomes
    `sqlite:///PATH`; `postgresql://` uses psycopg 3.

    Raises:
        InvalidInputError: the URL is blank, or its scheme is neither sqlite nor postgresql.
    """
    chosen = url if url is not None else os.environ.get(ENV_VAR)
    if chosen is None or not os.fspath(chosen):
        chosen = default_ledger_path()
        chosen.parent.mkdir(parents=True, exist_ok=True)
    text = os.fspath(chosen).strip()
    if not text:
        raise InvalidInputError(
            "empty ledger URL; give a file path, sqlite:///PATH or postgresql://..."
        )
    if "://" not in text:
        return f"sqlite:///{Path(text).expanduser().resolve()}"
    scheme, rest = text.split("://", 1)
    dialect, _, driver = scheme.partition("+")
    if dialect in ("postgres", "postgresql"):
        return f"postgresql+{driver or 'psycopg'}://{rest}"
    if dialect != "sqlite":
        raise InvalidInputError(
            f"unsupported ledger URL {text!r}; valid: a file path, sqlite:///PATH, "
            "postgresql://USER@HOST/DB"
        )
    return text
