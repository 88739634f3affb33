"""Training under torchrun (2 processes, gloo on CPU) with a greenspike callback (not a test).

python -m torch.distributed.run --nproc-per-node 2 ddp_script.py lightning|huggingface OUT
"""

from __future__ import annotations

import sys

import torch


def lightning(out: str) -> None:
    import lightning as L
    from torch.utils.data import DataLoader, TensorDataset

    from greenspike.integrations.lightning import GreenspikeCallback

    class Tiny(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.layer = torch.nn.Linear(4, 2)

        def training_step(self, batch, batch_idx):
            x, y = batch
            loss = torch.nn.functional.cross_entropy(self.layer(x), y)
            self.log("train_loss", loss, on_epoch=True, on_step=False, sync_dist=True)
            return loss

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    x = torch.randn(64, 4, generator=torch.Generator().manual_seed(0))
    data = DataLoader(TensorDataset(x, (x[:, 0] > 0).long()), batch_size=8)
    callback = GreenspikeCallback(tags={"test": out})
    trainer = L.Trainer(
        max_epochs=2,
        accelerator="cpu",
        devices=2,
        strategy="ddp",
        callbacks=[callback],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(Tiny(), data)


def huggingface(out: str) -> None:
    from transformers import Trainer, TrainingArguments

    from greenspike.integrations.huggingface import GreenspikeCallback

    class Tiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = torch.nn.Linear(4, 2)

        def forward(self, x, labels=None):
            logits = self.layer(x)
            return {"loss": torch.nn.functional.cross_entropy(logits, labels), "logits": logits}

    x = torch.randn(64, 4, generator=torch.Generator().manual_seed(0))
    data = [{"x": x[i], "labels": int(x[i, 0] > 0)} for i in range(len(x))]
    args = TrainingArguments(
        output_dir=out,
        num_train_epochs=2,
        per_device_train_batch_size=8,
        save_strategy="no",
        report_to=[],
        use_cpu=True,
        disable_tqdm=True,
        ddp_backend="gloo",
        logging_steps=2,
    )
    callback = GreenspikeCallback(tags={"test": out})
    Trainer(model=Tiny(), args=args, train_dataset=data, callbacks=[callback]).train()


if __name__ == "__main__":
    {"lightning": lightning, "huggingface": huggingface}[sys.argv[1]](sys.argv[2])
