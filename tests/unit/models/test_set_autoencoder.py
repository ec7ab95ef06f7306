"""The set autoencoder reads a particle list as a set: no ordering of the particles, no padded slot and no value left
in a padded slot changes its latent vector or its Chamfer score; the Chamfer distance matches a brute-force one."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import torch

from anomaly_lab.models.nets.sets import SetAutoencoder
from anomaly_lab.models.set_autoencoder import SetAutoencoderModule, chamfer_error, nearest_decoded

ADAM = partial(torch.optim.Adam)
ENCODERS = ("deepsets", "attention")


def events(n: int, slots: int, n_features: int = 3, seed: int = 0, min_real: int = 1) -> torch.Tensor:
    """(n, slots, n_features + 1) lists: real particles first (min_real..slots of them), then all-zero padding."""
    g = torch.Generator().manual_seed(seed)
    x = torch.zeros(n, slots, n_features + 1)
    for i, k in enumerate(torch.randint(min_real, slots + 1, (n,), generator=g).tolist()):
        x[i, :k, :-1] = torch.randn(k, n_features, generator=g)
        x[i, :k, -1] = 1.0
    return x


def module(encoder: str, seed: int = 0, **kwargs) -> SetAutoencoderModule:
    torch.manual_seed(seed)
    net_args = {"n_features": 3, "n_decoded": 8, "latent_dim": 4, "encoder": encoder} | kwargs
    return SetAutoencoderModule(SetAutoencoder(**net_args), ADAM).eval()


def latent_and_score(m: SetAutoencoderModule, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    with torch.no_grad():
        return m.encode(x), m.predict_step((x, torch.zeros(len(x))), 0)


def brute_force_chamfer(x: np.ndarray, decoded: np.ndarray) -> np.ndarray:
    """Loops over events, real items and decoded items."""
    out = []
    for event, dec in zip(x, decoded, strict=True):
        real = [p[: dec.shape[1]] for p in event if p[-1] > 0]
        if not real:
            out.append(0.0)
            continue
        d = [[float(((a - b) ** 2).sum()) for b in dec] for a in real]
        out.append(np.mean([min(row) for row in d]) + np.mean([min(d[i][j] for i in range(len(real)))
                                                              for j in range(len(dec))]))  # fmt: skip
    return np.array(out)


@pytest.mark.parametrize("encoder", ENCODERS)
@pytest.mark.parametrize("pooling", ["sum", "mean"])
def test_shapes_of_latent_set_reconstruction_and_score(encoder: str, pooling: str) -> None:
    m = module(encoder, n_features=7, n_outputs=3, n_decoded=5, pooling=pooling)
    x = events(6, 19, n_features=7)
    with torch.no_grad():
        assert m.encode(x).shape == (6, 4)
        assert m(x).shape == (6, 5, 3)
        assert m.reconstruct(x).shape == (6, 19, 3)  # the input's slots, as the feature plots read them
        assert m.predict_step((x, torch.zeros(6)), 0).shape == (6,)


@pytest.mark.parametrize("encoder", ENCODERS)
def test_shuffling_particles_and_padding_changes_neither_latent_nor_score(encoder: str) -> None:
    m = module(encoder)
    x = events(8, 12, seed=1)
    z, score = latent_and_score(m, x)
    g = torch.Generator().manual_seed(2)
    shuffled = torch.stack([e[torch.randperm(12, generator=g)] for e in x])  # real and padded slots mixed
    assert not torch.equal(shuffled, x)
    z2, score2 = latent_and_score(m, shuffled)
    torch.testing.assert_close(z2, z, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(score2, score, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("encoder", ENCODERS)
def test_added_padded_slots_change_nothing(encoder: str) -> None:
    m = module(encoder)
    x = events(8, 10, seed=3)
    padded = torch.cat([x, torch.zeros(8, 15, 4)], dim=1)
    for a, b in zip(latent_and_score(m, x), latent_and_score(m, padded), strict=True):
        torch.testing.assert_close(b, a, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("encoder", ENCODERS)
def test_values_in_padded_slots_are_ignored(encoder: str) -> None:
    m = module(encoder)
    x = events(8, 10, seed=4)
    garbage = x.clone()
    padding = garbage[..., -1] == 0
    assert padding.any()
    garbage[..., :-1][padding] = 100.0 * torch.randn(int(padding.sum()), 3)
    for a, b in zip(latent_and_score(m, x), latent_and_score(m, garbage), strict=True):
        torch.testing.assert_close(b, a, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("encoder", ENCODERS)
def test_an_event_without_particles_scores_finitely(encoder: str) -> None:
    m = module(encoder)
    x = events(4, 10, seed=5)
    x[1] = 0.0
    z, score = latent_and_score(m, x)
    assert torch.isfinite(z).all() and torch.isfinite(score).all() and score[1] == 0.0
    # and trains without NaN gradients
    m.train()
    m.loss((x, torch.zeros(4)), "train").backward()
    assert all(torch.isfinite(p.grad).all() for p in m.parameters() if p.grad is not None)


def test_only_the_leading_slots_are_read_and_compared() -> None:
    m = module("deepsets", max_particles=6)
    x = events(5, 10, seed=6, min_real=8)
    changed = x.clone()
    changed[:, 6:, :-1] += 5.0  # real particles past the leading six
    for a, b in zip(latent_and_score(m, x), latent_and_score(m, changed), strict=True):
        torch.testing.assert_close(b, a)
    with torch.no_grad():
        torch.testing.assert_close(m.predict_step((x, x), 0), chamfer_error(x[:, :6], m(x)))


def test_chamfer_matches_a_brute_force_reference() -> None:
    x = events(20, 9, n_features=5, seed=7)
    x[3] = 0.0  # an empty event scores 0
    decoded = torch.randn(20, 4, 3, generator=torch.Generator().manual_seed(8))
    expected = brute_force_chamfer(x.double().numpy(), decoded.double().numpy())
    np.testing.assert_allclose(chamfer_error(x, decoded).numpy(), expected, rtol=1e-5, atol=1e-6)
    assert expected[3] == 0.0 and (np.delete(expected, 3) > 0).all()


def test_chamfer_is_zero_for_a_perfect_reconstruction_and_ignores_decoded_order() -> None:
    x = events(6, 7, seed=9, min_real=7)  # every slot real: the decoded set is the input's
    assert torch.equal(chamfer_error(x, x[..., :-1]), torch.zeros(6))
    decoded = torch.randn(6, 5, 3)
    perm = decoded[:, torch.randperm(5)]
    torch.testing.assert_close(chamfer_error(x, perm), chamfer_error(x, decoded))
    # a decoded particle far from every real one costs its distance to the nearest of them
    far = torch.cat([x[..., :-1], torch.full((6, 1, 3), 50.0)], dim=1)
    assert (chamfer_error(x, far) > 50.0**2 * 3 / 8 * 0.5).all()


def test_nearest_decoded_puts_each_slots_nearest_item_in_place() -> None:
    x = events(3, 6, seed=10)
    decoded = torch.randn(3, 4, 3)
    out = nearest_decoded(x, decoded)
    for b in range(3):
        for i in range(6):
            if x[b, i, -1] == 0:
                assert (out[b, i] == 0).all()
            else:
                j = ((decoded[b] - x[b, i, :3]) ** 2).sum(1).argmin()
                torch.testing.assert_close(out[b, i], decoded[b, j])


@pytest.mark.parametrize("encoder", ENCODERS)
def test_training_halves_the_loss_on_a_small_fixed_set(encoder: str) -> None:
    m = module(encoder, seed=11, n_decoded=8).train()
    x = events(64, 10, seed=12)
    optimizer = torch.optim.Adam(m.parameters(), lr=3e-3)
    losses = []
    for _ in range(100):
        optimizer.zero_grad()
        loss = m.loss((x, torch.zeros(64)), "train")
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], (losses[0], losses[-1])


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [({"encoder": "transformer"}, "model.net.encoder"), ({"pooling": "max"}, "model.net.pooling"),
     ({"encoder": "attention", "blocks": 3}, "model.net.blocks"), ({"max_particles": 0}, "model.net.max_particles"),
     ({"encoder": "attention", "width": 30, "heads": 4}, "model.net.heads")],
)  # fmt: skip
def test_a_bad_setting_is_one_line_naming_the_key(kwargs: dict, key: str) -> None:
    with pytest.raises(ValueError, match=key):
        SetAutoencoder(**kwargs)
