"""The `greenspike` command line: thin commands that parse, call the library, and print.

Each command lives in a module of its own here and imports the library lazily, so that
`greenspike --help` stays fast. `app.py` assembles them.
"""

from greenspike.cli.app import app, main

__all__ = ["app", "main"]
