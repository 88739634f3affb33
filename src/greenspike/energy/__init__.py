"""Measuring energy and its carbon footprint; imports neither torch nor the rest of greenspike."""

from greenspike.energy.carbon import CarbonIntensity, carbon_intensity, known_intensities

__all__ = ["CarbonIntensity", "carbon_intensity", "known_intensities"]
