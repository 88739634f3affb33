"""Reading IDX files, the format of MNIST and its relatives (gzipped or not).

An IDX file is a 4-byte magic number `0x00 0x00 <type> <ndim>`, then `ndim` big-endian uint32
dimension sizes, then the values, big-endian, row-major. Type codes: 0x08 uint8, 0x09 int8,
0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.
"""

from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path

import numpy as np
import torch

from greenspike.errors import InvalidInputError

IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path: str | Path) -> torch.Tensor:
    """The array stored in an IDX file (`.gz` is decompressed), as a tensor of its own dtype.

    Raises:
        FileNotFoundError: `path` is not a file.
        InvalidInputError: naming the file: a `.gz` file that does not decompress, a wrong
            magic number, an unknown type code, truncated data or bytes past the declared end.
    """
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise InvalidInputError(
            f"{path} is not an IDX file: its magic number is {raw[:4].hex() or 'missing'}, "
            "an IDX file starts with 0000 then a type code and a dimension count"
        )
    type_code, ndim = raw[2], raw[3]
    if type_code not in IDX_TYPES:
        known = ", ".join(f"0x{code:02X}" for code in IDX_TYPES)
        raise InvalidInputError(f"{path}: unknown IDX type code 0x{type_code:02X} (known: {known})")
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise InvalidInputError(
            f"{path} is truncated: its header declares {ndim} dimensions "
            f"({header_size} bytes) but the file has {len(raw)} bytes"
        )
    shape = tuple(int(size) for size in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    dtype = IDX_TYPES[type_code]
    expected = header_size + math.prod(shape) * dtype.itemsize
    if len(raw) != expected:
        problem = "is truncated" if len(raw) < expected else "has extra bytes after its data"
        raise InvalidInputError(
            f"{path} {problem}: shape {list(shape)} of {dtype.name} needs {expected} bytes, "
            f"the file has {len(raw)}"
        )
    values = np.frombuffer(raw, dtype, offset=header_size).reshape(shape)
    return torch.from_numpy(values.astype(dtype.newbyteorder("="), copy=True))


def _read_bytes(path: Path) -> bytes:
    if not path.is_file():
        raise FileNotFoundError(f"IDX file not found: {path}")
    if path.suffix != ".gz":
        return path.read_bytes()
    try:
        return gzip.decompress(path.read_bytes())
    except (OSError, EOFError, zlib.error) as error:
        raise InvalidInputError(f"{path} is not a readable gzip file: {error}") from error
