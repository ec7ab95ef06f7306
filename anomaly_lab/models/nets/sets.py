"""A set autoencoder on particle or object lists (batch, items, features + mask): it reads the list as a set, so
the order of the items and any padded slot leave its latent vector unchanged; the decoder emits a fixed-size set."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from anomaly_lab.models.nets.dense import mlp
from anomaly_lab.models.nets.particles import features_and_mask

SET_ENCODERS = ("deepsets", "attention")
POOLINGS = ("sum", "mean")


def masked_pool(h: torch.Tensor, mask: torch.Tensor, mean: bool) -> torch.Tensor:
    """Sum (or mean) of (batch, items, width) `h` over the real items of (batch, items) `mask`; 0 for an empty event."""
    total = (h * mask.unsqueeze(-1)).sum(1)
    return total / mask.sum(1, keepdim=True).clamp_min(1) if mean else total


class _AttentionBlock(nn.Module):
    """Post-norm transformer encoder block whose keys are the real items only (padded keys get no weight)."""

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.attention = nn.MultiheadAttention(width, heads, batch_first=True)
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.feedforward = mlp([width, 2 * width, width])

    def forward(self, h: torch.Tensor, padding: torch.Tensor) -> torch.Tensor:
        attended, _ = self.attention(h, h, h, key_padding_mask=padding, need_weights=False)
        h = self.norm1(h + attended)
        return self.norm2(h + self.feedforward(h))


class SetAutoencoder(nn.Module):
    """Permutation-invariant encoder (Deep Sets: per-item MLP phi, masked sum or mean, MLP rho; or masked
    self-attention blocks and a masked mean) to `latent_dim`, and an MLP decoder to `n_decoded` x `n_outputs`.

    The decoder is a plain MLP with its own weights per output slot: the set loss (Chamfer) does not care which slot
    holds which particle, so per-slot weights lose nothing, and unlike learned slot queries it needs no attention in
    the decoder to let the slots differ (it is the seed VAE's decoder, and traces for export as it is).
    `max_particles` reads only the leading slots (pT-ordered lists); `n_outputs` (default `n_features`) is the
    number of leading features decoded (ADC2021: pT, eta, phi, the object type being input only).
    """

    def __init__(
        self,
        n_features: int = 3,
        n_outputs: int | None = None,
        n_decoded: int = 100,
        encoder: str = "deepsets",
        pooling: str = "sum",
        phi: Sequence[int] = (64, 64),
        rho: Sequence[int] = (64,),
        width: int = 32,
        heads: int = 4,
        blocks: int = 1,
        hidden: Sequence[int] = (128, 256),
        latent_dim: int = 16,
        max_particles: int | None = None,
    ) -> None:
        super().__init__()
        if encoder not in SET_ENCODERS:
            raise ValueError(f"model.net.encoder: expected one of {SET_ENCODERS}, got {encoder!r}")
        if pooling not in POOLINGS:
            raise ValueError(f"model.net.pooling: expected one of {POOLINGS}, got {pooling!r}")
        if encoder == "attention" and blocks not in (1, 2):
            raise ValueError(f"model.net.blocks: expected 1 or 2 attention blocks, got {blocks!r}")
        if encoder == "attention" and width % heads:
            raise ValueError(f"model.net.heads: expected a divisor of model.net.width={width}, got {heads}")
        if max_particles is not None and max_particles < 1:
            raise ValueError(f"model.net.max_particles: expected a positive slot count or null, got {max_particles}")
        self.n_features, self.n_decoded = n_features, n_decoded
        self.n_outputs = n_features if n_outputs is None else n_outputs
        self.encoder_kind, self.pooling, self.max_particles = encoder, pooling, max_particles
        if encoder == "deepsets":
            self.phi = nn.Sequential(mlp([n_features, *phi]), nn.ReLU())
            self.rho = mlp([phi[-1], *rho, latent_dim])
        else:
            self.embed = nn.Linear(n_features, width)
            self.blocks = nn.ModuleList(_AttentionBlock(width, heads) for _ in range(blocks))
            self.rho = nn.Linear(width, latent_dim)
        self.decoder = mlp([latent_dim, *hidden, n_decoded * self.n_outputs])

    def read(self, x: torch.Tensor) -> torch.Tensor:
        """The slots the encoder reads: the leading `max_particles` of (batch, items, features + mask), or all."""
        return x if self.max_particles is None else x[:, : self.max_particles]

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        features, mask = features_and_mask(self.read(x))
        if self.encoder_kind == "deepsets":
            return self.rho(masked_pool(self.phi(features), mask, mean=self.pooling == "mean"))
        padding = mask <= 0
        # an event with no real item would leave every key masked (NaN attention): it attends to its first slot
        # (zeros), whose output the pooling drops anyway
        first = torch.arange(padding.shape[1], device=padding.device) == 0
        padding = padding & ~(padding.all(1, keepdim=True) & first)
        h = self.embed(features)
        for block in self.blocks:
            h = block(h, padding)
        return self.rho(masked_pool(h, mask, mean=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encode(x)).view(-1, self.n_decoded, self.n_outputs)
