"""The Hugging Face Trainer callback against the real transformers, on CPU: tiny model, 2 epochs.

transformers is imported by the tests, not at collection: it imports triton, which must come
after tests/snn/test_kernels.py has asked for Triton's CPU interpreter.
"""

from __future__ import annotations

import pytest

from greenspike.ledger import Ledger

pytestmark = pytest.mark.slow  # transformers takes seconds to import and start


@pytest.fixture(scope="module")
def transformers():
    pytest.importorskip("accelerate")
    return pytest.importorskip("transformers")


def train(transformers, tmp_path, callback, epochs: int):
    import torch

    class Tiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = torch.nn.Linear(4, 2)

        def forward(self, x, labels=None):
            logits = self.layer(x)
            loss = torch.nn.functional.cross_entropy(logits, labels)
            return {"loss": loss, "logits": logits}

    x = torch.randn(32, 4, generator=torch.Generator().manual_seed(0))
    data = [{"x": x[i], "labels": int(x[i, 0] > 0)} for i in range(len(x))]
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "out"),
        num_train_epochs=epochs,
        per_device_train_batch_size=8,
        logging_steps=2,
        eval_strategy="epoch",
        save_strategy="no",
        report_to=[],
        use_cpu=True,
        disable_tqdm=True,
    )
    trainer = transformers.Trainer(
        model=Tiny(), args=args, train_dataset=data, eval_dataset=data, callbacks=[callback]
    )
    trainer.train()
    return trainer


def callback(**options):
    from greenspike.integrations.huggingface import GreenspikeCallback

    return GreenspikeCallback(**options)


def test_a_training_is_a_run_with_epochs_steps_metrics_and_a_forecast(
    transformers, ledger_url, tmp_path, capsys
):
    measuring = callback(every_n_steps=2, intensity_g_per_kwh=100.0)
    train(transformers, tmp_path, measuring, epochs=2)
    run = Ledger(ledger_url).run(measuring.fit.run_id)
    assert (run.name, run.status, run.tags) == ("Tiny", "finished", {"framework": "huggingface"})
    epochs = run.report.windows
    assert [w.name for w in epochs] == ["epoch-0", "epoch-1"]
    assert [w.name for w in epochs[1].windows] == ["steps-4", "steps-6"]  # 4 steps an epoch
    logged = {(m.name, m.step) for m in run.metrics}
    assert {("loss", 2), ("loss", 4), ("eval_loss", 4), ("eval_loss", 8)} <= logged
    assert run.report.forecast.total_epochs == 2 and run.report.forecast.co2e_g is not None
    assert capsys.readouterr().err.count("greenspike: forecast for 2 epochs after 2") == 1


def test_a_training_over_its_budget_stops_at_the_end_of_an_epoch(
    transformers, ledger_url, tmp_path
):
    measuring = callback(energy_budget_kwh=1e-12, verbose=False)
    trainer = train(transformers, tmp_path, measuring, epochs=5)
    assert trainer.state.epoch == 1.0  # stopped after its first epoch
    run = Ledger(ledger_url).run(measuring.fit.run_id)
    assert run.status == "interrupted"
    assert any("stopped by its energy budget after 1 epochs" in n for n in run.report.notes)
