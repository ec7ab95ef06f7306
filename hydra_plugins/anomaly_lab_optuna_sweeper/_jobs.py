"""A trial seen as a Hydra job: the task function that turns a job's exit into an error, and the study's view of
what a job returned."""

from __future__ import annotations

import math
import signal
from typing import Any

import optuna
from hydra.core.utils import JobReturn, JobStatus
from hydra.types import TaskFunction
from omegaconf import DictConfig
from optuna.trial import TrialState


class TrialExitError(RuntimeError):
    """A trial's job called sys.exit: anomaly_lab's one-line report of an expected error (already printed)."""


class TrialTask:
    """The task function with a job's sys.exit turned into an error, so that an expected error ends its trial
    (FAIL), not the search; at module level so that the joblib and submitit launchers can pickle it."""

    def __init__(self, task_function: TaskFunction) -> None:
        self.task_function = task_function

    def __call__(self, cfg: DictConfig) -> Any:
        handler = signal.getsignal(signal.SIGINT)
        try:
            return self.task_function(cfg)
        except SystemExit as exc:
            if handler != signal.SIG_IGN and signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
                # Lightning's answer to Ctrl-C: SIGINT ignored, then sys.exit(1); the search stops too
                signal.signal(signal.SIGINT, handler)
                raise KeyboardInterrupt from None
            raise TrialExitError(f"its job exited with status {exc.code} (its error is above)") from None


def outcome(ret: JobReturn) -> tuple[TrialState, float | None, BaseException | None]:
    """(state, value, error) of a finished job: its return value, a pruned trial, or its error."""
    if ret.status == JobStatus.COMPLETED:
        try:
            value = float(ret.return_value)
        except (TypeError, ValueError):
            return (
                TrialState.FAIL,
                None,
                ValueError(
                    f"the job returned {ret.return_value!r}, not a number: is optimized_metric one of its metrics?"
                ),
            )
        if not math.isfinite(value):
            return TrialState.FAIL, None, ValueError(f"the job returned {value}")
        return TrialState.COMPLETE, value, None
    err = ret._return_value
    if isinstance(err, optuna.TrialPruned):
        return TrialState.PRUNED, None, None
    return TrialState.FAIL, None, err if isinstance(err, BaseException) else RuntimeError(f"job status {ret.status}")


def quoted(value: str) -> str:
    """A string as a quoted override value (paths may hold characters the grammar reads otherwise)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
