"""Losses and accuracy for spiking classifiers whose outputs are time-major `[T, B, C]`."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from greenspike.errors import InvalidInputError


def cross_entropy_count(spikes: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the spike counts: `cross_entropy(spikes.sum(0), targets)`.

    The counts act as logits, so the most active neuron should be the target's.

    Args:
        spikes: output spikes `[T, B, C]`, one output neuron per class.
        targets: class indices `[B]`.

    Returns:
        The mean loss over the batch, a scalar tensor.

    Raises:
        InvalidInputError: the shapes do not match, or a target is not a class index.
    """
    _check_outputs(spikes, targets, "cross_entropy_count")
    return F.cross_entropy(spikes.sum(0), targets)


def cross_entropy_membrane(membrane: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the membrane potentials at every step, averaged over time.

    `mean over t of cross_entropy(membrane[t], targets)`.

    Args:
        membrane: membrane potentials `[T, B, C]` (e.g. a `LeakyIntegrator` readout).
        targets: class indices `[B]`.

    Returns:
        The mean loss over time and batch, a scalar tensor.

    Raises:
        InvalidInputError: the shapes do not match, or a target is not a class index.
    """
    _check_outputs(membrane, targets, "cross_entropy_membrane")
    steps, batch, classes = membrane.shape
    return F.cross_entropy(membrane.reshape(steps * batch, classes), targets.repeat(steps))


def mse_count(
    spikes: torch.Tensor,
    targets: torch.Tensor,
    *,
    correct_rate: float = 0.8,
    incorrect_rate: float = 0.2,
) -> torch.Tensor:
    """Mean squared error between spike counts and target counts.

    The target neuron should fire on `correct_rate` of the `T` steps, every other output
    neuron on `incorrect_rate`: `mean((spikes.sum(0) - T * rate_target)^2)`. As snnTorch
    `functional.mse_count_loss(correct_rate, incorrect_rate)`, except that snnTorch rounds the
    target counts down to integers.

    Args:
        spikes: output spikes `[T, B, C]`, one output neuron per class.
        targets: class indices `[B]`.
        correct_rate: the firing rate wanted from the target neuron, in [0, 1].
        incorrect_rate: the firing rate wanted from the other neurons, in [0, 1].

    Returns:
        The mean loss, a scalar tensor.

    Raises:
        InvalidInputError: the shapes do not match, a target is not a class index, or a rate
            is outside [0, 1].
    """
    _check_outputs(spikes, targets, "mse_count")
    for name, value in (("correct_rate", correct_rate), ("incorrect_rate", incorrect_rate)):
        if not 0 <= value <= 1:
            raise InvalidInputError(f"mse_count: {name} must lie in [0, 1], got {value!r}")
    steps, _, classes = spikes.shape
    rates = torch.full_like(spikes[0], incorrect_rate)
    rates += F.one_hot(targets, classes).to(spikes.dtype) * (correct_rate - incorrect_rate)
    return F.mse_loss(spikes.sum(0), steps * rates)


def predict(outputs: torch.Tensor) -> torch.Tensor:
    """Predicted classes: the class with the largest sum over time.

    Args:
        outputs: spikes or membrane potentials `[T, B, C]`.

    Returns:
        Class indices `[B]`, of the largest spike count (or summed membrane); ties go to the
        lowest class index.

    Raises:
        InvalidInputError: `outputs` is not `[T, B, C]`.
    """
    if outputs.dim() != 3:
        raise InvalidInputError(
            f"predict expects outputs [T, B, C], got shape {list(outputs.shape)}"
        )
    return outputs.sum(0).argmax(-1)


def accuracy(outputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Fraction of the batch whose `predict(outputs)` equals `targets`.

    Args:
        outputs: spikes or membrane potentials `[T, B, C]`.
        targets: class indices `[B]`.

    Returns:
        The accuracy, in [0, 1].

    Raises:
        InvalidInputError: the shapes do not match, or a target is not a class index.
    """
    _check_outputs(outputs, targets, "accuracy")
    return (predict(outputs) == targets).float().mean().item()


def _check_outputs(outputs: torch.Tensor, targets: torch.Tensor, caller: str) -> None:
    if outputs.dim() != 3:
        raise InvalidInputError(
            f"{caller} expects outputs [T, B, C] (time, batch, classes), "
            f"got shape {list(outputs.shape)}"
        )
    if targets.shape != outputs.shape[1:2]:
        raise InvalidInputError(
            f"{caller} expects targets [B] = [{outputs.shape[1]}] class indices, "
            f"got shape {list(targets.shape)}"
        )
    if targets.numel() and (targets.min() < 0 or targets.max() >= outputs.shape[2]):
        raise InvalidInputError(
            f"{caller}: targets must be class indices in [0, {outputs.shape[2] - 1}], got values "
            f"from {targets.min().item()} to {targets.max().item()}"
        )
