"""The bundled digits: contents, provenance, and the fixed split."""

from __future__ import annotations

import hashlib
from importlib.resources import files

import pytest
import torch

from greenspike.data import load_digits

DIGITS_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"


def test_bundled_file_is_scikit_learns_copy_and_has_its_licence_beside_it():
    package = files("greenspike.data")
    digest = hashlib.sha256(package.joinpath("digits.csv.gz").read_bytes()).hexdigest()
    assert digest == DIGITS_SHA256
    readme = package.joinpath("README.md").read_text()
    assert DIGITS_SHA256 in readme
    for needle in ("CC BY 4.0", "Alpaydin", "Kaynak", "1998", "UCI"):
        assert needle in readme


def test_all_images_shapes_ranges_and_class_counts():
    data = load_digits("all")
    assert data.images.shape == (1797, 8, 8)
    assert data.images.dtype == torch.float32
    assert data.images.min() == 0.0 and data.images.max() == 1.0
    # Pixels are counts 0..16 scaled by 1/16: every value is a multiple of 1/16.
    assert torch.equal(data.images * 16, (data.images * 16).round())
    assert torch.bincount(data.labels).tolist() == [
        178,
        182,
        177,
        183,
        181,
        182,
        181,
        179,
        174,
        180,
    ]
    # The first image of scikit-learn's copy is a 0 whose top row is 0 0 5 13 9 1 0 0.
    assert data.labels[0] == 0
    assert (data.images[0, 0] * 16).tolist() == [0, 0, 5, 13, 9, 1, 0, 0]


def test_split_is_fixed_stratified_and_disjoint():
    everything, train, test = load_digits("all"), load_digits("train"), load_digits("test")
    assert len(train.labels) == 1442 and len(test.labels) == 355
    assert torch.bincount(test.labels).tolist() == [35, 36, 35, 36, 36, 36, 36, 35, 34, 36]
    # Test images are the 5th, 10th, ... of each class in file order.
    zeros = everything.images[everything.labels == 0]
    assert torch.equal(test.images[test.labels == 0], zeros[4::5])
    kept = torch.cat([train.images, test.images]).reshape(1797, -1)
    assert torch.equal(
        kept.sort(dim=0).values, everything.images.reshape(1797, -1).sort(dim=0).values
    )
    assert torch.equal(load_digits("train").images, train.images)  # no randomness


def test_unknown_split_is_an_error():
    with pytest.raises(
        ValueError, match="unknown digits split 'validation': use one of train, test"
    ):
        load_digits("validation")


def test_each_load_returns_fresh_tensors():
    first = load_digits("all")
    first.images.zero_()
    first.labels.zero_()
    again = load_digits("all")
    assert again.images.max() == 1.0 and again.labels.max() == 9
