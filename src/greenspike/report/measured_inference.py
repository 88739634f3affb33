"""The table of `compare --measure-inference`: each twin's inference as measured on this machine.

One row per run (twin, implementation, batch): test accuracy, latency per call, throughput,
joules per inference with where they come from (measured by a sensor, or estimated by a model),
and beside it the cost model's estimate for the same network.
"""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from greenspike._units import si
from greenspike.train.measured_inference import InferenceMeasurement


def measured_inference_table(measurement: InferenceMeasurement) -> Table:
    """The measured runs, the cost model's estimate beside each; sources in the caption."""
    table = Table(
        title=f"inference on this machine ({measurement.seconds:g} s per run)",
        caption_justify="left",
    )
    for column in ("twin", "implementation", "batch", "accuracy", "latency", "inferences/s",
                   "energy / inference", "from", "cost model"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("twin", "from") else "right")
    sources: dict[str, str] = {}
    for run in measurement.runs:
        estimate = run.estimate
        model = "-"
        if estimate is not None and estimate.energy_j is not None:
            model = f"{si(estimate.energy_j, 'J')} ({estimate.deployment.name})"
        table.add_row(
            run.network,
            run.implementation,
            str(run.batch),
            f"{run.accuracy:.1%}",
            si(run.latency_s, "s"),
            f"{run.throughput_per_s:,.0f}",
            si(run.energy_j_per_inference, "J"),
            run.provenance,
            model,
        )
        for component in run.window.components:
            sources[component.name] = f"{component.name}: {component.label}, {component.source}"
    lines = [
        "energy: the whole window's joules / inferences (the meters' scope, "
        "other processes included); cost model: estimated for the same network",
        *sources.values(),
    ]
    table.caption = "\n".join(escape(line) for line in lines)
    return table
