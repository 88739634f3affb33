"""Measuring energy and its carbon footprint; imports neither torch nor the rest of greenspike."""

from greenspike.energy.carbon import CarbonIntensity, carbon_intensity, known_intensities
from greenspike.energy.footprint import FootprintEstimate, estimate_footprint

__all__ = [
    "CarbonIntensity",
    "FootprintEstimate",
    "carbon_intensity",
    "estimate_footprint",
    "known_intensities",
]
