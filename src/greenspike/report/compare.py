"""The comparison of `greenspike compare`: its side-by-side terminal table and its HTML report.

The table shows, per twin: test accuracy, parameters, training time and energy (measured and
estimated apart), CO2e; per inference: operations, neuron updates, memory moved and spike rate;
per hardware profile: energy per inference, its compute / memory / neuron split, and the
break-even spike rate. Notes under it say what a profile could not price and where the
training energy comes from. A converted network (`--spiking convert|both`) is a third column,
and its accuracy and energy per inference by time steps a table (and a plot in the report) of
its own.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from greenspike._units import grams, prefix_of, si
from greenspike.cost import Counts, EnergyEstimate
from greenspike.ledger.store import Ledger
from greenspike.report._plots import conversion_curve
from greenspike.report.html import write_html_report
from greenspike.train import BreakEven, CompareResult, NetworkResult, ProfileEnergy

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
    row("test accuracy", lambda n: f"{n.accuracy:.1%}", lambda n: n.accuracy)
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
    figures = {}
    curve = _curve_plot(result)
    if curve is not None:
        figures["Converted network: accuracy and energy per inference by time steps"] = curve
    return write_html_report(ledger, run_ids, path, title=title, figures=figures)


def conversion_curve_table(result: CompareResult) -> Table | None:
    """The converted network's accuracy, spike rate and energy per inference by time steps.

    The last row is the ReLU twin it was converted from; None without a converted network.
    """
    converted = result.networks.get("converted")
    if converted is None or not converted.curve:
        return None
    hardware = result.config.hardware
    table = Table(title="converted network by time steps", caption_justify="left", show_edge=True)
    for heading in ("steps", "test accuracy", "spike rate", *(f"on {hw}" for hw in hardware)):
        table.add_column(escape(heading), justify="right")
    for point in converted.curve:
        marker = " *" if point.steps == result.config.steps else ""
        table.add_row(
            f"{point.steps}{marker}",
            f"{point.accuracy:.1%}",
            "-" if point.spike_rate is None else f"{point.spike_rate:.1%}",
            *(_joules(point.energy_j.get(hw)) for hw in hardware),
        )
    relu = result.networks.get("relu")
    if relu is not None and relu.accuracy is not None:
        energies = _profile_totals(relu)
        table.add_section()
        table.add_row(
            "ReLU twin",
            f"{relu.accuracy:.1%}",
            "-",
            *(_joules(energies.get(hw)) for hw in hardware),
        )
    table.caption = escape(
        f"* the steps of the comparison (--steps {result.config.steps}). Energy per inference: "
        "estimated by greenspike.cost; '-' where a profile cannot price the network in full."
    )
    return table


def _curve_plot(result: CompareResult) -> str | None:
    converted = result.networks.get("converted")
    if converted is None or not converted.curve:
        return None
    relu = result.networks.get("relu")
    points = converted.curve
    return conversion_curve(
        [p.steps for p in points],
        [p.accuracy for p in points],
        {hw: [p.energy_j.get(hw) for p in points] for hw in result.config.hardware},
        None if relu is None else relu.accuracy,
        {} if relu is None else _profile_totals(relu),
    )


def _profile_totals(network: NetworkResult) -> dict[str, float | None]:
    if network.inference is None:
        return {}
    return {hw: e.estimate.energy_j for hw, e in network.inference.energy.items()}


def _joules(energy_j: float | None) -> str:
    return "-" if energy_j is None else si(energy_j, "J")


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

    def energy(network: NetworkResult) -> ProfileEnergy:
        assert network.inference is not None
        return network.inference.energy[hardware]

    def total(network: NetworkResult) -> str:
        estimate = energy(network).estimate
        return "no total" if estimate.energy_j is None else si(estimate.energy_j, "J")

    row(f"energy on {hardware}", total, lambda n: n.inference)
    row("  compute / memory / neurons", lambda n: _split(energy(n).estimate), lambda n: n.inference)
    against_relu = {"spiking": result.break_even, "converted": result.converted_break_even}
    if any(b is not None and hardware in b for b in against_relu.values()):
        cells = []
        for name in result.networks:
            entries = against_relu.get(name)
            cells.append(_break_even(entries[hardware]) if entries and hardware in entries else "")
        table.add_row("  break-even spike rate", *cells)
    return [
        _unpriced_note(name, hardware, energy(network), result)
        for name, network in result.networks.items()
        if network.inference is not None and not energy(network).estimate.complete
    ]


def _unpriced_note(
    network: str, hardware: str, energy: ProfileEnergy, result: CompareResult
) -> str:
    note = (
        f"{hardware}, {network}: no total: {'; '.join(energy.estimate.unpriced)} in layer(s) "
        f"{', '.join(energy.unpriced_layers)}; the split holds what it could price"
    )
    if network == "spiking" and result.config.encoding == "direct":
        note += " (the first layer gets pixel values; --encoding rate or latency feeds it spikes)"
    if network == "converted":
        note += " (a converted network's first layer gets the pixel values)"
    return note


def _captions(result: CompareResult) -> list[str]:
    lines = []
    if result.break_even or result.converted_break_even:
        lines.append(
            "Break-even: the spike rate below which the spiking network costs less per "
            "inference than the ReLU twin on that profile (0: never, even silent; ∞: at any "
            "rate; -: a network has operations the profile cannot price)."
        )
    converted = result.networks.get("converted")
    if converted is not None:
        samples = (
            ""
            if converted.conversion is None
            else (f" (calibration on {converted.conversion.calibration_samples} train images)")
        )
        lines.append(
            f"converted: the ReLU twin converted to IF neurons after its training{samples}, "
            f"run for {result.config.steps} steps; its training time and energy are the "
            "conversion's (add the ReLU twin's for its whole cost)."
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
