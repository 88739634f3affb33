"""Train a conventional network and its spiking twin on one task, and compare them."""

from greenspike.train.compare import CompareConfig, compare, write_results
from greenspike.train.datasets import DATASETS, load_dataset
from greenspike.train.loop import evaluate, fit
from greenspike.train.models import ENCODINGS, MODELS, build_pair

__all__ = [
    "DATASETS",
    "ENCODINGS",
    "MODELS",
    "CompareConfig",
    "build_pair",
    "compare",
    "evaluate",
    "fit",
    "load_dataset",
    "write_results",
]
