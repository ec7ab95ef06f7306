"""The Optuna part of the compare CLI: find the study a sweep stored, name its best trial, draw its history and
parameter importances. A study that cannot be opened costs one line; the tables never depend on it."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import optuna
from omegaconf import OmegaConf
from optuna.trial import TrialState
from optuna.visualization import matplotlib as optuna_plots

from anomaly_lab.models.pruning import open_storage
from anomaly_lab.plotting import save_figure

SWEEP_DIR_REFERENCES = ("${hydra.sweep.dir}", "${hydra:sweep.dir}", "${hydra:runtime.output_dir}")


class StudyUnavailable(Exception):
    """The sweep's Optuna storage or study could not be opened."""


def is_optuna_sweep(sweep_dir: Path, sweeper: dict[str, Any]) -> bool:
    """An Optuna sweep names a storage or study in hydra.sweeper, or left a storage or results file beside its jobs."""
    named = "storage" in sweeper or "study_name" in sweeper or "optuna" in str(sweeper.get("_target_", "")).lower()
    return named or (sweep_dir / "optuna_storage").is_file() or (sweep_dir / "optimization_results.yaml").is_file()


def _sqlite_beside(url: str, sweep_dir: Path) -> str:
    """An SQLite URL with an existing absolute path: a relative one is tried from here, then from the sweep directory.
    A missing database is an error, since opening it would create an empty one."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return url
    path = Path(url[len(prefix) :])
    found = next((p for p in (path, sweep_dir / path, sweep_dir / path.name) if p.is_file()), None)
    if found is None:
        raise StudyUnavailable(f"{url}: no such SQLite file")
    return prefix + str(found.resolve())


def storage_url(sweep_dir: Path, sweeper: dict[str, Any]) -> str:
    """hydra.sweeper.storage from multirun.yaml, else an `optuna_storage` file in the sweep directory (an SQLite
    database, or text holding a storage URL)."""
    storage = sweeper.get("storage")
    if isinstance(storage, str) and storage:
        for reference in SWEEP_DIR_REFERENCES:
            storage = storage.replace(reference, str(sweep_dir))
        if "${" in storage:
            raise StudyUnavailable(f"{storage}: an interpolation that cannot be resolved outside the sweep")
        return _sqlite_beside(storage, sweep_dir)
    file = sweep_dir / "optuna_storage"
    if file.is_file():
        if file.read_bytes()[:16].startswith(b"SQLite format 3"):
            return f"sqlite:///{file.resolve()}"
        return _sqlite_beside(file.read_text().strip(), sweep_dir)
    raise StudyUnavailable("no storage recorded (an in-memory study)")


def _recorded_study(sweep_dir: Path) -> dict[str, Any]:
    """storage and study_name as the sweeper wrote them to optimization_results.yaml, when it did."""
    path = sweep_dir / "optimization_results.yaml"
    if not path.is_file():
        return {}
    results = OmegaConf.to_container(OmegaConf.load(path))
    return {k: results[k] for k in ("storage", "study_name") if isinstance(results, dict) and results.get(k)}


def open_study(sweep_dir: Path, sweeper: dict[str, Any]) -> tuple[optuna.Study, str]:
    """(the sweep's study, its storage URL); the storage's only study when hydra.sweeper names none."""
    recorded = _recorded_study(sweep_dir)  # as the sweeper resolved them: {log_dir} filled in, default name made
    sweeper = {**sweeper, **recorded}
    url = storage_url(sweep_dir, sweeper)
    name = sweeper.get("study_name")
    name = name if isinstance(name, str) and name and "${" not in name else None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        return optuna.load_study(study_name=name, storage=open_storage(url)), url
    except Exception as e:  # any backend's error, or a missing study: reported in one line
        message = str(e).splitlines()[0] if str(e) else ""
        raise StudyUnavailable(f"{url}: {type(e).__name__}: {message}") from e


def _params(params: dict[str, Any]) -> str:
    return ", ".join(f"`{k}={v}`" for k, v in params.items())


def _recorded_results(sweep_dir: Path) -> list[str]:
    """The best trial as the sweeper wrote it to optimization_results.yaml, when it did."""
    file = sweep_dir / "optimization_results.yaml"
    if not file.is_file():
        return []
    results = OmegaConf.to_container(OmegaConf.load(file))
    if not isinstance(results, dict) or "best_value" not in results:
        return []
    return [f"Best trial recorded in optimization_results.yaml: value {results['best_value']}, "
            f"params {_params(results.get('best_params') or {})}."]  # fmt: skip


def _figures(study: optuna.Study, complete: list[optuna.trial.FrozenTrial], sweep_dir: Path) -> list[str]:
    """optuna_history.png and optuna_importances.png; a note instead of each figure that cannot be drawn."""
    lines = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        save_figure(optuna_plots.plot_optimization_history(study).figure, sweep_dir / "optuna_history.png")
        lines += ["![Optuna optimisation history](optuna_history.png)", ""]
        n_params = len({name for t in complete for name in t.params})
        if len(complete) < 2 or n_params < 2:
            why = "fewer than 2 complete trials" if len(complete) < 2 else f"{n_params} parameter searched"
            return lines + [f"Parameter importances skipped: {why}."]
        try:
            ax = optuna_plots.plot_param_importances(study)
        except (ValueError, RuntimeError) as e:  # e.g. every trial with the same value
            return lines + [f"Parameter importances skipped: {e}"]
        save_figure(ax.figure, sweep_dir / "optuna_importances.png")
    return lines + ["![Optuna parameter importances](optuna_importances.png)"]


def optuna_section(sweep_dir: Path, sweeper: dict[str, Any]) -> list[str]:
    """Markdown lines on the sweep's study (best trial, figures), written beside the jobs."""
    lines = ["## Optuna study", ""]
    try:
        study, url = open_study(sweep_dir, sweeper)
    except StudyUnavailable as e:
        return lines + [f"Optuna storage could not be opened: {e}", *_recorded_results(sweep_dir)]
    if len(study.directions) > 1:
        return lines + [f"Study `{study.study_name}` has {len(study.directions)} objectives: no single best trial."]
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    lines.append(f"Study `{study.study_name}` in `{url}` ({study.direction.name.lower()}): "
                 f"{len(complete)} complete of {len(study.trials)} trials.")  # fmt: skip
    if not complete:
        return lines
    best = study.best_trial
    lines += ["", f"Best trial: #{best.number}, value {best.value:.6g}, params {_params(best.params)}.", ""]
    return lines + _figures(study, complete, sweep_dir)
