"""1-D convolutional autoencoder for time series (Morawski et al. 2021: 256, 128, 256 filters, kernel 3)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class Conv1dAutoencoder(nn.Module):
    """Encoder: conv + ReLU + max-pool per entry of `encoder_channels`; decoder: upsample + conv + ReLU
    per entry of `decoder_channels`; a final linear conv maps back to `in_channels`.

    `bottleneck_channels`, when set, adds a conv to that many channels after the last pooling: without
    it the latent (128 channels at a quarter of the length) is larger than the input and the network can
    learn the identity, which reconstructs signals as well as noise. The input length must be divisible by
    pool**len(encoder_channels).
    """

    def __init__(
        self,
        in_channels: int = 1,
        encoder_channels: Sequence[int] = (256, 128),
        decoder_channels: Sequence[int] = (256,),
        kernel_size: int = 3,
        pool: int = 2,
        bottleneck_channels: int | None = None,
    ) -> None:
        super().__init__()
        if len(decoder_channels) > len(encoder_channels):
            raise ValueError("model.net: more decoder than encoder stages cannot restore the input length")
        pad = kernel_size // 2
        layers: list[nn.Module] = []
        c = in_channels
        for out in encoder_channels:
            layers += [nn.Conv1d(c, out, kernel_size, padding=pad), nn.ReLU(), nn.MaxPool1d(pool)]
            c = out
        if bottleneck_channels:
            # linear latent: a ReLU here can die on one channel and leave a constant output
            layers.append(nn.Conv1d(c, bottleneck_channels, kernel_size, padding=pad))
            c = bottleneck_channels
        self.encoder = nn.Sequential(*layers)
        layers = []
        n_up = len(encoder_channels)
        for out in decoder_channels:
            layers += [nn.Upsample(scale_factor=pool), nn.Conv1d(c, out, kernel_size, padding=pad), nn.ReLU()]
            c = out
            n_up -= 1
        # any pooling stage without its own decoder conv is undone before the output conv
        if n_up:
            layers.append(nn.Upsample(scale_factor=pool**n_up))
        layers.append(nn.Conv1d(c, in_channels, kernel_size, padding=pad))
        self.decoder = nn.Sequential(*layers)
        self.downsampling = pool ** len(encoder_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] % self.downsampling:
            raise ValueError(f"input length {x.shape[-1]} is not divisible by {self.downsampling}")
        return self.decoder(self.encoder(x))
