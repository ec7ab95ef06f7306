"""Typed schemas for config groups, so a wrong type or unknown key fails at start with Hydra's message.

The values themselves live in the group YAMLs; the schemas only give each key its type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

from anomaly_lab.data.gw.injections import InjectionConfig
from anomaly_lab.data.jets.generator import JetSelection
from anomaly_lab.data.jets.images import JetImageConfig


@dataclass
class GWDataSchema:
    _target_: str = "anomaly_lab.data.gw.datamodule.GWDataModule"
    source: str = MISSING
    detector: str = MISSING
    files: list[str] = MISSING
    sample_rate: float = MISSING
    window_s: float = MISSING
    context_s: float = MISSING
    window_offset_s: float = MISSING
    f_low: float = MISSING
    f_high: float = MISSING
    n_train: int = MISSING
    n_val: int = MISSING
    n_val_signal: int = MISSING
    n_test_background: int = MISSING
    n_test_signal: int = MISSING
    injection: InjectionConfig = field(default_factory=InjectionConfig)
    dq_flags: list[str] = MISSING
    inj_flags: list[str] = MISSING
    psd_segment_s: float = MISSING
    seed: int = MISSING
    cache_dir: str = MISSING
    batch_size: int = MISSING
    num_workers: int = MISSING


@dataclass
class JetsDataSchema:
    _target_: str = "anomaly_lab.data.jets.datamodule.JetImageDataModule"
    source: str = MISSING
    files: dict[str, str] = MISSING
    background: str = MISSING
    supervised: bool = MISSING
    image: JetImageConfig = field(default_factory=JetImageConfig)
    generation: JetSelection = field(default_factory=JetSelection)
    n_train: int = MISSING
    n_val: int = MISSING
    n_val_signal: int = MISSING
    n_test_background: int = MISSING
    n_test_signal: int = MISSING
    pca_components: int = MISSING
    chunk_size: int = MISSING
    n_workers: int | None = MISSING
    seed: int = MISSING
    cache_dir: str = MISSING
    batch_size: int = MISSING
    num_workers: int = MISSING


@dataclass
class LhcoDataSchema:
    _target_: str = "anomaly_lab.data.lhco.datamodule.LHCODataModule"
    source: str = MISSING
    path: str | None = MISSING
    representation: str = MISSING
    n_train: int = MISSING
    n_val: int = MISSING
    n_val_signal: int = MISSING
    n_test_background: int = MISSING
    n_test_signal: int = MISSING
    test_signal_fraction: float | None = MISSING
    max_particles: int = MISSING
    physics: dict[str, Any] = MISSING
    seed: int = MISSING
    cache_dir: str = MISSING
    batch_size: int = MISSING
    num_workers: int = MISSING
    n_workers: int | None = MISSING
    chunk_size: int = MISSING


@dataclass
class FprSchema:
    _target_: str = "anomaly_lab.thresholds.FprThreshold"
    target_fpr: float = MISSING


@dataclass
class PercentileSchema:
    _target_: str = "anomaly_lab.thresholds.PercentileThreshold"
    q: float = MISSING


@dataclass
class FixedSchema:
    _target_: str = "anomaly_lab.thresholds.FixedThreshold"
    value: float = MISSING


@dataclass
class EfficiencySchema:
    _target_: str = "anomaly_lab.thresholds.EfficiencyThreshold"
    target_tpr: float = MISSING


def register_schemas() -> None:
    """Put the schemas in Hydra's ConfigStore; group YAMLs list them first in their defaults."""
    cs = ConfigStore.instance()
    cs.store(group="data", name="gw_schema", node=GWDataSchema)
    cs.store(group="data", name="jets_schema", node=JetsDataSchema)
    cs.store(group="data", name="lhco_schema", node=LhcoDataSchema)
    cs.store(group="threshold", name="fpr_schema", node=FprSchema)
    cs.store(group="threshold", name="percentile_schema", node=PercentileSchema)
    cs.store(group="threshold", name="fixed_schema", node=FixedSchema)
    cs.store(group="threshold", name="efficiency_schema", node=EfficiencySchema)
