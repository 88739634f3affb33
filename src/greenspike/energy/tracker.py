"""Track the energy of a run: `Tracker` and its nestable windows.

    with gs.track("train", country="FRA") as tracker:
        for epoch in range(3):
            with tracker.window(f"epoch-{epoch}"):
                train_one_epoch()
    print(tracker.report.energy_j, tracker.report.co2e_g)

A background thread reads every meter every `interval_s` (more often if a RAPL counter could
otherwise wrap twice between reads) and hands the running report, status "running", to
`on_update` and the sink, so that a caller can persist it while the run goes on; when building
and handing it on takes more than PUBLISH_SHARE of the time (a run with thousands of windows, a
slow sink), it does so less often, while the readings go on. A window reads the meters
when it opens and when it closes and reports the difference: two reads per window, nestable at
will, and a window never holds more energy than the window around it.

Nothing is lost: an exception in the tracked code ends the run as "failed", Ctrl-C
(KeyboardInterrupt) and SIGTERM as "interrupted", and the report up to that moment is still
built, kept in `tracker.report` and passed to `on_update`. While a tracker runs in the main
thread and no other SIGTERM handler is installed, SIGTERM raises `Terminated` (a SystemExit with
status 143, see `greenspike._signals`) so that `with` blocks and `finally` clauses run; a
tracker still running when the interpreter exits is stopped as "interrupted".

GPU work is asynchronous: a window edge first waits for the work queued so far (`sync`), so that
its energy lands in the window that queued it (Zeus's `sync_execution`).

Whose energy: `scope="machine"` (everything the sensors see) or "process" (the tracked process
and its children; greenspike.energy.scope); the report carries the other scope's total too. In
a distributed job (torchrun, Slurm, torch.distributed; greenspike.energy.placement) each rank
measures its own GPUs and one process per node the node's CPU and memory
(greenspike.energy.duties), so that the job counts every sensor once.

Epochs: `tracker.epoch(i)` (or a window named "epoch-<i>") marks an epoch; with `total_epochs`
the tracker forecasts the whole run at the end of each epoch once two are done
(greenspike.energy.forecast), and with `energy_budget_kwh` the epoch window raises
`EnergyBudgetExceeded` at its end when the forecast's low end (or the energy so far) is above
the budget, so that the loop stops between epochs and the run ends "interrupted" with the reason.

The tracker hands its run to a `RunSink` (`greenspike.energy.sink`) and never knows where it
goes: `sink.begin()` as the run starts, from a thread of its own so that a slow or locked sink
(opening a ledger, importing its database driver) never delays the tracked code nor the
readings; then `update()` with the running report from the sampling thread, `log_metrics()` /
`set_tags()` as they come, `finish()` with the final report (those three wait for `begin()` to
have returned).
`greenspike.EnergyTracker` (greenspike.tracking) is this tracker with the run ledger as its sink.
"""

from __future__ import annotations

import atexit
import functools
import logging
import math
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import ContextDecorator
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, ParamSpec, Protocol, TypeVar, cast

from greenspike._checks import check_text, checked_real
from greenspike._signals import Terminated, give_back_sigterm, take_sigterm
from greenspike.energy.carbon import carbon_intensity
from greenspike.energy.duties import GpuChoice, NodeClaims, assign_duties, checked_gpus
from greenspike.energy.forecast import (
    CONFIDENCE,
    MIN_EPOCHS,
    EpochSpan,
    Forecast,
    check_total_epochs,
    forecast_run,
)
from greenspike.energy.measurement import (
    J_PER_KWH,
    Component,
    ComponentEnergy,
    Components,
    EnergyReport,
    Status,
    WindowReport,
)
from greenspike.energy.meters.auto import select_meters
from greenspike.energy.meters.base import Meter
from greenspike.energy.meters.estimated import check_tdp_w
from greenspike.energy.meters.process import ProcessTree
from greenspike.energy.metric import (
    Metric,
    check_storable,
    checked_metric,
    checked_tags,
    metadata_json,
)
from greenspike.energy.placement import Placement, check_job_id, detect_placement
from greenspike.energy.pue import power_usage_effectiveness
from greenspike.energy.scope import Scope, checked_scope
from greenspike.energy.sink import RunSink
from greenspike.errors import EnergyBudgetExceeded, InvalidInputError

OnUpdate = Callable[[EnergyReport], None]
Sync = Callable[[], None]
P = ParamSpec("P")
R = TypeVar("R", covariant=True)
# The bounds of `interval_s`: below, the readings cost more than they measure; above (11.6
# days), a wait no longer fits in a thread's timeout. Counters are polled faster when needed.
MIN_INTERVAL_S = 0.01
MAX_INTERVAL_S = 1e6
# Seconds between two retries of the writes to the sink that failed (a full disk).
RETRY_S = 5.0
# How long stop() waits for the sampling thread (busy in a slow on_update) before going on.
JOIN_TIMEOUT_S = 10.0
# The largest share of the time the sampling thread spends building and handing on running
# reports (CPU time): beyond it, running reports are published less often than every reading.
PUBLISH_SHARE = 0.005
# A window with such a name is an epoch: "epoch-3", "epoch 3", "Epoch_3", "epoch3".
EPOCH_NAME = re.compile(r"^epoch[-_ ]?(\d+)$", re.IGNORECASE)

_log = logging.getLogger(__name__)


def status_of(error: BaseException | None) -> Status:
    """The status a run or window ends with when `error` (None: no error) stops it."""
    if error is None:
        return "finished"
    if isinstance(error, (KeyboardInterrupt, Terminated, EnergyBudgetExceeded)):
        return "interrupted"
    if isinstance(error, SystemExit) and error.code in (0, None):
        return "finished"
    return "failed"


@dataclass
class _Node:
    """A window while the tracker runs; times are the tracker's monotonic readings (s)."""

    name: str
    start_s: float
    start_j: dict[str, float]
    children: list[_Node] = field(default_factory=list)
    end_s: float | None = None
    end_j: dict[str, float] | None = None
    status: Status = "running"

    def close(self, end_s: float, end_j: dict[str, float], status: Status) -> None:
        """Close this window and any window still open inside it, at the same moment."""
        for child in self.children:
            if child.end_s is None:
                child.close(end_s, end_j, status)
        self.end_s, self.end_j, self.status = end_s, end_j, status


class Window(ContextDecorator):
    """A named stretch of a run; a context manager, a decorator, or `start()` / `stop()`.

    `report` is its WindowReport once it is closed.
    """

    def __init__(self, tracker: Tracker, name: str):
        self.tracker = tracker
        self.name = name
        self.report: WindowReport | None = None
        self._node: _Node | None = None

    def start(self) -> Window:
        """Open the window: read the meters now; returns the window.

        Raises:
            RuntimeError: the window was already started, or its tracker is not running.
        """
        if self._node is not None:
            raise RuntimeError(f"window {self.name!r} was already started")
        self._node = self.tracker._open_window(self.name)
        return self

    def stop(self, status: Status = "finished") -> WindowReport:
        """Close the window (and any still open inside it) and return its report.

        Raises:
            RuntimeError: the window was not started.
        """
        if self._node is None:
            raise RuntimeError(f"window {self.name!r} was not started")
        self.report = self.tracker._close_window(self._node, status)
        return self.report

    def __enter__(self) -> Window:
        return self.start()

    def __exit__(self, kind, error, traceback) -> Literal[False]:
        self.stop(status_of(error))
        reason = self.tracker.over_budget
        if error is None and reason is not None and EPOCH_NAME.match(self.name):
            raise EnergyBudgetExceeded(reason)
        return False

    def _recreate_cm(self) -> Window:
        return Window(self.tracker, self.name)  # each decorated call is a window of its own


class TrackedFunction(Protocol, Generic[P, R]):
    """A function decorated with a tracker (`@gs.track("fit")`): each call is one run.

    Attributes:
        tracker: the tracker; its `run_id` and `report` are those of the latest call.
        last_report: the report of the latest call (also when it raised), None before any.
    """

    tracker: Tracker
    last_report: EnergyReport | None

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        """Call the function as one run of `tracker`."""
        ...


class Tracker(ContextDecorator):
    """Measures the energy of the code between `start()` and `stop()`.

    Usable as a context manager (`with tracker:`) and as a decorator: each call of the function
    is one run, and the function gets `last_report` and `tracker` (`TrackedFunction`):

        @gs.track("fit")
        def fit(model): ...

        fit(model)
        fit.last_report.energy_j, fit.tracker.run_id

    Args:
        meters: "auto" (the best meter per component, see `select_meters`) or Meter objects,
            started on `start()`.
        interval_s: seconds between two readings of the meters by the sampling thread.
        country: where the electricity comes from, for the carbon intensity (ISO 3166 code).
        pue: power usage effectiveness of the data centre (>= 1, or a provider such as "gcp"),
            applied to CO2e; None: 1 (no overhead), right for a machine measured on its own
            (`power_usage_effectiveness`).
        intensity_g_per_kwh: the carbon intensity itself, instead of `country` (at most one of
            the two; with neither, the report has no CO2e and says why).
        name: the run's name.
        cpu_tdp_w: power of the CPUs this process may use at full load, for the CPU estimate.
        on_update: called with the running report after every reading by the sampling thread,
            and with the final report at `stop()`; exceptions it raises are logged and noted,
            not raised.
        sink: where the run goes (`RunSink`), or None to keep it nowhere but `report`. Its
            failures are logged and noted in the report, never raised.
        tags: labels (str -> str, e.g. {"group": "mnist-compare"}) kept with the run.
        metadata: JSON-ready details kept with the run.
        command: what ran (default: this process's argv).
        sync: called before the meters are read at every window edge, start and stop, to wait
            for queued GPU work: "auto" (synchronise CUDA when torch has initialised it, without
            importing torch otherwise), a function of your own, or None.
        scope: "machine" (everything the sensors see, the default) or "process" (this process
            and its children; see greenspike.energy.scope).
        count_self: in process scope, whether this process's own CPU time and memory count
            beside its children's; `greenspike track` sets False, so that the command it starts
            is charged, not greenspike.
        job_id: the id shared by the ranks of a distributed job (default: from the launcher;
            see greenspike.energy.placement).
        placement: this process's place in its job, instead of detecting it at `start()`.
        gpus: the GPUs measured with meters="auto": "auto" (a rank's own GPU in a distributed
            job, else every visible GPU), "all" (every visible GPU) or CUDA device numbers.
        total_epochs: the epochs the run will have, for `forecast()`.
        energy_budget_kwh: stop the run at the end of an epoch when the forecast exceeds this
            with high confidence (see the module).

    Raises:
        InvalidInputError: a bad interval, meters, PUE, country, intensity, TDP, tag, metadata,
            scope, job id, GPUs, total epochs or budget.
    """

    def __init__(
        self,
        meters: Literal["auto"] | Sequence[Meter] = "auto",
        interval_s: float = 1.0,
        country: str | None = None,
        pue: float | str | None = None,
        intensity_g_per_kwh: float | None = None,
        name: str | None = None,
        *,
        cpu_tdp_w: float | None = None,
        on_update: OnUpdate | None = None,
        sink: RunSink | None = None,
        tags: Mapping[str, object] | None = None,
        metadata: Mapping[str, Any] | None = None,
        command: str | None = None,
        sync: Sync | Literal["auto"] | None = "auto",
        scope: Scope = "machine",
        count_self: bool = True,
        job_id: str | None = None,
        placement: Placement | None = None,
        gpus: GpuChoice = "auto",
        total_epochs: int | None = None,
        energy_budget_kwh: float | None = None,
    ):
        interval_s = checked_real(interval_s, "`interval_s`")
        if interval_s <= 0:
            raise InvalidInputError(f"`interval_s` must be > 0 s, got {interval_s:g} s")
        if not MIN_INTERVAL_S <= interval_s <= MAX_INTERVAL_S:
            raise InvalidInputError(
                f"`interval_s` must be between {MIN_INTERVAL_S:g} s (more often, greenspike "
                f"would mostly measure its own readings) and {MAX_INTERVAL_S:g} s, "
                f"got {interval_s:g} s"
            )
        check_tdp_w(cpu_tdp_w)
        if name is not None:
            check_text(name, "`name` of the run")
            check_storable(name, "`name` of the run")
        if meters != "auto" and not (
            isinstance(meters, (list, tuple)) and all(isinstance(m, Meter) for m in meters)
        ):
            raise InvalidInputError(
                f"meters must be 'auto' or a list of meters (greenspike Meter objects), "
                f"got {meters!r}"
            )
        if not (sync is None or sync == "auto" or callable(sync)):
            raise InvalidInputError(f"sync must be 'auto', a function or None, got {sync!r}")
        self.meters = meters
        self.interval_s = float(interval_s)
        self.carbon_intensity = carbon_intensity(country, intensity_g_per_kwh)
        self.pue = power_usage_effectiveness(pue).value
        self.name = name
        self.cpu_tdp_w = cpu_tdp_w
        self.on_update = on_update
        self.sink = sink
        self.tags = checked_tags(tags)
        metadata_json(metadata)
        self.metadata = dict(metadata or {})
        self.command = command
        self.sync: Sync | None = cuda_sync if sync == "auto" else sync
        self.scope = checked_scope(scope)
        self.count_self = bool(count_self)
        check_job_id(job_id)
        self.job_id = job_id
        self.gpus = checked_gpus(gpus)
        check_total_epochs(total_epochs)
        self.total_epochs = total_epochs
        check_budget_kwh(energy_budget_kwh)
        self.energy_budget_kwh = energy_budget_kwh
        #: Where this process sits in its job: given, or detected at `start()`.
        self.placement = placement
        self._given_placement = placement
        #: Why the run is over its energy budget (see the module), or None.
        self.over_budget: str | None = None
        #: The latest forecast of the whole run, made at the end of an epoch or by `forecast()`.
        self.latest_forecast: Forecast | None = None
        self._run_id: int | None = None
        self._begun = threading.Event()  # the sink has answered begin() (or there is none)
        self._begun.set()
        #: Metrics logged with `log_metrics()`, in order.
        self.metrics: list[Metric] = []
        #: The final report, once `stop()` has run.
        self.report: EnergyReport | None = None
        self._kept = False  # whether the sink took the run (its begin() succeeded)
        self._lock = threading.RLock()
        self._running = False
        # Held from start() to stop(): a second start() while it runs (a tracked function
        # called from two threads at once) is refused at once, never half-started.
        self._in_use = threading.Lock()
        # Writes to the sink that failed, retried in order (see `flush`).
        self._unwritten: list[tuple[Callable[[RunSink], None], str, tuple[Metric, ...]]] = []
        # Metrics logged for a sink that never took the run (kept in the report instead).
        self._not_kept_metrics: list[Metric] = []
        self._retry_lock = threading.RLock()
        self._retrier: threading.Thread | None = None
        self._pid = os.getpid()  # only the process that started the run records it
        self._active: tuple[Meter, ...] = ()
        self._notes: list[str] = []
        self._roots: list[_Node] = []
        self._open = threading.local()
        self._latest_s = self._start_s = self._start_unix_s = 0.0
        self._latest_j: dict[str, float] = {}
        self._latest_other: dict[str, float] = {}
        self._claims: NodeClaims | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._owns_sigterm = False

    # -- run ------------------------------------------------------------------------------

    def start(self, *, sink_after: threading.Event | None = None) -> Tracker:
        """Start the meters and the sampling thread; returns the tracker.

        Args:
            sink_after: the sink's `begin()` waits for this event: set it once what must not
                share the interpreter with the sink's start (a ledger's imports) has started;
                `greenspike track` sets it once its command runs.

        Raises:
            RuntimeError: the tracker is already running.
            InvalidInputError: two meters report the same component.
        """
        if not self._in_use.acquire(blocking=False):
            raise RuntimeError(
                "the tracker is already running; stop() it first (a tracked function runs "
                "one call at a time: from several threads, give each thread its own tracker)"
            )
        try:
            return self._start(sink_after)
        except BaseException:
            self._in_use.release()
            raise

    def _start(self, sink_after: threading.Event | None) -> Tracker:
        self._pid = os.getpid()
        self.report = None
        self._notes, self._roots = [], []
        self.over_budget, self.latest_forecast = None, None
        self.placement = self._given_placement or detect_placement(self.job_id)
        if self.meters == "auto":
            duties = assign_duties(self.placement, self.scope, self.gpus)
            self._claims = duties.claims
            try:
                selection = select_meters(
                    self.cpu_tdp_w,
                    scope=self.scope,
                    duties=duties,
                    tree=ProcessTree(include_root=self.count_self),
                )
            except BaseException:
                self._release_claims()
                raise
            self._active, self._notes = selection.meters, list(selection.notes)
        else:
            self._active = tuple(self.meters)
            for meter in self._active:
                meter.start()
        self._check_names()
        polls = [getattr(m, "max_poll_interval_s", None) for m in self._active]
        poll_s = min([self.interval_s, *(p for p in polls if p)])
        if poll_s < self.interval_s:
            self._notes.append(f"meters read every {poll_s:.3g} s so that no counter wraps twice")
        self._synchronise()
        self._start_unix_s, self._start_s = time.time(), time.monotonic()
        self._latest_j, self._latest_other = {}, {}
        self._latest_s, self._latest_j = self._read()
        self.metrics, self._run_id, self._kept = [], None, False
        if self.sink is not None:
            self._begun.clear()
            threading.Thread(
                target=self._begin_sink,
                args=(self.sink, sink_after),
                name="greenspike-sink",
                daemon=True,
            ).start()
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._sample_every, args=(poll_s,), name="greenspike-energy", daemon=True
        )
        self._running = True
        self._thread.start()
        self._owns_sigterm = take_sigterm()
        atexit.register(self._stop_at_exit)
        return self

    def stop(self, status: Status = "finished", note: str | None = None) -> EnergyReport:
        """Read the meters a last time and return the report; again: the same report.

        Args:
            status: "finished", "failed" or "interrupted".
            note: why it ended so, kept in the report.

        Raises:
            InvalidInputError: an unknown status.
            RuntimeError: the tracker was never started.
        """
        if status not in ("finished", "failed", "interrupted"):
            raise InvalidInputError(f"a run ends finished, failed or interrupted, not {status!r}")
        if not self._running:
            if self.report is None:
                raise RuntimeError("the tracker was not started")
            return self.report
        self._synchronise()
        self._running = False
        self._stopping.set()
        # stop() may come from on_update, in the sampling thread itself: it ends after this
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(JOIN_TIMEOUT_S)
            if self._thread.is_alive():
                self._notes.append(f"the sampling thread did not stop in {JOIN_TIMEOUT_S:g} s")
        if os.getpid() == self._pid:  # a forked child has no sink thread to wait for
            self._begun.wait()  # so that the sink's answer to begin() is in the report
            if self._unwritten:
                self.flush()  # once more now: what is still unwritten goes into the report
        with self._lock:
            self._latest_s, self._latest_j = self._read()
            for root in self._roots:
                if root.end_s is None:
                    root.close(self._latest_s, self._latest_j, status)
            if note:
                self._notes.append(note)
            self.report = self._build(status)
            for meter in self._active:
                meter.close()
            self._release_claims()
        if self._owns_sigterm:
            give_back_sigterm()
            self._owns_sigterm = False
        atexit.unregister(self._stop_at_exit)
        self._publish(self.report)
        self._in_use.release()
        return self.report

    @property
    def run_id(self) -> int | None:
        """The id the sink gave this run; None when it is not kept (no sink, or it failed).

        The sink takes the run in the background as the run starts; asking for the id waits
        until it has. A forked child, which has no sink thread to wait for, gets the id its
        parent had when it forked (None if the sink had not answered yet).
        """
        if os.getpid() == self._pid:
            self._begun.wait()
        return self._run_id

    def snapshot(self) -> EnergyReport:
        """The report so far (status "running"), from a reading taken now.

        Raises:
            RuntimeError: the tracker is not running.
        """
        if not self._running:
            raise RuntimeError("the tracker is not running")
        self._synchronise()
        with self._lock:
            self._latest_s, self._latest_j = self._read()
            return self._build("running")

    def log_metrics(self, step: int | None = None, **metrics: float) -> list[Metric]:
        """Record numbers for this run, e.g. `log_metrics(step=epoch, accuracy=0.97, loss=0.1)`.

        Kept in `metrics` and handed to the sink, also after `stop()`.

        Args:
            step: the epoch or step they belong to; None: they describe the run as a whole.
            **metrics: name = finite number.

        Returns:
            The metrics logged.

        Raises:
            InvalidInputError: a value that is not a finite number, or a bad step.
            RuntimeError: the tracker was never started.
        """
        if not self._running and self.report is None:
            raise RuntimeError("start the tracker before logging metrics")
        now = time.time()
        logged = [checked_metric(name, value, step, now) for name, value in metrics.items()]
        self.metrics.extend(logged)
        self._to_sink(lambda sink: sink.log_metrics(logged), "log metrics", tuple(logged))
        return logged

    def set_tags(self, **tags: object) -> None:
        """Add tags to this run (`set_tags(group="mnist", model="snn")`), in `tags` and the sink.

        A key it already has takes the new value.

        Raises:
            InvalidInputError: an empty name or a None value.
        """
        checked = checked_tags(tags)
        self.tags.update(checked)
        if self._running or self.report is not None:
            self._to_sink(lambda sink: sink.set_tags(checked), "set tags")

    def window(self, name: str) -> Window:
        """A named window, nested in the window open in this thread, if any."""
        return Window(self, name)

    def epoch(self, index: int | None = None) -> Window:
        """The window of epoch `index` (default: the next one), named "epoch-<index>".

        At its end the tracker forecasts the run (with `total_epochs`) and checks the budget;
        used as a context manager, it raises `EnergyBudgetExceeded` there when the run is over
        its budget.

        Raises:
            InvalidInputError: `index` is not an integer >= 0.
        """
        if index is None:
            index = len(self._epoch_nodes(finished_only=False))
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise InvalidInputError(f"an epoch index is an integer >= 0, got {index!r}")
        return Window(self, f"epoch-{index}")

    @property
    def epochs_done(self) -> int:
        """How many epoch windows have finished."""
        return len(self._epoch_nodes())

    def forecast(self, total_epochs: int | None = None, confidence: float = CONFIDENCE) -> Forecast:
        """The whole run's energy, CO2e and duration, with intervals, from the epochs done.

        See greenspike.energy.forecast; the forecast is kept as `latest_forecast` and in the
        run's report.

        Args:
            total_epochs: the epochs the run will have (default: the tracker's `total_epochs`).
            confidence: the intervals' two-sided coverage.

        Raises:
            RuntimeError: the tracker is not running.
            InvalidInputError: no total_epochs, fewer than 2 finished epochs, more epochs done
                than total_epochs, or a bad confidence.
        """
        if not self._running:
            raise RuntimeError("the tracker is not running")
        total = total_epochs if total_epochs is not None else self.total_epochs
        if total is None:
            raise InvalidInputError("forecast() needs `total_epochs` (here or on the tracker)")
        self._synchronise()
        with self._lock:
            self._latest_s, self._latest_j = self._read()
            return self._forecast(total, confidence)

    def __enter__(self) -> Tracker:
        return self.start()

    def __call__(self, func: Callable[P, R]) -> TrackedFunction[P, R]:  # type: ignore[override]
        """Decorate `func`: each call is one run; see `TrackedFunction`."""

        @functools.wraps(func)
        def tracked(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                with self:
                    return func(*args, **kwargs)
            finally:
                tracked.last_report = self.report  # type: ignore[attr-defined]

        tracked.tracker = self  # type: ignore[attr-defined]
        tracked.last_report = None  # type: ignore[attr-defined]
        return cast(TrackedFunction[P, R], tracked)

    def __exit__(self, kind, error, traceback) -> Literal[False]:
        status = status_of(error)
        self.stop(status, None if status == "finished" else _ending(error))
        return False

    # -- windows --------------------------------------------------------------------------

    def _open_window(self, name: str) -> _Node:
        if not self._running:
            raise RuntimeError(f"start the tracker before opening window {name!r}")
        self._synchronise()
        stack: list[_Node] = self._open.__dict__.setdefault("stack", [])
        with self._lock:
            self._latest_s, self._latest_j = self._read()
            node = _Node(name, self._latest_s, self._latest_j)
            (stack[-1].children if stack else self._roots).append(node)
        stack.append(node)
        return node

    def _close_window(self, node: _Node, status: Status) -> WindowReport:
        stack: list[_Node] = self._open.__dict__.setdefault("stack", [])
        if node in stack:
            del stack[stack.index(node) :]
        self._synchronise()
        with self._lock:
            if node.end_s is None:  # else the run stopped first and closed it
                self._latest_s, self._latest_j = self._read()
                node.close(self._latest_s, self._latest_j, status)
                if status == "finished" and EPOCH_NAME.match(node.name):
                    self._after_epoch()
            return self._window_report(node, self._provenance())

    def _after_epoch(self) -> None:
        """Forecast the run (with total_epochs) and check the budget, at the end of an epoch."""
        done = self.epochs_done
        forecast = None
        if self.total_epochs is not None and MIN_EPOCHS <= done <= self.total_epochs:
            forecast = self._forecast(self.total_epochs, CONFIDENCE)
        budget_kwh = self.energy_budget_kwh
        if budget_kwh is None or self.over_budget is not None:
            return
        so_far_kwh = self._total(self._latest_j) / J_PER_KWH
        if so_far_kwh > budget_kwh:
            self.over_budget = (
                f"stopped by its energy budget after {done} epochs: {so_far_kwh:.4g} kWh "
                f"used, over the budget of {budget_kwh:g} kWh"
            )
        elif forecast is not None and forecast.energy_low_j / J_PER_KWH > budget_kwh:
            self.over_budget = (
                f"stopped by its energy budget after {done} epochs: the {forecast.summary()} "
                f"is over the budget of {budget_kwh:g} kWh even at its low end"
            )
        if self.over_budget is not None:
            self._notes.append(self.over_budget)

    def _forecast(self, total_epochs: int, confidence: float) -> Forecast:
        """The forecast from the epochs done, as of the latest reading (hold the lock)."""
        spans = [
            EpochSpan(
                node.start_s - self._start_s,
                (node.end_s or self._latest_s) - self._start_s,
                self._total(node.start_j),
                self._total(node.end_j or self._latest_j),
            )
            for node in self._epoch_nodes()
        ]
        intensity = self.carbon_intensity
        self.latest_forecast = forecast_run(
            spans,
            total_epochs,
            self._total(self._latest_j),
            self._latest_s - self._start_s,
            confidence=confidence,
            pue=self.pue,
            intensity_g_per_kwh=None if intensity is None else intensity.intensity_g_per_kwh,
        )
        return self.latest_forecast

    def _epoch_nodes(self, finished_only: bool = True) -> list[_Node]:
        """The epoch windows, outermost only, in the order they started."""
        found: list[_Node] = []

        def walk(nodes: list[_Node]) -> None:
            for node in nodes:
                if EPOCH_NAME.match(node.name):
                    if not finished_only or node.status == "finished":
                        found.append(node)
                else:
                    walk(node.children)

        with self._lock:
            walk(self._roots)
        return sorted(found, key=lambda node: node.start_s)

    def _total(self, energies: dict[str, float]) -> float:
        """Joules of every reported component in `energies` (a reading since the start)."""
        return math.fsum(energies.get(name, 0.0) for name in self._provenance())

    # -- inside ---------------------------------------------------------------------------

    def _synchronise(self) -> None:
        """Wait for queued GPU work (`sync`); a failing sync is noted, never raised."""
        if self.sync is None:
            return
        try:
            self.sync()
        except Exception as error:
            self._note_once(f"sync before reading the meters failed: {error!r}")

    def _check_names(self) -> None:
        names = [c.name for m in self._active for c in m.components()]
        doubled = sorted({n for n in names if names.count(n) > 1})
        if doubled:
            for meter in self._active:
                meter.close()
            self._release_claims()
            raise InvalidInputError(
                f"several meters report {', '.join(doubled)}: that would count twice"
            )

    def _read(self) -> tuple[float, dict[str, float]]:
        """(monotonic time, joules per component since start); a failing meter keeps its last."""
        with self._lock:
            energies = dict(self._latest_j)
            for meter in self._active:
                try:
                    read = meter.read()
                    self._latest_other.update(meter.other_scope())
                except Exception as error:  # a meter must not end the run
                    self._note_once(f"meter {meter.name} failed to read: {error!r}")
                    continue
                for name, joules in read.items():
                    if math.isfinite(joules):
                        energies[name] = joules
                    else:  # a broken sensor: keep its last reading, never an infinite total
                        self._note_once(f"meter {meter.name} read {joules} J for {name}: ignored")
            return time.monotonic(), energies

    def _sample_every(self, poll_s: float) -> None:
        next_publish_s = 0.0
        while not self._stopping.wait(poll_s):
            try:
                started_cpu_s = time.thread_time()
                with self._lock:
                    if not self._running:
                        return
                    self._latest_s, self._latest_j = self._read()
                    publish = self.on_update is not None or self._kept
                    due = publish and self._latest_s >= next_publish_s
                    report = self._build("running") if due else None
                    read_cpu_s = time.thread_time() - started_cpu_s
            except Exception as error:  # keep reading: a counter must not wrap unseen
                self._note_once(f"sampling failed: {error!r}")
                continue
            if report is not None:
                self._publish(report)
                # building and handing on the report (a report with thousands of windows, a
                # slow sink) takes at most PUBLISH_SHARE of the time: the readings go on
                spent_s = time.thread_time() - started_cpu_s - read_cpu_s
                next_publish_s = self._latest_s + spent_s / PUBLISH_SHARE

    def _begin_sink(self, sink: RunSink, after: threading.Event | None) -> None:
        """Hand the run to the sink (in a thread of its own, as the run starts, or `after`)."""
        try:
            if after is not None:
                after.wait()
            self._run_id = sink.begin(
                self._build("running"),
                interval_s=self.interval_s,
                command=self.command,
                tags=self.tags,
                metadata=self.metadata,
            )
            self._kept = True
            _log.info("greenspike: run %s (%s) is kept in %s", self._run_id, self.name, sink.where)
        except Exception as error:  # keeping the record must not stop the measurement
            _log.warning("greenspike: the run is not kept: %s", error)
            self._note_once(f"not kept in {sink.where}: {error}")
        finally:
            self._begun.set()

    def _to_sink(
        self, write: Callable[[RunSink], None], what: str, metrics: tuple[Metric, ...] = ()
    ) -> None:
        """Hand `write` to the sink, or queue it for retrying; `metrics`: those it writes."""
        if os.getpid() != self._pid:
            return  # a forked child never writes the parent's run
        self._begun.wait()  # after begin(), whichever thread calls
        if self.sink is None:
            return
        if not self._kept:
            self._not_kept_metrics.extend(metrics)
            return
        with self._retry_lock:
            if self._unwritten and what != "store the report":
                self._unwritten.append((write, what, metrics))  # after those that failed
                return
            try:
                write(self.sink)
            except Exception as error:
                _log.warning("greenspike: could not %s in %s: %r", what, self.sink.where, error)
                self._note_once(f"{self.sink.where}: could not {what}: {error!r}")
                if what != "store the report":  # a running report is superseded by the next
                    self._unwritten.append((write, what, metrics))
                    self._retry_later()

    def _unwritten_metrics(self) -> tuple[Metric, ...]:
        """The metrics the sink has not taken: queued for retrying, or of a run it never took."""
        queued = list(self._unwritten)  # a copy: the retry thread may pop from it meanwhile
        return (*self._not_kept_metrics, *(m for _, _, metrics in queued for m in metrics))

    def _retry_later(self) -> None:
        """Retry the writes that failed, in order, every RETRY_S s until they succeed.

        A full disk or a database away for a while: the final status and the metrics reach the
        sink once it takes them again, within the process's lifetime (a last try at exit).
        """
        if self._retrier is not None and self._retrier.is_alive():
            return
        self._retrier = threading.Thread(
            target=self._retry_every, name="greenspike-retry", daemon=True
        )
        self._retrier.start()
        atexit.register(self.flush)

    def _retry_every(self) -> None:
        while not self.flush():
            time.sleep(RETRY_S)

    def flush(self) -> bool:
        """Try again, now, the writes to the sink that failed; True when none is left.

        The tracker retries them by itself every few seconds, and once more at exit.
        """
        with self._retry_lock:
            while self._unwritten:
                write, what, _ = self._unwritten[0]
                try:
                    write(self.sink)  # type: ignore[arg-type]  # only queued with a sink
                except Exception:
                    return False
                self._unwritten.pop(0)
                _log.info("greenspike: %s in %s, at last", what, self.sink and self.sink.where)
            return True

    def _publish(self, report: EnergyReport) -> None:
        if os.getpid() != self._pid:
            return  # a forked child: the run, its file and its record are the parent's
        if report.status == "running":
            if self._begun.is_set():  # the readings never wait for the sink
                self._to_sink(lambda sink: sink.update(report), "store the report")
        else:
            self._to_sink(lambda sink: sink.finish(report), "store the final report")
        if self.on_update is None:
            return
        try:
            self.on_update(report)
        except Exception as error:  # the caller's persistence must not end the measurement
            _log.warning("greenspike: on_update failed: %r", error)
            self._note_once(f"on_update failed: {error!r}")

    def _release_claims(self) -> None:
        if self._claims is not None:
            self._claims.release()
            self._claims = None

    def _note_once(self, note: str) -> None:
        if note not in self._notes:
            self._notes.append(note)

    def _provenance(self) -> dict[str, Component]:
        return {c.name: c for meter in self._active for c in meter.components()}

    def _build(self, status: Status) -> EnergyReport:
        with self._lock:
            provenance = self._provenance()
            duration_s = self._latest_s - self._start_s
            finished = status != "running"
            return EnergyReport(
                name=self.name,
                status=status,
                start_unix_s=self._start_unix_s,
                end_unix_s=self._start_unix_s + duration_s if finished else None,
                duration_s=duration_s,
                components=_energies(provenance, self._latest_j, {}),
                missing=tuple(m for meter in self._active for m in meter.missing()),
                pue=self.pue,
                carbon_intensity=self.carbon_intensity,
                windows=tuple(self._window_report(n, provenance) for n in self._roots),
                notes=tuple(self._notes),
                scope=self.scope,
                other_scope_energy_j=self._other_scope_j(),
                placement=self.placement,
                forecast=self.latest_forecast,
                unwritten_metrics=self._unwritten_metrics(),
            )

    def _other_scope_j(self) -> float | None:
        """The run's joules as the other scope counts them; None if no meter has scopes."""
        if not self._latest_other:
            return None
        return math.fsum(
            self._latest_other.get(name, self._latest_j.get(name, 0.0))
            for name in self._provenance()
        )

    def _window_report(self, node: _Node, provenance: dict[str, Component]) -> WindowReport:
        end_s = self._latest_s if node.end_s is None else node.end_s
        end_j = self._latest_j if node.end_j is None else node.end_j
        return WindowReport(
            name=node.name,
            status=node.status,
            start_unix_s=self._start_unix_s + (node.start_s - self._start_s),
            end_unix_s=None if node.end_s is None else self._start_unix_s + end_s - self._start_s,
            duration_s=end_s - node.start_s,
            components=_energies(provenance, end_j, node.start_j),
            windows=tuple(self._window_report(child, provenance) for child in node.children),
        )

    def _stop_at_exit(self) -> None:
        if os.getpid() == self._pid:  # a forked child exiting leaves the parent's run alone
            self.stop("interrupted", "the interpreter exited before stop()")


def check_budget_kwh(budget_kwh: float | None) -> None:
    """Check that `budget_kwh` is None or a finite number of kWh > 0.

    Raises:
        InvalidInputError: it is not.
    """
    if budget_kwh is None:
        return
    if (
        isinstance(budget_kwh, bool)
        or not isinstance(budget_kwh, (int, float))
        or not math.isfinite(budget_kwh)
        or budget_kwh <= 0
    ):
        raise InvalidInputError(
            f"`energy_budget_kwh` must be a finite number of kWh > 0, got {budget_kwh!r}"
        )


def cuda_sync() -> None:
    """Wait for the CUDA work queued so far, if torch is loaded and has initialised CUDA.

    Never imports torch: a process that has not imported it has no GPU work to wait for.
    """
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_initialized():
        torch.cuda.synchronize()


def _ending(error: BaseException | None) -> str:
    if isinstance(error, Terminated):
        return "ended by SIGTERM"
    return f"ended by {type(error).__name__}: {error}".removesuffix(": ")


def _energies(
    provenance: dict[str, Component], end_j: dict[str, float], start_j: dict[str, float]
) -> Components:
    return Components(
        ComponentEnergy(
            c.name,
            c.provenance,
            c.method,
            c.source,
            c.notes,
            energy_j=end_j.get(name, 0.0) - start_j.get(name, 0.0),
        )
        for name, c in provenance.items()
    )
