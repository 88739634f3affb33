"""A search's results for people: the Pareto table, the bill, and the HTML report of its trials."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from greenspike.ledger.store import Ledger
from greenspike.report._plots import data_uri
from greenspike.report._tables import add_column, cell, new_table
from greenspike.report.html import write_html_report
from greenspike.report.pareto import pareto_figure
from greenspike.search.records import TrialRecord
from greenspike.search.result import SearchResult


def pareto_table(result: SearchResult) -> Table:
    """The Pareto-optimal trials, one line each, best accuracy first (80 columns suffice)."""
    profile = result.hardware[0]
    bill_sources = ", ".join(result.energy.sources) or "not measured"
    table = new_table(
        f"Pareto front of {result.study} ({', '.join(result.objectives)})",
        caption=f"val./test acc.: validation/test accuracy; µJ/inf.: estimated on {profile} by "
        f"greenspike.cost; training J: {bill_sources}",
    )
    add_column(table, "trial", "right")
    add_column(table, "network")
    add_column(table, "shape", long=True)
    for header in ("val. acc.", "test acc.", "training J", "µJ/inf."):
        add_column(table, header, "right")
    front = [t for t in result.trials if t.pareto]
    for t in sorted(front, key=lambda t: -(t.accuracy or 0.0)):
        assert t.evaluation is not None and t.measurement is not None
        table.add_row(
            str(t.number),
            str(t.params["network"]),
            cell(_shape(t), long=True),
            f"{t.accuracy:.1%}",
            f"{t.evaluation.test_accuracy:.1%}",
            f"{t.measurement.training_energy_j:.2f}",
            f"{t.evaluation.inference_energy_j * 1e6:.3g}",
        )
    return table


def bill_text(result: SearchResult) -> str:
    """What the search cost, and what pruning saved (an estimate)."""
    energy, counts, pruning = result.energy, result.counts, result.pruning
    co2e = "no CO2e (give --country)" if energy.co2e_g is None else f"{energy.co2e_g:.3g} g CO2e"
    lines = [
        f"Stopped: {result.stopped_by}. Trials: {counts['complete']} complete, "
        f"{counts['pruned']} pruned, {counts['fail']} failed.",
        f"Search cost: {energy.energy_j:.1f} J = {energy.kwh:.3g} kWh "
        f"(measured {energy.measured_energy_j:.1f} J, estimated "
        f"{energy.estimated_energy_j:.1f} J; {', '.join(energy.sources)}), {co2e}.",
    ]
    lines += [f"Note: {note}." for note in result.notes]
    if pruning.pruned_trials:
        saved = pruning.estimated_saved_j
        lines.append(
            f"Pruning stopped {pruning.pruned_trials} trials, skipping "
            f"{pruning.epochs_skipped} epochs: "
            + ("no estimate" if saved is None else f"about {saved:.1f} J saved")
            + f" ({pruning.method})."
        )
    return "\n".join(lines)


def trial_line(trial: TrialRecord) -> str:
    """One line on a trial that just ended: state, network, accuracy, energy."""
    accuracy = float("nan") if trial.accuracy is None else trial.accuracy
    energy = "energy not recorded"
    if trial.measurement is not None:
        energy = f"{trial.measurement.energy_j:.3g} J"
    return (
        f"trial {trial.number}: {trial.state}, {trial.params.get('network')}, "
        f"validation accuracy {accuracy:.1%}, {energy}"
    )


def write_search_report(result: SearchResult, ledger: Ledger, path: str | Path) -> Path | None:
    """Write the HTML report of the trials kept in `ledger` to `path`.

    Every trial's energy with provenance, its accuracy per epoch, accuracy against energy, and
    the Pareto front. None (nothing written) when no trial was kept.

    Raises:
        InvalidInputError: the folder of `path` does not exist, or a trial's run is not in
            `ledger`.
    """
    run_ids = [t.ledger_run_id for t in result.trials if t.ledger_run_id]
    if not run_ids:
        return None
    figure = pareto_figure(result)
    figures = {} if figure is None else {"Pareto front": data_uri(figure)}
    return write_html_report(
        ledger,
        run_ids,
        path,
        title=f"Search {result.study}: {len(run_ids)} trials",
        figures=figures,
    )


def _shape(trial: TrialRecord) -> str:
    params = trial.params
    shape = f"{params['model']} {'x'.join([str(params['width'])] * params['depth'])}"
    if params["network"] == "spiking":
        shape += f", T={params['steps']}, {params['encoding']}"
    return shape
