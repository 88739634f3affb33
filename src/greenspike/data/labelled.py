"""A labelled image set: the one shape every greenspike data loader returns."""

from __future__ import annotations

from typing import NamedTuple

import torch


class LabelledImages(NamedTuple):
    """Images or binary event frames, and their class labels `[N]` (int64).

    Attributes:
        images: images `[N, H, W]` (float32 in [0, 1]), or binary event frames `[N, T, ...]`
            (uint8).
        labels: the class of each image, `[N]` (int64).
    """

    images: torch.Tensor
    labels: torch.Tensor
