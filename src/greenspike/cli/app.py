"""The root `greenspike` command: version, help, and one clear message for bad input."""

from __future__ import annotations

from typing import Any

import typer

from greenspike._version import __version__
from greenspike.cli import carbon, compare, doctor, estimate, nir, runs, search, track
from greenspike.cli._errors import BAD_INPUT_EXIT_CODE, print_error
from greenspike.cli._options import Command, Group
from greenspike.errors import GreenspikeError


class _Commands(Group):
    """Shows greenspike's errors and OSError as one `Error: ...` line (greenspike.cli._errors)."""

    def invoke(self, ctx: Any) -> Any:  # typer.Context, whose click varies with typer's version
        try:
            return super().invoke(ctx)
        except (GreenspikeError, OSError) as error:
            print_error(error)
            raise typer.Exit(BAD_INPUT_EXIT_CODE) from error


app = typer.Typer(
    name="greenspike",
    cls=_Commands,
    help="Measure the energy of neural networks, cut it with spiking networks, and prove it.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"greenspike {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        "-V",
        callback=_print_version,
        is_eager=True,
        help="Print the version and exit.",
    ),
) -> None:
    """Measure the energy of neural networks, cut it with spiking networks, and prove it."""


app.command(name="carbon", cls=Command)(carbon.carbon)
app.command(name="estimate", cls=Command, no_args_is_help=True)(estimate.estimate)
app.command(name="track", cls=Command, context_settings={"allow_interspersed_args": False})(
    track.track
)
app.command(name="doctor", cls=Command)(doctor.doctor)
app.add_typer(runs.app, name="runs")
app.command(name="compare", cls=Command)(compare.compare)
app.add_typer(nir.app, name="nir")
app.command(name="search", cls=Command)(search.search)
