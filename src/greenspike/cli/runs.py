"""`greenspike runs list|show|export|report`: browse, export and report the runs in the ledger."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.console import Console

from greenspike.cli._options import LEDGER_OPTION, key_values
from greenspike.errors import InvalidInputError

app = typer.Typer(
    name="runs",
    help="Browse the run ledger: list, show, export, HTML report.",
    no_args_is_help=True,
)

NAME_OPTION = typer.Option(None, "--name", help="Runs whose name contains this (any case).")
TAG_OPTION = typer.Option(None, "--tag", help="Runs with this tag, KEY=VALUE (repeatable).")
STATUS_OPTION = typer.Option(
    None, "--status", help="running, finished, failed, interrupted, or stale."
)
SINCE_OPTION = typer.Option(None, "--since", help="Runs started on or after: 2026-01-31[T12:00].")
UNTIL_OPTION = typer.Option(None, "--until", help="Runs started before this date or time (UTC).")


def _ledger(url: str | None):
    from greenspike.ledger import Ledger

    return Ledger(url)


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


def _select(ledger, name, tags, status, since, until, limit=None):
    return ledger.runs(
        name=name,
        tags=key_values(tags or [], "--tag"),
        status=status,
        since_unix_s=_unix_s(since, "--since"),
        until_unix_s=_unix_s(until, "--until"),
        limit=limit,
    )


@app.command("list")
def list_runs(
    name: str = NAME_OPTION,
    tags: list[str] = TAG_OPTION,
    status: str = STATUS_OPTION,
    since: str = SINCE_OPTION,
    until: str = UNTIL_OPTION,
    limit: int = typer.Option(50, "--limit", help="At most this many runs, newest first."),
    ledger: str = LEDGER_OPTION,
    jobs: bool = typer.Option(
        False,
        "--job",
        help="List distributed jobs instead: one row per job, each sensor counted once "
        "(with --since, --until, --limit).",
    ),
) -> None:
    """List runs, newest first: status, energy, CO2e, duration, provenance."""
    from greenspike.report.terminal import jobs_table, runs_table

    if jobs:
        if name is not None or tags or status is not None:
            raise InvalidInputError("--job lists jobs: --name, --tag and --status filter runs")
        with _ledger(ledger) as store:
            found = store.jobs(
                since_unix_s=_unix_s(since, "--since"),
                until_unix_s=_unix_s(until, "--until"),
                limit=limit,
            )
        if not found:
            Console().print("No jobs match.")
            return
        Console().print(jobs_table(found, title=f"Jobs in {store.where}"))
        return
    with _ledger(ledger) as store:
        runs = _select(store, name, tags, status, since, until, limit)
    console = Console()
    if not runs:
        console.print("No runs match.")
        return
    console.print(runs_table(runs, title=f"Runs in {store.where}"))


@app.command("show")
def show(
    run_id: int = typer.Argument(None, help="The run's id (see `greenspike runs list`)."),
    job: str = typer.Option(
        None, "--job", help="Show this distributed job instead (see `runs list --job`)."
    ),
    ledger: str = LEDGER_OPTION,
) -> None:
    """Everything kept about one run, or one job with each sensor counted once."""
    from greenspike.report.terminal import job_details, run_details

    if (run_id is None) == (job is None):
        raise InvalidInputError("give a run id or --job ID (one of the two)")
    with _ledger(ledger) as store:
        if job is not None:
            Console().print(job_details(store.job(job)))
            return
        run = store.run(run_id)
    Console().print(run_details(run))


@app.command("export")
def export(
    format: str = typer.Option("csv", "--format", "-f", help="csv (one row per run) or json."),
    output: Path = typer.Option(
        None, "--output", "-o", help="File to write (default: standard output).", dir_okay=False
    ),
    name: str = NAME_OPTION,
    tags: list[str] = TAG_OPTION,
    status: str = STATUS_OPTION,
    since: str = SINCE_OPTION,
    until: str = UNTIL_OPTION,
    ledger: str = LEDGER_OPTION,
) -> None:
    """Export runs as CSV (summary per run) or JSON (everything, full energy reports)."""
    from greenspike._files import write_atomically
    from greenspike.report.export import runs_to_csv, runs_to_json

    writers = {"csv": runs_to_csv, "json": runs_to_json}
    if format not in writers:
        raise InvalidInputError(f"unknown export format {format!r}; valid: csv, json")
    if output is not None and not output.parent.is_dir():
        raise InvalidInputError(f"cannot write {output}: no directory {output.parent}")
    with _ledger(ledger) as store:
        text = writers[format](_select(store, name, tags, status, since, until))
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_atomically(output, text)
        Console(stderr=True).print(f"Written to {output}", style="dim")


@app.command("report")
def report(
    run_ids: list[int] = typer.Argument(None, help="Ids of the runs to report on."),
    output: Path = typer.Option(
        Path("report.html"), "--output", "-o", help="The HTML file to write.", dir_okay=False
    ),
    tags: list[str] = typer.Option(
        None, "--tag", help="Also report on every run with this tag, KEY=VALUE (repeatable)."
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
    from greenspike.report.html import write_html_report

    with _ledger(ledger) as store:
        ids = list(run_ids or [])
        if tags:
            tagged = store.runs(tags=key_values(tags, "--tag"))
            ids += [run.id for run in reversed(tagged)]
        if not ids and not jobs:
            raise InvalidInputError(
                "no runs to report on: give run ids, --tag KEY=VALUE or --job ID"
            )
        path = write_html_report(store, ids, output, title=title, metric=metric, job_ids=jobs or [])
    count = len(dict.fromkeys(ids))
    what = f"{count} runs" + (f" and {len(jobs)} jobs" if jobs else "")
    Console(stderr=True).print(f"Report of {what} written to {path}")
