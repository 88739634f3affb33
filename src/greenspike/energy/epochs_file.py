"""Epochs of a command tracked by `greenspike track`, told through a file it appends lines to.

`greenspike track --epochs N -- COMMAND` gives the command the path of a file in
$GREENSPIKE_EPOCHS_FILE; the command appends one line per finished epoch, e.g.

    echo '{"loss": 0.31, "accuracy": 0.91}' >> "$GREENSPIKE_EPOCHS_FILE"

or, in Python, `greenspike.integrations.report_epoch(loss=0.31, accuracy=0.91)`. A line is an
epoch's end; if it is a JSON object, its numbers are logged as metrics at that epoch. greenspike
reads the file while the command runs: the first epoch window opens when the command starts,
each line closes the current one and opens the next (up to N), so that the tracker forecasts
the run at each epoch's end and checks its energy budget (greenspike.energy.tracker).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from pathlib import Path

from greenspike.energy.forecast import Forecast
from greenspike.energy.tracker import Tracker, Window
from greenspike.errors import InvalidInputError

ENV_VAR = "GREENSPIKE_EPOCHS_FILE"


def report_epoch(**metrics: float) -> bool:
    """Tell `greenspike track` that an epoch finished, with its metrics (name = number).

    Appends one JSON line to $GREENSPIKE_EPOCHS_FILE; outside `greenspike track --epochs`
    (no such variable) it does nothing.

    Returns:
        Whether the line was written.
    """
    path = os.environ.get(ENV_VAR)
    if not path:
        return False
    line = json.dumps({name: float(value) for name, value in metrics.items()})
    with open(path, "a", encoding="utf-8") as file:
        file.write(line + "\n")
    return True


class EpochsFile:
    """Reads epoch ends from `path` and turns them into the tracker's epoch windows.

    Args:
        path: the file the command appends to (created empty if absent).
        tracker: the running tracker.
        total_epochs: the epochs the command will run: no window opens after the last one.
        on_forecast: called once, with the first forecast the tracker makes.
        on_over_budget: called once, with the reason, when the run goes over its budget.

    Raises:
        InvalidInputError: `path` is not in an existing folder, or is not a regular file.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        tracker: Tracker,
        total_epochs: int,
        on_forecast: Callable[[Forecast], None] | None = None,
        on_over_budget: Callable[[str], None] | None = None,
    ):
        self.path = Path(path)
        if not self.path.parent.is_dir():
            raise InvalidInputError(f"--epochs-file {self.path}: no directory {self.path.parent}")
        if self.path.exists() and not self.path.is_file():
            raise InvalidInputError(f"--epochs-file {self.path} is not a regular file")
        self.tracker = tracker
        self.total_epochs = total_epochs
        self.on_forecast = on_forecast
        self.on_over_budget = on_over_budget
        self.epochs = 0
        self._offset = self.path.stat().st_size if self.path.exists() else 0
        self._window: Window | None = None
        self._forecast_told = False
        self._budget_told = False

    def begin(self) -> None:
        """Create the file if needed and open the first epoch's window."""
        self.path.touch()
        self._window = self.tracker.epoch(0).start()

    def poll(self) -> None:
        """Take the lines appended since the last poll (only whole lines)."""
        try:
            with open(self.path, "rb") as file:
                file.seek(self._offset)
                data = file.read()
        except OSError:
            return  # removed or unreadable for a moment: the lines wait
        complete = data[: data.rfind(b"\n") + 1]
        self._offset += len(complete)
        for line in complete.decode("utf-8", "replace").splitlines():
            self._epoch_ended(line)

    def _epoch_ended(self, line: str) -> None:
        if self._window is not None:
            self._window.stop()
            self._window = None
        self._log(self.epochs, line)
        self.epochs += 1
        if self.epochs < self.total_epochs:
            self._window = self.tracker.epoch(self.epochs).start()
        forecast = self.tracker.latest_forecast
        if forecast is not None and not self._forecast_told and self.on_forecast is not None:
            self._forecast_told = True
            self.on_forecast(forecast)
        reason = self.tracker.over_budget
        if reason is not None and not self._budget_told and self.on_over_budget is not None:
            self._budget_told = True
            self.on_over_budget(reason)

    def _log(self, epoch: int, line: str) -> None:
        try:
            values = json.loads(line) if line.strip() else {}
        except json.JSONDecodeError:
            return  # a plain marker
        if not isinstance(values, dict):
            return
        metrics = {
            str(name): float(value)
            for name, value in values.items()
            if isinstance(value, (int, float))
            and not isinstance(value, bool)
            and math.isfinite(value)
        }
        if metrics:
            self.tracker.log_metrics(step=epoch, **metrics)
