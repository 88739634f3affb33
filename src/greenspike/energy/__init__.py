"""Measuring energy and its carbon footprint; imports neither torch nor greenspike's upper layers.

`Tracker` measures a run and hands it to a `RunSink`; `greenspike.EnergyTracker` / `gs.track()`
(greenspike.tracking) are the trackers users call, with the run ledger as their sink.
"""

from greenspike._signals import Terminated
from greenspike.energy.carbon import CarbonIntensity, carbon_intensity, known_intensities
from greenspike.energy.footprint import FootprintEstimate, estimate_footprint
from greenspike.energy.forecast import Forecast
from greenspike.energy.measurement import (
    Component,
    ComponentEnergy,
    EnergyReport,
    MissingComponent,
    WindowReport,
)
from greenspike.energy.placement import Placement
from greenspike.energy.sink import RunSink
from greenspike.energy.tracker import Tracker, Window

__all__ = [
    "CarbonIntensity",
    "Component",
    "ComponentEnergy",
    "EnergyReport",
    "FootprintEstimate",
    "Forecast",
    "MissingComponent",
    "Placement",
    "RunSink",
    "Terminated",
    "Tracker",
    "Window",
    "WindowReport",
    "carbon_intensity",
    "estimate_footprint",
    "known_intensities",
]
