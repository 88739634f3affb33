"""What every meter does: report the cumulative joules of its components since `start()`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from greenspike.energy.measurement import Component, MissingComponent


class Meter(ABC):
    """A source of energy figures for one or more components.

    `start()` finds the components and takes the first reading; `read()` returns each
    component's joules since then, never decreasing. Hardware counters are read, not integrated,
    where they exist. A meter never raises from `read()`: a sensor that stops answering keeps
    the energy counted so far and says so in its component's notes.
    """

    #: Short name shown by `greenspike doctor`: "rapl", "nvml", "estimated-cpu", ...
    name: str

    @abstractmethod
    def start(self) -> None:
        """Find the components and take the first reading (the zero of every figure)."""

    @abstractmethod
    def read(self) -> dict[str, float]:
        """Joules used by each component since `start()`."""

    @abstractmethod
    def components(self) -> tuple[Component, ...]:
        """The components this meter reports, with their provenance as of now."""

    def other_scope(self) -> dict[str, float]:
        """Joules of the scope-dependent components as the other scope counts them.

        Since `start()`, as of the last `read()` (see greenspike.energy.scope); {} for a meter
        without scopes (a GPU is measured whole in both).
        """
        return {}

    def missing(self) -> tuple[MissingComponent, ...]:
        """Components that exist but cannot be read, each with the reason and the fix."""
        return ()

    def unavailable(self) -> str | None:
        """Why this meter finds nothing at all on this machine, or None."""
        return None

    def close(self) -> None:  # noqa: B027 (optional: most meters hold nothing)
        """Release what `start()` acquired."""


@dataclass
class SensorGaps:
    """When a sensor stopped answering and when it came back, kept as notes for the report.

    Times are seconds since the meter started. While a sensor is unreadable its component keeps
    the energy counted so far; what it used in the gap is unknown and not counted.
    """

    lost_since_s: float | None = None
    reason: str = ""
    past: list[str] = field(default_factory=list)

    def lost(self, now_s: float, error: Exception) -> None:
        """Record that the sensor failed with `error`; a gap already open keeps its start."""
        if self.lost_since_s is None:
            self.lost_since_s, self.reason = now_s, str(error) or type(error).__name__

    def back(self, now_s: float, *, counted: bool = False) -> bool:
        """Record that the sensor answers; True when it had been lost (re-take its baseline).

        `counted`: the caller could count the energy across the gap exactly (a counter that
        ran on and cannot have wrapped twice), and says so in the note.
        """
        if self.lost_since_s is None:
            return False
        outcome = (
            "the counter ran on, so its energy is counted"
            if counted
            else "energy in that gap not counted"
        )
        self.past.append(
            f"unreadable from {self.lost_since_s:.1f} s to {now_s:.1f} s ({self.reason}); "
            + outcome
        )
        self.lost_since_s = None
        return True

    def notes(self) -> tuple[str, ...]:
        """The gaps so far as report notes, the one still open (if any) last."""
        if self.lost_since_s is None:
            return tuple(self.past)
        return (
            *self.past,
            f"unreadable since {self.lost_since_s:.1f} s ({self.reason}); "
            "energy after that not counted",
        )
