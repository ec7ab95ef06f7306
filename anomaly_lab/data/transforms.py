"""Input transforms fitted on background training data only, and saved with the model's checkpoint; shared by the
datasets (global scales of series and images, per-feature scaling of particle and object lists)."""

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


# how a ParticleScaler can scale each feature, and its default for (pT, eta, phi): pT standardised, eta and phi
# min-max (the LHC Olympics seed's choice; LHCO's relative frame uses "log" for pT, see data/lhco/particles.py)
MODES = ("standard", "minmax", "log", "none")
PARTICLE_SCALING = ("standard", "minmax", "minmax")


class ParticleScaler:
    """(N, P, F) particle features -> (N, P, F + 1) float32: each feature scaled as its mode says, and the
    real-particle mask (feature 0, the pT, above zero) appended; padded slots stay exactly 0.

    Modes per feature: "standard" (mean/std), "minmax" (to [0, 1]), "log" (log(value) standardised, for a
    positive feature spanning decades such as pT) or "none" (e.g. a one-hot object type); the number of features
    comes from `modes`, so any particle list fits (ADC2021 objects, R&D hadrons).
    """

    def __init__(self, modes: tuple[str, ...] | list[str] = PARTICLE_SCALING) -> None:
        bad = [m for m in modes if m not in MODES]
        if bad:
            raise ValueError(f"particle scaling modes: expected each of {MODES}, got {bad}")
        self.modes = tuple(modes)
        self.state: dict[str, list[float]] | None = None

    def fit(self, train: np.ndarray) -> ParticleScaler:
        if train.shape[-1] != len(self.modes):
            raise ValueError(f"ParticleScaler.fit: expected {len(self.modes)} features, got {train.shape[-1]}")
        real = train[..., 0] > 0
        if not real.any():
            raise ValueError("ParticleScaler.fit: no real (pT > 0) particles in the training data")
        shift, scale = [], []
        for i, mode in enumerate(self.modes):
            values = train[..., i][real].astype(np.float64)
            if mode == "log":
                if not (values > 0).all():
                    raise ValueError(f"ParticleScaler.fit: 'log' scaling of feature {i} needs positive values, "
                                     f"got a minimum of {values.min():g} over real particles")  # fmt: skip
                values = np.log(values)
            if mode in ("standard", "log"):
                shift.append(float(values.mean()))
                scale.append(float(values.std()) or 1.0)
            elif mode == "minmax":
                shift.append(float(values.min()))
                scale.append(float(values.max()) - shift[-1] or 1.0)
            else:
                shift.append(0.0)
                scale.append(1.0)
        self.state = {"shift": shift, "scale": scale}
        return self

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.state is None:
            raise RuntimeError("ParticleScaler used before fit()")
        n = len(self.modes)
        out = np.empty((*x.shape[:-1], n + 1), np.float32)
        mask = x[..., 0] > 0
        logged = [i for i, mode in enumerate(self.modes) if mode == "log"]
        if logged:  # log in float64, rounded to float32 as the twin does; padding's log(1) = 0 is masked below
            x = x.astype(np.float32, copy=True)
            for i in logged:
                x[..., i] = np.log(np.where(mask, x[..., i], 1.0).astype(np.float64))
        np.subtract(x, np.array(self.state["shift"], np.float32), out=out[..., :n], dtype=np.float32)
        out[..., :n] /= np.array(self.state["scale"], np.float32)
        out[..., :n] *= mask[..., None]
        out[..., n] = mask
        return out

    def as_module(self) -> ParticleScalerTwin:
        """The fitted scaling as a torch module, for a graph that takes raw particle lists."""
        if self.state is None:
            raise RuntimeError("ParticleScaler used before fit()")
        logged = [mode == "log" for mode in self.modes]
        return ParticleScalerTwin(self.state["shift"], self.state["scale"], logged if any(logged) else None)

    def state_dict(self) -> dict[str, list] | None:
        # the modes travel with the numbers: a shift and scale fitted for log pT mean nothing to a linear pT
        return None if self.state is None else {k: list(v) for k, v in self.state.items()} | {"modes": list(self.modes)}

    def load_state_dict(self, state: dict[str, list] | None) -> None:
        if state is not None and "modes" in state and tuple(state["modes"]) != self.modes:
            raise ValueError(
                f"checkpoint: particle features scaled as {tuple(state['modes'])}, this data config scales them as "
                f"{self.modes}; use the data options it was trained with"
            )
        self.state = None if state is None else {k: [float(v) for v in state[k]] for k in ("shift", "scale")}


class ParticleScalerTwin(nn.Module):
    """ParticleScaler as a torch module: the same float32 operations in the same order, so that it matches the
    numpy transform bit for bit (padded slots 0, the mask appended). `log` marks the features scaled in "log"
    mode (None: none, and the graph has no log at all)."""

    def __init__(self, shift: list[float], scale: list[float], log: list[bool] | None = None) -> None:
        super().__init__()
        self.register_buffer("shift", torch.tensor(shift, dtype=torch.float32))
        self.register_buffer("scale", torch.tensor(scale, dtype=torch.float32))
        self.has_log = log is not None
        if log is not None:  # not persistent: it follows the modes, so checkpoints of the twin keep their keys
            self.register_buffer("log", torch.tensor(log, dtype=torch.bool), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float()
        real = x[..., :1] > 0
        if self.has_log:
            safe = torch.where(real & self.log, x, torch.ones_like(x))
            x = torch.where(self.log, safe.double().log().float(), x)
        mask = real.float()
        return torch.cat([(x - self.shift) / self.scale * mask, mask], dim=-1)
