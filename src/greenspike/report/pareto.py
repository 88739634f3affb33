"""The Pareto plot of a search: validation accuracy against energy, one point per complete trial."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.ticker import EngFormatter, NullFormatter

from greenspike.search.records import TrialRecord
from greenspike.search.result import SearchResult

# Objective -> its axis label.
ENERGY_AXES = {
    "inference-energy": "energy per inference (J)",
    "training-energy": "training energy per trial (J)",
}
MARKERS = {"relu": "s", "spiking": "o"}


def pareto_figure(result: SearchResult, chosen: int | None = None) -> Figure | None:
    """Accuracy vs the study's first energy objective (training energy if it has none).

    The front is joined by a line; ReLU squares, spiking circles; the trial numbered `chosen`,
    if given, ringed and labelled. None without complete trials.
    """
    energy = next((o for o in result.objectives if o in ENERGY_AXES), "training-energy")
    label = ENERGY_AXES[energy]

    points = [(t, *_xy(t, energy)) for t in result.trials if t.state == "complete"]
    done = [(t, x, y) for t, x, y in points if x is not None and y is not None]
    if not done:
        return None
    if energy == "inference-energy":
        source = f"estimated on {result.hardware[0]} by greenspike.cost"
    else:
        source = " + ".join(sorted({s.split(": ")[1] for s in result.energy.sources}))
    figure = Figure(figsize=(6.4, 4.0))
    axes = figure.subplots()
    for network, marker in MARKERS.items():
        for on_front, colour in ((False, "#9e9e9e"), (True, "#1b9e77")):
            shown = [
                (x, y)
                for t, x, y in done
                if t.params.get("network") == network and t.pareto == on_front
            ]
            if shown:
                axes.scatter(
                    [x for x, _ in shown],
                    [y for _, y in shown],
                    marker=marker,
                    color=colour,
                    label=f"{network}{' (Pareto front)' if on_front else ''}",
                )
    front = sorted(((t, x, y) for t, x, y in done if t.pareto), key=lambda point: point[1])
    axes.plot([x for _, x, _ in front], [y for _, _, y in front], color="#1b9e77")
    for t, x, y in front:
        axes.annotate(str(t.number), (x, y), fontsize=8)
    for t, x, y in done:
        if t.number == chosen:
            axes.scatter([x], [y], s=160, facecolors="none", edgecolors="black", linewidths=1.5,
                         label=f"chosen: trial {t.number}")  # fmt: skip
    energies = [x for _, x, _ in done]
    if min(energies) > 0 and max(energies) / min(energies) > 30:  # a log axis shows a decade
        axes.set_xscale("log")
        axes.xaxis.set_minor_formatter(NullFormatter())  # decades only: no overlapping labels
    axes.xaxis.set_major_formatter(EngFormatter(unit="J"))  # 200 nJ, not 2e-7 with an offset
    axes.set_xlabel(f"{label}, {source or 'no energy source'}")
    axes.set_ylabel("validation accuracy")
    axes.set_title(f"study {result.study}: {len(done)} complete trials".replace("$", r"\$"))
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    axes.grid(alpha=0.3)
    return figure


def _xy(trial: TrialRecord, energy: str) -> tuple[float | None, float | None]:
    """(joules on the energy objective's axis, validation accuracy) of a trial."""
    if energy == "inference-energy":
        joules = None if trial.evaluation is None else trial.evaluation.inference_energy_j
    else:
        joules = None if trial.measurement is None else trial.measurement.training_energy_j
    return joules, trial.accuracy


def write_pareto_plot(result: SearchResult, path: str | Path) -> Path | None:
    """Save the Pareto plot as PNG at `path`; None (nothing written) without complete trials."""
    figure = pareto_figure(result)
    if figure is None:
        return None
    figure.savefig(path, dpi=110, bbox_inches="tight")
    return Path(path)
