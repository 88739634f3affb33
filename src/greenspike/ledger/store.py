"""`Ledger`: write runs as they go and read them back, in SQLite or PostgreSQL.

    ledger = Ledger()                       # $GREENSPIKE_LEDGER or ~/.greenspike/ledger.db
    run_id = ledger.start_run(name="train", start_unix_s=time.time(), interval_s=1.0)
    ledger.record(run_id, tracker.snapshot())          # totals while it runs
    ledger.log_metrics(run_id, {"accuracy": 0.97}, step=3)
    ledger.record(run_id, tracker.stop())              # final status and totals
    for run in ledger.runs(tags={"group": "mnist"}, status="finished"): ...

Every write is one short transaction. A run's totals only ever move forward: once its status is
final (finished, failed, interrupted), later "running" updates are ignored.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

import psutil
from sqlalchemy import Engine, and_, delete, exists, func, insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from greenspike._secrets import hide_passwords
from greenspike._version import __version__
from greenspike.energy.measurement import STATUSES, ComponentEnergy, Components, EnergyReport
from greenspike.energy.metric import (
    Metric,
    check_storable,
    checked_metric,
    checked_tags,
    metadata_json,
)
from greenspike.energy.placement import check_job_id
from greenspike.energy.scope import Scope, checked_scope
from greenspike.errors import InvalidInputError
from greenspike.ledger import schema
from greenspike.ledger._engine import cannot_open, check_exists, connect, reader
from greenspike.ledger.filters import MetricCondition, name_like
from greenspike.ledger.jobs import JobRecord, aggregate_job
from greenspike.ledger.location import ledger_url
from greenspike.ledger.migrations import migrate
from greenspike.ledger.records import RunRecord, Sample

_T = TypeVar("_T")
_log = logging.getLogger("greenspike")
# A value in a column that must hold a number (or NULL).
_NUMBER_COLUMNS = (
    "start_unix_s",
    "end_unix_s",
    "updated_unix_s",
    "interval_s",
    "duration_s",
    "energy_j",
    "measured_energy_j",
    "estimated_energy_j",
    "co2e_g",
    "pue",
    "intensity_g_per_kwh",
)


@dataclass(frozen=True)
class DamagedRun:
    """A run the ledger holds but cannot read (a row damaged, or written by a newer format).

    Attributes:
        id: the run's id.
        reason: what is wrong with it, e.g. "unknown status 'paused'".
    """

    id: int
    reason: str


# A running run not updated for this long (and this many intervals) is stale.
STALE_AFTER_S = 300.0
STALE_AFTER_INTERVALS = 10


class Ledger:
    """The runs stored at `url` (see `ledger_url`); the schema is created or migrated on open.

    Opening an up-to-date ledger writes nothing; reading never waits for the write lock.

    Args:
        url: the ledger (see `ledger_url`).
        create: False for a command that only reads: a SQLite file that does not exist is an
            error, not a new empty ledger.
        read_only: True for a command that only reads: a SQLite ledger this user cannot write
            (file or folder) is opened read-only instead of failing; writing to it then raises.

    Raises:
        InvalidInputError: `url` is not a ledger greenspike can open: an unsupported or
            malformed URL, PostgreSQL without its driver, an in-memory SQLite database, a
            file in a folder that does not exist (or, with `create=False`, no file), a
            directory, a file that is not a database, a server that refuses the connection.
        LedgerVersionError: the database is not a ledger this greenspike can use.
    """

    def __init__(
        self,
        url: str | os.PathLike[str] | None = None,
        *,
        create: bool = True,
        read_only: bool = False,
    ):
        # The runs the last read (`runs`, `run`) found but could not read; the others are read.
        self.damaged: list[DamagedRun] = []
        self.url = ledger_url(url)
        if not create:
            check_exists(self.url)
        self.engine: Engine = connect(self.url, read_only=read_only)
        self._reader = reader(self.engine)
        try:
            migrate(self.engine)
        except SQLAlchemyError as error:
            self.engine.dispose()
            raise cannot_open(self.where, error) from error
        except BaseException:
            self.engine.dispose()
            raise

    def __repr__(self) -> str:
        return f"Ledger({self.where!r})"

    @property
    def where(self) -> str:
        """The URL, its password hidden: safe to print."""
        return make_url(self.url).render_as_string(hide_password=True)

    def close(self) -> None:
        """Close the database connections; the Ledger can still open new ones."""
        self.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- writing --------------------------------------------------------------------------

    def start_run(
        self,
        *,
        name: str | None,
        start_unix_s: float,
        interval_s: float,
        command: str | None = None,
        pue: float = 1.0,
        tags: Mapping[str, object] | None = None,
        metadata: Mapping[str, Any] | None = None,
        rank: int | None = None,
        world_size: int | None = None,
        job_id: str | None = None,
        local_rank: int | None = None,
        node_rank: int | None = None,
        scope: Scope = "machine",
    ) -> int:
        """Write a new run, status "running", with no energy yet; return its id.

        Passwords in URLs in `name` and `command` are stored as `***`.

        Raises:
            InvalidInputError: a tag name is empty or a value is None, the metadata cannot be
                written as JSON, a bad job id or scope, or a NUL character in a text.
        """
        check_job_id(job_id)
        checked_scope(scope)
        for text, what in ((name, "the run's name"), (command, "the run's command")):
            if text is not None:
                check_storable(text, what)
        metadata_text = metadata_json(metadata)
        tag_rows = [{"key": k, "value": v} for k, v in checked_tags(tags).items()]
        now = time.time()
        with self.engine.begin() as connection:
            run_id = connection.execute(
                insert(schema.runs)
                .values(
                    name=None if name is None else hide_passwords(name),
                    command=None if command is None else hide_passwords(command),
                    host=socket.gethostname(),
                    pid=os.getpid(),
                    pid_created_unix_s=psutil.Process().create_time(),
                    rank=rank,
                    world_size=world_size,
                    job_id=job_id,
                    local_rank=local_rank,
                    node_rank=node_rank,
                    scope=scope,
                    status="running",
                    start_unix_s=start_unix_s,
                    updated_unix_s=now,
                    interval_s=interval_s,
                    duration_s=0.0,
                    energy_j=0.0,
                    measured_energy_j=0.0,
                    estimated_energy_j=0.0,
                    pue=pue,
                    metadata_json=metadata_text,
                    greenspike_version=__version__,
                )
                .returning(schema.runs.c.id)
            ).scalar_one()
            if tag_rows:
                connection.execute(insert(schema.tags), [{"run_id": run_id, **r} for r in tag_rows])
        return int(run_id)

    def record(self, run_id: int, report: EnergyReport) -> bool:
        """Store `report` as the state of the run: totals, components, a sample, the status.

        Returns:
            True when stored; False (and nothing changed) when the run has already ended.

        Raises:
            InvalidInputError: there is no run `run_id`.
        """
        intensity = report.carbon_intensity
        with self.engine.begin() as connection:
            changed = connection.execute(
                update(schema.runs)
                .where(schema.runs.c.id == run_id, schema.runs.c.status == "running")
                .values(
                    status=report.status,
                    end_unix_s=report.end_unix_s,
                    updated_unix_s=time.time(),
                    duration_s=report.duration_s,
                    energy_j=report.energy_j,
                    measured_energy_j=report.measured_energy_j,
                    estimated_energy_j=report.estimated_energy_j,
                    co2e_g=report.co2e_g,
                    pue=report.pue,
                    intensity_g_per_kwh=intensity and intensity.intensity_g_per_kwh,
                    intensity_source=intensity and _intensity_source(intensity),
                    report_json=report.to_json(indent=None),
                )
            ).rowcount
            if not changed:
                self._check_exists(connection, run_id)
                return False
            connection.execute(
                delete(schema.components).where(schema.components.c.run_id == run_id)
            )
            if report.components:
                connection.execute(
                    insert(schema.components),
                    [
                        {
                            "run_id": run_id,
                            "name": c.name,
                            "provenance": c.provenance,
                            "method": c.method,
                            "source": c.source,
                            "energy_j": c.energy_j,
                        }
                        for c in report.components
                    ],
                )
                connection.execute(
                    insert(schema.samples),
                    [
                        {
                            "run_id": run_id,
                            "elapsed_s": report.duration_s,
                            "component": c.name,
                            "energy_j": c.energy_j,
                        }
                        for c in report.components
                    ],
                )
        return True

    def log_metrics(
        self,
        run_id: int,
        metrics: Mapping[str, object] | Iterable[Metric],
        step: int | None = None,
    ) -> list[Metric]:
        """Store metrics (a mapping name -> number at `step`, or Metric objects); return them.

        Raises:
            InvalidInputError: a metric has an empty name, a value that is not a finite number
                or a bad step, or there is no run `run_id`.
        """
        if isinstance(metrics, Mapping):
            now = time.time()
            metrics = [checked_metric(n, v, step, now) for n, v in metrics.items()]
        checked = [checked_metric(m.name, m.value, m.step, m.unix_s) for m in metrics]
        if checked:
            with self.engine.begin() as connection:
                self._check_exists(connection, run_id)
                connection.execute(
                    insert(schema.metrics), [{"run_id": run_id, **asdict(m)} for m in checked]
                )
        return checked

    def set_tags(self, run_id: int, tags: Mapping[str, object]) -> None:
        """Add tags to a run, replacing the value of any key it already has.

        Raises:
            InvalidInputError: a tag name is empty or a value is None, or there is no run
                `run_id`.
        """
        rows = [{"key": k, "value": v} for k, v in checked_tags(tags).items()]
        if not rows:
            return
        with self.engine.begin() as connection:
            self._check_exists(connection, run_id)
            connection.execute(
                delete(schema.tags).where(
                    schema.tags.c.run_id == run_id, schema.tags.c.key.in_([r["key"] for r in rows])
                )
            )
            connection.execute(insert(schema.tags), [{"run_id": run_id, **r} for r in rows])

    def delete_run(self, run_id: int) -> None:
        """Remove a run and everything recorded for it.

        Raises:
            InvalidInputError: there is no run `run_id`.
        """
        with self.engine.begin() as connection:
            self._check_exists(connection, run_id)
            for table in (schema.samples, schema.components, schema.tags, schema.metrics):
                connection.execute(delete(table).where(table.c.run_id == run_id))
            connection.execute(delete(schema.runs).where(schema.runs.c.id == run_id))

    # -- reading --------------------------------------------------------------------------

    def runs(
        self,
        *,
        name: str | None = None,
        tags: Mapping[str, object] | None = None,
        tag_keys: Iterable[str] = (),
        status: str | None = None,
        since_unix_s: float | None = None,
        until_unix_s: float | None = None,
        where: Sequence[MetricCondition] = (),
        limit: int | None = None,
        job_id: str | None = None,
    ) -> list[RunRecord]:
        """The runs that match every filter given, newest first.

        Args:
            name: a part of the run's name, in any case; or a glob matching the whole name
                (`*` any text, `?` one character), e.g. "mlp-*relu".
            tags: tags the run must all have, with these values.
            tag_keys: tags the run must all have, with any value.
            status: running, finished, failed, interrupted, or stale (a "running" run whose
                process is gone).
            since_unix_s: the run started at or after this time.
            until_unix_s: the run started before this time.
            where: conditions on the last value of metrics (`MetricCondition`, e.g.
                `metric_condition("accuracy>=0.95")`), all of which must hold.
            limit: at most this many runs.
            job_id: the runs of this distributed job.

        Raises:
            InvalidInputError: an unknown status, a limit below 1, or a bad tag.
        """
        r, t = schema.runs, schema.tags
        query = select(r).order_by(r.c.start_unix_s.desc(), r.c.id.desc())
        if job_id is not None:
            query = query.where(r.c.job_id == job_id)
        if name is not None:
            query = query.where(r.c.name.ilike(name_like(name), escape="\\"))
        for key, value in checked_tags(tags).items():
            query = query.where(
                exists().where(and_(t.c.run_id == r.c.id, t.c.key == key, t.c.value == value))
            )
        for key in tag_keys:
            query = query.where(exists().where(and_(t.c.run_id == r.c.id, t.c.key == key)))
        for condition in where:  # on the last value: the highest step, then the latest
            m = schema.metrics
            last = (
                select(m.c.value)
                .where(m.c.run_id == r.c.id, m.c.name == condition.name)
                .order_by(func.coalesce(m.c.step, -1).desc(), m.c.unix_s.desc(), m.c.id)
                .limit(1)
                .scalar_subquery()
            )
            query = query.where(condition.compare(last))
        if status is not None:
            if status not in (*STATUSES, "stale"):
                raise InvalidInputError(
                    f"unknown status {status!r}; valid: {', '.join(STATUSES)}, stale"
                )
            query = query.where(r.c.status == ("running" if status == "stale" else status))
        if since_unix_s is not None:
            query = query.where(r.c.start_unix_s >= since_unix_s)
        if until_unix_s is not None:
            query = query.where(r.c.start_unix_s < until_unix_s)
        if limit is not None:
            if limit < 1:
                raise InvalidInputError(f"`limit` must be >= 1, got {limit}")
            if status != "stale":
                query = query.limit(limit)
        with self._reader.connect() as connection:
            rows = connection.execute(query).mappings().all()
            found = self._records(connection, rows)
        if status == "stale":
            found = [run for run in found if run.stale][:limit]
        return found

    def run(self, run_id: int) -> RunRecord:
        """The run with this id.

        Raises:
            InvalidInputError: there is no run `run_id`.
        """
        with self._reader.connect() as connection:
            row = (
                connection.execute(select(schema.runs).where(schema.runs.c.id == run_id))
                .mappings()
                .first()
            )
            if row is None:
                raise InvalidInputError(f"no run {run_id} in the ledger {self.where}")
            found = self._records(connection, [row])
        if not found:
            raise InvalidInputError(
                f"run {run_id} in the ledger {self.where} cannot be read: {self.damaged[0].reason}"
            )
        return found[0]

    def job(self, job_id: str) -> JobRecord:
        """The distributed job `job_id`: its runs, energy per node and GPU, missing ranks.

        Raises:
            InvalidInputError: no run of the ledger belongs to job `job_id`.
        """
        runs = self.runs(job_id=job_id)
        if not runs:
            raise InvalidInputError(f"no job {job_id!r} in the ledger {self.where}")
        return aggregate_job(job_id, runs)

    def jobs(
        self,
        *,
        since_unix_s: float | None = None,
        until_unix_s: float | None = None,
        limit: int | None = None,
    ) -> list[JobRecord]:
        """The distributed jobs whose first run started in the given time, newest first.

        Raises:
            InvalidInputError: a limit below 1.
        """
        r = schema.runs
        first = func.min(r.c.start_unix_s)
        query = (
            select(r.c.job_id, first)
            .where(r.c.job_id.is_not(None))
            .group_by(r.c.job_id)
            .order_by(first.desc(), r.c.job_id)
        )
        if since_unix_s is not None:
            query = query.having(first >= since_unix_s)
        if until_unix_s is not None:
            query = query.having(first < until_unix_s)
        if limit is not None:
            if limit < 1:
                raise InvalidInputError(f"limit must be >= 1, got {limit}")
            query = query.limit(limit)
        with self._reader.connect() as connection:
            ids = [row[0] for row in connection.execute(query)]
            rows = [
                row
                for chunk in _chunks(ids, 500)
                for row in connection.execute(select(r).where(r.c.job_id.in_(chunk))).mappings()
            ]
            found = self._records(connection, rows)
        by_job: dict[str, list[RunRecord]] = {job_id: [] for job_id in ids}
        for run in found:
            by_job[run.job_id or ""].append(run)
        return [aggregate_job(job_id, runs) for job_id, runs in by_job.items()]

    def samples(self, run_id: int) -> list[Sample]:
        """Cumulative joules per component at each update of the run, in time order."""
        s = schema.samples
        query = select(s.c.elapsed_s, s.c.component, s.c.energy_j).where(s.c.run_id == run_id)
        with self._reader.connect() as connection:
            rows = connection.execute(query.order_by(s.c.elapsed_s, s.c.id)).all()
        return [Sample(*row) for row in rows]

    # -- inside ---------------------------------------------------------------------------

    def _check_exists(self, connection, run_id: int) -> None:
        found = connection.execute(select(schema.runs.c.id).where(schema.runs.c.id == run_id))
        if found.first() is None:
            raise InvalidInputError(f"no run {run_id} in the ledger {self.where}")

    def _records(self, connection, rows) -> list[RunRecord]:
        """The runs of `rows`; a run that cannot be read goes to `damaged` instead."""
        self.damaged = []
        ids = [row["id"] for row in rows]
        components: dict[int, list[Any]] = {i: [] for i in ids}
        run_tags: dict[int, dict[str, str]] = {i: {} for i in ids}
        run_metrics: dict[int, list[Metric]] = {i: [] for i in ids}
        for chunk in _chunks(ids, 500):
            c, t, m = schema.components, schema.tags, schema.metrics
            for row in connection.execute(select(c).where(c.c.run_id.in_(chunk))).mappings():
                components[row["run_id"]].append(row)
            for row in connection.execute(select(t).where(t.c.run_id.in_(chunk))).mappings():
                run_tags[row["run_id"]][row["key"]] = row["value"]
            query = select(m).where(m.c.run_id.in_(chunk)).order_by(m.c.id)
            for row in connection.execute(query).mappings():
                run_metrics[row["run_id"]].append(
                    Metric(row["name"], row["value"], row["step"], row["unix_s"])
                )
        now, host = time.time(), socket.gethostname()
        records = []
        for row in rows:
            try:
                _check_row(row)
                parts = [_component(part) for part in components[row["id"]]]
                record = _record(row, now, host, parts, run_tags, run_metrics[row["id"]])
            except (KeyError, ValueError, TypeError, OverflowError, AttributeError) as error:
                reason = f"{type(error).__name__}: {error}"
                self.damaged.append(DamagedRun(row["id"], reason))
                _log.warning("greenspike: run %s of %s cannot be read: %s", row["id"], self, reason)
                continue
            records.append(record)
        return records


def _component(row) -> ComponentEnergy:
    return ComponentEnergy(
        row["name"], row["provenance"], row["method"], row["source"], energy_j=row["energy_j"]
    )


def _check_row(row) -> None:
    """Check what `_record` trusts: a known status, numbers where numbers are kept.

    Raises:
        ValueError: naming the bad column (a row damaged by hand, or written by another tool).
    """
    if row["status"] not in STATUSES:
        raise ValueError(f"unknown status {row['status']!r}")
    for column in _NUMBER_COLUMNS:
        value = row[column]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ValueError(f"{column} is {value!r}, not a number")


def _record(row, now, host, components, run_tags, metrics) -> RunRecord:
    return RunRecord(
        id=row["id"],
        name=row["name"],
        command=row["command"],
        host=row["host"],
        pid=row["pid"],
        rank=row["rank"],
        world_size=row["world_size"],
        status=row["status"],
        stale=_is_stale(row, now, host),
        start_unix_s=row["start_unix_s"],
        end_unix_s=row["end_unix_s"],
        updated_unix_s=row["updated_unix_s"],
        duration_s=row["duration_s"],
        energy_j=row["energy_j"],
        measured_energy_j=row["measured_energy_j"],
        estimated_energy_j=row["estimated_energy_j"],
        co2e_g=row["co2e_g"],
        pue=row["pue"],
        intensity_g_per_kwh=row["intensity_g_per_kwh"],
        intensity_source=row["intensity_source"],
        greenspike_version=row["greenspike_version"],
        job_id=row["job_id"],
        local_rank=row["local_rank"],
        node_rank=row["node_rank"],
        scope=row["scope"],
        components=Components(components),
        tags=run_tags[row["id"]],
        metadata=json.loads(row["metadata_json"]),
        metrics=tuple(metrics),
        report=row["report_json"] and EnergyReport.from_json(row["report_json"]),
    )


def _is_stale(row, now: float, host: str) -> bool:
    """A running run whose process (on this host) is gone, or that went quiet for too long."""
    if row["status"] != "running":
        return False
    if row["host"] == host and not _alive(row["pid"], row["pid_created_unix_s"]):
        return True
    quiet_s = max(STALE_AFTER_S, STALE_AFTER_INTERVALS * row["interval_s"])
    return now - row["updated_unix_s"] > quiet_s


def _alive(pid: int, created_unix_s: float) -> bool:
    """Is `pid` the process that wrote the run (not a later one that reused the number)?"""
    try:
        process = psutil.Process(pid)
        same = abs(process.create_time() - created_unix_s) < 0.01
        return same and process.status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False


def _intensity_source(intensity) -> str:
    where = f"{intensity.region}, {intensity.year}; " if intensity.region else ""
    return where + intensity.source


def _chunks(items: Sequence[_T], size: int) -> Iterable[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


_OPEN: dict[tuple[str, int], Ledger] = {}


def shared_ledger(url: str | os.PathLike[str] | None = None) -> Ledger:
    """The Ledger at `url`, opened once per process and then reused, as trackers do.

    `url` defaults to $GREENSPIKE_LEDGER, else the user's file (see `ledger_url`).

    Raises:
        InvalidInputError: `url` is not a ledger URL greenspike can open.
        LedgerVersionError: the database is not a ledger this greenspike can use.
    """
    key = (ledger_url(url), os.getpid())
    if key not in _OPEN:
        _OPEN[key] = Ledger(key[0])
    return _OPEN[key]
