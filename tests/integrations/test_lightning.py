"""The Lightning callback against the real Lightning, on CPU: a tiny model, 2 epochs."""

from __future__ import annotations

import pytest

pytest.importorskip("lightning")
import lightning as L
import torch
from torch.utils.data import DataLoader, TensorDataset

from greenspike.integrations.lightning import GreenspikeCallback

pytestmark = pytest.mark.slow  # Lightning takes seconds to import and start
from greenspike.ledger import Ledger  # noqa: E402


class Tiny(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(4, 2)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = torch.nn.functional.cross_entropy(self.layer(x), y)
        self.log("train_loss", loss, on_epoch=True, on_step=False)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_loss", torch.nn.functional.cross_entropy(self.layer(x), y))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


def data() -> DataLoader:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(32, 4, generator=generator)
    return DataLoader(TensorDataset(x, (x[:, 0] > 0).long()), batch_size=8)


def fit(callback: GreenspikeCallback, max_epochs: int) -> L.Trainer:
    trainer = L.Trainer(
        max_epochs=max_epochs,
        accelerator="cpu",
        devices=1,
        callbacks=[callback],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(Tiny(), data(), data())
    return trainer


def test_a_fit_is_a_run_with_epochs_steps_metrics_and_a_forecast(ledger_url, capsys):
    callback = GreenspikeCallback(every_n_steps=2, country="FRA", tags={"group": "tiny"})
    fit(callback, max_epochs=2)
    run = Ledger(ledger_url).run(callback.fit.run_id)
    assert (run.name, run.status) == ("Tiny", "finished")
    assert run.tags == {"framework": "lightning", "group": "tiny"}
    assert run.metadata["max_epochs"] == 2
    epochs = run.report.windows
    assert [w.name for w in epochs] == ["epoch-0", "epoch-1"]
    assert [w.name for w in epochs[0].windows] == ["steps-0", "steps-2"]  # 4 batches, 2 a window
    assert all(w.status == "finished" for w in epochs)
    names = {(m.name, m.step) for m in run.metrics}
    assert {("train_loss", 0), ("train_loss", 1), ("val_loss", 0), ("val_loss", 1)} <= names
    assert run.report.forecast.total_epochs == 2
    assert capsys.readouterr().err.count("greenspike: forecast for 2 epochs after 2") == 1


def test_a_fit_over_its_budget_stops_at_the_end_of_an_epoch(ledger_url):
    callback = GreenspikeCallback(energy_budget_kwh=1e-12, verbose=False)
    trainer = fit(callback, max_epochs=5)
    assert trainer.current_epoch == 1  # stopped after its first epoch
    run = Ledger(ledger_url).run(callback.fit.run_id)
    assert run.status == "interrupted"
    assert any("stopped by its energy budget after 1 epochs" in n for n in run.report.notes)


def test_a_failing_fit_ends_its_run_as_failed(ledger_url):
    class Broken(Tiny):
        def training_step(self, batch, batch_idx):
            raise RuntimeError("boom")

    callback = GreenspikeCallback(verbose=False)
    trainer = L.Trainer(
        max_epochs=1,
        accelerator="cpu",
        callbacks=[callback],
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=False,
    )
    with pytest.raises(RuntimeError, match="boom"):
        trainer.fit(Broken(), data())
    run = Ledger(ledger_url).run(callback.fit.run_id)
    assert run.status == "failed" and "ended by RuntimeError: boom" in run.report.notes


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="every_n_steps must be an integer >= 1"):
        GreenspikeCallback(every_n_steps=0)
    with pytest.raises(ValueError, match="forecast_after must be an integer >= 2"):
        GreenspikeCallback(forecast_after=1)
