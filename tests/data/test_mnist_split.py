"""`gs.data.load_mnist_train_test`: the train and test sets `greenspike compare` uses."""

from __future__ import annotations

import struct

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import greenspike as gs
from greenspike.data import LabelledImages
from greenspike.train import load_dataset


def write_idx(path, array: np.ndarray) -> None:
    """An uncompressed IDX file of unsigned bytes (type 0x08)."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def mnist_folder(folder, n: int, *, with_train: bool, seed: int = 0):
    rng = np.random.default_rng(seed)
    stems = [("t10k", n)] + ([("train", 2 * n)] if with_train else [])
    for stem, count in stems:
        write_idx(folder / f"{stem}-images-idx3-ubyte", rng.integers(0, 256, (count, 4, 4)))
        write_idx(folder / f"{stem}-labels-idx1-ubyte", rng.integers(0, 10, count))
    return folder


def test_a_t10k_only_folder_is_split_as_compare_splits_it(shared_data):
    folder = shared_data / "mnist-t10k"
    train, test = gs.data.load_mnist_train_test(folder, seed=1)
    assert (len(train.labels), len(test.labels)) == (8000, 2000)
    compare_train, compare_test = load_dataset("mnist", folder, seed=1)  # compare's loader
    assert torch.equal(train.images, compare_train.images)
    assert torch.equal(test.labels, compare_test.labels)
    everything = gs.data.load_mnist(folder, "test")
    together = torch.cat([train.labels, test.labels])
    assert torch.equal(torch.bincount(together), torch.bincount(everything.labels))  # a partition
    pixels = torch.cat([train.images, test.images]).double().sum()
    assert pixels.item() == pytest.approx(everything.images.double().sum().item(), rel=1e-12)
    other, _ = gs.data.load_mnist_train_test(folder, seed=2)
    assert not torch.equal(other.labels, train.labels)


def test_a_folder_with_train_files_keeps_mnist_own_split(tmp_path):
    mnist_folder(tmp_path, 30, with_train=True)
    train, test = gs.data.load_mnist_train_test(tmp_path)
    assert (len(train.labels), len(test.labels)) == (60, 30)
    assert torch.equal(train.images, gs.data.load_mnist(tmp_path, "train").images)


def test_a_folder_without_t10k_files_says_which_file_is_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="t10k-images-idx3-ubyte not found"):
        gs.data.load_mnist_train_test(tmp_path)


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 40), st.data())
def test_split_is_a_seeded_partition(count, data):
    n_train = data.draw(st.integers(1, count - 1))
    seed = data.draw(st.integers(0, 2**31))
    images = torch.arange(count, dtype=torch.float32).reshape(count, 1, 1)
    whole = LabelledImages(images, torch.arange(count))
    train, test = gs.data.split_train_test(whole, n_train, seed)
    assert len(train.labels) == n_train and len(test.labels) == count - n_train
    assert sorted(torch.cat([train.labels, test.labels]).tolist()) == list(range(count))
    assert torch.equal(train.images.flatten(), train.labels.float())  # pairs stay together
    again, _ = gs.data.split_train_test(whole, n_train, seed)
    assert torch.equal(again.labels, train.labels)


@pytest.mark.parametrize("n_train", [0, 5])
def test_a_split_leaving_a_side_empty_is_refused(n_train):
    whole = LabelledImages(torch.zeros(5, 2, 2), torch.zeros(5, dtype=torch.long))
    with pytest.raises(ValueError, match=f"cannot take {n_train} train images out of 5"):
        gs.data.split_train_test(whole, n_train, 0)
