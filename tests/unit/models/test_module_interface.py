"""Every module family answers `reconstruct` and `encode` in the same shapes, so no caller needs to know which
family it holds: the reconstruction in the input's shape (None for a classifier), one latent row per sample."""

from __future__ import annotations

from functools import partial

import pytest
import torch

from anomaly_lab.models.autoencoder import AutoencoderModule, reconstruction_error
from anomaly_lab.models.classifier import ClassifierModule
from anomaly_lab.models.nets.conv1d import Conv1dAutoencoder
from anomaly_lab.models.nets.conv2d import Conv2dAutoencoder, Conv2dClassifier
from anomaly_lab.models.nets.dense import DenseAutoencoder, DenseVAE
from anomaly_lab.models.nets.particles import ParticleVAE
from anomaly_lab.models.vae import VAEModule

ADAM = partial(torch.optim.Adam)


@pytest.mark.parametrize(
    ("module", "x", "latent"),
    [
        (lambda: AutoencoderModule(DenseAutoencoder((1, 8, 8), hidden=[16], latent_dim=3), ADAM), (4, 1, 8, 8), 3),
        (lambda: AutoencoderModule(Conv2dAutoencoder(latent_dim=5, image_size=9), ADAM), (4, 1, 9, 9), 5),
        (lambda: AutoencoderModule(Conv2dAutoencoder(), ADAM), (4, 1, 9, 9), 8 * 3 * 3),  # the seed's 8-channel grid
        (lambda: VAEModule(DenseVAE((1, 64), hidden=[16], latent_dim=3), ADAM), (4, 1, 64), 3),
    ],
    ids=["dense ae", "bottleneck cae", "seed cae", "dense vae"],
)
def test_reconstruction_keeps_the_input_shape_and_the_latent_is_one_row_per_sample(module, x, latent) -> None:
    torch.manual_seed(0)
    m = module().eval()
    x = torch.rand(x)
    with torch.no_grad():
        recon, z = m.reconstruct(x), m.encode(x)
        score = m.predict_step((x, torch.zeros(4)), 0)
    assert recon.shape == x.shape and z.shape == (4, latent)
    # the score is the error of that reconstruction (a VAE's score=reconstruction default included)
    torch.testing.assert_close(score, reconstruction_error(x, recon))


def test_vae_encodes_to_the_mean_without_sampling_noise() -> None:
    torch.manual_seed(0)
    m = VAEModule(ParticleVAE(n_particles=10, hidden=[16], latent_dim=4), ADAM, masked=True)
    x = torch.rand(3, 10, 4)
    x[..., -1] = 1.0
    with torch.no_grad():
        mean, _ = m.net.encode(x)
        m.train()  # sampling on: encode still gives z_mean, and reconstruct in eval mode decodes the mean
        torch.testing.assert_close(m.encode(x), mean)
        m.eval()
        torch.testing.assert_close(m.reconstruct(x), m.net.decoder(mean).view(3, 10, 3))


def test_a_network_without_an_encoder_has_no_latent_space() -> None:
    m = AutoencoderModule(Conv1dAutoencoder(encoder_channels=(4, 4), decoder_channels=(4,)), ADAM).eval()
    x = torch.rand(2, 1, 16)
    assert m.encode(x) is None and m.reconstruct(x).shape == x.shape


def test_a_classifier_neither_reconstructs_nor_encodes() -> None:
    m = ClassifierModule(Conv2dClassifier(image_size=9, channels=[4], hidden=4), ADAM).eval()
    x = torch.rand(3, 1, 9, 9)
    assert m.reconstruct(x) is None and m.encode(x) is None
    assert m.predict_step((x, torch.zeros(3)), 0).shape == (3,)


def test_optimiser_factories_stay_out_of_the_hyperparameters() -> None:
    scheduler = partial(torch.optim.lr_scheduler.ExponentialLR, gamma=0.5)
    m = AutoencoderModule(DenseAutoencoder((4,), hidden=[], latent_dim=2), partial(torch.optim.SGD, lr=0.1), scheduler)
    assert not {"net", "optimizer", "scheduler"} & set(m.hparams)
    config = m.configure_optimizers()
    assert isinstance(config["optimizer"], torch.optim.SGD) and config["optimizer"].param_groups[0]["lr"] == 0.1
    assert config["lr_scheduler"].gamma == 0.5
