"""Losses and accuracy on time-major outputs, checked against hand-computed values."""

from __future__ import annotations

import math

import pytest
import torch

from greenspike.snn import loss

# T=3, B=2, C=3 spikes: sample 0 counts [2, 1, 0], sample 1 counts [0, 1, 3]
SPIKES = torch.tensor(
    [
        [[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]],
        [[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        [[0.0, 0.0, 0.0], [0.0, 0.0, 1.0]],
    ]
)
TARGETS = torch.tensor([0, 1])


def log_softmax(counts: list[float], k: int) -> float:
    return counts[k] - math.log(sum(math.exp(c) for c in counts))


def test_cross_entropy_count_by_hand():
    expected = -(log_softmax([2, 1, 0], 0) + log_softmax([0, 1, 3], 1)) / 2
    assert loss.cross_entropy_count(SPIKES, TARGETS).item() == pytest.approx(expected, rel=1e-6)


def test_cross_entropy_membrane_averages_the_loss_of_every_step():
    membrane = torch.randn(4, 2, 3, generator=torch.Generator().manual_seed(0))
    per_step = [torch.nn.functional.cross_entropy(m, TARGETS) for m in membrane]
    expected = torch.stack(per_step).mean()
    torch.testing.assert_close(loss.cross_entropy_membrane(membrane, TARGETS), expected)


def test_mse_count_by_hand():
    # targets: correct class 0.8 * 3 = 2.4 spikes, others 0.2 * 3 = 0.6
    # sample 0 counts [2, 1, 0] vs [2.4, 0.6, 0.6]; sample 1 [0, 1, 3] vs [0.6, 2.4, 0.6]
    squared = [0.16, 0.16, 0.36, 0.36, 1.96, 5.76]
    assert loss.mse_count(SPIKES, TARGETS).item() == pytest.approx(sum(squared) / 6, rel=1e-6)
    perfect = torch.zeros(5, 1, 2)
    perfect[:, 0, 0] = 1
    assert loss.mse_count(perfect, torch.tensor([0]), correct_rate=1, incorrect_rate=0) == 0


def test_accuracy_and_predictions():
    assert loss.predict(SPIKES).tolist() == [0, 2]
    assert loss.accuracy(SPIKES, TARGETS) == 0.5
    assert loss.accuracy(SPIKES, torch.tensor([0, 2])) == 1.0
    tie = torch.ones(2, 1, 3)
    assert loss.predict(tie).tolist() == [0]  # ties go to the lowest class


def test_losses_reject_wrong_shapes_and_labels():
    with pytest.raises(ValueError, match=r"expects outputs \[T, B, C\] .* got shape \[2, 3\]"):
        loss.cross_entropy_count(SPIKES.sum(0), TARGETS)
    with pytest.raises(
        ValueError, match=r"expects targets \[B\] = \[2\] class indices, got shape \[3\]"
    ):
        loss.mse_count(SPIKES, torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match=r"class indices in \[0, 2\], got values from 0 to 5"):
        loss.accuracy(SPIKES, torch.tensor([0, 5]))
    with pytest.raises(ValueError, match=r"correct_rate must lie in \[0, 1\], got 1.5"):
        loss.mse_count(SPIKES, TARGETS, correct_rate=1.5)
