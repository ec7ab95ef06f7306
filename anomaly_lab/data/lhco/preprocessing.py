"""Input scaling for R&D high-level features, fitted on background training data only and saved with the model's
checkpoint: a plain per-feature standardiser. R&D particle lists use the shared `transforms.ParticleScaler` with the
modes of their frame (`particles.FRAME_SCALING`: log pT and standardised coordinates around the leading jet, or the
seed's standardised pT and min-max eta, phi in absolute coordinates).
"""

from __future__ import annotations

import numpy as np
import torch

from anomaly_lab.data.transforms import AffineTwin


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
