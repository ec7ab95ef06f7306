"""LightningModule for the supervised upper bound: a binary classifier whose signal probability is the score."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.nn.functional import binary_cross_entropy_with_logits

from anomaly_lab.models.base import Batch, LossModule


class ClassifierModule(LossModule):
    """Trains `net` (one logit per sample) with binary cross-entropy on labelled background and signal."""

    def __init__(
        self,
        net: nn.Module,
        optimizer: Callable[..., torch.optim.Optimizer],
        scheduler: Callable[..., Any] | None = None,
        compile: bool = False,
    ) -> None:
        super().__init__(optimizer, scheduler)
        self.save_hyperparameters(logger=False, ignore=["net", "optimizer", "scheduler"])
        self.set_net(net, compile)

    def loss(self, batch: Batch, stage: str) -> torch.Tensor:
        x, y = batch
        return binary_cross_entropy_with_logits(self(x), y.float())

    def predict_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        # the logit, not the probability: same ranking, and no saturation at 1.0 ties for confident signal
        return self(batch[0]).float()
