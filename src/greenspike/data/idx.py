"""Reading IDX files, the format of MNIST and its relatives (gzipped or not).

An IDX file is a 4-byte magic number `0x00 0x00 <type> <ndim>`, then `ndim` big-endian uint32
dimension sizes, then the values, big-endian, row-major. Type codes: 0x08 uint8, 0x09 int8,
0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.
"""

from __future__ import annotations

import gzip
import io
import math
import os
import zlib
from pathlib import Path

import numpy as np
import torch

from greenspike.errors import InvalidInputError

# The most bytes of values a data file may declare, unless $GREENSPIKE_MAX_DATA_BYTES says more.
MAX_BYTES_ENV = "GREENSPIKE_MAX_DATA_BYTES"
DEFAULT_MAX_BYTES = 2**30

IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path: str | Path, max_bytes: int | None = None) -> torch.Tensor:
    """The array stored in an IDX file (`.gz` is decompressed), as a tensor of its own dtype.

    The size the header declares is checked before the values are read (or decompressed), so
    that a small file declaring a huge array is refused without taking the memory.

    Args:
        path: the file.
        max_bytes: the most bytes of values to read (default: $GREENSPIKE_MAX_DATA_BYTES,
            else 1 GiB).

    Raises:
        FileNotFoundError: `path` is not a file.
        InvalidInputError: naming the file: a `.gz` file that does not decompress, a wrong
            magic number, an unknown type code, truncated data, bytes past the declared end,
            or a declared size above `max_bytes`.
    """
    path = Path(path)
    limit = max_data_bytes() if max_bytes is None else max_bytes
    if not path.is_file():
        raise FileNotFoundError(f"IDX file not found: {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as file:
            return _read(path, file, limit)
    except (OSError, EOFError, zlib.error) as error:
        what = "a readable gzip file" if opener is gzip.open else "readable"
        raise InvalidInputError(f"{path} is not {what}: {error}") from error


def max_data_bytes() -> int:
    """The most bytes of values a data file may declare: $GREENSPIKE_MAX_DATA_BYTES or 1 GiB.

    Raises:
        InvalidInputError: the variable is not a positive integer.
    """
    text = os.environ.get(MAX_BYTES_ENV)
    if text is None:
        return DEFAULT_MAX_BYTES
    if not text.strip().isdigit() or int(text) < 1:
        raise InvalidInputError(f"${MAX_BYTES_ENV} must be a positive integer, got {text!r}")
    return int(text)


def _read(path: Path, file: io.BufferedIOBase, limit: int) -> torch.Tensor:
    magic = file.read(4)
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0:
        raise InvalidInputError(
            f"{path} is not an IDX file: its magic number is {magic.hex() or 'missing'}, "
            "an IDX file starts with 0000 then a type code and a dimension count"
        )
    type_code, ndim = magic[2], magic[3]
    if type_code not in IDX_TYPES:
        known = ", ".join(f"0x{code:02X}" for code in IDX_TYPES)
        raise InvalidInputError(f"{path}: unknown IDX type code 0x{type_code:02X} (known: {known})")
    header_size = 4 + 4 * ndim
    sizes = file.read(4 * ndim)
    if len(sizes) < 4 * ndim:
        raise InvalidInputError(
            f"{path} is truncated: its header declares {ndim} dimensions "
            f"({header_size} bytes) but the file has {4 + len(sizes)} bytes"
        )
    shape = tuple(int(size) for size in np.frombuffer(sizes, ">u4", count=ndim))
    dtype = IDX_TYPES[type_code]
    size = math.prod(shape) * dtype.itemsize
    if size > limit:
        raise InvalidInputError(
            f"{path} declares {list(shape)} of {dtype.name}: {size:,} bytes, above the limit of "
            f"{limit:,}; if the file is trusted, raise ${MAX_BYTES_ENV}"
        )
    data = file.read(size + 1)  # one more: bytes past the declared end are an error
    if len(data) != size:
        expected, found = header_size + size, header_size + len(data)
        problem = "is truncated" if found < expected else "has extra bytes after its data"
        raise InvalidInputError(
            f"{path} {problem}: shape {list(shape)} of {dtype.name} needs {expected} bytes, "
            f"the file has {found if found < expected else 'more'}"
        )
    values = np.frombuffer(data, dtype).reshape(shape)
    return torch.from_numpy(values.astype(dtype.newbyteorder("="), copy=True))
