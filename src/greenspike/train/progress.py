"""How a comparison's training is going: per-epoch records, and a forecast before it starts.

The forecast is measured, not guessed: before any run starts, two training steps of a
throwaway copy of each network warm torch up (`warm_up`); the second step's time, times the
minibatches of all the epochs, is that network's predicted training time on this machine, as
loaded as it is now.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class EpochRecord:
    """One epoch of one network's training.

    Args:
        network: the network's name in the comparison ("relu", "spiking", ...).
        epoch: the epoch, from 0 (quantization-aware epochs follow the float ones).
        epochs: the epochs it trains in all.
        loss: the mean minibatch cross-entropy (without any activity penalty).
        train_accuracy: the share of the epoch's images classified right while training on them.
        elapsed_s: seconds since the network started training.
    """

    network: str
    epoch: int
    epochs: int
    loss: float
    train_accuracy: float
    elapsed_s: float

    @property
    def eta_s(self) -> float:
        """Seconds its remaining epochs should take, at the pace so far."""
        return self.elapsed_s / (self.epoch + 1) * (self.epochs - self.epoch - 1)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (without the network, which keys it in results.json)."""
        return {
            "epoch": self.epoch,
            "loss": self.loss,
            "train_accuracy": self.train_accuracy,
            "elapsed_s": self.elapsed_s,
        }


@dataclass(frozen=True)
class TrainingForecast:
    """Predicted training seconds per network, from a timed minibatch of each.

    Args:
        seconds: network name -> predicted seconds of its training.
        seconds_per_batch: network name -> the timed minibatch, in seconds.
        batches: minibatches per epoch.
        epochs: epochs per network (float and quantization-aware).
    """

    seconds: Mapping[str, float]
    seconds_per_batch: Mapping[str, float]
    batches: int
    epochs: int

    @property
    def total_s(self) -> float:
        """Predicted seconds of all the networks' training."""
        return sum(self.seconds.values())
