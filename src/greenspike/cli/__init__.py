"""The `greenspike` command line: thin commands that parse, call the library, and print.

Each command lives in a module of its own here and imports the library lazily, so that
`greenspike --help` stays fast; `app.py` assembles them with typer. `main` first offers a
`greenspike track ... -- COMMAND` line to a reader without typer (greenspike.cli._quick_track),
so that the tracked command starts at once.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Entry point of the `greenspike` console script and `python -m greenspike`."""
    args = sys.argv[1:]
    if args[:1] == ["track"]:
        from greenspike.cli._quick_track import quick_track

        exit_code = quick_track(args[1:])
        if exit_code is not None:
            sys.exit(exit_code)
    from greenspike.cli.app import app

    app(prog_name="greenspike")
