"""Energy meters: hardware counters (RAPL, NVML) and labelled estimates, one module each."""

from greenspike.energy.meters.auto import MeterSelection, select_meters
from greenspike.energy.meters.base import Meter
from greenspike.energy.meters.estimated import EstimatedCpuMeter, EstimatedRamMeter
from greenspike.energy.meters.nvml import NvmlMeter
from greenspike.energy.meters.rapl import RaplMeter

__all__ = [
    "EstimatedCpuMeter",
    "EstimatedRamMeter",
    "Meter",
    "MeterSelection",
    "NvmlMeter",
    "RaplMeter",
    "select_meters",
]
