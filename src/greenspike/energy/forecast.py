"""A forecast of a whole training run from its first epochs: energy, CO2e and time, with intervals.

carbontracker (Anthony, Kanding and Selvan, 2020) predicts a run as total_epochs x the mean
epoch so far. greenspike starts from that and:

- keeps what was measured: whole run = energy so far (setup and the epochs done) + the
  remaining epochs' forecast, so that a costly setup is neither lost nor multiplied;
- counts an epoch as a cycle, from its start to the next epoch's start, so that the work
  between epochs (validation, checkpoints) is forecast too; the last epoch done gets the mean
  gap seen so far;
- leaves the first epoch out of the per-epoch figures once WARMUP_AFTER epochs are done, as it
  often carries a warm-up (compilation, caches, autotuning) that later epochs do not repeat; it
  still counts in the energy so far;
- gives a prediction interval for the remaining m epochs from the spread of the k per-epoch
  figures (mean x, standard deviation s), with Student's t at k - 1 degrees of freedom:

      remaining = m x  +/-  t((1 + confidence) / 2, k - 1) * s * sqrt(m + m^2 / k)

  the spread of m new epochs (m s^2) and of m times a mean estimated from k (m^2 s^2 / k).

It assumes epochs alike and independent: a run whose epochs grow (curriculum, longer
sequences) outruns the interval. What comes after the last epoch (testing, saving) is not
forecast. CO2e follows the energy: kWh x PUE x intensity.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from greenspike._units import joules
from greenspike.energy._stats import t_quantile
from greenspike.errors import InvalidInputError

CONFIDENCE = 0.9
MIN_EPOCHS = 2
WARMUP_AFTER = 4
J_PER_KWH = 3.6e6


@dataclass(frozen=True)
class EpochSpan:
    """One finished epoch: when it started and ended (s) and the run's joules at each edge."""

    start_s: float
    end_s: float
    start_j: float
    end_j: float


@dataclass(frozen=True)
class Forecast:
    """The whole run's energy, CO2e and duration, each with its prediction interval.

    Attributes:
        total_epochs: the epochs the run will have.
        epochs_done: the epochs finished when the forecast was made.
        epochs_used: how many of them the per-epoch figures come from (the first one is left
            out after WARMUP_AFTER epochs).
        confidence: the interval's two-sided coverage, e.g. 0.9; its low end is a one-sided
            bound at (1 + confidence) / 2.
        energy_j, energy_low_j, energy_high_j: the whole run's joules and their interval.
        duration_s, duration_low_s, duration_high_s: its seconds and their interval.
        co2e_g, co2e_low_g, co2e_high_g: its CO2e in grams (None without a carbon intensity).
        so_far_energy_j, so_far_duration_s: what the run measured up to the forecast.
        epoch_energy_j, epoch_duration_s: the mean epoch cycle.
    """

    total_epochs: int
    epochs_done: int
    epochs_used: int
    confidence: float
    energy_j: float
    energy_low_j: float
    energy_high_j: float
    duration_s: float
    duration_low_s: float
    duration_high_s: float
    co2e_g: float | None
    co2e_low_g: float | None
    co2e_high_g: float | None
    so_far_energy_j: float
    so_far_duration_s: float
    epoch_energy_j: float
    epoch_duration_s: float

    @property
    def kwh(self) -> float:
        """`energy_j` in kWh."""
        return self.energy_j / J_PER_KWH

    def summary(self) -> str:
        """One line: the forecast with its intervals, e.g. for a training log."""
        pct = f"{self.confidence:.0%}"
        carbon = (
            ""
            if self.co2e_g is None
            else f", {self.co2e_g:.3g} gCO2e ({self.co2e_low_g:.3g}-{self.co2e_high_g:.3g})"
        )
        return (
            f"forecast for {self.total_epochs} epochs after {self.epochs_done}: "
            f"{joules(self.energy_j)} J = {self.kwh:.4g} kWh "
            f"({pct} interval {joules(self.energy_low_j)}-{joules(self.energy_high_j)} J){carbon}, "
            f"{_duration(self.duration_s)} ({_duration(self.duration_low_s)}-"
            f"{_duration(self.duration_high_s)})"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields, with kwh."""
        return {**asdict(self), "kwh": self.kwh}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Forecast:
        """The forecast `to_dict()` described."""
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})


def check_total_epochs(total_epochs: object) -> None:
    """Check that `total_epochs` is None or an integer >= 1.

    Raises:
        InvalidInputError: it is not.
    """
    if total_epochs is None:
        return
    if isinstance(total_epochs, bool) or not isinstance(total_epochs, int) or total_epochs < 1:
        raise InvalidInputError(f"`total_epochs` must be an integer >= 1, got {total_epochs!r}")


def check_confidence(confidence: object) -> None:
    """Check that `confidence` is a number strictly between 0 and 1.

    Raises:
        InvalidInputError: it is not.
    """
    if not isinstance(confidence, (int, float)) or not 0 < confidence < 1:
        raise InvalidInputError(f"confidence must be between 0 and 1, got {confidence!r}")


def epoch_cycles(epochs: Sequence[EpochSpan]) -> list[tuple[float, float]]:
    """(joules, seconds) of each epoch's cycle: from its start to the next epoch's start.

    The last epoch's cycle is the epoch itself plus the mean gap between the epochs before.
    """
    cycles = [
        (after.start_j - before.start_j, after.start_s - before.start_s)
        for before, after in itertools.pairwise(epochs)
    ]
    if not epochs:
        return cycles
    gaps = [
        (after.start_j - before.end_j, after.start_s - before.end_s)
        for before, after in itertools.pairwise(epochs)
    ]
    gap_j = statistics.fmean(g[0] for g in gaps) if gaps else 0.0
    gap_s = statistics.fmean(g[1] for g in gaps) if gaps else 0.0
    last = epochs[-1]
    cycles.append((last.end_j - last.start_j + gap_j, last.end_s - last.start_s + gap_s))
    return cycles


def forecast_run(
    epochs: Sequence[EpochSpan],
    total_epochs: int,
    so_far_energy_j: float,
    so_far_duration_s: float,
    *,
    confidence: float = CONFIDENCE,
    pue: float = 1.0,
    intensity_g_per_kwh: float | None = None,
) -> Forecast:
    """The whole run's forecast from its finished epochs (see the module).

    Args:
        epochs: the finished epochs, in order.
        total_epochs: the epochs the whole run will have.
        so_far_energy_j: the run's joules up to now (setup and epochs done included).
        so_far_duration_s: the run's seconds up to now.
        confidence: the interval's two-sided coverage.
        pue: power usage effectiveness, for CO2e.
        intensity_g_per_kwh: carbon intensity, for CO2e (None: no CO2e).

    Raises:
        InvalidInputError: fewer than MIN_EPOCHS epochs, more epochs done than `total_epochs`,
            or a bad `total_epochs` or `confidence`.
    """
    check_total_epochs(total_epochs)
    check_confidence(confidence)
    done = len(epochs)
    if done < MIN_EPOCHS:
        raise InvalidInputError(
            f"a forecast needs at least {MIN_EPOCHS} finished epochs, {done} so far"
        )
    if done > total_epochs:
        raise InvalidInputError(
            f"total_epochs ({total_epochs}) is less than the {done} epochs already done"
        )
    cycles = epoch_cycles(epochs)
    if done >= WARMUP_AFTER:
        cycles = cycles[1:]
    remaining = total_epochs - done
    t = t_quantile((1 + confidence) / 2, len(cycles) - 1)
    energy = _sum_interval([c[0] for c in cycles], remaining, t, so_far_energy_j)
    seconds = _sum_interval([c[1] for c in cycles], remaining, t, so_far_duration_s)
    grams_per_j = None if intensity_g_per_kwh is None else pue * intensity_g_per_kwh / J_PER_KWH
    co2e = (None, None, None) if grams_per_j is None else tuple(e * grams_per_j for e in energy)
    return Forecast(
        total_epochs=total_epochs,
        epochs_done=done,
        epochs_used=len(cycles),
        confidence=float(confidence),
        energy_j=energy[0],
        energy_low_j=energy[1],
        energy_high_j=energy[2],
        duration_s=seconds[0],
        duration_low_s=seconds[1],
        duration_high_s=seconds[2],
        co2e_g=co2e[0],
        co2e_low_g=co2e[1],
        co2e_high_g=co2e[2],
        so_far_energy_j=so_far_energy_j,
        so_far_duration_s=so_far_duration_s,
        epoch_energy_j=statistics.fmean(c[0] for c in cycles),
        epoch_duration_s=statistics.fmean(c[1] for c in cycles),
    )


def _sum_interval(
    values: Sequence[float], remaining: int, t: float, so_far: float
) -> tuple[float, float, float]:
    """(forecast, low, high) of so_far + the sum of `remaining` more values like `values`."""
    mean = statistics.fmean(values)
    spread = statistics.stdev(values) * math.sqrt(remaining + remaining**2 / len(values))
    centre = remaining * mean
    return (
        so_far + centre,
        so_far + max(0.0, centre - t * spread),
        so_far + centre + t * spread,
    )


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{seconds:.1f} s"
