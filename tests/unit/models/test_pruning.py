"""The pruning callback: inside a study it reports the validation loss each epoch and stops a trial worse than
the median of earlier ones after the warm-up; outside a study it does nothing."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import optuna
import pytest
import torch

from anomaly_lab.models.pruning import OptunaPruning, open_storage


def _trainer(epoch: int, val_loss: float) -> SimpleNamespace:
    strategy = SimpleNamespace(broadcast=lambda obj, src=0: obj)
    return SimpleNamespace(current_epoch=epoch, sanity_checking=False, is_global_zero=True, strategy=strategy,
                           callback_metrics={"val_loss": torch.tensor(val_loss)})  # fmt: skip


@pytest.fixture
def study_url(tmp_path: Path) -> str:
    """A maximised study (val_auroc) whose five finished trials reached a validation loss of 1.0 at every epoch."""
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    study = optuna.create_study(study_name="s", storage=open_storage(url), direction="maximize")
    for _ in range(5):
        trial = study.ask()
        for epoch in range(4):
            trial.report(-1.0, epoch)  # the callback negates a loss for a maximised objective
        study.tell(trial, 0.8)
    study.ask()  # trial 5: the one the callback reports to
    return url


def _callback(url: str) -> OptunaPruning:
    pruner = optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=2)
    return OptunaPruning(storage=url, study_name="s", trial=5, pruner=pruner)


def test_a_trial_worse_than_the_median_is_pruned_after_the_warm_up(study_url: str) -> None:
    callback = _callback(study_url)
    callback.setup(_trainer(0, 5.0), None, "fit")
    for epoch in (0, 1):  # warm-up: reported, never pruned
        callback.on_validation_end(_trainer(epoch, 5.0), None)
    with pytest.raises(optuna.TrialPruned, match="trial 5 pruned on its val_loss after epoch 2"):
        callback.on_validation_end(_trainer(2, 5.0), None)
    trial = optuna.load_study(study_name="s", storage=study_url).trials[5]
    assert trial.intermediate_values == {0: -5.0, 1: -5.0, 2: -5.0}


def test_a_trial_better_than_the_median_goes_on(study_url: str) -> None:
    callback = _callback(study_url)
    callback.setup(_trainer(0, 0.5), None, "fit")
    for epoch in range(4):
        callback.on_validation_end(_trainer(epoch, 0.5), None)


def test_outside_a_study_the_callback_does_nothing() -> None:
    callback = OptunaPruning()
    assert not callback.active
    callback.setup(_trainer(0, 5.0), None, "fit")
    callback.on_validation_end(_trainer(3, 5.0), None)
