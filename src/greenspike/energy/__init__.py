"""Measuring energy and its carbon footprint; imports neither torch nor the rest of greenspike."""

from greenspike.energy.carbon import CarbonIntensity, carbon_intensity, known_intensities
from greenspike.energy.footprint import FootprintEstimate, estimate_footprint
from greenspike.energy.report import (
    Component,
    ComponentEnergy,
    EnergyReport,
    MissingComponent,
    WindowReport,
)
from greenspike.energy.tracker import EnergyTracker, Terminated, Window, track

__all__ = [
    "CarbonIntensity",
    "Component",
    "ComponentEnergy",
    "EnergyReport",
    "EnergyTracker",
    "FootprintEstimate",
    "MissingComponent",
    "Terminated",
    "Window",
    "WindowReport",
    "carbon_intensity",
    "estimate_footprint",
    "known_intensities",
    "track",
]
