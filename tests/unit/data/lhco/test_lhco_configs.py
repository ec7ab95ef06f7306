"""LHCO configs: the particle and high-level data configs and every LHCO experiment compose, the debug sizes reach
the DataModule, and each model's network fits the data it is given."""

from __future__ import annotations

import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

from anomaly_lab.config import register_schemas
from anomaly_lab.data.lhco.datamodule import LHCODataModule
from anomaly_lab.data.lhco.generator import LhcoPhysics
from anomaly_lab.train import CONFIG_DIR

SMOKE_SIZES = {"train": 256, "val": 128, "val_signal": 64, "test_background": 128, "test_signal": 128}


def composed(*overrides: str):
    register_schemas()
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose(config_name="train", overrides=list(overrides))


@pytest.mark.parametrize("config", ["lhco", "lhco_hlf"])
def test_debug_smoke_sizes_reach_the_lhco_datamodule(config: str) -> None:
    dm = instantiate(composed(f"data={config}", "debug=smoke").data)
    assert isinstance(dm, LHCODataModule) and dm.representation == ("hlf" if config == "lhco_hlf" else "particles")
    assert dm.counts == SMOKE_SIZES
    assert dm.batch_size == 64 and dm.physics == LhcoPhysics()


@pytest.mark.parametrize(("experiment", "particles"), [("lhco_vae", 700), ("lhco_cnnae", 700), ("lhco_rnnae", 100),
                                                       ("lhco_hlf", None)])  # fmt: skip
def test_each_lhco_experiment_builds_a_model_for_its_inputs(experiment: str, particles: int | None) -> None:
    cfg = composed(f"experiment={experiment}", "debug=smoke")
    dm, model = instantiate(cfg.data), instantiate(cfg.model)
    assert dm.max_particles == (particles or 700) and dm.counts == SMOKE_SIZES
    # particle lists carry a mask after the features, and are reconstructed without it
    x, reconstructed = ((torch.rand(2, particles, cfg.data.n_features + 1), (2, particles, cfg.data.n_features))
                        if particles else (torch.rand(2, 5), (2, 5)))  # fmt: skip
    if particles:
        x[..., -1] = 1.0
    model.eval()
    with torch.no_grad():
        assert model.predict_step((x, torch.zeros(2)), 0).shape == (2,)
        assert model.reconstruct(x).shape == reconstructed
