"""Each fitted transform's torch twin reproduces the numpy transform bit for bit on float32 samples, padding and
zeros included, so an exported graph sees exactly the inputs the model was trained on."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from anomaly_lab.data.lhco.preprocessing import FeatureStandardizer
from anomaly_lab.data.transforms import GlobalScale, ParticleScaler, Standardizer
from anomaly_lab.export.samples import jet_images, particle_lists


def twin(transform: object, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return transform.as_module()(torch.from_numpy(x)).numpy()


def test_standardizer_twin_is_exact_on_strain() -> None:
    rng = np.random.default_rng(0)
    t = Standardizer().fit((3e-2 + 1.7 * rng.standard_normal((64, 512))).astype(np.float32))
    x = (rng.standard_normal((32, 512)) * 5).astype(np.float32)
    np.testing.assert_array_equal(twin(t, x), t(x))


def test_global_scale_twin_is_exact_and_keeps_empty_pixels_zero() -> None:
    rng = np.random.default_rng(1)
    t = GlobalScale().fit(jet_images(64, (25, 25), rng))
    x = jet_images(16, (25, 25), rng)
    out = twin(t, x)
    np.testing.assert_array_equal(out, t(x))
    assert (out[x == 0] == 0).all() and out.dtype == np.float32


@pytest.mark.parametrize("modes", [("standard", "minmax", "minmax"), ("standard", "none", "minmax", "none")])
def test_particle_scaler_twin_is_exact_with_padding_and_mask(modes: tuple[str, ...]) -> None:
    rng = np.random.default_rng(2)
    t = ParticleScaler(modes).fit(particle_lists(64, (40, len(modes)), rng))
    x = particle_lists(16, (40, len(modes)), rng)
    out = twin(t, x)
    np.testing.assert_array_equal(out, t(x))
    padded = x[..., 0] == 0
    assert padded.any() and (out[padded] == 0).all()
    np.testing.assert_array_equal(out[..., -1], ~padded)


def test_feature_standardizer_twin_is_exact_in_float64() -> None:
    rng = np.random.default_rng(3)
    scales = np.array([3500.0, 300.0, 120.0, 1.0, 1.0])
    t = FeatureStandardizer().fit((rng.gamma(4.0, 0.25, (64, 5)) * scales).astype(np.float32))
    x = (rng.gamma(4.0, 0.25, (32, 5)) * scales).astype(np.float32)
    np.testing.assert_array_equal(twin(t, x), t(x))


@pytest.mark.parametrize("transform", [Standardizer(), GlobalScale(), ParticleScaler(), FeatureStandardizer()])
def test_a_twin_needs_a_fitted_transform(transform: object) -> None:
    with pytest.raises(RuntimeError, match="before fit"):
        transform.as_module()
