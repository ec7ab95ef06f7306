"""`make bench` builds each study's network from its experiment config, with the input shape its data config gives,
and counts forward FLOPs per sample as torch does."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from torch import nn

from anomaly_lab.benchmarks.networks import build_module, composed, forward_flops, input_shape, random_inputs
from anomaly_lab.models.autoencoder import AutoencoderModule
from anomaly_lab.models.vae import VAEModule

SHAPES = {"gw": ((1, 512), AutoencoderModule), "jets": ((1, 25, 25), AutoencoderModule),
          "lhco": ((700, 4), VAEModule), "lhco_cnnae": ((700, 4), AutoencoderModule)}  # fmt: skip


@pytest.mark.parametrize("network", sorted(SHAPES))
def test_each_network_takes_inputs_of_its_studys_shape(network: str, tmp_path) -> None:
    cfg = composed(network, "cpu", str(tmp_path))
    shape, family = SHAPES[network]
    assert input_shape(cfg) == shape
    module = build_module(cfg, seed=0)
    assert isinstance(module, family)
    x = random_inputs(cfg, 3)
    assert x.shape == (3, *shape) and x.dtype == torch.float32
    assert module.predict_step([x], 0).shape == (3,)  # the study's module scores inputs of this shape


def test_particle_inputs_carry_a_mask_with_zero_padding(tmp_path) -> None:
    x = random_inputs(composed("lhco", "cpu", str(tmp_path)), 8)
    mask = x[..., -1]
    assert set(mask.unique().tolist()) == {0.0, 1.0}
    assert torch.all(x[..., :-1][mask == 0] == 0)


def test_the_gpu_config_trains_in_bf16_without_checkpoints_or_early_stopping(tmp_path) -> None:
    cfg = composed("gw", "cuda", str(tmp_path))
    assert cfg.trainer.accelerator == "gpu" and cfg.trainer.precision == "bf16-mixed"
    assert "model_checkpoint" not in cfg.callbacks and "early_stopping" not in cfg.callbacks
    assert "stop_on_non_finite_loss" in cfg.callbacks and "rich_progress_bar" in cfg.callbacks
    assert composed("gw", "cpu", str(tmp_path)).trainer.precision == "32-true"


def test_forward_flops_count_two_per_multiply_add() -> None:
    module = SimpleNamespace(net=nn.Linear(10, 5))
    assert forward_flops(module, (10,)) == 2 * 10 * 5


def test_unknown_network_is_refused(tmp_path) -> None:
    with pytest.raises(ValueError, match="--networks"):
        composed("mnist", "cpu", str(tmp_path))
