"""What a search leaves in its sweep directory: `optimization_results.yaml` (the stock plugin's file: best
parameters and value, with the study's name, storage and counts) and `best_trial.yaml`, a primary config that
reruns the best trial: `python -m anomaly_lab --config-dir <sweep dir> --config-name best_trial`."""

from __future__ import annotations

import logging
import shlex
from pathlib import Path
from typing import Any

import optuna
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, OmegaConf

from anomaly_lab.atomic import write_text_atomic

log = logging.getLogger(__name__)


def best_trial_config(overrides: list[str], groups: set[str]) -> tuple[dict[str, Any], list[str]]:
    """A primary config equal to `train` with `overrides`: group choices become defaults-list overrides, values
    nested keys; also the overrides a config cannot express (deletions), left to the command line."""
    defaults: list[Any] = ["train"]
    values = OmegaConf.create()
    left = []
    for override in OverridesParser.create().parse_overrides(overrides):
        key = override.key_or_group
        if override.is_delete():
            left.append(str(override.input_line))
        elif key in groups:
            name = f"/{key}" + (f"@{override.package}" if override.package else "")
            defaults.append({name if override.is_add() else f"override {name}": override.value()})
        else:
            OmegaConf.update(values, key, override.value(), force_add=True)
    return {"defaults": [*defaults, "_self_"], **OmegaConf.to_container(values)}, left


def _best_trial_text(config: DictConfig, best: optuna.trial.FrozenTrial, header: str) -> str:
    overrides = list(best.user_attrs.get("overrides", []))
    groups = set(OmegaConf.to_container(config.hydra.runtime.choices))
    body, left = best_trial_config(overrides, groups)
    sweep_dir = Path(config.hydra.sweep.dir).resolve()
    lines = [
        header,
        "# Rerun it with its overrides:",
        f"#   python -m anomaly_lab {shlex.join(overrides)}",
        "# or with this file as the primary config:",
        f"#   python -m anomaly_lab --config-dir {shlex.quote(str(sweep_dir))} --config-name best_trial",
    ]
    if left:
        lines.append(f"#     {shlex.join(left)}   (a config cannot delete keys: these stay on the command line)")
    return "\n".join(lines) + "\n" + OmegaConf.to_yaml(body)


def write(config: DictConfig, study: optuna.Study, metric: str, url: str | None, n_trials: int) -> None:
    """Both files, each written whole (processes sharing a study may share a sweep directory)."""
    sweep_dir = Path(config.hydra.sweep.dir)
    states = [t.state for t in study.get_trials(deepcopy=False)]
    counts = {state.name.lower(): states.count(state) for state in optuna.trial.TrialState if state in states}
    direction = study.direction.name.lower()
    results: dict[str, Any] = {
        "name": "optuna",
        "study_name": study.study_name,
        "storage": url,
        "optimized_metric": metric,
        "direction": direction,
        "n_trials": n_trials,
        "trials": counts,
    }
    try:
        best = study.best_trial
    except ValueError:
        log.warning("no trial of study %s completed: no best trial", study.study_name)
        write_text_atomic(sweep_dir / "optimization_results.yaml", OmegaConf.to_yaml(results))
        return
    results |= {
        "best_trial": best.number,
        "best_params": best.params,
        "best_value": best.value,
        "best_overrides": best.user_attrs.get("overrides", []),
    }
    write_text_atomic(sweep_dir / "optimization_results.yaml", OmegaConf.to_yaml(results))
    header = (
        f"# Best trial {best.number} of study {study.study_name} ({url}): {metric} = {best.value:.6g} ({direction})."
    )
    write_text_atomic(sweep_dir / "best_trial.yaml", _best_trial_text(config, best, header))
    log.info("best trial %d: %s = %.6g with %s", best.number, metric, best.value, best.params)
    log.info(
        "results in %s; rerun the best trial: python -m anomaly_lab --config-dir %s --config-name best_trial",
        sweep_dir,
        sweep_dir.resolve(),
    )
