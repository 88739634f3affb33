"""Event-camera and event-audio recordings binned into binary frames, and read through tonic.

An event is one row of a numpy structured array with fields `t` (microseconds), `x` and,
where the sensor has them, `y` and `p` (polarity); a sensor is `(width, height, polarities)`
as in tonic. Binning cuts the window [0, window_us) into `steps` equal bins: event e lands in
bin k = floor(t_e * steps / window_us), and frame k holds 1 at (p, y, x) if at least one event
hit there in that bin (binary spikes: several events in one cell and bin count once). Events
outside the window are dropped.

tonic (GPL-3.0, an optional dependency: pip install tonic) reads N-MNIST and SHD, downloading
them into `data_dir/NMNIST` and `data_dir/SHD` when they are not there yet.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from greenspike.errors import InvalidInputError, MissingExtraError

Sensor = tuple[int, int, int]  # (width, height, polarities), tonic's sensor_size


def bin_events(events: np.ndarray, sensor: Sensor, steps: int, window_us: float) -> torch.Tensor:
    """Binary frames `[steps, polarities, height, width]` (uint8) of `events` (see module).

    Args:
        events: a structured array with fields `t` (microseconds), `x` and optionally `y`, `p`.
        sensor: `(width, height, polarities)`.
        steps: number of frames (time bins), >= 1.
        window_us: length of the binned window [0, window_us), in microseconds.

    Raises:
        InvalidInputError: `steps` is not an integer >= 1, `window_us` is not > 0, `events`
            lacks the field `t` or `x`, or an event inside the window lies outside the sensor.
    """
    if not isinstance(steps, int) or steps < 1:
        raise InvalidInputError(f"steps must be an integer >= 1, got {steps!r}")
    if not window_us > 0:
        raise InvalidInputError(f"the time window must be > 0 microseconds, got {window_us!r}")
    width, height, polarities = sensor
    names = events.dtype.names or ()
    if "t" not in names or "x" not in names:
        raise InvalidInputError(f"events need fields 't' and 'x' (and 'y', 'p'), got {names}")
    zeros = np.zeros(len(events), dtype=np.int64)
    t = np.asarray(events["t"], dtype=np.float64)
    inside = (t >= 0) & (t < window_us)
    coordinates = {}
    for field, size in (("x", width), ("y", height), ("p", polarities)):
        values = np.asarray(events[field], dtype=np.int64) if field in names else zeros
        values = values[inside]
        if values.size and (values.min() < 0 or values.max() >= size):
            raise InvalidInputError(
                f"event {field} values must lie in 0..{size - 1} for sensor {sensor}, "
                f"got {values.min()}..{values.max()}"
            )
        coordinates[field] = values
    bins = np.minimum(np.floor(t[inside] * steps / window_us).astype(np.int64), steps - 1)
    frames = np.zeros((steps, polarities, height, width), dtype=np.uint8)
    frames[bins, coordinates["p"], coordinates["y"], coordinates["x"]] = 1
    return torch.from_numpy(frames)


def read_tonic(name: str, data_dir: Path, train: bool) -> Sequence[tuple[np.ndarray, int]]:
    """The (events, label) samples of tonic's data set class `name` (e.g. "NMNIST", "SHD").

    They are read from `data_dir/name`, downloaded there first if missing (needs the network).

    Raises:
        MissingExtraError: tonic is not installed (the message says how to install it).
    """
    if importlib.util.find_spec("tonic") is None:
        raise MissingExtraError(
            f"reading {name} needs tonic, which is not installed: pip install tonic "
            f"(GPL-3.0, so an optional extra of greenspike); it keeps the files in "
            f"{str(data_dir / name)!r}, downloading them there when they are missing"
        )
    import tonic  # optional dependency (GPL-3.0): imported only here

    return getattr(tonic.datasets, name)(save_to=str(data_dir), train=train)
