"""The way forward for a spiking network that costs more than its ReLU twin: two levers.

On a deployment, a spiking network's energy per inference is linear in its spike rate and in
its number of time steps (`greenspike.cost.projection`); the ReLU twin's energy is a number.
For each lever the cost model gives where the two meet (`greenspike.cost.break_even_rate`,
`break_even_steps`), and what the lever can give at best: the network's energy with no spike
at all, and at one time step (at today's spike rate). The lever whose best is lowest is the
single change that would move the verdict most.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Literal

from greenspike.cost import (
    CostReport,
    Deployment,
    at_spike_rate,
    at_steps,
    break_even_rate,
    break_even_steps,
)
from greenspike.train.inference import BreakEven, Verdict

Lever = Literal["spike rate", "time steps"]


@dataclass(frozen=True)
class StepsBreakEven:
    """The number of time steps below which the spiking network costs less (today's rate).

    `verdict`: "never" (`steps` below 1: even one step costs more), "below" (wins below
    `steps`; the network runs whole steps, so at `floor(steps)` or fewer, and fewer than
    `steps` when it is whole), or "always" (no number of steps makes it cost more; `steps`
    None stands for infinity).
    """

    steps: float | None
    verdict: Verdict

    @property
    def most(self) -> int | None:
        """The most whole time steps at which it costs less (None: any number; 0: none)."""
        if self.steps is None:
            return None
        if self.steps < 1:
            return 0
        whole = math.floor(self.steps)
        return whole - 1 if whole == self.steps else whole

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields, with `most`."""
        return {"steps": self.steps, "verdict": self.verdict, "most": self.most}


@dataclass(frozen=True)
class Levers:
    """What each single change would do to a spiking network's energy on one deployment.

    Args:
        spike_rate: its spike rate now (spikes per neuron per step).
        steps: its time steps now.
        rate: the break-even spike rate against the ReLU twin's energy.
        steps_break_even: the break-even number of time steps, at today's spike rate.
        silent_j: its joules per inference with no spike at all (the most a sparser code
            can give).
        one_step_j: its joules per inference at one time step, at today's spike rate (the most
            fewer steps can give).
        rate_slope_j: joules per inference that one unit of spike rate adds:
            E(r) = silent_j + rate_slope_j x r.
        step_slope_j: joules per inference that each time step adds:
            E(T) = one_step_j + step_slope_j x (T - 1).
    """

    spike_rate: float
    steps: int
    rate: BreakEven
    steps_break_even: StepsBreakEven
    silent_j: float
    one_step_j: float
    rate_slope_j: float
    step_slope_j: float

    def energy_at_rate(self, rate: float) -> float:
        """Joules per inference at spike rate `rate` (today's steps)."""
        return self.silent_j + self.rate_slope_j * rate

    def energy_at_steps(self, steps: float) -> float:
        """Joules per inference at `steps` time steps (today's spike rate)."""
        return self.one_step_j + self.step_slope_j * (steps - 1)

    @property
    def best(self) -> Lever:
        """The lever that can lower the energy most: "spike rate" or "time steps"."""
        return "spike rate" if self.silent_j < self.one_step_j else "time steps"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields, with `best`."""
        return {
            "spike_rate": self.spike_rate,
            "steps": self.steps,
            "break_even_rate": self.rate.to_dict(),
            "break_even_steps": self.steps_break_even.to_dict(),
            "silent_j": self.silent_j,
            "one_step_j": self.one_step_j,
            "rate_slope_j": self.rate_slope_j,
            "step_slope_j": self.step_slope_j,
            "best": self.best,
        }


def levers(
    report: CostReport, relu_j: float, where: Deployment, once: Collection[str]
) -> Levers | None:
    """The levers of a spiking network counted as `report` on `where`, against `relu_j` joules.

    Args:
        report: its counts at the precision of `where`.
        relu_j: the ReLU twin's joules per inference (on `where`, or on its own hardware).
        where: the spiking network's deployment; it must price all of `report`.
        once: its layers that run once per inference whatever the steps.

    Returns:
        None when the report has no spike rate.
    """
    rate_now = report.spike_rate
    if rate_now is None:
        return None
    rate = break_even_rate(report, relu_j, where)
    steps = break_even_steps(report, relu_j, where, once)
    silent = where.price(at_spike_rate(report, 0.0)).energy_j
    full = where.price(at_spike_rate(report, 1.0)).energy_j
    one_step = where.price(at_steps(report, 1, once)).energy_j
    two_steps = where.price(at_steps(report, 2, once)).energy_j
    # `where` prices all of the report, and so all of its projections
    assert silent is not None and full is not None
    assert one_step is not None and two_steps is not None
    return Levers(
        spike_rate=rate_now,
        steps=report.steps,
        rate=BreakEven(
            None if math.isinf(rate) else rate,
            "never" if rate == 0 else "always" if rate >= 1 else "below",
        ),
        steps_break_even=StepsBreakEven(
            None if math.isinf(steps) else steps,
            "never" if steps < 1 else "always" if math.isinf(steps) else "below",
        ),
        silent_j=silent,
        one_step_j=one_step,
        rate_slope_j=full - silent,
        step_slope_j=two_steps - one_step,
    )
