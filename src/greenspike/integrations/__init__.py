"""Measuring inside training frameworks: PyTorch Lightning and the Hugging Face Trainer.

    from greenspike.integrations.lightning import GreenspikeCallback      # Lightning
    from greenspike.integrations.huggingface import GreenspikeCallback    # transformers

Each callback is a tracked run (kept in the ledger) with a window per epoch, and optionally per
N steps, the framework's logged metrics copied into the ledger, a forecast of the whole run
printed once, and an optional energy budget that stops training cleanly. In a distributed run
every rank tracks its own run in one job (greenspike.energy.duties). The frameworks are
optional dependencies, imported only by their module: `pip install 'greenspike[lightning]'` or
`'greenspike[huggingface]'`.

`report_epoch(**metrics)` is for scripts run by `greenspike track --epochs N`: it tells
greenspike that an epoch ended (greenspike.energy.epochs_file).
"""

from greenspike.energy.epochs_file import report_epoch

__all__ = ["report_epoch"]
