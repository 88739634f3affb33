"""The conventions every command follows, defined once: shared options, flags, error wording.

- `--json` is a flag with one meaning everywhere: print the command's result as JSON to
  standard output instead of the tables, and nothing else there (progress and messages go to
  standard error). Files are written with `--out` (a directory) or `--output`/`-o` (a file).
- An option that several commands take has one definition here, so it has the same name,
  short form, default and help everywhere: `--country`, `--intensity`, `--pue`, `--ledger` /
  `--no-ledger`, `--device`, `--seed`, `--hardware`, `--out`, the data options of
  `compare` and `search`, and their spiking options `--learn-beta`, `--learn-threshold`,
  `--target-rate` (`--rate-penalty` differs: a weight for compare, a searched range for search).
- `Command` and `Group` show a flag as a flag in `--help` (no `<bool>`), and turn the names
  of Python parameters in greenspike's error messages, written as `name`, into the command's
  own flags (`hours` -> --hours), so that a command-line user reads the flag they typed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from greenspike.cli._values import check_integers, name_flags
from greenspike.errors import GreenspikeError

# -- options shared by several commands ------------------------------------------------------

JSON_OPTION = typer.Option(
    False,
    "--json",
    help="Print the result as JSON to stdout instead of tables (messages go to stderr).",
)
LEDGER_OPTION = typer.Option(
    None,
    "--ledger",
    help="The run ledger: a file path, sqlite:///PATH or postgresql://... "
    "(default: $GREENSPIKE_LEDGER, else ~/.greenspike/ledger.db).",
)
NO_LEDGER_OPTION = typer.Option(
    False, "--no-ledger", help="Keep nothing in the run ledger (overrides --ledger)."
)
COUNTRY_OPTION = typer.Option(
    None,
    "--country",
    "-c",
    help="Where the electricity comes from: a country (FRA, FR, France, WORLD), a region "
    "(US-CA, California, Ontario) or a cloud region (us-east-1, europe-west1); "
    "`greenspike carbon` lists them. Needed for CO2e, with --intensity as the alternative.",
)
INTENSITY_OPTION = typer.Option(
    None, "--intensity", help="Carbon intensity of the electricity in gCO2e/kWh, not --country."
)
PUE_OPTION = typer.Option(
    None,
    "--pue",
    help="Power usage effectiveness of the data centre: a number >= 1 or a provider's average "
    "(gcp, aws, azure, ovhcloud, oracle). Default 1: no data-centre overhead is counted "
    "unless you say where the computer ran (the industry average is 1.56).",
)
DEVICE_OPTION = typer.Option("cpu", "--device", help="Where to train: cpu or cuda.")
SEED_OPTION = typer.Option(0, "--seed", help="Seed of initialisation, data order and spikes.")
# greenspike.train.DEFAULT_HARDWARE, written out: the CLI must not import torch to show --help.
DEFAULT_HARDWARE = "cmos45-fp32,cmos45-int8,loihi"
HARDWARE_OPTION = typer.Option(
    DEFAULT_HARDWARE,
    "--hardware",
    help="Hardware profiles or deployments (e.g. loihi+host=cmos7-int8) of the energy per "
    "inference, comma-separated, each priced at its precision (gs.cost.profiles() lists the "
    "profiles); search's objectives use the first.",
)
HARDWARE_FILE_OPTION = typer.Option(
    None,
    "--hardware-file",
    help="A CSV of your own hardware profiles (the columns of gs.cost's profiles.csv).",
)
DATASET_OPTION = typer.Option(
    "digits",
    "--dataset",
    help="digits (bundled), mnist, fashion-mnist; nmnist, shd (events, through tonic).",
)
DATA_DIR_OPTION = typer.Option(
    None,
    "--data-dir",
    help="Directory of the data set's files (IDX files of mnist, tonic's of nmnist/shd).",
)
BATCH_SIZE_OPTION = typer.Option(64, "--batch-size", help="Minibatch size.")
LIMIT_OPTION = typer.Option(None, "--limit", help="Train on the first N train images only.")
STEPS_HELP = "Time steps per image of a spiking network"
# Spiking networks' neurons and activity, shared by compare (its twin) and search (its candidates).
LEARN_BETA_OPTION = typer.Option(
    False, "--learn-beta", help="Spiking networks train each hidden layer's membrane decay."
)
LEARN_THRESHOLD_OPTION = typer.Option(
    False,
    "--learn-threshold",
    help="Spiking networks train each hidden layer's firing threshold.",
)
TARGET_RATE_OPTION = typer.Option(
    None,
    "--target-rate",
    help="With --rate-penalty: penalise each spiking layer's firing rate above this one "
    "(spikes per neuron per step, in [0, 1)) instead of all spikes.",
)


def out_option(default: str, what: str) -> Any:
    """`--out DIR`: the directory a command writes its files into."""
    return typer.Option(Path(default), "--out", help=f"Directory for {what}.")


# -- the command classes ---------------------------------------------------------------------


class _Conventions:
    """What `Command` and `Group` share (a mixin over typer's command classes)."""

    def get_params(self, ctx: Any) -> list[Any]:
        """The parameters, a flag's metavar emptied: typer would show it as `<bool>`."""
        params = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            if getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = ""
        return params

    def invoke(self, ctx: Any) -> Any:
        """Run the command; greenspike's errors name this command's flags, not Python names."""
        try:
            for param in self.get_params(ctx):
                option = param.param_type_name == "option"
                where = max(param.opts, key=len) if option else str(param.name).upper()
                check_integers(where, ctx.params.get(param.name))
            return super().invoke(ctx)  # type: ignore[misc]
        except GreenspikeError as error:
            flags = {
                p.name: max(p.opts, key=len)
                for p in self.get_params(ctx)
                if p.param_type_name == "option" and p.name
            }
            name_flags(error, flags)
            raise


class Command(_Conventions, TyperCommand):
    """A greenspike command: flags shown as flags, errors naming its flags."""


class Group(_Conventions, TyperGroup):
    """A group of greenspike commands (`runs`, `nir`), with the same conventions."""
