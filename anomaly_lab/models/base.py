"""What every LightningModule here shares: the train/validation/test loss logging and the optimiser setup.

A family only says how its loss is computed (`loss`) and what its anomaly score is (`predict_step`); it also
answers `reconstruct` and `encode`, so that no caller needs to know whether it is a VAE.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import lightning as L
import torch
from torch import nn

Batch = tuple[torch.Tensor, torch.Tensor]


class LossModule(L.LightningModule, ABC):
    """Logs `<stage>_loss` per epoch (synchronised across DDP ranks) and builds the configured optimiser
    and scheduler from their factories (Hydra partials).

    Per-step values are summed on their device and handed to `self.log` once per epoch: Lightning's bookkeeping
    for one `self.log` call costs more host time than a small network's whole step on a GPU. (torchmetrics'
    MeanMetric would do, but in 1.9 it drops the weights when told to keep NaN, and otherwise reads every value
    back to the host to look for NaN.)

    The factories are kept out of `hparams`: a checkpoint then holds plain data only and loads with
    torch's `weights_only=True`, which a resumed run needs.
    """

    # the anomaly scores `predict_step` can give, the first the default; a family with several reads its choice
    # from `hparams.score`
    SCORES: ClassVar[tuple[str, ...]] = ()

    def __init__(self, optimizer: Callable[..., torch.optim.Optimizer], scheduler: Callable[..., Any] | None) -> None:
        super().__init__()
        self.optimizer_factory, self.scheduler_factory = optimizer, scheduler
        self._epoch_sums: dict[str, list] = {}  # name -> [sum of value x samples (a tensor), samples]
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

    @classmethod
    def score_names(cls) -> tuple[str, ...]:
        """The anomaly scores this family's `predict_step` can give, so that a caller can ask for each in turn."""
        return cls.SCORES

    @contextmanager
    def scoring(self, name: str) -> Iterator[LossModule]:
        """`predict_step` gives score `name` inside the block and the configured one after it: another score of the
        same trained network without retraining."""
        if name not in self.score_names():
            raise ValueError(f"score: expected one of {self.score_names()}, got {name!r}")
        if "score" not in self.hparams:  # a family with one score: nothing to switch
            yield self
            return
        configured = self.hparams.score
        self.hparams.score = name
        try:
            yield self
        finally:
            self.hparams.score = configured

    def epoch_mean(self, name: str, value: torch.Tensor, n_samples: int) -> None:
        """Add a batch's mean `value` of `n_samples` to the epoch's sample-weighted mean of `name` (`<stage>_...`),
        logged when the stage's epoch ends; NaN stays NaN."""
        weighted = value.detach().float() * n_samples
        acc = self._epoch_sums.get(name)
        if acc is None:
            self._epoch_sums[name] = [weighted, n_samples]
        else:
            acc[0], acc[1] = acc[0] + weighted, acc[1] + n_samples

    def _log_epoch_means(self, stage: str) -> None:
        """Log the mean over every DDP rank's samples of each of the stage's values, and start the next epoch's."""
        for name in [n for n in self._epoch_sums if n.startswith(f"{stage}_")]:
            total, n = self._epoch_sums.pop(name)
            both = torch.stack([total, torch.tensor(float(n), device=total.device)])
            if self._trainer is not None:
                both = self.trainer.strategy.reduce(both, reduce_op="sum")
            self.log(name, both[0] / both[1], prog_bar=name == f"{stage}_loss")

    def on_train_epoch_end(self) -> None:
        self._log_epoch_means("train")

    def on_validation_epoch_end(self) -> None:
        self._log_epoch_means("val")

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        loss = self.loss(batch, "train")
        self.epoch_mean("train_loss", loss, len(batch[0]))
        return loss

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        self.epoch_mean("val_loss", self.loss(batch, "val"), len(batch[0]))

    def configure_optimizers(self) -> Any:
        optimizer = self.optimizer_factory(params=self.parameters())
        if self.scheduler_factory is None:
            return optimizer
        return {"optimizer": optimizer, "lr_scheduler": self.scheduler_factory(optimizer=optimizer)}
