"""The Lightning callback against the real Lightning, on CPU: a tiny model, 2 epochs.

Lightning is imported by the tests, not at collection: it imports triton, which must come after
tests/snn/test_kernels.py has asked for Triton's CPU interpreter.
"""

from __future__ import annotations

import pytest

from greenspike.ledger import Ledger

pytestmark = pytest.mark.slow  # Lightning takes seconds to import and start


@pytest.fixture(scope="module")
def lightning():
    return pytest.importorskip("lightning")


@pytest.fixture(scope="module")
def tiny(lightning):
    import torch

    class Tiny(lightning.LightningModule):
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

    return Tiny


def data():
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    generator = torch.Generator().manual_seed(0)
    x = torch.randn(32, 4, generator=generator)
    return DataLoader(TensorDataset(x, (x[:, 0] > 0).long()), batch_size=8)


def trainer(lightning, callback, max_epochs: int):
    return lightning.Trainer(
        max_epochs=max_epochs,
        accelerator="cpu",
        devices=1,
        callbacks=[callback],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )


def callback(**options):
    from greenspike.integrations.lightning import GreenspikeCallback

    return GreenspikeCallback(**options)


def test_a_fit_is_a_run_with_epochs_steps_metrics_and_a_forecast(
    lightning, tiny, ledger_url, capsys
):
    measuring = callback(every_n_steps=2, country="FRA", tags={"group": "tiny"})
    trainer(lightning, measuring, max_epochs=2).fit(tiny(), data(), data())
    run = Ledger(ledger_url).run(measuring.fit.run_id)
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


def test_a_fit_over_its_budget_stops_at_the_end_of_an_epoch(lightning, tiny, ledger_url):
    measuring = callback(energy_budget_kwh=1e-12, verbose=False)
    fitting = trainer(lightning, measuring, max_epochs=5)
    fitting.fit(tiny(), data(), data())
    assert fitting.current_epoch == 1  # stopped after its first epoch
    run = Ledger(ledger_url).run(measuring.fit.run_id)
    assert run.status == "interrupted"
    assert any("stopped by its energy budget after 1 epochs" in n for n in run.report.notes)


def test_a_failing_fit_ends_its_run_as_failed(lightning, tiny, ledger_url):
    class Broken(tiny):
        def training_step(self, batch, batch_idx):
            raise RuntimeError("boom")

    measuring = callback(verbose=False)
    with pytest.raises(RuntimeError, match="boom"):
        trainer(lightning, measuring, max_epochs=1).fit(Broken(), data())
    run = Ledger(ledger_url).run(measuring.fit.run_id)
    assert run.status == "failed" and "ended by RuntimeError: boom" in run.report.notes


def test_bad_options_are_refused(lightning):
    with pytest.raises(ValueError, match="every_n_steps must be an integer >= 1"):
        callback(every_n_steps=0)
    with pytest.raises(ValueError, match="forecast_after must be an integer >= 2"):
        callback(forecast_after=1)
