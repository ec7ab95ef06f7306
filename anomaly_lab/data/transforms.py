"""Input transforms fitted on background training data only, and saved with the model's checkpoint."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


class AffineTwin(nn.Module):
    """`(x - shift) / scale` in the numpy transform's own precision, then float32: the torch twin of a fitted
    scaling, with the fitted numbers as buffers, so an exported graph reproduces the pipeline's inputs exactly."""

    def __init__(self, shift: list[float] | float, scale: list[float] | float, dtype: torch.dtype) -> None:
        super().__init__()
        self.register_buffer("shift", torch.tensor(shift, dtype=dtype))
        self.register_buffer("scale", torch.tensor(scale, dtype=dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ((x.to(self.scale.dtype) - self.shift) / self.scale).float()


class Standardizer:
    """Global mean/std scaling of every input value (the scale of whitened strain, per run)."""

    def __init__(self) -> None:
        self.mean: float | None = None
        self.std: float | None = None

    def fit(self, background: np.ndarray) -> Standardizer:
        self.mean = float(np.mean(background))
        self.std = float(np.std(background)) or 1.0
        return self

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.mean is None:
            raise RuntimeError("Standardizer used before fit()")
        return ((x - self.mean) / self.std).astype(np.float32)

    def as_module(self) -> AffineTwin:
        """The fitted scaling as a torch module (float32 arithmetic, as numpy does on float32 samples)."""
        if self.mean is None or self.std is None:
            raise RuntimeError("Standardizer used before fit()")
        return AffineTwin(self.mean, self.std, torch.float32)

    def state_dict(self) -> dict[str, float | None]:
        return {"mean": self.mean, "std": self.std}

    def load_state_dict(self, state: dict[str, float | None]) -> None:
        self.mean, self.std = state["mean"], state["std"]


class GlobalScale:
    """Division of every value by the training data's global standard deviation; zeros (empty pixels) stay zero."""

    def __init__(self) -> None:
        self.scale: float | None = None

    def fit(self, background: np.ndarray) -> GlobalScale:
        self.scale = float(np.std(background)) or 1.0
        return self

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.scale is None:
            raise RuntimeError("GlobalScale used before fit()")
        return (x / self.scale).astype(np.float32)

    def as_module(self) -> AffineTwin:
        """The fitted scaling as a torch module; subtracting 0 leaves every float, zeros included, unchanged."""
        if self.scale is None:
            raise RuntimeError("GlobalScale used before fit()")
        return AffineTwin(0.0, self.scale, torch.float32)

    def state_dict(self) -> dict[str, float | None]:
        return {"scale": self.scale}

    def load_state_dict(self, state: dict[str, float | None]) -> None:
        self.scale = state["scale"]
