"""Typed schemas for config groups, so a wrong type or unknown key fails at start with Hydra's message.

The values themselves live in the group YAMLs; the schemas only give each key its type. Every data schema
extends `DataSchema` (split sizes, seed, cache, loaders, reference scorers); a new dataset adds its own
fields and one line in `SCHEMAS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from omegaconf import MISSING, DictConfig, OmegaConf

from anomaly_lab.data.base import SplitSizes
from anomaly_lab.data.gw.injections import InjectionConfig
from anomaly_lab.data.jets.generator import JetSelection
from anomaly_lab.data.jets.images import JetImageConfig


@dataclass
class DataSchema:
    _target_: str = MISSING
    sizes: SplitSizes = MISSING
    seed: int = MISSING
    cache_dir: str = MISSING
    batch_size: int = MISSING
    score_batch_size: int = MISSING
    num_workers: int = MISSING
    references: dict[str, Any] = field(default_factory=dict)
    decorrelate: str | None = None  # a per-sample extra the train/val loaders add (e.g. mjj, for DisCo)


@dataclass
class GWDataSchema(DataSchema):
    source: str = MISSING
    detector: str = MISSING
    files: list[str] = MISSING
    sample_rate: float = MISSING
    window_s: float = MISSING
    context_s: float = MISSING
    window_offset_s: float = MISSING
    f_low: float = MISSING
    f_high: float = MISSING
    injection: InjectionConfig = field(default_factory=InjectionConfig)
    dq_flags: list[str] = MISSING
    inj_flags: list[str] = MISSING
    psd_segment_s: float = MISSING
    signals: list[str] = MISSING
    family_options: dict[str, Any] = field(default_factory=dict)
    window_stride_s: float | None = MISSING
    whitening_filter_s: float | None = MISSING
    noise: dict[str, Any] = MISSING


@dataclass
class JetsDataSchema(DataSchema):
    source: str = MISSING
    files: dict[str, str] = MISSING
    background: str = MISSING
    supervised: bool = MISSING
    image: JetImageConfig = field(default_factory=JetImageConfig)
    generation: JetSelection = field(default_factory=JetSelection)
    chunk_size: int = MISSING
    n_workers: int | None = MISSING


@dataclass
class LhcoDataSchema(DataSchema):
    source: str = MISSING
    path: str | None = MISSING
    representation: str = MISSING
    test_signal_fraction: float | None = MISSING
    max_particles: int = MISSING
    n_features: int = MISSING
    physics: dict[str, Any] = MISSING
    particles: dict[str, Any] = MISSING
    n_workers: int | None = MISSING
    chunk_size: int = MISSING


@dataclass
class Adc2021DataSchema(DataSchema):
    source: str = MISSING
    files: dict[str, Any] = MISSING
    signals: list[str] = MISSING
    scaling: str = MISSING
    n_objects: int = MISSING
    n_features: int = MISSING
    n_inputs: int = MISSING
    n_reconstructed: int = MISSING
    physics: dict[str, Any] = MISSING
    n_workers: int | None = MISSING
    chunk_size: int = MISSING


@dataclass
class FprSchema:
    _target_: str = MISSING
    target_fpr: float = MISSING


@dataclass
class PercentileSchema:
    _target_: str = MISSING
    q: float = MISSING


@dataclass
class FixedSchema:
    _target_: str = MISSING
    value: float = MISSING


@dataclass
class EfficiencySchema:
    _target_: str = MISSING
    target_tpr: float = MISSING


SCHEMAS = {
    "data": {"gw_schema": GWDataSchema, "jets_schema": JetsDataSchema, "lhco_schema": LhcoDataSchema,
             "adc2021_schema": Adc2021DataSchema},
    "threshold": {"fpr_schema": FprSchema, "percentile_schema": PercentileSchema, "fixed_schema": FixedSchema,
                  "efficiency_schema": EfficiencySchema},
}  # fmt: skip


def sweep_label(task_name: str, sweep_dir: str, overrides: str = "") -> str:
    """`${sweep_label:<task>,<sweep dir>[,<job overrides>]}`: the job's overrides, else `<task>/<sweep dir name>`.
    Without overrides it names the sweep (every job of a multirun shares it; a single run's matches its run dir's
    timestamp): W&B's group. With them it names the job within it (a run without any: the sweep's name)."""
    return overrides or f"{task_name}/{Path(sweep_dir).name}"


class HydraConfigForSweeps(Callback):
    """Makes `${hydra:...}` resolvable when a multirun starts: Hydra's basic sweeper resolves `hydra.sweep.dir`
    (which holds `task_name`, which may name the chosen model through `${hydra:runtime.choices.model}`) before
    any job has set the Hydra config."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        HydraConfig.instance().set_config(config)


def register_schemas() -> None:
    """Put the schemas in Hydra's ConfigStore, and `sweep_label` among OmegaConf's resolvers; group YAMLs list the
    schemas first in their defaults. Called by the entry points before Hydra composes (and by tests that compose
    configs themselves)."""
    OmegaConf.register_new_resolver("sweep_label", sweep_label, replace=True)
    cs = ConfigStore.instance()
    for group, schemas in SCHEMAS.items():
        for name, node in schemas.items():
            cs.store(group=group, name=name, node=node)
