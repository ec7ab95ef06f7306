"""What every LightningModule here shares: the train/validation/test loss logging and the optimiser setup.

A family only says how its loss is computed (`loss`) and what its anomaly score is (`predict_step`); it also
answers `reconstruct` and `encode`, so that no caller needs to know whether it is a VAE.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import lightning as L
import torch
from torch import nn

Batch = tuple[torch.Tensor, torch.Tensor]


class LossModule(L.LightningModule, ABC):
    """Logs `<stage>_loss` per epoch (synchronised across DDP ranks) and builds the configured optimiser
    and scheduler from their factories (Hydra partials).

    The factories are kept out of `hparams`: a checkpoint then holds plain data only and loads with
    torch's `weights_only=True`, which a resumed run needs.
    """

    def __init__(self, optimizer: Callable[..., torch.optim.Optimizer], scheduler: Callable[..., Any] | None) -> None:
        super().__init__()
        self.optimizer_factory, self.scheduler_factory = optimizer, scheduler
        self._compiled: Callable[[torch.Tensor], Any] | None = None

    def set_net(self, net: nn.Module, compile: bool = False) -> None:
        """Keep `net` (its parameters, and so checkpoint keys, as without compiling) and, with `compile`, run it
        through `torch.compile` in training and scoring alike."""
        self.net = net
        # set past nn.Module's registry: the compiled wrapper must not add `_orig_mod` keys to the state dict
        object.__setattr__(self, "_compiled", torch.compile(net) if compile else None)

    @property
    def compiled(self) -> bool:
        """True when the network runs compiled (scoring then feeds it equal-shaped batches)."""
        return self._compiled is not None

    @abstractmethod
    def loss(self, batch: Batch, stage: str) -> torch.Tensor:
        """Mean loss of a batch; `stage` is train or val, for any extra terms a family logs."""

    def forward(self, x: torch.Tensor) -> Any:
        return self.net(x) if self._compiled is None else self._compiled(x)

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor | None:
        """The model's reconstruction of `x` in the shape the loss compares (None: it does not reconstruct)."""
        return None

    def encode(self, x: torch.Tensor) -> torch.Tensor | None:
        """The latent coordinates of `x`, one row per sample (None: the model has no latent space)."""
        return None

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        loss = self.loss(batch, "train")
        self.log("train_loss", loss, on_step=False, on_epoch=True, prog_bar=True, sync_dist=True)
        return loss

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        self.log("val_loss", self.loss(batch, "val"), on_epoch=True, prog_bar=True, sync_dist=True)

    def configure_optimizers(self) -> Any:
        optimizer = self.optimizer_factory(params=self.parameters())
        if self.scheduler_factory is None:
            return optimizer
        return {"optimizer": optimizer, "lr_scheduler": self.scheduler_factory(optimizer=optimizer)}
