"""A PyTorch Lightning callback that measures the energy of `trainer.fit`.

    import lightning as L
    from greenspike.integrations.lightning import GreenspikeCallback

    trainer = L.Trainer(max_epochs=10, callbacks=[GreenspikeCallback(country="FRA")])
    trainer.fit(model, data)

Each `fit` is one tracked run, kept in the ledger (tag framework=lightning): a window per
training epoch (validation included: Lightning runs it before the epoch ends), and with
`every_n_steps` a window per N training batches inside it; the metrics Lightning collected by
the end of each epoch (`trainer.callback_metrics`) are kept at step = epoch. After
`forecast_after` epochs rank 0 prints the forecast of the whole fit (max_epochs), and with
`energy_budget_kwh` the fit stops at the end of the epoch where the job's forecast exceeds the
budget with high confidence (`trainer.should_stop`); the run then ends "interrupted" with the
reason. With DDP each rank is a run of one job (its GPU, and the node's CPU and memory once per
node); the job id is broadcast from rank 0 when the launcher gives none.

Lightning is imported from `lightning` (2.x), else from `pytorch_lightning`; the callback
derives from that package's Callback, since a Trainer accepts only its own.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from greenspike.energy.placement import Placement, detect_placement
from greenspike.energy.scope import Scope
from greenspike.energy.tracker import status_of
from greenspike.errors import MissingExtraError
from greenspike.integrations._fit import FitTracker, TrackingOptions
from greenspike.tracking import LedgerOption

try:
    from lightning.pytorch.callbacks import Callback
except ImportError:
    try:
        from pytorch_lightning.callbacks import Callback  # type: ignore[assignment]
    except ImportError as error:
        raise MissingExtraError(
            "the Lightning callback needs PyTorch Lightning: pip install 'greenspike[lightning]'"
        ) from error


class GreenspikeCallback(Callback):
    """Measures each `trainer.fit` as a tracked run (see the module).

    Args:
        name: the run's name (default: the LightningModule's class name).
        every_n_steps: also a window per this many training batches, inside each epoch.
        total_epochs: the epochs of the whole fit, for the forecast (default: max_epochs).
        energy_budget_kwh: stop the fit when the job's forecast exceeds this with high
            confidence (its low end) or the job has used it.
        forecast_after: print the forecast after this many epochs (at least 2).
        scope: "machine" or "process" (see greenspike.energy.scope).
        country, intensity_g_per_kwh, pue, interval_s, ledger, tags, metadata: as for
            `greenspike.EnergyTracker`.
        job_id: the job id shared by the ranks (default: the launcher's, else rank 0's).
        verbose: print the forecast and a budget stop (rank 0, standard error).

    Raises:
        InvalidInputError: a bad option.
    """

    def __init__(
        self,
        name: str | None = None,
        *,
        every_n_steps: int | None = None,
        total_epochs: int | None = None,
        energy_budget_kwh: float | None = None,
        forecast_after: int = 2,
        scope: Scope = "machine",
        country: str | None = None,
        intensity_g_per_kwh: float | None = None,
        pue: float | str = 1.0,
        interval_s: float = 1.0,
        ledger: LedgerOption = "default",
        tags: Mapping[str, object] | None = None,
        metadata: Mapping[str, Any] | None = None,
        job_id: str | None = None,
        verbose: bool = True,
    ):
        super().__init__()
        self.fit = FitTracker(
            TrackingOptions(
                name=name,
                every_n_steps=every_n_steps,
                total_epochs=total_epochs,
                energy_budget_kwh=energy_budget_kwh,
                forecast_after=forecast_after,
                scope=scope,
                country=country,
                intensity_g_per_kwh=intensity_g_per_kwh,
                pue=pue,
                interval_s=interval_s,
                ledger=ledger,
                tags=tags,
                metadata=metadata,
                job_id=job_id,
                verbose=verbose,
            ),
            "lightning",
        )

    @property
    def tracker(self):
        """The EnergyTracker of the latest fit (None before the first)."""
        return self.fit.tracker

    def on_fit_start(self, trainer, pl_module) -> None:
        """Start the fit's run, with this rank's place in the job."""
        max_epochs = trainer.max_epochs
        options = self.fit.options
        self.fit.begin(
            _placement(trainer, options.job_id),
            max_epochs if max_epochs is not None and max_epochs > 0 else None,
            reduce=lambda values: _sum_over_ranks(trainer, values),
            metadata={
                "model": type(pl_module).__name__,
                "max_epochs": max_epochs,
                "precision": str(trainer.precision),
            },
            name=type(pl_module).__name__,
        )

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        """Open the epoch's window."""
        self.fit.epoch_started(trainer.current_epoch)

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        """Open a window of N batches, with `every_n_steps`."""
        self.fit.step_started(trainer.global_step)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        """Close the window of N batches once full."""
        self.fit.step_ended()

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        """Close the epoch, keep its metrics; stop the fit when over budget."""
        if self.fit.epoch_ended(trainer.callback_metrics, step=trainer.current_epoch):
            trainer.should_stop = True

    def on_fit_end(self, trainer, pl_module) -> None:
        """End the run: finished, or interrupted by the budget."""
        self.fit.end()

    def on_exception(self, trainer, pl_module, exception: BaseException) -> None:
        """End the run as failed (or interrupted, for Ctrl-C and SIGTERM)."""
        status = status_of(exception)
        self.fit.end(status, f"ended by {type(exception).__name__}: {exception}".removesuffix(": "))


def _placement(trainer, job_id: str | None) -> Placement:
    """This rank's place, from the Trainer; the job id from the launcher, else from rank 0."""
    detected = detect_placement(job_id)
    placement = dataclasses.replace(
        detected,
        launcher=detected.launcher or ("torch.distributed" if trainer.world_size > 1 else None),
        rank=trainer.global_rank,
        world_size=trainer.world_size,
        local_rank=trainer.local_rank,
        local_world_size=trainer.num_devices,
        node_rank=trainer.node_rank,
    )
    if trainer.world_size > 1:
        # rank 0's job id for all (each rank's own could differ: Lightning's launcher starts the
        # other ranks as rank 0's children); every rank calls on_fit_start: a collective is safe
        shared = trainer.strategy.broadcast(detected.job_id or f"lightning-{uuid.uuid4()}", src=0)
        placement = dataclasses.replace(placement, job_id=shared)
    return placement


def _sum_over_ranks(trainer, values: Sequence[float]) -> Sequence[float]:
    if trainer.world_size <= 1:
        return values
    import torch

    tensor = torch.tensor(list(values), dtype=torch.float64, device=trainer.strategy.root_device)
    return trainer.strategy.reduce(tensor, reduce_op="sum").cpu().tolist()
