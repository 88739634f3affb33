"""What `greenspike doctor` finds: the meters of this machine, what each reads, how to do better."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from greenspike.energy.measurement import Component, MissingComponent
from greenspike.energy.meters.auto import select_meters
from greenspike.energy.meters.estimated import EstimatedCpuMeter

RAPL_ADVICE = (
    "CPU and DRAM counters need Linux on the machine itself (not a VM that hides them) with an "
    "Intel CPU, or an AMD Zen CPU and Linux >= 5.8, and the powercap RAPL driver: "
    "`sudo modprobe intel_rapl_msr`"
)


@dataclass(frozen=True)
class Diagnosis:
    """What a run on this machine would report, and the power each component draws now."""

    components: tuple[Component, ...]
    missing: tuple[MissingComponent, ...]
    unavailable: tuple[tuple[str, str], ...]
    power_w: dict[str, float]
    advice: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: components (with the power each draws now), missing ones, advice."""
        return {
            "components": [
                {
                    **asdict(c),
                    "notes": list(c.notes),
                    "label": c.label,
                    "power_w": self.power_w.get(c.name),
                }
                for c in self.components
            ],
            "missing": [asdict(m) for m in self.missing],
            "unavailable": [{"meter": meter, "reason": why} for meter, why in self.unavailable],
            "advice": list(self.advice),
        }


def diagnose(cpu_tdp_w: float | None = None, probe_s: float = 0.5, **where) -> Diagnosis:
    """Start the meters `meters="auto"` would use, read them twice `probe_s` apart, advise.

    `where` passes `rapl_root` and `nvml` to `select_meters` (tests, odd systems).

    Raises:
        InvalidInputError: `cpu_tdp_w` is not None or a finite number of watts > 0.
    """
    selection = select_meters(cpu_tdp_w, **where)
    try:
        start = time.monotonic()
        before = {k: v for m in selection.meters for k, v in m.read().items()}
        time.sleep(probe_s)
        after = {k: v for m in selection.meters for k, v in m.read().items()}
        elapsed_s = time.monotonic() - start
        components = tuple(c for m in selection.meters for c in m.components())
        missing = tuple(x for m in selection.meters for x in m.missing())
    finally:
        for meter in selection.meters:
            meter.close()
    power_w = {name: (after[name] - before.get(name, 0.0)) / elapsed_s for name in after}
    advice = []
    if any(x.fix for x in missing):
        advice.append("make the missing components readable: see the fix beside each")
    unavailable = dict(selection.unavailable)
    if "rapl" in unavailable:
        advice.append(RAPL_ADVICE)
    for meter in selection.meters:
        if isinstance(meter, EstimatedCpuMeter) and meter.tdp_origin == "generic":
            advice.append(
                "give your CPU's power for a better estimate: --cpu-tdp-w W (cpu_tdp_w=W), "
                "the power of the CPUs this process may use at full load"
            )
    for c in components:
        if c.method == "power sampling":
            advice.append(
                f"{c.name} has no energy counter (NVIDIA GPUs older than Volta): its energy is "
                "integrated from power samples; a shorter --interval follows it more closely"
            )
    return Diagnosis(components, missing, selection.unavailable, power_w, tuple(advice))
