"""The spike rate below which a spiking network costs less per inference than its conventional twin.

Model: the spiking network's accumulates and spike events scale with its spike rate r (spikes
per neuron per step); everything else (neuron updates, state and weight traffic, MACs of layers
fed non-binary inputs) does not. With E_fixed the part that does not scale and E_rate the part
that does, measured at the profiled rate r0:

    E_snn(r) = E_fixed + E_rate x r / r0,    r* = r0 x (E_conv - E_fixed) / E_rate

It assumes every binary input (input spikes included) scales with the network's mean rate. When
the profile prices dense operations (`skips_zeros` false), only spike events scale with r.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from greenspike.cost.counts import CostReport
from greenspike.cost.pricing import price
from greenspike.cost.profiles import HardwareProfile, find_profile
from greenspike.errors import InvalidInputError, UnpricedOperationError


def break_even_rate(
    spiking: CostReport,
    conventional: CostReport,
    hardware: str | HardwareProfile | Mapping[str, Any],
) -> float:
    """Spike rate r* below which `spiking` uses less energy per inference than `conventional`.

    Returns:
        0.0 when the spiking model costs more even without a single spike, `math.inf` when no
        spike rate makes it cost more. A value above 1 means it wins at every possible rate.

    Raises:
        UnpricedOperationError: either model has operations the profile cannot price.
        InvalidInputError: an unknown profile, or a spiking report with no spiking layer.
    """
    profile = find_profile(hardware)
    rate = spiking.spike_rate
    if rate is None:
        raise InvalidInputError(
            f"{spiking.model}: the spiking report has no spiking layer, so no spike rate"
        )
    conventional_energy = price(conventional.total, profile)
    spiking_energy = price(spiking.total, profile)
    for report, estimate in ((conventional, conventional_energy), (spiking, spiking_energy)):
        if not estimate.complete:
            raise UnpricedOperationError(
                f"profile {profile.name!r} cannot price all of {report.model}: "
                + "; ".join(estimate.unpriced)
            )
    total = spiking.total
    if rate > 0:  # E_rate from the observed counts, at r0
        scaled = total
    else:  # nothing fired: at rate 1 every binary input is non-zero (dense ACs, one event each)
        neuron_steps = sum(
            layer.neurons * layer.steps
            for layer in spiking.layers.values()
            if layer.spike_rate is not None
        )
        scaled = replace(total, effective_acs=total.dense_acs, spike_events=neuron_steps)
        rate = 1.0
    fixed = price(replace(scaled, effective_acs=0.0, spike_events=0.0), profile).priced_j
    varying = price(scaled, profile).priced_j - fixed
    if fixed >= conventional_energy.priced_j:
        return 0.0
    if varying <= 0:
        return math.inf
    return rate * (conventional_energy.priced_j - fixed) / varying
