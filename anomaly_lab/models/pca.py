"""PCA reconstruction error: the linear reference every autoencoder on the same inputs is compared with.

A linear autoencoder trained with MSE spans the subspace of the leading principal components, so PCA is
what an autoencoder must beat to show that its non-linearity buys anything.
"""

from __future__ import annotations

import numpy as np
import torch


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
