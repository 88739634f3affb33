"""Where a spiking network would cost exactly what its conventional twin costs per inference.

Two levers, each solved exactly in the cost model (`greenspike.cost.projection`), on a
profile or a deployment (a chip with a host, each part priced on its own profile):

- the spike rate r (spikes per neuron per step): the accumulates, spike events and
  event-driven weight fetches scale with r, everything else does not, so

      E_snn(r) = E_fixed + E_rate x r / r0,    r* = r0 x (E_conv - E_fixed) / E_rate

  It assumes every binary input (input spikes included) scales with the network's mean rate.
  When a profile prices dense operations (`skips_zeros` false), only spike events (and event
  fetches) scale with r.
- the time steps T, at today's spike rate: every layer that runs at each step scales with T,
  the layers that run once per inference (a directly encoded first layer) do not, so

      E_snn(T) = E_once + E_step x T / T0,     T* = T0 x (E_conv - E_once) / E_step

The conventional twin's energy is its counts priced on the same hardware, or any number of
joules (e.g. the twin on other hardware: each twin on its own deployment).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import Any

from greenspike.cost.counts import CostReport
from greenspike.cost.deployment import Deployment, deployment
from greenspike.cost.profiles import HardwareProfile
from greenspike.cost.projection import at_spike_rate, at_steps
from greenspike.errors import InvalidInputError, UnpricedOperationError

Hardware = str | HardwareProfile | Deployment | Mapping[str, Any]


def break_even_rate(
    spiking: CostReport, conventional: CostReport | float, hardware: Hardware
) -> float:
    """Spike rate r* below which `spiking` uses less energy per inference than `conventional`.

    Args:
        spiking: the spiking network's counts.
        conventional: the conventional twin's counts (priced on `hardware`), or its joules per
            inference.
        hardware: a profile (name, HardwareProfile or dict of fields) or a deployment
            (`loihi+host=cmos7-int8`, a `Deployment`).

    Returns:
        0.0 when the spiking model costs more even without a single spike, `math.inf` when no
        spike rate makes it cost more. A value above 1 means it wins at every possible rate.

    Raises:
        UnpricedOperationError: either model has operations the hardware cannot price.
        InvalidInputError: an unknown profile, or a spiking report with no spiking layer.
    """
    where = deployment(hardware)
    rate = spiking.spike_rate
    if rate is None:
        raise InvalidInputError(
            f"{spiking.model}: the spiking report has no spiking layer, so no spike rate"
        )
    target = _target_j(conventional, where)
    reference = rate if rate > 0 else 1.0  # a silent network: projected up to rate 1
    fixed = _energy_j(at_spike_rate(spiking, 0.0), where)
    varying = _energy_j(spiking if rate > 0 else at_spike_rate(spiking, reference), where) - fixed
    if fixed >= target:
        return 0.0
    if varying <= 0:
        return math.inf
    return reference * (target - fixed) / varying


def break_even_steps(
    spiking: CostReport,
    conventional: CostReport | float,
    hardware: Hardware,
    once: Collection[str] | None = None,
) -> float:
    """Time steps T* below which `spiking` (at today's spike rate) costs less than `conventional`.

    Args:
        spiking: the spiking network's counts at `spiking.steps` steps.
        conventional: as for `break_even_rate`.
        hardware: as for `break_even_rate`.
        once: the layers that run once per inference whatever the steps (see
            `greenspike.cost.projection.at_steps`).

    Returns:
        A real number of steps (the network can only run whole ones: below 1, no number of
        steps makes it cheaper); 0.0 when the layers that run once already cost more;
        `math.inf` when no number of steps makes it cost more.

    Raises:
        UnpricedOperationError: either model has operations the hardware cannot price.
        InvalidInputError: an unknown profile, or `once` names a layer the report lacks.
    """
    where = deployment(hardware)
    target = _target_j(conventional, where)
    steps = spiking.steps
    now = _energy_j(spiking, where)
    per_step = (_energy_j(at_steps(spiking, 2 * steps, once), where) - now) / steps
    fixed = now - per_step * steps
    if fixed >= target:
        return 0.0
    if per_step <= 0:
        return math.inf
    return (target - fixed) / per_step


def _target_j(conventional: CostReport | float, where: Deployment) -> float:
    if isinstance(conventional, CostReport):
        return _energy_j(conventional, where)
    if not (math.isfinite(conventional) and conventional >= 0):
        raise InvalidInputError(
            f"the conventional twin's energy must be joules >= 0, got {conventional!r}"
        )
    return float(conventional)


def _energy_j(report: CostReport, where: Deployment) -> float:
    estimate = where.price(report)
    if estimate.energy_j is None:
        what = "profile" if where.host is None else "deployment"
        raise UnpricedOperationError(
            f"{what} {where.name!r} cannot price all of {report.model}: "
            + "; ".join(estimate.total.unpriced)
        )
    return estimate.energy_j
