"""Jet-image networks and modules: the seed CAE's shapes, the linear AE <-> PCA relation, VAE and classifier."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from anomaly_lab.evaluation.references import PCAReconstruction
from anomaly_lab.models.classifier import ClassifierModule
from anomaly_lab.models.nets.conv2d import Conv2dAutoencoder, Conv2dClassifier
from anomaly_lab.models.nets.dense import DenseAutoencoder, DenseVAE
from anomaly_lab.models.vae import VAEModule, kl_divergence


@pytest.mark.parametrize("size", [25, 40])
def test_seed_cae_crops_back_to_the_input_size(size: int) -> None:
    net = Conv2dAutoencoder()
    assert [m.out_channels for m in net.encoder if isinstance(m, torch.nn.Conv2d)] == [16, 8]
    x = torch.rand(3, 1, size, size)
    assert net(x).shape == x.shape


def test_bottleneck_cae_squeezes_every_image_through_a_dense_latent() -> None:
    net = Conv2dAutoencoder(latent_dim=32, image_size=25)
    x = torch.rand(3, 1, 25, 25)
    assert net.encode(x).shape == (3, 32) and net(x).shape == x.shape
    assert Conv2dAutoencoder().encode(x).shape == (3, 8, 7, 7)  # the seed's latent: a local 7x7 grid
    with pytest.raises(ValueError, match="image_size"):
        Conv2dAutoencoder(latent_dim=32)


def correlated_data(n: int = 4000, d: int = 12, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    spectrum = np.array([10, 7, 5, 1, 0.5, 0.3, 0.2, 0.1, 0.1, 0.05, 0.05, 0.05])[:d]
    rotation, _ = np.linalg.qr(rng.normal(size=(d, d)))
    return (rng.normal(size=(n, d)) * np.sqrt(spectrum)) @ rotation.T + 3.0


def test_linear_autoencoder_spans_pca_subspace() -> None:
    torch.manual_seed(0)
    x = correlated_data()
    k = 3
    pca = PCAReconstruction(k).fit(x)
    net = DenseAutoencoder(input_shape=(x.shape[1],), hidden=[], latent_dim=k, activation=False)
    net.double()
    data = torch.from_numpy(x)
    opt = torch.optim.LBFGS(net.parameters(), max_iter=500, tolerance_grad=1e-10, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = (net(data) - data).pow(2).mean()
        loss.backward()
        return loss

    opt.step(closure)
    loss = closure()
    decoder = net.decoder[0].weight.detach().numpy()  # (d, k): the reconstruction subspace
    q, _ = np.linalg.qr(decoder)
    cosines = np.linalg.svd(q.T @ pca.components.T, compute_uv=False)  # cosines of the principal angles
    assert cosines.min() > 0.99
    np.testing.assert_allclose(loss.item(), pca.score(x).mean(), rtol=0.02)  # and the same reconstruction error


def test_vae_scores_are_deterministic_and_configurable() -> None:
    torch.manual_seed(0)
    x = torch.rand(8, 1, 25, 25)
    scores = {}
    weights = DenseVAE((1, 25, 25), hidden=[32], latent_dim=4).state_dict()
    for score in ("reconstruction", "kl", "both"):
        module = VAEModule(DenseVAE((1, 25, 25), hidden=[32], latent_dim=4), torch.optim.Adam, beta=0.5, score=score)
        module.net.load_state_dict(weights)
        module.eval()
        with torch.no_grad():
            scores[score] = module.predict_step((x, torch.zeros(8)), 0)
            assert torch.equal(scores[score], module.predict_step((x, torch.zeros(8)), 0))
    torch.testing.assert_close(scores["both"], scores["reconstruction"] + 0.5 * scores["kl"])
    with pytest.raises(ValueError, match="model.score"):
        VAEModule(DenseVAE((4,), [8], 2), torch.optim.Adam, score="elbo")


def test_kl_vanishes_for_the_prior_and_matches_the_closed_form() -> None:
    assert torch.equal(kl_divergence(torch.zeros(2, 3), torch.zeros(2, 3)), torch.zeros(2))
    # KL(N(mu, s^2) || N(0, 1)) = (mu^2 + s^2 - 1 - ln s^2) / 2 per dimension, summed over the latent
    mean, log_var = torch.tensor([[1.0, 0.0, -2.0]]), torch.tensor([[0.0, 1.0, -1.0]])
    by_hand = 0.5 * (1.0 + (np.e - 2) + (4 + np.exp(-1.0)))  # the three dimensions' terms
    assert kl_divergence(mean, log_var).item() == pytest.approx(by_hand, rel=1e-6)


def test_classifier_learns_a_separable_pair_of_classes() -> None:
    torch.manual_seed(0)
    x = torch.rand(64, 1, 25, 25)
    y = torch.arange(64) % 2
    x[y == 1, :, 10:15, 10:15] += 2.0
    module = ClassifierModule(Conv2dClassifier(image_size=25, channels=[4, 8], hidden=8), torch.optim.Adam)
    opt = module.configure_optimizers()
    for _ in range(30):
        opt.zero_grad()
        loss = module.loss((x, y), "train")
        loss.backward()
        opt.step()
    with torch.no_grad():
        logits = module.predict_step((x, y), 0)
    assert logits.shape == (64,)
    assert (logits[y == 1].min() > logits[y == 0].max()).item()
