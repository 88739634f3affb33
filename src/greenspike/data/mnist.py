"""MNIST-format data sets (MNIST, Fashion-MNIST, ...) from a folder of IDX files."""

from __future__ import annotations

from pathlib import Path

import torch

from greenspike.data.idx import read_idx
from greenspike.data.labelled import LabelledImages
from greenspike.errors import InvalidInputError

# File stems per split, as the original distribution names them.
MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def load_mnist(directory: str | Path, split: str = "test") -> LabelledImages:
    """An MNIST-format split from `directory`: images `[N, H, W]` in [0, 1], labels `[N]`.

    `split` is `"train"` (train-images-idx3-ubyte, train-labels-idx1-ubyte) or `"test"`
    (t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte); each file may be gzipped (`.gz`).
    Images are float32, the stored bytes 0..255 divided by 255; labels are int64.

    Raises:
        FileNotFoundError: `directory` holds neither the file nor its `.gz`.
        InvalidInputError: `split` is unknown; a file is not a valid IDX file (`read_idx`); the
            images are not uint8 `[N, H, W]`, or the labels not N uint8 values.
    """
    if split not in MNIST_FILES:
        raise InvalidInputError(f"unknown MNIST split {split!r}: use 'train' or 'test'")
    directory = Path(directory)
    images_stem, labels_stem = MNIST_FILES[split]
    images = read_idx(_find(directory, images_stem))
    labels = read_idx(_find(directory, labels_stem))
    if images.dtype != torch.uint8 or images.dim() != 3:
        raise InvalidInputError(
            f"{images_stem} in {directory} should hold uint8 images [N, H, W], "
            f"found {images.dtype} of shape {list(images.shape)}"
        )
    if labels.dtype != torch.uint8 or labels.dim() != 1 or labels.shape[0] != images.shape[0]:
        raise InvalidInputError(
            f"{labels_stem} in {directory} should hold {images.shape[0]} uint8 labels, "
            f"found {labels.dtype} of shape {list(labels.shape)}"
        )
    return LabelledImages(images.float() / 255.0, labels.long())


def _find(directory: Path, stem: str) -> Path:
    for candidate in (directory / stem, directory / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"{stem} not found in {directory}: put {stem} or {stem}.gz (IDX format, as distributed "
        "with MNIST) in that folder, or pass the folder that holds it"
    )
