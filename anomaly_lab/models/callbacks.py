"""Training callbacks every study uses: stop on a non-finite loss, and keep the random stream in checkpoints
so that a resumed run continues exactly where the killed one stopped."""

from __future__ import annotations

import math
from typing import Any

import lightning as L
import torch


class NonFiniteLossError(ValueError):
    """Training produced a NaN or infinite loss; the message names the epoch and step."""


class StopOnNonFiniteLoss(L.Callback):
    """Raise at the first training step whose loss is NaN or infinite, before anything is scored or written."""

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:  # fmt: skip
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        if loss is None or math.isfinite(float(loss.detach())):
            return
        lr = trainer.optimizers[0].param_groups[0]["lr"] if trainer.optimizers else None
        raise NonFiniteLossError(
            f"training loss is {float(loss.detach())} at epoch {trainer.current_epoch}, step {trainer.global_step} "
            f"(batch {batch_idx} of the epoch): lower the learning rate (model.optimizer.lr={lr:g}) "
            "or check the inputs; no results were written"
        )


class RandomStateInCheckpoint(L.Callback):
    """Saves torch's global random state with every checkpoint and restores it on resume: the shuffling of
    later epochs (and a VAE's sampling) then follow the same stream as an uninterrupted run's."""

    def state_dict(self) -> dict[str, Any]:
        return {"torch": torch.get_rng_state()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        torch.set_rng_state(state_dict["torch"])
