"""Where a study lives and how its processes stay honest: the storage from its URL, the study's default name,
the heartbeat of this process's running trials, and the failing (and re-queueing) of trials whose process died.

Optuna's RDB storage keeps heartbeats in the database (`RDBStorage(heartbeat_interval, grace_period)`, stale
trials failed by `optuna.storages.fail_stale_trials`); the journal file has no heartbeat of its own, so there the
heartbeat is a trial system attribute with the writer's clock. A failed stale trial is re-queued with its
parameters (Optuna's `RetryHeartbeatStaleTrialCallback`), so a killed trial is run again, not replaced.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import optuna
from optuna.storages import BaseStorage, RDBStorage, RetryHeartbeatStaleTrialCallback
from optuna.trial import TrialState

from anomaly_lab.models.pruning import JOURNAL_PREFIX, open_storage

log = logging.getLogger(__name__)
SQLITE_PREFIX = "sqlite:///"
HEARTBEAT_ATTR = "anomaly_lab_heartbeat"


def default_study_name(task_name: str, arguments: list[str]) -> str:
    """`<task_name>-<8 hex>` from the command line's overrides (order aside): a rerun of one command finds its
    study again, another command (other data, debug=smoke) gets its own."""
    digest = hashlib.sha256("\n".join(sorted(arguments)).encode()).hexdigest()[:8]
    return f"{task_name}-{digest}"


def _file_of(url: str) -> Path | None:
    """The file behind a sqlite or journal URL (None for a database server or sqlite in memory)."""
    for prefix in (SQLITE_PREFIX, JOURNAL_PREFIX):
        if url.startswith(prefix) and url[len(prefix) :] not in ("", ":memory:"):
            return Path(url[len(prefix) :])
    return None


def storage_url(template: str | None, log_dir: str, task_name: str) -> str | None:
    """The storage URL with {log_dir} and {task_name} filled in and its file made absolute (None: in memory)."""
    if not template:
        return None
    return absolute_url(template.replace("{log_dir}", log_dir).replace("{task_name}", task_name))


def absolute_url(url: str) -> str:
    """The URL with its file made absolute, so jobs that start elsewhere (a cluster node) find the same study."""
    path = _file_of(url)
    if path is None:
        return url
    prefix = SQLITE_PREFIX if url.startswith(SQLITE_PREFIX) else JOURNAL_PREFIX
    return prefix + str(path.resolve())


@contextmanager
def _creation_lock(url: str) -> Iterator[None]:
    """Two processes creating one sqlite file's tables at once can collide: the first creates, the next waits.
    (A journal file locks itself, with `<file>.lock`: this lock's name differs.)"""
    path = _file_of(url)
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if not url.startswith(SQLITE_PREFIX):
        yield
        return
    with open(path.with_name(path.name + ".create-lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def open_study(
    url: str | None,
    name: str,
    direction: str,
    sampler: optuna.samplers.BaseSampler,
    heartbeat_interval: int | None,
    grace_period: int | None,
    max_retry: int | None,
) -> tuple[optuna.Study, BaseStorage | None]:
    """The named study in `url`, created or loaded (`load_if_exists`), and its storage (None in memory)."""
    storage: BaseStorage | None = None
    with _creation_lock(url or ""), warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        if url is not None and url.startswith(JOURNAL_PREFIX):
            storage = open_storage(url)
        elif url is not None:
            storage = open_storage(
                url,
                heartbeat_interval=heartbeat_interval,
                grace_period=grace_period,
                heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(max_retry),
            )
        study = optuna.create_study(
            storage=storage, study_name=name, direction=direction, sampler=sampler, load_if_exists=True
        )
    if study.direction.name.lower() != direction:
        raise ValueError(
            f"study {name} in {url} is to {study.direction.name.lower()}, not {direction}: give "
            "another hydra.sweeper.study_name"
        )
    return study, storage


def fail_stale_trials(
    study: optuna.Study, storage: BaseStorage | None, grace_period: int | None, max_retry: int | None
) -> None:
    """Fail the RUNNING trials whose process stopped beating, and queue each again with its parameters."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        if isinstance(storage, RDBStorage):
            optuna.storages.fail_stale_trials(study)
            return
        if storage is None or grace_period is None:
            return
        now = time.time()
        for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            beat = trial.system_attrs.get(HEARTBEAT_ATTR)
            if beat is None or now - beat <= grace_period:
                continue
            requeue(study, trial._trial_id, max_retry)


def requeue(study: optuna.Study, trial_id: int, max_retry: int | None) -> None:
    """Fail a trial that did not finish (its process died or was interrupted) and queue its parameters again."""
    storage = study._storage
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        try:
            if storage.set_trial_state_values(trial_id, state=TrialState.FAIL):
                RetryHeartbeatStaleTrialCallback(max_retry)(study, storage.get_trial(trial_id))
        except optuna.exceptions.UpdateFinishedTrialError:
            pass  # another process failed it first


class Heartbeat:
    """One daemon thread records, every `interval` s, that this process's trials are still running."""

    def __init__(self, storage: BaseStorage | None, interval: int | None) -> None:
        self.storage, self.interval = storage, interval
        self._ids: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if storage is not None and interval:
            self._thread = threading.Thread(target=self._run, name="optuna-heartbeat", daemon=True)
            self._thread.start()

    def _beat(self, trial_id: int) -> None:
        try:
            if isinstance(self.storage, RDBStorage):
                self.storage.record_heartbeat(trial_id)
            elif self.storage is not None:
                self.storage.set_trial_system_attr(trial_id, HEARTBEAT_ATTR, time.time())
        except optuna.exceptions.UpdateFinishedTrialError:
            pass  # told a moment ago
        except Exception as err:  # noqa: BLE001 - a missed beat is retried; the search must go on
            log.warning("heartbeat of trial id %d not recorded: %s", trial_id, err)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                ids = sorted(self._ids)
            for trial_id in ids:
                self._beat(trial_id)

    def add(self, trial_id: int) -> None:
        """Beat for this trial from now on (the first beat at once)."""
        if self._thread is None:
            return
        self._beat(trial_id)
        with self._lock:
            self._ids.add(trial_id)

    def discard(self, trial_id: int) -> None:
        with self._lock:
            self._ids.discard(trial_id)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
