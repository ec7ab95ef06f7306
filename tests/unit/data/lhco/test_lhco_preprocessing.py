"""Input scaling fitted on training background: particle lists keep padding at exactly 0 and gain a mask;
high-level features are standardised per column."""

from __future__ import annotations

import numpy as np
import pytest

from anomaly_lab.data.lhco.preprocessing import FeatureStandardizer
from anomaly_lab.data.transforms import ParticleScaler


def particle_lists(n: int, n_real: int, seed: int = 0) -> np.ndarray:
    """(n, 64, 3) pT, eta, phi: `n_real` pT-ordered particles with eta > 0.5 (so padding's 0 is never the minimum)."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 64, 3), np.float32)
    x[:, :n_real, 0] = np.sort(rng.exponential(50.0, (n, n_real)), axis=1)[:, ::-1] + 1.0
    x[:, :n_real, 1] = rng.uniform(0.5, 2.5, (n, n_real))
    x[:, :n_real, 2] = rng.uniform(-np.pi, np.pi, (n, n_real))
    return x


def test_rnd_scaling_is_fitted_on_real_particles_only_and_keeps_padding_zero() -> None:
    train = particle_lists(30, n_real=20)
    real = train[..., 0] > 0
    scaler = ParticleScaler().fit(train)
    # pT standardised; eta and phi min-max over real particles (padding's eta = 0 would be the minimum else)
    assert scaler.state["shift"] == pytest.approx([train[..., 0][real].mean(), train[..., 1][real].min(),
                                                   train[..., 2][real].min()], rel=1e-6)  # fmt: skip
    out = scaler(train)
    assert out.shape == (30, 64, 4) and out.dtype == np.float32
    assert np.all(out[:, 20:] == 0) and np.array_equal(out[..., 3], real.astype(np.float32))
    assert out[..., 0][real].mean() == pytest.approx(0.0, abs=1e-4) and out[..., 0][real].std() == pytest.approx(1.0)
    assert out[..., 1][real].min() == pytest.approx(0.0, abs=1e-6) and out[..., 1][real].max() == pytest.approx(1.0)
    restored = ParticleScaler()
    restored.load_state_dict(scaler.state_dict())
    assert np.array_equal(restored(train), out)


def test_any_number_of_features_each_with_its_own_mode() -> None:
    # ADC2021-like objects: pT, eta, phi and a one-hot object type of four columns
    modes = ("minmax", "standard", "minmax", "none", "none", "none", "none")
    rng = np.random.default_rng(3)
    x = np.zeros((40, 19, 7), np.float32)
    n_real = rng.integers(1, 20, 40)
    real = np.arange(19)[None, :] < n_real[:, None]
    x[..., 0] = np.where(real, rng.exponential(30.0, (40, 19)) + 5.0, 0.0)
    x[..., 1] = np.where(real, rng.normal(0.0, 2.0, (40, 19)), 0.0)
    x[..., 2] = np.where(real, rng.uniform(-np.pi, np.pi, (40, 19)), 0.0)
    kind = rng.integers(0, 4, (40, 19))
    x[..., 3:] = np.eye(4, dtype=np.float32)[kind] * real[..., None]
    scaler = ParticleScaler(modes).fit(x)
    out = scaler(x)
    assert out.shape == (40, 19, 8) and out.dtype == np.float32
    assert np.all(out[~real] == 0.0)  # padded objects: exactly zero in every column, mask included
    np.testing.assert_array_equal(out[..., 7], real.astype(np.float32))
    np.testing.assert_array_equal(out[..., 3:7], x[..., 3:])  # "none": the one-hot type passes unchanged
    pt, eta = x[..., 0][real], x[..., 1][real]
    np.testing.assert_allclose(out[..., 0][real], (pt - pt.min()) / (pt.max() - pt.min()), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out[..., 1][real], (eta - eta.mean()) / eta.std(), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="expected 7 features, got 3"):
        ParticleScaler(modes).fit(x[..., :3])
    with pytest.raises(ValueError, match="scaling modes"):
        ParticleScaler(("standard", "sqrt"))


def test_feature_standardizer_gives_zero_mean_unit_variance_columns() -> None:
    features = np.random.default_rng(1).normal([3000.0, 200.0, 0.5], [400.0, 100.0, 0.1], (200, 3))
    scaler = FeatureStandardizer().fit(features)
    standard = scaler(features)
    assert np.allclose(standard.mean(axis=0), 0, atol=1e-5) and np.allclose(standard.std(axis=0), 1, atol=1e-4)
    restored = FeatureStandardizer()
    restored.load_state_dict(scaler.state_dict())
    np.testing.assert_array_equal(restored(features), standard)
