"""The HTML report of one or more runs, as one self-contained file.

CSS is inline, plots are base64 PNG; there is no script and nothing is fetched. jinja2 renders
it with autoescape on, so that a run's name, tags or metrics cannot inject HTML.

It shows the distributed jobs asked for (energy per node and component, each sensor counted once,
missing ranks), a summary table of the runs, then for each run its components with provenance and
source (measured and estimated marked apart, missing ones with the reason), energy over time,
energy per window, its metrics and notes; with two or more runs that logged `metric`, a
metric-vs-energy plot compares them (what `greenspike compare` writes).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2

from greenspike._files import write_atomically
from greenspike._version import __version__
from greenspike.energy.measurement import WindowReport
from greenspike.errors import InvalidInputError
from greenspike.ledger.jobs import JobRecord
from greenspike.ledger.records import RunRecord, Sample
from greenspike.ledger.store import Ledger
from greenspike.report import _plots


@dataclass(frozen=True)
class _WindowRow:
    depth: int
    window: WindowReport


@dataclass(frozen=True)
class _RunView:
    run: RunRecord
    over_time: str | None
    per_window: str | None
    windows: list[_WindowRow]
    metric_names: list[str]
    metric_rows: list[tuple[int | None, dict[str, float]]]


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("greenspike.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["joules"] = lambda j: "" if j is None else f"{j:,.1f}"
    environment.filters["grams"] = lambda g: "" if g is None else f"{g:,.3g}"
    environment.filters["utc"] = lambda s: (
        ""
        if s is None
        else dt.datetime.fromtimestamp(s, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    )
    return environment


def render_html_report(
    runs: Sequence[RunRecord],
    samples: Mapping[int, Sequence[Sample]] | None = None,
    *,
    title: str | None = None,
    metric: str = "accuracy",
    figures: Mapping[str, str] | None = None,
    template: str = "report.html.j2",
    context: Mapping[str, object] | None = None,
    jobs: Sequence[JobRecord] = (),
) -> str:
    """The report of `runs` as an HTML string.

    Args:
        runs: the runs, in the order shown.
        samples: run id -> its samples, for the energy-over-time plots.
        title: the page title; default: from the runs.
        metric: the metric plotted against energy when two or more runs logged it.
        figures: heading -> a plot of the caller's (a PNG data URI, see `_plots.data_uri`),
            shown after the summary (e.g. the Pareto front of a search).
        template: the page's template: "report.html.j2", or one that extends it (e.g.
            "compare.html.j2", whose block `comparison` comes before the runs).
        context: what such a template shows besides the runs.
        jobs: distributed jobs to show as wholes, before the runs.

    Raises:
        InvalidInputError: `runs` is empty.
    """
    if not runs:
        raise InvalidInputError("no runs to report on")
    samples = samples or {}
    views = [_view(run, samples.get(run.id, ())) for run in runs]
    page = _environment().get_template(template)
    return page.render(
        **dict(context or {}),
        title=title or _default_title(runs, jobs),
        views=views,
        metric=metric,
        comparison=_plots.metric_vs_energy(runs, metric),
        figures=dict(figures or {}),
        jobs=list(jobs),
        generated=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        version=__version__,
    )


def write_html_report(
    ledger: Ledger,
    run_ids: Sequence[int],
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    metric: str = "accuracy",
    figures: Mapping[str, str] | None = None,
    template: str = "report.html.j2",
    context: Mapping[str, object] | None = None,
    job_ids: Sequence[str] = (),
) -> Path:
    """Write the report of these runs and jobs to `path` (atomically); returns the path.

    The runs of each job in `job_ids` are reported after `run_ids`; the other keyword arguments
    are those of `render_html_report`.

    Raises:
        InvalidInputError: the folder of `path` does not exist, a run id or job id is not in
            the ledger, or there is no run to report on.
        OSError: the file cannot be written.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise InvalidInputError(f"cannot write the report to {path}: no directory {path.parent}")
    jobs = [ledger.job(job_id) for job_id in dict.fromkeys(job_ids)]
    ids = [*run_ids, *(run.id for job in jobs for run in job.runs)]
    runs = [ledger.run(run_id) for run_id in dict.fromkeys(ids)]
    text = render_html_report(
        runs,
        {run.id: ledger.samples(run.id) for run in runs},
        title=title,
        metric=metric,
        figures=figures,
        template=template,
        context=context,
        jobs=jobs,
    )
    return write_atomically(path, text)


def _default_title(runs: Sequence[RunRecord], jobs: Sequence[JobRecord] = ()) -> str:
    if len(jobs) == 1 and len(runs) == len(jobs[0].runs):
        return f"Energy report: job {jobs[0].job_id}"
    if len(runs) == 1:
        return f"Energy report: run {runs[0].id} {runs[0].name or ''}".rstrip()
    return f"Energy report: {len(runs)} runs"


def _view(run: RunRecord, samples: Sequence[Sample]) -> _RunView:
    windows = run.report.windows if run.report else ()
    by_step: dict[int | None, dict[str, float]] = {}
    for m in run.metrics:
        by_step.setdefault(m.step, {})[m.name] = m.value
    return _RunView(
        run=run,
        over_time=_plots.energy_over_time(run, samples),
        per_window=_plots.energy_per_window(run, windows),
        windows=list(_flatten(windows, 0)),
        metric_names=list(dict.fromkeys(m.name for m in run.metrics)),
        metric_rows=sorted(by_step.items(), key=lambda kv: -1 if kv[0] is None else kv[0]),
    )


def _flatten(windows: Sequence[WindowReport], depth: int):
    for window in windows:
        yield _WindowRow(depth, window)
        yield from _flatten(window.windows, depth + 1)
