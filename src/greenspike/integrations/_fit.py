"""What the Lightning and Hugging Face callbacks share: a tracked run per training.

That is: epochs, step windows, metrics, the forecast printed once, and a job-wide budget.

A framework calls `begin()` when training starts, `epoch_started()` / `epoch_ended()` around
each epoch, `step_started()` / `step_ended()` around each step (only needed with
`every_n_steps`), `log()` with its metrics, and `end()` when training ends. In a distributed
run every rank makes one: `reduce` sums numbers over the ranks (a collective the framework
provides), so that the forecast printed by rank 0 and the budget decision, the same on every
rank, are the job's: each rank forecasts its own figures, and the job's energy, interval ends
included, is their sum (a conservative interval: the sum of the ranks' ends).
"""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from greenspike.energy.forecast import MIN_EPOCHS, Forecast
from greenspike.energy.measurement import J_PER_KWH, Status
from greenspike.energy.placement import Placement
from greenspike.energy.scope import Scope
from greenspike.energy.tracker import Window, check_budget_kwh
from greenspike.errors import InvalidInputError
from greenspike.tracking import EnergyTracker, LedgerOption

Reduce = Callable[[Sequence[float]], Sequence[float]]


def no_reduce(values: Sequence[float]) -> Sequence[float]:
    """The sum over the ranks of a run that has one rank: the values themselves."""
    return values


@dataclasses.dataclass(frozen=True)
class TrackingOptions:
    """The options of a training callback (see the callbacks' Args)."""

    name: str | None = None
    every_n_steps: int | None = None
    total_epochs: int | None = None
    energy_budget_kwh: float | None = None
    forecast_after: int = MIN_EPOCHS
    scope: Scope = "machine"
    country: str | None = None
    intensity_g_per_kwh: float | None = None
    pue: float | str = 1.0
    interval_s: float = 1.0
    ledger: LedgerOption = "default"
    tags: Mapping[str, object] | None = None
    metadata: Mapping[str, Any] | None = None
    job_id: str | None = None
    verbose: bool = True

    def check(self) -> None:
        """Check the options a tracker does not check itself.

        Raises:
            InvalidInputError: `every_n_steps` or `forecast_after` is not an integer >= 1 (>= 2
                for `forecast_after`), or a bad budget.
        """
        steps = self.every_n_steps
        if steps is not None and (
            isinstance(steps, bool) or not isinstance(steps, int) or steps < 1
        ):
            raise InvalidInputError(f"every_n_steps must be an integer >= 1, got {steps!r}")
        after = self.forecast_after
        if isinstance(after, bool) or not isinstance(after, int) or after < MIN_EPOCHS:
            raise InvalidInputError(
                f"forecast_after must be an integer >= {MIN_EPOCHS} (the spread of the epochs "
                f"needs two), got {after!r}"
            )
        check_budget_kwh(self.energy_budget_kwh)


class FitTracker:
    """One training run of a framework, tracked (see the module).

    Args:
        options: the callback's options.
        framework: "lightning" or "huggingface", kept as the run's `framework` tag.
    """

    def __init__(self, options: TrackingOptions, framework: str):
        options.check()
        self.options = options
        self.framework = framework
        self.tracker: EnergyTracker | None = None
        #: Why the job went over its budget, once it has.
        self.over_budget: str | None = None
        #: The job's forecast printed (or made, when not verbose), once it is made.
        self.forecast: Forecast | None = None
        self._epoch: Window | None = None
        self._steps: Window | None = None
        self._steps_in_window = 0
        self._main = True
        self._reduce: Reduce = no_reduce

    def begin(
        self,
        placement: Placement,
        total_epochs: int | None,
        *,
        reduce: Reduce = no_reduce,
        metadata: Mapping[str, Any] | None = None,
        name: str | None = None,
    ) -> None:
        """Start the run's tracker; stop one left running by a training that never ended.

        `name` is the run's name when the options give none (e.g. the model's class).
        """
        if self.tracker is not None and self.tracker.report is None:
            self.tracker.stop("interrupted", "the training ended without telling greenspike")
        options = self.options
        self._main = placement.rank in (None, 0)
        self._reduce = reduce
        self.over_budget, self.forecast = None, None
        self._epoch = self._steps = None
        self.tracker = EnergyTracker(
            interval_s=options.interval_s,
            country=options.country,
            pue=options.pue,
            intensity_g_per_kwh=options.intensity_g_per_kwh,
            name=options.name or name,
            ledger=options.ledger,
            tags={"framework": self.framework, **dict(options.tags or {})},
            metadata={**dict(metadata or {}), **dict(options.metadata or {})},
            scope=options.scope,
            placement=placement,
            total_epochs=options.total_epochs or total_epochs,
        )
        self.tracker.start()

    def epoch_started(self, epoch: int) -> None:
        """Open the epoch's window."""
        if self.tracker is None or self.tracker.report is not None:
            return
        self._close_steps()
        self._epoch = self.tracker.epoch(epoch).start()

    def step_started(self, step: int) -> None:
        """Open a window of `every_n_steps` steps, named after its first, if none is open."""
        if self.options.every_n_steps is None or self._epoch is None or self._steps is not None:
            return
        assert self.tracker is not None
        self._steps = self.tracker.window(f"steps-{step}").start()
        self._steps_in_window = 0

    def step_ended(self) -> None:
        """Close the step window once it holds `every_n_steps` steps."""
        if self._steps is None:
            return
        self._steps_in_window += 1
        if self._steps_in_window >= (self.options.every_n_steps or 1):
            self._close_steps()

    def log(self, metrics: Mapping[str, object], step: int | None) -> None:
        """Keep the numbers among `metrics` (finite ints, floats, one-element tensors)."""
        if self.tracker is None:
            return
        numbers = {
            name: value for name, raw in metrics.items() if (value := _number(raw)) is not None
        }
        if numbers:
            self.tracker.log_metrics(step=step, **numbers)

    def epoch_ended(
        self, metrics: Mapping[str, object] | None = None, step: int | None = None
    ) -> bool:
        """Close the epoch, keep its metrics, print the forecast once; True: stop training.

        Every rank must call it (the job's figures are summed over the ranks).
        """
        if self.tracker is None or self._epoch is None:
            return False
        self._close_steps()
        self._epoch.stop()
        self._epoch = None
        if metrics:
            self.log(metrics, step)
        return self._check_job()

    def end(self, status: Status = "finished", note: str | None = None) -> None:
        """Stop the run: "interrupted" with the reason when the budget stopped it."""
        if self.tracker is None or self.tracker.report is not None:
            return
        self._close_steps()
        if self.over_budget is not None and status == "finished":
            status, note = "interrupted", self.over_budget
        self.tracker.stop(status, note)

    @property
    def run_id(self) -> int | None:
        """Where the run is kept in the ledger (None before training or when not kept)."""
        return None if self.tracker is None else self.tracker.run_id

    def _close_steps(self) -> None:
        if self._steps is not None:
            self._steps.stop()
            self._steps = None

    def _check_job(self) -> bool:
        """The job's forecast and budget, from every rank's figures; True: stop."""
        assert self.tracker is not None
        local = self.tracker.latest_forecast
        done = self.tracker.epochs_done
        so_far = self.tracker.snapshot().energy_j if self.options.energy_budget_kwh else 0.0
        ready = local is not None and done >= self.options.forecast_after
        figures = (
            [1.0, local.energy_j, local.energy_low_j, local.energy_high_j]
            if ready and local is not None
            else [0.0, 0.0, 0.0, 0.0]
        )
        summed = list(self._reduce([so_far, *figures]))
        job_so_far, forecasting, energy, low, high = summed
        if self.forecast is None and local is not None and forecasting > 0:
            self.forecast = _job_forecast(local, energy, low, high)
            if self._main and self.options.verbose:
                sys.stderr.write(f"greenspike: {self.forecast.summary()}\n")
        budget_kwh = self.options.energy_budget_kwh
        if budget_kwh is None or self.over_budget is not None:
            return self.over_budget is not None
        if job_so_far / J_PER_KWH > budget_kwh:
            self.over_budget = (
                f"stopped by its energy budget after {done} epochs: "
                f"{job_so_far / J_PER_KWH:.4g} kWh used, over the budget of {budget_kwh:g} kWh"
            )
        elif forecasting > 0 and low / J_PER_KWH > budget_kwh:
            self.over_budget = (
                f"stopped by its energy budget after {done} epochs: the forecast for the job, "
                f"{energy / J_PER_KWH:.4g} kWh (low end {low / J_PER_KWH:.4g}), is over the "
                f"budget of {budget_kwh:g} kWh even at its low end"
            )
        if self.over_budget is not None and self._main and self.options.verbose:
            sys.stderr.write(f"greenspike: {self.over_budget}\n")
        return self.over_budget is not None


def _job_forecast(local: Forecast, energy: float, low: float, high: float) -> Forecast:
    """`local` with the job's energy (summed over the ranks) and CO2e to match."""
    per_j = None if local.co2e_g is None or local.energy_j <= 0 else local.co2e_g / local.energy_j
    return dataclasses.replace(
        local,
        energy_j=energy,
        energy_low_j=low,
        energy_high_j=high,
        co2e_g=None if per_j is None else energy * per_j,
        co2e_low_g=None if per_j is None else low * per_j,
        co2e_high_g=None if per_j is None else high * per_j,
    )


def _number(value: object) -> float | None:
    """`value` as a finite float: a number, or a one-element tensor or array; else None."""
    if isinstance(value, bool):
        return None
    if hasattr(value, "numel") and callable(value.numel) and value.numel() != 1:
        return None
    if hasattr(value, "item") and callable(value.item):
        try:
            value = value.item()
        except (TypeError, ValueError, RuntimeError):
            return None
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    number = float(value)
    return number if math.isfinite(number) else None
