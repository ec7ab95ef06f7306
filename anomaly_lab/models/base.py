"""What every LightningModule here shares: the train/validation/test loss logging and the optimiser setup.

A family only says how its loss is computed (`loss`) and what its anomaly score is (`predict_step`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import lightning as L
import torch

Batch = tuple[torch.Tensor, torch.Tensor]


class LossModule(L.LightningModule, ABC):
    """Logs `<stage>_loss` per epoch (synchronised across DDP ranks) and builds the configured optimiser
    and scheduler from `hparams.optimizer` / `hparams.scheduler` (Hydra partials)."""

    @abstractmethod
    def loss(self, batch: Batch, stage: str) -> torch.Tensor:
        """Mean loss of a batch; `stage` is train, val or test, for any extra terms a family logs."""

    def forward(self, x: torch.Tensor) -> Any:
        return self.net(x)

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        loss = self.loss(batch, "train")
        self.log("train_loss", loss, on_step=False, on_epoch=True, prog_bar=True, sync_dist=True)
        return loss

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        self.log("val_loss", self.loss(batch, "val"), on_epoch=True, prog_bar=True, sync_dist=True)

    def test_step(self, batch: Batch, batch_idx: int) -> None:
        self.log("test_loss", self.loss(batch, "test"), on_epoch=True, sync_dist=True)

    def configure_optimizers(self) -> Any:
        optimizer = self.hparams.optimizer(params=self.parameters())
        if self.hparams.scheduler is None:
            return optimizer
        return {"optimizer": optimizer, "lr_scheduler": self.hparams.scheduler(optimizer=optimizer)}
