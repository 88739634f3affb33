"""A Hugging Face Trainer callback that measures the energy of `trainer.train()`.

    from transformers import Trainer
    from greenspike.integrations.huggingface import GreenspikeCallback

    trainer = Trainer(model=model, args=args, train_dataset=data,
                      callbacks=[GreenspikeCallback(country="FRA")])
    trainer.train()

Each `train()` is one tracked run, kept in the ledger (tag framework=huggingface): a window per
epoch (the Trainer evaluates after the epoch ends, between two windows: that energy is in the
run and in the forecast's epoch cycles), and with `every_n_steps` a window per N optimizer
steps inside it; every number the Trainer logs (loss, learning rate, eval metrics) is kept at
step = its global step. After `forecast_after` epochs the main process prints the forecast of
the whole training, and with `energy_budget_kwh` training stops at the end of the epoch where
the job's forecast exceeds the budget with high confidence (`control.should_training_stop`);
the run then ends "interrupted" with the reason. With several processes (torchrun, accelerate)
each is a run of one job; the job id is broadcast from the main process when the launcher gives
none.

The Trainer has no hook for an exception: a training that raises leaves its run open until the
next `train()` of this callback (which closes it "interrupted") or until Python exits.
"""

from __future__ import annotations

import dataclasses
import math
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from greenspike.energy.placement import Placement, detect_placement
from greenspike.energy.scope import Scope
from greenspike.errors import MissingExtraError
from greenspike.integrations._fit import FitTracker, TrackingOptions
from greenspike.tracking import LedgerOption

try:
    from transformers import TrainerCallback
except ImportError as error:
    raise MissingExtraError(
        "the Hugging Face callback needs transformers: pip install 'greenspike[huggingface]'"
    ) from error


class GreenspikeCallback(TrainerCallback):
    """Measures each `trainer.train()` as a tracked run (see the module).

    Args:
        name: the run's name (default: the model's class name).
        every_n_steps: also a window per this many optimizer steps, inside each epoch.
        total_epochs: the epochs of the whole training, for the forecast (default: the
            Trainer's).
        energy_budget_kwh: stop training when the job's forecast exceeds this with high
            confidence (its low end) or the job has used it.
        forecast_after: print the forecast after this many epochs (at least 2).
        scope: "machine" or "process" (see greenspike.energy.scope).
        country, intensity_g_per_kwh, pue, interval_s, ledger, tags, metadata: as for
            `greenspike.EnergyTracker`.
        job_id: the job id shared by the processes (default: the launcher's, else the main
            process's).
        verbose: print the forecast and a budget stop (main process, standard error).

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
            "huggingface",
        )
        self._epoch = 0

    @property
    def tracker(self):
        """The EnergyTracker of the latest training (None before the first)."""
        return self.fit.tracker

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        """Start the training's run, with this process's place in the job."""
        epochs = getattr(state, "num_train_epochs", 0) or math.ceil(args.num_train_epochs)
        self.fit.begin(
            _placement(args, self.fit.options.job_id),
            int(epochs) if epochs and epochs > 0 else None,
            reduce=lambda values: _sum_over_ranks(args, values),
            metadata={
                "model": type(model).__name__ if model is not None else None,
                "num_train_epochs": args.num_train_epochs,
                "max_steps": state.max_steps,
            },
            name=None if model is None else type(model).__name__,
        )
        self._epoch = 0

    def on_epoch_begin(self, args, state, control, **kwargs):
        """Open the epoch's window."""
        self.fit.epoch_started(self._epoch)

    def on_step_begin(self, args, state, control, **kwargs):
        """Open a window of N steps, with `every_n_steps`."""
        self.fit.step_started(state.global_step)

    def on_step_end(self, args, state, control, **kwargs):
        """Close the window of N steps once full."""
        self.fit.step_ended()

    def on_log(self, args, state, control, logs=None, **kwargs):
        """Keep the numbers the Trainer logs, at its global step."""
        self.fit.log(logs or {}, state.global_step)

    def on_epoch_end(self, args, state, control, **kwargs):
        """Close the epoch; stop training when over budget."""
        if self.fit.epoch_ended():
            control.should_training_stop = True
        self._epoch += 1
        return control

    def on_train_end(self, args, state, control, **kwargs):
        """End the run: finished, or interrupted by the budget."""
        self.fit.end()


def _placement(args, job_id: str | None) -> Placement:
    """This process's place, from the TrainingArguments; the job id shared by all."""
    detected = detect_placement(job_id)
    world_size = args.world_size
    placement = dataclasses.replace(
        detected,
        launcher=detected.launcher or ("torch.distributed" if world_size > 1 else None),
        rank=args.process_index,
        world_size=world_size,
        local_rank=args.local_process_index,
    )
    if world_size > 1:
        import torch.distributed as dist

        shared = [detected.job_id or f"huggingface-{uuid.uuid4()}"]
        dist.broadcast_object_list(shared, src=0)  # every process calls on_train_begin
        placement = dataclasses.replace(placement, job_id=shared[0])
    return placement


def _sum_over_ranks(args, values: Sequence[float]) -> Sequence[float]:
    if args.world_size <= 1:
        return values
    import torch
    import torch.distributed as dist

    tensor = torch.tensor(list(values), dtype=torch.float64, device=args.device)
    dist.all_reduce(tensor)
    return tensor.cpu().tolist()
