"""The data sets `greenspike compare` trains on, by name, as (train, test) image sets.

- digits: the bundled 8x8 handwritten digits (offline, the default).
- mnist, fashion-mnist: the IDX files in `data_dir` (train-* and t10k-*, gzipped or not), or
  downloaded by torchvision into `data_dir` when it is installed. With only the t10k files (as
  in /work/shared/data/mnist-t10k), the test set is split 8,000 train / 2,000 test by `seed`.
- nmnist, shd: event recordings read through tonic (optional, GPL-3.0) from `data_dir`, or
  downloaded there; each sample binned into `steps` binary frames (`greenspike.data.events`):
  N-MNIST's 300 ms (three 100 ms saccades) into `[steps, 2, 34, 34]` (polarity first), SHD's
  first second into `[steps, 700]`. Their `LabelledImages.images` are `[N, steps, ...]` uint8.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from greenspike.data import LabelledImages, load_digits, load_mnist_train_test
from greenspike.data.events import Sensor, bin_events, read_tonic
from greenspike.data.mnist import has_mnist_file
from greenspike.errors import InvalidInputError


@dataclass(frozen=True)
class EventSource:
    """An event data set: how to read it and bin it into frames.

    Attributes:
        sensor: `(width, height, polarities)`, as tonic gives it.
        window_us: the time window binned, in microseconds.
        frame_shape: the shape of one frame.
        read: `read(directory, train)` gives the (events, label) samples of the train or test
            set.
    """

    sensor: Sensor
    window_us: float
    frame_shape: tuple[int, ...]
    read: Callable[[Path, bool], Sequence[tuple[np.ndarray, int]]]


EVENT_SOURCES: dict[str, EventSource] = {
    "nmnist": EventSource(
        (34, 34, 2), 300_000, (2, 34, 34), lambda path, train: read_tonic("NMNIST", path, train)
    ),
    "shd": EventSource(
        (700, 1, 1), 1_000_000, (700,), lambda path, train: read_tonic("SHD", path, train)
    ),
}
DATASETS = ("digits", "mnist", "fashion-mnist", *EVENT_SOURCES)


def load_dataset(
    name: str, data_dir: str | Path | None = None, seed: int = 0, steps: int | None = None
) -> tuple[LabelledImages, LabelledImages]:
    """(train, test) of data set `name`; see the module docstring for where each comes from.

    Args:
        name: one of `DATASETS`.
        data_dir: the directory of its files (needed by all but "digits").
        seed: the seed of the train/test split of a t10k-only directory.
        steps: the frames each sample of an event data set is binned into.

    Raises:
        InvalidInputError: an unknown data set; no `data_dir`, or one that is not a
            directory, where the data set needs it; IDX files that are not valid (see
            `greenspike.data.load_mnist`); no IDX files and no torchvision to download them;
            for event data sets, as `load_events`.
        MissingExtraError: an event data set without tonic.
        FileNotFoundError: the t10k images are there but another file of the set is not.
    """
    if name == "digits":
        return load_digits("train"), load_digits("test")
    if name in EVENT_SOURCES:
        return load_events(name, data_dir, steps)
    if name not in DATASETS:
        raise InvalidInputError(f"unknown dataset {name!r}: use one of {', '.join(DATASETS)}")
    if data_dir is None:
        raise InvalidInputError(
            f"{name} needs --data-dir: a directory with its IDX files (train-images-idx3-ubyte, "
            "train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, optionally "
            ".gz), or one torchvision may download into (pip install torchvision --no-deps)"
        )
    directory = Path(data_dir)
    if not directory.is_dir():
        raise InvalidInputError(f"--data-dir {str(directory)!r} is not a directory")
    if has_mnist_file(directory, "t10k-images-idx3-ubyte"):
        return load_mnist_train_test(directory, seed)  # greenspike.data: the same for users
    return _download(name, directory)


def load_events(
    name: str, data_dir: str | Path | None, steps: int | None
) -> tuple[LabelledImages, LabelledImages]:
    """(train, test) of event data set `name`, each sample binned into `steps` frames.

    Raises:
        InvalidInputError: `steps` or `data_dir` is missing, `data_dir` is not a directory,
            tonic is not installed, a set has no samples, or `steps` is not an integer >= 1.
    """
    source = EVENT_SOURCES[name]
    if steps is None:
        raise InvalidInputError(
            f"{name} holds events: give the number of time steps to bin them into"
        )
    if data_dir is None:
        raise InvalidInputError(
            f"{name} needs --data-dir: the directory tonic (pip install tonic) reads it from, "
            "or downloads it into"
        )
    directory = Path(data_dir)
    if not directory.is_dir():
        raise InvalidInputError(f"--data-dir {str(directory)!r} is not a directory")
    sets = []
    for train in (True, False):
        frames, labels = [], []
        for events, label in source.read(directory, train):
            frames.append(bin_events(events, source.sensor, steps, source.window_us))
            labels.append(int(label))
        if not frames:
            raise InvalidInputError(f"no {name} samples in {str(directory)!r}")
        images = torch.stack(frames).reshape(len(frames), steps, *source.frame_shape)
        sets.append(LabelledImages(images, torch.tensor(labels)))
    return sets[0], sets[1]


def _download(name: str, directory: Path) -> tuple[LabelledImages, LabelledImages]:
    if importlib.util.find_spec("torchvision") is None:  # the files are what is missing
        raise InvalidInputError(
            f"no {name} IDX files (t10k-images-idx3-ubyte[.gz] ...) in {str(directory)!r}: put "
            "them there, or install torchvision (pip install torchvision --no-deps) to download"
        )
    from torchvision import datasets  # optional dependency

    source = datasets.MNIST if name == "mnist" else datasets.FashionMNIST
    sets = [source(str(directory), train=train, download=True) for train in (True, False)]
    return tuple(  # type: ignore[return-value]
        LabelledImages(s.data.float() / 255.0, s.targets.long()) for s in sets
    )
