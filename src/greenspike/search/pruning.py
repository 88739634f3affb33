"""Stop hopeless trials early: the median rule on per-epoch validation accuracy.

Optuna's pruners need `trial.report()`, which Optuna refuses in multi-objective studies
(NotImplementedError: "Trial.report is not supported for multi-objective optimization", Optuna
4 and 5), and a search for accuracy *and* energy is multi-objective. So the rule of Optuna's
MedianPruner is applied here to the accuracy curves the trials keep in the study storage
(user attribute "accuracy_curve"), for single- and multi-objective studies alike:

    prune at epoch e  if  e >= warmup_epochs,
                          at least `startup_trials` finished trials reached epoch e, and
                          accuracy_e < median over those trials of their accuracy at epoch e

Finished means complete or pruned (a pruned curve is a real observation, as in Optuna).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from greenspike.errors import InvalidInputError


@dataclass(frozen=True)
class MedianRule:
    """Optuna's MedianPruner rule on accuracy (higher is better); epochs count from 0.

    Raises:
        InvalidInputError: `startup_trials` or `warmup_epochs` is not an integer >= 0.
    """

    startup_trials: int = 3
    warmup_epochs: int = 0

    def __post_init__(self) -> None:
        for name in ("startup_trials", "warmup_epochs"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise InvalidInputError(f"{name} must be an integer >= 0, got {value!r}")

    def median_at(self, epoch: int, curves: Sequence[Sequence[float]]) -> float | None:
        """The median accuracy at `epoch` of the finished `curves`; None while too few."""
        reached = [curve[epoch] for curve in curves if len(curve) > epoch]
        if epoch < self.warmup_epochs or len(reached) < max(self.startup_trials, 1):
            return None
        return statistics.median(reached)

    def should_prune(self, epoch: int, accuracy: float, curves: Sequence[Sequence[float]]) -> bool:
        """Whether a trial at `accuracy` after `epoch` is below the median of the others."""
        median = self.median_at(epoch, curves)
        return median is not None and accuracy < median
