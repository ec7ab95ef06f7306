"""Jet-image preprocessing, one test per step: centring, rotation, flipping, pixelisation, normalisation."""

from __future__ import annotations

import numpy as np
import pytest

from anomaly_lab.data.jets.images import (
    JetImageConfig,
    centre,
    constituent_coordinates,
    flip,
    normalise,
    pixelise,
    rotate,
)


def four_momenta(pt: np.ndarray, eta: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """(n, m, 4) massless E, PX, PY, PZ; pT = 0 marks padding."""
    return np.stack([pt * np.cosh(eta), pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)], axis=-1)


def random_jets(n: int = 50, m: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    pt = rng.exponential(20.0, (n, m))
    pt[:, m - 5 :] = 0.0  # padding
    # an elongated spray at a random angle around a random axis
    along, across = rng.normal(0, 0.3, (n, m)), rng.normal(0, 0.05, (n, m))
    angle = rng.uniform(0, np.pi, (n, 1))
    eta = 0.7 + along * np.cos(angle) - across * np.sin(angle)
    phi = 2.9 + along * np.sin(angle) + across * np.cos(angle)  # near the +-pi wrap on purpose
    return pt, eta, np.angle(np.exp(1j * phi))


def test_coordinates_are_relative_to_the_jet_axis_across_the_phi_wrap() -> None:
    pt, eta, phi = random_jets()
    _, d_eta, d_phi = constituent_coordinates(four_momenta(pt, eta, phi))
    real = pt > 0
    assert np.abs(d_phi[real]).max() < 2.0  # no 2 pi jumps
    assert np.all(d_eta[~real] == 0) and np.all(d_phi[~real] == 0)


def test_centring_puts_the_pt_weighted_centroid_at_the_origin() -> None:
    pt, eta, phi = random_jets()
    c_eta, c_phi = centre(pt, eta, phi)
    np.testing.assert_allclose((pt * c_eta).sum(1), 0, atol=1e-9)
    np.testing.assert_allclose((pt * c_phi).sum(1), 0, atol=1e-9)


def test_rotation_puts_the_principal_axis_vertical() -> None:
    pt, eta, phi = random_jets()
    r_eta, r_phi = rotate(pt, *centre(pt, eta, phi))
    w = pt / pt.sum(1, keepdims=True)
    cov_ep = (w * r_eta * r_phi).sum(1)
    var_eta, var_phi = (w * r_eta**2).sum(1), (w * r_phi**2).sum(1)
    np.testing.assert_allclose(cov_ep, 0, atol=1e-9)
    assert np.all(var_eta > var_phi)  # the major axis lies along eta, the vertical of the image


def test_flipping_puts_the_heavier_half_up_and_right() -> None:
    pt, eta, phi = random_jets()
    f_eta, f_phi = flip(pt, *rotate(pt, *centre(pt, eta, phi)))
    assert np.all((pt * (f_eta > 0)).sum(1) >= (pt * (f_eta < 0)).sum(1))
    assert np.all((pt * (f_phi > 0)).sum(1) >= (pt * (f_phi < 0)).sum(1))


def test_pixelisation_conserves_intensity_and_places_pixels_as_drawn() -> None:
    pt, eta, phi = random_jets()
    e, p = centre(pt, eta, phi)
    images = pixelise(pt, e * 0.1, p * 0.1, n_pixels=25, extent=1.0)  # shrunk: every constituent inside
    np.testing.assert_allclose(images.sum(axis=(1, 2)), pt.sum(1))
    one = pixelise(np.array([[10.0]]), np.array([[0.5]]), np.array([[0.0]]), n_pixels=4, extent=1.0)
    assert one[0, 1, 2] == 10.0  # eta = +0.5 is in the upper half (row 1 of 4), phi = 0 the right-centre column


def test_normalisation_gives_unit_total_intensity() -> None:
    images = normalise(np.random.default_rng(1).random((5, 25, 25)))
    np.testing.assert_allclose(images.sum(axis=(1, 2)), 1.0)
    assert normalise(np.zeros((1, 3, 3))).sum() == 0  # an empty image stays empty instead of NaN


def test_full_preprocessing_gives_centred_normalised_images() -> None:
    pt, eta, phi = random_jets()
    images = JetImageConfig(n_pixels=40, extent=1.2)(four_momenta(pt, eta, phi))
    assert images.shape == (50, 40, 40) and images.dtype == np.float32
    np.testing.assert_allclose(images.sum(axis=(1, 2)), 1.0, rtol=1e-4, atol=0.05)
    # after flipping the upper half (rows 0-19) and the right half (columns 20-39) hold the most intensity
    assert np.all(images[:, :20].sum((1, 2)) >= images[:, 20:].sum((1, 2)))
    assert np.all(images[:, :, 20:].sum((1, 2)) >= images[:, :, :20].sum((1, 2)))


def test_intensity_power_reweights_normalised_pixels_and_keeps_empty_pixels_zero() -> None:
    pt, eta, phi = random_jets()
    p4 = four_momenta(pt, eta, phi)
    linear, root = JetImageConfig()(p4), JetImageConfig(intensity_power=0.5)(p4)
    np.testing.assert_allclose(root, np.sqrt(linear), rtol=1e-6)  # applied after normalising, pixel by pixel
    assert np.array_equal(root == 0, linear == 0)
    # the square root lifts the soft pixels: the hardest pixel's share of the image falls
    assert np.all(root.max(axis=(1, 2)) / root.sum(axis=(1, 2)) < linear.max(axis=(1, 2)))


def test_intensity_power_must_be_positive() -> None:
    with pytest.raises(ValueError, match="data.image.intensity_power"):
        JetImageConfig(intensity_power=0.0)
