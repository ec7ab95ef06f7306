"""Typed schemas for config groups, so a wrong type or unknown key fails at start with Hydra's message."""

from __future__ import annotations

from dataclasses import dataclass, field

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

from anomaly_lab.data.gw.injections import InjectionConfig


@dataclass
class GWDataSchema:
    _target_: str = "anomaly_lab.data.gw.datamodule.GWDataModule"
    source: str = "simulated"
    detector: str = "aligo"
    files: list[str] = field(default_factory=list)
    sample_rate: float = 2048.0
    window_s: float = 0.25
    context_s: float = 8.0
    window_offset_s: float = 5.5
    f_low: float = 20.0
    f_high: float = 500.0
    n_train: int = 10000
    n_val: int = 2000
    n_val_signal: int = 1000
    n_test_background: int = 4000
    n_test_signal: int = 4000
    injection: InjectionConfig = field(default_factory=InjectionConfig)
    dq_flags: list[str] = field(default_factory=list)
    inj_flags: list[str] = field(default_factory=list)
    psd_segment_s: float = 4.0
    seed: int = 12345
    cache_dir: str = MISSING
    batch_size: int = 256
    num_workers: int = 0


@dataclass
class FprSchema:
    _target_: str = "anomaly_lab.thresholds.FprThreshold"
    target_fpr: float = 0.05


@dataclass
class PercentileSchema:
    _target_: str = "anomaly_lab.thresholds.PercentileThreshold"
    q: float = 95.0


@dataclass
class FixedSchema:
    _target_: str = "anomaly_lab.thresholds.FixedThreshold"
    value: float = MISSING


@dataclass
class EfficiencySchema:
    _target_: str = "anomaly_lab.thresholds.EfficiencyThreshold"
    target_tpr: float = 0.9


def register_schemas() -> None:
    """Put the schemas in Hydra's ConfigStore; group YAMLs list them first in their defaults."""
    cs = ConfigStore.instance()
    cs.store(group="data", name="gw_schema", node=GWDataSchema)
    cs.store(group="threshold", name="fpr_schema", node=FprSchema)
    cs.store(group="threshold", name="percentile_schema", node=PercentileSchema)
    cs.store(group="threshold", name="fixed_schema", node=FixedSchema)
    cs.store(group="threshold", name="efficiency_schema", node=EfficiencySchema)
