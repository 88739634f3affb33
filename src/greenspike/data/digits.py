"""The bundled handwritten digits (UCI optical digits, as scikit-learn ships them), fixed split.

Source, citation and licence (CC BY 4.0): README.md beside this file.
"""

from __future__ import annotations

import gzip
from functools import cache
from importlib.resources import files

import numpy as np
import torch

from greenspike.data.labelled import LabelledImages
from greenspike.errors import InvalidInputError

DIGITS_FILE = "digits.csv.gz"
DIGITS_COUNT = 1797
# Within each class, in file order, every TEST_EVERY-th image is a test image.
TEST_EVERY = 5
SPLITS = ("train", "test", "all")


def load_digits(split: str = "train") -> LabelledImages:
    """The 1,797 bundled 8x8 digit images: `images` `[N, 8, 8]` float32 in [0, 1], `labels` `[N]`.

    Pixels are the data set's counts 0..16 divided by 16. The split is fixed and needs no random
    numbers: within each class, taken in file order, every fifth image (the 5th, 10th, ...) is
    a test image. `"train"` has 1,442 images, `"test"` 355 (34 to 36 per class), `"all"` 1,797
    in file order.

    Raises:
        InvalidInputError: `split` is not "train", "test" or "all".
    """
    if split not in SPLITS:
        raise InvalidInputError(f"unknown digits split {split!r}: use one of {', '.join(SPLITS)}")
    table = _read_table()
    labels = table[:, -1].astype(np.int64)
    images = table[:, :-1].reshape(-1, 8, 8).astype(np.float32) / 16.0
    if split != "all":
        chosen = in_test_split(labels) == (split == "test")
        images, labels = images[chosen], labels[chosen]
    return LabelledImages(torch.from_numpy(images), torch.from_numpy(labels))


def in_test_split(labels: np.ndarray) -> np.ndarray:
    """True where an image is in the test split: its rank within its class is 4, 9, 14, ..."""
    rank_in_class = np.empty_like(labels)
    for digit in np.unique(labels):
        where = np.flatnonzero(labels == digit)
        rank_in_class[where] = np.arange(where.size)
    return rank_in_class % TEST_EVERY == TEST_EVERY - 1


@cache
def _read_table() -> np.ndarray:
    """The bundled table, read once per process (callers copy what they keep)."""
    with (
        files("greenspike.data").joinpath(DIGITS_FILE).open("rb") as raw,
        gzip.open(raw, "rt") as text,
    ):
        table = np.loadtxt(text, delimiter=",", dtype=np.float64)
    if table.shape != (DIGITS_COUNT, 65):
        raise OSError(
            f"bundled {DIGITS_FILE} is damaged: expected {DIGITS_COUNT} rows of 65 values, "
            f"found shape {table.shape}; reinstall greenspike"
        )
    return table
