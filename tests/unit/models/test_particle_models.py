"""Particle-list networks (LHC Olympics): shapes, masking of padded particles, the masked loss, VAE encoders."""

from __future__ import annotations

import pytest
import torch

from anomaly_lab.models.autoencoder import AutoencoderModule, masked_reconstruction_error
from anomaly_lab.models.nets.particles import ParticleConvAutoencoder, ParticleVAE, RecurrentAutoencoder
from anomaly_lab.models.vae import VAEModule


def particle_batch(n: int = 6, particles: int = 40, seed: int = 0) -> torch.Tensor:
    """(n, particles, 3 features + mask), event i with 10 + 3 i real particles first, zeros after."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, particles, 4, generator=g)
    mask = (torch.arange(particles)[None, :] < (10 + 3 * torch.arange(n))[:, None]).float()
    x[..., :3] *= mask.unsqueeze(-1)
    x[..., 3] = mask
    return x


NETS = {
    "vae conv1d": lambda: ParticleVAE(n_particles=40, encoder="conv1d", hidden=[32], latent_dim=4),
    "vae per-particle dense": lambda: ParticleVAE(n_particles=40, encoder="per_particle_dense", hidden=[32]),
    "vae flat dense": lambda: ParticleVAE(n_particles=40, encoder="flat_dense", hidden=[32]),
    "gru": lambda: RecurrentAutoencoder(cell="gru", hidden_size=16, latent_dim=4),
    "lstm": lambda: RecurrentAutoencoder(cell="lstm", hidden_size=16, latent_dim=4),
    "cnn": lambda: ParticleConvAutoencoder(n_particles=40, channels=[8, 16], latent_dim=4),
}


@pytest.mark.parametrize("name", list(NETS))
def test_networks_reconstruct_the_features_and_ignore_what_padding_holds(name: str) -> None:
    torch.manual_seed(0)
    net = NETS[name]().eval()
    x = particle_batch()
    garbage = x.clone()
    garbage[..., :3] += 50.0 * (1 - x[..., 3:])  # junk in padded slots only
    with torch.no_grad():
        out, out_garbage = net(x), net(garbage)
    out, out_garbage = (o[0] if isinstance(o, tuple) else o for o in (out, out_garbage))
    assert out.shape == (6, 40, 3)
    torch.testing.assert_close(out, out_garbage)  # the mask, not the padding convention, decides


def test_masked_error_counts_real_particles_only() -> None:
    x = particle_batch()
    recon = x[..., :3].clone()
    recon[x[..., 3] == 0] = 99.0  # wrong only where padded
    assert torch.all(masked_reconstruction_error(x, recon) == 0)
    recon = x[..., :3] + 1.0
    torch.testing.assert_close(masked_reconstruction_error(x, recon), torch.ones(6))  # mean over real entries


def test_bad_choices_are_named() -> None:
    with pytest.raises(ValueError, match="model.net.encoder"):
        ParticleVAE(encoder="transformer")
    with pytest.raises(ValueError, match="model.net.cell"):
        RecurrentAutoencoder(cell="rnn")


@pytest.mark.parametrize(("n_objects", "n_features"), [(19, 7), (702, 3)])
def test_cnn_reconstructs_lists_of_any_length(n_objects: int, n_features: int) -> None:
    # 19 ADC2021 objects (pT, eta, phi + a 4-column one-hot type) or 702 particles: neither a multiple of 2**2
    torch.manual_seed(0)
    module = AutoencoderModule(ParticleConvAutoencoder(n_particles=n_objects, n_features=n_features, channels=[8, 16]),
                               torch.optim.Adam, masked=True)  # fmt: skip
    x = torch.rand(5, n_objects, n_features + 1)
    x[..., -1] = (torch.arange(n_objects) < 12).float()
    module.eval()
    with torch.no_grad():
        assert module.reconstruct(x).shape == (5, n_objects, n_features)
        scores = module.predict_step((x, torch.zeros(5)), 0)
        expected = masked_reconstruction_error(x, module.reconstruct(x))
    assert scores.shape == (5,)
    torch.testing.assert_close(scores, expected)


@pytest.mark.parametrize("module", ["autoencoder", "vae"])
def test_masked_training_lowers_the_loss(module: str) -> None:
    torch.manual_seed(0)
    x = particle_batch(n=32)
    # learnable structure: every feature follows one number per event, decaying along the particle list
    a = torch.randn(32, 1, 1)
    x[..., :3] = a * torch.linspace(1, 0.2, 40)[None, :, None] * torch.tensor([1.0, 0.5, -1.0]) * x[..., 3:]
    if module == "vae":
        m = VAEModule(ParticleVAE(n_particles=40, hidden=[64], latent_dim=4), torch.optim.Adam, beta=0.01, masked=True)
    else:
        m = AutoencoderModule(ParticleConvAutoencoder(n_particles=40, channels=[8, 16]), torch.optim.Adam, masked=True)
    m.log = lambda *a, **k: None  # outside a Trainer
    opt = m.configure_optimizers()
    first = m.training_step((x, torch.zeros(32)), 0).item()
    for _ in range(150):
        opt.zero_grad()
        loss = m.training_step((x, torch.zeros(32)), 0)
        loss.backward()
        opt.step()
    assert loss.item() < 0.5 * first
    m.eval()
    assert m.predict_step((x, torch.zeros(32)), 0).shape == (32,)
