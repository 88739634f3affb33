"""The comparison of `greenspike compare`: its side-by-side terminal table and its HTML report.

The table shows, per twin: test accuracy, parameters, training time and energy (measured and
estimated apart), CO2e; per inference: operations, neuron updates, memory moved and spike rate;
per hardware profile: energy per inference, its compute / memory / neuron split, the test
accuracy at the profile's precision, and the break-even spike rate. Notes under it say what a
profile could not price and where the training energy comes from. A second table puts each
twin on its own hardware (the `deploy` pairings): both energies and accuracies, their ratio
and a one-line verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from matplotlib.figure import Figure
from rich.markup import escape
from rich.table import Table

from greenspike._units import grams, prefix_of, si
from greenspike.cost import Counts, EnergyEstimate
from greenspike.ledger.store import Ledger
from greenspike.report._plots import data_uri, plain
from greenspike.report.html import write_html_report
from greenspike.train import (
    BreakEven,
    CompareResult,
    DeploymentEnergy,
    NetworkResult,
    Pairing,
)

Cell = Callable[[NetworkResult], str]


def compare_table(result: CompareResult) -> Table:
    """The side-by-side table of both twins, with notes in its caption."""
    config = result.config
    networks = result.networks
    table = Table(title=escape(f"{config.model} on {config.dataset}"), caption_justify="left")
    table.add_column("")
    for name in networks:
        table.add_column(name, justify="right")

    def row(label: str, cell: Cell, shown: Callable[[NetworkResult], object] | None = None) -> None:
        table.add_row(
            label,
            *(
                cell(network) if (shown is None or shown(network) is not None) else "-"
                for network in networks.values()
            ),
        )

    row("status", lambda n: n.status)
    row(f"test accuracy ({config.precision})", lambda n: f"{n.accuracy:.1%}", lambda n: n.accuracy)
    row("parameters", lambda n: f"{n.parameters:,}")
    row("training time", lambda n: f"{n.train_time_s:.1f} s", lambda n: n.train_time_s)
    for label, total in (
        ("training energy", "energy_j"),
        ("  measured", "measured_energy_j"),
        ("  estimated", "estimated_energy_j"),
    ):
        row(label, _training_cell(total), lambda n: n.training_energy)
    row("training CO2e", lambda n: grams(n.training_co2e_g), lambda n: n.training_energy)
    table.add_section()

    def counts(network: NetworkResult) -> Counts:
        assert network.inference is not None
        return network.inference.counts.total

    def inferred(network: NetworkResult) -> object:
        return network.inference

    row("per inference: ops", lambda n: _ops(counts(n), "effective"), inferred)
    row("  dense ops", lambda n: _ops(counts(n), "dense"), inferred)
    row("  neuron updates", lambda n: f"{counts(n).neuron_updates:,.0f}", inferred)
    row("  membrane updates (NeuroBench)", lambda n: f"{counts(n).membrane_updates:,.0f}", inferred)
    row(
        "  memory moved (32-bit)",
        lambda n: si(counts(n).memory_bytes(32), "B", largest="M"),
        inferred,
    )
    row("hidden spike rate", lambda n: f"{n.spike_rate:.1%}", lambda n: n.spike_rate)
    notes = []
    for hardware in config.hardware:
        table.add_section()
        notes += _profile_rows(table, row, result, hardware)
    table.caption = "\n".join(escape(line) for line in [*notes, *_captions(result)])
    return table


def write_compare_report(result: CompareResult, ledger: Ledger, path: str | Path) -> Path:
    """report.html of the comparison's runs kept in `ledger`, test accuracy against energy.

    Raises:
        InvalidInputError: the folder of `path` does not exist, the comparison kept no run,
            or a run is not in `ledger`.
    """
    config = result.config
    run_ids = [n.run_id for n in result.networks.values() if n.run_id is not None]
    title = f"greenspike compare {result.group}: {config.model} on {config.dataset}"
    figure = deployments_figure(result)
    figures = {} if figure is None else {"Each twin on its own hardware": data_uri(figure)}
    return write_html_report(ledger, run_ids, path, title=title, figures=figures)


def deployments_figure(result: CompareResult) -> Figure | None:
    """Energy per inference of each twin on its deployment, one pair of bars per pairing.

    Estimated energies (hatched), on a log scale, each bar labelled with its accuracy at its
    precision; a twin without a total is left out and said so. None without a pairing.
    """
    if not result.pairings:
        return None
    figure = Figure(figsize=(7.2, 0.8 + 0.7 * len(result.pairings)))
    axes = figure.subplots()
    rows = range(len(result.pairings))
    for offset, twin, colour in ((0.18, "relu", "#d95f02"), (-0.18, "spiking", "#1b9e77")):
        for row, pairing in zip(rows, result.pairings, strict=True):
            energy: DeploymentEnergy = getattr(pairing, twin)
            label = plain(f"{twin} on {energy.deployment.name}, {energy.accuracy:.1%}")
            if energy.energy_j is None:  # no bar: written at the left edge instead
                where = axes.get_yaxis_transform()
                axes.text(0.01, row + offset, f"{label}: no total", va="center", transform=where)
                continue
            axes.barh(row + offset, energy.energy_j, height=0.34, color=colour, hatch="//")
            axes.text(energy.energy_j, row + offset, f" {label}", va="center", fontsize="small")
    axes.set_xscale("log")
    axes.set_yticks(list(rows), [f"pairing {row + 1}" for row in rows])
    axes.invert_yaxis()
    axes.set_xlabel("estimated energy per inference (J), at each deployment's precision")
    axes.grid(alpha=0.3, axis="x")
    return figure


def _training_cell(total: str) -> Cell:
    return lambda network: _training_j(network, total)


def _training_j(network: NetworkResult, total: str) -> str:
    """A total in joules; "-" for a part no component contributes to.

    Nothing measured is not a measurement of 0 J.
    """
    assert network.training_energy is not None
    window = network.training_energy
    value = getattr(window, total)
    if total != "energy_j" and value == 0 and window.energy_j > 0:
        return "-"
    return f"{value:.1f} J"


def _ops(counts: Counts, kind: str) -> str:
    """`{kind}_macs` and `{kind}_acs` as e.g. "5,265 MAC + 5,757 AC"."""
    parts = [
        f"{getattr(counts, f'{kind}_{op}s'):,.0f} {op.upper()}"
        for op in ("mac", "ac")
        if getattr(counts, f"{kind}_{op}s")
    ]
    return " + ".join(parts) or "0"


def _split(estimate: EnergyEstimate) -> str:
    """Compute / memory / neurons in the unit of the largest ("-" if nothing was priced)."""
    if not estimate.priced_j:
        return "-"
    parts = (estimate.compute_j, estimate.memory_j, estimate.neuron_j)
    unit, size = prefix_of(max(parts), "J")
    return " / ".join(f"{part / size:.3g}" for part in parts) + f" {unit}"


def _break_even(entry: BreakEven) -> str:
    if entry.verdict == "unpriced":
        return "-"
    if entry.verdict == "never":
        return "0 (never)"
    if entry.spike_rate is None:
        return "∞ (always)"
    return f"{entry.spike_rate:.1%}"


def _profile_rows(table: Table, row, result: CompareResult, hardware: str) -> list[str]:
    """Add the rows of energy per inference on `hardware`, its split and the break-even rate.

    Returns:
        The notes on the networks the profile cannot price in full.
    """

    def energy(network: NetworkResult) -> DeploymentEnergy:
        assert network.inference is not None
        return network.inference.energy[hardware]

    def total(network: NetworkResult) -> str:
        joules = energy(network).energy_j
        return "no total" if joules is None else si(joules, "J")

    row(f"energy on {hardware}", total, lambda n: n.inference)
    row(
        "  compute / memory / neurons",
        lambda n: _split(energy(n).estimate.total),
        lambda n: n.inference,
    )
    priced = [n.inference.energy[hardware] for n in result.networks.values() if n.inference]
    label = precision_label(priced[0]) if priced else "its precision"
    row(f"  test accuracy at {label}", lambda n: f"{energy(n).accuracy:.1%}", lambda n: n.inference)
    if result.break_even is not None and hardware in result.break_even:
        rate = _break_even(result.break_even[hardware])
        table.add_row(
            "  break-even spike rate",
            *[rate if name == "spiking" else "" for name in result.networks],
        )
    return [
        _unpriced_note(name, hardware, energy(network), result)
        for name, network in result.networks.items()
        if network.inference is not None and energy(network).energy_j is None
    ]


def _unpriced_note(
    network: str, hardware: str, energy: DeploymentEnergy, result: CompareResult
) -> str:
    note = (
        f"{hardware}, {network}: no total: {'; '.join(energy.estimate.total.unpriced)} in "
        f"layer(s) {', '.join(energy.unpriced_layers)}; the split holds what it could price"
    )
    if network == "spiking" and result.config.encoding == "direct" and not energy.deployment.host:
        note += (
            f" (the first layer gets pixel values: {hardware}+host=cmos7-int8 runs it on a "
            "host; --encoding rate or latency feeds it spikes)"
        )
    return note


def precision_label(energy: DeploymentEnergy) -> str:
    """The deployment's precision: weights/activations/state per part, e.g. "int8/int8/int16"."""
    parts = energy.deployment.parts
    labels = [
        "/".join(profile.precision.to_dict().values()) + (f" ({role})" if len(parts) > 1 else "")
        for role, profile in parts
    ]
    return " + ".join(labels)


def deployments_table(result: CompareResult) -> Table:
    """Each twin on its own hardware: one row per `deploy` pairing, verdicts in the caption."""
    table = Table(
        title="each twin on its own hardware (energy per inference, accuracy at its precision)",
        caption_justify="left",
    )
    for column in ("ReLU twin on", "energy", "accuracy", "spiking twin on", "energy",
                   "accuracy", "spiking / ReLU"):  # fmt: skip
        on = column.endswith("on")  # a deployment's name is never cut
        table.add_column(column, justify="left" if on else "right", no_wrap=on)
    for pairing in result.pairings:
        relu, spiking = pairing.relu, pairing.spiking
        ratio = pairing.energy_ratio
        table.add_row(
            escape(relu.deployment.name),
            _joules(relu.energy_j),
            f"{relu.accuracy:.1%}",
            escape(spiking.deployment.name),
            _joules(spiking.energy_j),
            f"{spiking.accuracy:.1%}",
            "-" if ratio is None else f"{ratio:.3g}x",
        )
    table.caption = "\n".join(escape(verdict_line(p)) for p in result.pairings)
    return table


def verdict_line(pairing: Pairing) -> str:
    """One sentence: which twin uses less energy per inference there, by how much, how accurate."""
    relu, spiking = pairing.relu, pairing.spiking
    where = f"{spiking.deployment.name} vs {relu.deployment.name}"
    accuracies = (
        f"spiking {spiking.accuracy:.1%} at {precision_label(spiking)}, "
        f"ReLU {relu.accuracy:.1%} at {precision_label(relu)}"
    )
    ratio = pairing.energy_ratio
    if ratio is None:
        missing = [e.deployment.name for e in (relu, spiking) if e.energy_j is None]
        return f"{where}: no verdict: {', '.join(missing)} cannot price all of its twin"
    if pairing.verdict == "tie":
        return f"{where}: both twins use the same energy per inference ({accuracies})"
    winner, factor = ("spiking", 1 / ratio) if pairing.verdict == "spiking" else ("ReLU", ratio)
    return f"{where}: the {winner} twin uses {factor:.3g}x less energy per inference ({accuracies})"


def _joules(joules: float | None) -> str:
    return "no total" if joules is None else si(joules, "J")


def _captions(result: CompareResult) -> list[str]:
    lines = []
    if result.break_even:
        lines.append(
            "Break-even: the spike rate below which the spiking twin costs less per inference "
            "than the ReLU twin on that profile (0: never, even silent; ∞: at any rate; "
            "-: a network has operations the profile cannot price)."
        )
    reports = [n.energy for n in result.networks.values() if n.energy is not None]
    sources = "; ".join(
        f"{c.name}: {c.provenance} ({c.method})" for c in (reports[0].components if reports else [])
    )
    if sources:
        lines.append(f"Training energy by {sources}.")
    if result.config.hardware:
        lines.append("Energy per inference: estimated by greenspike.cost (see README).")
    return lines
