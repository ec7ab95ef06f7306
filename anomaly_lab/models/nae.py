"""LightningModule for the normalized autoencoder (NAE): an energy-based model whose energy is the reconstruction
error, trained to give low energy to background and high energy to negative samples drawn from the model itself.

Why: a plain autoencoder flags *complexity*, not novelty (a top-trained AE reconstructs simple QCD jets better than
top jets). Normalising p(x) = exp(-E(x)/T)/Z forces the energy up wherever the model would otherwise reconstruct
well but no training data lie. Negatives come from Langevin dynamics, first in the latent space (a chain on
E(decoder(z)), on the unit sphere) and then in data space from the decoded point, as in S. Yoon, Y.-K. Noh,
F. C. Park, arXiv:2105.05735, and B. M. Dillon et al., arXiv:2206.14225. The first `pretrain_epochs` train the
plain autoencoder; the energy loss takes over after them. The anomaly score is the energy (reconstruction error).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from anomaly_lab.models.autoencoder import AutoencoderModule
from anomaly_lab.models.base import Batch


@dataclass
class Langevin:
    """One Langevin chain's settings: x <- x - step_size * grad E(x) + noise * N(0, 1), `steps` times."""

    steps: int = 20
    step_size: float = 1.0
    noise: float = 0.01

    def __post_init__(self) -> None:
        if self.steps < 0 or self.step_size < 0 or self.noise < 0:
            raise ValueError(f"model.*_steps, *_step_size, *_noise: expected >= 0, got {self}")


def langevin(
    energy: Callable[[torch.Tensor], torch.Tensor],
    start: torch.Tensor,
    chain: Langevin,
    project: Callable[[torch.Tensor], torch.Tensor],
) -> torch.Tensor:
    """Run `chain` from `start` on the per-sample `energy`, projecting each state back onto the allowed set;
    only the samples carry gradients here (the network's parameters are left untouched)."""
    x = project(start.detach())
    for _ in range(chain.steps):
        x.requires_grad_(True)
        with torch.enable_grad():
            grad = torch.autograd.grad(energy(x).sum(), x)[0]
        x = project((x - chain.step_size * grad + chain.noise * torch.randn_like(x)).detach())
    return x.detach()


def to_sphere(z: torch.Tensor) -> torch.Tensor:
    """Rows of `z` scaled to unit length (the NAE's latent manifold, on which a uniform prior is proper)."""
    return z / z.norm(dim=1, keepdim=True).clamp_min(1e-12)


class NormalizedAutoencoderModule(AutoencoderModule):
    """Autoencoder pretraining, then the NAE loss E(x+) - E(x-) + gamma (E(x+)^2 + E(x-)^2) with negatives x-
    from latent then data-space Langevin chains. `net` needs `encoder` and `decoder` (e.g. DenseAutoencoder)."""

    SCORES = ("reconstruction",)

    def __init__(
        self,
        net: nn.Module,
        optimizer: Callable[..., torch.optim.Optimizer],
        scheduler: Callable[..., Any] | None = None,
        compile: bool = False,
        pretrain_epochs: int = 10,
        temperature: float = 1.0,
        gamma: float = 1.0,
        spherical_latent: bool = True,
        latent_steps: int = 20,
        latent_step_size: float = 0.1,
        latent_noise: float = 0.02,
        data_steps: int = 20,
        data_step_size: float = 10.0,
        data_noise: float = 0.005,
        data_min: float | None = 0.0,
        data_max: float | None = None,
    ) -> None:
        if not all(hasattr(net, part) for part in ("encoder", "decoder")):
            raise ValueError(f"model.net: the NAE needs `encoder` and `decoder` parts, got {type(net).__name__}")
        if temperature <= 0 or gamma < 0 or pretrain_epochs < 0:
            raise ValueError(
                f"model: expected temperature > 0, gamma >= 0, pretrain_epochs >= 0; got {temperature}, {gamma}, "
                f"{pretrain_epochs}"
            )
        super().__init__(net, optimizer, scheduler, compile, masked=False)
        # flat numbers in the signature (and so in hparams): a checkpoint holds plain data and sweeps reach each one
        self.latent_chain = Langevin(latent_steps, latent_step_size, latent_noise)
        self.data_chain = Langevin(data_steps, data_step_size, data_noise)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        z = self.net.encoder(x.flatten(1))
        return to_sphere(z) if self.hparams.spherical_latent else z

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.net.decoder(z).view(-1, *self.net.output_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    def energy(self, x: torch.Tensor) -> torch.Tensor:
        """Per-sample energy: the reconstruction error over the temperature."""
        return self.error(x, self(x)) / self.hparams.temperature

    def clip(self, x: torch.Tensor) -> torch.Tensor:
        """Keep data-space samples in the inputs' range (jet-image pixels are never negative)."""
        return x.clamp(self.hparams.data_min, self.hparams.data_max)

    def negatives(self, n: int, like: torch.Tensor) -> torch.Tensor:
        """`n` negative samples: a latent chain from the prior, decoded, then a data-space chain."""
        z0 = torch.randn(n, self.latent_dim(like), device=like.device, dtype=like.dtype)
        project = to_sphere if self.hparams.spherical_latent else (lambda z: z)
        z = langevin(lambda v: self.energy(self.decode(v)), z0, self.latent_chain, project)
        with torch.no_grad():
            x0 = self.clip(self.decode(z))
        return langevin(self.energy, x0, self.data_chain, self.clip)

    def latent_dim(self, like: torch.Tensor) -> int:
        with torch.no_grad():
            return self.encode(like[:1]).shape[1]

    @property
    def normalising(self) -> bool:
        """True once pretraining is over and the energy loss trains the network."""
        return self._trainer is not None and self.current_epoch >= self.hparams.pretrain_epochs

    def loss(self, batch: Batch, stage: str) -> torch.Tensor:
        x = batch[0]
        positive = self.energy(x)
        if stage != "train" or not self.normalising:
            return positive.mean() * self.hparams.temperature  # the reconstruction MSE, comparable across phases
        negative = self.energy(self.negatives(len(x), x))
        self.epoch_mean("train_positive_energy", positive.mean(), len(x))
        self.epoch_mean("train_negative_energy", negative.mean(), len(x))
        regulariser = positive.pow(2).mean() + negative.pow(2).mean()
        return positive.mean() - negative.mean() + self.hparams.gamma * regulariser

