"""LightningModule for set autoencoders on particle or object lists: trained on and scoring with the Chamfer distance
between the real items and the decoded set, which no ordering of either changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from anomaly_lab.models.autoencoder import AutoencoderModule
from anomaly_lab.models.base import Batch


def squared_distances(items: torch.Tensor, decoded: torch.Tensor) -> torch.Tensor:
    """(batch, items, decoded) squared Euclidean distances, summed feature by feature: exact (0 for equal points,
    unlike the |a|^2 + |b|^2 - 2ab expansion) and never holding more than one (batch, items, decoded) term."""
    distances = torch.zeros(items.shape[0], items.shape[1], decoded.shape[1], dtype=items.dtype, device=items.device)
    for f in range(decoded.shape[-1]):
        distances = distances + (items[..., f].unsqueeze(2) - decoded[..., f].unsqueeze(1)).pow(2)
    return distances


def chamfer_error(x: torch.Tensor, reconstruction: torch.Tensor) -> torch.Tensor:
    """Per-sample squared-distance Chamfer distance between the real items of (batch, items, features + 1) `x` (mask
    last), compared on their first k features, and the (batch, n_decoded, k) decoded set: the mean over real items
    of the distance to the nearest decoded item, plus the mean over decoded items of the distance to the nearest real
    item. Padding never counts; an event with no real item scores 0."""
    real = x[..., -1] > 0
    d = squared_distances(x[..., : reconstruction.shape[-1]], reconstruction)
    n_real = real.sum(1)
    to_decoded = (d.min(2).values * real).sum(1) / n_real.clamp_min(1)
    # padded items are never the nearest; an empty event's inf is replaced, and `where` passes it no gradient
    to_real = torch.where(real.unsqueeze(2), d, torch.inf).min(1).values.mean(1)
    return to_decoded + torch.where(n_real > 0, to_real, torch.zeros_like(to_real))


def nearest_decoded(x: torch.Tensor, reconstruction: torch.Tensor) -> torch.Tensor:
    """For every slot of `x`, the decoded item nearest to it (zeros in padded slots): the decoded set in the input's
    (batch, items, k) shape, as per-feature reconstruction plots read it."""
    d = squared_distances(x[..., : reconstruction.shape[-1]], reconstruction)
    index = d.argmin(2).unsqueeze(-1).expand(-1, -1, reconstruction.shape[-1])
    return reconstruction.gather(1, index) * (x[..., -1:] > 0)


class SetAutoencoderModule(AutoencoderModule):
    """Trains a set autoencoder (`nets.sets.SetAutoencoder`) on the Chamfer distance, its anomaly score; the loss
    compares the decoded set with the same leading `max_particles` items the encoder read."""

    SCORES = ("chamfer",)

    def __init__(
        self,
        net: nn.Module,
        optimizer: Callable[..., torch.optim.Optimizer],
        scheduler: Callable[..., Any] | None = None,
        compile: bool = False,
    ) -> None:
        super().__init__(net, optimizer, scheduler, compile, masked=True)
        self.error = chamfer_error

    def read(self, x: torch.Tensor) -> torch.Tensor:
        """The items the encoder reads (all, or the leading `net.max_particles`), which the loss compares."""
        return self.net.read(x)

    def score(self, x: torch.Tensor) -> torch.Tensor:
        """Per-sample Chamfer distance between the items read and their decoded set."""
        return self.error(self.read(x), self(x))

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """The decoded item nearest to each slot of `x`, in `x`'s (batch, items, k) shape (slots past
        `max_particles`, which the loss does not read, get their nearest decoded item too)."""
        return nearest_decoded(x, self(x))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.net.encode(x)

    def loss(self, batch: Batch, stage: str) -> torch.Tensor:
        return self.score(batch[0]).mean()

    def predict_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        return self.score(batch[0]).float()
