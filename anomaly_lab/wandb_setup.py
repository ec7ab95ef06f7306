"""Weights & Biases defaults: offline runs when no API key is configured, and how to sync them later."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from lightning.pytorch.loggers import Logger


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
        if type(logger).__name__ == "WandbLogger" and os.environ.get("WANDB_MODE") == "offline":
            run_dir = Path(logger.experiment.dir).parent
            return f"W&B ran offline; upload later with: wandb sync {run_dir}"
    return None
