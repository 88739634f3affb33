"""Data sets as tensors: bundled handwritten digits, MNIST-format IDX files, binned events.

The event recordings (N-MNIST, SHD) are binned into binary frames.
"""

from greenspike.data.digits import load_digits
from greenspike.data.events import bin_events
from greenspike.data.idx import read_idx
from greenspike.data.labelled import LabelledImages
from greenspike.data.mnist import load_mnist

__all__ = ["LabelledImages", "bin_events", "load_digits", "load_mnist", "read_idx"]
