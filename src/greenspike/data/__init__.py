"""Data sets: the bundled handwritten digits and MNIST-format IDX files, as tensors."""

from greenspike.data.digits import load_digits
from greenspike.data.idx import read_idx
from greenspike.data.labelled import LabelledImages
from greenspike.data.mnist import load_mnist

__all__ = ["LabelledImages", "load_digits", "load_mnist", "read_idx"]
