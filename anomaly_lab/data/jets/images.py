"""Jet images from constituent four-momenta: centre, rotate, flip, pixelise, normalise (each step its own function).

Coordinates are (eta, phi) relative to the jet axis; an image row is eta (vertical), a column phi (horizontal).
Every function works on a chunk of jets at once; padded constituents (E = 0) carry zero pT and drop out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def constituent_coordinates(p4: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pT, d_eta, d_phi) of each constituent of (n, m, 4) E, PX, PY, PZ, relative to the summed jet axis."""
    e, px, py, pz = (p4[..., i].astype(np.float64) for i in range(4))
    pt = np.hypot(px, py)
    real = pt > 0
    eta = np.arcsinh(np.divide(pz, pt, out=np.zeros_like(pz), where=real))
    phi = np.arctan2(py, px)
    jet_px, jet_py, jet_pz = px.sum(1), py.sum(1), pz.sum(1)
    jet_eta = np.arcsinh(jet_pz / np.hypot(jet_px, jet_py))
    jet_phi = np.arctan2(jet_py, jet_px)
    d_eta = np.where(real, eta - jet_eta[:, None], 0.0)
    d_phi = np.where(real, (phi - jet_phi[:, None] + np.pi) % (2 * np.pi) - np.pi, 0.0)
    return pt, d_eta, d_phi


def centre(pt: np.ndarray, eta: np.ndarray, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shift each jet so that its pT-weighted centroid sits at the origin."""
    w = pt / pt.sum(1, keepdims=True)
    return eta - (w * eta).sum(1, keepdims=True), phi - (w * phi).sum(1, keepdims=True)


def rotate(pt: np.ndarray, eta: np.ndarray, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rotate each (centred) jet so that the principal axis of its pT-weighted spread is vertical (along eta)."""
    w = pt / pt.sum(1, keepdims=True)
    s_ee, s_pp, s_ep = (w * eta * eta).sum(1), (w * phi * phi).sum(1), (w * eta * phi).sum(1)
    # angle of the major axis measured from the eta axis; rotating by it puts the axis on eta
    theta = 0.5 * np.arctan2(2 * s_ep, s_ee - s_pp)
    c, s = np.cos(theta)[:, None], np.sin(theta)[:, None]
    return c * eta + s * phi, -s * eta + c * phi


def flip(pt: np.ndarray, eta: np.ndarray, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mirror each jet so that the upper half and the right half hold more pT than their opposites.

    Halves by pT sum, not pT-weighted position: after centring the weighted position is zero by construction."""

    def sign(x: np.ndarray) -> np.ndarray:
        return np.where((pt * (x > 0)).sum(1, keepdims=True) < (pt * (x < 0)).sum(1, keepdims=True), -1.0, 1.0)

    return eta * sign(eta), phi * sign(phi)


def pixelise(pt: np.ndarray, eta: np.ndarray, phi: np.ndarray, n_pixels: int, extent: float) -> np.ndarray:
    """(n, n_pixels, n_pixels) images summing pT per pixel over [-extent, extent] in both directions.

    Row 0 is the top of the image (largest eta), so that an image prints the way it is drawn."""
    n = len(pt)
    size = 2 * extent / n_pixels
    row = np.floor((extent - eta) / size).astype(np.int64)
    col = np.floor((phi + extent) / size).astype(np.int64)
    inside = (pt > 0) & (row >= 0) & (row < n_pixels) & (col >= 0) & (col < n_pixels)
    jet = np.broadcast_to(np.arange(n)[:, None], pt.shape)
    flat = (jet[inside] * n_pixels + row[inside]) * n_pixels + col[inside]
    images = np.bincount(flat, weights=pt[inside], minlength=n * n_pixels * n_pixels)
    return images.reshape(n, n_pixels, n_pixels)


def normalise(images: np.ndarray) -> np.ndarray:
    """Scale each image to unit total intensity (pT fraction per pixel)."""
    total = images.sum(axis=(1, 2), keepdims=True)
    return np.divide(images, total, out=np.zeros_like(images), where=total > 0)


@dataclass
class JetImageConfig:
    """Image settings: size, eta-phi half-width and which preprocessing steps run."""

    n_pixels: int = 25
    extent: float = 1.0
    centre: bool = True
    rotate: bool = True
    flip: bool = True
    normalise: bool = True
    # pixel-intensity reweighting: every pixel raised to this power after normalising (0.5, the square root, lifts
    # soft radiation against the hardest pixels, so a reconstruction error weighs the jet's whole shape)
    intensity_power: float = 1.0

    def __post_init__(self) -> None:
        if not self.intensity_power > 0:
            raise ValueError(f"data.image.intensity_power: expected > 0, got {self.intensity_power}")

    def __call__(self, p4: np.ndarray) -> np.ndarray:
        """(n, m, 4) constituent four-momenta -> (n, n_pixels, n_pixels) float32 images."""
        pt, eta, phi = constituent_coordinates(p4)
        if self.centre:
            eta, phi = centre(pt, eta, phi)
        if self.rotate:
            eta, phi = rotate(pt, eta, phi)
        if self.flip:
            eta, phi = flip(pt, eta, phi)
        images = pixelise(pt, eta, phi, self.n_pixels, self.extent)
        images = normalise(images) if self.normalise else images
        if self.intensity_power != 1.0:
            images = images**self.intensity_power
        return images.astype(np.float32)
