"""Config composition: an experiment overrides the defaults, debug=smoke wins over the experiment, the command line
wins over both, and every experiment, debug and threshold config composes into objects that can be built."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.errors import HydraException
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from anomaly_lab.config import register_schemas
from anomaly_lab.train import CONFIG_DIR

EXPERIMENTS = sorted(p.stem for p in (Path(CONFIG_DIR) / "experiment").glob("*.yaml"))
SMOKE_SIZES = {"train": 256, "val": 128, "val_signal": 64, "test_background": 128, "test_signal": 128}


def composed(*overrides: str) -> DictConfig:
    register_schemas()
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose(config_name="train", overrides=list(overrides))


def test_an_experiment_overrides_the_defaults() -> None:
    cfg = composed("experiment=gw_cnnae")
    assert cfg.trainer.max_epochs == 15 and cfg.data.sizes.train == 10000  # the experiment's and gw.yaml's values
    assert cfg.evaluation.signal_name == "injected GW"


def test_debug_smoke_wins_over_the_experiment() -> None:
    cfg = composed("experiment=gw_cnnae", "debug=smoke")
    assert cfg.trainer.max_epochs == 1 and dict(cfg.data.sizes) == SMOKE_SIZES
    assert cfg.evaluation.signal_name == "injected GW"  # what debug does not set stays the experiment's


def test_the_command_line_wins_over_the_debug_config() -> None:
    cfg = composed("experiment=gw_cnnae", "debug=smoke", "trainer.max_epochs=3", "data.sizes.train=100")
    assert cfg.trainer.max_epochs == 3 and cfg.data.sizes.train == 100 and cfg.data.sizes.val == 128


def test_debug_keeps_an_experiment_value_it_does_not_set() -> None:
    cfg = composed("experiment=lhco_rnnae", "debug=smoke")
    assert cfg.data.max_particles == 100 and cfg.data.sizes.train == 256


@pytest.mark.parametrize("debug", ["fast_dev_run", "overfit"])
def test_other_debug_configs_build_on_smoke(debug: str) -> None:
    cfg = composed("experiment=jets_cae", f"debug={debug}")
    assert dict(cfg.data.sizes) == SMOKE_SIZES
    expected = {"fast_dev_run": (True, 1, None), "overfit": (None, 20, 2)}[debug]
    assert (cfg.trainer.get("fast_dev_run"), cfg.trainer.max_epochs, cfg.trainer.get("overfit_batches")) == expected


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_experiment_builds_its_data_model_threshold_and_references(experiment: str) -> None:
    cfg = composed(f"experiment={experiment}", "debug=smoke")
    dm, model, policy = instantiate(cfg.data), instantiate(cfg.model), instantiate(cfg.threshold)
    assert dm.counts == SMOKE_SIZES and dm.batch_size == 64
    assert set(dm.references) == set(cfg.data.get("references") or {})
    # the trigger study thresholds at 1e-3 (10 of its 10 000 validation events), the others at 5 %
    assert policy.target_fpr == (0.001 if experiment.startswith("adc2021") else 0.05)
    assert callable(model.optimizer_factory)


@pytest.mark.parametrize(("threshold", "target_fpr"), [("fpr", 0.05), ("percentile", 0.05), ("efficiency", None),
                                                       ("fixed", None)])  # fmt: skip
def test_every_threshold_policy_composes(threshold: str, target_fpr: float | None) -> None:
    overrides = ["threshold.value=1.5"] if threshold == "fixed" else []
    policy = instantiate(composed(f"threshold={threshold}", *overrides).threshold)
    assert policy.name == threshold and policy.target_fpr == (pytest.approx(target_fpr) if target_fpr else None)


def test_the_sweep_grid_sweeps_keys_its_experiment_has() -> None:
    register_schemas()
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        cfg = compose(config_name="train", overrides=["experiment=gw_cnnae", "hparams_search=gw_cnnae_grid"],
                      return_hydra_config=True)  # fmt: skip
    params = cfg.hydra.sweeper.params
    assert params and [key for key in params if OmegaConf.select(cfg, key) is None] == []


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("data=nosuchdata", "Could not find 'data/nosuchdata'"),
        ("data.sizes.train=many", "sizes.train"),
        ("data.n_train=100", "n_train"),  # the key before split sizes were grouped
        ("threshold.target_fpr=high", "target_fpr"),
        ("+data.unknown_key=1", "unknown_key"),
    ],
)
def test_a_bad_override_fails_before_any_data_naming_the_key(override: str, message: str) -> None:
    # at composition (the schemas), or for a key no schema forbids, when the DataModule is built (no data yet)
    with pytest.raises((HydraException, OmegaConfBaseException)) as err:
        instantiate(composed("experiment=gw_cnnae", "debug=smoke", override).data)
    assert message in str(err.value)


def test_a_multirun_sweep_dir_can_name_the_chosen_model() -> None:
    from hydra.core.hydra_config import HydraConfig

    from anomaly_lab.config import HydraConfigForSweeps

    register_schemas()
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        cfg = compose(config_name="train", overrides=["experiment=jets_cae"], return_hydra_config=True)
    HydraConfig.instance().cfg = None  # as when Hydra's basic sweeper resolves the sweep dir
    with pytest.raises(OmegaConfBaseException, match="HydraConfig was not set"):
        str(cfg.hydra.sweep.dir)
    try:
        HydraConfigForSweeps().on_multirun_start(cfg)
        assert "/jets_qcd_cnn2d_ae_bottleneck/multiruns/" in str(cfg.hydra.sweep.dir)
    finally:
        HydraConfig.instance().cfg = None
