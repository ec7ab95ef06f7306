"""Models of the experiments' configs, untrained, with transforms fitted on random valid samples (no data made)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from omegaconf import DictConfig

from anomaly_lab.config import register_schemas
from anomaly_lab.data.base import AnomalyDataModule
from anomaly_lab.export.graph import ScoringGraph
from anomaly_lab.export.samples import random_samples, sample_shape
from anomaly_lab.models.base import LossModule
from anomaly_lab.train import CONFIG_DIR


@dataclass
class Built:
    """One experiment's model and data module, as a run would build them, ready to export."""

    cfg: DictConfig
    model: LossModule
    dm: AnomalyDataModule
    shape: tuple[int, ...]

    def graph(self) -> ScoringGraph:
        return ScoringGraph(self.dm.transform.as_module(), self.model, self.dm.channel_axis)

    def samples(self, n: int, seed: int) -> np.ndarray:
        return random_samples(self.dm.transform, self.shape, n, seed)

    def pipeline_scores(self, raw: np.ndarray) -> np.ndarray:
        """What the training pipeline scores: numpy transform, channel axis, the eager model's predict_step."""
        x = torch.from_numpy(self.dm.transform(raw))
        x = x.unsqueeze(1) if self.dm.channel_axis else x
        with torch.no_grad():
            return self.model.predict_step((x, torch.zeros(len(x))), 0).numpy()


def composed(*overrides: str) -> DictConfig:
    register_schemas()
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose(config_name="train", overrides=list(overrides))


@cache
def build(overrides: tuple[str, ...], seed: int = 0) -> Built:
    """The experiment's model (random weights of `seed`) and data module, its transform fitted on 128 samples."""
    cfg = composed(*overrides, "debug=smoke")
    torch.manual_seed(seed)
    model = instantiate(cfg.model).eval()
    dm = instantiate(cfg.data)
    shape = sample_shape(dm)
    dm.transform.fit(random_samples(dm.transform, shape, 128, seed=seed + 100))
    return Built(cfg, model, dm, shape)
