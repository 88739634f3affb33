"""The `greenspike` entry point: help, version, and errors."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import version

import greenspike


def test_version_matches_package_metadata(cli):
    result = cli("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"greenspike {greenspike.__version__}"
    assert greenspike.__version__ == version("greenspike")


def test_help_lists_every_registered_command(cli):
    result = cli("--help")
    assert result.exit_code == 0
    from greenspike.cli.app import app

    names = [command.name for command in app.registered_commands] + [
        group.name for group in app.registered_groups
    ]
    assert names, "no command registered"
    for name in names:
        assert re.search(rf"\b{name}\b", result.output), f"{name} missing from --help"


def test_no_arguments_shows_help(cli):
    result = cli()
    assert "Usage" in result.output
    assert "--version" in result.output


def test_unknown_command_fails_with_a_message(cli):
    result = cli("no-such-command")
    assert result.exit_code != 0
    assert "No such command" in result.output
    assert "no-such-command" in result.output


def test_python_dash_m_runs_the_same_cli(greenspike_process):
    done = greenspike_process("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"greenspike {greenspike.__version__}"
    done = greenspike_process("definitely-not-a-command")
    assert done.returncode == 2
    assert "No such command" in done.stderr


def test_bad_input_from_the_library_is_one_clear_line(greenspike_process):
    done = greenspike_process("carbon", "Atlantis")
    assert done.returncode == 2
    assert "unknown country or region 'Atlantis'" in done.stderr
    assert "Traceback" not in done.stderr


def test_import_is_lazy_and_torch_free():
    code = (
        "import sys, greenspike, greenspike.cli, greenspike.energy; print('torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_a_bug_shows_its_traceback_not_an_error_line(tmp_path):
    """A ValueError that is not greenspike's own (here: raised inside a command by a patched
    library function) is a bug: the traceback shows, not "Error: ..." with exit 2."""
    code = (
        "import greenspike.energy.carbon as carbon\n"
        "def broken(*args, **kwargs):\n"
        "    raise ValueError('deep inside a dependency')\n"
        "carbon.find_place = broken\n"
        "from greenspike.cli import main\n"
        "import sys; sys.argv = ['greenspike', 'carbon', 'FRA']\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "deep inside a dependency" in done.stderr
    assert not any(line.startswith("Error:") for line in done.stderr.splitlines())


def test_greenspike_errors_form_one_tree():
    from greenspike import errors

    for name in ("InvalidInputError", "UnpricedOperationError", "LedgerVersionError"):
        error = getattr(errors, name)
        assert issubclass(error, errors.GreenspikeError) and issubclass(error, ValueError)
    assert issubclass(errors.MissingExtraError, ImportError)
    assert issubclass(errors.MissingExtraError, errors.GreenspikeError)
    from greenspike.ledger import LedgerVersionError

    assert LedgerVersionError is errors.LedgerVersionError
