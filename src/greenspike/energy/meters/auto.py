"""`meters="auto"`: the best meter available for each component on this machine.

CPU packages and DRAM from RAPL counters where readable, otherwise estimated (TDP x utilisation,
memory model); an estimate never covers what a counter measures. GPUs from NVML. A meter that
finds components it cannot read is kept, so that the report lists them as missing with the fix.

`scope` says whose energy the CPU and memory figures are (greenspike.energy.scope): RAPL
counters are then apportioned to `tree`, the tracked processes, and the estimates count their
CPU time and memory. `duties` says what this process measures in a distributed job
(greenspike.energy.duties): the node's CPU and memory, or not; which GPUs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from types import ModuleType

from greenspike.energy.duties import Duties
from greenspike.energy.meters import rapl
from greenspike.energy.meters.apportioned import ApportionedMeter
from greenspike.energy.meters.base import Meter
from greenspike.energy.meters.estimated import (
    EstimatedCpuMeter,
    EstimatedRamMeter,
    check_tdp_w,
)
from greenspike.energy.meters.nvml import NvmlMeter
from greenspike.energy.meters.process import ProcessTree
from greenspike.energy.scope import Scope, checked_scope


@dataclass(frozen=True)
class MeterSelection:
    """Started meters, the meters that found nothing (name, why), and notes for the report."""

    meters: tuple[Meter, ...]
    unavailable: tuple[tuple[str, str], ...]
    notes: tuple[str, ...]


def select_meters(
    cpu_tdp_w: float | None = None,
    *,
    scope: Scope = "machine",
    duties: Duties | None = None,
    tree: ProcessTree | None = None,
    rapl_root: str | os.PathLike[str] | None = None,
    nvml: ModuleType | None = None,
) -> MeterSelection:
    """Start and return the best meters.

    Args:
        cpu_tdp_w: power of the CPUs this process may use, for the CPU estimate.
        scope: "machine" or "process".
        duties: what this process measures (default: everything, as outside a distributed job).
        tree: the tracked processes (default: this process and its children).
        rapl_root: the powercap folder (default: /sys/class/powercap); for tests and odd systems.
        nvml: the pynvml module (default: imported if installed); for tests.

    Raises:
        InvalidInputError: `cpu_tdp_w` is not None or a finite number of watts > 0, or a bad
            scope.
    """
    check_tdp_w(cpu_tdp_w)
    scope = checked_scope(scope)
    duties = duties if duties is not None else Duties()
    tree = tree if tree is not None else ProcessTree()
    meters: list[Meter] = []
    unavailable: list[tuple[str, str]] = []
    notes: list[str] = list(duties.notes)

    def keep(meter: Meter) -> None:
        meter.start()
        if meter.components() or meter.missing():
            meters.append(meter)
        else:
            meter.close()
            unavailable.append((meter.name, meter.unavailable() or "nothing found"))

    if duties.node_sensors:
        counters = rapl.RaplMeter(rapl_root if rapl_root is not None else rapl.POWERCAP_ROOT)
        keep(ApportionedMeter(counters, tree, scope))
        measured = {c.name.partition(":")[0] for c in counters.components()}
        if "cpu" in measured:
            if cpu_tdp_w is not None:
                notes.append(f"CPU TDP {cpu_tdp_w:g} W not used: RAPL measures the CPU")
        else:
            keep(EstimatedCpuMeter(cpu_tdp_w, scope=scope, tree=tree))
            notes.append("CPU energy is estimated: no readable RAPL package counter")
        if "dram" not in measured:
            keep(EstimatedRamMeter(scope=scope, tree=tree))
            notes.append("memory energy is estimated: no readable RAPL DRAM counter")
    claims = duties.claims
    gpus = NvmlMeter(nvml, devices=duties.gpus, claim=claims.claim if claims else None)
    keep(gpus)
    notes += [
        f"{gpu} is measured by another process of this job on this node" for gpu in gpus.elsewhere
    ]
    if claims is not None:
        notes += claims.notes
    return MeterSelection(tuple(meters), tuple(unavailable), tuple(notes))
