"""Input transforms fitted on background training data only, and saved with the model's checkpoint."""

from __future__ import annotations

import numpy as np


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

    def state_dict(self) -> dict[str, float | None]:
        return {"scale": self.scale}

    def load_state_dict(self, state: dict[str, float | None]) -> None:
        self.scale = state["scale"]
