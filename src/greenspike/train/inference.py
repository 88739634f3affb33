"""What one inference of each trained twin costs, counted on test images and priced on hardware.

Counts and prices come from `greenspike.cost` (NeuroBench operation counts, memory traffic,
published per-operation energies). A profile with no figure for an operation the network does
(e.g. Loihi has no multiply-accumulate) gives no total: `energy_j` is None and `unpriced` says
what is missing, never 0 J.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from greenspike.cost import CostReport, break_even_rate, profile, profiles
from greenspike.cost.energy import price
from greenspike.errors import InvalidInputError

DEFAULT_HARDWARE = ("cmos45-fp32", "cmos45-int8", "loihi")
PROFILE_IMAGES = 1000  # test images profiled: the counts are averages, 1,000 pin them down
PROFILE_BATCH = 250  # images per forward pass while profiling (bounds memory)


def check_hardware(names: tuple[str, ...]) -> None:
    """ValueError naming the first hardware profile not bundled with greenspike.cost."""
    known = profiles()
    if not names:
        raise InvalidInputError(f"give at least one hardware profile: {', '.join(known)}")
    for name in names:
        if name not in known:
            raise InvalidInputError(
                f"unknown hardware profile {name!r}: use one of {', '.join(known)}"
            )


def profile_network(network: torch.nn.Module, images: torch.Tensor, seed: int) -> CostReport:
    """Counts per inference of `network` (in eval mode) on the first PROFILE_IMAGES images;
    `seed` fixes the spikes of a random (rate) encoder."""
    network.eval()
    torch.manual_seed(seed)
    return profile(network, images[:PROFILE_IMAGES], batch_size=PROFILE_BATCH)


def inference_entry(report: CostReport, hardware: tuple[str, ...]) -> dict[str, Any]:
    """`report.to_dict()` plus, per profile, the energy per inference and which layers it
    cannot price (the JSON of one network's "inference")."""
    return {**report.to_dict(), "energy": {name: _priced(report, name) for name in hardware}}


def _priced(report: CostReport, hardware: str) -> dict[str, Any]:
    unpriced_layers = [
        name for name, layer in report.layers.items() if not price(layer.counts, hardware).complete
    ]
    return {**report.energy(hardware).to_dict(), "unpriced_layers": unpriced_layers}


def break_even(spiking: CostReport, conventional: CostReport, hardware: str) -> dict[str, Any]:
    """The spike rate below which `spiking` costs less per inference than `conventional`.

    `verdict`: "never" (rate 0: more costly even without a spike), "below" (wins below
    `spike_rate`), "always" (wins at every rate up to 1, or at any rate: `spike_rate` None
    stands for infinity) or "unpriced" (a network has operations the profile cannot price;
    `reason` says which).
    """
    try:
        rate = break_even_rate(spiking, conventional, hardware)
    except ValueError as error:
        return {"spike_rate": None, "verdict": "unpriced", "reason": str(error)}
    if rate == 0:
        verdict = "never"
    elif rate >= 1:
        verdict = "always"
    else:
        verdict = "below"
    return {"spike_rate": None if math.isinf(rate) else rate, "verdict": verdict, "reason": None}
