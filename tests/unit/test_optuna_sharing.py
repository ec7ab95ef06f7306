"""How the Optuna sweeper shares a study without a lock: a trial beyond n_trials is never run, each trial
number gets its own reproducible sample, and a trial whose process stopped beating is failed and queued again."""

from __future__ import annotations

import time
from pathlib import Path

import optuna
from omegaconf import OmegaConf
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState

from hydra_plugins.anomaly_lab_optuna_sweeper._impl import OptunaSweeperImpl
from hydra_plugins.anomaly_lab_optuna_sweeper._storage import HEARTBEAT_ATTR, Heartbeat, fail_stale_trials, open_study

SPACE = {"lr": FloatDistribution(1e-4, 1e-2, log=True)}


def _sweeper(n_trials: int) -> OptunaSweeperImpl:
    sampler = OmegaConf.create({"_target_": "optuna.samplers.TPESampler", "seed": 7})
    return OptunaSweeperImpl(sampler, OmegaConf.create({}), None, None, None, n_trials, 1, 0.0, None, None, 3, None)


def test_a_trial_beyond_n_trials_is_told_fail_as_surplus_and_not_run() -> None:
    study = optuna.create_study()
    study.tell(study.ask(), 0.5)
    study.ask()  # running in another process: with it, the study holds its two trials
    sweeper = _sweeper(n_trials=2)
    assert sweeper._ask(study, 1, SPACE, {}, Heartbeat(None, None)) == []
    surplus = study.trials[-1]
    assert surplus.state == TrialState.FAIL and surplus.user_attrs["surplus"] and surplus.params == {}


def test_each_trial_number_draws_its_own_reproducible_sample() -> None:
    def first_values(fixed: dict[str, str]) -> list[tuple[str, ...]]:
        study = optuna.create_study()
        asked = _sweeper(n_trials=3)._ask(study, 3, SPACE, fixed, Heartbeat(None, None))
        return [tuple(overrides) for _, overrides in asked]

    once, again = first_values({"seed": "seed=1"}), first_values({"seed": "seed=1"})
    assert once == again and len({o[1] for o in once}) == 3 and all(o[0] == "seed=1" for o in once)


def test_a_trial_whose_process_stopped_beating_is_failed_and_queued_again(tmp_path: Path) -> None:
    # the journal file keeps the heartbeat in a trial attribute; RDB storages use Optuna's own heartbeat table
    url = f"journal://{tmp_path / 'journal.log'}"
    study, storage = open_study(url, "s", "maximize", optuna.samplers.RandomSampler(), 1, 2, 3)
    trial = study.ask()
    trial.suggest_float("lr", 1e-4, 1e-2, log=True)
    storage.set_trial_system_attr(trial._trial_id, HEARTBEAT_ATTR, time.time() - 10)
    alive = study.ask()
    Heartbeat(storage, 1).add(alive._trial_id)
    fail_stale_trials(study, storage, grace_period=2, max_retry=3)
    states = [t.state for t in study.trials]
    assert states == [TrialState.FAIL, TrialState.RUNNING, TrialState.WAITING]
    assert study.trials[2].params == study.trials[0].params and study.trials[2].system_attrs["failed_trial"] == 0
