"""Raster and membrane-trace plots (matplotlib, imported only when a plot is drawn)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from greenspike.errors import InvalidInputError

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def plot_raster(spikes: torch.Tensor, *, sample: int = 0, ax: Axes | None = None) -> Axes:
    """Raster plot: a mark per spike, time on x, neuron on y.

    Args:
        spikes: `[T, N]`, or `[T, B, ...]` of which batch element `sample` is drawn (its
            features flattened).
        sample: the batch element drawn from `[T, B, ...]` spikes.
        ax: the matplotlib Axes to draw on; None: a new figure.

    Returns:
        The Axes.

    Raises:
        InvalidInputError: `spikes` has fewer than 2 dimensions, or `sample` is outside the
            batch.
    """
    spikes = _one_sample(spikes, sample, "plot_raster")
    ax = _axes(ax)
    times, neurons = torch.nonzero(spikes, as_tuple=True)
    ax.scatter(times.numpy(), neurons.numpy(), s=40, marker="|", linewidths=1, color="black")
    ax.set_xlim(-0.5, spikes.shape[0] - 0.5)
    ax.set_ylim(-0.5, spikes.shape[1] - 0.5)
    ax.set_xlabel("time step")
    ax.set_ylabel("neuron")
    return ax


def plot_membrane(
    membrane: torch.Tensor,
    *,
    threshold: float | None = None,
    neurons: list[int] | None = None,
    sample: int = 0,
    ax: Axes | None = None,
) -> Axes:
    """Membrane potential over time, one line per neuron, and the threshold as a dashed line.

    Args:
        membrane: `[T, N]` or `[T, B, ...]` (e.g. from `monitor.record_membrane`).
        threshold: where to draw the threshold; None: not drawn.
        neurons: the neurons to draw (indices into the flattened features); None: the first 5.
        sample: the batch element drawn from a `[T, B, ...]` membrane.
        ax: the matplotlib Axes to draw on; None: a new figure.

    Returns:
        The Axes.

    Raises:
        InvalidInputError: `membrane` has fewer than 2 dimensions, or `sample` is outside the
            batch.
    """
    membrane = _one_sample(membrane, sample, "plot_membrane")
    neurons = list(range(min(5, membrane.shape[1]))) if neurons is None else neurons
    ax = _axes(ax)
    for neuron in neurons:
        ax.plot(membrane[:, neuron].numpy(), label=f"neuron {neuron}")
    if threshold is not None:
        ax.axhline(threshold, color="grey", linestyle="--", label="threshold")
    ax.set_xlabel("time step")
    ax.set_ylabel("membrane potential v")
    ax.legend(loc="upper right", fontsize="small")
    return ax


def _one_sample(values: torch.Tensor, sample: int, caller: str) -> torch.Tensor:
    if values.dim() < 2:
        raise InvalidInputError(
            f"{caller} expects [T, N] or [T, B, ...], got shape {list(values.shape)}"
        )
    values = values.detach().cpu().float()
    if values.dim() == 2:
        return values
    if not 0 <= sample < values.shape[1]:
        raise InvalidInputError(
            f"{caller}: sample {sample} is outside the batch of {values.shape[1]}"
        )
    return values[:, sample].reshape(values.shape[0], -1)


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(6, 3), layout="constrained")[1]
