"""The report's plots, as `data:image/png;base64,...` URIs that an <img> shows with no network.

Measured energy is drawn solid, estimated energy dashed or hatched, and every label says which.
Legends sit beside the axes, never on the data. Figures are built with matplotlib's object API
(no pyplot state), so this is safe in threads.
"""

from __future__ import annotations

import base64
import io
from collections import defaultdict
from collections.abc import Sequence

from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from greenspike.energy.measurement import WindowReport
from greenspike.ledger.records import RunRecord, Sample

_PALETTE = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d")


def plain(text: str) -> str:
    """`text` shown as written: matplotlib would read $...$ in a run's name as math."""
    return text.replace("$", r"\$")


def beside(axes) -> None:
    """The axes' legend to the right of them, off the data."""
    axes.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)


def data_uri(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def energy_over_time(run: RunRecord, samples: Sequence[Sample]) -> str | None:
    """Cumulative joules of each component against seconds into the run; None without data."""
    series: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for sample in samples:
        series[sample.component].append((sample.elapsed_s, sample.energy_j))
    if not any(len(points) > 1 for points in series.values()):
        return None
    provenance = {c.name: c.provenance for c in run.components}
    figure = Figure(figsize=(6.4, 3.2))
    axes = figure.subplots()
    for colour, (component, points) in zip(_PALETTE * 4, sorted(series.items()), strict=False):
        kind = provenance.get(component, "estimated")
        axes.plot(
            [p[0] for p in points],
            [p[1] for p in points],
            color=colour,
            linestyle="-" if kind == "measured" else "--",
            marker="." if len(points) < 30 else None,
            label=plain(f"{component} ({kind})"),
        )
    axes.set_xlabel("time into the run (s)")
    axes.set_ylabel("energy so far (J)")
    beside(axes)
    axes.grid(alpha=0.3)
    return data_uri(figure)


def energy_per_window(run: RunRecord, windows: Sequence[WindowReport]) -> str | None:
    """Joules of each top-level window, stacked by component; estimated parts hatched."""
    if not windows:
        return None
    provenance = {c.name: c.provenance for c in run.components}
    names = sorted({c.name for w in windows for c in w.components})
    figure = Figure(figsize=(6.4, 0.5 + 0.4 * len(windows)))
    axes = figure.subplots()
    left = [0.0] * len(windows)
    rows = range(len(windows))
    for colour, name in zip(_PALETTE * 4, names, strict=False):
        energies = [w.energy_of(name) or 0.0 for w in windows]
        kind = provenance.get(name, "estimated")
        axes.barh(
            rows,
            energies,
            left=left,
            color=colour,
            hatch="" if kind == "measured" else "//",
            edgecolor="white" if kind == "measured" else "black",
            label=plain(f"{name} ({kind})"),
        )
        left = [a + b for a, b in zip(left, energies, strict=True)]
    axes.set_yticks(list(rows), [plain(w.name) for w in windows])
    axes.invert_yaxis()
    axes.set_xlabel("energy (J)")
    beside(axes)
    axes.grid(axis="x", alpha=0.3)
    return data_uri(figure)


def metric_vs_energy(runs: Sequence[RunRecord], metric: str = "accuracy") -> str | None:
    """Each run's last `metric` against its energy; None when fewer than two runs logged it.

    Filled markers: energy all measured; hollow: some of it estimated.
    """
    points = [(run, value) for run in runs if (value := run.last_metric(metric)) is not None]
    if len(points) < 2:
        return None
    figure = Figure(figsize=(6.4, 3.6))
    axes = figure.subplots()
    for colour, (run, value) in zip(_PALETTE * 20, points, strict=False):
        measured = run.provenance == "measured"
        axes.scatter(
            [run.energy_j],
            [value],
            s=60,
            color=colour if measured else "none",
            edgecolors=colour,
            linewidths=2,
            label=plain(f"#{run.id} {run.name or ''} ({run.provenance})"[:60]),
        )
    energies = [run.energy_j for run, _ in points]
    if min(energies) > 0 and max(energies) / min(energies) > 30:
        axes.set_xscale("log")
        axes.xaxis.set_minor_formatter(NullFormatter())  # decades only: no overlapping labels
    axes.set_xlabel("energy of the run (J)")
    axes.set_ylabel(plain(metric))
    beside(axes)
    axes.grid(alpha=0.3)
    return data_uri(figure)


def conversion_curve(
    steps: Sequence[int],
    accuracy: Sequence[float],
    energy_j: dict[str, Sequence[float | None]],
    reference_accuracy: float | None,
    reference_energy_j: dict[str, float | None],
) -> str:
    """A converted network's accuracy and estimated energy per inference against time steps.

    The ReLU network it came from is drawn as horizontal lines (its accuracy, its energy on
    each profile); energies are estimates of the cost model, drawn dashed.
    """
    figure = Figure(figsize=(6.4, 5.2))
    top, bottom = figure.subplots(2, 1, sharex=True)
    top.plot(steps, [100 * a for a in accuracy], marker="o", color=_PALETTE[0], label="converted")
    if reference_accuracy is not None:
        top.axhline(100 * reference_accuracy, color="grey", linestyle=":", label="ReLU twin")
    top.set_ylabel("test accuracy (%)")
    top.legend(fontsize="small")
    top.grid(alpha=0.3)
    for colour, (profile, energies) in zip(_PALETTE, energy_j.items(), strict=False):
        points = [(t, e) for t, e in zip(steps, energies, strict=True) if e is not None]
        if points:
            bottom.plot(
                [t for t, _ in points],
                [e for _, e in points],
                color=colour,
                linestyle="--",
                marker="o",
                label=plain(f"{profile} (estimated)"),
            )
        reference = reference_energy_j.get(profile)
        if reference is not None:
            bottom.axhline(reference, color=colour, linestyle=":", linewidth=1)
    bottom.set_xscale("log", base=2)
    bottom.set_xticks(list(steps), [str(t) for t in steps])
    bottom.xaxis.set_minor_formatter(NullFormatter())
    bottom.set_yscale("log")
    bottom.set_xlabel("time steps per inference")
    bottom.set_ylabel("energy per inference (J)")
    bottom.legend(fontsize="small", title="dotted: ReLU twin", title_fontsize="small")
    bottom.grid(alpha=0.3)
    return data_uri(figure)
