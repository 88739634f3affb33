"""Issue 21 items 17 and 18: a data file declaring a huge array is refused before it is read
(with a limit the user can raise), and a data set with no images is a clear error."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from greenspike.data import load_mnist, read_idx
from greenspike.errors import InvalidInputError


def _header(shape) -> bytes:
    return bytes([0, 0, 0x08, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


def test_a_small_file_declaring_a_huge_array_is_refused_before_reading(tmp_path):
    path = tmp_path / "bomb-idx3-ubyte"
    path.write_bytes(_header((60000, 60000, 60000)) + b"\0" * 16)
    with pytest.raises(InvalidInputError, match=r"declares .* above the limit of 1,073,741,824"):
        read_idx(path)


def test_a_gzip_bomb_is_refused_without_decompressing_it(tmp_path, monkeypatch):
    path = tmp_path / "bomb-idx3-ubyte.gz"
    with gzip.open(path, "wb") as file:
        file.write(_header((1000, 1000, 20)))
        for _ in range(20):
            file.write(b"\0" * 1_000_000)  # 20 MB of zeros: about 20 KB compressed
    assert path.stat().st_size < 100_000
    monkeypatch.setenv("GREENSPIKE_MAX_DATA_BYTES", "1000000")
    with pytest.raises(InvalidInputError, match="raise \\$GREENSPIKE_MAX_DATA_BYTES"):
        read_idx(path)
    monkeypatch.setenv("GREENSPIKE_MAX_DATA_BYTES", "30000000")  # raised by the user: read
    assert read_idx(path).shape == (1000, 1000, 20)


def test_a_bad_limit_is_one_clear_error(tmp_path, monkeypatch):
    path = tmp_path / "x-idx1-ubyte"
    path.write_bytes(_header((2,)) + b"\1\2")
    monkeypatch.setenv("GREENSPIKE_MAX_DATA_BYTES", "lots")
    with pytest.raises(InvalidInputError, match="GREENSPIKE_MAX_DATA_BYTES must be a positive"):
        read_idx(path)


def test_a_data_set_with_no_images_is_a_clear_error(tmp_path):
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(_header((0, 28, 28)))
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(_header((0,)))
    with pytest.raises(InvalidInputError, match="holds no images"):
        load_mnist(tmp_path, "test")


def test_a_data_set_with_images_still_loads(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint8).tobytes()
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(_header((2, 28, 28)) + images)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(_header((2,)) + b"\3\7")
    data = load_mnist(tmp_path, "test")
    assert data.labels.tolist() == [3, 7]
