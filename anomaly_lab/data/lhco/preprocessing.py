"""Input scaling for R&D events, fitted on background training data only and saved with the model's checkpoint.

Particles: pT standardised, eta and phi min-max scaled to [0, 1] over the real (pT > 0) training particles,
as the seed did; zero-padded slots stay exactly 0 and a fourth feature marks real particles (1) and padding
(0), so a model can leave padding out of its loss. High-level features: a plain per-feature standardiser.
"""

from __future__ import annotations

import numpy as np

PARTICLE_STATE = ("pt_mean", "pt_std", "eta_min", "eta_max", "phi_min", "phi_max")


class ParticleScaler:
    """(N, P, 3) pT, eta, phi -> (N, P, 4) float32: scaled features and the real-particle mask."""

    def __init__(self) -> None:
        self.state: dict[str, float] | None = None

    def fit(self, train: np.ndarray) -> ParticleScaler:
        real = train[..., 0] > 0
        if not real.any():
            raise ValueError("ParticleScaler.fit: no real (pT > 0) particles in the training data")
        pt, eta, phi = (train[..., i][real].astype(np.float64) for i in range(3))
        self.state = {
            "pt_mean": float(pt.mean()),
            "pt_std": float(pt.std()) or 1.0,
            "eta_min": float(eta.min()),
            "eta_max": float(eta.max()),
            "phi_min": float(phi.min()),
            "phi_max": float(phi.max()),
        }
        return self

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.state is None:
            raise RuntimeError("ParticleScaler used before fit()")
        s = self.state
        shift = np.array([s["pt_mean"], s["eta_min"], s["phi_min"]], np.float32)
        ranges = (s["pt_std"], s["eta_max"] - s["eta_min"] or 1.0, s["phi_max"] - s["phi_min"] or 1.0)
        scale = np.array(ranges, np.float32)
        out = np.empty((*x.shape[:-1], 4), np.float32)
        mask = x[..., 0] > 0
        np.subtract(x, shift, out=out[..., :3], dtype=np.float32)
        out[..., :3] /= scale
        out[..., :3] *= mask[..., None]
        out[..., 3] = mask
        return out

    def state_dict(self) -> dict[str, float] | None:
        return None if self.state is None else dict(self.state)

    def load_state_dict(self, state: dict[str, float] | None) -> None:
        self.state = None if state is None else {k: float(state[k]) for k in PARTICLE_STATE}


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

    def state_dict(self) -> dict[str, list[float] | None]:
        return {"mean": self.mean, "std": self.std}

    def load_state_dict(self, state: dict[str, list[float] | None]) -> None:
        self.mean, self.std = state["mean"], state["std"]
