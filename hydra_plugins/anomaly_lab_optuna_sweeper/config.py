"""The sweeper's config (group `hydra/sweeper`, name `optuna`), its samplers and pruners, in Hydra's ConfigStore.

Imported by Hydra's plugin scan at every start: no Optuna import here. No `from __future__ import annotations`:
the scan runs this module before it is in sys.modules, where dataclasses cannot resolve string annotations.
"""

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

SWEEPER = "hydra_plugins.anomaly_lab_optuna_sweeper.optuna_sweeper.OptunaSweeper"


@dataclass
class TPESamplerConf:
    """Optuna's default sampler; the seed makes a search repeatable (each trial number gets its own stream)."""

    _target_: str = "optuna.samplers.TPESampler"
    seed: int | None = "${seed}"  # type: ignore[assignment]  # an interpolation: the run's seed
    n_startup_trials: int = 10
    multivariate: bool = False
    consider_endpoints: bool = False


@dataclass
class RandomSamplerConf:
    _target_: str = "optuna.samplers.RandomSampler"
    seed: int | None = "${seed}"  # type: ignore[assignment]


@dataclass
class NSGAIISamplerConf:
    _target_: str = "optuna.samplers.NSGAIISampler"
    seed: int | None = "${seed}"  # type: ignore[assignment]
    population_size: int = 50


@dataclass
class MedianPrunerConf:
    """Stop a trial whose validation loss at an epoch is worse than the median of earlier trials at that epoch."""

    _target_: str = "optuna.pruners.MedianPruner"
    n_startup_trials: int = 5
    n_warmup_steps: int = 2
    interval_steps: int = 1


@dataclass
class HyperbandPrunerConf:
    _target_: str = "optuna.pruners.HyperbandPruner"
    min_resource: int = 1
    max_resource: Any = "auto"
    reduction_factor: int = 3


@dataclass
class NopPrunerConf:
    _target_: str = "optuna.pruners.NopPruner"


@dataclass
class OptunaSweeperConf:
    """Keys of the stock plugin, plus the storage's heartbeat and the retry of trials whose process died."""

    _target_: str = SWEEPER
    defaults: list[Any] = field(default_factory=lambda: [{"sampler": "tpe"}, {"pruner": "median"}])
    # the sweeper instantiates the sampler per trial and the job the pruner: Hydra passes both as configs
    _recursive_: bool = False
    sampler: Any = MISSING
    pruner: Any = MISSING
    # minimize | maximize; null: minimize a metric named *loss, maximize any other (val_auroc)
    direction: Any = None
    # a SQLAlchemy URL, journal://<file> for shared file systems, or null for memory (no resume, no pruning);
    # {log_dir} and {task_name} are the run's paths.log_dir and task_name, read when the search starts (a ${...}
    # here would be resolved earlier, before Hydra can resolve a task_name made of its runtime choices)
    storage: str | None = "sqlite:///{log_dir}/{task_name}/optuna.db"
    # null: <task_name>-<hash of the command line's overrides>, the same for every rerun of one command
    study_name: str | None = None
    # COMPLETE or PRUNED trials the study must hold; a resumed or shared study runs only the missing ones
    n_trials: int = 20
    # trials launched together (in parallel with the joblib or submitit launcher)
    n_jobs: int = 1
    # the search stops when more than this fraction of a batch's trials failed
    max_failure_rate: float = 0.0
    # a RUNNING trial without a heartbeat for grace_period s (default 2 x interval) is failed and run again
    heartbeat_interval: int | None = 60
    grace_period: int | None = None
    max_retry: int | None = 3
    # search space in the override grammar: interval(a, b), tag(log, interval(a, b)), int(interval(a, b)),
    # range(a, b, step), choice(a, b) or a, b; a plain value is passed to every trial
    params: dict[str, str] | None = None


def register() -> None:
    """Put the sweeper, its samplers and pruners in Hydra's ConfigStore."""
    cs = ConfigStore.instance()
    cs.store(group="hydra/sweeper", name="optuna", node=OptunaSweeperConf, provider="anomaly_lab_optuna_sweeper")
    for name, node in {"tpe": TPESamplerConf, "random": RandomSamplerConf, "nsgaii": NSGAIISamplerConf}.items():
        cs.store(group="hydra/sweeper/sampler", name=name, node=node, provider="anomaly_lab_optuna_sweeper")
    for name, node in {"median": MedianPrunerConf, "hyperband": HyperbandPrunerConf, "nop": NopPrunerConf}.items():
        cs.store(group="hydra/sweeper/pruner", name=name, node=node, provider="anomaly_lab_optuna_sweeper")


register()
