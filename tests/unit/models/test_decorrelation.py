"""DisCo: the squared distance correlation against a brute-force numpy one, its known limits and gradient, and an
autoencoder whose decorrelation term leaves its errors less correlated with the variable than plain training."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import torch

from anomaly_lab.models.autoencoder import AutoencoderModule
from anomaly_lab.models.decorrelation import distance_correlation
from anomaly_lab.models.nets.dense import DenseAutoencoder


def brute_force_dcor2(a: np.ndarray, b: np.ndarray, w: np.ndarray | None = None) -> float:
    """Szekely's dCov^2 / sqrt(dVar^2 dVar^2) by explicit sums over pairs, with sample probabilities p = w / sum w."""
    n = len(a)
    p = np.full(n, 1 / n) if w is None else w / w.sum()

    def centred(x: np.ndarray) -> np.ndarray:
        d = np.array([[abs(x[j] - x[k]) for k in range(n)] for j in range(n)])
        row = np.array([sum(p[k] * d[j, k] for k in range(n)) for j in range(n)])
        grand = sum(p[j] * row[j] for j in range(n))
        return np.array([[d[j, k] - row[j] - row[k] + grand for k in range(n)] for j in range(n)])

    A, B = centred(a), centred(b)

    def pair_mean(m: np.ndarray) -> float:
        return sum(p[j] * p[k] * m[j, k] for j in range(n) for k in range(n))

    return pair_mean(A * B) / np.sqrt(pair_mean(A * A) * pair_mean(B * B))


def test_matches_brute_force_unweighted_and_weighted() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=40)
    b = a**2 + rng.normal(0, 0.5, 40)  # dependent but hardly linearly correlated
    w = rng.uniform(0.2, 3.0, 40)
    got = distance_correlation(torch.tensor(a), torch.tensor(b))
    assert float(got) == pytest.approx(brute_force_dcor2(a, b), rel=1e-5)
    got_w = distance_correlation(torch.tensor(a), torch.tensor(b), torch.tensor(w))
    assert float(got_w) == pytest.approx(brute_force_dcor2(a, b, w), rel=1e-5)
    assert abs(float(got_w) - float(got)) > 1e-3  # the weights matter


def test_known_limits_independent_monotone_and_constant() -> None:
    g = torch.Generator().manual_seed(1)
    a, b = torch.randn(2000, generator=g), torch.randn(2000, generator=g)
    assert float(distance_correlation(a, b)) < 0.01  # independent: dCor^2 ~ 1/n
    assert float(distance_correlation(a, 3 * a + 1)) == pytest.approx(1.0, abs=1e-5)  # linear: exactly 1
    assert float(distance_correlation(a, torch.exp(a))) > 0.6  # monotone, far from linear
    a.requires_grad_(True)
    flat = distance_correlation(a, torch.full_like(a, 7.0))
    flat.backward()
    assert float(flat) == 0.0 and torch.isfinite(a.grad).all()


def test_gradient_flows_to_the_score() -> None:
    g = torch.Generator().manual_seed(2)
    a = torch.randn(64, generator=g, requires_grad=True)
    v = a.detach() + 0.5 * torch.randn(64, generator=g)
    distance_correlation(a, v).backward()
    assert torch.isfinite(a.grad).all() and float(a.grad.abs().sum()) > 0
    # the analytic gradient is the numerical one (double precision, distinct values: |x| is smooth off 0)
    small = a.detach().double()[:12].clone().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda s: distance_correlation(s, v[:12].double()), (small,))


def _data(n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """v in [0.5, 2.5] is an input and scales the other three: a 1-d latent leaves errors growing with v."""
    v = torch.rand(n, generator=g) * 2 + 0.5
    return torch.cat([v[:, None], v[:, None] * torch.randn(n, 3, generator=g)], 1), v


def _trained_dcor(weight: float, steps: int = 300) -> float:
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    (x, v), (x_test, v_test) = _data(4096, g), _data(2000, g)
    module = AutoencoderModule(DenseAutoencoder((4,), hidden=[16], latent_dim=1), partial(torch.optim.Adam, lr=1e-2),
                               decorrelation_weight=weight)  # fmt: skip
    opt = module.configure_optimizers()
    for _ in range(steps):
        idx = torch.randint(0, len(x), (256,))
        loss = module.loss([x[idx], torch.zeros(256), v[idx]], "train")
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert "train_disco" in module._epoch_sums  # measured (and logged per epoch) at weight 0 too
    with torch.no_grad():
        return float(distance_correlation(module.error(x_test, module(x_test)), v_test))


def test_decorrelation_weight_leaves_errors_less_correlated_with_v() -> None:
    plain, disco = _trained_dcor(0.0), _trained_dcor(5.0)
    # measured: 0.26 plain, 0.04 with weight 5 (seed 0)
    assert plain > 0.15 and disco < 0.4 * plain


def test_weight_without_the_variable_is_a_config_error() -> None:
    module = AutoencoderModule(DenseAutoencoder((4,), hidden=[3], latent_dim=2), partial(torch.optim.Adam),
                               decorrelation_weight=1.0)  # fmt: skip
    with pytest.raises(ValueError, match="data.decorrelate"):
        module.loss([torch.randn(8, 4), torch.zeros(8)], "train")
    with pytest.raises(ValueError, match="model.decorrelation_weight"):
        AutoencoderModule(DenseAutoencoder((4,), hidden=[3], latent_dim=2), partial(torch.optim.Adam),
                          decorrelation_weight=-1.0)  # fmt: skip
