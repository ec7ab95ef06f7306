"""ADC2021 input preparation, fitted on background training events and saved with the model's checkpoint:
(pT, eta, phi) scaled (min-max or standard, by config) over real objects, the object type one-hot, a mask.

(N, 19, 4) raw events (pT, eta, phi, class) become (N, 19, 8): three scaled kinematic features, four one-hot
type features (MET, electron, muon, jet) and the real-object mask last; empty slots stay exactly 0.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from anomaly_lab.data.transforms import ParticleScaler, ParticleScalerTwin

N_TYPES = 4  # MET, electron, muon, jet: classes 1..4 of the file
N_FEATURES = 3 + N_TYPES  # what a model sees per object before the mask
SCALINGS = ("minmax", "standard")


def one_hot_types(events: np.ndarray) -> np.ndarray:
    """(N, 19, 4) (pT, eta, phi, class) -> (N, 19, 7) float32 (pT, eta, phi, one-hot of classes 1..4; 0 = empty)."""
    out = np.zeros((*events.shape[:-1], N_FEATURES), np.float32)
    out[..., :3] = events[..., :3]
    cls = events[..., 3].astype(np.int64)
    for k in range(N_TYPES):
        out[..., 3 + k] = cls == k + 1
    return out


class OneHotTypes(nn.Module):
    """`one_hot_types` as a torch module, for graphs that take the file's raw (pT, eta, phi, class) rows."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        cls = x[..., 3:4].round()
        types = torch.arange(1, N_TYPES + 1, device=x.device, dtype=x.dtype)
        return torch.cat([x[..., :3], (cls == types).to(x.dtype)], dim=-1).float()


class ObjectScaler:
    """Kinematics scaled as `scaling` says over the real (pT > 0) training objects, types one-hot and left as they
    are, the mask appended: the LHCO particle scaler with per-feature modes, after the one-hot."""

    def __init__(self, scaling: str = "minmax") -> None:
        if scaling not in SCALINGS:
            raise ValueError(f"data.scaling: expected one of {SCALINGS}, got {scaling!r}")
        self.scaling = scaling
        self.scaler = ParticleScaler((scaling,) * 3 + ("none",) * N_TYPES)

    def fit(self, train: np.ndarray) -> ObjectScaler:
        self.scaler.fit(one_hot_types(train))
        return self

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.scaler(one_hot_types(x))

    def as_module(self) -> nn.Sequential:
        """The fitted preparation as a torch module taking raw (pT, eta, phi, class) rows."""
        twin: ParticleScalerTwin = self.scaler.as_module()
        return nn.Sequential(OneHotTypes(), twin)

    def state_dict(self) -> dict[str, list[float]] | None:
        return self.scaler.state_dict()

    def load_state_dict(self, state: dict[str, list[float]] | None) -> None:
        self.scaler.load_state_dict(state)
