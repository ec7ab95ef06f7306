"""Anomaly scores of every sample of a split, in order, with a plain inference loop on one device."""

from __future__ import annotations

from collections.abc import Iterable

import lightning as L
import numpy as np
import torch

from anomaly_lab.data.base import SCORED_SPLITS, AnomalyDataModule


@torch.inference_mode()
def score(model: L.LightningModule, loader: Iterable) -> np.ndarray:
    """Scores of every sample in `loader`, in order, on the model's device (also right after DDP training)."""
    model.eval()
    out = [model.predict_step([t.to(model.device) for t in batch], i) for i, batch in enumerate(loader)]
    return torch.cat(out).float().cpu().numpy().astype(np.float64)


def score_splits(model: L.LightningModule, dm: AnomalyDataModule) -> dict[str, np.ndarray]:
    """Scores of the validation (background and signal) and test splits."""
    return {split: score(model, dm.score_dataloader(split)) for split in SCORED_SPLITS}
