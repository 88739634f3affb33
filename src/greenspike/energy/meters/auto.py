"""`meters="auto"`: the best meter available for each component on this machine.

CPU packages and DRAM from RAPL counters where readable, otherwise estimated (TDP x utilisation,
memory model); an estimate never covers what a counter measures. GPUs from NVML. A meter that
finds components it cannot read is kept, so that the report lists them as missing with the fix.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from types import ModuleType

from greenspike.energy.meters.base import Meter
from greenspike.energy.meters.estimated import (
    EstimatedCpuMeter,
    EstimatedRamMeter,
    check_tdp_w,
)
from greenspike.energy.meters.nvml import NvmlMeter
from greenspike.energy.meters.rapl import POWERCAP_ROOT, RaplMeter


@dataclass(frozen=True)
class MeterSelection:
    """Started meters, the meters that found nothing (name, why), and notes for the report."""

    meters: tuple[Meter, ...]
    unavailable: tuple[tuple[str, str], ...]
    notes: tuple[str, ...]


def select_meters(
    cpu_tdp_w: float | None = None,
    *,
    rapl_root: str | os.PathLike[str] = POWERCAP_ROOT,
    nvml: ModuleType | None = None,
) -> MeterSelection:
    """Start and return the best meters; `rapl_root` and `nvml` are for tests and odd systems.

    Raises:
        InvalidInputError: `cpu_tdp_w` is not None or a finite number of watts > 0.
    """
    check_tdp_w(cpu_tdp_w)
    meters: list[Meter] = []
    unavailable: list[tuple[str, str]] = []
    notes: list[str] = []

    def keep(meter: Meter) -> None:
        meter.start()
        if meter.components() or meter.missing():
            meters.append(meter)
        else:
            meter.close()
            unavailable.append((meter.name, meter.unavailable() or "nothing found"))

    rapl = RaplMeter(rapl_root)
    keep(rapl)
    measured = {c.name.partition(":")[0] for c in rapl.components()}
    if "cpu" in measured:
        if cpu_tdp_w is not None:
            notes.append(f"CPU TDP {cpu_tdp_w:g} W not used: RAPL measures the CPU")
    else:
        keep(EstimatedCpuMeter(cpu_tdp_w))
        notes.append("CPU energy is estimated: no readable RAPL package counter")
    if "dram" not in measured:
        keep(EstimatedRamMeter())
        notes.append("memory energy is estimated: no readable RAPL DRAM counter")
    keep(NvmlMeter(nvml))
    return MeterSelection(tuple(meters), tuple(unavailable), tuple(notes))
