"""The plots of a comparison's report: energy per inference, the levers, the training curves.

Each network keeps one colour and one marker in every plot (the ReLU twin orange circles, the
spiking twin green triangles, the optimized network purple squares). Legends sit below the
axes, never on the data. Energies per inference are estimates of the cost model: hatched, as
every estimate in the report.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import EngFormatter, MaxNLocator, NullFormatter

from greenspike.report._plots import plain
from greenspike.train import CompareResult, DeploymentEnergy, Pairing

_STYLES = {"relu": ("#d95f02", "o"), "spiking": ("#1b9e77", "^"), "optimized": ("#7570b3", "s")}
_OTHER_STYLES = (("#e7298a", "D"), ("#66a61e", "v"), ("#a6761d", "P"))
# compute / memory / neurons: how each part of a stacked bar is drawn
_PARTS = (("compute", 1.0, "///"), ("memory", 0.55, "\\\\\\"), ("neurons", 0.3, "xx"))
_RATIO_TICKS = tuple(m * 10.0**e for e in range(-3, 4) for m in (1, 2, 3, 5))
_DEPLOYMENT_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#17becf")


def network_style(name: str, names: list[str]) -> tuple[str, str]:
    """(colour, marker) of a network, the same in every plot of the report."""
    if name in _STYLES:
        return _STYLES[name]
    others = [n for n in names if n not in _STYLES]
    return _OTHER_STYLES[others.index(name) % len(_OTHER_STYLES)]


def _legend_below(figure: Figure, handles: Sequence[Artist], columns: int) -> None:
    figure.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=max(1, columns),
        fontsize="small",
        frameon=False,
    )


def energy_figure(result: CompareResult) -> Figure | None:
    """Energy per inference on every profile and deployment, a panel each.

    In a panel, one bar per network priced there, stacked compute / memory / neurons, with the
    test accuracy at that precision above it; a network with no total gets a note, not a bar.
    None when no network was priced.
    """
    names = [n for n, net in result.networks.items() if net.inference is not None]
    places = list(
        dict.fromkeys(
            place
            for name in names
            for place in result.networks[name].inference.energy  # type: ignore[union-attr]
        )
    )
    if not places:
        return None
    columns = min(4, len(places))
    rows = math.ceil(len(places) / columns)
    figure = Figure(figsize=(2.9 * columns, 2.9 * rows + 0.4), layout="constrained")
    grid = figure.subplots(rows, columns, squeeze=False)
    for index, place in enumerate(places):
        _energy_panel(grid[index // columns][index % columns], result, names, place)
    for index in range(len(places), rows * columns):
        grid[index // columns][index % columns].set_visible(False)
    handles = [
        Patch(facecolor="#888888", alpha=alpha, hatch=hatch, label=f"{part} (estimated)")
        for part, alpha, hatch in _PARTS
    ] + [Patch(color=network_style(n, names)[0], label=n) for n in names]
    _legend_below(figure, handles, len(handles))
    return figure


def _energy_panel(axes: Axes, result: CompareResult, names: list[str], place: str) -> None:
    shown = [
        (name, energy)
        for name in names
        if (energy := result.networks[name].inference.energy.get(place)) is not None  # type: ignore[union-attr]
    ]
    tops = []
    for x, (name, energy) in enumerate(shown):
        colour = network_style(name, names)[0]
        total = energy.estimate.total
        if energy.energy_j is None:
            axes.text(x, 0, "no\ntotal", ha="center", va="bottom", fontsize="x-small")
            continue
        bottom = 0.0
        for (_, alpha, hatch), part in zip(
            _PARTS, (total.compute_j, total.memory_j, total.neuron_j), strict=True
        ):
            axes.bar(x, part, bottom=bottom, color=colour, alpha=alpha, hatch=hatch, width=0.7)
            bottom += part
        tops.append(bottom)
        axes.text(x, bottom, f"{energy.accuracy:.1%}", ha="center", va="bottom", fontsize="x-small")
    axes.set_xticks(range(len(shown)), [plain(name) for name, _ in shown], fontsize="small")
    margin = max(0.6, (len(names) - len(shown)) / 2 + 0.6)  # bars as wide in every panel
    axes.set_xlim(-margin, len(shown) - 1 + margin)
    if tops:
        axes.set_ylim(0, 1.18 * max(tops))  # room for the accuracy labels
        axes.yaxis.set_major_formatter(EngFormatter(unit="J"))
        axes.tick_params(axis="y", labelsize="x-small")
    else:  # nothing to scale: no axis of made-up joules
        axes.set_yticks([])
    axes.set_title(plain(place.replace("+", "\n+")), fontsize="small")
    axes.grid(axis="y", alpha=0.3)


def levers_figure(result: CompareResult) -> Figure | None:
    """Each spiking network's energy over the ReLU twin's against spike rate and time steps.

    One line per verdict (a spiking network on a profile), straight from the cost model: the
    break-even points are where a line crosses 1. A marker shows where the network is today.
    None without a verdict that has levers.
    """
    verdicts = [v for v in result.verdicts if v.levers is not None and v.relu.energy_j]
    if not verdicts:
        return None
    names = list(result.networks)
    places = list(dict.fromkeys(v.spiking.deployment.name for v in verdicts))
    figure = Figure(figsize=(10, 3.8), layout="constrained")
    by_rate, by_steps = figure.subplots(1, 2)
    largest = max(v.levers.steps for v in verdicts if v.levers)
    steps = list(range(1, max(2 * largest, 4) + 1))
    rates = [i / 50 for i in range(51)]
    for verdict in verdicts:
        levers, relu_j = verdict.levers, verdict.relu.energy_j
        assert levers is not None and relu_j
        colour = _DEPLOYMENT_COLOURS[places.index(verdict.spiking.deployment.name) % 7]
        marker = network_style(verdict.network, names)[1]
        line: Literal["-", "--"] = "-" if verdict.network == "spiking" else "--"
        by_rate.plot(rates, [levers.energy_at_rate(r) / relu_j for r in rates], line, color=colour)
        by_rate.plot(
            [levers.spike_rate],
            [levers.energy_at_rate(levers.spike_rate) / relu_j],
            marker,
            color=colour,
            markeredgecolor="black",
        )
        by_steps.plot(
            steps, [levers.energy_at_steps(t) / relu_j for t in steps], line, color=colour
        )
        by_steps.plot(
            [levers.steps],
            [levers.energy_at_steps(levers.steps) / relu_j],
            marker,
            color=colour,
            markeredgecolor="black",
        )
    for axes, label in (
        (by_rate, "spike rate (spikes per neuron per step)"),
        (by_steps, "time steps"),
    ):
        axes.axhline(1.0, color="black", linewidth=1)
        axes.set_yscale("log")
        low, high = axes.get_ylim()
        axes.set_yticks([t for t in _RATIO_TICKS if low <= t <= high])
        axes.yaxis.set_minor_formatter(NullFormatter())
        axes.yaxis.set_major_formatter(lambda y, _: f"{y:g}x")
        axes.set_xlabel(label)
        axes.set_ylabel("energy / ReLU twin's (estimated)")
        axes.grid(alpha=0.3, which="both")
    by_rate.set_xlim(0, 1)
    by_rate.xaxis.set_major_formatter(lambda x, _: f"{x:.0%}")
    by_steps.set_xlim(1, steps[-1])
    handles: list[Artist] = [
        Patch(color=_DEPLOYMENT_COLOURS[i % 7], label=plain(place))
        for i, place in enumerate(places)
    ]
    spiking = list(dict.fromkeys(v.network for v in verdicts))
    handles += [_line_handle(network_style(n, names)[1], n == "spiking", n) for n in spiking]
    _legend_below(figure, handles, min(len(handles), 5))
    return figure


def _line_handle(marker: str, solid: bool, label: str) -> Line2D:
    return Line2D(
        [],
        [],
        color="black",
        marker=marker,
        linestyle="-" if solid else "--",
        label=f"{label} (marker: today)",
    )


def curves_figure(result: CompareResult) -> Figure | None:
    """Each network's training loss and train accuracy per epoch; None without epochs."""
    trained = {name: n.epochs for name, n in result.networks.items() if n.epochs}
    if not trained:
        return None
    names = list(result.networks)
    figure = Figure(figsize=(10, 3.4), layout="constrained")
    loss, accuracy = figure.subplots(1, 2)
    for name, epochs in trained.items():
        colour, marker = network_style(name, names)
        x = [e.epoch + 1 for e in epochs]
        for axes, values in (
            (loss, [e.loss for e in epochs]),
            (accuracy, [e.train_accuracy for e in epochs]),
        ):
            axes.plot(x, values, color=colour, marker=marker, markersize=4, label=plain(name))
    for axes in (loss, accuracy):
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    loss.set_ylabel("training loss (cross-entropy)")
    accuracy.set_ylabel("train accuracy")
    accuracy.yaxis.set_major_formatter(lambda y, _: f"{y:.0%}")
    qat = result.config.resolved_qat_epochs
    for axes in (loss, accuracy):
        axes.set_xlabel("epoch")
        axes.grid(alpha=0.3)
        if qat:
            axes.axvline(result.config.epochs + 0.5, color="grey", linestyle=":")
    handles = [
        Line2D([], [], color=colour, marker=marker, label=n)
        for n in trained
        for colour, marker in [network_style(n, names)]
    ]
    _legend_below(figure, handles, len(handles))
    return figure


def training_figure(result: CompareResult) -> Figure | None:
    """Each network's test accuracy against its training energy; None for fewer than two.

    Filled markers: the energy all measured; hollow: some of it estimated.
    """
    trained = [
        (name, n)
        for name, n in result.networks.items()
        if n.training_energy is not None and n.accuracy is not None
    ]
    if len(trained) < 2:
        return None
    names = list(result.networks)
    figure = Figure(figsize=(6.4, 3.4), layout="constrained")
    axes = figure.subplots()
    for name, network in trained:
        assert network.training_energy is not None and network.accuracy is not None
        colour, marker = network_style(name, names)
        window = network.training_energy
        measured = window.estimated_energy_j == 0
        axes.scatter(
            [window.energy_j],
            [network.accuracy],
            s=70,
            marker=marker,
            color=colour if measured else "none",
            edgecolors=colour,
            linewidths=2,
            label=plain(f"{name} ({'measured' if measured else 'estimated'})"),
        )
    axes.set_xlabel("training energy (J)")
    axes.set_ylabel("test accuracy")
    axes.yaxis.set_major_formatter(lambda y, _: f"{y:.1%}")
    axes.xaxis.set_major_formatter(EngFormatter(unit="J"))
    axes.grid(alpha=0.3)
    axes.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return figure


def deployments_figure(result: CompareResult) -> Figure | None:
    """Energy per inference of each twin on its deployment, one pair of bars per pairing.

    Estimated energies (hatched), on a log scale, each bar labelled with its accuracy at its
    precision; a twin without a total is left out and said so. None without a pairing.
    """
    if not result.pairings:
        return None
    names = list(result.networks)
    figure = Figure(figsize=(7.2, 0.8 + 0.7 * len(result.pairings)))
    axes = figure.subplots()
    rows = range(len(result.pairings))
    for row, pairing in zip(rows, result.pairings, strict=True):
        for offset, energy, name in (
            (0.18, pairing.relu, "relu"),
            (-0.18, pairing.spiking, pairing.network),
        ):
            _pairing_bar(axes, row + offset, energy, name, network_style(name, names)[0])
    axes.set_xscale("log")
    axes.set_yticks(
        list(rows), [_pairing_label(row, p) for row, p in zip(rows, result.pairings, strict=True)]
    )
    axes.invert_yaxis()
    axes.set_xlabel("estimated energy per inference (J), at each deployment's precision")
    axes.grid(alpha=0.3, axis="x")
    return figure


def _pairing_label(row: int, pairing: Pairing) -> str:
    network = "" if pairing.network == "spiking" else f" ({pairing.network})"
    return plain(f"pairing {row + 1}{network}")


def _pairing_bar(axes: Axes, y: float, energy: DeploymentEnergy, name: str, colour: str) -> None:
    label = plain(f"{name} on {energy.deployment.name}, {energy.accuracy:.1%}")
    if energy.energy_j is None:  # no bar: written at the left edge instead
        where = axes.get_yaxis_transform()
        axes.text(0.01, y, f"{label}: no total", va="center", transform=where)
        return
    axes.barh(y, energy.energy_j, height=0.34, color=colour, hatch="//")
    axes.text(energy.energy_j, y, f" {label}", va="center", fontsize="small")
