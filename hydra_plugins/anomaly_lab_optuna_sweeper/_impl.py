"""The search loop: ask the study for trials, launch each as a Hydra job through the configured launcher, tell the
study what the job returned, until the study holds `n_trials` COMPLETE or PRUNED trials, however many processes
(or reruns after a kill) share it.

Sharing without a lock: a process asks only while done + running < n_trials, and runs a trial only if fewer than
n_trials unfailed trials (done, running or queued) precede it in the study's numbering; a trial that lost that
race is told FAIL (user attribute `surplus`) without being run.
"""

from __future__ import annotations

import logging
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import hydra
import numpy as np
import optuna
from hydra.core.hydra_config import HydraConfig
from hydra.core.plugins import Plugins
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf
from optuna.distributions import BaseDistribution
from optuna.trial import TrialState

from anomaly_lab import errors
from anomaly_lab.atomic import write_text_atomic
from hydra_plugins.anomaly_lab_optuna_sweeper import _results, _storage
from hydra_plugins.anomaly_lab_optuna_sweeper._jobs import TrialExitError, TrialTask, outcome, quoted
from hydra_plugins.anomaly_lab_optuna_sweeper._objective import objective_direction
from hydra_plugins.anomaly_lab_optuna_sweeper._search_space import as_override, params_from_config, parse_params

log = logging.getLogger(__name__)
POLL_S = 2.0
DONE = (TrialState.COMPLETE, TrialState.PRUNED)
TAKEN = (*DONE, TrialState.RUNNING, TrialState.WAITING)


class OptunaSweeperImpl(Sweeper):
    """The sweeper's state: options from `hydra.sweeper`, the launcher, and the study while it sweeps."""

    def __init__(
        self,
        sampler: DictConfig,
        pruner: DictConfig,
        direction: Any,
        storage: str | None,
        study_name: str | None,
        n_trials: int,
        n_jobs: int,
        max_failure_rate: float,
        heartbeat_interval: int | None,
        grace_period: int | None,
        max_retry: int | None,
        params: DictConfig | None,
    ) -> None:
        self.sampler_cfg, self.direction = sampler, direction
        self.storage, self.url = storage, None
        self.study_name, self.n_trials, self.n_jobs = study_name, n_trials, max(1, n_jobs)
        self.max_failure_rate, self.max_retry = max_failure_rate, max_retry
        self.heartbeat_interval = heartbeat_interval
        # Optuna's default: a trial is stale after two missed heartbeats
        self.grace_period = grace_period or (2 * heartbeat_interval if heartbeat_interval else None)
        self.params = OmegaConf.to_container(params) if params is not None else {}
        self.job_idx = 0

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config, self.hydra_context, self.job_idx = config, hydra_context, 0
        # as run_job does for each job: task_name and the sweep dir may read Hydra's runtime choices
        HydraConfig.instance().set_config(config)
        self.launcher = Plugins.instance().instantiate_launcher(
            config=config, hydra_context=hydra_context, task_function=TrialTask(task_function)
        )

    def _sampler(self, number: int | None = None) -> optuna.samplers.BaseSampler:
        """The configured sampler; with a seed, each trial number gets its own seed drawn from (seed, number), so
        processes that share a study propose different values, and a rerun proposes the same ones."""
        seed = self.sampler_cfg.get("seed")
        if seed is None or number is None:
            return hydra.utils.instantiate(self.sampler_cfg)
        # not seed + number: the legacy generators of adjacent seeds start with nearly the same draw
        trial_seed = int(np.random.SeedSequence([int(seed), number]).generate_state(1)[0])
        return hydra.utils.instantiate(self.sampler_cfg, seed=trial_seed)

    def sweep(self, arguments: list[str]) -> None:
        try:
            metric = self.config.get("optimized_metric")
            direction = objective_direction(metric, self.direction)
            space, fixed = parse_params([*params_from_config(self.params), *arguments])
            task = str(OmegaConf.select(self.config, "task_name", default="search"))
            self.url = _storage.storage_url(self.storage, str(OmegaConf.select(self.config, "paths.log_dir")), task)
            self.study_name = self.study_name or _storage.default_study_name(task, arguments)
            study, storage = _storage.open_study(
                self.url,
                self.study_name,
                direction,
                self._sampler(),
                self.heartbeat_interval,
                self.grace_period,
                self.max_retry,
            )
        except ValueError as err:
            errors.exit_on_user_error(err)
            raise
        log.info(
            "study %s in %s: %s (%s), %d of %d trials done",
            self.study_name,
            self.url or "memory",
            metric,
            direction,
            self._count(study)[0],
            self.n_trials,
        )
        # as the basic sweeper does: the sweep's config beside its jobs
        write_text_atomic(Path(self.config.hydra.sweep.dir) / "multirun.yaml", OmegaConf.to_yaml(self.config))
        heartbeat = _storage.Heartbeat(storage, self.heartbeat_interval)
        try:
            self._run(study, storage, space, fixed, heartbeat)
        except TrialExitError as err:  # the job's own error line is above: one more line, no traceback
            errors.report(RuntimeError(f"search stopped: a trial failed, {err}; rerun to resume the search"), err)
            sys.exit(1)
        finally:
            heartbeat.close()
        _results.write(self.config, study, metric, self.url, self.n_trials)

    @staticmethod
    def _count(study: optuna.Study) -> tuple[int, int]:
        """(done, running) trials of the study."""
        trials = study.get_trials(deepcopy=False, states=(*DONE, TrialState.RUNNING))
        done = sum(t.state in DONE for t in trials)
        return done, len(trials) - done

    def _run(
        self,
        study: optuna.Study,
        storage: Any,
        space: dict[str, BaseDistribution],
        fixed: dict[str, str],
        heartbeat: _storage.Heartbeat,
    ) -> None:
        own_failures, waiting = 0, False
        while True:
            _storage.fail_stale_trials(study, storage, self.grace_period, self.max_retry)
            done, running = self._count(study)
            if done >= self.n_trials:
                return
            free = self.n_trials - done - running
            if free <= 0:
                if not waiting:
                    log.info("%d of %d trials done; waiting for %d running elsewhere", done, self.n_trials, running)
                waiting = True
                time.sleep(POLL_S)
                continue
            waiting = False
            trials = self._ask(study, min(free, self.n_jobs), space, fixed, heartbeat)
            if not trials:
                time.sleep(POLL_S)
                continue
            failures = self._launch(study, trials, heartbeat)
            own_failures += len(failures)
            if len(failures) > self.max_failure_rate * len(trials) or own_failures >= self.n_trials:
                log.error(
                    "%d of %d trials failed (max_failure_rate=%g)", len(failures), len(trials), self.max_failure_rate
                )
                raise failures[0]

    def _ask(
        self,
        study: optuna.Study,
        k: int,
        space: dict[str, BaseDistribution],
        fixed: dict[str, str],
        heartbeat: _storage.Heartbeat,
    ) -> list[tuple[optuna.Trial, list[str]]]:
        """Up to k new trials (queued ones first), each with its overrides; stops at the first surplus one."""
        out = []
        for _ in range(k):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "heartbeat is meant for Study.optimize": we beat ourselves
                trial = study.ask()
            heartbeat.add(trial._trial_id)
            ahead = sum(t.number < trial.number for t in study.get_trials(deepcopy=False, states=TAKEN))
            if ahead >= self.n_trials:
                trial.set_user_attr("surplus", True)
                study.tell(trial, state=TrialState.FAIL)
                heartbeat.discard(trial._trial_id)
                log.info("trial %d not run: other processes took the study's last trials", trial.number)
                break
            study.sampler = self._sampler(trial.number)
            values = [as_override(name, trial._suggest(name, dist)) for name, dist in space.items()]
            overrides = [*fixed.values(), *values]
            trial.set_user_attr("overrides", overrides)
            out.append((trial, overrides))
        return out

    def _job_overrides(self, number: int) -> list[str]:
        """What a trial's job needs beyond its parameters: the study to report to, and its own directory."""
        out = []
        if OmegaConf.to_container(self.config.hydra.sweep, resolve=False).get("subdir") == "${hydra.job.num}":
            out.append(f"hydra.sweep.subdir=trial_{number}")  # job numbers repeat across processes, trials do not
        if self.url is not None:
            out += [
                f"++optuna.storage={quoted(self.url)}",
                f"++optuna.study_name={quoted(str(self.study_name))}",
                f"++optuna.trial={number}",
            ]
        return out

    def _launch(
        self, study: optuna.Study, trials: list[tuple[optuna.Trial, list[str]]], heartbeat: _storage.Heartbeat
    ) -> list[BaseException]:
        """Run the trials as one batch of jobs and tell the study each result; the errors of failed trials."""
        jobs = [[*overrides, *self._job_overrides(trial.number)] for trial, overrides in trials]
        try:
            returns = self.launcher.launch(jobs, initial_job_idx=self.job_idx)
        except BaseException:
            for trial, _ in trials:  # interrupted: queue them again, as a killed process's trials are
                _storage.requeue(study, trial._trial_id, self.max_retry)
                heartbeat.discard(trial._trial_id)
            raise
        self.job_idx += len(returns)
        failures = []
        for (trial, _), ret in zip(trials, returns, strict=True):
            state, value, err = outcome(ret)
            told = study.tell(trial, value, state=state, skip_if_finished=True)
            heartbeat.discard(trial._trial_id)
            if told.state != state:
                log.warning("trial %d was failed as stale by another process while it ran", trial.number)
            if err is not None:
                log.warning("trial %d failed: %s", trial.number, err)
                failures.append(err)
            else:
                log.info("trial %d %s%s", trial.number, state.name, f": {value}" if value is not None else "")
        return failures
