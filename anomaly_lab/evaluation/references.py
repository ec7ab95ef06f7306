"""Reference scorers a run is compared with, each scoring the validation and test splits of a DataModule.

PCA reconstruction error: a linear autoencoder trained with MSE spans the subspace of the leading principal
components, so PCA is what an autoencoder must beat to show that its non-linearity buys anything.
Matched filter and excess power on whitened strain: the optimal detector for a known signal and the
standard one for an unknown transient. A data config lists the scorers that apply to it (`data.references`).
"""

from __future__ import annotations

import numpy as np
import torch

from anomaly_lab.data.base import SCORED_SPLITS, AnomalyDataModule


class PCAReconstruction:
    """Fit the leading principal components on background; score = mean squared residual per sample."""

    def __init__(self, n_components: int) -> None:
        self.n_components = n_components
        self.mean: np.ndarray | None = None
        self.components: np.ndarray | None = None  # (n_components, n_features), orthonormal rows
        self.explained_variance_ratio: np.ndarray | None = None

    def fit(self, background: np.ndarray) -> PCAReconstruction:
        x = torch.from_numpy(background.reshape(len(background), -1).astype(np.float64))
        if not 0 < self.n_components <= min(x.shape):
            raise ValueError(f"PCA n_components: expected 1..{min(x.shape)}, got {self.n_components}")
        mean = x.mean(0)
        _, s, vh = torch.linalg.svd(x - mean, full_matrices=False)
        var = s**2
        self.mean = mean.numpy()
        self.components = vh[: self.n_components].numpy()
        self.explained_variance_ratio = (var[: self.n_components] / var.sum()).numpy()
        return self

    def reconstruct(self, x: np.ndarray) -> np.ndarray:
        """Projection of each sample onto the fitted subspace, in the input's shape."""
        if self.components is None:
            raise RuntimeError("PCAReconstruction used before fit()")
        flat = x.reshape(len(x), -1) - self.mean
        return (flat @ self.components.T @ self.components + self.mean).reshape(x.shape)

    def score(self, x: np.ndarray) -> np.ndarray:
        """Mean squared reconstruction error per sample (the anomaly score)."""
        return ((x - self.reconstruct(x)) ** 2).reshape(len(x), -1).mean(1)


class PCAReference:
    """PCA with `n_components` components fitted on the transformed training background."""

    def __init__(self, n_components: int = 16) -> None:
        self.n_components = n_components
        self.name = f"PCA ({n_components} components)"

    def score(self, dm: AnomalyDataModule) -> dict[str, np.ndarray]:
        pca = PCAReconstruction(self.n_components).fit(dm.training_background().numpy())
        return {split: pca.score(dm.inputs(split).numpy()) for split in SCORED_SPLITS}


def matched_filter_snr(x: np.ndarray, template: np.ndarray, band_fraction: float) -> np.ndarray:
    """Matched-filter SNR per window, <x, t> / sigma: N(0, 1) on noise, mean = optimal SNR with signal.

    `x` and `template` are whitened, unit-variance band-limited windows; the in-band noise level is
    1/band_fraction, hence sigma^2 = sum(t^2) / band_fraction.
    """
    sigma = np.sqrt(np.sum(template.astype(np.float64) ** 2, axis=-1) / band_fraction)
    return np.sum(x.astype(np.float64) * template, axis=-1) / sigma


def matched_filter_scores(arrays: dict[str, np.ndarray], band_fraction: float, seed: int) -> dict[str, np.ndarray]:
    """Matched-filter scores for the validation and test splits.

    Noise-only windows have no template of their own; each is filtered with the template of a randomly
    drawn injection, which leaves its N(0, 1) distribution unchanged (noise is independent of the template).
    """
    rng = np.random.default_rng(seed)
    labels = arrays["test_labels"]
    test_templates = arrays["test_template"][labels == 1]

    def noise_templates(n: int) -> np.ndarray:
        return test_templates[rng.integers(0, len(test_templates), n)]

    test_t = arrays["test_template"].copy()
    test_t[labels == 0] = noise_templates(int((labels == 0).sum()))
    return {
        "val": matched_filter_snr(arrays["val"], noise_templates(len(arrays["val"])), band_fraction),
        "val_signal": matched_filter_snr(arrays["val_signal"], arrays["val_signal_template"], band_fraction),
        "test": matched_filter_snr(arrays["test"], test_t, band_fraction),
    }


def excess_power(x: np.ndarray) -> np.ndarray:
    """Mean squared whitened strain per window: the classic detector for an unknown transient in white noise."""
    return np.mean(x.astype(np.float64) ** 2, axis=-1)


class MatchedFilter:
    """The matched filter with each window's injected template: needs `template` extras and the whitening's
    `band_fraction` constant (gravitational-wave data); noise windows get randomly drawn templates."""

    name = "ideal filter (exact template)"

    def __init__(self, seed: int = 12345) -> None:
        self.seed = seed

    def score(self, dm: AnomalyDataModule) -> dict[str, np.ndarray]:
        if "band_fraction" not in dm.constants or "template" not in dm.test_extras:
            raise ValueError("data.references.matched_filter: the data carry no injected templates (GW data only)")
        arrays = {**dm.arrays, "val_signal_template": dm.extras("val_signal")["template"]}
        return matched_filter_scores(arrays, dm.constants["band_fraction"], self.seed)


class ExcessPower:
    """Mean squared whitened strain per window (before the model's scaling)."""

    name = "excess power"

    def score(self, dm: AnomalyDataModule) -> dict[str, np.ndarray]:
        return {split: excess_power(dm.arrays[split]) for split in SCORED_SPLITS}
