"""The comparison of `greenspike compare` for people: its side-by-side table and verdicts.

The table (`compare_view`, printed by `compare_table`, shown again in report.html) has one
column per network (the ReLU twin, the spiking twin, and any further spiking network such as
the optimized one) and shows: what each network is (hidden sizes, time steps, encoding, decay,
threshold, activity penalty), its training (test accuracy, parameters, time, energy measured
and estimated, CO2e), what one inference does (operations, neuron updates, memory moved, spike
rate), and per hardware profile or deployment: energy per inference, its compute / memory /
neurons split, the test accuracy at the hardware's precision, the spiking / ReLU ratio and the
two break-even points (spike rate, time steps). It ends with one verdict line per profile and
spiking network: how much more (or less) it costs than the ReLU twin, at what accuracy, and the
single change that would move it most. A second table puts each twin on its own hardware (the
`deploy` pairings), with the same verdict lines.

Energies in one row (and in one verdict) are printed with as many digits as it takes for two
different energies never to print the same.

A converted network (`--spiking convert|both`) is a spiking network like the others: a column,
its verdict lines and pairings; its accuracy and energy per inference by time steps are a table
of their own (`conversion_curve_table`, and a plot in report.html).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.markup import escape
from rich.table import Table

from greenspike._units import distinct_ratio, distinct_si, grams, prefix_of, si
from greenspike.cost import Counts, EnergyEstimate
from greenspike.train import CompareResult, DeploymentEnergy, Levers, NetworkResult, Pairing
from greenspike.train.spec import NetworkSpec

Cell = Callable[[NetworkResult], str]


@dataclass(frozen=True)
class TableView:
    """A table as text, for the terminal (rich) and for HTML alike.

    Args:
        title: its title.
        header: the column headings (the first is the row labels').
        sections: groups of rows; each row is its label and one cell per column.
        verdicts: the verdict lines that end it.
        notes: lines under them (what could not be priced, what the rows mean, sources).
        names: the columns that hold names (left-justified, never cut); the others hold
            numbers (right-justified).
    """

    title: str
    header: tuple[str, ...]
    sections: tuple[tuple[tuple[str, ...], ...], ...]
    verdicts: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    names: frozenset[int] = frozenset({0})

    def rich(self) -> Table:
        """The table for a terminal, verdicts and notes in its caption."""
        table = Table(title=escape(self.title), caption_justify="left")
        for index, column in enumerate(self.header):
            name = index in self.names
            labels = index == 0 and not column  # the row labels may wrap; other names never
            table.add_column(
                escape(column), justify="left" if name else "right", no_wrap=name and not labels
            )
        for index, section in enumerate(self.sections):
            if index:
                table.add_section()
            for row in section:
                table.add_row(*(escape(cell) for cell in row))
        table.caption = "\n".join(escape(line) for line in (*self.verdicts, *self.notes))
        return table


def compare_table(result: CompareResult) -> Table:
    """The side-by-side table of the networks, with notes and verdicts in its caption."""
    return compare_view(result).rich()


def compare_view(result: CompareResult) -> TableView:
    """The side-by-side table of the networks (see the module)."""
    config = result.config
    networks = result.networks
    sections: list[list[tuple[str, ...]]] = []

    def row(label: str, cell: Cell, shown: Callable[[NetworkResult], object] | None = None):
        return (
            label,
            *(
                cell(network) if (shown is None or shown(network) is not None) else "-"
                for network in networks.values()
            ),
        )

    def spiking(cell: Callable[[NetworkSpec], str]) -> Cell:
        return lambda n: "-" if n.spec is None or n.spec.kind != "spiking" else cell(n.spec)

    sections.append(
        [
            row("role", lambda n: n.role),
            row("hidden", lambda n: ",".join(map(str, n.spec.hidden)), lambda n: n.spec),  # type: ignore[union-attr]
            row("time steps", spiking(lambda s: str(s.steps))),
            row("encoding", spiking(lambda s: str(s.encoding))),
            row("beta / threshold", spiking(_neurons)),
            row("rate penalty", spiking(_penalty)),
            row("learning rate", lambda n: f"{n.spec.lr:.3g}", lambda n: n.spec),  # type: ignore[union-attr]
        ]
    )
    sections.append(
        [
            row("status", lambda n: n.status),
            row(
                f"test accuracy ({config.precision})",
                lambda n: f"{n.accuracy:.1%}",
                lambda n: n.accuracy,
            ),
            row("parameters", lambda n: f"{n.parameters:,}"),
            row("training time", lambda n: f"{n.train_time_s:.1f} s", lambda n: n.train_time_s),
            *(
                row(label, _training_cell(total), lambda n: n.training_energy)
                for label, total in (
                    ("training energy", "energy_j"),
                    ("  measured", "measured_energy_j"),
                    ("  estimated", "estimated_energy_j"),
                )
            ),
            row("training CO2e", lambda n: grams(n.training_co2e_g), lambda n: n.training_energy),
        ]
    )

    def counts(network: NetworkResult) -> Counts:
        assert network.inference is not None
        return network.inference.counts.total

    def inferred(network: NetworkResult) -> object:
        return network.inference

    sections.append(
        [
            row("per inference: ops", lambda n: _ops(counts(n), "effective"), inferred),
            row("  dense ops", lambda n: _ops(counts(n), "dense"), inferred),
            row("  neuron updates", lambda n: f"{counts(n).neuron_updates:,.0f}", inferred),
            row(
                "  membrane updates (NeuroBench)",
                lambda n: f"{counts(n).membrane_updates:,.0f}",
                inferred,
            ),
            row(
                "  memory moved (32-bit)",
                lambda n: si(counts(n).memory_bytes(32), "B", largest="M"),
                inferred,
            ),
            row("hidden spike rate", lambda n: f"{n.spike_rate:.1%}", lambda n: n.spike_rate),
        ]
    )
    notes: list[str] = []
    for hardware in config.hardware:
        rows, unpriced = _profile_rows(result, hardware)
        sections.append(rows)
        notes += unpriced
    return TableView(
        f"{config.model} on {config.dataset}",
        ("", *networks),
        tuple(tuple(section) for section in sections),
        tuple(verdict_line(v) for v in result.verdicts),
        (*notes, *_captions(result)),
    )


def _neurons(spec: NetworkSpec) -> str:
    beta = "-" if spec.beta is None else f"{spec.beta:.3g}"
    beta += " learned" if spec.learn_beta else ""
    threshold = "per layer" if spec.threshold is None else f"{spec.threshold:.3g}"
    threshold += " learned" if spec.learn_threshold else ""
    return f"{beta} / {threshold}"


def _penalty(spec: NetworkSpec) -> str:
    if not spec.rate_penalty:
        return "none"
    if spec.target_rate is None:
        return f"L1 x {spec.rate_penalty:.3g}"
    return f"{spec.rate_penalty:.3g} above {spec.target_rate:.3g}"


def conversion_curve_table(result: CompareResult) -> Table | None:
    """The converted network's accuracy, spike rate and energy per inference by time steps.

    The last row is the ReLU twin it was converted from; None without a converted network.
    The curve's accuracy is the converted (float) network's, so its energy is shown on the
    `hardware` entries that run it at that precision only; the caption names the others.
    """
    converted = result.networks.get("converted")
    if converted is None or not converted.curve:
        return None
    hardware = curve_hardware(result)
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
    caption = (
        f"* the steps of the comparison (--steps {result.config.steps}). Energy per inference: "
        "estimated by greenspike.cost; '-' where a profile cannot price the network in full."
    )
    others = [hw for hw in result.config.hardware if hw not in hardware]
    if others:
        caption += (
            f" Not on {', '.join(others)}: they run other precisions, and the curve's accuracy "
            "is measured as converted (float); the converted column above has its accuracy "
            f"and energy there at --steps {result.config.steps}."
        )
    table.caption = escape(caption)
    return table


def curve_hardware(result: CompareResult) -> tuple[str, ...]:
    """The `hardware` entries the converted network's curve is priced on (in their order)."""
    converted = result.networks.get("converted")
    if converted is None or not converted.curve:
        return ()
    priced = converted.curve[0].energy_j
    return tuple(hw for hw in result.config.hardware if hw in priced)


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


def rate_text(levers: Levers) -> str:
    """The break-even spike rate: "never", "always", or "<= 12.3% (now 56.2%)"."""
    rate = levers.rate
    if rate.verdict in ("never", "always"):
        return rate.verdict
    assert rate.spike_rate is not None
    at, now = _percentages(rate.spike_rate, levers.spike_rate)
    return f"<= {at} (now {now})"


def _percentages(first: float, second: float) -> tuple[str, str]:
    """Both as percentages, with one decimal, or more where that would print them the same."""
    for decimals in range(1, 8):
        shown = f"{first:.{decimals}%}", f"{second:.{decimals}%}"
        if (shown[0] == shown[1]) == (first == second):
            break
    return shown


def steps_text(levers: Levers) -> str:
    """The break-even time steps: "never", "always", or "<= 3 (now 8)"."""
    steps = levers.steps_break_even
    if steps.verdict in ("never", "always"):
        return steps.verdict
    return f"<= {steps.most} (now {levers.steps})"


def _profile_rows(result: CompareResult, hardware: str) -> tuple[list[tuple[str, ...]], list[str]]:
    """The rows of one profile or deployment, and the notes on what it could not price."""
    networks = result.networks

    def energy(network: NetworkResult) -> DeploymentEnergy | None:
        return None if network.inference is None else network.inference.energy[hardware]

    priced = [e for n in networks.values() if (e := energy(n)) is not None]
    joules = [e.energy_j for e in priced if e.energy_j is not None]
    shown = dict(zip(joules, distinct_si(joules, "J"), strict=True))
    verdicts = {v.network: v for v in result.verdicts if v.spiking.deployment.name == hardware}
    label = precision_label(priced[0]) if priced else "its precision"

    def cells(cell: Callable[[str, NetworkResult, DeploymentEnergy], str]) -> list[str]:
        return [
            "-" if (e := energy(n)) is None else cell(name, n, e) for name, n in networks.items()
        ]

    def verdict_cell(
        text: Callable[[Pairing], str],
    ) -> Callable[[str, NetworkResult, DeploymentEnergy], str]:
        return lambda name, n, e: text(verdicts[name]) if name in verdicts else ""

    ratios = [v.energy_ratio for v in verdicts.values() if v.energy_ratio is not None]
    ratio_shown = dict(zip(ratios, distinct_ratio([*ratios]), strict=True))
    rows = [
        (
            f"energy on {hardware}",
            *cells(lambda _, n, e: "no total" if e.energy_j is None else shown[e.energy_j]),
        ),
        ("  compute / memory / neurons", *cells(lambda _, n, e: _split(e.estimate.total))),
        (f"  test accuracy at {label}", *cells(lambda _, n, e: f"{e.accuracy:.1%}")),
        (
            "  spiking / ReLU",
            *cells(
                verdict_cell(
                    lambda v: "-" if v.energy_ratio is None else ratio_shown[v.energy_ratio]
                )
            ),
        ),
        (
            "  break-even spike rate",
            *cells(verdict_cell(lambda v: "-" if v.levers is None else rate_text(v.levers))),
        ),
        (
            "  break-even time steps",
            *cells(verdict_cell(lambda v: "-" if v.levers is None else steps_text(v.levers))),
        ),
    ]
    notes = [
        _unpriced_note(name, hardware, e, result)
        for name, n in networks.items()
        if (e := energy(n)) is not None and e.energy_j is None
    ]
    return rows, notes


def _unpriced_note(
    network: str, hardware: str, energy: DeploymentEnergy, result: CompareResult
) -> str:
    note = (
        f"{hardware}, {network}: no total: {'; '.join(energy.estimate.total.unpriced)} in "
        f"layer(s) {', '.join(energy.unpriced_layers)}; the split holds what it could price"
    )
    spec = result.networks[network].spec
    if network == "converted" and not energy.deployment.host:
        note += (
            f" (a converted network's first layer gets the pixel values: "
            f"{hardware}+host=cmos7-int8 runs it on a host)"
        )
    elif spec is not None and spec.encoding == "direct" and not energy.deployment.host:
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
    """Each twin on its own hardware: one row per `deploy` pairing and spiking network."""
    return deployments_view(result).rich()


def deployments_view(result: CompareResult) -> TableView:
    """Each twin on its own hardware: one row per `deploy` pairing and spiking network."""
    several = len({p.network for p in result.pairings}) > 1
    header = ("network",) * several + (
        "ReLU twin on", "energy", "accuracy", "spiking twin on", "energy", "accuracy",
        "spiking / ReLU",
    )  # fmt: skip
    rows = []
    for pairing in result.pairings:
        relu, spiking = pairing.relu, pairing.spiking
        ratio = pairing.energy_ratio
        energies = _joules_pair(relu.energy_j, spiking.energy_j)
        rows.append(
            (
                *(pairing.network,) * several,
                relu.deployment.name,
                energies[0],
                f"{relu.accuracy:.1%}",
                spiking.deployment.name,
                energies[1],
                f"{spiking.accuracy:.1%}",
                "-" if ratio is None else distinct_ratio([ratio, 1.0])[0],
            )
        )
    return TableView(
        "each twin on its own hardware (energy per inference, accuracy at its precision)",
        header,
        (tuple(rows),),
        tuple(verdict_line(p) for p in result.pairings),
        names=frozenset(i for i, c in enumerate(header) if c.endswith("on") or c == "network"),
    )


def _joules_pair(relu: float | None, spiking: float | None) -> list[str]:
    priced = [j for j in (relu, spiking) if j is not None]
    shown = dict(zip(priced, distinct_si(priced, "J"), strict=True))
    return ["no total" if j is None else shown[j] for j in (relu, spiking)]


def network_label(name: str) -> str:
    """How a verdict names a spiking network: "the spiking twin", "the optimized network"."""
    return "the spiking twin" if name == "spiking" else f"the {name} network"


def verdict_line(pairing: Pairing) -> str:
    """One sentence: the spiking network's cost against the ReLU twin's, and the way forward.

    E.g. "cmos45-int8: the spiking twin costs 2.14x the ReLU twin (55.7 nJ vs 26 nJ) at +0.3
    points of accuracy (97.7% vs 97.5%); break-even spike rate never, time steps never; fewer
    time steps would move it most (1 step: 1.01x)." Each twin on its own hardware reads
    "SPIKING-HARDWARE vs RELU-HARDWARE: ...".
    """
    relu, spiking = pairing.relu, pairing.spiking
    same = relu.deployment.name == spiking.deployment.name
    where = (
        spiking.deployment.name if same else f"{spiking.deployment.name} vs {relu.deployment.name}"
    )
    who = network_label(pairing.network)
    ratio = pairing.energy_ratio
    if ratio is None:
        missing = [e.deployment.name for e in (relu, spiking) if e.energy_j is None]
        twins = [
            "the ReLU twin" if e is relu else who for e in (relu, spiking) if e.energy_j is None
        ]
        return (
            f"{where}: no verdict: {' and '.join(dict.fromkeys(missing))} cannot price all of "
            f"{' or '.join(twins)}"
        )
    assert relu.energy_j is not None and spiking.energy_j is not None
    energies = distinct_si([spiking.energy_j, relu.energy_j], "J")
    mine, theirs = f"{spiking.accuracy:.1%}", f"{relu.accuracy:.1%}"
    if not same:  # each at its own precision
        mine += f" at {precision_label(spiking)}"
        theirs += f" at {precision_label(relu)}"
    accuracy = f"at {pairing.accuracy_change:+.1f} points of accuracy ({mine} vs {theirs})"
    line = (
        f"{where}: {who} costs {distinct_ratio([ratio, 1.0])[0]} the ReLU twin "
        f"({energies[0]} vs {energies[1]}) {accuracy}"
    )
    levers = pairing.levers
    if levers is None:
        return line + "."
    best = levers.silent_j if levers.best == "spike rate" else levers.one_step_j
    best_ratio = distinct_ratio([best / relu.energy_j, 1.0])[0]
    how = (
        f"a sparser code would move it most (silent: {best_ratio})"
        if levers.best == "spike rate"
        else f"fewer time steps would move it most (1 step: {best_ratio})"
    )
    return (
        f"{line}; break-even spike rate {rate_text(levers)}, time steps {steps_text(levers)}; "
        f"{how}."
    )


def _captions(result: CompareResult) -> list[str]:
    lines = []
    if result.verdicts:
        lines.append(
            "Break-even: the spike rate (spikes per neuron per step) or the number of time "
            "steps (at today's rate) below which the spiking network would cost less per "
            "inference than the ReLU twin there, from the cost model (never: not even silent, "
            "or at 1 step; always: at any rate or number of steps; -: no total to compare)."
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
