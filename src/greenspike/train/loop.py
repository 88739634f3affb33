"""One training loop for both networks: same data order, optimizer, budget and seed.

Adam (learning rate `lr`) on minibatches in a seeded random order; the loss is the
cross-entropy of the logits `[B, C]` (conventional) or of the readout membrane at every step
`[T, B, C]` (spiking), plus, for a spiking network trained to fire less, an activity penalty on
the spikes of its spiking layers (`greenspike.snn.RatePenalty`).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional

from greenspike.data import LabelledImages
from greenspike.snn import RatePenalty, SpikeRecorder
from greenspike.snn import loss as snn_loss

OnBatch = Callable[[int, int, int, float], None]  # (epoch, batch, batches per epoch, loss)
# Test images per forward pass: the spiking CNN twin (128 channels, 8 steps) holds about 1.3 MB
# per image at once (its spikes over all steps), so 250 bound the pass to about 330 MB where
# 1,000 took over 1.3 GB, at no cost in speed (the matrices stay large).
EVAL_BATCH = 250
OnEpoch = Callable[[int, float, float], None]  # (epoch, mean loss, train accuracy)


def loss_of(outputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of logits `[B, C]` or of a membrane `[T, B, C]` averaged over steps.

    Raises:
        InvalidInputError: for a membrane, `labels` is not `[B]` class indices (see
            `greenspike.snn.loss.cross_entropy_membrane`).
    """
    if outputs.dim() == 3:
        return snn_loss.cross_entropy_membrane(outputs, labels)
    return functional.cross_entropy(outputs, labels)


def predictions(outputs: torch.Tensor) -> torch.Tensor:
    """The class with the largest logit `[B, C]`, or the largest mean membrane `[T, B, C]`."""
    scores = outputs.mean(0) if outputs.dim() == 3 else outputs
    return scores.argmax(-1)


def fit(
    model: nn.Module,
    data: LabelledImages,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    seed: int,
    on_batch: OnBatch | None = None,
    on_epoch: OnEpoch | None = None,
    penalty: RatePenalty | None = None,
) -> int:
    """Train `model` on `data`; returns the number of optimizer steps taken.

    `on_epoch` gets each epoch's mean minibatch loss and its train accuracy: the share of the
    epoch's images the model classified right as it trained on them (no extra forward pass).
    The loss reported (to `on_batch` and `on_epoch`) is the task's cross-entropy; the
    optimizer minimises it plus `penalty` of the spikes, when one is given.

    Raises:
        InvalidInputError: the model or the loss rejects the data (e.g. labels that are not
            class indices of a spiking model's readout), or a penalty is given for a model
            with no greenspike spiking layer.
    """
    torch.manual_seed(seed)  # the rate encoder's spikes
    order_rng = torch.Generator().manual_seed(seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    steps = 0
    batches = -(-len(data.labels) // batch_size)
    recorder = SpikeRecorder(model) if penalty is not None and penalty.weight else None
    try:
        for epoch in range(epochs):
            order = torch.randperm(len(data.labels), generator=order_rng)
            loss_sum, correct = 0.0, 0
            for batch, start in enumerate(range(0, len(order), batch_size)):
                rows = order[start : start + batch_size]
                if recorder is not None:
                    recorder.clear()
                outputs = model(data.images[rows])
                loss = loss_of(outputs, data.labels[rows])
                optimiser.zero_grad()
                if recorder is not None and penalty is not None:
                    (loss + penalty(recorder.spikes)).backward()
                else:
                    loss.backward()
                optimiser.step()
                steps += 1
                value = loss.item()
                loss_sum += value
                correct += int((predictions(outputs.detach()) == data.labels[rows]).sum())
                if on_batch is not None:
                    on_batch(epoch, batch, batches, value)
            if on_epoch is not None:
                on_epoch(epoch, loss_sum / batches, correct / len(order))
    finally:  # the hooks go, however training ends
        if recorder is not None:
            recorder.close()
    return steps


@torch.no_grad()
def evaluate(model: nn.Module, data: LabelledImages, batch_size: int = EVAL_BATCH) -> float:
    """Test accuracy (0..1): the class with the largest logit, or largest mean membrane.

    The images go through in batches of `batch_size`, which bounds the memory of the pass.
    """
    model.eval()
    correct = 0
    for start in range(0, len(data.labels), batch_size):
        outputs = model(data.images[start : start + batch_size])
        correct += int((predictions(outputs) == data.labels[start : start + batch_size]).sum())
    return correct / len(data.labels)
