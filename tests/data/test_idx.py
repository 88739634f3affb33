"""IDX reading: generated files of every type, gzip, and each way a file can be broken."""

from __future__ import annotations

import gzip
import hashlib
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from greenspike.data import load_mnist, read_idx
from greenspike.data.idx import IDX_TYPES


def idx_bytes(array: np.ndarray, type_code: int) -> bytes:
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(IDX_TYPES[type_code]).tobytes()


@pytest.mark.parametrize("type_code", sorted(IDX_TYPES))
@pytest.mark.parametrize("gzipped", [False, True])
def test_every_type_round_trips_with_and_without_gzip(tmp_path, type_code, gzipped):
    array = (np.arange(24).reshape(2, 3, 4) * 5 - 7).astype(IDX_TYPES[type_code])
    data = idx_bytes(array, type_code)
    path = tmp_path / ("a.idx.gz" if gzipped else "a.idx")
    path.write_bytes(gzip.compress(data) if gzipped else data)
    read = read_idx(path)
    assert read.shape == (2, 3, 4)
    np.testing.assert_array_equal(read.numpy(), array)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=1, max_size=4), st.integers(0, 2**31 - 1))
def test_any_shape_of_int32_round_trips(shape, seed):
    import tempfile

    array = np.random.default_rng(seed).integers(-(2**31), 2**31, size=shape, dtype=np.int64)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.idx"
        path.write_bytes(idx_bytes(array.astype(np.int32), 0x0C))
        assert torch.equal(read_idx(path), torch.from_numpy(array.astype(np.int32)))


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"IDX file not found: .*nope\.idx"):
        read_idx(tmp_path / "nope.idx")


def test_wrong_magic_number(tmp_path):
    path = tmp_path / "png.idx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    with pytest.raises(
        ValueError, match=r"png.idx is not an IDX file: its magic number is 89504e47"
    ):
        read_idx(path)


def test_unknown_type_code(tmp_path):
    path = tmp_path / "odd.idx"
    path.write_bytes(bytes([0, 0, 0x0A, 1, 0, 0, 0, 1, 7]))
    with pytest.raises(ValueError, match="unknown IDX type code 0x0A"):
        read_idx(path)


def test_truncated_data_says_how_much_is_missing(tmp_path):
    path = tmp_path / "short.idx"
    path.write_bytes(idx_bytes(np.zeros((10, 28, 28), np.uint8), 0x08)[:-100])
    with pytest.raises(
        ValueError,
        match=r"short.idx is truncated: shape \[10, 28, 28\] of uint8 "
        r"needs 7856 bytes, the file has 7756",
    ):
        read_idx(path)


def test_truncated_header(tmp_path):
    path = tmp_path / "head.idx"
    path.write_bytes(bytes([0, 0, 8, 3, 0, 0, 0, 5]))
    with pytest.raises(ValueError, match="header declares 3 dimensions"):
        read_idx(path)


def test_trailing_bytes_are_an_error(tmp_path):
    path = tmp_path / "long.idx"
    path.write_bytes(idx_bytes(np.zeros(4, np.uint8), 0x08) + b"\x00")
    with pytest.raises(ValueError, match="has extra bytes after its data"):
        read_idx(path)


def test_corrupt_gzip(tmp_path):
    path = tmp_path / "bad.idx.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros(50, np.uint8), 0x08))[:-6])
    with pytest.raises(ValueError, match=r"bad\.idx\.gz is not a readable gzip file"):
        read_idx(path)


def write_mnist(folder: Path, images: np.ndarray, labels: np.ndarray, gzipped: bool) -> None:
    for stem, array in (("t10k-images-idx3-ubyte", images), ("t10k-labels-idx1-ubyte", labels)):
        data = idx_bytes(array, 0x08)
        if gzipped:
            (folder / f"{stem}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / stem).write_bytes(data)


@pytest.mark.parametrize("gzipped", [False, True])
def test_load_mnist_scales_pixels_and_keeps_labels(tmp_path, gzipped):
    images = np.array([[[0, 255], [51, 102]], [[255, 0], [0, 0]]], np.uint8)
    write_mnist(tmp_path, images, np.array([7, 2], np.uint8), gzipped)
    data = load_mnist(tmp_path, "test")
    assert data.images.dtype == torch.float32
    assert torch.allclose(data.images[0], torch.tensor([[0.0, 1.0], [0.2, 0.4]]))
    assert data.labels.tolist() == [7, 2]
    assert data.labels.dtype == torch.int64


def test_load_mnist_missing_files_say_where_to_put_them(tmp_path):
    with pytest.raises(
        FileNotFoundError,
        match=r"t10k-images-idx3-ubyte not found in .*: put "
        r"t10k-images-idx3-ubyte or t10k-images-idx3-ubyte.gz",
    ):
        load_mnist(tmp_path)
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte not found"):
        load_mnist(tmp_path, "train")


def test_load_mnist_rejects_mismatched_label_count(tmp_path):
    write_mnist(tmp_path, np.zeros((3, 2, 2), np.uint8), np.zeros(2, np.uint8), gzipped=False)
    with pytest.raises(
        ValueError, match=r"should hold 3 uint8 labels, found torch\.uint8 of shape"
    ):
        load_mnist(tmp_path)


def test_load_mnist_rejects_unknown_split(tmp_path):
    with pytest.raises(ValueError, match="unknown MNIST split 'valid'"):
        load_mnist(tmp_path, "valid")


def test_real_mnist_test_set(shared_data):
    mnist = shared_data / "mnist-t10k"
    for name, md5 in (
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ):
        assert hashlib.md5((mnist / name).read_bytes()).hexdigest() == md5
    data = load_mnist(mnist, "test")
    assert data.images.shape == (10_000, 28, 28)
    assert data.images.min() >= 0.0 and data.images.max() == 1.0
    # The well-known class counts of the MNIST test set.
    assert torch.bincount(data.labels).tolist() == [
        980,
        1135,
        1032,
        1010,
        982,
        892,
        958,
        1028,
        974,
        1009,
    ]
    assert data.labels[:5].tolist() == [7, 2, 1, 0, 4]
