"""The data sets `greenspike compare` trains on, by name, as (train, test) image sets.

- digits: the bundled 8x8 handwritten digits (offline, the default).
- mnist, fashion-mnist: the IDX files in `data_dir` (train-* and t10k-*, gzipped or not), or
  downloaded by torchvision into `data_dir` when it is installed. With only the t10k files (as
  in /work/shared/data/mnist-t10k), the test set is split 8,000 train / 2,000 test by `seed`.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch

from greenspike.data import LabelledImages, load_digits, load_mnist

DATASETS = ("digits", "mnist", "fashion-mnist")
T10K_TRAIN = 8000  # train images taken from a t10k-only directory; the other 2,000 test


def load_dataset(
    name: str, data_dir: str | Path | None = None, seed: int = 0
) -> tuple[LabelledImages, LabelledImages]:
    """(train, test) of data set `name`; see the module docstring for where each comes from."""
    if name == "digits":
        return load_digits("train"), load_digits("test")
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}: use one of {', '.join(DATASETS)}")
    if data_dir is None:
        raise ValueError(
            f"{name} needs --data-dir: a directory with its IDX files (train-images-idx3-ubyte, "
            "train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, optionally "
            ".gz), or one torchvision may download into (pip install torchvision --no-deps)"
        )
    directory = Path(data_dir)
    if not directory.is_dir():
        raise ValueError(f"--data-dir {str(directory)!r} is not a directory")
    if _has(directory, "t10k-images-idx3-ubyte"):
        test = load_mnist(directory, "test")
        if _has(directory, "train-images-idx3-ubyte"):
            return load_mnist(directory, "train"), test
        return split(test, T10K_TRAIN, seed)
    return _download(name, directory)


def split(data: LabelledImages, n_train: int, seed: int) -> tuple[LabelledImages, LabelledImages]:
    """A seeded random split of `data` into `n_train` train images and the rest for test."""
    if not 0 < n_train < len(data.labels):
        raise ValueError(f"cannot take {n_train} train images out of {len(data.labels)}")
    order = torch.randperm(len(data.labels), generator=torch.Generator().manual_seed(seed))
    head, tail = order[:n_train], order[n_train:]
    return (
        LabelledImages(data.images[head], data.labels[head]),
        LabelledImages(data.images[tail], data.labels[tail]),
    )


def _has(directory: Path, stem: str) -> bool:
    return (directory / stem).exists() or (directory / f"{stem}.gz").exists()


def _download(name: str, directory: Path) -> tuple[LabelledImages, LabelledImages]:
    if importlib.util.find_spec("torchvision") is None:
        raise ValueError(
            f"no {name} IDX files (t10k-images-idx3-ubyte[.gz] ...) in {str(directory)!r}: put "
            "them there, or install torchvision (pip install torchvision --no-deps) to download"
        )
    from torchvision import datasets  # optional dependency

    source = datasets.MNIST if name == "mnist" else datasets.FashionMNIST
    sets = [source(str(directory), train=train, download=True) for train in (True, False)]
    return tuple(  # type: ignore[return-value]
        LabelledImages(s.data.float() / 255.0, s.targets.long()) for s in sets
    )
