"""Run a study: Optuna over an RDB storage, one or several local worker processes.

Every worker runs `optimize` on the same stored study (Optuna hands each trial a unique number
in the database), so workers on one machine or many share one search. The trials still to run
(`trials` minus those complete, pruned or running) are shared out among the local workers
before they start, so that they run exactly that many. Between trials each worker checks,
against the storage, what other processes (other machines) may have done:

- the trial count: it stops once `trials` trials are complete, pruned or running (separate
  `greenspike search` processes may overshoot by one trial each);
- the energy budget: it stops once the energy of all the study's trials reaches it;
- the time budget: Optuna's `timeout`, counted from this invocation's start.

A worker killed mid-trial leaves its trial "running" without a heartbeat; Optuna's heartbeat
(every HEARTBEAT_S) lets the next worker that opens the study or starts a trial mark it failed
after GRACE_S, so a resumed study (same storage and name) runs a replacement.
"""

from __future__ import annotations

import multiprocessing
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from greenspike._signals import Terminated, sigterm_raises
from greenspike.errors import InvalidInputError, MissingExtraError
from greenspike.search._trial import SearchData, TrialRunner, load_search_data
from greenspike.search.config import SearchConfig
from greenspike.search.records import TrialRecord
from greenspike.search.result import SearchResult, summarise

OnTrial = Callable[[TrialRecord], None]  # called after every trial this process runs

HEARTBEAT_S = 5
GRACE_S = 20
STORAGE_FILE = "study.db"
SQLITE_TIMEOUT_S = 60  # how long a SQLite writer waits for another worker's lock


def storage_url(config: SearchConfig) -> str:
    """`config.storage`, or a SQLite file in `config.out` (created)."""
    if config.storage:
        return config.storage
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(out / STORAGE_FILE).resolve()}"


def open_storage(url: str):
    """Optuna's RDB storage at `url`, with heartbeats.

    Raises:
        InvalidInputError: `url` is not an RDB URL, or its database cannot be opened.
        MissingExtraError: the database driver the URL names is not installed.
    """
    import optuna
    import sqlalchemy.exc

    engine_kwargs = (
        {"connect_args": {"timeout": SQLITE_TIMEOUT_S}} if url.startswith("sqlite") else {}
    )
    try:
        with warnings.catch_warnings():  # heartbeats are "experimental" in Optuna 4 and 5
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.storages.RDBStorage(
                url,
                engine_kwargs=engine_kwargs,
                heartbeat_interval=HEARTBEAT_S,
                grace_period=GRACE_S,
            )
    except (sqlalchemy.exc.ArgumentError, sqlalchemy.exc.NoSuchModuleError) as error:
        raise InvalidInputError(
            f"bad --storage {shown(url)!r}: use an RDB URL such as sqlite:///search.db or "
            f"postgresql+psycopg://user@host/db ({error})"
        ) from error
    except ImportError as error:
        raise MissingExtraError(
            f"--storage {shown(url)!r} needs a database driver that is not installed ({error}): "
            "for PostgreSQL, pip install 'greenspike[postgres]' and use postgresql+psycopg://"
        ) from error
    except sqlalchemy.exc.OperationalError as error:
        raise InvalidInputError(f"cannot open --storage {shown(url)!r}: {error.orig}") from error


def shown(url: str) -> str:
    """`url` with its password, if any, replaced by ***."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL at all: nothing to hide
        return url


def open_study(config: SearchConfig, url: str):
    """Create the study in the storage, or load it (resume) when it exists with the same objectives.

    Raises:
        InvalidInputError: the study exists with other objectives, or the storage cannot be
            opened (see `open_storage`).
        MissingExtraError: the storage's database driver is not installed.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = (
        optuna.samplers.TPESampler(seed=config.seed, n_startup_trials=config.startup_trials)
        if config.sampler == "tpe"
        else optuna.samplers.NSGAIISampler(seed=config.seed)
    )
    study = optuna.create_study(
        storage=open_storage(url),
        study_name=config.study,
        directions=config.directions,
        sampler=sampler,
        load_if_exists=True,
    )
    with warnings.catch_warnings():  # a killed worker's trial: failed, so it is not counted
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)
    stored = study.user_attrs.get("objectives")
    if stored is None:
        study.set_user_attr("objectives", list(config.objectives))
    elif list(stored) != list(config.objectives):
        raise InvalidInputError(
            f"study {config.study!r} in {shown(url)} searches {','.join(stored)}, not "
            f"{','.join(config.objectives)}: give the same --objectives or another --study"
        )
    return study


def counted_trials(study) -> int:
    """Trials that count towards the trial target: complete, pruned or running."""
    from optuna.trial import TrialState

    states = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
    return len(study.get_trials(deepcopy=False, states=states))


def spent_j(study) -> float:
    """Joules used by all the study's trials so far (every worker), as each one recorded."""
    records = [TrialRecord.from_trial(t) for t in study.get_trials(deepcopy=False)]
    return sum(r.measurement.energy_j for r in records if r.measurement is not None)


def stop_reason(study, config: SearchConfig) -> str | None:
    """Why no further trial should start (trial target or energy budget reached), or None."""
    if counted_trials(study) >= config.trials:
        return f"{config.trials} trials reached"
    if config.energy_budget_kj is not None and spent_j(study) >= config.energy_budget_kj * 1e3:
        return f"energy budget of {config.energy_budget_kj:g} kJ reached"
    return None


def shares(remaining: int, workers: int) -> list[int]:
    """`remaining` trials shared out among `workers` as evenly as can be."""
    return [remaining // workers + (i < remaining % workers) for i in range(workers)]


def run_worker(
    config: SearchConfig,
    url: str,
    n_trials: int,
    meters: Any = "auto",
    on_trial: OnTrial | None = None,
    data: SearchData | None = None,
) -> str:
    """Run at most `n_trials` trials of the stored study, fewer on a stop reason.

    Args:
        config: the study.
        url: the storage holding it.
        n_trials: the most trials this worker runs.
        meters: as for the tracker ("auto" or Meter objects).
        on_trial: called with each trial this worker ran, as it ends.
        data: the loaded data set (default: loaded here).

    Returns:
        Why it stopped.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = open_study(config, url)
    runner = TrialRunner(config, data or load_search_data(config), meters)
    reason: list[str] = []

    def check(study, trial) -> None:
        if on_trial is not None:
            on_trial(TrialRecord.from_trial(trial))
        why = stop_reason(study, config)
        if why is not None:
            reason.append(why)
            study.stop()

    started = time.monotonic()
    timeout_s = None if config.time_budget_min is None else config.time_budget_min * 60
    why = stop_reason(study, config)
    if why is not None:
        return why
    study.optimize(runner, n_trials=n_trials, timeout=timeout_s, callbacks=[check])
    if reason:
        return reason[0]
    if timeout_s is not None and time.monotonic() - started >= timeout_s:
        return f"time budget of {config.time_budget_min:g} min reached"
    return f"its {n_trials} trials run"


def _worker_process(config: SearchConfig, url: str, n_trials: int) -> None:
    import torch

    torch.set_num_threads(1)  # small networks: one thread is fastest, and fair to neighbours
    with sigterm_raises():  # a SIGTERM ends the trial as failed, then exits
        try:
            run_worker(config, url, n_trials)
        except (KeyboardInterrupt, Terminated):
            raise SystemExit(130) from None


def search(
    config: SearchConfig, *, meters: Any = "auto", on_trial: OnTrial | None = None
) -> SearchResult:
    """Run the study of `config` to a stop reason and summarise it.

    With `workers` > 1, that many processes run trials side by side (this one waits for
    them); Ctrl-C or SIGTERM stops them all, each marking its running trial failed.

    Args:
        config: the study.
        meters: as for the tracker ("auto" or Meter objects).
        on_trial: called with each trial this process ran, as it ends.

    Returns:
        The study read back from its storage, with `stopped_by` saying why it stopped.

    Raises:
        InvalidInputError: a bad config, storage or data set.
        MissingExtraError: Optuna, or the storage's database driver, is not installed.
    """
    config.check()
    data = load_search_data(config)  # bad data or a space it cannot hold: an error before any trial
    url = storage_url(config)
    study = open_study(config, url)  # create it once, before the workers race to
    reason = stop_reason(study, config)
    if reason is not None:
        return summarise(study, config, url, reason)
    counts = [n for n in shares(config.trials - counted_trials(study), config.workers) if n]
    try:
        with sigterm_raises():
            if len(counts) == 1:
                reason = run_worker(config, url, counts[0], meters, on_trial, data)
            else:
                reason = _run_processes(config, url, counts)
    except (KeyboardInterrupt, Terminated):
        reason = "interrupted"
    if reason != "interrupted":  # the workers' own reasons, or what the storage says now
        reason = stop_reason(study, config) or reason
    return summarise(study, config, url, reason)


def _run_processes(config: SearchConfig, url: str, counts: list[int]) -> str:
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_worker_process, args=(config, url, n), name=f"worker-{i}")
        for i, n in enumerate(counts)
    ]
    for worker in workers:
        worker.start()
    try:
        for worker in workers:
            worker.join()
    except (KeyboardInterrupt, Terminated):
        for worker in workers:
            if worker.is_alive():
                worker.terminate()  # SIGTERM: each fails its running trial, energy kept
        for worker in workers:
            worker.join()
        raise
    failed = [w.name for w in workers if w.exitcode not in (0, None)]
    if failed:
        return f"workers ended with an error: {', '.join(failed)}"
    return "all workers finished"
