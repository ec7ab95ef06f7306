"""The normalized autoencoder: Langevin chains, negatives on the allowed set, the two training phases."""

from __future__ import annotations

import lightning as L
import pytest
import torch

from anomaly_lab.models.nae import Langevin, NormalizedAutoencoderModule, langevin, to_sphere
from anomaly_lab.models.nets.dense import DenseAutoencoder


def nae(**kwargs: object) -> NormalizedAutoencoderModule:
    torch.manual_seed(0)
    settings = {"latent_steps": 5, "latent_step_size": 0.05, "data_steps": 5, "data_step_size": 1.0} | kwargs
    return NormalizedAutoencoderModule(DenseAutoencoder((1, 5, 5), [16], 4), torch.optim.Adam, **settings)


def test_langevin_without_noise_descends_the_energy_to_its_minimum() -> None:
    centre = torch.tensor([[1.0, -2.0]])
    energy = lambda x: (x - centre).pow(2).sum(1)  # noqa: E731
    start = torch.zeros(3, 2)
    end = langevin(energy, start, Langevin(steps=200, step_size=0.05, noise=0.0), lambda x: x)
    torch.testing.assert_close(end, centre.expand(3, 2), atol=1e-4, rtol=0)
    assert not end.requires_grad  # the samples come back detached


def test_negatives_keep_the_input_shape_range_and_leave_parameters_without_gradients() -> None:
    module = nae(data_noise=0.5)  # loud noise: many pixels would go negative without the clip
    x = torch.rand(8, 1, 5, 5)
    negatives = module.negatives(8, x)
    assert negatives.shape == x.shape and negatives.min() >= 0.0
    assert all(p.grad is None for p in module.parameters())
    capped = nae(data_max=0.3).negatives(8, x)
    assert capped.max() <= 0.3


def test_spherical_latent_is_on_the_unit_sphere_and_decodes_to_the_forward_pass() -> None:
    module = nae()
    x = torch.rand(6, 1, 5, 5)
    z = module.encode(x)
    torch.testing.assert_close(z.norm(dim=1), torch.ones(6))
    torch.testing.assert_close(module(x), module.decode(z))
    torch.testing.assert_close(to_sphere(torch.tensor([[3.0, 4.0]])), torch.tensor([[0.6, 0.8]]))


def test_loss_is_the_reconstruction_error_before_normalising_starts() -> None:
    module = nae(temperature=0.5)
    x = torch.rand(6, 1, 5, 5)
    expected = (module(x) - x).pow(2).flatten(1).mean(1).mean()
    torch.testing.assert_close(module.loss((x, torch.zeros(6)), "train"), expected)  # no trainer: pretraining


def _train(module: NormalizedAutoencoderModule, x: torch.Tensor, epochs: int) -> None:
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, torch.zeros(len(x))), batch_size=32)
    trainer = L.Trainer(max_epochs=epochs, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, num_sanity_val_steps=0)  # fmt: skip
    trainer.fit(module, loader, loader)


def background(n: int, seed: int) -> torch.Tensor:
    """Images with all intensity in one of two pixels: a two-point manifold."""
    g = torch.Generator().manual_seed(seed)
    x = torch.zeros(n, 1, 5, 5)
    where = torch.randint(0, 2, (n,), generator=g)
    x[where == 0, 0, 2, 2], x[where == 1, 0, 1, 3] = 1.0, 1.0
    return x


def test_pretraining_lowers_the_reconstruction_error_on_a_tiny_set() -> None:
    module, x = nae(pretrain_epochs=30), background(64, 0)
    before = module.error(x, module(x)).mean().item()
    _train(module, x, 30)
    assert module.error(x, module(x)).mean().item() < 0.3 * before


def test_normalising_phase_raises_the_energy_of_what_is_not_background() -> None:
    # plain AE training reconstructs an image unlike the training set (intensity spread over every pixel) about as
    # well as the background; after the energy loss it must sit clearly higher
    x, spread = background(64, 0), torch.full((16, 1, 5, 5), 1 / 25)
    gaps = {}
    for normalising_epochs in (0, 20):
        module = nae(pretrain_epochs=20, latent_steps=10, data_steps=10, data_noise=0.01)
        _train(module, x, 20 + normalising_epochs)
        with torch.no_grad():
            gaps[normalising_epochs] = (module.energy(spread).mean() / module.energy(x).mean()).item()
    assert gaps[0] < 1.2 and gaps[20] > 1.5 * gaps[0], gaps  # measured: 0.91 and 2.08


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"temperature": 0.0}, "temperature"), ({"latent_steps": -1}, "_steps"), ({"gamma": -1.0}, "gamma")],
)
def test_bad_settings_are_named(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        nae(**kwargs)
