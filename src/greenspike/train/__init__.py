"""Train a conventional network and its spiking twin on one task, and compare them."""

from greenspike.train.comparison import add_network, compare, write_results
from greenspike.train.config import CompareConfig
from greenspike.train.datasets import DATASETS, load_dataset
from greenspike.train.inference import BreakEven, DeploymentEnergy, InferenceCost
from greenspike.train.levers import Levers, StepsBreakEven
from greenspike.train.loop import evaluate, fit
from greenspike.train.models import ENCODINGS, MODELS, build_pair
from greenspike.train.progress import EpochRecord, TrainingForecast
from greenspike.train.results import CompareResult, NetworkResult, Pairing
from greenspike.train.spec import NetworkSpec

__all__ = [
    "DATASETS",
    "ENCODINGS",
    "MODELS",
    "BreakEven",
    "CompareConfig",
    "CompareResult",
    "DeploymentEnergy",
    "EpochRecord",
    "InferenceCost",
    "Levers",
    "NetworkResult",
    "NetworkSpec",
    "Pairing",
    "StepsBreakEven",
    "TrainingForecast",
    "add_network",
    "build_pair",
    "compare",
    "evaluate",
    "fit",
    "load_dataset",
    "write_results",
]
