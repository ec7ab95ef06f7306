"""The studies' networks for `make bench`: each built from its experiment config as the entry point builds it, with
the input shape its data config gives, random inputs of that shape and the forward FLOPs per sample."""

from __future__ import annotations

from collections.abc import Sequence

import lightning as L
import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from omegaconf import DictConfig
from torch.utils.flop_counter import FlopCounterMode

from anomaly_lab.config import register_schemas
from anomaly_lab.train import CONFIG_DIR

# benchmark name -> the experiment whose network it measures
NETWORKS = {"gw": "gw_cnnae", "jets": "jets_cae", "lhco": "lhco_vae", "lhco_cnnae": "lhco_cnnae"}
UNITS = {"gw": "windows", "jets": "jet images", "lhco": "events", "lhco_cnnae": "events"}
# what the benchmark leaves out of the study's run: writing checkpoints, and early stopping (it needs validation,
# which the timed epochs skip, as the plain loop does)
SKIPPED_CALLBACKS = ("model_checkpoint", "early_stopping")


def composed(network: str, device: str, output_dir: str, overrides: Sequence[str] = ()) -> DictConfig:
    """The study's full config, composed as `python -m anomaly_lab experiment=<...> trainer=cpu|gpu` would be."""
    if network not in NETWORKS:
        raise ValueError(f"--networks: expected names from {sorted(NETWORKS)}, got {network!r}")
    register_schemas()
    trainer = "gpu" if device == "cuda" else "cpu"
    skipped = [f"~callbacks.{name}" for name in SKIPPED_CALLBACKS]
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose(
            config_name="train",
            overrides=[f"experiment={NETWORKS[network]}", f"trainer={trainer}", f"paths.output_dir={output_dir}",
                       *skipped, *overrides],
        )  # fmt: skip


def input_shape(cfg: DictConfig) -> tuple[int, ...]:
    """Shape of one model input as the study's DataModule hands it over (channel axis and particle mask included)."""
    data, target = cfg.data, cfg.data._target_.rsplit(".", 1)[-1]
    if target == "GWDataModule":
        return (1, round(data.window_s * data.sample_rate))
    if target == "JetImageDataModule":
        return (1, data.image.n_pixels, data.image.n_pixels)
    if target == "LHCODataModule" and data.representation == "particles":
        return (data.max_particles, data.n_features + 1)  # ParticleScaler appends the real-particle mask
    if target == "LHCODataModule":
        return (5,)  # mjj, mj1, mj2 and both tau21
    raise ValueError(f"no input shape known for data._target_={cfg.data._target_}")


def random_inputs(cfg: DictConfig, n: int, seed: int = 0) -> torch.Tensor:
    """`n` standard-normal float32 inputs of the study's shape; particle lists get a 0/1 mask with zero padding."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, *input_shape(cfg), generator=g)
    if cfg.data._target_.endswith("LHCODataModule") and x.ndim == 3:
        mask = (torch.rand(x.shape[:2], generator=g) < 0.3).float()
        x[..., :-1] *= mask.unsqueeze(-1)
        x[..., -1] = mask
    return x


def build_module(cfg: DictConfig, seed: int, compile: bool = False) -> L.LightningModule:
    """The study's LightningModule from `cfg.model`; `compile=True` as `model.compile=true` would ask for."""
    torch.manual_seed(seed)
    return instantiate(cfg.model, compile=True) if compile else instantiate(cfg.model)


def forward_flops(module: L.LightningModule, shape: tuple[int, ...], batch: int = 4) -> float:
    """Forward FLOPs per sample of the module's network in scoring mode (convolutions and matmuls, as counted
    by torch's FlopCounterMode; the elementwise error is left out)."""
    net = module.net
    was_training = net.training
    net.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        net(torch.zeros(batch, *shape))
    net.train(was_training)
    return counter.get_total_flops() / batch
