"""What `compare --optimize` did, for people: a line per trial, and the search's summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

from greenspike._units import si
from greenspike.report.compare import network_label
from greenspike.search.records import TrialRecord

if TYPE_CHECKING:
    from greenspike.search.optimization import Optimization


def trial_line(trial: TrialRecord, target: str) -> str:
    """One line on a trial that just ended: its network, accuracy and energy on the target."""
    params = trial.params
    widths = ",".join([str(params.get("width"))] * int(params.get("depth", 1)))
    steps = params.get("steps")
    shape = f"{params.get('model')} {widths}, {steps} step{'s' * (steps != 1)}, "
    shape += str(params.get("encoding"))
    accuracy = "-" if trial.accuracy is None else f"{trial.accuracy:.1%}"
    energy = ""
    if trial.evaluation is not None:
        energy = f", {si(trial.evaluation.inference_energy_j, 'J')} per inference on {target}"
    return f"trial {trial.number}: {trial.state}, {shape}, validation accuracy {accuracy}{energy}"


def optimization_lines(optimization: Optimization) -> list[str]:
    """What `--optimize` searched, what it cost, and what it chose, in a few sentences."""
    from greenspike.search.optimization import NAME  # Optuna is there: it made `optimization`

    config, search, reference = optimization.config, optimization.search, optimization.reference
    counts, bill = search.counts, search.energy
    points = f"{config.max_drop:g} point{'s' * (config.max_drop != 1)}"
    total_j = bill.energy_j + reference.energy.energy_j
    lines = [
        f"Searched {counts['complete'] + counts['pruned'] + counts['fail']} spiking networks "
        f"for the cheapest on {config.target} within {points} of the ReLU twin trained the "
        f"same way (validation accuracy {reference.validation_accuracy:.1%} at "
        f"{config.target}'s precision): {counts['complete']} complete, {counts['pruned']} "
        f"pruned, {counts['fail']} failed; stopped: {search.stopped_by}.",
        f"The search's own bill: {total_j:,.1f} J, {total_j / 3.6e6:.3g} kWh (trials "
        f"{bill.energy_j:,.1f} J: measured {bill.measured_energy_j:,.1f} J, estimated "
        f"{bill.estimated_energy_j:,.1f} J, {', '.join(bill.sources) or 'no source'}; the "
        f"ReLU reference {reference.energy.energy_j:,.1f} J)"
        + ("" if bill.co2e_g is None else f", trials {bill.co2e_g:.3g} g CO2e")
        + ".",
    ]
    chosen = optimization.chosen
    if chosen is None:
        lines.append("No trial completed within the budget: no network was added.")
    elif NAME not in optimization.result.networks:
        lines.append(f"Trial {chosen.number} was chosen, but its network was not trained.")
    else:
        assert chosen.values is not None
        how = (
            f"the cheapest within {points}"
            if optimization.within_max_drop
            else f"none was within {points}: the closest, "
            f"{100 * (reference.validation_accuracy - chosen.values[0]):.1f} points below"
        )
        lines.append(
            f"Chosen: trial {chosen.number}, {how} (validation accuracy "
            f"{chosen.values[0]:.1%}, {si(chosen.values[1], 'J')} per inference), trained and "
            f"measured like the twins as {network_label(NAME)}."
        )
    lines += [f"Note: {note}." for note in search.notes]
    return lines
