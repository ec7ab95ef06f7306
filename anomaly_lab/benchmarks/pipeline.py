"""Our side of `make bench`: the study's Lightning Trainer (trainer group, callbacks and logger of its composed config)
training on the DataModules' loader, and the pipeline's scorer; timed as the plain loops are, in samples per second."""

from __future__ import annotations

import time
from typing import Any

import lightning as L
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig

from anomaly_lab.benchmarks.loops import synchronize, warmup_inputs
from anomaly_lab.benchmarks.networks import build_module
from anomaly_lab.data.loaders import tensor_loader
from anomaly_lab.evaluation.scoring import score_inputs


class BatchClock(L.Callback):
    """Times training from the end of the first epoch's first `warmup` batches to the end of the last epoch."""

    def __init__(self, warmup: int, device: torch.device) -> None:
        if warmup < 1:
            raise ValueError(f"warm-up batches: expected at least 1, got {warmup}")
        self.warmup, self.device = warmup, device
        self.start = self.end = 0.0

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:  # fmt: skip
        if trainer.current_epoch == 0 and batch_idx == self.warmup - 1:
            synchronize(self.device)
            self.start = time.perf_counter()

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        synchronize(self.device)
        self.end = time.perf_counter()


def study_trainer(cfg: DictConfig, clock: BatchClock, epochs: int, precision: str | None, bare: bool) -> L.Trainer:
    """The Trainer of the study's config with its callbacks and loggers (checkpointing and validation off); `bare`:
    no callbacks, logger, progress bar or model summary, to show what those cost."""
    common: dict[str, Any] = {"max_epochs": epochs, "min_epochs": 1, "limit_val_batches": 0, "num_sanity_val_steps": 0,
                              "enable_checkpointing": False}  # fmt: skip
    if precision is not None:
        common["precision"] = precision
    if bare:
        return instantiate(cfg.trainer, callbacks=[clock], logger=False, enable_progress_bar=False,
                           enable_model_summary=False, **common)  # fmt: skip
    callbacks = [instantiate(c) for c in (cfg.get("callbacks") or {}).values() if c is not None]
    loggers = [instantiate(c) for c in (cfg.get("logger") or {}).values() if c is not None]
    return instantiate(cfg.trainer, callbacks=[*callbacks, clock], logger=loggers, **common)


def lightning_training(
    cfg: DictConfig, x: torch.Tensor, batch_size: int, epochs: int, warmup: int, seed: int, device: torch.device,
    precision: str | None = None, bare: bool = False, compile: bool = False,
) -> float:  # fmt: skip
    """Samples/s of `trainer.fit` on the study's module over host tensor `x` through the DataModules' loader, timed
    from the end of the first `warmup` batches to the end of the last of `epochs` epochs."""
    module = build_module(cfg, seed, compile)
    clock = BatchClock(warmup, device)
    trainer = study_trainer(cfg, clock, epochs, precision, bare)
    loader = tensor_loader(x, torch.zeros(len(x), dtype=torch.long), batch_size, shuffle=True,
                           num_workers=cfg.data.num_workers)  # fmt: skip
    trainer.fit(module, train_dataloaders=loader)
    if clock.end <= clock.start:
        raise RuntimeError("the Trainer stopped before the timed batches ended")
    return (epochs * len(x) - warmup * batch_size) / (clock.end - clock.start)


def our_scoring(
    cfg: DictConfig, x: torch.Tensor, batch_size: int, warmup: int, seed: int, device: torch.device,
    precision: str, compile: bool = False,
) -> float:  # fmt: skip
    """Samples/s of the pipeline's scorer (`score_inputs`) on the study's module over host tensor `x`, after
    `warmup` calls (compilation happens there)."""
    module = build_module(cfg, seed, compile).to(device)
    for _ in range(warmup):
        score_inputs(module, warmup_inputs(x, batch_size, compile), batch_size=batch_size, precision=precision)
    synchronize(device)
    start = time.perf_counter()
    scores = score_inputs(module, x, batch_size=batch_size, precision=precision)
    synchronize(device)
    return len(scores) / (time.perf_counter() - start)
