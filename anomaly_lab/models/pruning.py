"""Optuna pruning for a run that is a trial of a hyperparameter search: the validation loss goes to the study
each epoch, and a trial the pruner judges hopeless stops with `optuna.TrialPruned`. Inert outside a search.

The sweeper (hydra_plugins/anomaly_lab_optuna_sweeper) names the study to its jobs with the overrides
`++optuna.storage=<url> ++optuna.study_name=<name> ++optuna.trial=<number>`; the hparams_search configs pass
them here, with the pruner of `hydra.sweeper.pruner`.
"""

from __future__ import annotations

from typing import Any

import lightning as L
import optuna
from optuna.study import StudyDirection

JOURNAL_PREFIX = "journal://"


def open_storage(url: str, **rdb_options: Any) -> optuna.storages.BaseStorage:
    """An Optuna storage from its URL: `journal://<file>` is a journal file (for shared file systems where a
    database is not at hand); any other URL is a SQLAlchemy database (`sqlite:///<file>`, `postgresql://...`)."""
    if url.startswith(JOURNAL_PREFIX):
        from optuna.storages.journal import JournalFileBackend

        return optuna.storages.JournalStorage(JournalFileBackend(url.removeprefix(JOURNAL_PREFIX)))
    if url.startswith("sqlite:"):
        # processes sharing a study wait for each other's writes instead of failing after sqlite's 5 s
        rdb_options.setdefault("engine_kwargs", {"connect_args": {"timeout": 120}})
    return optuna.storages.RDBStorage(url, **rdb_options)


class OptunaPruning(L.Callback):
    """Report `monitor` after each validation epoch to the trial and stop the run when the pruner says so.

    The study's direction belongs to the objective (val_auroc is maximised) while the monitored loss is
    minimised: the reported value is negated where the two disagree, so that the pruner compares the right way.
    """

    def __init__(
        self,
        storage: str | None = None,
        study_name: str | None = None,
        trial: int | None = None,
        pruner: optuna.pruners.BasePruner | None = None,
        monitor: str = "val_loss",
        mode: str = "min",
    ) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"OptunaPruning: mode={mode}, expected min or max")
        self.storage, self.study_name, self.trial_number = storage, study_name, trial
        self.pruner = pruner if pruner is not None else optuna.pruners.MedianPruner(n_warmup_steps=2)
        self.monitor, self.mode = monitor, mode
        self._trial: optuna.Trial | None = None
        self._storage: optuna.storages.BaseStorage | None = None
        self._sign = 1.0

    @property
    def active(self) -> bool:
        """Whether the run is a trial of a study (the sweeper gave storage, study and trial)."""
        return None not in (self.storage, self.study_name, self.trial_number)

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        if stage != "fit" or not self.active or not trainer.is_global_zero:
            return
        storage = open_storage(str(self.storage))
        study = optuna.load_study(study_name=self.study_name, storage=storage, pruner=self.pruner)
        trial_id = storage.get_trial_id_from_study_id_trial_number(
            storage.get_study_id_from_name(str(self.study_name)), int(self.trial_number)
        )
        self._trial, self._storage = optuna.Trial(study, trial_id), storage
        minimise = study.direction == StudyDirection.MINIMIZE
        self._sign = 1.0 if minimise == (self.mode == "min") else -1.0

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not self.active or trainer.sanity_checking:
            return
        value = trainer.callback_metrics.get(self.monitor)
        prune = False
        if self._trial is not None and value is not None:
            self._trial.report(self._sign * float(value), trainer.current_epoch)
            prune = self._trial.should_prune()
        # rank 0 decides; every rank stops together under DDP
        if trainer.strategy.broadcast(prune, src=0):
            raise optuna.TrialPruned(
                f"trial {self.trial_number} pruned on its {self.monitor} after epoch {trainer.current_epoch}"
            )

    def teardown(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        # searches run many trials in one process: close each trial's connections
        if isinstance(self._storage, optuna.storages.RDBStorage):
            self._storage.engine.dispose()
        self._trial = self._storage = None
