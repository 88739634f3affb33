"""The energy report of a run: joules per component with their provenance, windows, carbon.

    energy_j = measured_energy_j + estimated_energy_j   (each the sum over its components)
    kwh      = energy_j / 3.6e6
    co2e_g   = kwh * pue * intensity_g_per_kwh           (None without an intensity)

Components that could not be read are listed in `missing` with the reason, never counted as 0 J.
A report is a plain value: `to_dict()` gives JSON-ready data and `from_dict()` reads it back;
`print(report)` shows its summary (`summary()`), `report.components["cpu"]` one component.

A report also says whose energy it holds (`scope`, see greenspike.energy.scope) with the figure
of the other scope beside it, where the process sits in a distributed job (`placement`), and
the latest forecast of the whole run (`forecast`), if one was made.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal, SupportsIndex, overload

from greenspike._files import write_atomically
from greenspike._summary import Column, Summary, TextTable
from greenspike._units import energy, kwh
from greenspike.energy.carbon import NO_INTENSITY_NOTE, CarbonIntensity
from greenspike.energy.forecast import Forecast
from greenspike.energy.metric import Metric
from greenspike.energy.placement import Placement
from greenspike.energy.scope import WHOSE, Scope, checked_scope, other_scope, scopes_differ
from greenspike.errors import InvalidInputError

Status = Literal["running", "finished", "failed", "interrupted"]
STATUSES: tuple[Status, ...] = ("running", "finished", "failed", "interrupted")
Provenance = Literal["measured", "estimated"]
J_PER_KWH = 3.6e6
SCHEMA = "greenspike.energy-report/1"
# The method of a counter apportioned to the tracked processes (scope "process").
APPORTIONED = "cpu-time share"


@dataclass(frozen=True)
class Component:
    """One thing whose energy is reported: a CPU package, a DRAM zone, a GPU, an estimate.

    - name: "cpu:package-0", "dram:0", "gpu:0"; "cpu" and "ram" for estimates.
    - provenance: "measured" (a hardware sensor) or "estimated" (a model).
    - method: "energy counter", "power sampling", "tdp x utilisation", "memory model", or
      "cpu-time share" (a counter apportioned to the tracked processes: estimated).
    - source: the sensor, or the model with its inputs: "rapl:package-0", "nvml:0 (NVIDIA A100)",
      "tdp-utilisation: 12 W/core x 2 cores x 37 %".
    - notes: what the figure does not cover (a gap while the sensor was unreadable, ...).
    """

    name: str
    provenance: Provenance
    method: str
    source: str
    notes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """One of: measured, measured (power sampling), estimated, apportioned."""
        if self.method == APPORTIONED:
            return "apportioned"
        if self.provenance == "measured" and self.method != "energy counter":
            return f"measured ({self.method})"
        return self.provenance


@dataclass(frozen=True, kw_only=True)
class ComponentEnergy(Component):
    """A component and the joules it used."""

    energy_j: float


class Components(tuple[ComponentEnergy, ...]):
    """The components of a report: a tuple, also indexed by name.

    `components["cpu"]` is the component named "cpu" (KeyError, naming the ones there, if
    none); `components[0]`, slicing, `len()` and iteration work as for any tuple;
    `"cpu" in components` and `components.get("cpu")` ask by name; `names` lists them.
    """

    @overload
    def __getitem__(self, key: SupportsIndex) -> ComponentEnergy: ...
    @overload
    def __getitem__(self, key: slice) -> tuple[ComponentEnergy, ...]: ...
    @overload
    def __getitem__(self, key: str) -> ComponentEnergy: ...
    def __getitem__(self, key):
        if isinstance(key, str):
            found = self.get(key)
            if found is None:
                there = ", ".join(self.names) or "none"
                raise KeyError(f"no component {key!r} in this report; its components: {there}")
            return found
        return super().__getitem__(key)

    def __contains__(self, item: object) -> bool:
        if isinstance(item, str):
            return self.get(item) is not None
        return super().__contains__(item)

    def get(self, name: str) -> ComponentEnergy | None:
        """The component called `name`, None if there is none."""
        return next((c for c in self if c.name == name), None)

    @property
    def names(self) -> tuple[str, ...]:
        """The components' names, in order."""
        return tuple(c.name for c in self)


def _components(items: Iterable[ComponentEnergy]) -> Components:
    return items if isinstance(items, Components) else Components(items)


@dataclass(frozen=True)
class MissingComponent:
    """A component that exists but could not be read: why, and how to make it readable."""

    name: str
    reason: str
    fix: str = ""


class _Totals:
    """Totals over `components`, measured and estimated kept apart as well as summed."""

    components: tuple[ComponentEnergy, ...]

    def _sum(self, provenance: Provenance | None) -> float:
        return math.fsum(c.energy_j for c in self.components if provenance in (None, c.provenance))

    @property
    def measured_energy_j(self) -> float:
        """Joules of the components read from hardware sensors."""
        return self._sum("measured")

    @property
    def estimated_energy_j(self) -> float:
        """Joules of the components estimated by a model."""
        return self._sum("estimated")

    @property
    def energy_j(self) -> float:
        """Measured plus estimated joules; see `measured_energy_j` and `estimated_energy_j`."""
        return self._sum(None)

    @property
    def kwh(self) -> float:
        """`energy_j` in kWh (3.6e6 J each)."""
        return self.energy_j / J_PER_KWH

    def energy_of(self, name: str) -> float | None:
        """Joules of one component, None when it is not reported."""
        return next((c.energy_j for c in self.components if c.name == name), None)

    def _totals_dict(self) -> dict[str, float]:
        return {
            "energy_j": self.energy_j,
            "kwh": self.kwh,
            "measured_energy_j": self.measured_energy_j,
            "estimated_energy_j": self.estimated_energy_j,
        }


@dataclass(frozen=True)
class WindowReport(_Totals):
    """A named stretch of a run (an epoch, a trial) and the energy each component used in it.

    Its components carry the run's provenance; `end_unix_s` is None while it is open.
    """

    name: str
    status: Status
    start_unix_s: float
    end_unix_s: float | None
    duration_s: float
    components: Components
    windows: tuple[WindowReport, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "components", _components(self.components))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: joules by component name, the totals, and the nested windows."""
        return {
            "name": self.name,
            "status": self.status,
            "start_unix_s": self.start_unix_s,
            "end_unix_s": self.end_unix_s,
            "duration_s": self.duration_s,
            "energy_j_by_component": {c.name: c.energy_j for c in self.components},
            "totals": self._totals_dict(),
            "windows": [w.to_dict() for w in self.windows],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], components: dict[str, Component]) -> WindowReport:
        """Rebuild a window; `components` gives each component's provenance by name.

        Raises:
            InvalidInputError: the window, or one nested in it, has an unknown status.
        """
        return cls(
            name=data["name"],
            status=_checked_status(data["status"]),
            start_unix_s=data["start_unix_s"],
            end_unix_s=data["end_unix_s"],
            duration_s=data["duration_s"],
            components=Components(
                ComponentEnergy(**asdict(components[name]), energy_j=energy_j)
                for name, energy_j in data["energy_j_by_component"].items()
            ),
            windows=tuple(cls.from_dict(w, components) for w in data["windows"]),
        )


@dataclass(frozen=True)
class EnergyReport(_Totals):
    """What a tracked run used, component by component, and how each figure was obtained.

    Timestamps are Unix seconds; `end_unix_s` is None while the run is going on
    (status "running"). `duration_s` comes from a monotonic clock. `scope` says whose energy
    the components hold; `other_scope_energy_j` is the run's total as the other scope counts
    it (None where no meter has scopes). `unwritten_metrics`: the metrics logged for the run's
    sink (the ledger) that it had not taken when the report was made (a full disk, a database
    away, a run it never took), so that the report keeps them; the tracker goes on retrying
    them until the process exits. In JSON the key is written only when there are some.
    """

    name: str | None
    status: Status
    start_unix_s: float
    end_unix_s: float | None
    duration_s: float
    components: Components
    missing: tuple[MissingComponent, ...] = ()
    pue: float = 1.0
    carbon_intensity: CarbonIntensity | None = None
    windows: tuple[WindowReport, ...] = ()
    notes: tuple[str, ...] = ()
    scope: Scope = "machine"
    other_scope_energy_j: float | None = None
    placement: Placement | None = None
    forecast: Forecast | None = None
    unwritten_metrics: tuple[Metric, ...] = ()

    @property
    def other_scope(self) -> Scope:
        """The scope `other_scope_energy_j` is counted in."""
        return other_scope(self.scope)

    @property
    def scopes_differ(self) -> bool:
        """Whether the two scopes' totals differ enough to show both."""
        other = self.other_scope_energy_j
        return other is not None and scopes_differ(self.energy_j, other)

    def __post_init__(self) -> None:
        object.__setattr__(self, "components", _components(self.components))

    def __str__(self) -> str:
        return str(self.summary())

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython and Jupyter
        printer.text(str(self))

    def summary(self) -> Summary:
        """What `greenspike track` prints: components, totals, CO2e, windows and notes.

        Also, where they matter: both scopes' totals when they differ much, the rank's place
        in a distributed job, and the run's latest forecast. `str()` of it (and of the report)
        is plain text; the command line draws the same cells as a table.
        """
        table = TextTable.of(
            (
                Column("component"),
                Column("energy", "right"),
                Column("provenance"),
                Column("source", long=True),
            ),
            [(c.name, energy(c.energy_j), c.label, c.source) for c in self.components]
            + [(m.name, "-", "missing", m.reason) for m in self.missing],
            self._total_rows(),
        )
        lines: list[str] = [self._carbon_line()]
        for m in self.missing:
            lines.append(f"missing {m.name}: {m.reason}" + (f"; fix: {m.fix}" if m.fix else ""))
        if self.scopes_differ and self.other_scope_energy_j is not None:
            lines.append(self._scope_line(self.other_scope_energy_j))
        if self.placement is not None and self.placement.distributed:
            lines.append(self.placement.summary())
        if self.forecast is not None:
            lines.append(f"Forecast: {self.forecast.summary()}")
        if self.windows:
            lines.append("windows:")
            lines += [line for w in self.windows for line in _window_lines(w, 1)]
        lines += [f"note: {c.name}: {n}" for c in self.components for n in c.notes]
        lines += [f"note: {note}" for note in self.notes]
        title = f"Energy of {self.name or 'the run'}: {self.status}, {self.duration_s:.1f} s"
        return Summary(title, (table, *lines))

    def _total_rows(self) -> list[tuple[str, ...]]:
        both = bool(self.measured_energy_j and self.estimated_energy_j)
        rows: list[tuple[str, ...]] = []
        if both:
            rows.append(("measured", energy(self.measured_energy_j), "measured", ""))
            rows.append(("estimated", energy(self.estimated_energy_j), "estimated", ""))
        kinds = {c.provenance for c in self.components}
        provenance = "measured + estimated" if both else "".join(kinds) if len(kinds) == 1 else ""
        rows.append(("total", energy(self.energy_j), provenance, f"= {kwh(self.kwh)}"))
        return rows

    def _scope_line(self, other_j: float) -> str:
        other = self.other_scope
        return (
            f"Scope {self.scope} ({WHOSE[self.scope]}): {energy(self.energy_j)}. "
            f"In {other} scope ({WHOSE[other]}): {energy(other_j)}; choose with --scope / scope=."
        )

    def _carbon_line(self) -> str:
        intensity = self.carbon_intensity
        if intensity is None or self.co2e_g is None:
            return self.carbon_note or ""
        where = f"{intensity.region}, {intensity.year}; " if intensity.region else ""
        return (
            f"CO2e: {self.co2e_g:.3g} g = {kwh(self.kwh)} x PUE {self.pue:g} x "
            f"{intensity.intensity_g_per_kwh:g} gCO2e/kWh ({where}{intensity.source})"
        )

    @property
    def co2e_g(self) -> float | None:
        """CO2e in grams: kwh * pue * intensity_g_per_kwh; None without a carbon intensity."""
        if self.carbon_intensity is None:
            return None
        return self.kwh * self.pue * self.carbon_intensity.intensity_g_per_kwh

    @property
    def carbon_note(self) -> str | None:
        """Why there is no CO2e figure, or None when there is one."""
        return NO_INTENSITY_NOTE if self.carbon_intensity is None else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data; derived figures (totals, co2e_g) are included for readers.

        `unwritten_metrics` (a list of `{name, value, step, unix_s}`) is there only when the
        report has some: an optional key, which readers of the schema may ignore.
        """
        data = {
            "schema": SCHEMA,
            "name": self.name,
            "status": self.status,
            "start_unix_s": self.start_unix_s,
            "end_unix_s": self.end_unix_s,
            "duration_s": self.duration_s,
            "components": [
                {**asdict(c), "notes": list(c.notes), "label": c.label} for c in self.components
            ],
            "missing": [asdict(m) for m in self.missing],
            "totals": self._totals_dict(),
            "pue": self.pue,
            "carbon_intensity": self.carbon_intensity and self.carbon_intensity.to_dict(),
            "co2e_g": self.co2e_g,
            "carbon_note": self.carbon_note,
            "windows": [w.to_dict() for w in self.windows],
            "notes": list(self.notes),
            "scope": self.scope,
            "other_scope_energy_j": self.other_scope_energy_j,
            "placement": self.placement and self.placement.to_dict(),
            "forecast": self.forecast and self.forecast.to_dict(),
        }
        if self.unwritten_metrics:
            data["unwritten_metrics"] = [asdict(m) for m in self.unwritten_metrics]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EnergyReport:
        """The report that `to_dict()` (or its JSON) describes; derived figures are recomputed.

        Reports written before scopes, placements and forecasts existed read as machine scope
        with none of the others.

        Raises:
            InvalidInputError: `data` is not a greenspike energy report (another schema), the
                run or one of its windows has an unknown status, or the scope is unknown.
        """
        if data.get("schema") != SCHEMA:
            raise InvalidInputError(
                f"not a greenspike energy report (schema {data.get('schema')!r})"
            )
        component_fields = {f.name for f in fields(ComponentEnergy)}
        components = Components(
            ComponentEnergy(
                **{k: v for k, v in c.items() if k in component_fields and k != "notes"},
                notes=tuple(c["notes"]),
            )
            for c in data["components"]
        )
        by_name = {
            c.name: Component(c.name, c.provenance, c.method, c.source, c.notes) for c in components
        }
        intensity = data["carbon_intensity"]
        return cls(
            name=data["name"],
            status=_checked_status(data["status"]),
            start_unix_s=data["start_unix_s"],
            end_unix_s=data["end_unix_s"],
            duration_s=data["duration_s"],
            components=components,
            missing=tuple(MissingComponent(**m) for m in data["missing"]),
            pue=data["pue"],
            carbon_intensity=CarbonIntensity(**intensity) if intensity else None,
            windows=tuple(WindowReport.from_dict(w, by_name) for w in data["windows"]),
            notes=tuple(data["notes"]),
            scope=checked_scope(data.get("scope", "machine")),
            other_scope_energy_j=data.get("other_scope_energy_j"),
            placement=data.get("placement") and Placement.from_dict(data["placement"]),
            forecast=data.get("forecast") and Forecast.from_dict(data["forecast"]),
            unwritten_metrics=tuple(Metric(**m) for m in data.get("unwritten_metrics", ())),
        )

    def to_json(self, indent: int | None = 2) -> str:
        """`to_dict()` as JSON text, indented by `indent` spaces (None: one line).

        Standard JSON only: a number that is not finite would be written as `Infinity` or
        `NaN`, which other readers refuse; the tracker never lets one into a report.

        Raises:
            ValueError: a figure of the report is not finite.
        """
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> EnergyReport:
        """The report that `to_json()` wrote.

        Raises:
            json.JSONDecodeError: `text` is not JSON.
            InvalidInputError: as `from_dict`.
        """
        return cls.from_dict(json.loads(text))

    def write_json(self, path: str | os.PathLike[str]) -> None:
        """Write the JSON atomically: readers see the previous report or this one, never half."""
        write_atomically(path, self.to_json())


def _window_lines(window: WindowReport, depth: int) -> list[str]:
    """The window's line ("  name: 12.3 J, 1.00 s"), then its windows', one level further in."""
    split = (
        f" (measured {energy(window.measured_energy_j)}, "
        f"estimated {energy(window.estimated_energy_j)})"
        if window.measured_energy_j and window.estimated_energy_j
        else ""
    )
    status = "" if window.status == "finished" else f", {window.status}"
    line = f"{'  ' * depth}{window.name}: {energy(window.energy_j)}{split}, "
    line += f"{window.duration_s:.2f} s{status}"
    return [line, *(x for w in window.windows for x in _window_lines(w, depth + 1))]


def _checked_status(value: str) -> Status:
    if value not in STATUSES:
        raise InvalidInputError(f"unknown run status {value!r}; valid: {', '.join(STATUSES)}")
    return value
