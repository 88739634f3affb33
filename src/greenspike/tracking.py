"""The tracker users call: `gs.track()` and `gs.EnergyTracker`, which keep every run in the ledger.

    with gs.track("train", country="FRA") as tracker:
        ...
    tracker.run_id                       # where the run is kept (also logged at INFO)
    print(tracker.report)                # its summary

    @gs.track("fit")                     # a decorator: one run per call
    def fit(model): ...
    fit(model); fit.last_report, fit.tracker.run_id

`greenspike.energy` measures and hands each run to a `RunSink`, never knowing where it goes;
this module is the one place that turns `ledger=` ("default", a URL or path, a Ledger, None)
into the ledger's sink. "default" is $GREENSPIKE_LEDGER, else the user's
~/.greenspike/ledger.db, opened (with SQLAlchemy) only as the run starts, in the background;
the default ledger failing is logged and noted in the report, never raised; any other ledger
is opened at construction and a bad one raises.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Union

from greenspike.energy.duties import GpuChoice
from greenspike.energy.meters.base import Meter
from greenspike.energy.placement import Placement
from greenspike.energy.scope import Scope
from greenspike.energy.tracker import OnUpdate, Sync, Tracker

if TYPE_CHECKING:
    from greenspike.ledger.store import Ledger

# SQLAlchemy is imported when a tracker is made, not with this module: `greenspike --help` and
# `import greenspike` stay fast.
LedgerOption = Union["Ledger", str, os.PathLike[str], None]
DEFAULT = "default"


class EnergyTracker(Tracker):
    """A `Tracker` (greenspike.energy.tracker) whose run is kept in the run ledger.

    Args:
        meters, interval_s, country, pue, intensity_g_per_kwh, name, cpu_tdp_w, on_update,
            tags, metadata, command, sync, scope, count_self, job_id, placement, gpus,
            total_epochs, energy_budget_kwh: as for `Tracker`.
        ledger: where the run is kept: "default", a URL or file path, a `Ledger`, or None to
            keep nothing.

    Raises:
        InvalidInputError: a bad option (see `Tracker`), or a ledger URL greenspike cannot open.
        LedgerVersionError: `ledger` is not a ledger this greenspike can use.
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
        ledger: LedgerOption = DEFAULT,
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
        from greenspike.ledger.sink import ledger_sink

        super().__init__(
            meters,
            interval_s,
            country,
            pue,
            intensity_g_per_kwh,
            name,
            cpu_tdp_w=cpu_tdp_w,
            on_update=on_update,
            sink=ledger_sink(ledger),
            tags=tags,
            metadata=metadata,
            command=command,
            sync=sync,
            scope=scope,
            count_self=count_self,
            job_id=job_id,
            placement=placement,
            gpus=gpus,
            total_epochs=total_epochs,
            energy_budget_kwh=energy_budget_kwh,
        )


def track(
    name: str | None = None,
    *,
    meters: Literal["auto"] | Sequence[Meter] = "auto",
    interval_s: float = 1.0,
    country: str | None = None,
    pue: float | str | None = None,
    intensity_g_per_kwh: float | None = None,
    cpu_tdp_w: float | None = None,
    on_update: OnUpdate | None = None,
    ledger: LedgerOption = DEFAULT,
    tags: Mapping[str, object] | None = None,
    metadata: Mapping[str, Any] | None = None,
    command: str | None = None,
    sync: Sync | Literal["auto"] | None = "auto",
    scope: Scope = "machine",
    job_id: str | None = None,
    gpus: GpuChoice = "auto",
    total_epochs: int | None = None,
    energy_budget_kwh: float | None = None,
) -> EnergyTracker:
    """A tracker for `with gs.track("train", country="FRA"):` or `@gs.track("fit")`.

    The arguments are those of `EnergyTracker`.

    Raises:
        InvalidInputError: a bad option, or a ledger URL greenspike cannot open.
        LedgerVersionError: `ledger` is not a ledger this greenspike can use.
    """
    return EnergyTracker(
        meters,
        interval_s,
        country,
        pue,
        intensity_g_per_kwh,
        name,
        cpu_tdp_w=cpu_tdp_w,
        on_update=on_update,
        ledger=ledger,
        tags=tags,
        metadata=metadata,
        command=command,
        sync=sync,
        scope=scope,
        job_id=job_id,
        gpus=gpus,
        total_epochs=total_epochs,
        energy_budget_kwh=energy_budget_kwh,
    )
