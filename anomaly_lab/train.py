"""The one flow every study runs: fit on background, threshold on validation, score the test mix, report."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import hydra
import lightning as L
import numpy as np
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, OmegaConf

from anomaly_lab.config_schema import register_schemas
from anomaly_lab.evaluation import evaluate, evaluate_reference
from anomaly_lab.results.outputs import write_run_outputs
from anomaly_lab.wandb_setup import default_wandb_mode, sync_hint

log = logging.getLogger(__name__)
CONFIG_DIR = str(Path(__file__).resolve().parents[1] / "conf")
register_schemas()


def instantiate_all(cfg: DictConfig) -> dict[str, Any]:
    """Every object of the run, from config; no data is generated or read here."""
    callbacks = [hydra.utils.instantiate(c) for c in (cfg.get("callbacks") or {}).values() if c is not None]
    loggers = [hydra.utils.instantiate(c) for c in (cfg.get("logger") or {}).values() if c is not None]
    if not any(isinstance(lg, L.pytorch.loggers.CSVLogger) for lg in loggers):
        # training curves in the run dir come from this file, whatever else logs the run
        loggers.append(L.pytorch.loggers.CSVLogger(cfg.paths.output_dir, name="csv", version=""))
    return {
        "datamodule": hydra.utils.instantiate(cfg.data),
        "model": hydra.utils.instantiate(cfg.model),
        "policy": hydra.utils.instantiate(cfg.threshold),
        "loggers": loggers,
        "trainer": hydra.utils.instantiate(cfg.trainer, callbacks=callbacks, logger=loggers),
    }


@torch.inference_mode()
def score(model: L.LightningModule, loader) -> np.ndarray:
    """Anomaly scores of every sample in `loader`, in order, on one device (also after DDP training)."""
    model.eval()
    out = [model.predict_step([t.to(model.device) for t in batch], i) for i, batch in enumerate(loader)]
    return torch.cat(out).float().cpu().numpy().astype(np.float64)


def restore(path: str, model: L.LightningModule, dm: L.LightningDataModule) -> str:
    """Model weights and the datamodule's fitted transform from a Lightning checkpoint."""
    state = torch.load(path, map_location="cpu", weights_only=False)
    model.load_state_dict(state["state_dict"])
    if type(dm).__qualname__ in state:
        dm.load_state_dict(state[type(dm).__qualname__])
    return path


def _best_checkpoint(trainer: L.Trainer) -> str | None:
    """The best validation checkpoint, when a checkpoint callback kept one."""
    ckpt = trainer.checkpoint_callback
    return getattr(ckpt, "best_model_path", "") or None if ckpt is not None else None


def apply_debug(cfg: DictConfig, overrides: list[str]) -> DictConfig:
    """Merge the chosen `debug` config over everything else, so it wins over an appended +experiment;
    values given on the command line (`overrides`) still win over the debug config."""
    debug = cfg.get("debug")
    if not debug:
        return cfg
    merged = OmegaConf.merge(OmegaConf.masked_copy(cfg, [k for k in cfg if k != "debug"]), debug)
    for ov in OverridesParser.create().parse_overrides(overrides):
        key = ov.key_or_group
        if not ov.is_delete() and "." in key and OmegaConf.select(debug, key, default=None) is not None:
            OmegaConf.update(merged, key, ov.value(), merge=True)
    return merged


def run(cfg: DictConfig) -> dict[str, Any]:
    """Train, threshold, test and write every artifact of one run; returns the test metrics."""
    cfg = apply_debug(cfg, list(HydraConfig.get().overrides.task) if HydraConfig.initialized() else [])
    if not cfg.get("train", True) and not cfg.get("ckpt_path"):
        raise ValueError("train=false scores a trained model: give ckpt_path=<checkpoint>")
    L.seed_everything(cfg.seed, workers=True)
    default_wandb_mode()
    objs = instantiate_all(cfg)
    dm, model, trainer, policy = objs["datamodule"], objs["model"], objs["trainer"], objs["policy"]
    for lg in objs["loggers"]:
        lg.log_hyperparams(OmegaConf.to_container(cfg, resolve=True))
    dm.setup("fit")
    if cfg.get("train", True):
        trainer.fit(model, datamodule=dm, ckpt_path=cfg.get("ckpt_path"))
        best = _best_checkpoint(trainer)
    else:
        best = cfg.ckpt_path
    if trainer.global_rank != 0:
        return {}  # after DDP training only rank 0 scores and writes the results
    if best:
        restore(best, model, dm)
    model.to(trainer.strategy.root_device)
    scores = {split: score(model, dm.score_dataloader(split)) for split in ("val", "val_signal", "test")}
    labels = dm.arrays["test_labels"]
    result = evaluate(policy, scores, labels)
    references = {
        name: {"scores": ref, "metrics": evaluate_reference(policy, ref, labels)}
        for name, ref in dm.reference_scores().items()
    }
    run_dir = Path(cfg.paths.output_dir)
    write_run_outputs(run_dir, cfg, dm, model, scores, result, references, best, objs["loggers"])
    log.info("AUROC %.4f, TPR %.4f at threshold %.4g (test FPR %.4f)", result["auroc"], result["tpr_at_fpr"],
             result["threshold"], result["fpr_at_threshold"])  # fmt: skip
    hint = sync_hint(objs["loggers"])
    if hint:
        log.info(hint)
    log.info("run directory: %s", run_dir)
    return result


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="train")
def main(cfg: DictConfig) -> float | None:
    """Entry point: `python -m anomaly_lab +experiment=gw_cnnae`; returns the metric a sweeper optimises."""
    result = run(cfg)
    return result.get(cfg.get("optimized_metric") or "auroc")
