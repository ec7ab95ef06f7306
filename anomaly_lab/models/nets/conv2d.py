"""2-D convolutional networks for jet images: the seed's autoencoder and a supervised classifier."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class Conv2dAutoencoder(nn.Module):
    """Seed jet-image CAE: conv + ReLU + max-pool per entry of `channels` (16, 8), then the mirror image
    (conv + ReLU + upsample), a linear output conv, and a crop back to the input size.

    Pooling rounds up (`ceil_mode`), so any image size works: 25 -> 13 -> 7 -> 14 -> 28, cropped to 25.
    `latent_dim`, when set (with `image_size`), adds a dense bottleneck between encoder and decoder: without
    it every latent value sees only a small patch, so the network copies local structure wherever it is and
    never learns what a whole background jet looks like.
    """

    def __init__(
        self,
        in_channels: int = 1,
        channels: Sequence[int] = (16, 8),
        kernel_size: int = 3,
        latent_dim: int | None = None,
        image_size: int | None = None,
    ) -> None:
        super().__init__()
        pad = kernel_size // 2
        layers: list[nn.Module] = []
        c = in_channels
        for out in channels:
            layers += [nn.Conv2d(c, out, kernel_size, padding=pad), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True)]
            c = out
        self.encoder = nn.Sequential(*layers)
        self.bottleneck: nn.Module | None = None
        if latent_dim:
            if not image_size:
                raise ValueError("model.net.image_size: needed with latent_dim (the dense layer's input size)")
            with torch.no_grad():
                grid = self.encoder(torch.zeros(1, in_channels, image_size, image_size)).shape[1:]
            n = int(torch.tensor(grid).prod())
            self.to_latent = nn.Sequential(nn.Flatten(), nn.Linear(n, latent_dim))
            self.bottleneck = nn.Sequential(nn.Linear(latent_dim, n), nn.ReLU(), nn.Unflatten(1, tuple(grid)))
        layers = []
        for out in reversed(channels):
            layers += [nn.Conv2d(c, out, kernel_size, padding=pad), nn.ReLU(), nn.Upsample(scale_factor=2)]
            c = out
        layers.append(nn.Conv2d(c, in_channels, kernel_size, padding=pad))
        self.decoder = nn.Sequential(*layers)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        h = self.encoder(x)
        return h if self.bottleneck is None else self.to_latent(h)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        z = self.encode(x)
        return self.decoder(z if self.bottleneck is None else self.bottleneck(z))[..., :h, :w]


class Conv2dClassifier(nn.Module):
    """Supervised CNN on the same images: conv blocks with pooling, then a dense head giving one logit."""

    def __init__(
        self,
        image_size: int = 25,
        in_channels: int = 1,
        channels: Sequence[int] = (16, 32),
        kernel_size: int = 3,
        hidden: int = 64,
    ) -> None:
        super().__init__()
        pad = kernel_size // 2
        layers: list[nn.Module] = []
        c = in_channels
        for out in channels:
            layers += [
                nn.Conv2d(c, out, kernel_size, padding=pad),
                nn.ReLU(),
                nn.Conv2d(out, out, kernel_size, padding=pad),
                nn.ReLU(),
                nn.MaxPool2d(2, ceil_mode=True),
            ]
            c = out
        self.features = nn.Sequential(*layers)
        with torch.no_grad():
            n_features = self.features(torch.zeros(1, in_channels, image_size, image_size)).numel()
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(n_features, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x)).squeeze(-1)
