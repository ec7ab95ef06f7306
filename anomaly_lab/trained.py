"""A trained model as the tools after training need it (scanner, export, benchmarks): the network with its weights,
the data module with its fitted transform (no dataset is built), and the run's threshold, from one checkpoint."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import hydra
import numpy as np
import torch
from omegaconf import DictConfig, OmegaConf

from anomaly_lab import checkpoints
from anomaly_lab.data.base import AnomalyDataModule
from anomaly_lab.models.base import LossModule


@dataclass
class TrainedModel:
    """What a checkpoint and its run directory hold: the model (eval mode, on the CPU), the data module whose fitted
    transform turns raw samples into model inputs, the shape of one raw sample it was fitted on (None in a checkpoint
    that predates the record), the threshold the run set, and where they came from."""

    model: LossModule
    datamodule: AnomalyDataModule
    threshold: float | None
    policy: str | None
    cfg: DictConfig
    checkpoint: Path
    run_dir: Path
    sample_shape: tuple[int, ...] | None = None

    def inputs(self, raw: np.ndarray) -> torch.Tensor:
        """Raw samples (as the dataset's arrays hold them) -> model inputs, with the fitted transform."""
        x = torch.from_numpy(self.datamodule.transform(raw))
        return x.unsqueeze(1) if self.datamodule.channel_axis else x


def run_dir_of(ckpt: Path) -> Path:
    """A checkpoint's run directory: the parent of its `checkpoints/` folder (or the folder itself)."""
    return ckpt.parent.parent if ckpt.parent.name == "checkpoints" else ckpt.parent


def run_config(run_dir: Path, config: str | Path | None = None) -> DictConfig:
    """The run's composed config (`.hydra/config.yaml` of its run directory, unless `config` names another)."""
    path = Path(config) if config else run_dir / ".hydra" / "config.yaml"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no run config; a checkpoint is read with the config of the run that wrote it "
            "(<run dir>/.hydra/config.yaml), or give config=<file>"
        )
    cfg = OmegaConf.load(path)
    if not isinstance(cfg, DictConfig) or "data" not in cfg or "model" not in cfg:
        raise ValueError(f"{path}: expected a run config with 'data' and 'model' sections")
    # `${hydra:...}` does not resolve outside a Hydra run: the run directory is where the checkpoint lives
    cfg.paths.output_dir = str(run_dir)
    return cfg


def run_threshold(run_dir: Path) -> tuple[float | None, str | None]:
    """The threshold the run set on validation background (metrics.json), with the name of its policy."""
    path = run_dir / "metrics.json"
    if not path.is_file():
        return None, None
    metrics = json.loads(path.read_text())
    threshold = metrics.get("threshold")
    return (None if threshold is None else float(threshold)), metrics.get("policy")


def load_trained(ckpt: str | Path, config: str | Path | None = None, compile: bool = False) -> TrainedModel:
    """The model and fitted transform of checkpoint `ckpt`, built from its run's config (or `config`); the run's
    `model.compile` is replaced by `compile` (exporters need the plain module)."""
    ckpt = Path(ckpt)
    state = checkpoints.load(ckpt)
    run_dir = run_dir_of(ckpt)
    cfg = run_config(run_dir, config)
    if "compile" in cfg.model:
        cfg.model.compile = compile
    model = hydra.utils.instantiate(cfg.model)
    dm = hydra.utils.instantiate(cfg.data)
    checkpoints.restore(ckpt, model, dm, state)
    if type(dm).__qualname__ not in state:
        raise ValueError(f"ckpt={ckpt}: holds no fitted data transform ({type(dm).__qualname__}), not a run's")
    threshold, policy = run_threshold(run_dir)
    shape = state[type(dm).__qualname__].get("sample_shape")
    return TrainedModel(model.eval(), dm, threshold, policy, cfg, ckpt, run_dir, tuple(shape) if shape else None)
