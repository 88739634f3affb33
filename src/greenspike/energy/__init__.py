"""Measuring energy and its carbon footprint; imports neither torch nor greenspike's upper layers.

`Tracker` measures a run and hands it to a `RunSink`; `greenspike.EnergyTracker` / `gs.track()`
(greenspike.tracking) are the trackers users call, with the run ledger as their sink.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from greenspike._lazy import lazy_names

if TYPE_CHECKING:
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

# Each public name -> its module, imported on first use: `greenspike track` imports only what
# it needs before it starts the command.
_LAZY = {
    "Terminated": "greenspike._signals",
    "CarbonIntensity": "greenspike.energy.carbon",
    "Place": "greenspike.energy.carbon",
    "carbon_intensity": "greenspike.energy.carbon",
    "find_place": "greenspike.energy.carbon",
    "known_intensities": "greenspike.energy.carbon",
    "known_places": "greenspike.energy.carbon",
    "FootprintEstimate": "greenspike.energy.footprint",
    "estimate_footprint": "greenspike.energy.footprint",
    "Forecast": "greenspike.energy.forecast",
    "Component": "greenspike.energy.measurement",
    "ComponentEnergy": "greenspike.energy.measurement",
    "Components": "greenspike.energy.measurement",
    "EnergyReport": "greenspike.energy.measurement",
    "MissingComponent": "greenspike.energy.measurement",
    "WindowReport": "greenspike.energy.measurement",
    "Placement": "greenspike.energy.placement",
    "RunSink": "greenspike.energy.sink",
    "TrackedFunction": "greenspike.energy.tracker",
    "Tracker": "greenspike.energy.tracker",
    "Window": "greenspike.energy.tracker",
}

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

__getattr__ = lazy_names(__name__, _LAZY)
