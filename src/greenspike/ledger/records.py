"""A run as read back from the ledger."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from greenspike.energy.measurement import Components, EnergyReport, Status
from greenspike.energy.metric import Metric
from greenspike.energy.scope import Scope


@dataclass(frozen=True)
class Sample:
    """Cumulative joules of one component `elapsed_s` seconds into the run."""

    elapsed_s: float
    component: str
    energy_j: float


@dataclass(frozen=True)
class RunRecord:
    """One run: who ran what where, its status and energy totals, tags, metadata and metrics.

    `stale` is True for a run still marked "running" whose process is gone (same host) or that
    has not been updated for a while: it was killed (e.g. `kill -9`) and its figures are those of
    its last update, `updated_unix_s`. `report` is the full energy report as of that update.
    The ranks of a distributed job share `job_id`; `scope` says whose energy the run holds.
    """

    id: int
    name: str | None
    command: str | None
    host: str
    pid: int
    rank: int | None
    world_size: int | None
    status: Status
    stale: bool
    start_unix_s: float
    end_unix_s: float | None
    updated_unix_s: float
    duration_s: float
    energy_j: float
    measured_energy_j: float
    estimated_energy_j: float
    co2e_g: float | None
    pue: float
    intensity_g_per_kwh: float | None
    intensity_source: str | None
    greenspike_version: str
    job_id: str | None = None
    local_rank: int | None = None
    node_rank: int | None = None
    scope: Scope = "machine"
    components: Components = field(default_factory=Components)
    tags: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    metrics: tuple[Metric, ...] = ()
    report: EnergyReport | None = None

    @property
    def display_status(self) -> str:
        """The status, with "(stale)" for a running run whose process is gone."""
        return f"{self.status} (stale)" if self.stale else self.status

    @property
    def provenance(self) -> str:
        """measured, estimated, measured+estimated, or none (no component was read)."""
        kinds = [
            k for k in ("measured", "estimated") if any(c.provenance == k for c in self.components)
        ]
        return "+".join(kinds) or "none"

    @property
    def started(self) -> dt.datetime:
        """When the run started, as a UTC datetime."""
        return dt.datetime.fromtimestamp(self.start_unix_s, dt.timezone.utc)

    def __post_init__(self) -> None:
        if not isinstance(self.components, Components):
            object.__setattr__(self, "components", Components(self.components))

    def last_metric(self, name: str) -> float | None:
        """The value of `name` at its highest step (the last one logged), None if never logged."""
        found = [m for m in self.metrics if m.name == name]
        if not found:
            return None
        return max(found, key=lambda m: (-1 if m.step is None else m.step, m.unix_s)).value

    def last_metrics(self) -> dict[str, float]:
        """Every metric's last value (`last_metric`), in the order they were first logged."""
        return {
            name: v
            for name in dict.fromkeys(m.name for m in self.metrics)
            if (v := self.last_metric(name)) is not None
        }

    def flat_metadata(self) -> dict[str, Any]:
        """The metadata with nested objects flattened to dotted keys.

        {"config": {"epochs": 20}} -> {"config.epochs": 20}; lists stay values.
        """
        return flatten(self.metadata)

    def summary(self) -> dict[str, Any]:
        """The flat fields, for tables and CSV."""
        return {
            "id": self.id,
            "name": self.name,
            "status": self.display_status,
            "start_utc": self.started.isoformat(timespec="seconds"),
            "duration_s": self.duration_s,
            "energy_j": self.energy_j,
            "measured_energy_j": self.measured_energy_j,
            "estimated_energy_j": self.estimated_energy_j,
            "provenance": self.provenance,
            "co2e_g": self.co2e_g,
            "pue": self.pue,
            "intensity_g_per_kwh": self.intensity_g_per_kwh,
            "host": self.host,
            "rank": self.rank,
            "world_size": self.world_size,
            "job_id": self.job_id,
            "local_rank": self.local_rank,
            "node_rank": self.node_rank,
            "scope": self.scope,
            "command": self.command,
            "tags": ";".join(f"{k}={v}" for k, v in sorted(self.tags.items())),
        }

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-ready: the summary, components, tags, metadata, metrics, report."""
        return {
            **self.summary(),
            "status": self.status,
            "stale": self.stale,
            "pid": self.pid,
            "start_unix_s": self.start_unix_s,
            "end_unix_s": self.end_unix_s,
            "updated_unix_s": self.updated_unix_s,
            "intensity_source": self.intensity_source,
            "greenspike_version": self.greenspike_version,
            "components": [
                {
                    "name": c.name,
                    "provenance": c.provenance,
                    "method": c.method,
                    "source": c.source,
                    "energy_j": c.energy_j,
                }
                for c in self.components
            ],
            "tags": dict(self.tags),
            "metadata": self.metadata,
            "metrics": [
                {"name": m.name, "value": m.value, "step": m.step, "unix_s": m.unix_s}
                for m in self.metrics
            ],
            "report": None if self.report is None else self.report.to_dict(),
        }


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts as one level of dotted keys: {"a": {"b": 1}} -> {"a.b": 1}."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
