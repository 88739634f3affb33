"""How the command line shows bad input: one `Error: ...` line on stderr, exit status 2.

The library raises `GreenspikeError`s (greenspike.errors) at its boundaries with a message that
names the bad value and what would be valid, and an OSError names the file or command it could
not use, so the message is all the user needs. Anything else is a bug: it keeps its traceback.
"""

from __future__ import annotations

BAD_INPUT_EXIT_CODE = 2


def print_error(error: Exception) -> None:
    """Print `error` as one `Error: ...` line on stderr (its text made safe for a terminal)."""
    from rich.console import Console
    from rich.markup import escape

    from greenspike.report._tables import printable

    message = escape(printable(str(error)))
    Console(stderr=True, soft_wrap=True).print(f"[bold red]Error:[/] {message}")
