"""The 1-D CNN autoencoder and the Lightning module: shapes, scores, and that training lowers the loss."""

from __future__ import annotations

from functools import partial

import lightning as L
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from anomaly_lab.models.autoencoder import AutoencoderModule, reconstruction_error
from anomaly_lab.models.nets.conv1d import Conv1dAutoencoder


def test_conv1d_autoencoder_follows_the_seed_layout_and_keeps_the_length() -> None:
    net = Conv1dAutoencoder()
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv1d)]
    assert [c.out_channels for c in convs] == [256, 128, 256, 1]
    assert all(c.kernel_size == (3,) for c in convs)
    assert net(torch.zeros(2, 1, 512)).shape == (2, 1, 512)


def test_input_length_must_survive_the_pooling() -> None:
    with pytest.raises(ValueError, match="not divisible by 4"):
        Conv1dAutoencoder()(torch.zeros(1, 1, 510))


def test_score_is_the_per_window_mean_squared_error() -> None:
    x = torch.tensor([[[1.0, 1.0]], [[0.0, 2.0]]])
    assert reconstruction_error(x, torch.zeros_like(x)).tolist() == [1.0, 2.0]


def test_training_lowers_the_reconstruction_loss_and_predict_gives_one_score_per_window() -> None:
    torch.manual_seed(0)
    t = torch.linspace(0, 1, 64)
    x = torch.stack([torch.sin(2 * torch.pi * f * t) for f in torch.rand(128) * 4 + 1]).unsqueeze(1)
    loader = DataLoader(TensorDataset(x, torch.zeros(128)), batch_size=32)
    module = AutoencoderModule(Conv1dAutoencoder(encoder_channels=(16, 8), decoder_channels=(16,)),
                               optimizer=partial(torch.optim.Adam, lr=3e-3))  # fmt: skip
    trainer = L.Trainer(max_epochs=15, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, accelerator="cpu")  # fmt: skip
    before = torch.cat(trainer.predict(module, loader)).mean()
    trainer.fit(module, loader)
    scores = torch.cat(trainer.predict(module, loader))
    assert scores.shape == (128,)
    assert scores.mean() < 0.5 * before


def test_bottleneck_squeezes_the_latent_below_the_input_size() -> None:
    net = Conv1dAutoencoder(pool=4, bottleneck_channels=1)
    latent = net.encoder(torch.zeros(2, 1, 512))
    assert latent.shape == (2, 1, 32)
    assert net(torch.zeros(2, 1, 512)).shape == (2, 1, 512)
