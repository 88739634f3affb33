"""Data sets: the bundled handwritten digits, MNIST-format IDX files and event recordings binned
into frames, as tensors.
"""

from greenspike.data.digits import load_digits
from greenspike.data.events import bin_events
from greenspike.data.idx import read_idx
from greenspike.data.labelled import LabelledImages
from greenspike.data.mnist import load_mnist

__all__ = ["LabelledImages", "bin_events", "load_digits", "load_mnist", "read_idx"]
