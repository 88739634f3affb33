"""Measuring energy and its carbon footprint; imports neither torch nor greenspike's upper layers.

`Tracker` measures a run and hands it to a `RunSink`; `greenspike.EnergyTracker` / `gs.track()`
(greenspike.tracking) are the trackers users call, with the run ledger as their sink.
"""

from greenspike._signals import Terminated
from greenspike.energy.carbon import (
    CarbonIntensity,
    Place,
    carbon_intensity,
    find_place,
    known_intensities,
    known_places,
)
from greenspike.energy.footprint import FootprintEstimate, estimate_footprint
from greenspike.energy.forecast import Forecast
from greenspike.energy.measurement import (
    Component,
    ComponentEnergy,
    Components,
    EnergyReport,
    MissingComponent,
    WindowReport,
)
from greenspike.energy.placement import Placement
from greenspike.energy.sink import RunSink
from greenspike.energy.tracker import TrackedFunction, Tracker, Window

__all__ = [
    "CarbonIntensity",
    "Component",
    "ComponentEnergy",
    "Components",
    "EnergyReport",
    "FootprintEstimate",
    "Forecast",
    "MissingComponent",
    "Place",
    "Placement",
    "RunSink",
    "Terminated",
    "TrackedFunction",
    "Tracker",
    "Window",
    "WindowReport",
    "carbon_intensity",
    "estimate_footprint",
    "find_place",
    "known_intensities",
    "known_places",
]
