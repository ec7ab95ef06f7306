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
    """Raise when a training loss is NaN or infinite, before anything is scored or written.

    On the CPU every step is checked. On a GPU, reading the loss each step would make the host wait for the device
    every step (a third of the throughput at batch 256); the first bad step is recorded on the device and read
    every `check_every_n_steps` (50) steps and at the end of the epoch, so the run stops at most that many steps late
    and still names the first bad step.
    """

    def __init__(self, check_every_n_steps: int | None = None) -> None:
        self.check_every_n_steps = check_every_n_steps  # None: every step on the CPU, every 50 on a GPU
        self._pending: list[tuple[tuple[int, int, int], torch.Tensor]] = []  # (epoch, step, batch), loss on device

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:  # fmt: skip
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        if loss is None:
            return
        self._pending.append(((trainer.current_epoch, trainer.global_step, batch_idx), loss.detach()))
        every = self.check_every_n_steps or (1 if loss.device.type == "cpu" else 50)
        if len(self._pending) >= every:
            self._check(trainer)

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._check(trainer)

    def _check(self, trainer: L.Trainer) -> None:
        """Read the pending losses in one transfer; raise at the first that is not finite."""
        if not self._pending:
            return
        losses = torch.stack([loss.float() for _, loss in self._pending]).cpu().tolist()
        where = [w for w, _ in self._pending]
        self._pending = []
        for (epoch, step, batch_idx), loss in zip(where, losses, strict=True):
            if not math.isfinite(loss):
                self._raise(trainer, (epoch, step, batch_idx, loss))

    @staticmethod
    def _raise(trainer: L.Trainer, where: tuple[int, int, int, float]) -> None:
        epoch, step, batch_idx, loss = where
        lr = trainer.optimizers[0].param_groups[0]["lr"] if trainer.optimizers else None
        raise NonFiniteLossError(
            f"training loss is {loss} at epoch {epoch}, step {step} (batch {batch_idx} of the epoch): lower the "
            f"learning rate (model.optimizer.lr={lr:g}) or check the inputs; no results were written"
        )


class RandomStateInCheckpoint(L.Callback):
    """Saves torch's global random state with every checkpoint and restores it on resume: the shuffling of
    later epochs (and a VAE's sampling) then follow the same stream as an uninterrupted run's."""

    def state_dict(self) -> dict[str, Any]:
        return {"torch": torch.get_rng_state()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        torch.set_rng_state(state_dict["torch"])
