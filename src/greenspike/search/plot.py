"""The Pareto plot: validation accuracy against energy, one point per complete trial."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import EngFormatter, NullFormatter

# Objective -> (the trial attribute plotted on the x axis, its label).
ENERGY_AXES = {
    "inference-energy": ("inference_energy_j", "energy per inference (J)"),
    "training-energy": ("training_energy_j", "training energy per trial (J)"),
}
MARKERS = {"relu": "s", "spiking": "o"}


def pareto_figure(result: dict[str, Any]) -> Figure | None:
    """Accuracy vs the study's first energy objective (training energy if it has none);
    the front joined by a line, ReLU squares, spiking circles. None without complete trials."""
    energy = next((o for o in result["objectives"] if o in ENERGY_AXES), "training-energy")
    key, label = ENERGY_AXES[energy]
    done = [t for t in result["trials"] if t["state"] == "complete" and key in t]
    if not done:
        return None
    if energy == "inference-energy":
        source = f"estimated on {result['hardware'][0]} by greenspike.cost"
    else:
        source = " + ".join(sorted({s.split(": ")[1] for s in result["energy"]["sources"]}))
    figure = Figure(figsize=(6.4, 4.0))
    axes = figure.subplots()
    for network, marker in MARKERS.items():
        for on_front, colour in ((False, "#9e9e9e"), (True, "#1b9e77")):
            points = [
                t for t in done if t["params"].get("network") == network and t["pareto"] == on_front
            ]
            if points:
                axes.scatter(
                    [t[key] for t in points],
                    [t["accuracy_curve"][-1] for t in points],
                    marker=marker,
                    color=colour,
                    label=f"{network}{' (Pareto front)' if on_front else ''}",
                )
    front = sorted((t for t in done if t["pareto"]), key=lambda t: t[key])
    axes.plot([t[key] for t in front], [t["accuracy_curve"][-1] for t in front], color="#1b9e77")
    for t in front:
        axes.annotate(str(t["number"]), (t[key], t["accuracy_curve"][-1]), fontsize=8)
    energies = [t[key] for t in done]
    if min(energies) > 0 and max(energies) / min(energies) > 30:  # a log axis shows a decade
        axes.set_xscale("log")
        axes.xaxis.set_minor_formatter(NullFormatter())  # decades only: no overlapping labels
    axes.xaxis.set_major_formatter(EngFormatter(unit="J"))  # 200 nJ, not 2e-7 with an offset
    axes.set_xlabel(f"{label}, {source or 'no energy source'}")
    axes.set_ylabel("validation accuracy")
    axes.set_title(f"study {result['study']}: {len(done)} complete trials".replace("$", r"\$"))
    axes.legend(fontsize=8)
    axes.grid(alpha=0.3)
    return figure


def write_pareto_plot(result: dict[str, Any], path: str | Path) -> Path | None:
    """Save the Pareto plot as PNG at `path`; None (nothing written) without complete trials."""
    figure = pareto_figure(result)
    if figure is None:
        return None
    figure.savefig(path, dpi=110, bbox_inches="tight")
    return Path(path)
