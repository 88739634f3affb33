"""`greenspike runs list|show|compare|delete|export|report`: browse and manage the run ledger."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from greenspike.cli._options import JSON_OPTION, LEDGER_OPTION, Command, Group
from greenspike.cli._values import key_values
from greenspike.errors import InvalidInputError

app = typer.Typer(
    name="runs",
    cls=Group,
    help="Browse the run ledger: list, show, compare, delete, export, HTML report.",
    no_args_is_help=True,
)

NAME_OPTION = typer.Option(
    None,
    "--name",
    help="Runs whose name contains this (any case), or matches this glob: 'mlp-*relu'.",
)
TAG_OPTION = typer.Option(
    None, "--tag", help="Runs with this tag: KEY=VALUE, or KEY alone for any value (repeatable)."
)
STATUS_OPTION = typer.Option(
    None, "--status", help="running, finished, failed, interrupted, or stale."
)
SINCE_OPTION = typer.Option(None, "--since", help="Runs started on or after: 2026-01-31[T12:00].")
UNTIL_OPTION = typer.Option(None, "--until", help="Runs started before this date or time (UTC).")
JOB_OPTION = typer.Option(
    None, "--job", help="The runs of this distributed job (its ranks; see `runs list --jobs`)."
)
WHERE_OPTION = typer.Option(
    None,
    "--where",
    help="A condition on a metric's last value: 'accuracy>=0.95' (<, <=, >, >=, =, !=; "
    "repeatable, all must hold).",
)


def _ledger(url: str | None, *, read_only: bool = True):
    """The ledger to read (or, `read_only=False`, delete from): never created here, so a typo
    is an error; a SQLite ledger this user cannot write is read read-only."""
    from greenspike.ledger import Ledger

    return Ledger(url, create=False, read_only=read_only)


def _no_default_ledger_yet(url: str | None) -> Path | None:
    """The default ledger's path when neither --ledger nor $GREENSPIKE_LEDGER names one and
    no run was kept yet (a fresh install: nothing to list, and nothing to create)."""
    from greenspike.ledger.location import ENV_VAR, default_ledger_path

    if url is not None or os.environ.get(ENV_VAR):
        return None
    path = default_ledger_path()
    return None if path.exists() else path


def _unix_s(text: str | None, option: str) -> float | None:
    """An ISO date or date-time (UTC unless it says otherwise) as Unix seconds."""
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(
            f"{option} takes a date or time such as 2026-01-31 or 2026-01-31T12:00, got {text!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.timestamp()


def _select(ledger, name, tags, status, since, until, where, job=None, limit=None):
    from greenspike.ledger.filters import metric_condition
    from greenspike.report._tables import printable

    pairs = [tag for tag in tags or [] if "=" in tag]
    keys = [tag.strip() for tag in tags or [] if "=" not in tag]
    if any(not key for key in keys):
        raise InvalidInputError("--tag takes KEY=VALUE or KEY, got an empty tag")
    found = ledger.runs(
        name=name,
        tags=key_values(pairs, "--tag"),
        tag_keys=keys,
        status=status,
        since_unix_s=_unix_s(since, "--since"),
        until_unix_s=_unix_s(until, "--until"),
        where=[metric_condition(text) for text in where or []],
        job_id=job,
        limit=limit,
    )
    for bad in ledger.damaged:  # shown, never silently dropped, and never the end of the list
        Console(stderr=True).print(
            printable(f"Run {bad.id} cannot be read and is left out: {bad.reason}"),
            style="yellow",
            markup=False,
        )
    return found


def _ids(ids) -> str:
    return ", ".join(map(str, ids))


def _print_json(data: object) -> None:
    typer.echo(json.dumps(data, indent=2))


@app.command("list", cls=Command)
def list_runs(
    name: str = NAME_OPTION,
    tags: list[str] = TAG_OPTION,
    status: str = STATUS_OPTION,
    since: str = SINCE_OPTION,
    until: str = UNTIL_OPTION,
    where: list[str] = WHERE_OPTION,
    limit: int = typer.Option(50, "--limit", help="At most this many runs, newest first."),
    metric: str = typer.Option(
        "accuracy", "--metric", help="The metric whose last value is shown (if any run has it)."
    ),
    wide: bool = typer.Option(
        False,
        "--wide",
        "-w",
        help="More columns: measured/estimated, CO2e, host, job, scope, tags.",
    ),
    job: str = JOB_OPTION,
    jobs: bool = typer.Option(
        False,
        "--jobs",
        help="List distributed jobs instead: one line per job, each sensor counted once "
        "(with --since, --until, --limit).",
    ),
    as_json: bool = JSON_OPTION,
    ledger: str = LEDGER_OPTION,
) -> None:
    """List runs, newest first, one line each: id, name, status, start, time, energy, metric.

    With --jobs, distributed jobs instead: ranks, nodes, time, energy and CO2e of each.
    """
    from greenspike.report.terminal import jobs_table, runs_table

    if jobs:
        run_filters = {
            "--name": name,
            "--tag": tags,
            "--status": status,
            "--where": where,
            "--job": job,
            "--wide": wide,
        }
        if given := [flag for flag, value in run_filters.items() if value]:
            raise InvalidInputError(
                f"--jobs lists jobs, not runs: leave out {', '.join(given)} (or use --job ID "
                "to list the runs of one job)"
            )
    if (fresh := _no_default_ledger_yet(ledger)) is not None:
        if as_json:
            _print_json([])
        else:
            Console().print(f"No runs yet: nothing is kept in {escape(str(fresh))} so far.")
        return
    if jobs:
        with _ledger(ledger) as store:
            found = store.jobs(
                since_unix_s=_unix_s(since, "--since"),
                until_unix_s=_unix_s(until, "--until"),
                limit=limit,
            )
        if as_json:
            _print_json([one.to_dict() for one in found])
        elif not found:
            Console().print("No jobs match.")
        else:
            Console().print(jobs_table(found, title=f"Jobs in {store.where}"))
        return
    with _ledger(ledger) as store:
        runs = _select(store, name, tags, status, since, until, where, job, limit)
    if as_json:
        _print_json([run.to_dict() for run in runs])
        return
    console = Console()
    if not runs:
        console.print("No runs match.")
        return
    table = runs_table(runs, title=f"Runs in {store.where}", metric_name=metric, wide=wide)
    if wide:  # every column whole, as wide as it takes (like `kubectl get -o wide`)
        natural = console.measure(table, options=console.options.update(max_width=10_000))
        console = Console(width=max(console.width, natural.maximum))
    console.print(table)


@app.command("show", cls=Command)
def show(
    run_id: int = typer.Argument(None, help="The run's id (see `greenspike runs list`)."),
    job: str = typer.Option(
        None, "--job", help="Show this distributed job instead (see `runs list --jobs`)."
    ),
    as_json: bool = JSON_OPTION,
    ledger: str = LEDGER_OPTION,
) -> None:
    """Everything kept about one run, or one job with each sensor counted once."""
    from greenspike.report.terminal import job_details, run_details

    if (run_id is None) == (job is None):
        raise InvalidInputError("give a run id or --job ID (one of the two)")
    with _ledger(ledger) as store:
        if job is not None:
            found = store.job(job)
            if as_json:
                _print_json(found.to_dict())
            else:
                Console().print(job_details(found))
            return
        run = store.run(run_id)
    if as_json:
        _print_json(run.to_dict())
        return
    Console().print(run_details(run))


@app.command("compare", cls=Command, no_args_is_help=True)
def compare(
    run_ids: list[int] = typer.Argument(..., help="Two or more run ids."),
    differences: bool = typer.Option(
        False, "--differences", "-d", help="Only the rows whose values differ between the runs."
    ),
    as_json: bool = JSON_OPTION,
    ledger: str = LEDGER_OPTION,
) -> None:
    """Runs side by side: energy, components, windows, metrics, tags and configuration."""
    from greenspike.report.side_by_side import comparison_dict, runs_side_by_side

    ids = list(dict.fromkeys(run_ids))
    if len(ids) < 2:
        raise InvalidInputError(f"give two or more different run ids to compare, got {run_ids}")
    with _ledger(ledger) as store:
        runs = [store.run(run_id) for run_id in ids]
    if as_json:
        _print_json(comparison_dict(runs))
        return
    Console().print(runs_side_by_side(runs, differences_only=differences))


@app.command("delete", cls=Command, no_args_is_help=True)
def delete(
    run_ids: list[int] = typer.Argument(None, help="Ids of the runs to delete."),
    name: str = NAME_OPTION,
    tags: list[str] = TAG_OPTION,
    status: str = STATUS_OPTION,
    since: str = SINCE_OPTION,
    until: str = UNTIL_OPTION,
    where: list[str] = WHERE_OPTION,
    job: str = JOB_OPTION,
    yes: bool = typer.Option(False, "--yes", "-y", help="Delete without asking."),
    ledger: str = LEDGER_OPTION,
) -> None:
    """Delete runs, given by id or by the filters of `runs list`, after asking.

    A run still going on (running, its process alive) is never deleted.
    """
    from greenspike.report.terminal import runs_table

    filtered = any((name, tags, status, since, until, where, job))
    if not run_ids and not filtered:
        raise InvalidInputError("give the ids of the runs to delete, or filters (--tag ...)")
    with _ledger(ledger, read_only=False) as store:
        chosen = {run.id: run for run in (store.run(run_id) for run_id in run_ids or [])}
        if filtered:
            chosen.update(
                (run.id, run)
                for run in _select(store, name, tags, status, since, until, where, job)
            )
        if not chosen:
            Console(stderr=True).print("No runs match: nothing deleted.")
            return
        live = [run.id for run in chosen.values() if run.status == "running" and not run.stale]
        if live:
            which = f"run {live[0]} is" if len(live) == 1 else f"runs {_ids(live)} are"
            raise InvalidInputError(
                f"{which} still going on: stop it first (a run whose process is gone shows as "
                "stale, and can be deleted); nothing deleted"
            )
        runs = sorted(chosen.values(), key=lambda run: -run.id)
        console = Console(stderr=True)
        if not yes:
            console.print(runs_table(runs, title="To delete"))
            if not typer.confirm(f"Delete {len(runs)} run{'s' * (len(runs) > 1)}?", err=True):
                console.print("Nothing deleted.")
                raise typer.Exit(1)
        for run in runs:
            store.delete_run(run.id)
    console.print(f"Deleted {len(runs)} run{'s' * (len(runs) > 1)}: {_ids(r.id for r in runs)}")


@app.command("export", cls=Command)
def export(
    format: str = typer.Option(
        "csv", "--format", "-f", help="csv (a row per run, metrics and config as columns) or json."
    ),
    output: Path = typer.Option(
        None, "--output", "-o", help="File to write (default: standard output).", dir_okay=False
    ),
    name: str = NAME_OPTION,
    tags: list[str] = TAG_OPTION,
    status: str = STATUS_OPTION,
    since: str = SINCE_OPTION,
    until: str = UNTIL_OPTION,
    where: list[str] = WHERE_OPTION,
    job: str = JOB_OPTION,
    ledger: str = LEDGER_OPTION,
) -> None:
    """Export runs: CSV for pandas (metrics, tags, config as columns) or JSON (everything)."""
    from greenspike._files import check_writable, write_atomically
    from greenspike.report.export import runs_to_csv, runs_to_json

    writers = {"csv": runs_to_csv, "json": runs_to_json}
    if format not in writers:
        raise InvalidInputError(f"unknown export format {format!r}; valid: csv, json")
    if output is not None:
        check_writable(output, "--output")
    with _ledger(ledger) as store:
        text = writers[format](_select(store, name, tags, status, since, until, where, job))
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_atomically(output, text)
        Console(stderr=True).print(f"Written to {output}", style="dim", markup=False)


@app.command("report", cls=Command)
def report(
    run_ids: list[int] = typer.Argument(None, help="Ids of the runs to report on."),
    output: Path = typer.Option(
        Path("report.html"), "--output", "-o", help="The HTML file to write.", dir_okay=False
    ),
    tags: list[str] = typer.Option(
        None,
        "--tag",
        help="Also report on every run with this tag, KEY=VALUE or KEY (repeatable).",
    ),
    metric: str = typer.Option(
        "accuracy", "--metric", help="The metric plotted against energy across the runs."
    ),
    title: str = typer.Option(None, "--title", help="Title of the report."),
    jobs: list[str] = typer.Option(
        None, "--job", help="Also report on this distributed job as a whole (repeatable)."
    ),
    ledger: str = LEDGER_OPTION,
) -> None:
    """Write one self-contained HTML report of these runs (plots included, no network needed)."""
    from greenspike._files import check_writable
    from greenspike.report.html import write_html_report

    check_writable(output, "--output")
    with _ledger(ledger) as store:
        ids = list(run_ids or [])
        if tags:
            tagged = _select(store, None, tags, None, None, None, None)
            ids += [run.id for run in reversed(tagged)]
        if not ids and not jobs:
            raise InvalidInputError(
                "no runs to report on: give run ids, --tag KEY=VALUE or --job ID"
            )
        path = write_html_report(store, ids, output, title=title, metric=metric, job_ids=jobs or [])
    count = len(dict.fromkeys(ids))
    what = f"{count} runs" + (f" and {len(jobs)} jobs" if jobs else "")
    Console(stderr=True).print(f"Report of {what} written to {path}", markup=False)
