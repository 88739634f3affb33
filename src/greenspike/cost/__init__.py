"""How much energy one inference takes: counted operations and memory traffic, priced on hardware.

    import greenspike as gs
    report = gs.cost.count(model, test_images)      # hooks, real inputs, per-inference counts
    report.total.effective_acs, report.spike_rate, report.to_dict()
    report.energy("cmos45-fp32").energy_j              # joules per inference, with provenance
    gs.cost.break_even_rate(snn_report, ann_report, "cmos45-int8")

Counts follow NeuroBench (Yik et al., Nature Communications 2025); profiles are bundled
(`gs.cost.profiles()`: Horowitz ISSCC 2014 45 nm CMOS, Davies et al. IEEE Micro 2018 Loihi) or
user-defined (`gs.cost.hardware_profile(dict)`, `gs.cost.load_profiles(path)`).
"""

from greenspike.cost.break_even import break_even_rate
from greenspike.cost.counting import count
from greenspike.cost.counts import CostReport, Counts, LayerCost
from greenspike.cost.pricing import EnergyEstimate
from greenspike.cost.profiles import (
    HardwareProfile,
    find_profile,
    hardware_profile,
    load_profiles,
    profiles,
)

__all__ = [
    "CostReport",
    "Counts",
    "EnergyEstimate",
    "HardwareProfile",
    "LayerCost",
    "break_even_rate",
    "count",
    "find_profile",
    "hardware_profile",
    "load_profiles",
    "profiles",
]
