"""The one flow every study runs: fit on background, threshold on validation, score the test mix, report."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import hydra
import lightning as L
from omegaconf import DictConfig, OmegaConf

from anomaly_lab import checkpoints, errors
from anomaly_lab.data.base import AnomalyDataModule
from anomaly_lab.evaluation.evaluate import Binning, evaluate
from anomaly_lab.evaluation.per_signal import Processes
from anomaly_lab.evaluation.scoring import score_splits, score_variants
from anomaly_lab.evaluation.sculpting import sculpted_variable
from anomaly_lab.results.loggers import default_wandb_mode, sync_hint
from anomaly_lab.results.outputs import write_run_outputs

log = logging.getLogger(__name__)
CONFIG_DIR = str(Path(__file__).resolve().parents[1] / "conf")


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


def _best_checkpoint(trainer: L.Trainer) -> str | None:
    """The best validation checkpoint, when a checkpoint callback kept one."""
    ckpt = trainer.checkpoint_callback
    return getattr(ckpt, "best_model_path", "") or None if ckpt is not None else None


def _val_loss(trainer: L.Trainer) -> float | None:
    """The best validation loss of the fit (the checkpoint callback's, else the last epoch's): a search's objective."""
    ckpt = trainer.checkpoint_callback
    best = ckpt.best_model_score if ckpt is not None and getattr(ckpt, "monitor", None) == "val_loss" else None
    value = best if best is not None else trainer.callback_metrics.get("val_loss")
    return float(value) if value is not None else None


def binnings(cfg: DictConfig, dm: AnomalyDataModule) -> list[Binning]:
    """Efficiency bins of `evaluation.efficiency_variable` and of each of `evaluation.efficiency_variables` (e.g.
    the window's and the full waveform's SNR), for those the test split carries as a plain per-sample extra."""
    first = cfg.evaluation.get("efficiency_variable")
    variables = list(dict.fromkeys([first, *(cfg.evaluation.get("efficiency_variables") or [])])) if first else []
    out = []
    for var in variables:
        values = dm.test_extras.get(var)
        if values is not None and values.ndim == 1 and values.dtype.names is None:
            out.append(Binning(var, values, list(cfg.evaluation.efficiency_edges)))
    return out


def processes(dm: AnomalyDataModule) -> Processes | None:
    """The test mix's signal processes, when the data hold several (each is then reported on its own)."""
    names = dm.signal_processes()
    return Processes(dm.test_extras["process"], names) if names else None


def run(cfg: DictConfig) -> dict[str, Any]:
    """Train, threshold, test and write every artifact of one run; returns the test metrics."""
    if not cfg.get("train", True) and not cfg.get("ckpt_path"):
        raise ValueError("train=false scores a trained model: give ckpt_path=<checkpoint>")
    ckpt_path = checkpoints.resolve(cfg.get("ckpt_path"), cfg.paths.output_dir)
    L.seed_everything(cfg.seed, workers=True)
    default_wandb_mode()
    objs = instantiate_all(cfg)
    dm, model, trainer, policy = objs["datamodule"], objs["model"], objs["trainer"], objs["policy"]
    for lg in objs["loggers"]:
        lg.log_hyperparams(OmegaConf.to_container(cfg, resolve=True))
    given = checkpoints.load(ckpt_path) if ckpt_path else None
    if given is not None:  # before any data is made: a checkpoint of another model fails at once
        checkpoints.check_fits(ckpt_path, given, model)
    if cfg.get("train", True):
        # Lightning makes the data on one process per node (prepare_data), then every rank reads it (setup)
        trainer.fit(model, datamodule=dm, ckpt_path=ckpt_path)
        best = _best_checkpoint(trainer)
    else:
        dm.prepare_data()
        dm.setup("fit")
        best = ckpt_path
    if trainer.global_rank != 0:
        return {}  # after DDP training only rank 0 scores and writes the results
    if best:
        checkpoints.restore(best, model, dm, given if best == ckpt_path else None)
    model.to(trainer.strategy.root_device)
    precision = str(trainer.precision)
    scores = score_splits(model, dm, dm.score_batch_size, precision)
    others = dm.reference_scores()
    for score, values in score_variants(model, dm, cfg.evaluation.get("score_variants") or [], precision).items():
        others[f"same model, {score} score"] = values
    sculpted = sculpted_variable(cfg.evaluation.get("sculpting_variable"), dm.test_extras)
    ev = evaluate(policy, scores, dm.arrays["test_labels"], others, binnings(cfg, dm), processes(dm), sculpted=sculpted)
    ev.model.metrics["val_loss"] = _val_loss(trainer)  # with val_auroc, what a hyperparameter search optimises
    run_dir = Path(cfg.paths.output_dir)
    write_run_outputs(run_dir, cfg, ev, dm, model, best, objs["loggers"])
    m = ev.model.metrics
    log.info("AUROC %.4f, TPR %.4f at threshold %.4g (test FPR %.4f)", m["auroc"], m["tpr_at_fpr"], m["threshold"],
             m["fpr_at_threshold"])  # fmt: skip
    hint = sync_hint(objs["loggers"])
    if hint:
        log.info(hint)
    log.info("run directory: %s", run_dir)
    return m


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="train")
def main(cfg: DictConfig) -> float | None:
    """Entry point: `python -m anomaly_lab experiment=gw_cnnae`; returns the metric a sweeper optimises."""
    try:
        result = run(cfg)
    except Exception as err:  # noqa: BLE001 - expected user errors become one line, the rest re-raise
        errors.exit_on_user_error(err)
        raise
    return result.get(cfg.get("optimized_metric") or "auroc")
