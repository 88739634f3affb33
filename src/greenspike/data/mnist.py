"""MNIST-format data sets (MNIST, Fashion-MNIST, ...) from a folder of IDX files.

    train, test = load_mnist_train_test("mnist-t10k", seed=0)   # as `greenspike compare` does

A folder with the train and the t10k files gives MNIST's own split (60,000 / 10,000); a folder
with the t10k files only (as the shared `mnist-t10k`) is split 8,000 train / 2,000 test by
`seed`, the split `greenspike compare --dataset mnist` and `greenspike search` use.
"""

from __future__ import annotations

from pathlib import Path

import torch

from greenspike.data.idx import read_idx
from greenspike.data.labelled import LabelledImages
from greenspike.errors import InvalidInputError

T10K_TRAIN = 8000  # train images taken from a t10k-only folder; the other 2,000 test
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
    if images.shape[0] == 0 or images.shape[1] == 0 or images.shape[2] == 0:
        raise InvalidInputError(
            f"{images_stem} in {directory} holds no images (shape {list(images.shape)}): "
            "nothing to train or test on"
        )
    if labels.dtype != torch.uint8 or labels.dim() != 1 or labels.shape[0] != images.shape[0]:
        raise InvalidInputError(
            f"{labels_stem} in {directory} should hold {images.shape[0]} uint8 labels, "
            f"found {labels.dtype} of shape {list(labels.shape)}"
        )
    return LabelledImages(images.float() / 255.0, labels.long())


def load_mnist_train_test(
    directory: str | Path, seed: int = 0
) -> tuple[LabelledImages, LabelledImages]:
    """(train, test) of an MNIST-format folder, exactly as `greenspike compare` loads them.

    With the train files there: `load_mnist(directory, "train")` and `"test"`. With the t10k
    files only: the test set split by `split_train_test` into 8,000 train and 2,000 test
    images, seeded by `seed` (`greenspike compare --seed`).

    Raises:
        FileNotFoundError: `directory` has no t10k images, or lacks another file of a set.
        InvalidInputError: a file is not a valid IDX file of images or labels (`load_mnist`).
    """
    directory = Path(directory)
    test = load_mnist(directory, "test")
    if has_mnist_file(directory, MNIST_FILES["train"][0]):
        return load_mnist(directory, "train"), test
    return split_train_test(test, T10K_TRAIN, seed)


def split_train_test(
    data: LabelledImages, n_train: int, seed: int
) -> tuple[LabelledImages, LabelledImages]:
    """A seeded random split of `data` into `n_train` train images and the rest for test.

    The order is `torch.randperm` of a generator seeded with `seed`: the same seed gives the
    same split on every machine.

    Raises:
        InvalidInputError: `n_train` leaves no image for one of the two parts.
    """
    if not 0 < n_train < len(data.labels):
        raise InvalidInputError(f"cannot take {n_train} train images out of {len(data.labels)}")
    order = torch.randperm(len(data.labels), generator=torch.Generator().manual_seed(seed))
    head, tail = order[:n_train], order[n_train:]
    return (
        LabelledImages(data.images[head], data.labels[head]),
        LabelledImages(data.images[tail], data.labels[tail]),
    )


def has_mnist_file(directory: Path, stem: str) -> bool:
    """Whether `directory` holds the IDX file `stem`, or its `.gz`."""
    return (directory / stem).exists() or (directory / f"{stem}.gz").exists()


def _find(directory: Path, stem: str) -> Path:
    for candidate in (directory / stem, directory / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"{stem} not found in {directory}: put {stem} or {stem}.gz (IDX format, as distributed "
        "with MNIST) in that folder, or pass the folder that holds it"
    )
