"""report.html of `greenspike compare`: the comparison first, then the ledger's runs.

The page opens with the verdicts (each spiking network against the ReLU twin on each profile,
and each twin on its own hardware), what `--optimize` searched and chose, the terminal's table
itself, then the charts: energy per inference per profile and deployment (stacked compute /
memory / neurons, accuracy above each bar), the levers (energy against spike rate and time
steps, with the break-even line), each twin on its own hardware, the converted network's
accuracy and energy by time steps (`--spiking convert|both`), the search's trials, and the
training curves. The ledger's report of the runs follows (`greenspike.report.html`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from greenspike.ledger.store import Ledger
from greenspike.report._compare_plots import (
    curves_figure,
    deployments_figure,
    energy_figure,
    levers_figure,
    training_figure,
)
from greenspike.report._plots import conversion_curve, data_uri
from greenspike.report.compare import compare_view, curve_hardware, deployments_view
from greenspike.report.html import write_html_report
from greenspike.report.optimize import optimization_lines
from greenspike.report.pareto import pareto_figure
from greenspike.train import CompareResult, NetworkResult

if TYPE_CHECKING:
    from greenspike.search.optimization import Optimization


def write_compare_report(
    result: CompareResult,
    ledger: Ledger,
    path: str | Path,
    optimization: Optimization | None = None,
) -> Path:
    """report.html of a comparison whose runs are kept in `ledger` (see the module).

    Args:
        result: the comparison.
        ledger: where its runs are.
        path: the file to write.
        optimization: what `--optimize` did, if it ran (its `result` is `result`).

    Raises:
        InvalidInputError: the folder of `path` does not exist, the comparison kept no run,
            or a run is not in `ledger`.
    """
    config = result.config
    run_ids = [n.run_id for n in result.networks.values() if n.run_id is not None]
    title = f"greenspike compare {result.group}: {config.model} on {config.dataset}"
    charts = []
    for heading, figure, chart_id, note in (
        (
            "Energy per inference",
            energy_figure(result),
            "energy-chart",
            "Estimated by greenspike.cost at each profile's precision, stacked compute / memory "
            "/ neurons; above each bar, the test accuracy at that precision.",
        ),
        (
            "What would move the verdict",
            levers_figure(result),
            "levers-chart",
            "Each spiking network's energy over the ReLU twin's, from the cost model, if only "
            "its spike rate (left) or its number of time steps (right) changed; below the black "
            "line it costs less. The marker is where it is today.",
        ),
        ("Each twin on its own hardware", deployments_figure(result), "pairings-chart", None),
        (
            "The search's trials",
            None
            if optimization is None
            else pareto_figure(
                optimization.search,
                None if optimization.chosen is None else optimization.chosen.number,
            ),
            "search-chart",
            None if optimization is None else _chosen_note(optimization),
        ),
        (
            "Training curves",
            curves_figure(result),
            "curves-chart",
            "Mean minibatch loss and train accuracy per epoch (quantization-aware epochs after "
            "the dotted line).",
        ),
    ):
        if figure is not None:
            charts.append((heading, data_uri(figure), chart_id, note))
        if chart_id == "pairings-chart" and (curve := _curve_chart(result)) is not None:
            charts.append(curve)
    training = training_figure(result)
    context = {
        "training": None if training is None else data_uri(training),
        "table": compare_view(result),
        "pairings": deployments_view(result) if result.pairings else None,
        "optimization": None if optimization is None else optimization_lines(optimization),
        "charts": charts,
    }
    return write_html_report(
        ledger, run_ids, path, title=title, template="compare.html.j2", context=context
    )


def _curve_chart(result: CompareResult) -> tuple[str, str, str, str] | None:
    """The converted network's accuracy and energy by time steps, as a chart entry."""
    converted = result.networks.get("converted")
    if converted is None or not converted.curve:
        return None
    relu = result.networks.get("relu")
    points = converted.curve
    hardware = curve_hardware(result)
    uri = conversion_curve(
        [p.steps for p in points],
        [p.accuracy for p in points],
        {hw: [p.energy_j.get(hw) for p in points] for hw in hardware},
        None if relu is None else relu.accuracy,
        {} if relu is None else _energies(relu, hardware),
    )
    note = (
        "The converted network's test accuracy (as converted, float) and energy per inference "
        f"by time steps, on {', '.join(hardware) or 'no profile'} (the hardware that runs it at "
        "that precision); dotted: the ReLU twin."
    )
    return ("Converted network by time steps", uri, "conversion-chart", note)


def _energies(network: NetworkResult, hardware: tuple[str, ...]) -> dict[str, float | None]:
    if network.inference is None:
        return {}
    return {hw: network.inference.energy[hw].energy_j for hw in hardware}


def _chosen_note(optimization: Optimization) -> str:
    chosen = optimization.chosen
    if chosen is None:
        return "No trial completed."
    return (
        f"Validation accuracy at {optimization.config.target}'s precision against energy per "
        f"inference there; trial {chosen.number} was chosen."
    )
