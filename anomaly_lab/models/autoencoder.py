"""LightningModule for plain autoencoders: reconstruction training, per-sample reconstruction-error scores."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from anomaly_lab.models.base import Batch, LossModule
from anomaly_lab.models.decorrelation import distance_correlation


def reconstruction_error(x: torch.Tensor, reconstruction: torch.Tensor) -> torch.Tensor:
    """Per-sample mean squared error over every non-batch axis: the anomaly score."""
    return (x - reconstruction).pow(2).flatten(1).mean(dim=1)


def masked_reconstruction_error(x: torch.Tensor, reconstruction: torch.Tensor) -> torch.Tensor:
    """Per-sample mean squared error over real items only, for (batch, items, features + 1) inputs whose last
    feature is 1 for a real item and 0 for padding. `reconstruction` (batch, items, k) is compared with the first
    k features of `x`: all but the mask for LHCO particles, (pT, eta, phi) for ADC2021 objects, whose object-type
    one-hot is input only. An event with no real item scores 0."""
    mask = x[..., -1:]
    squared = (x[..., : reconstruction.shape[-1]] - reconstruction).pow(2) * mask
    n_real = mask.flatten(1).sum(1).clamp_min(1) * reconstruction.shape[-1]
    return squared.flatten(1).sum(1) / n_real


def error_function(masked: bool) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The reconstruction error a module trains on and scores with."""
    return masked_reconstruction_error if masked else reconstruction_error


class AutoencoderModule(LossModule):
    """Trains `net` to reconstruct background with MSE; `predict_step` returns anomaly scores.

    With `decorrelation_weight` > 0 and batches `(x, y, v)` (`data.decorrelate`), the loss adds that weight times
    the distance correlation of the batch's errors with v (DisCo): a cut on the score then sculpts v less.
    """

    SCORES = ("reconstruction",)

    def __init__(
        self,
        net: nn.Module,
        optimizer: Callable[..., torch.optim.Optimizer],
        scheduler: Callable[..., Any] | None = None,
        compile: bool = False,
        masked: bool = False,
        decorrelation_weight: float = 0.0,
    ) -> None:
        super().__init__(optimizer, scheduler)
        if decorrelation_weight < 0:
            raise ValueError(f"model.decorrelation_weight: expected >= 0, got {decorrelation_weight}")
        self.save_hyperparameters(logger=False, ignore=["net", "optimizer", "scheduler"])
        self.set_net(net, compile)
        self.error = error_function(masked)

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return self(x)

    def encode(self, x: torch.Tensor) -> torch.Tensor | None:
        # networks without a separate encoder (the seed's 1-D CAE) have no latent space worth drawing
        encoder = getattr(self.net, "encode", None)
        return None if encoder is None else encoder(x).flatten(1)

    def loss(self, batch: Batch, stage: str) -> torch.Tensor:
        x = batch[0]
        error = self.error(x, self(x))
        weight = self.hparams.get("decorrelation_weight", 0.0)
        if len(batch) < 3:
            if weight > 0:
                raise ValueError("model.decorrelation_weight > 0 needs data.decorrelate=<per-sample extra, e.g. mjj>")
            return error.mean()
        # measured even at weight 0: the correlation a plain run leaves, to compare with
        disco = distance_correlation(error, batch[2])
        self.epoch_mean(f"{stage}_disco", disco, len(error))
        return error.mean() + weight * disco if weight > 0 else error.mean()

    def predict_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        x = batch[0]
        return self.error(x, self(x)).float()
