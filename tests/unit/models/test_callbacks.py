"""The non-finite-loss check: every step on the CPU, batched reads (no per-step sync) on a GPU, first bad step named."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch

from anomaly_lab.models.callbacks import NonFiniteLossError, StopOnNonFiniteLoss


def _trainer(step: int) -> SimpleNamespace:
    optimizer = SimpleNamespace(param_groups=[{"lr": 1e-3}])
    return SimpleNamespace(current_epoch=2, global_step=step, optimizers=[optimizer])


def _feed(callback: StopOnNonFiniteLoss, losses: list[float]) -> None:
    for i, value in enumerate(losses):
        callback.on_train_batch_end(_trainer(100 + i), None, {"loss": torch.tensor(value)}, None, i)


def test_cpu_loss_is_checked_at_the_step_it_goes_bad() -> None:
    with pytest.raises(NonFiniteLossError, match="epoch 2, step 102 .batch 2 of the epoch"):
        _feed(StopOnNonFiniteLoss(), [1.0, 0.5, math.nan, 0.4])


def test_batched_check_waits_for_the_batch_then_names_the_first_bad_step() -> None:
    callback = StopOnNonFiniteLoss(check_every_n_steps=5)
    _feed(callback, [1.0, 0.5, 0.4, math.inf])  # four pending: nothing read yet
    with pytest.raises(NonFiniteLossError, match="loss is inf at epoch 2, step 103 .batch 3"):
        callback.on_train_batch_end(_trainer(104), None, {"loss": torch.tensor(math.nan)}, None, 4)


def test_epoch_end_reads_what_is_pending() -> None:
    callback = StopOnNonFiniteLoss(check_every_n_steps=50)
    _feed(callback, [1.0, math.nan])
    with pytest.raises(NonFiniteLossError, match="step 101"):
        callback.on_train_epoch_end(_trainer(101), None)


def test_finite_losses_pass_and_leave_nothing_pending() -> None:
    callback = StopOnNonFiniteLoss(check_every_n_steps=3)
    _feed(callback, [1.0, 0.9, 0.8, 0.7])
    callback.on_train_epoch_end(_trainer(104), None)
    assert callback._pending == []
