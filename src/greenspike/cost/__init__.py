"""How much energy one inference takes: counted operations and memory traffic, priced on hardware.

    import greenspike as gs
    report = gs.cost.count(model, test_images)      # hooks, real inputs, per-inference counts
    report.total.effective_acs, report.spike_rate, report.to_dict()
    report.energy("cmos45-fp32").energy_j              # joules per inference, with provenance
    gs.cost.deployment("loihi+host=cmos7-int8").price(report).energy_j   # a chip and a host
    gs.cost.break_even_rate(snn_report, ann_report, "cmos45-int8")   # how sparse to win
    gs.cost.break_even_steps(snn_report, ann_report, "loihi+host=cmos7-int8")  # how short

Counts follow NeuroBench (Yik et al., Nature Communications 2025); profiles state the precision
they run and are bundled (`gs.cost.profiles()`: 45 nm CMOS from Horowitz ISSCC 2014, 7 nm CMOS
and a GPU-class part from Jouppi et al. ISCA 2021, Loihi from Davies et al. IEEE Micro 2018,
TrueNorth from Merolla et al. Science 2014) or user-defined (`gs.cost.hardware_profile(dict)`,
`gs.cost.load_profiles(path)`). Price a network at a profile's precision: quantize it first
(`greenspike.quant`).
"""

from greenspike.cost.break_even import break_even_rate, break_even_steps
from greenspike.cost.counting import count
from greenspike.cost.counts import CostReport, Counts, LayerCost
from greenspike.cost.deployment import Deployment, DeploymentEstimate, PartEstimate, deployment
from greenspike.cost.precision import FULL_PRECISION, NumberFormat, Precision, number_format
from greenspike.cost.pricing import EnergyEstimate
from greenspike.cost.profiles import (
    HardwareProfile,
    find_profile,
    hardware_profile,
    load_profiles,
    profile_table,
    profiles,
)
from greenspike.cost.projection import at_spike_rate, at_steps

__all__ = [
    "FULL_PRECISION",
    "CostReport",
    "Counts",
    "Deployment",
    "DeploymentEstimate",
    "EnergyEstimate",
    "HardwareProfile",
    "LayerCost",
    "NumberFormat",
    "PartEstimate",
    "Precision",
    "at_spike_rate",
    "at_steps",
    "break_even_rate",
    "break_even_steps",
    "count",
    "deployment",
    "find_profile",
    "hardware_profile",
    "load_profiles",
    "number_format",
    "profile_table",
    "profiles",
]
