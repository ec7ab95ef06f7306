"""What a Hydra multirun or sweep directory holds: its config, and per job the overrides and metrics.json.

The compare CLI (`results/compare.py`) reads a sweep through here; nothing here formats or draws.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

INFINITE_WHEN_NULL = {"background_rejection"}  # metrics.json stores an infinite rejection as null


@dataclass
class Job:
    """One job of a sweep: its subdirectory name, its overrides (key -> value as typed) and metrics.json, if any."""

    name: str
    overrides: dict[str, str]
    metrics: dict[str, Any] | None

    @property
    def finished(self) -> bool:
        return self.metrics is not None

    def number(self, key: str) -> float | None:
        """The metric as a float; None when not recorded or NaN (a null rejection is infinite)."""
        if self.metrics is None or key not in self.metrics:
            return None
        value = self.metrics[key]
        if value is None:
            return math.inf if key in INFINITE_WHEN_NULL else None
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            return None
        return float(value)

    def label(self, keys: list[str]) -> str:
        return ", ".join(f"{k}={self.overrides.get(k, '—')}" for k in keys)


@dataclass
class Sweep:
    """A multirun directory read back: its multirun.yaml (unresolved, as plain data) and its jobs in job order."""

    path: Path
    config: dict[str, Any]
    jobs: list[Job]

    @property
    def sweeper(self) -> dict[str, Any]:
        sweeper = (self.config.get("hydra") or {}).get("sweeper")
        return sweeper if isinstance(sweeper, dict) else {}

    @property
    def optimized_metric(self) -> str:
        metric = self.config.get("optimized_metric")
        return metric if isinstance(metric, str) and metric and "${" not in metric else "auroc"

    @property
    def direction(self) -> str:
        """`maximize` or `minimize`: the sweeper's own direction when it names one, else minimize only a loss."""
        declared = self.sweeper.get("direction")
        if isinstance(declared, str) and declared.lower() in ("maximize", "minimize"):
            return declared.lower()
        return "minimize" if "loss" in self.optimized_metric else "maximize"

    def swept(self) -> tuple[list[str], dict[str, str]]:
        """(keys whose value differs between jobs, in order of first appearance; the overrides every job shares)."""
        keys = list(dict.fromkeys(k for job in self.jobs for k in job.overrides))
        varying = [k for k in keys if len({job.overrides.get(k) for job in self.jobs}) > 1]
        constant = {k: self.jobs[0].overrides[k] for k in keys if k not in varying}
        return varying, constant

    def best(self) -> Job | None:
        """The finished job with the best optimised metric (the first of equals); None when no job recorded it."""
        sign = 1.0 if self.direction == "maximize" else -1.0
        best: tuple[float, Job] | None = None
        for job in self.jobs:
            value = job.number(self.optimized_metric)
            if value is not None and (best is None or sign * value > sign * best[0]):
                best = (value, job)
        return None if best is None else best[1]


BOOKKEEPING = "optuna."


def parse_override(text: str) -> tuple[str, str]:
    """`key=value` (also `+key=`, `++key=`, `~key`) -> (key, value); a group choice keeps its group as the key."""
    key, _, value = str(text).partition("=")
    return key.lstrip("+~"), value


def _read_job(job_dir: Path) -> Job:
    overrides = OmegaConf.to_container(OmegaConf.load(job_dir / ".hydra" / "overrides.yaml")) or []
    if not isinstance(overrides, list):
        raise SystemExit(f"{job_dir / '.hydra' / 'overrides.yaml'}: expected a YAML list of overrides")
    metrics_file = job_dir / "metrics.json"
    metrics = None
    if metrics_file.is_file():
        try:
            metrics = json.loads(metrics_file.read_text())
        except json.JSONDecodeError:  # a half-written or foreign file: the job did not finish cleanly
            metrics = None
    # the sweeper's per-trial bookkeeping (++optuna.storage/study_name/trial) is not a swept parameter
    pairs = (parse_override(o) for o in overrides)
    return Job(job_dir.name, {k: v for k, v in pairs if not k.startswith(BOOKKEEPING)}, metrics)


def _job_order(path: Path) -> tuple[int, int | str]:
    return (0, int(path.name)) if path.name.isdigit() else (1, path.name)


def load_sweep(path: Path) -> Sweep:
    """Read a multirun directory: multirun.yaml and every subdirectory holding .hydra/overrides.yaml."""
    path = Path(path)
    expected = "a Hydra multirun directory (multirun.yaml; job subdirectories 0/, 1/, ... with .hydra/overrides.yaml)"
    if not path.is_dir():
        raise SystemExit(f"{path}: no such directory; expected {expected}")
    job_dirs = sorted((p.parent.parent for p in path.glob("*/.hydra/overrides.yaml")), key=_job_order)
    multirun_yaml = path / "multirun.yaml"
    if not job_dirs or not multirun_yaml.is_file():
        missing = "no multirun.yaml" if not multirun_yaml.is_file() else "no job subdirectories"
        raise SystemExit(f"{path} is not a multirun ({missing}); expected {expected}")
    config = OmegaConf.to_container(OmegaConf.load(multirun_yaml), resolve=False)
    return Sweep(path, config if isinstance(config, dict) else {}, [_read_job(d) for d in job_dirs])
