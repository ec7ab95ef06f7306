"""LightningModule for variational autoencoders: reconstruction + beta * KL, with a configurable anomaly score."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from anomaly_lab.models.autoencoder import error_function
from anomaly_lab.models.base import Batch, LossModule


def kl_divergence(mean: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """Per-sample KL divergence of N(mean, exp(log_var)) from the unit Gaussian prior."""
    return -0.5 * (1 + log_var - mean.pow(2) - log_var.exp()).sum(dim=1)


def latent_norm(mean: torch.Tensor) -> torch.Tensor:
    """Per-sample sum of z_mean^2 over the latent dimensions: the KL term without its variance parts, the score
    the level-1 trigger VAEs keep (encoder only, no decoder and no exponential on the FPGA)."""
    return mean.flatten(1).pow(2).sum(dim=1)


class VAEModule(LossModule):
    """Trains `net` (returning reconstruction, z_mean, z_log_var) on reconstruction error + beta * KL.

    The anomaly score is the reconstruction error, the KL term, both (the per-sample loss) or mu2 (the latent mean's
    squared norm), as `score` says; `scoring(name)` gives another of them from the same network.
    """

    SCORES = ("reconstruction", "kl", "both", "mu2")

    def __init__(
        self,
        net: nn.Module,
        optimizer: Callable[..., torch.optim.Optimizer],
        scheduler: Callable[..., Any] | None = None,
        compile: bool = False,
        beta: float = 1.0,
        score: str = "reconstruction",
        masked: bool = False,
    ) -> None:
        super().__init__(optimizer, scheduler)
        if score not in self.SCORES:
            raise ValueError(f"model.score: expected one of {self.SCORES}, got {score!r}")
        self.save_hyperparameters(logger=False, ignore=["net", "optimizer", "scheduler"])
        self.set_net(net, compile)
        self.error = error_function(masked)

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return self(x)[0]

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """z_mean: where the encoder puts a sample, without the sampling noise."""
        return self.net.encode(x)[0].flatten(1)

    def _terms(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        recon, mean, log_var = self(x)
        return self.error(x, recon), kl_divergence(mean, log_var)

    def loss(self, batch: Batch, stage: str) -> torch.Tensor:
        recon, kl = self._terms(batch[0])
        self.epoch_mean(f"{stage}_reconstruction", recon.mean(), len(recon))
        self.epoch_mean(f"{stage}_kl", kl.mean(), len(kl))
        return (recon + self.hparams.beta * kl).mean()

    def predict_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        if self.hparams.score in ("mu2", "kl"):  # latent scores need the encoder alone, as a trigger runs them
            mean, log_var = self.net.encode(batch[0])
            return (latent_norm(mean) if self.hparams.score == "mu2" else kl_divergence(mean, log_var)).float()
        recon, kl = self._terms(batch[0])
        score = {"reconstruction": recon, "kl": kl, "both": recon + self.hparams.beta * kl}[self.hparams.score]
        return score.float()
