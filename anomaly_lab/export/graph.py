"""The exported computation: raw samples -> fitted transform -> channel axis -> the model's anomaly score.

Recurrent networks read packed sequences in training; packing has data-dependent sizes that neither exporter can
trace, so the graph runs them over every slot and takes the state at each sample's last real particle, which is
the same number (an RNN's state at step t does not depend on later steps).
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from anomaly_lab.models.base import LossModule
from anomaly_lab.models.nets.particles import RecurrentAutoencoder, features_and_mask


class UnpackedRecurrentAutoencoder(nn.Module):
    """A RecurrentAutoencoder's forward with its encoder run over every slot (no packing), for tracing."""

    def __init__(self, net: RecurrentAutoencoder) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features, mask = features_and_mask(x)
        out, _ = self.net.encoder(features)
        # the last real particle as packing counts it: the first `n_real` slots, at least one
        last = mask.sum(1).clamp_min(1).long() - 1
        state = out.gather(1, last.view(-1, 1, 1).expand(-1, 1, out.shape[-1])).squeeze(1)
        steps = self.net.from_latent(self.net.to_latent(state)).unsqueeze(1).expand(-1, x.shape[1], -1)
        decoded, _ = self.net.decoder(steps.contiguous())
        return self.net.output(decoded)


def traceable(model: LossModule) -> LossModule:
    """A copy of `model` that tracing accepts (recurrent networks unpacked); the model itself is left as it is."""
    model = copy.deepcopy(model).eval()
    # Lightning's own flag for its to_torchscript: `trainer` then reads None instead of raising while traced
    model._jit_is_scripting = True
    for name, module in list(model.named_modules()):
        if isinstance(module, RecurrentAutoencoder):
            parent, _, attr = name.rpartition(".")
            setattr(model.get_submodule(parent), attr, UnpackedRecurrentAutoencoder(module))
    return model


class ScoringGraph(nn.Module):
    """Raw sample batch in (as the dataset's arrays hold them), one float32 anomaly score per sample out."""

    def __init__(self, transform: nn.Module, model: LossModule, channel_axis: bool) -> None:
        super().__init__()
        self.transform = transform
        self.model = traceable(model)
        self.channel_axis = channel_axis
        self.eval()

    def forward(self, samples: torch.Tensor) -> torch.Tensor:
        x = self.transform(samples)
        if self.channel_axis:
            x = x.unsqueeze(1)
        return self.model.predict_step((x, x), 0)
