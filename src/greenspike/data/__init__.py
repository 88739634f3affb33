"""Data sets as tensors: bundled handwritten digits, MNIST-format IDX files, binned events.

The event recordings (N-MNIST, SHD) are binned into binary frames. `load_mnist_train_test`
gives the train and test sets `greenspike compare` uses (the 8,000/2,000 split of a t10k-only
folder), so that a script of your own trains and tests on the same images.
"""

from greenspike.data.digits import load_digits
from greenspike.data.events import bin_events
from greenspike.data.idx import read_idx
from greenspike.data.labelled import LabelledImages
from greenspike.data.mnist import load_mnist, load_mnist_train_test, split_train_test

__all__ = [
    "LabelledImages",
    "bin_events",
    "load_digits",
    "load_mnist",
    "load_mnist_train_test",
    "read_idx",
    "split_train_test",
]
