"""Networks on particle lists (batch, particles, features + mask): the LHC Olympics seed's VAE, RNN and CNN AEs.

Inputs carry a last feature that is 1 for a real particle and 0 for padding; every network outputs the
(batch, particles, features) reconstruction, and the module's masked loss ignores padded particles.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from anomaly_lab.models.nets.dense import mlp

ENCODERS = ("conv1d", "per_particle_dense", "flat_dense")


def features_and_mask(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Split (batch, particles, features + 1) into masked features and the (batch, particles) mask."""
    mask = x[..., -1]
    return x[..., :-1] * mask.unsqueeze(-1), mask


class _Conv1dPerParticle(nn.Module):
    """Kernel-1 Conv1D over the particle axis: the same small network applied to each particle."""

    def __init__(self, sizes: Sequence[int]) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for a, b in zip(sizes[:-1], sizes[1:], strict=True):
            layers += [nn.Conv1d(a, b, kernel_size=1), nn.ReLU()]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.transpose(1, 2)).transpose(1, 2)


class ParticleVAE(nn.Module):
    """VAE with a choice of encoder: per-particle Conv1D (kernel 1), per-particle dense, or dense on the
    flattened list; then dense layers to z_mean and z_log_var; a dense decoder back to the particle list."""

    def __init__(
        self,
        n_particles: int = 700,
        n_features: int = 3,
        encoder: str = "conv1d",
        particle_channels: Sequence[int] = (32, 16),
        hidden: Sequence[int] = (256, 64),
        latent_dim: int = 8,
    ) -> None:
        super().__init__()
        if encoder not in ENCODERS:
            raise ValueError(f"model.net.encoder: expected one of {ENCODERS}, got {encoder!r}")
        self.n_particles, self.n_features = n_particles, n_features
        sizes = [n_features, *particle_channels]
        if encoder == "conv1d":
            self.per_particle: nn.Module = _Conv1dPerParticle(sizes)
        elif encoder == "per_particle_dense":
            self.per_particle = nn.Sequential(mlp(sizes), nn.ReLU())
        else:
            self.per_particle, sizes = nn.Identity(), [n_features]
        self.encoder = nn.Sequential(mlp([n_particles * sizes[-1], *hidden]), nn.ReLU())
        self.z_mean = nn.Linear(hidden[-1], latent_dim)
        self.z_log_var = nn.Linear(hidden[-1], latent_dim)
        self.decoder = mlp([latent_dim, *reversed(hidden), n_particles * n_features])

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features, _ = features_and_mask(x)
        h = self.encoder(self.per_particle(features).flatten(1))
        return self.z_mean(h), self.z_log_var(h)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mean, log_var = self.encode(x)
        # sample while training; the mean when scoring, so that scores are deterministic
        z = mean + torch.randn_like(mean) * torch.exp(0.5 * log_var) if self.training else mean
        return self.decoder(z).view(-1, self.n_particles, self.n_features), mean, log_var


class RecurrentAutoencoder(nn.Module):
    """GRU or LSTM autoencoder: the encoder reads only the real particles (packed sequences, the masking),
    its last state becomes the latent vector, and a decoder RNN unrolls it over every particle slot."""

    def __init__(
        self, n_features: int = 3, cell: str = "gru", hidden_size: int = 64, latent_dim: int = 16, num_layers: int = 1
    ) -> None:
        super().__init__()
        rnn = {"gru": nn.GRU, "lstm": nn.LSTM}.get(cell)
        if rnn is None:
            raise ValueError(f"model.net.cell: expected 'gru' or 'lstm', got {cell!r}")
        self.encoder = rnn(n_features, hidden_size, num_layers, batch_first=True)
        self.to_latent = nn.Linear(hidden_size, latent_dim)
        self.from_latent = nn.Linear(latent_dim, hidden_size)
        self.decoder = rnn(hidden_size, hidden_size, num_layers, batch_first=True)
        self.output = nn.Linear(hidden_size, n_features)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        features, mask = features_and_mask(x)
        lengths = mask.sum(1).clamp_min(1).long().cpu()
        packed = pack_padded_sequence(features, lengths, batch_first=True, enforce_sorted=False)
        _, state = self.encoder(packed)
        last = state[0] if isinstance(state, tuple) else state  # LSTM returns (h, c)
        return self.to_latent(last[-1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.encode(x)
        steps = self.from_latent(z).unsqueeze(1).expand(-1, x.shape[1], -1)
        out, _ = self.decoder(steps.contiguous())
        return self.output(out)


class ParticleConvAutoencoder(nn.Module):
    """Conv2D over (particles x features) images, global average pooling to a latent vector, a dense decoder
    and transposed convolutions back to the particle list (as the seed's CNN autoencoder).

    The decoder doubles the particle axis once per channel entry; a list whose length is not a multiple of
    2**len(channels) (19 ADC2021 objects) is decoded to the next multiple and cropped."""

    def __init__(
        self, n_particles: int = 700, n_features: int = 3, channels: Sequence[int] = (16, 32), latent_dim: int = 16
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c = 1
        for i, out in enumerate(channels):
            # the first convolution spans all features of three neighbouring particles; later ones run along particles
            layers += [nn.Conv2d(c, out, kernel_size=(3, n_features if i == 0 else 1), padding=(1, 0)), nn.ReLU()]
            c = out
        self.encoder = nn.Sequential(*layers)
        self.to_latent = nn.Linear(c, latent_dim)
        stride = 2 ** len(channels)
        self.n_particles = n_particles
        self.seed_shape = (channels[-1], -(-n_particles // stride), n_features)
        self.decoder = nn.Sequential(nn.Linear(latent_dim, int(torch.tensor(self.seed_shape).prod())), nn.ReLU())
        layers = []
        for i, out in enumerate([*reversed(channels[:-1]), 1]):
            layers.append(nn.ConvTranspose2d(c, out, kernel_size=(4, 3), stride=(2, 1), padding=(1, 1)))
            if i < len(channels) - 1:
                layers.append(nn.ReLU())
            c = out
        self.upsample = nn.Sequential(*layers)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        features, _ = features_and_mask(x)
        h = self.encoder(features.unsqueeze(1))  # (batch, channels, particles, 1)
        return self.to_latent(h.mean(dim=(2, 3)))  # global average pooling

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.decoder(self.encode(x)).view(-1, *self.seed_shape)
        return self.upsample(h).squeeze(1)[:, : self.n_particles]
