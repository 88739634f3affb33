"""What a counted spiking network would cost if it fired at another rate or ran for other steps.

Both projections keep everything else as counted, and both are linear in the counts, so the
energy they price is linear in the rate and in the steps (which is what makes the break-even
points of `greenspike.cost.break_even` exact solutions of the cost model):

- `at_spike_rate(report, r)`: what scales with the spikes scales by r / r0, r0 the counted
  rate (spikes per neuron per step over the spiking layers): the accumulates, the spike events,
  and the weights an event-driven core fetches for binary inputs. Neuron updates, state
  traffic, dense weight reads, spike bits moved and multiply-accumulates of non-binary inputs
  do not. Every binary input (input spikes of a rate or latency code included) is assumed to
  follow the network's mean rate. A silent network (r0 = 0) is projected from its dense counts:
  at rate r each binary input is non-zero with probability r.
- `at_steps(report, T)`: every layer that runs at every time step does T / T0 times the work
  (T0 the counted steps), at today's spike rate; the layers in `once` (the first layer of a
  directly encoded network, which sees the same pixels at every step and runs once) do the
  same work.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import fields, replace

from greenspike.cost.counts import CostReport, Counts, LayerCost
from greenspike.errors import InvalidInputError


def at_spike_rate(report: CostReport, rate: float) -> CostReport:
    """`report` as if its spiking layers fired `rate` spikes per neuron per step (see module).

    Raises:
        InvalidInputError: the report has no spiking layer, or `rate` is negative.
    """
    counted = report.spike_rate
    if counted is None:
        raise InvalidInputError(
            f"{report.model}: the spiking report has no spiking layer, so no spike rate"
        )
    if not rate >= 0:
        raise InvalidInputError(f"a spike rate is >= 0 spikes per neuron per step, got {rate!r}")
    layers = {
        name: replace(
            layer,
            counts=_counts_at_rate(layer, rate, counted),
            spike_rate=None if layer.spike_rate is None else _rate_at(layer, rate, counted),
        )
        for name, layer in report.layers.items()
    }
    return replace(report, layers=layers)


def _rate_at(layer: LayerCost, rate: float, counted: float) -> float:
    assert layer.spike_rate is not None
    return layer.spike_rate * rate / counted if counted > 0 else rate


def _counts_at_rate(layer: LayerCost, rate: float, counted: float) -> Counts:
    counts = layer.counts
    binary_input = counts.dense_acs > 0
    if counted > 0:
        scale = rate / counted
        return replace(
            counts,
            effective_acs=counts.effective_acs * scale,
            spike_events=counts.spike_events * scale,
            event_weight_reads=counts.event_weight_reads * scale
            if binary_input
            else counts.event_weight_reads,
        )
    events = layer.neurons * layer.steps if layer.spike_rate is not None else 0.0
    return replace(
        counts,
        effective_acs=counts.dense_acs * rate,
        spike_events=events * rate,
        event_weight_reads=counts.dense_acs * rate if binary_input else counts.event_weight_reads,
    )


def at_steps(report: CostReport, steps: int, once: Collection[str] | None = None) -> CostReport:
    """`report` as if the network ran `steps` time steps per inference (see module).

    Args:
        report: the counts at `report.steps` steps.
        steps: the time steps to project to (an integer >= 1).
        once: names of the layers that run once per inference whatever the steps; default:
            those that ran fewer times than `report.steps` (none when `report.steps` is 1: give
            them, e.g. the first layer of a directly encoded network).

    Raises:
        InvalidInputError: `steps` is not an integer >= 1, or `once` names a layer the report
            does not have.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise InvalidInputError(f"steps must be an integer >= 1, got {steps!r}")
    if once is None:
        once = [name for name, layer in report.layers.items() if layer.steps < report.steps]
    unknown = sorted(set(once) - set(report.layers))
    if unknown:
        raise InvalidInputError(
            f"{report.model} has no layer {', '.join(map(repr, unknown))}: its layers are "
            f"{', '.join(report.layers)}"
        )
    scale = steps / report.steps
    layers = {
        name: layer
        if name in once
        else replace(layer, counts=_scaled(layer.counts, scale), steps=layer.steps * scale)
        for name, layer in report.layers.items()
    }
    return replace(report, steps=steps, layers=layers)


def _scaled(counts: Counts, scale: float) -> Counts:
    return Counts(**{f.name: getattr(counts, f.name) * scale for f in fields(counts)})
