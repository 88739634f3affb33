"""One command line: flags shown as flags, one meaning of --json, shared options alike, flag
names in error messages."""

from __future__ import annotations

import json

import pytest
import typer

from greenspike.cli.app import app


def commands():
    """(path, click command) of every command, `runs list` included."""
    root = typer.main.get_command(app)
    found = []

    def walk(group, path):
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                walk(command, (*path, name))
            else:
                found.append(((*path, name), command))

    walk(root, ())
    return found


COMMANDS = dict(commands())
# Commands that print a result: each has --json.
PRINTING = [
    ("carbon",),
    ("doctor",),
    ("estimate",),
    ("track",),
    ("compare",),
    ("search",),
    ("runs", "list"),
    ("runs", "show"),
    ("runs", "compare"),
    ("nir", "inspect"),
]
SHARED = ("--country", "--intensity", "--pue", "--ledger", "--no-ledger", "--device", "--seed",
          "--hardware", "--json")  # fmt: skip
# The data options, shared by compare and search (`runs list --limit` counts runs, as gh's).
DATA = ("--dataset", "--data-dir", "--batch-size", "--limit")


def option(command, flag):
    return next((p for p in command.params if flag in getattr(p, "opts", ())), None)


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_help_shows_flags_as_flags(cli, path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    result = cli(*path, "--help")
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    for param in COMMANDS[path].params:
        if getattr(param, "is_flag", False) and param.opts[0] != "--help":
            assert param.opts[0] in result.output  # shown, without a value


def test_root_help_shows_flags_as_flags(cli):
    assert "<bool>" not in cli("--help").output


@pytest.mark.parametrize("path", PRINTING, ids=" ".join)
def test_every_command_that_prints_a_result_has_json_with_one_meaning(path):
    json_option = option(COMMANDS[path], "--json")
    assert json_option is not None and json_option.is_flag
    if path != ("track",):  # track's stdout is its command's: it says where the JSON goes
        assert json_option.help == option(COMMANDS[("carbon",)], "--json").help
    assert "to stdout" in json_option.help


@pytest.mark.parametrize("flag", SHARED + DATA)
def test_an_option_shared_by_commands_has_one_name_default_and_help(flag):
    paths = [("compare",), ("search",)] if flag in DATA else COMMANDS
    having = {path: option(COMMANDS[path], flag) for path in paths}
    having = {path: o for path, o in having.items() if o is not None}
    assert len(having) >= 2, flag
    first = next(iter(having.values()))
    for path, o in having.items():
        if flag == "--json" and path == ("track",):
            continue
        assert (o.opts, o.default, o.help, o.is_flag) == (
            first.opts, first.default, first.help, first.is_flag
        ), path  # fmt: skip


def test_the_options_compare_takes_search_takes_too():
    compare, search = COMMANDS[("compare",)], COMMANDS[("search",)]
    for flag in ("--device", "--no-ledger", "--country", "--intensity", "--pue", "--dataset",
                 "--data-dir", "--steps", "--json", "--seed", "--hardware", "--out"):  # fmt: skip
        assert option(compare, flag) is not None and option(search, flag) is not None, flag
    assert "nmnist" in option(search, "--dataset").help


def test_the_default_hardware_is_the_library_default():
    from greenspike.train.inference import DEFAULT_HARDWARE

    default = option(COMMANDS[("compare",)], "--hardware").default
    assert tuple(default.split(",")) == DEFAULT_HARDWARE


def test_every_pue_default_is_one(cli):
    """track, estimate, compare and search: no --pue means 1, said so (see README)."""
    for path, command in COMMANDS.items():
        pue = option(command, "--pue")
        if pue is not None:
            assert pue.default is None and "Default 1" in pue.help, path
    data = json.loads(cli("estimate", "T4", "--hours", "1", "--json").output)
    assert data["pue"] == 1.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("estimate", "V100", "--hours", "1", "--days", "2"), "give the duration in --hours or"),
        (("compare", "--epochs", "0"), "--epochs must be an integer >= 1, got 0"),
        (("compare", "--batch-size", "0"), "--batch-size must be an integer >= 1, got 0"),
        (("compare", "--device", "tpu"), "unknown --device 'tpu'"),
        (("compare", "--limit", "0"), "--limit must be >= 1 train images"),
        (("search", "--time-budget-min", "0"), "--time-budget-min must be a number of min > 0"),
        (("track", "--interval", "0", "--", "true"), "--interval must be > 0 s"),
        (("compare", "--steps", "0"), "--steps must be an integer >= 1, got 0"),
        (("compare", "--precision", "int8", "--qat-epochs", "-1"), "--qat-epochs must be an"),
        (("compare", "--qat-epochs", "2"), "--qat-epochs is quantization-aware training: it"),
        (("compare", "--rate-penalty", "1", "--target-rate", "2"), "--target-rate must be"),
        (("compare", "--measure-inference", "--measure-seconds", "0"), "--measure-seconds must"),
    ],
)
def test_errors_name_the_flag_not_the_python_parameter(cli, args, message, tmp_path):
    result = cli(*args) if args[0] != "search" else cli(*args, "--out", str(tmp_path))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert "=None" not in result.stderr and "`" not in result.stderr


def test_a_flag_takes_no_value(cli, tmp_path):
    result = cli("compare", "--no-ledger", "true", "--out", str(tmp_path))
    assert result.exit_code == 2 and "unexpected extra argument" in result.output


def test_doctor_json_round_trips(cli):
    result = cli("doctor", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {c["name"] for c in data["components"]} >= {"cpu", "ram"} or data["components"]
    for component in data["components"]:
        assert component["provenance"] in ("measured", "estimated") and component["source"]
    assert isinstance(data["advice"], list)
