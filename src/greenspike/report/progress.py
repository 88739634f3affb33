"""Progress of a comparison as plain lines: they read the same in a terminal and in a log file.

`forecast_line` warns, before training starts, when the measured forecast says the run will
take more than `LONG_S` on this machine, and says how to make it shorter; `epoch_line` is one
network's epoch; `batch_line` tells a log that a long epoch is still going.
"""

from __future__ import annotations

import math

from greenspike.train import CompareConfig, EpochRecord, TrainingForecast

LONG_S = 180.0  # a run predicted to take longer than this gets a warning first
SHORT_S = 120.0  # what the warning's suggestions aim at


def duration(seconds: float) -> str:
    """`seconds` for people: "8 s", "3.2 min", "1.4 h"."""
    if seconds < 100:
        return f"{seconds:.2g} s" if seconds < 10 else f"{seconds:.0f} s"
    if seconds < 6000:
        return f"{seconds / 60:.2g} min" if seconds < 600 else f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.2g} h"


def epoch_line(record: EpochRecord) -> str:
    """E.g. "spiking epoch 3/20: loss 0.412, train accuracy 88.1%, 2.1 s, ETA 12 s"."""
    eta = "" if record.epoch + 1 == record.epochs else f", ETA {duration(record.eta_s)}"
    return (
        f"{record.network} epoch {record.epoch + 1}/{record.epochs}: loss {record.loss:.4g}, "
        f"train accuracy {record.train_accuracy:.1%}, {duration(record.elapsed_s)}{eta}"
    )


def batch_line(
    network: str, epoch: int, epochs: int, batch: int, batches: int, loss: float, elapsed_s: float
) -> str:
    """E.g. "spiking epoch 1/20, batch 40/125: loss 0.93, 31 s, ETA 40 min"."""
    done = epoch + (batch + 1) / batches
    eta = elapsed_s / done * (epochs - done)
    return (
        f"{network} epoch {epoch + 1}/{epochs}, batch {batch + 1}/{batches}: loss {loss:.4g}, "
        f"{duration(elapsed_s)}, ETA {duration(eta)}"
    )


def forecast_line(forecast: TrainingForecast, config: CompareConfig) -> str | None:
    """A warning when the forecast exceeds LONG_S, with ways to shorten it; None otherwise."""
    total = forecast.total_s
    if total <= LONG_S:
        return None
    each = ", ".join(f"{name} {duration(s)}" for name, s in forecast.seconds.items())
    ways = []
    share = SHORT_S / total
    epochs = max(1, math.floor(config.epochs * share))
    if epochs < config.epochs:
        ways.append(f"--epochs {epochs}")
    images = forecast.batches * config.batch_size
    limit = int(images * share) // 100 * 100
    if config.batch_size <= limit < images:
        ways.append(f"--limit {limit}")
    spiking = [name for name in forecast.seconds if name != "relu"]
    if spiking:
        ways.append(
            f"fewer --steps (now {config.steps}) or a smaller --hidden "
            f"(now {','.join(map(str, config.hidden))})"
        )
    return (
        f"This will take about {duration(total)} of training on this machine as loaded now "
        f"({each}: {forecast.epochs} epochs of {forecast.batches} batches, timed on the "
        f"warm-up). To make it shorter: {', or '.join(ways)}."
    )


def search_forecast_line(
    trials: int, epochs: int, twin_epochs: int, spiking_train_s: float | None
) -> str:
    """What `--optimize` will do, and, from the spiking twin's training time, its longest."""
    line = (
        f"Optimizing: up to {trials} trials of {epochs} epochs on 80% of the train images, "
        "each a spiking network no wider and with no more steps than the spiking twin"
    )
    if spiking_train_s is None:
        return line + "."
    longest = trials * spiking_train_s * 0.8 * epochs / twin_epochs
    twin = duration(spiking_train_s)
    return f"{line}: at most about {duration(longest)} (the spiking twin trained in {twin})."
