"""The run's loggers: W&B offline when no API key is configured (and how to sync later), and the final
metrics and figures handed to every logger that takes them."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from lightning.pytorch.loggers import Logger, TensorBoardLogger, WandbLogger

from anomaly_lab.evaluation.evaluate import Evaluation


def _has_credentials() -> bool:
    if os.environ.get("WANDB_API_KEY"):
        return True
    netrc = Path(os.environ.get("NETRC", Path.home() / ".netrc"))
    return netrc.is_file() and "api.wandb.ai" in netrc.read_text(errors="ignore")


def default_wandb_mode() -> None:
    """Set WANDB_MODE=offline unless the user chose a mode or has credentials (no network needed)."""
    if "WANDB_MODE" not in os.environ and not _has_credentials():
        os.environ["WANDB_MODE"] = "offline"


def sync_hint(loggers: Iterable[Logger]) -> str | None:
    """The command that uploads an offline W&B run, if one of the loggers wrote one."""
    for logger in loggers:
        if isinstance(logger, WandbLogger) and os.environ.get("WANDB_MODE") == "offline":
            run_dir = Path(logger.experiment.dir).parent
            return f"W&B ran offline; upload later with: wandb sync {run_dir}"
    return None


def _scalars(prefix: str, values: dict[str, Any]) -> dict[str, float]:
    return {f"{prefix}/{k}": v for k, v in values.items() if isinstance(v, int | float) and not isinstance(v, bool)}


def log_results(loggers: Iterable[Logger], ev: Evaluation, figs: dict[str, Path]) -> None:
    """Test metrics (model and references) to every logger; figures to those that take images. A W&B run gets the
    metrics as its summary too (what its tables and sweep views compare) and is closed: the next job of a multirun in
    this process then starts a run of its own instead of reusing this one."""
    scalars = _scalars("test", ev.model.metrics)
    for name, ref in ev.references.items():
        scalars |= _scalars(f"reference/{name}", ref.metrics)
    for lg in loggers:
        lg.log_metrics(scalars)
        if isinstance(lg, WandbLogger):
            lg.log_image(key="figures", images=[str(p) for p in figs.values()], caption=list(figs))
            lg.experiment.summary.update(scalars)
        elif isinstance(lg, TensorBoardLogger):
            import matplotlib.image as mpimg

            for name, path in figs.items():
                img = (mpimg.imread(path)[..., :3] * 255).astype(np.uint8)
                lg.experiment.add_image(name, img, dataformats="HWC")
        lg.save()
        if isinstance(lg, WandbLogger):
            lg.experiment.finish()
