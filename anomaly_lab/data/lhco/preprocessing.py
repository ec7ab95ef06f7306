"""Input scaling for R&D events, fitted on background training data only and saved with the model's checkpoint.

Particles: pT standardised, eta and phi min-max scaled to [0, 1] over the real (pT > 0) training particles,
as the seed did (any other particle list chooses a mode per feature); zero-padded slots stay exactly 0 and a last
feature marks real particles (1) and padding (0), so a model can leave padding out of its loss. High-level features:
a plain per-feature standardiser.
"""

from __future__ import annotations

import numpy as np
import torch

from anomaly_lab.data.transforms import PARTICLE_SCALING, AffineTwin, ParticleScaler

__all__ = ["PARTICLE_SCALING", "FeatureStandardizer", "ParticleScaler"]  # the particle scaler lives in transforms


class FeatureStandardizer:
    """Per-column mean/std scaling of (N, F) features (mjj, jet masses and tau21 live on different scales)."""

    def __init__(self) -> None:
        self.mean: list[float] | None = None
        self.std: list[float] | None = None

    def fit(self, train: np.ndarray) -> FeatureStandardizer:
        self.mean = [float(v) for v in train.mean(axis=0)]
        self.std = [float(v) or 1.0 for v in train.std(axis=0)]
        return self

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.mean is None or self.std is None:
            raise RuntimeError("FeatureStandardizer used before fit()")
        return ((x - np.asarray(self.mean)) / np.asarray(self.std)).astype(np.float32)

    def as_module(self) -> AffineTwin:
        """The fitted scaling as a torch module (float64 arithmetic, as numpy does with the float64 statistics)."""
        if self.mean is None or self.std is None:
            raise RuntimeError("FeatureStandardizer used before fit()")
        return AffineTwin(self.mean, self.std, torch.float64)

    def state_dict(self) -> dict[str, list[float] | None]:
        return {"mean": self.mean, "std": self.std}

    def load_state_dict(self, state: dict[str, list[float] | None]) -> None:
        self.mean, self.std = state["mean"], state["std"]
