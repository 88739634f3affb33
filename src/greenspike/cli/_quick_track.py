"""`greenspike track [OPTIONS] -- COMMAND` read without typer, so that the command starts at once.

typer (0.29, with its pydantic adapters) takes about a quarter of a second to import and to read
track's options, more than the whole start a wrapper of commands may take. A line of the usual
form, options then `--` then the command, is read here with the standard library's argparse into
the same `TrackOptions` that typer's command builds. It takes a line only when it reads it as
typer does (tests/cli/test_quick_track.py checks this against typer, option by option): every
option of the command, numbers written plainly (1, -2.5, 1e3). Anything else (--help, a line
without `--`, an unknown option, a number such as 1_000 or 0x10, a missing value, an --output
that is a directory, a short option with "=", a value "--") is left to typer, with its help and
its error messages.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from greenspike.cli._errors import BAD_INPUT_EXIT_CODE, print_error
from greenspike.cli._tracked import TrackOptions, run_track
from greenspike.cli._values import check_integers, name_flags
from greenspike.errors import GreenspikeError

_T = TypeVar("_T")
_FLOAT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_INT = re.compile(r"[+-]?\d+")
# Read otherwise by argparse than by typer: a short option with "=" (-c=FRA: typer's value keeps
# the "="), and the value "--" after "=" (--name=--: argparse drops it).
_UNLIKE_TYPER = re.compile(r"-[^-]=|--[^=]+=--\Z")


class _LeftToTyper(Exception):
    """The line is not one this reader is sure to read as typer does."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]  # argparse would exit
        raise _LeftToTyper(message)


def _plain(pattern: re.Pattern[str], kind: Callable[[str], _T]) -> Callable[[str], _T]:
    def parse(text: str) -> _T:
        if pattern.fullmatch(text) is None:
            raise ValueError(text)
        return kind(text)

    return parse


def _file(text: str) -> Path:
    """A path as typer takes it for a file: not empty, not a directory (nor one we cannot tell)."""
    try:
        usable = bool(text) and not Path(text).is_dir()
    except OSError:  # a name too long for the file system: typer says so
        usable = False
    if not usable:
        raise ValueError(text)
    return Path(text)


def _parser() -> tuple[_Parser, dict[str, str]]:
    """The options of `greenspike track`, and each one's field name -> its longest flag.

    Each option's `dest` is its `TrackOptions` field (`interval_s` for --interval).
    """
    number = _plain(_FLOAT, float)
    parser = _Parser(
        prog="greenspike track",
        add_help=False,
        allow_abbrev=False,
        argument_default=argparse.SUPPRESS,  # an option not given keeps TrackOptions' default
    )
    actions = [
        parser.add_argument("--country", "-c"),
        parser.add_argument("--intensity", dest="intensity_g_per_kwh", type=number),
        parser.add_argument("--pue"),
        parser.add_argument("--interval", dest="interval_s", type=number),
        parser.add_argument("--cpu-tdp-w", dest="cpu_tdp_w", type=number),
        parser.add_argument("--output", "-o", type=_file),
        parser.add_argument("--json", dest="as_json", action="store_true"),
        parser.add_argument("--name"),
        parser.add_argument("--tag", dest="tags", action="append"),
        parser.add_argument("--ledger"),
        parser.add_argument("--no-ledger", dest="no_ledger", action="store_true"),
        parser.add_argument("--scope"),
        parser.add_argument("--job", dest="job_id"),
        parser.add_argument("--epochs", dest="total_epochs", type=_plain(_INT, int)),
        parser.add_argument("--epochs-file", dest="epochs_file", type=_file),
        parser.add_argument("--energy-budget-kwh", dest="energy_budget_kwh", type=number),
    ]
    return parser, {action.dest: max(action.option_strings, key=len) for action in actions}


def quick_options(args: Sequence[str]) -> TrackOptions | None:
    """The options of `greenspike track ARGS` (what follows `track`), or None: left to typer."""
    if "--" not in args:
        return None
    end = list(args).index("--")
    if any(_UNLIKE_TYPER.match(arg) for arg in args[:end]):
        return None
    try:
        given = vars(_parser()[0].parse_args(args[:end]))
    except _LeftToTyper:
        return None
    if "tags" in given:
        given["tags"] = tuple(given["tags"])
    return TrackOptions(command=tuple(args[end + 1 :]), **given)


def quick_track(args: Sequence[str]) -> int | None:
    """Run `greenspike track ARGS` if its line is read here; None leaves it to typer.

    Returns:
        The exit status: the command's (see `run_track`), or 2 after an `Error:` line.
    """
    options = quick_options(args)
    if options is None:
        return None
    try:
        check_integers("--epochs", options.total_epochs)
        return run_track(options)
    except (GreenspikeError, OSError) as error:
        if isinstance(error, GreenspikeError):
            name_flags(error, _parser()[1])
        print_error(error)
        return BAD_INPUT_EXIT_CODE
